"""Signed links for citizens: manage (cancel/reschedule), confirm by e-mail, reconfirm.

The scheme is ``core/links.py``'s. Expiry per purpose:

* manage: until the end of the appointment day (Berlin)
* confirm: until the e-mail confirmation window closes (the service checks that again)
* reconfirm: until the appointment starts
"""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext_lazy as _

from buergerkontakt.core.links import LinkScheme, Purpose, end_of_local_day

from .exceptions import BookingError
from .models import Appointment

SALT = "buergerkontakt.appointments.link"


class LinkInvalid(BookingError):
    default_message = _("Dieser Link ist ungültig. Bitte prüfen Sie, ob Sie ihn vollständig kopiert "
                        "haben, oder suchen Sie Ihren Termin mit Buchungscode und E-Mail-Adresse.")


class LinkExpired(BookingError):
    default_message = _("Dieser Link ist abgelaufen.")


def _find(code: str) -> Appointment | None:
    return Appointment.objects.filter(code=code).first()


SCHEME = LinkScheme(
    SALT,
    {
        "manage": Purpose(lambda a: end_of_local_day(a.end), "appointments:manage", _find),
        "confirm": Purpose(lambda a: a.hold_expires_at or a.start, "appointments:confirm", _find),
        "reconfirm": Purpose(lambda a: a.start, "appointments:reconfirm", _find),
    },
    code_of=lambda a: a.code, invalid=LinkInvalid, expired=LinkExpired,
)
PURPOSES = tuple(SCHEME.purposes)


def make_token(appointment: Appointment, purpose: str = "manage") -> str:
    return SCHEME.make_token(appointment, purpose)


def check_token(code: str, token: str, purpose: str = "manage", *, now: datetime | None = None,
                ) -> Appointment:
    """The appointment the link is for; :class:`LinkInvalid` or :class:`LinkExpired` otherwise."""
    return SCHEME.check_token(code, token, purpose, now=now)


def url(appointment: Appointment, purpose: str = "manage", *, absolute: bool = True) -> str:
    """``/termine/<code>/<purpose>/?t=<token>``, absolute with ``SITE_URL`` for e-mails."""
    return SCHEME.url(appointment, purpose, absolute=absolute)


__all__ = ["LinkExpired", "LinkInvalid", "check_token", "make_token", "url"]
