"""The citizen's ticket link: ticket id plus a random secret (printed as a QR code on the ticket)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.urls import reverse

from .models import Ticket


def ticket_path(ticket: Ticket) -> str:
    return reverse("queue:ticket", args=[ticket.pk, ticket.secret])


def ticket_url(ticket: Ticket) -> str:
    return settings.SITE_URL + ticket_path(ticket)


def ticket_for(pk: int, secret: str) -> Ticket | None:
    """The ticket if the secret matches (compared in constant time), else None."""
    ticket = Ticket.objects.filter(pk=pk).select_related("queue", "queue__location", "room").first()
    if ticket is None or not secrets.compare_digest(ticket.secret.encode(), (secret or "").encode()):
        return None
    return ticket
