"""The signed link of a rights request (the scheme is ``core/links.py``'s): sent to the e-mail
address or phone number the request names, it proves the requester can read that contact's
messages. Valid ``PRIVACY_LINK_DAYS`` days from the request."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from buergerkontakt.core.errors import ServiceError
from buergerkontakt.core.links import LinkScheme, Purpose, end_of_local_day

from .models import RightsRequest

SALT = "buergerkontakt.privacy.link"


class LinkInvalid(ServiceError):
    def __init__(self, message=None):
        super().__init__(str(message or _("Dieser Link ist ungültig. Bitte prüfen Sie, ob Sie ihn "
                                          "vollständig kopiert haben.")), 404)


class LinkExpired(ServiceError):
    def __init__(self, message=None):
        super().__init__(str(message or _("Dieser Link ist abgelaufen. Bitte stellen Sie Ihre Anfrage neu.")),
                         410)


def _expires(request: RightsRequest) -> datetime:
    return end_of_local_day(request.created_at + timedelta(days=settings.PRIVACY_LINK_DAYS))


SCHEME = LinkScheme(
    SALT,
    {"request": Purpose(_expires, "privacy:request",
                        lambda code: RightsRequest.objects.filter(code=code).first())},
    code_of=lambda obj: obj.code, invalid=LinkInvalid, expired=LinkExpired,
)


def make_token(request: RightsRequest) -> str:
    return SCHEME.make_token(request, "request")


def check_token(code: str, token: str, *, now: datetime | None = None) -> RightsRequest:
    return SCHEME.check_token(code, token, "request", now=now)


def url(request: RightsRequest, *, absolute: bool = True) -> str:
    return SCHEME.url(request, "request", absolute=absolute)
