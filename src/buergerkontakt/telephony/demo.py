"""Demo calls: registered as a demo step later (see load_demo)."""
