"""Demo placeholder (filled in below)."""
