"""Waitlist models (filled in by the waitlist work)."""
