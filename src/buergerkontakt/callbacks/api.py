"""Callbacks API for telephony and portals (mounted at /api/callbacks/).

* ``POST /tickets`` creates a ticket; it needs an API key (header ``X-API-Key``) with the scope
  "callbacks", created in the admin (``core.ApiKey``: shown once, revocable, optionally expiring)
  or configured in ``CALLBACK_API_KEYS`` as ``authority-slug=key``: the key decides the authority,
  so a portal of one authority can never create tickets for another. Keys are stored and compared
  as SHA-256 digests.
* ``GET /tickets/{number}?token=…`` answers the citizen's status (the token of the signed status
  link), with every call attempt. No personal data in the answer.

Thin: ``services.create_ticket`` does the work; every :class:`CallbackError` becomes a German
``{"detail": …}`` with a 4xx status.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import APIKeyHeader
from pydantic import AwareDatetime, StringConstraints

from buergerkontakt.core import apikeys, ratelimit
from buergerkontakt.core.models import ApiKey, Authority, Team
from buergerkontakt.directory.api import ErrorOut, ValidationErrorOut
from buergerkontakt.directory.models import Service

from . import links, services
from .exceptions import CallbackError, InvalidPhone, UnknownTeam
from .models import Channel, Ticket

router = Router()

SLUG = r"^[-a-zA-Z0-9_]+$"
Slug = Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=SLUG)]
Number = Annotated[str, StringConstraints(min_length=1, max_length=20)]


class CallbackApiKey(APIKeyHeader):
    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> Authority:
        try:
            authority = apikeys.authority_for(key, ApiKey.Scope.CALLBACKS)
        except apikeys.WrongScope:
            raise HttpError(403, _("Dieser API-Schlüssel darf keine Rückruftickets anlegen.")) from None
        if authority is None:
            raise HttpError(401, _("Fehlender oder ungültiger API-Schlüssel (Kopfzeile X-API-Key)."))
        return authority


class TicketIn(Schema):
    name: str = Field(..., min_length=1, max_length=200,
                      description="Name der anrufenden Person / caller's name")
    phone: str = Field(..., min_length=1, max_length=30,
                       description="Rückrufnummer, deutsche Nummern auch ohne +49 / callback number")
    email: str = Field("", max_length=254, description="optional, für Nachrichten / optional, for messages")
    case_number: str = Field("", max_length=40, description="Aktenzeichen / case number")
    service: Slug | None = Field(None, description="Kurzname der Leistung / service slug")
    team: Slug | None = Field(None, description="Kurzname des Teams; leer: nach Zuständigkeitsregeln / "
                                                "team slug; empty: by the responsibility rules")
    topic: str = Field("", max_length=200, description="Anliegen / concern")
    urgency: Literal["normal", "urgent", "emergency"] = "normal"
    prefers_morning: bool = True
    prefers_afternoon: bool = True
    window_start: AwareDatetime | None = Field(None,
                                               description="Wunschzeitfenster ab / preferred window start")
    window_end: AwareDatetime | None = Field(None, description="Wunschzeitfenster bis / preferred window end")
    note: str = Field("", max_length=2000)


class TicketCreatedOut(Schema):
    number: str
    token: str = Field(description="für die Statusabfrage / for the status query")
    status_url: str = Field(description="signierte Statusseite für die Person / signed status page")
    team: str = Field(description="Kurzname des zuständigen Teams / responsible team's slug")
    team_name: str
    due_at: datetime | None
    next_attempt_at: datetime | None


class AttemptOut(Schema):
    number: int
    at: datetime
    outcome: str = Field(
        description="reached_solved | reached_followup | not_reached | voicemail | wrong_number")
    outcome_label: str


class TicketStatusOut(Schema):
    number: str
    status: str = Field(description="open | solved | unreachable")
    status_label: str
    paused: bool
    team_name: str
    window_start: datetime | None
    window_end: datetime | None
    due_at: datetime | None
    next_attempt_at: datetime | None
    attempts: list[AttemptOut]


class StatusQuery(Schema):
    token: str = Field(..., min_length=1, max_length=80,
                       description="aus dem Statuslink / from the status link")


def _slug_lookup(model, authority: Authority, slug: str | None, message: str):
    if not slug:
        return None
    found = model.objects.filter(authority=authority, slug=slug).first()
    if found is None:
        raise HttpError(400, message)
    return found


@router.post(
    "/tickets", auth=CallbackApiKey(), operation_id="callbacks_create",
    response={201: TicketCreatedOut, 400: ErrorOut, 401: ErrorOut, 422: ValidationErrorOut},
    summary="Rückrufticket anlegen / create a callback ticket",
    description="Für Telefonanlagen und Portale; die Behörde ergibt sich aus dem API-Schlüssel. Fehler "
                "kommen als deutscher Text in `detail`.\n\nFor telephony and portals; the authority follows "
                "from the API key. Errors come as German text in `detail`.",
)
def create(request: HttpRequest, payload: TicketIn):
    authority: Authority = request.auth
    team = _slug_lookup(Team, authority, payload.team,
                        _("Unbekanntes Team: Bitte geben Sie den Kurznamen eines Teams Ihrer Behörde an."))
    service = _slug_lookup(Service, authority, payload.service, _("Unbekannte Leistung."))
    window = None
    if payload.window_start or payload.window_end:
        if not (payload.window_start and payload.window_end and payload.window_start < payload.window_end):
            raise HttpError(400, _("Bitte geben Sie Beginn und Ende des Zeitfensters an (Beginn vor Ende)."))
        window = services.Window(payload.window_start, payload.window_end)
    try:
        ticket = services.create_ticket(
            authority, caller_name=payload.name, phone=payload.phone, email=payload.email,
            case_number=payload.case_number, service=service, team=team, topic=payload.topic,
            urgency=payload.urgency, prefers_morning=payload.prefers_morning,
            prefers_afternoon=payload.prefers_afternoon, window=window, note=payload.note,
            channel=Channel.API)
    except (InvalidPhone, UnknownTeam, CallbackError) as exc:
        raise HttpError(400, str(exc)) from None
    return Status(201, {
        "number": ticket.number, "token": links.make_token(ticket), "status_url": links.url(ticket),
        "team": ticket.team.slug, "team_name": ticket.team.name, "due_at": ticket.due_at,
        "next_attempt_at": ticket.next_attempt_at,
    })


@router.get(
    "/tickets/{number}", operation_id="callbacks_status",
    response={200: TicketStatusOut, 403: ErrorOut, 410: ErrorOut, 422: ValidationErrorOut, 429: ErrorOut},
    summary="Stand eines Rückrufs / status of a callback",
    description="Mit Ticketnummer und dem Token aus dem signierten Statuslink; zeigt jeden Anrufversuch.\n\n"
                "With the ticket number and the token of the signed status link; lists every call attempt.",
)
def status(request: HttpRequest, number: Number, query: Query[StatusQuery]):
    try:
        ticket = links.check_token(number, query.token)
    except links.LinkExpired as exc:
        raise HttpError(410, str(exc)) from None
    except links.LinkInvalid as exc:
        if not ratelimit.allow("callback_status_ip", ratelimit.client_ip(request)):
            raise HttpError(429, str(ratelimit.TOO_MANY)) from None
        raise HttpError(403, str(exc)) from None
    is_open = ticket.status == Ticket.Status.OPEN
    return {
        "number": ticket.number, "status": ticket.status, "status_label": ticket.get_status_display(),
        "paused": ticket.is_paused, "team_name": ticket.team.name,
        "window_start": ticket.window_start, "window_end": ticket.window_end,
        "due_at": ticket.due_at if is_open else None,
        "next_attempt_at": ticket.next_attempt_at if is_open else None,
        "attempts": [
            {"number": a.number, "at": a.at, "outcome": a.outcome, "outcome_label": a.get_outcome_display()}
            for a in ticket.attempts.order_by("number")],
    }
