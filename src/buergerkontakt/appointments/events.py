"""Signals the appointments app sends to the apps above it (docs/architecture.md: a lower layer
never imports a higher one; it announces, and the waitlist listens)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the transaction that cancelled an appointment whose capacity must be offered at once
# (not reconfirmed in time; the anti-bot release delay does not apply). Arguments: appointment_id, now.
capacity_freed_at_once = Signal()
