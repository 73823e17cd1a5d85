"""Telephony API (mounted at /api/telephony/): the PBX reports call events.

* ``POST /cti`` – Zammad's generic CTI events (JSON or form data), so PBX scripts written for
  Zammad (Asterisk, 3CX, Placetel, sipgate) work unchanged.
* ``POST /sipgate`` – sipgate.io push (form data); a ``newCall`` is answered with the XML that asks
  sipgate for the ``answer`` and ``hangup`` events at the same URL.
* ``POST /placetel`` – Placetel Notify API (form data).

The key (an API key with the scope "telephony", or ``TELEPHONY_API_KEYS``) decides the authority.
It comes as header ``X-API-Key``, as the password of HTTP Basic authentication
(``https://pbx:KEY@host/api/telephony/sipgate``: sipgate and Placetel can only be given a URL), or as
the last part of the URL (``/api/telephony/cti/KEY``, Zammad's form of the endpoint). Idempotent per
``callId`` and event: a repeated event answers 200 and changes nothing. Bad payloads get a German
``{"detail": …}`` with 400.
"""

from __future__ import annotations

import json
from typing import Literal
from urllib.parse import quote, urlsplit, urlunsplit

from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from buergerkontakt.core import apikeys
from buergerkontakt.core.models import ApiKey, Authority
from buergerkontakt.core.ratelimit import basic_password
from buergerkontakt.directory.api import ErrorOut

from . import adapters, services
from .models import Provider

router = Router()
MAX_BODY = 16_000


class CtiEventIn(Schema):
    """Zammad generic CTI event (JSON or form data)."""

    event: Literal["newCall", "answer", "hangup"]
    from_: str = Field(..., alias="from", description="anrufende Nummer, z. B. 493055571600 oder anonymous")
    to: str = Field(..., description="angerufene Nummer")
    direction: Literal["in", "out"]
    callId: str = Field(..., max_length=250, description="eindeutig je Anruf / unique per call")
    user: list[str] | str | None = Field(None, description="newCall: angeklingelte bzw. anrufende Person(en)")
    queue: str | None = Field(None, description="Warteschlange (optional)")
    answeringNumber: str | None = Field(None, description="answer/hangup: wer angenommen hat "
                                                          "(Nebenstelle, Login, E-Mail)")
    cause: Literal["normalClearing", "busy", "cancel", "noAnswer", "congestion", "notFound",
                   "forwarded"] | None = Field(None, description="hangup: Grund")


class PlacetelEventIn(Schema):
    event: Literal["IncomingCall", "OutgoingCall", "CallAccepted", "HungUp"]
    from_: str = Field(..., alias="from")
    to: str
    call_id: str
    direction: Literal["in", "out"] | None = None
    peer: str | None = Field(None, description="CallAccepted: SIP-Teilnehmer, der angenommen hat")
    type: Literal["voicemail", "missed", "blocked", "accepted", "busy", "canceled", "unavailable",
                  "congestion"] | None = Field(None, description="HungUp: Grund")
    duration: int | None = Field(None, description="HungUp: Gesprächsdauer in Sekunden")


class AcceptedOut(Schema):
    pass


def _body(schema: type[Schema], form_only: bool = False) -> dict:
    content = {"application/x-www-form-urlencoded": {"schema": schema.model_json_schema(by_alias=True)}}
    if not form_only:
        content["application/json"] = {"schema": schema.model_json_schema(by_alias=True)}
    return {"requestBody": {"required": True, "content": content}}


def _authority(request: HttpRequest, token: str | None) -> Authority:
    key = request.headers.get("X-API-Key") or basic_password(request) or token or ""
    try:
        authority = apikeys.authority_for(key, ApiKey.Scope.TELEPHONY)
    except apikeys.WrongScope:
        raise HttpError(403, _("Dieser API-Schlüssel darf keine Anrufereignisse melden.")) from None
    if authority is None:
        raise HttpError(401, _("Fehlender oder ungültiger API-Schlüssel (Kopfzeile X-API-Key, "
                               "HTTP-Basic-Passwort oder am Ende der Adresse)."))
    return authority


def _payload(request: HttpRequest):
    if len(request.body) > MAX_BODY:
        raise HttpError(400, _("Die Nachricht ist zu groß."))
    kind = request.content_type or ""
    if kind == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise HttpError(400, _("Die Nachricht ist kein gültiges JSON.")) from None
        if not isinstance(data, dict):
            raise HttpError(400, _("Die Nachricht muss ein JSON-Objekt sein."))
        return data
    if kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return request.POST
    if not request.body:
        return QueryDict()
    raise HttpError(400, _("Bitte senden Sie JSON oder Formulardaten."))


