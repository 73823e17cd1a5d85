"""The alarm WebSocket with the real ASGI app and channel layer: trigger, automatic receipt with
stored latency, "Ich komme" shown to the trigger, all-clear, reconnect shows active alarms, and who
may not connect or receive."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.contrib.sessions.backends.db import SessionStore

from buergerkontakt.alarms import consumers, services
from buergerkontakt.alarms.models import Alarm, Delivery, Workstation
from buergerkontakt.asgi import application
from buergerkontakt.core.models import Role, Room
from tests.asyncrun import run_async
from tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = (b"origin", b"http://localhost")
db = database_sync_to_async


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.REQUIRE_2FA = False
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"


def session_cookie(user, *, verified: bool = True) -> bytes:
    store = SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    store["_auth_user_hash"] = user.get_session_auth_hash()
    if verified:
        store["otp_device_id"] = "otp_totp.totpdevice/1"
    store.create()
    return f"{django_settings.SESSION_COOKIE_NAME}={store.session_key}".encode()


async def connect(user=None, *, extra_cookie: str = "", verified: bool = True):
    cookie = (await db(session_cookie)(user, verified=verified)) if user else b""
    if extra_cookie:
        cookie = cookie + b"; " + extra_cookie.encode() if cookie else extra_cookie.encode()
    headers = [ORIGIN] + ([(b"cookie", cookie)] if cookie else [])
    client = WebsocketCommunicator(application, "/ws/alarm/", headers=headers)
    connected, code = await client.connect(timeout=5)
    return client, connected, code


async def next_event(client, event: str, timeout: float = 5):
    while True:
        message = await client.receive_json_from(timeout=timeout)
        if message.get("event") == event:
            return message


@pytest.fixture
def people(org):
    neighbour_room = Room.objects.create(floor=org.room.floor, number="1.11")
    org.room.neighbours.add(neighbour_room)
    neighbour = make_user("nachbar", org.authority, Role.CASEWORKER, scope=org.team,
                          workstation_room=neighbour_room)
    stranger = make_user("fremd", org.other_authority, Role.CASEWORKER, workstation_room=neighbour_room)
    return org.users["caseworker"], neighbour, org.users["security"], stranger


def test_raise_receive_confirm_respond_and_resolve(people):
    trigger, neighbour, security, stranger = people

    async def scenario():
        t, ok, _ = await connect(trigger)
        n, ok2, _ = await connect(neighbour)
        s, ok3, _ = await connect(security)
        x, ok4, _ = await connect(stranger)
        assert ok and ok2 and ok3 and ok4
        for client in (t, n, s, x):
            await next_event(client, "hello")
        await t.send_json_to({"type": "raise", "level": 2})
        raised = await next_event(t, "raised")
        alarm_id = raised["alarm"]["id"]
        assert raised["alarm"]["room"] == "1.10" and raised["grace"] == django_settings.ALARM_GRACE_SECONDS
        for client, role in ((n, "neighbour"), (s, "security")):
            got = await next_event(client, "alarm")
            assert got["alarm"]["id"] == alarm_id and got["role"] == role
            assert got["alarm"]["person"] == "Caseworker Test" and got["instruction"]
            await client.send_json_to({"type": "received", "alarm": alarm_id})
        assert (await next_event(s, "console"))["alarm"] == alarm_id
        await n.send_json_to({"type": "respond", "alarm": alarm_id, "response": "coming"})
        coming = await next_event(t, "responses")
        assert [r["name"] for r in coming["responders"]] == ["Nachbar Test"]
        # Another authority's staff in the same corridor hears nothing.
        assert await x.receive_nothing(timeout=0.3)
        # Someone else cannot withdraw; security gives the all-clear.
        await n.send_json_to({"type": "withdraw", "alarm": alarm_id})
        assert "Nur wer den Alarm ausgelöst hat" in (await next_event(n, "error"))["message"]
        await s.send_json_to({"type": "resolve", "alarm": alarm_id})
        ended = await next_event(t, "ended")
        assert ended == {"event": "ended", "alarm": alarm_id, "status": "resolved"}
        assert (await next_event(n, "ended"))["alarm"] == alarm_id
        for client in (t, n, s, x):
            await client.disconnect()
        await consumers.receipts.drain()
        return alarm_id

    alarm_id = run_async(scenario)
    received = Delivery.objects.filter(alarm_id=alarm_id, received_at__isnull=False)
    assert received.count() == 2 and all(d.latency_ms is not None and d.latency_ms >= 0 for d in received)
    assert Alarm.objects.get(pk=alarm_id).status == Alarm.Status.RESOLVED


def test_reconnecting_client_is_shown_every_active_alarm(people):
    trigger, neighbour, _security, _stranger = people
    alarm = services.raise_alarm(trigger, level=1)

    async def scenario():
        n, ok, _ = await connect(neighbour)
        assert ok
        hello = await next_event(n, "hello")
        assert [a["alarm"]["id"] for a in hello["alarms"]] == [alarm.pk]
        t, _, _ = await connect(trigger)
        assert [a["alarm"]["id"] for a in (await next_event(t, "hello"))["own"]] == [alarm.pk]
        await n.disconnect()
        await t.disconnect()

    run_async(scenario)


@pytest.mark.parametrize("who", ["anonymous", "citizen", "unverified", "professional"])
def test_who_may_not_connect(org, who):
    async def scenario():
        if who == "anonymous":
            _, ok, code = await connect(None)
        elif who == "citizen":
            _, ok, code = await connect(await db(make_user)("buerger", None))
        elif who == "unverified":
            django_settings.REQUIRE_2FA = True
            _, ok, code = await connect(org.users["caseworker"], verified=False)
        else:
            _, ok, code = await connect(org.users["professional"])
        assert not ok and code == 4403

    run_async(scenario)


def test_heartbeat_keeps_a_registered_workstation_online(people, settings):
    trigger = people[0]
    workstation, token = services.register_workstation(trigger, trigger.workstation_room, "PC")

    async def scenario():
        t, ok, _ = await connect(trigger, extra_cookie=f"bk_workstation={token}")
        assert ok
        hello = await next_event(t, "hello")
        assert hello["registered"] is True
        connected_at = (await db(Workstation.objects.get)(pk=workstation.pk)).last_seen_at
        await t.send_json_to({"type": "ping"})
        assert await next_event(t, "pong") == {"event": "pong"}
        await consumers.heartbeats.drain()  # heartbeats are written in batches, within a second
        assert (await db(Workstation.objects.get)(pk=workstation.pk)).last_seen_at > connected_at
        await t.disconnect()
        await consumers.closings.drain()  # closed connections are counted down in batches too

    run_async(scenario)
    workstation.refresh_from_db()
    assert workstation.last_seen_at is not None and workstation.connections == 0


def test_bad_messages_get_german_errors(people):
    async def scenario():
        t, _, _ = await connect(people[0])
        await next_event(t, "hello")
        for message, text in (({"type": "raise", "level": 7}, "Unbekannte Alarmstufe"),
                              ({"type": "respond"}, "Unvollständige Nachricht"),
                              ({"type": "resolve", "alarm": 999999}, "gibt es nicht"),
                              ({"type": "hack"}, "Unbekannte Nachricht")):
            await t.send_json_to(message)
            assert text in (await next_event(t, "error"))["message"]
        await t.disconnect()

    run_async(scenario)
    assert not Alarm.objects.exists()


def test_reach_is_asked_again_and_follows_colleagues_coming_online(people):
    trigger, neighbour = people[0], people[1]
    services.register_workstation(trigger, trigger.workstation_room, "PC")
    _, neighbour_token = services.register_workstation(neighbour, neighbour.workstation_room, "PC 2")

    async def scenario():
        t, _, _ = await connect(trigger)
        assert (await next_event(t, "hello"))["reach"] == 0  # nobody online: the page warns
        n, ok, _ = await connect(neighbour, extra_cookie=f"bk_workstation={neighbour_token}")
        assert ok
        await next_event(n, "hello")
        await t.send_json_to({"type": "reach"})
        assert (await next_event(t, "reach"))["reach"] == 1
        await n.disconnect()
        await t.disconnect()

    run_async(scenario)


def test_trigger_sees_live_who_got_it_who_has_seen_it_and_who_is_coming(people):
    trigger, neighbour, security, _stranger = people

    async def scenario():
        t, _, _ = await connect(trigger)
        n, _, _ = await connect(neighbour)
        s, _, _ = await connect(security)
        for client in (t, n, s):
            await next_event(client, "hello")
        await t.send_json_to({"type": "raise", "level": 2})
        alarm_id = (await next_event(t, "raised"))["alarm"]["id"]
        await next_event(n, "alarm")
        await n.send_json_to({"type": "received", "alarm": alarm_id, "visible": False})
        status = (await next_event(t, "status"))["status"]
        assert status["delivered"] == status["first_circle"] == {"count": 1, "names": ["Nachbar Test"]}
        assert status["seen"]["count"] == 0 and status["undelivered"]["count"] == 2
        await n.send_json_to({"type": "seen", "alarm": alarm_id})
        assert (await next_event(t, "status"))["status"]["seen"] == {"count": 1, "names": ["Nachbar Test"]}
        await next_event(s, "alarm")
        await s.send_json_to({"type": "respond", "alarm": alarm_id, "response": "cannot"})
        status = (await next_event(t, "status"))["status"]
        assert status["cannot"]["names"] == ["Security Test"] and status["coming"] == []
        for client in (t, n, s):
            await client.disconnect()
        return alarm_id

    alarm_id = run_async(scenario)
    row = Delivery.objects.get(alarm_id=alarm_id, user=neighbour)
    assert row.received_visibility == "hidden" and row.seen_at is not None and row.response == ""


def test_an_alarm_whose_push_was_lost_reaches_the_client_at_its_next_resync(people, monkeypatch):
    """The layer was away when the alarm was pushed: the client's periodic re-read shows it, and
    tells the trigger who has not got it yet."""
    from buergerkontakt.alarms import live, queries

    trigger, neighbour, _security, _stranger = people
    monkeypatch.setattr(live, "_push", lambda batches: None)  # every push is lost

    async def scenario():
        n, _, _ = await connect(neighbour)
        t, _, _ = await connect(trigger)
        await next_event(n, "hello")
        await next_event(t, "hello")
        await n.send_json_to({"type": "sync"})
        assert (await next_event(n, "sync"))["alarms"] == []
        alarm = await db(services.raise_alarm)(trigger, level=2)
        # A page that shows an alarm newer than the process's index is read from the database: the
        # index of the last second never hides a banner that was just pushed.
        await n.send_json_to({"type": "sync", "showing": [alarm.pk]})
        assert [a["alarm"]["id"] for a in (await next_event(n, "sync"))["alarms"]] == [alarm.pk]
        monkeypatch.setattr(queries, "_index", (float("-inf"), frozenset(), 0))  # the next second
        await n.send_json_to({"type": "sync"})
        synced = await next_event(n, "sync")
        assert [(a["alarm"]["id"], a["role"]) for a in synced["alarms"]] == [(alarm.pk, "neighbour")]
        await t.send_json_to({"type": "sync"})
        own = (await next_event(t, "sync"))["own"]
        waiting = own[0]["status"]["undelivered"]["names"]
        assert sorted(waiting) == ["Nachbar Test", "Security Test", "Teamlead Test"]
        for client in (n, t):
            await client.disconnect()

    run_async(scenario)


def test_banner_follows_the_recipients_language(people):
    trigger, neighbour, _security, _stranger = people
    earlier = services.raise_alarm(trigger, level=3)

    async def scenario():
        headers = [ORIGIN, (b"cookie", await db(session_cookie)(neighbour)), (b"accept-language", b"en")]
        n = WebsocketCommunicator(application, "/ws/alarm/", headers=headers)
        assert (await n.connect(timeout=5))[0]
        hello = await next_event(n, "hello")
        assert hello["alarms"][0]["alarm"]["id"] == earlier.pk
        assert hello["alarms"][0]["instruction"].startswith("Danger in the building")
        t, _, _ = await connect(trigger)
        await next_event(t, "hello")
        await t.send_json_to({"type": "raise", "level": 3})
        pushed = await next_event(n, "alarm")
        assert pushed["texts"]["en"]["instruction"].startswith("Danger in the building")
        assert pushed["texts"]["de"]["instruction"].startswith("Gefahr im Gebäude")
        assert pushed["texts"]["en"]["level_label"] != pushed["texts"]["de"]["level_label"]
        for client in (n, t):
            await client.disconnect()

    run_async(scenario)
