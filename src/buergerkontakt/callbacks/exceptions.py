"""Errors of the callback services; their messages are German and meant for the person reading them.

They share the booking errors' base (a user-facing ``message``), so the public pages treat the
proof-of-work and rate-limit errors of ``appointments.citizen`` the same way.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from buergerkontakt.appointments.citizen import ChallengeFailed, TooManyRequests
from buergerkontakt.appointments.exceptions import BookingError


class CallbackError(BookingError):
    """A request that cannot be fulfilled; ``message`` explains why (user-facing)."""

    default_message = _("Der Rückruf kann so nicht angelegt werden.")


class InvalidPhone(CallbackError):
    default_message = _("Bitte geben Sie eine gültige Telefonnummer an, zum Beispiel 069 1234567 oder "
                        "0151 23456789.")


class UnknownTeam(CallbackError):
    default_message = _("Für diese Angaben ist kein Team zuständig. Bitte wählen Sie das Team aus.")


class TicketClosed(CallbackError):
    default_message = _("Dieses Ticket ist bereits abgeschlossen.")


__all__ = ["CallbackError", "ChallengeFailed", "InvalidPhone", "TicketClosed", "TooManyRequests",
           "UnknownTeam"]
