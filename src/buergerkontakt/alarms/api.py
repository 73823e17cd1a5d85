"""Device API of the silent alarm (mounted at /api/alarms): for the desktop agent, panic buttons
and desk phones/telephone systems (alarms/devices.py, docs/alarm-agent.md).

* ``POST /api/alarms/enrol`` exchanges the one-time enrolment code from the admin for the device
  token (shown once).
* ``POST /api/alarms`` raises an alarm from the device's room; idempotent per press (``press_id``)
  and debounced (``ALARM_DEVICE_DEBOUNCE_SECONDS``): a replay answers 200 with the first alarm.
* ``POST /api/alarms/heartbeat``: the device (and its workstation) is alive.
* ``GET|POST /api/alarms/phone``: the action URL of desk phones and the telephone system
  (``ext`` = calling extension; the key may come as ``key`` in the URL, since phones cannot set
  headers).

The token comes as ``Authorization: Bearer …`` or ``X-Device-Key``; a missing, unknown or revoked
token is refused with 401. Each device has its own rate limits; every raise is in the alarm's
timeline (who, which device) and logged without personal data.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Literal

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import APIKeyHeader

from buergerkontakt.core import ratelimit
from buergerkontakt.directory.api import ErrorOut, ValidationErrorOut

from . import devices
from .devices import Device, DeviceError
from .workplace import room_label

log = logging.getLogger(__name__)
router = Router()

HEADER = "X-Device-Key"


def token_of(request: HttpRequest, *, query: bool = False) -> str | None:
    """The device token of a request: ``Authorization: Bearer``, ``X-Device-Key`` or (only for the
    phone action URL) ``?key=``."""
    bearer = request.headers.get("Authorization", "")
    if bearer[:7].lower() == "bearer ":
        return bearer[7:].strip() or None
    if request.headers.get(HEADER):
        return request.headers[HEADER]
    if query:
        return request.GET.get("key") or request.POST.get("key") or None
    return None


def credential(request: HttpRequest) -> str | None:
    """The device token of a device API request, for the public write limit (core/ratelimit.py)."""
    if not request.path_info.startswith("/api/alarms"):
        return None
    return token_of(request, query=request.path_info.rstrip("/").endswith("/phone"))


class DeviceKey(APIKeyHeader):
    """Gerätetoken aus der Einrichtung (`Authorization: Bearer …` oder `X-Device-Key`)."""

    param_name = HEADER
    query = False

    def _get_key(self, request: HttpRequest) -> str | None:
        return token_of(request, query=self.query)

    def authenticate(self, request: HttpRequest, key: str | None) -> Device:
        device = devices.device_for(key)
        if device is None:
            raise HttpError(401, _("Fehlendes, ungültiges oder widerrufenes Gerätetoken."))
        return device


class PhoneKey(DeviceKey):
    query = True


def _limited(device: Device, rule: str) -> None:
    if not ratelimit.allow(rule, f"device:{device.pk}"):
        raise HttpError(429, str(ratelimit.TOO_MANY))


def _problem(exc: DeviceError):
    raise HttpError(exc.status_code, exc.message) from None


# --- schemas ------------------------------------------------------------------------------------------
class EnrolIn(Schema):
    code: str = Field(..., min_length=4, max_length=40,
                      description="Einrichtungscode aus der Administration / enrolment code from the admin")
    version: str = Field("", max_length=40, description="Version des Agenten / agent version")
    hostname: str = Field("", max_length=120, description="Rechnername / host name")


class PlaceOut(Schema):
    workstation: str | None = Field(description="Bezeichnung des Arbeitsplatzes / workstation")
    room: str | None = Field(description="Raum, z. B. „Raum 1.10 · 1. OG · Jobcenter Mitte“ / room")


class EnrolOut(PlaceOut):
    token: str = Field(description="Gerätetoken, wird nur jetzt angezeigt / device token, shown once")
    device: str
    kind: str = Field(description="agent | button | phone")
    heartbeat_seconds: int
    websocket: str = Field(description="Pfad des Empfangskanals der Agenten / the agents' socket path")


class AlarmIn(Schema):
    level: Literal[1, 2, 3] | None = Field(
        None, description="Stufe 1–3; leer: Stufe 2 (Sicherheitsdienst) / level, default 2")
    press_id: str = Field("", max_length=64, pattern=r"^[-A-Za-z0-9_.:]*$",
                          description="Kennung des Tastendrucks (Wiederholungen lösen nichts Neues aus) / "
                                      "id of the press (retries raise nothing new)")


class AlarmOut(Schema):
    alarm: int
    level: int
    room: str = Field(description="wie alle Empfänger den Ort lesen / the place as recipients read it")
    raised_at: datetime
    replayed: bool = Field(description="true: dieser Druck hatte den Alarm schon ausgelöst / "
                                       "true: this press had already raised the alarm")


class HeartbeatIn(Schema):
    version: str = Field("", max_length=40)


class HeartbeatOut(PlaceOut):
    ok: bool
    server_time: datetime
    person: bool = Field(description="ob eine Person am Arbeitsplatz bekannt ist / whether a person is known")


def _alarm_out(alarm, replayed: bool) -> dict:
    return {"alarm": alarm.pk, "level": alarm.level, "room": alarm.where, "raised_at": alarm.raised_at,
            "replayed": replayed}


def _place(device: Device) -> dict:
    ws = device.workstation
    return {"workstation": ws.name if ws else None, "room": room_label(ws.room) if ws else None}


def _raise(device: Device, level, press_id: str, extension: str = ""):
    _limited(device, "device_alarm")
    try:
        alarm, replayed = devices.raise_from_device(device, level=level, press_id=press_id,
                                                    extension=extension)
    except DeviceError as exc:
        _problem(exc)
    log.info("alarm raised by device", extra={"device": device.pk, "kind": device.kind, "alarm": alarm.pk,
                                               "replayed": replayed})
    return Status(200 if replayed else 201, _alarm_out(alarm, replayed))


# --- endpoints ----------------------------------------------------------------------------------------
@router.post(
    "/alarms/enrol", operation_id="alarm_device_enrol",
    response={201: EnrolOut, 400: ErrorOut, 422: ValidationErrorOut, 429: ErrorOut},
    summary="Gerät einrichten / enrol a device",
    description="Tauscht den einmaligen Einrichtungscode aus der Administration gegen das Gerätetoken "
                "(wird nur jetzt angezeigt).\n\nExchanges the one-time enrolment code from the admin for "
                "the device token (shown only now).",
)
def enrol(request: HttpRequest, payload: EnrolIn):
    if not ratelimit.allow("device_enrol_ip", ratelimit.client_ip(request)):
        raise HttpError(429, str(ratelimit.TOO_MANY))
    try:
        device, token = devices.enrol(payload.code, version=payload.version, hostname=payload.hostname)
    except DeviceError as exc:
        _problem(exc)
    log.info("alarm device enrolled", extra={"device": device.pk, "kind": device.kind})
    return Status(201, {"token": token, "device": device.name, "kind": device.kind,
                        "heartbeat_seconds": settings.ALARM_HEARTBEAT_SECONDS,
                        "websocket": "/ws/alarm/agent/", **_place(device)})


@router.post(
    "/alarms", auth=DeviceKey(), operation_id="alarm_device_raise",
    response={200: AlarmOut, 201: AlarmOut, 400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut,
              422: ValidationErrorOut, 429: ErrorOut},
    summary="Alarm auslösen (Gerät) / raise an alarm (device)",
    description="Für den Desktop-Agenten, Alarmknöpfe und Telefonanlagen: der Raum ergibt sich aus dem "
                "Gerät. 201: neuer Alarm; 200: derselbe Druck (press_id) oder ein weiterer Druck innerhalb "
                "des Entprellfensters – es wird nichts Neues ausgelöst.\n\nFor the desktop agent, panic "
                "buttons and phone systems: the room follows from the device. 201: new alarm; 200: the "
                "same press (press_id) or another press within the debounce window – nothing new is raised.",
)
def raise_alarm(request: HttpRequest, payload: AlarmIn | None = None):
    payload = payload or AlarmIn()
    return _raise(request.auth, payload.level, payload.press_id)


@router.post(
    "/alarms/heartbeat", auth=DeviceKey(), operation_id="alarm_device_heartbeat",
    response={200: HeartbeatOut, 401: ErrorOut, 422: ValidationErrorOut, 429: ErrorOut},
    summary="Lebenszeichen eines Geräts / device heartbeat",
    description="Das Gerät und sein Arbeitsplatz gelten als erreichbar (Überwachung).\n\n"
                "The device and its workstation count as online (supervision).",
)
def heartbeat(request: HttpRequest, payload: HeartbeatIn | None = None):
    device: Device = request.auth
    _limited(device, "device_heartbeat")
    devices.heartbeat(device, version=(payload.version if payload else "") or None)
    return {"ok": True, "server_time": timezone.now(), "person": devices.person_at(device.workstation)
            is not None, **_place(device)}


PHONE_DOC = {
    "auth": PhoneKey(),
    "response": {200: AlarmOut, 201: AlarmOut, 400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut,
              422: ValidationErrorOut, 429: ErrorOut},
    "summary": "Alarm per Telefon (Action-URL) / alarm from a desk phone (action URL)",
    "description": "Aufruf durch Tischtelefone (Yealink/Snom Action-URL, GET) oder die Telefonanlage "
                "(Asterisk `CURL()`/`curl`, POST). `ext`: anrufende Durchwahl → Arbeitsplatz → Raum; `key`: "
                "Gerätetoken (auch als Kopfzeile). `press`: Kennung des Anrufs (z. B. Call-ID).\n\n"
                "Called by desk phones (Yealink/Snom action URL, GET) or the PBX (Asterisk, POST). `ext`: "
                "calling extension → workstation → room; `key`: device token (or a header); `press`: id of "
                "the call (e.g. the call id).",
}


def _phone(request: HttpRequest, ext: str, press: str, level: int | None):
    press = "".join(ch for ch in press if ch.isalnum() or ch in "-_.:@")[:64]
    return _raise(request.auth, level, press, extension=ext)


@router.get("/alarms/phone", operation_id="alarm_phone_get", **PHONE_DOC)
def phone_get(request: HttpRequest, ext: str = "", press: str = "", level: Literal[1, 2, 3] | None = None):
    return _phone(request, ext, press, level)


@router.post("/alarms/phone", operation_id="alarm_phone_post", **PHONE_DOC)
def phone_post(request: HttpRequest, ext: str = "", press: str = "", level: Literal[1, 2, 3] | None = None):
    return _phone(request, ext, press, level)
