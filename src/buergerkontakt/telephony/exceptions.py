"""Errors of the telephony services (German, user-facing)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from buergerkontakt.callbacks.exceptions import CallbackError


class TelephonyError(CallbackError):
    default_message = _("Der Anruf kann so nicht bearbeitet werden.")


class DialNotConfigured(TelephonyError):
    default_message = _("Klick-zum-Anruf ist nicht eingerichtet (TELEPHONY_DIAL_URL fehlt).")


class NoExtension(TelephonyError):
    default_message = _("Für Sie ist keine Nebenstelle hinterlegt. Bitte wenden Sie sich an die "
                        "Administration.")


class DialFailed(TelephonyError):
    default_message = _("Die Telefonanlage hat den Anruf nicht aufgebaut. Bitte wählen Sie die Nummer "
                        "von Hand.")


class NeedsAgent(TelephonyError):
    default_message = _("Für diesen Anruf passt keine Zuständigkeitsregel und der Rufnummer ist kein Team "
                        "zugeordnet. Bitte legen Sie das Ticket in der Agentenmaske an.")
