"""Errors of the callback services; their messages are German and meant for the person reading them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class CallbackError(Exception):
    """A request that cannot be fulfilled; ``message`` explains why (user-facing)."""

    default_message = _("Der Rückruf kann so nicht angelegt werden.")

    def __init__(self, message=None) -> None:
        self.message = message if message is not None else self.default_message
        super().__init__(str(self.message))

    def __str__(self) -> str:
        return str(self.message)


class InvalidPhone(CallbackError):
    default_message = _("Bitte geben Sie eine gültige Telefonnummer an, zum Beispiel 069 1234567 oder "
                        "0151 23456789.")


class UnknownTeam(CallbackError):
    default_message = _("Für diese Angaben ist kein Team zuständig. Bitte wählen Sie das Team aus.")


class TicketClosed(CallbackError):
    default_message = _("Dieses Ticket ist bereits abgeschlossen.")


class TooManyRequests(CallbackError):
    default_message = _("Zu viele Anfragen in kurzer Zeit. Bitte versuchen Sie es in einigen Minuten "
                        "erneut.")


class ChallengeFailed(CallbackError):
    default_message = _("Die automatische Prüfung gegen Missbrauch ist fehlgeschlagen. Bitte laden Sie "
                        "die Seite neu und versuchen Sie es noch einmal.")
