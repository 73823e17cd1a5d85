"""Signed links for citizens: manage (cancel/reschedule), confirm by e-mail, reconfirm.

A link carries the booking code and a token ``<expiry>.<signature>``; the signature (HMAC over
code, purpose and expiry, keyed by SECRET_KEY) makes the link unforgeable, the expiry makes it
useless after the appointment. Tokens are short enough for an SMS.

* manage: until the end of the appointment day
* confirm: until the e-mail confirmation window closes (the service checks that again)
* reconfirm: until the appointment starts
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .exceptions import BookingError
from .models import Appointment

PURPOSES = ("manage", "confirm", "reconfirm")
SALT = "buergerkontakt.appointments.link"


class LinkInvalid(BookingError):
    default_message = _("Dieser Link ist ungültig. Bitte prüfen Sie, ob Sie ihn vollständig kopiert "
                        "haben, oder suchen Sie Ihren Termin mit Buchungscode und E-Mail-Adresse.")


class LinkExpired(BookingError):
    default_message = _("Dieser Link ist abgelaufen.")


def _expiry(appointment: Appointment, purpose: str) -> datetime:
    if purpose == "confirm":
        return appointment.hold_expires_at or appointment.start
    if purpose == "reconfirm":
        return appointment.start
    local_end = timezone.localtime(appointment.end)
    return local_end.replace(hour=23, minute=59, second=59, microsecond=0)


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT)


def make_token(appointment: Appointment, purpose: str = "manage") -> str:
    if purpose not in PURPOSES:
        raise ValueError(purpose)
    expiry = format(int(_expiry(appointment, purpose).timestamp()), "x")
    signature = _signer().signature(f"{appointment.code}.{purpose}.{expiry}")
    return f"{expiry}.{signature}"


def check_token(code: str, token: str, purpose: str = "manage", *, now: datetime | None = None,
                ) -> Appointment:
    """The appointment the link is for; :class:`LinkInvalid` or :class:`LinkExpired` otherwise."""
    code = (code or "").strip().upper()
    token = (token or "").strip()
    expiry, _sep, signature = token.partition(".")
    if purpose not in PURPOSES or not signature or len(token) > 120 or len(code) > 20:
        raise LinkInvalid()
    expected = _signer().signature(f"{code}.{purpose}.{expiry}")
    if not signing.constant_time_compare(expected, signature):
        raise LinkInvalid()
    try:
        expires = datetime.fromtimestamp(int(expiry, 16), tz=timezone.get_current_timezone())
    except (ValueError, OverflowError, OSError):
        raise LinkInvalid() from None
    if expires < (now or timezone.now()):
        raise LinkExpired()
    appointment = Appointment.objects.filter(code=code).first()
    if appointment is None:
        raise LinkInvalid()
    return appointment


def url(appointment: Appointment, purpose: str = "manage", *, absolute: bool = True) -> str:
    """``/termine/<code>/<purpose>/?t=<token>``, absolute with ``SITE_URL`` for e-mails."""
    names = {"manage": "appointments:manage", "confirm": "appointments:confirm",
             "reconfirm": "appointments:reconfirm"}
    path = reverse(names[purpose], kwargs={"code": appointment.code})
    full = f"{path}?t={make_token(appointment, purpose)}"
    return settings.SITE_URL + full if absolute else full


__all__ = ["LinkExpired", "LinkInvalid", "check_token", "make_token", "url"]
