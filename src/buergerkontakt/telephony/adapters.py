"""Vendor payloads → one :class:`Event` (adapters at the edge).

* **generic** – Zammad's generic CTI (``event`` newCall/answer/hangup, ``from``, ``to``,
  ``direction``, ``callId``, ``user`` or ``user[]``, ``queue``, ``answeringNumber``, ``cause``),
  as JSON or form data. PBX scripts written for Zammad (Asterisk, 3CX, Placetel, sipgate) post it
  unchanged.
* **sipgate** – sipgate.io push (form data: the same events, ``user[]``/``userId[]``/
  ``fullUserId[]`` on newCall, ``origCallId``, ``diversion``).
* **placetel** – Placetel Notify API (form data: ``event`` IncomingCall/OutgoingCall/CallAccepted/
  HungUp, ``call_id``, ``peer``, ``type``, ``duration``).

Each adapter checks what it needs and raises :class:`BadPayload` with a German message (→ 400).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .models import Direction, Outcome

NEW, ANSWER, HANGUP = "newCall", "answer", "hangup"
MAX_ID = 250
MAX_FIELD = 200


class BadPayload(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Event:
    kind: str  # NEW, ANSWER, HANGUP
    call_id: str
    direction: str
    caller: str  # "from" as sent ("anonymous" possible)
    callee: str  # "to" as sent
    agents: tuple[str, ...] = ()  # who rings / who called (names, ids, peers)
    answering: tuple[str, ...] = ()  # who answered (answeringNumber, user id, peer)
    queue: str = ""
    cause: str = ""
    outcome: str = ""  # hangup only
    duration: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def external(self) -> str:
        """The citizen's side: the caller of an inbound call, the callee of an outbound one."""
        return self.caller if self.direction == Direction.IN else self.callee

    @property
    def own(self) -> str:
        return self.callee if self.direction == Direction.IN else self.caller


# Zammad / sipgate hangup causes.
GENERIC_CAUSES = {
    "normalclearing": Outcome.ANSWERED,
    "cancel": Outcome.ABANDONED,
    "busy": Outcome.BUSY,
    "noanswer": Outcome.MISSED,
    "congestion": Outcome.FAILED,
    "notfound": Outcome.FAILED,
    "forwarded": Outcome.FORWARDED,
}
# Placetel hangup types.
PLACETEL_TYPES = {
    "accepted": Outcome.ANSWERED,
    "missed": Outcome.MISSED,
    "voicemail": Outcome.VOICEMAIL,
    "blocked": Outcome.BLOCKED,
    "busy": Outcome.BUSY,
    "canceled": Outcome.ABANDONED,
    "unavailable": Outcome.FAILED,
    "congestion": Outcome.FAILED,
}


def _one(data, name: str, limit: int = MAX_FIELD) -> str:
    """A single text value from a JSON dict or a QueryDict (the last one, as Rails does)."""
    value = data.get(name, "")
    if isinstance(value, list):
        value = value[-1] if value else ""
    if value is None:
        return ""
    if not isinstance(value, str | int):
        raise BadPayload(_("Ungültiger Wert im Feld „%(field)s“.") % {"field": name})
    text = str(value).strip()
    if len(text) > limit:
        raise BadPayload(_("Das Feld „%(field)s“ ist zu lang.") % {"field": name})
    return text


def _many(data, *names: str) -> tuple[str, ...]:
    """Every value of ``name`` / ``name[]`` (JSON list or string, repeated form fields)."""
    found: list[str] = []
    for name in names:
        if hasattr(data, "getlist"):
            values = data.getlist(name)
        else:
            raw = data.get(name)
            values = raw if isinstance(raw, list) else ([raw] if raw not in (None, "") else [])
        for value in values:
            if not isinstance(value, str | int):
                raise BadPayload(_("Ungültiger Wert im Feld „%(field)s“.") % {"field": name})
            text = str(value).strip()
            if text and len(text) <= MAX_FIELD and text not in found:
                found.append(text)
    return tuple(found[:20])


