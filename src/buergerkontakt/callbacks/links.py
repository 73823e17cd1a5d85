"""The citizen's signed status link: ``/rueckruf/<number>/?t=<token>``.

The token is Django's timestamp signature over the ticket number (HMAC with SECRET_KEY and a salt
of its own): a changed number or token is refused, and the link stops working
``CALLBACK_STATUS_LINK_DAYS`` days after it was made. It is short enough for an SMS.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .exceptions import CallbackError
from .models import Ticket

SALT = "buergerkontakt.callbacks.status"
MAX_TOKEN_LENGTH = 80


class LinkInvalid(CallbackError):
    default_message = _("Dieser Link ist ungültig. Bitte prüfen Sie, ob Sie ihn vollständig kopiert "
                        "haben, oder rufen Sie uns mit Ihrer Ticketnummer an.")


class LinkExpired(CallbackError):
    default_message = _("Dieser Link ist abgelaufen. Bitte rufen Sie uns mit Ihrer Ticketnummer an.")


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def make_token(ticket: Ticket) -> str:
    """``<timestamp>:<signature>`` of the ticket number."""
    return _signer().sign(ticket.number)[len(ticket.number) + 1:]


def check_token(number: str, token: str) -> Ticket:
    """The ticket of a status link; :class:`LinkInvalid` or :class:`LinkExpired` otherwise."""
    number = (number or "").strip().upper()
    token = (token or "").strip()
    if not token or len(token) > MAX_TOKEN_LENGTH or len(number) > 20 or token.count(":") != 1:
        raise LinkInvalid()
    max_age = settings.CALLBACK_STATUS_LINK_DAYS * 86400
    try:
        _signer().unsign(f"{number}:{token}", max_age=max_age)
    except signing.SignatureExpired:
        raise LinkExpired() from None
    except signing.BadSignature:
        raise LinkInvalid() from None
    ticket = Ticket.objects.select_related("team", "team__location").filter(number=number).first()
    if ticket is None:
        raise LinkInvalid()
    return ticket


def url(ticket: Ticket, *, absolute: bool = True) -> str:
    path = reverse("callbacks:status", kwargs={"number": ticket.number})
    full = f"{path}?t={make_token(ticket)}"
    return settings.SITE_URL + full if absolute else full
