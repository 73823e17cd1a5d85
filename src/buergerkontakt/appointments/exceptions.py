"""Errors of the booking services; their messages are German and meant for the citizen."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class BookingError(Exception):
    """A booking request that cannot be fulfilled; ``message`` explains why (user-facing)."""

    default_message = _("Die Buchung ist leider nicht möglich.")

    def __init__(self, message=None) -> None:
        self.message = message if message is not None else self.default_message
        super().__init__(str(self.message))

    def __str__(self) -> str:
        return str(self.message)


class SlotUnavailable(BookingError):
    """The chosen time has no free capacity (any more)."""

    default_message = _("Dieser Termin ist leider vergeben. Bitte wählen Sie einen anderen.")


class HoldExpired(BookingError):
    """The reservation (or the e-mail confirmation window) ran out before it was confirmed."""

    default_message = _("Die Reservierung ist abgelaufen. Bitte wählen Sie den Termin erneut.")