def _record(request: HttpRequest, provider: str, token: str | None):
    authority = _authority(request, token)
    try:
        event = adapters.PARSERS[provider](_payload(request))
    except adapters.BadPayload as exc:
        raise HttpError(400, exc.message) from None
    services.record_event(authority, event, provider=provider)
    return event


DESCRIPTION_AUTH = (
    "\n\nSchlüssel (Berechtigung „telephony“) als Kopfzeile `X-API-Key`, als Passwort der "
    "HTTP-Basic-Anmeldung oder als letzter Teil der Adresse. Ein wiederholtes Ereignis ändert nichts "
    "(200). Fehler kommen als deutscher Text in `detail`.\n\nKey (scope \"telephony\") as header "
    "`X-API-Key`, as the HTTP Basic password or as the last part of the URL. A repeated event "
    "changes nothing (200). Errors come as German text in `detail`.")
RESPONSES = {200: AcceptedOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut}


@router.post("/cti", operation_id="telephony_cti", response=RESPONSES, openapi_extra=_body(CtiEventIn),
             summary="Anrufereignis (generisches CTI, Zammad-kompatibel) / call event (generic CTI)",
             description="Ereignisse `newCall`, `answer`, `hangup` wie Zammads generische CTI-Schnittstelle."
                         + DESCRIPTION_AUTH)
def cti(request: HttpRequest):
    _record(request, Provider.GENERIC, None)
    return {}


@router.post("/cti/{api_key}", operation_id="telephony_cti_url_key", response=RESPONSES,
             openapi_extra=_body(CtiEventIn),
             summary="Anrufereignis, Schlüssel in der Adresse / call event, key in the URL",
             description="Wie `/cti`, für Telefonanlagen, denen man nur eine Adresse geben kann."
                         + DESCRIPTION_AUTH)
def cti_url_key(request: HttpRequest, api_key: str):
    _record(request, Provider.GENERIC, api_key)
    return {}


def _sipgate_response(request: HttpRequest, event) -> HttpResponse:
    """sipgate.io sends ``answer``/``hangup`` only when the newCall's answer asks for them."""
    if event.kind != adapters.NEW:
        return HttpResponse(b'<?xml version="1.0" encoding="UTF-8"?>\n<Response/>',
                            content_type="application/xml")
    url = request.build_absolute_uri(request.path)
    password = basic_password(request)
    if password and request.headers.get("X-API-Key") is None:
        parts = urlsplit(url)
        url = urlunsplit(parts._replace(netloc=f"pbx:{quote(password, safe='')}@{parts.netloc}"))
    escaped = url.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<Response onAnswer="{escaped}" onHangup="{escaped}"/>')
    return HttpResponse(body.encode(), content_type="application/xml")


SIPGATE_DESCRIPTION = ("sipgate.io-Push (Formulardaten). Auf `newCall` antwortet die Plattform mit "
                       "`<Response onAnswer=… onHangup=…/>`, damit sipgate auch Annahme und Ende meldet."
                       + DESCRIPTION_AUTH)


@router.post("/sipgate", operation_id="telephony_sipgate", response=RESPONSES,
             openapi_extra=_body(CtiEventIn, form_only=True),
             summary="sipgate.io-Push / sipgate.io push", description=SIPGATE_DESCRIPTION)
def sipgate(request: HttpRequest):
    return _sipgate_response(request, _record(request, Provider.SIPGATE, None))


@router.post("/sipgate/{api_key}", operation_id="telephony_sipgate_url_key", response=RESPONSES,
             openapi_extra=_body(CtiEventIn, form_only=True),
             summary="sipgate.io-Push, Schlüssel in der Adresse / key in the URL",
             description=SIPGATE_DESCRIPTION)
def sipgate_url_key(request: HttpRequest, api_key: str):
    return _sipgate_response(request, _record(request, Provider.SIPGATE, api_key))


PLACETEL_DESCRIPTION = ("Placetel Notify-API (Formulardaten: IncomingCall, OutgoingCall, CallAccepted, "
                        "HungUp)." + DESCRIPTION_AUTH)


@router.post("/placetel", operation_id="telephony_placetel", response=RESPONSES,
             openapi_extra=_body(PlacetelEventIn, form_only=True),
             summary="Placetel Notify / Placetel notify", description=PLACETEL_DESCRIPTION)
def placetel(request: HttpRequest):
    _record(request, Provider.PLACETEL, None)
    return {}


@router.post("/placetel/{api_key}", operation_id="telephony_placetel_url_key", response=RESPONSES,
             openapi_extra=_body(PlacetelEventIn, form_only=True),
             summary="Placetel Notify, Schlüssel in der Adresse / key in the URL",
             description=PLACETEL_DESCRIPTION)
def placetel_url_key(request: HttpRequest, api_key: str):
    _record(request, Provider.PLACETEL, api_key)
    return {}
