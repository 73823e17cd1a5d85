"""``ws/alarm/``: the alarm connection every staff page keeps open.

Only signed-in staff (with the second factor when required) connect; a workstation identifies
itself by its device cookie. On connect the client gets every active alarm it must see; it confirms
receipt of each alarm automatically (with whether the page was visible), reports when the alarm
was actually seen (page visible and focused), answers "Ich komme" / "Vor Ort" / "Kann nicht",
raises, withdraws and resolves alarms over the same connection, and heartbeats (``ping``) so the
security console sees it online.
"""

from __future__ import annotations

import logging

from channels.db import database_sync_to_async
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from buergerkontakt.core.consumers import LiveConsumer
from buergerkontakt.core.permissions import is_staff_member

from . import devices, queries, services
from .batching import Batcher
from .relay import relay, security_address, user_address
from .workplace import current_place

log = logging.getLogger(__name__)

DEVICE_COOKIE = "bk_workstation"
FORBIDDEN = 4403
# Receipts are written within RECEIPT_DELAY of arrival (their time is taken on arrival); heartbeats
# within HEARTBEAT_DELAY – far below the offline limit of ALARM_OFFLINE_SECONDS.
RECEIPT_DELAY, HEARTBEAT_DELAY = 0.05, 1.0
receipts = Batcher(services.confirm_receipts, RECEIPT_DELAY)
sightings = Batcher(services.mark_seen_many, RECEIPT_DELAY)
heartbeats = Batcher(lambda items: services.heartbeats(items.keys()), HEARTBEAT_DELAY)
# A thousand pages closing at once (a restart, the end of the day) must not queue a thousand writes
# in front of the next alarm: connection counts go down in batches too.
closings = Batcher(services.disconnected_many, RECEIPT_DELAY)


def _allowed(scope) -> bool:
    user = scope.get("user")
    if user is None or not user.is_authenticated or not user.is_active or not user.authority_id:
        return False
    if settings.REQUIRE_2FA and not scope.get("session", {}).get("otp_device_id"):
        return False
    return is_staff_member(user)


class _Headers:
    """What ``get_language_from_request`` reads, from the WebSocket's scope."""

    def __init__(self, scope) -> None:
        self.COOKIES = scope.get("cookies", {})
        headers = dict(scope.get("headers", ()))
        self.META = {"HTTP_ACCEPT_LANGUAGE": headers.get(b"accept-language", b"").decode("latin-1")}


def connection_language(scope) -> str:
    """The language of the page that opened the connection (language cookie, then the browser's
    Accept-Language), as for the page itself: banner and instruction follow it."""
    return translation.get_language_from_request(_Headers(scope), check_path=False)


def _hello(user, workstation) -> dict:
    received, own = queries.active_for(user)
    return {
        "event": "hello",
        "alarms": received,
        "own": own,
        "reach": queries.reachable(user, workstation),
        "registered": current_place(user, workstation=workstation).known,
        "security_locations": [location.pk for location in queries.security_locations(user)],
    }


