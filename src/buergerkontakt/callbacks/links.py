"""The citizen's signed status link: ``/rueckruf/<number>/?t=<token>``.

The scheme is ``core/links.py``'s, over the ticket number: a changed number or token is refused, and
the link stops working ``CALLBACK_STATUS_LINK_DAYS`` days after it was made. It is short enough for
an SMS.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buergerkontakt.core.links import LinkScheme, Purpose

from .exceptions import CallbackError
from .models import Ticket

SALT = "buergerkontakt.callbacks.status"


class LinkInvalid(CallbackError):
    default_message = _("Dieser Link ist ungültig. Bitte prüfen Sie, ob Sie ihn vollständig kopiert "
                        "haben, oder rufen Sie uns mit Ihrer Ticketnummer an.")


class LinkExpired(CallbackError):
    default_message = _("Dieser Link ist abgelaufen. Bitte rufen Sie uns mit Ihrer Ticketnummer an.")


def _find(number: str) -> Ticket | None:
    return Ticket.objects.select_related("team", "team__location").filter(number=number).first()


SCHEME = LinkScheme(
    SALT,
    {"status": Purpose(lambda _ticket: timezone.now() + timedelta(days=settings.CALLBACK_STATUS_LINK_DAYS),
                       "callbacks:status", _find)},
    code_of=lambda ticket: ticket.number, invalid=LinkInvalid, expired=LinkExpired, url_kwarg="number",
)


def make_token(ticket: Ticket) -> str:
    return SCHEME.make_token(ticket, "status")


def check_token(number: str, token: str) -> Ticket:
    """The ticket of a status link; :class:`LinkInvalid` or :class:`LinkExpired` otherwise."""
    return SCHEME.check_token(number, token, "status")


def url(ticket: Ticket, *, absolute: bool = True) -> str:
    return SCHEME.url(ticket, "status", absolute=absolute)
