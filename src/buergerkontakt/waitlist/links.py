"""Signed links of the waitlist (same scheme as ``appointments/links.py``).

A link carries a code and a token ``<expiry>.<signature>``; the signature (HMAC over code, purpose
and expiry, keyed by SECRET_KEY) makes it unforgeable, the expiry useless afterwards.

* offer (accept or decline, offer code): until the offer expires (the service checks that again)
* withdraw (entry code): until the end of the last day of the entry's date range
"""

from __future__ import annotations

from datetime import datetime, time

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buergerkontakt.appointments.exceptions import BookingError

from .models import Entry, Offer

PURPOSES = ("offer", "withdraw")
SALT = "buergerkontakt.waitlist.link"


class LinkInvalid(BookingError):
    default_message = _("Dieser Link ist ungültig. Bitte prüfen Sie, ob Sie ihn vollständig kopiert haben.")


class LinkExpired(BookingError):
    default_message = _("Dieser Link ist abgelaufen.")


def _expiry(obj: Entry | Offer, purpose: str) -> datetime:
    if purpose == "offer":
        return obj.expires_at
    end = datetime.combine(obj.date_until, time(23, 59, 59))
    return timezone.make_aware(end, timezone.get_current_timezone())


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT)


def make_token(obj: Entry | Offer, purpose: str) -> str:
    if purpose not in PURPOSES:
        raise ValueError(purpose)
    expiry = format(int(_expiry(obj, purpose).timestamp()), "x")
    signature = _signer().signature(f"{obj.code}.{purpose}.{expiry}")
    return f"{expiry}.{signature}"


def check_token(code: str, token: str, purpose: str, *, now: datetime | None = None) -> Entry | Offer:
    """The offer (purpose "offer") or entry ("withdraw") of the link; LinkInvalid/LinkExpired otherwise."""
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
    model = Offer if purpose == "offer" else Entry
    found = model.objects.filter(code=code).first()
    if found is None:
        raise LinkInvalid()
    return found


def url(obj: Entry | Offer, purpose: str, *, absolute: bool = True) -> str:
    names = {"offer": "waitlist:offer", "withdraw": "waitlist:withdraw"}
    path = reverse(names[purpose], kwargs={"code": obj.code})
    full = f"{path}?t={make_token(obj, purpose)}"
    return settings.SITE_URL + full if absolute else full


__all__ = ["LinkExpired", "LinkInvalid", "check_token", "make_token", "url"]