class AlarmConsumer(LiveConsumer):
    # Pushes come through this process's relay (relay.py), not through a channel of each connection.
    channel_layer_alias = None

    async def connect(self):
        self.accepted, self.pending = False, []
        if not await database_sync_to_async(_allowed)(self.scope):
            await self.close(code=FORBIDDEN)
            return
        self.user = self.scope["user"]
        self.language = connection_language(self.scope)
        # Registered before the active alarms are read: an alarm committed in between is pushed
        # (and held in ``pending`` until the hello has gone out), never lost.
        await relay.attach(self, user_address(self.user.pk))
        try:
            token = self.scope.get("cookies", {}).get(DEVICE_COOKIE)
            self.workstation = await database_sync_to_async(services.workstation_for)(token, self.user)
            hello = await database_sync_to_async(self.translated)(_hello, self.user, self.workstation)
            await relay.attach(self, *(security_address(pk) for pk in hello["security_locations"]))
        except BaseException:  # no disconnect follows a failed connect: leave the registry now
            relay.detach(self)
            raise
        await self.accept()
        if self.workstation:
            await database_sync_to_async(services.connected)(self.workstation.pk, self.user)
        await self.send_json(hello)
        while self.pending:  # in order; anything arriving meanwhile is appended and sent here too
            await self._send_text(self.pending.pop(0))
        self.accepted = True

    async def disconnect(self, code):
        relay.detach(self)
        await super().disconnect(code)
        if getattr(self, "workstation", None):
            closings.add(object(), self.workstation.pk)

    async def relay_send(self, text: str) -> None:
        """An event pushed through the relay, already encoded."""
        if not self.accepted:
            self.pending.append(text)
            return
        await self._send_text(text)

    async def resync(self, showing=()) -> None:
        """Send every active alarm this person must see (the client's timer, and this process after a
        channel-layer error: pushes may have been lost meanwhile)."""
        if not self.accepted:
            return
        await self.send_json(
            await database_sync_to_async(self.translated)(queries.sync_for, self.user, showing)
        )

    def translated(self, read, *args):
        with translation.override(self.language):
            return read(*args)

    async def _send_text(self, text: str) -> None:
        try:
            await self.send(text_data=text)
        except Exception:  # the socket is going away; its disconnect cleans up
            log.debug("alarm push to a closing connection failed", exc_info=True)

    # --- from the client --------------------------------------------------------------------------------
    async def on_ping(self) -> None:
        if self.workstation:
            heartbeats.add(self.workstation.pk, None)

    async def receive_message(self, content: dict) -> None:
        kind = content.get("type")
        try:
            if kind == "received":  # delivered (automatic, before anything is shown)
                visible = content.get("visible")
                page = services.visibility(visible if isinstance(visible, bool) else None)
                receipts.add((int(content["alarm"]), self.user.pk), (timezone.now(), page))
            elif kind == "seen":  # shown on a visible, focused page (or the agent's window)
                sightings.add((int(content["alarm"]), self.user.pk), timezone.now())
            elif kind == "respond":
                await database_sync_to_async(services.respond)(
                    int(content["alarm"]), self.user, str(content.get("response", ""))
                )
            elif kind == "sync":
                showing = [int(pk) for pk in content.get("showing", ())[:20]]
                await self.resync(showing)
            elif kind == "reach":
                reach = await database_sync_to_async(queries.reachable)(self.user, self.workstation)
                await self.send_json({"event": "reach", "reach": reach})
            elif kind == "raise":
                alarm = await database_sync_to_async(services.raise_alarm)(
                    self.user, level=int(content.get("level", 2)), workstation=self.workstation
                )
                payload = await database_sync_to_async(queries.alarm_payload)(alarm.pk)
                status = await database_sync_to_async(queries.trigger_status)(alarm.pk)
                await self.send_json({"event": "raised", "alarm": payload, "status": status,
                                      "grace": settings.ALARM_GRACE_SECONDS})
            elif kind == "withdraw":
                await database_sync_to_async(services.withdraw)(int(content["alarm"]), self.user)
            elif kind == "resolve":
                await database_sync_to_async(services.resolve)(int(content["alarm"]), self.user)
            else:
                await self.send_json({"event": "error", "message": _("Unbekannte Nachricht.")})
        except services.AlarmError as exc:
            await self.send_json({"event": "error", "message": exc.message})
        except (KeyError, TypeError, ValueError):
            await self.send_json({"event": "error", "message": _("Unvollständige Nachricht.")})



# --- the desktop agent ----------------------------------------------------------------------------------
AGENT_UNAUTHORIZED, AGENT_NOBODY, AGENT_MOVED = 4401, 4409, 4000
agent_heartbeats = Batcher(lambda items: devices.heartbeats(items), HEARTBEAT_DELAY)


