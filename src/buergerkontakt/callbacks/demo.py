"""Demo callbacks (filled in below)."""
