"""Signed links of the waitlist (the scheme is ``core/links.py``'s).

* offer (accept or decline, offer code): until the offer expires (the service checks that again)
* withdraw (entry code): until the end of the last day of the entry's date range (Berlin)
"""

from __future__ import annotations

from datetime import datetime, time

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buergerkontakt.appointments.exceptions import BookingError
from buergerkontakt.core.links import LinkScheme, Purpose

from .models import Entry, Offer

SALT = "buergerkontakt.waitlist.link"


class LinkInvalid(BookingError):
    default_message = _("Dieser Link ist ungültig. Bitte prüfen Sie, ob Sie ihn vollständig kopiert haben.")


class LinkExpired(BookingError):
    default_message = _("Dieser Link ist abgelaufen.")


def _end_of_range(entry: Entry) -> datetime:
    return timezone.make_aware(datetime.combine(entry.date_until, time(23, 59, 59)),
                               timezone.get_current_timezone())


SCHEME = LinkScheme(
    SALT,
    {
        "offer": Purpose(lambda offer: offer.expires_at, "waitlist:offer",
                         lambda code: Offer.objects.filter(code=code).first()),
        "withdraw": Purpose(_end_of_range, "waitlist:withdraw",
                            lambda code: Entry.objects.filter(code=code).first()),
    },
    code_of=lambda obj: obj.code, invalid=LinkInvalid, expired=LinkExpired,
)
PURPOSES = tuple(SCHEME.purposes)


def make_token(obj: Entry | Offer, purpose: str) -> str:
    return SCHEME.make_token(obj, purpose)


def check_token(code: str, token: str, purpose: str, *, now: datetime | None = None) -> Entry | Offer:
    """The offer (purpose "offer") or entry ("withdraw") of the link; LinkInvalid/LinkExpired otherwise."""
    return SCHEME.check_token(code, token, purpose, now=now)


def url(obj: Entry | Offer, purpose: str, *, absolute: bool = True) -> str:
    return SCHEME.url(obj, purpose, absolute=absolute)


__all__ = ["LinkExpired", "LinkInvalid", "check_token", "make_token", "url"]