def _token_from_headers(scope) -> str | None:
    headers = dict(scope.get("headers", ()))
    bearer = headers.get(b"authorization", b"").decode("latin-1")
    if bearer[:7].lower() == "bearer ":
        return bearer[7:].strip() or None
    return headers.get(b"x-device-key", b"").decode("latin-1") or None


def _agent_identity(token: str | None):
    """(device, person at its workstation) of an agent's token; (None, None) if refused."""
    device = devices.device_for(token)
    if device is None or device.kind != devices.Device.Kind.AGENT or device.workstation is None:
        return None, None
    return device, devices.person_at(device.workstation)


class AgentConsumer(AlarmConsumer):
    """``ws/alarm/agent/``: the desktop agent's receive channel (alarms/devices.py). Authenticated by
    the device token (``Authorization: Bearer``), not by a session: it receives the alarms of the
    person working at the agent's workstation through the same relay as that person's pages, and
    speaks the same protocol – its "received", "seen" (the agent's window was shown) and the
    answers "Ich komme" / "Vor Ort" / "Kann nicht" count like a page's. Its ping is the device's
    heartbeat; a revoked token or a new person at the workstation closes the connection (the agent
    connects again, as the new person)."""

    async def connect(self):
        self.accepted, self.pending = False, []
        token = _token_from_headers(self.scope)
        self.device, self.user = await database_sync_to_async(_agent_identity)(token)
        if self.device is None:
            await self.close(code=AGENT_UNAUTHORIZED)
            return
        if self.user is None:
            await self.close(code=AGENT_NOBODY)
            return
        self.token, self.workstation = token, self.device.workstation
        self.language = connection_language(self.scope)
        await relay.attach(self, user_address(self.user.pk))
        try:
            hello = await database_sync_to_async(self.translated)(_hello, self.user, self.workstation)
            hello["device"] = {"name": self.device.name, "workstation": self.workstation.name,
                               "room": self.workstation.room.number}
            await relay.attach(self, *(security_address(pk) for pk in hello["security_locations"]))
        except BaseException:
            relay.detach(self)
            raise
        await self.accept()
        await database_sync_to_async(services.connected)(self.workstation.pk, self.user)
        agent_heartbeats.add(self.device.pk, None)
        await self.send_json(hello)
        while self.pending:
            await self._send_text(self.pending.pop(0))
        self.accepted = True

    async def receive_json(self, content, **kwargs):
        if isinstance(content, dict) and content.get("type") == "ping":
            device, person = await database_sync_to_async(_agent_identity)(self.token)
            if device is None:
                await self.close(code=AGENT_UNAUTHORIZED)
                return
            if person is None or person.pk != self.user.pk:
                await self.close(code=AGENT_MOVED)
                return
            version = content.get("version")
            agent_heartbeats.add(self.device.pk, str(version)[:40] if version else None, latest=True)
            heartbeats.add(self.workstation.pk, None)
            await self.send_json({"event": "pong"})
            return
        if isinstance(content, dict) and content.get("type") == "raise":
            await self._raise_from_device(content)
            return
        await super().receive_json(content, **kwargs)

    async def _raise_from_device(self, content: dict) -> None:
        """A raise over the socket is the device's raise: from its room, idempotent per press."""
        try:
            level = content.get("level")
            alarm, replayed = await database_sync_to_async(devices.raise_from_device)(
                self.device, level=int(level) if level is not None else None,
                press_id=str(content.get("press_id", ""))[:64])
        except devices.DeviceError as exc:
            await self.send_json({"event": "error", "message": exc.message})
            return
        except (TypeError, ValueError):
            await self.send_json({"event": "error", "message": _("Unvollständige Nachricht.")})
            return
        payload = await database_sync_to_async(self.translated)(queries.alarm_payload, alarm.pk)
        status = await database_sync_to_async(queries.trigger_status)(alarm.pk)
        await self.send_json({"event": "raised", "alarm": payload, "status": status, "replayed": replayed,
                              "press_id": alarm.press_id, "grace": settings.ALARM_GRACE_SECONDS})