def _call_id(data, name: str) -> str:
    value = _one(data, name, limit=10_000) if name in data else ""
    if not value:
        raise BadPayload(_("Es fehlt die Anruf-ID („%(field)s“).") % {"field": name})
    if len(value) > MAX_ID:
        raise BadPayload(_("Die Anruf-ID ist zu lang (höchstens 250 Zeichen)."))
    return value


def _direction(data, default: str = "") -> str:
    value = (_one(data, "direction") or default).lower()
    if value not in Direction.values:
        raise BadPayload(_("Die Richtung („direction“) muss „in“ oder „out“ sein."))
    return value


def generic(data) -> Event:
    """Zammad's generic CTI (and sipgate.io, which it was modelled on)."""
    kind = _one(data, "event")
    if kind not in (NEW, ANSWER, HANGUP):
        raise BadPayload(_("Unbekanntes Ereignis „%(event)s“: erwartet newCall, answer oder hangup.")
                         % {"event": kind[:40]})
    call_id = _call_id(data, "callId")
    direction = _direction(data)
    caller, callee = _one(data, "from"), _one(data, "to")
    if kind == NEW and not (caller and callee):
        raise BadPayload(_("Ein neuer Anruf braucht „from“ und „to“."))
    cause = outcome = ""
    if kind == HANGUP:
        cause = _one(data, "cause")
        outcome = GENERIC_CAUSES.get(cause.lower(), "")
        if not outcome:
            raise BadPayload(_("Unbekannter Grund („cause“) „%(cause)s“.") % {"cause": cause[:40]})
    users = _many(data, "user", "user[]", "userId", "userId[]", "fullUserId", "fullUserId[]")
    answering = _many(data, "answeringNumber")
    if kind == ANSWER:
        answering = answering + tuple(u for u in users if u not in answering)
    extra = {key: _one(data, key) for key in ("origCallId", "diversion") if _one(data, key)}
    return Event(kind, call_id, direction, caller, callee, agents=users if kind == NEW else (),
                 answering=answering, queue=_one(data, "queue"), cause=cause, outcome=outcome, extra=extra)


sipgate = generic


def placetel(data) -> Event:
    """Placetel Notify API."""
    name = _one(data, "event")
    kinds = {"IncomingCall": NEW, "OutgoingCall": NEW, "CallAccepted": ANSWER, "HungUp": HANGUP}
    if name not in kinds:
        raise BadPayload(_("Unbekanntes Ereignis „%(event)s“: erwartet IncomingCall, OutgoingCall, "
                           "CallAccepted oder HungUp.") % {"event": name[:40]})
    kind = kinds[name]
    call_id = _call_id(data, "call_id")
    direction = _direction(data, default="out" if name == "OutgoingCall" else "in")
    caller, callee = _one(data, "from"), _one(data, "to")
    agents: tuple[str, ...] = ()
    answering: tuple[str, ...] = ()
    if name == "OutgoingCall":
        agents = (caller,) if caller else ()  # the calling SIP user
    if kind == ANSWER:
        answering = _many(data, "peer")
    cause = outcome = ""
    duration = None
    if kind == HANGUP:
        cause = _one(data, "type")
        outcome = PLACETEL_TYPES.get(cause.lower(), "")
        if not outcome:
            raise BadPayload(_("Unbekannter Grund („type“) „%(cause)s“.") % {"cause": cause[:40]})
        raw = _one(data, "duration")
        if raw:
            if not raw.isdigit() or int(raw) > 86400:
                raise BadPayload(_("Die Dauer („duration“) muss eine Zahl von Sekunden sein."))
            duration = int(raw)
    return Event(kind, call_id, direction, caller, callee, agents=agents, answering=answering,
                 cause=cause, outcome=outcome, duration=duration)


PARSERS = {"generic": generic, "sipgate": sipgate, "placetel": placetel}
