"""The desktop agent's receive channel ``ws/alarm/agent/`` with the real ASGI app: authenticated by
the device token, it gets the alarms of the person at its workstation like that person's pages, its
"seen" and "Ich komme" count as the person's, its ping is the device's heartbeat, and a revoked
token is refused (also on an open connection, at the next ping)."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from buergerkontakt.alarms import consumers, devices, services
from buergerkontakt.alarms.models import Delivery
from buergerkontakt.asgi import application
from buergerkontakt.core.models import Role, Room
from tests.alarms.device_builders import enrolled, workstation
from tests.alarms.test_consumers import next_event
from tests.asyncrun import run_async
from tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = (b"origin", b"http://localhost")
db = database_sync_to_async


async def agent(token: str | None):
    headers = [ORIGIN] + ([(b"authorization", f"Bearer {token}".encode())] if token else [])
    client = WebsocketCommunicator(application, "/ws/alarm/agent/", headers=headers)
    connected, code = await client.connect(timeout=5)
    return client, connected, code


@pytest.fixture
def two_desks(org):
    """Agent A at PC 1.10 (caseworker), agent B at PC 1.11 next door (neighbour)."""
    neighbour_room = Room.objects.create(floor=org.room.floor, number="1.11")
    org.room.neighbours.add(neighbour_room)
    neighbour = make_user("nachbar", org.authority, Role.CASEWORKER, scope=org.team)
    a = workstation(org, person=org.users["caseworker"])
    b = workstation(org, room=neighbour_room, name="PC 1.11", person=neighbour)
    return org, neighbour, enrolled(org, a), enrolled(org, b, name="Agent PC 1.11")


def test_agent_b_receives_the_alarm_of_agent_a_and_its_answer_reaches_a(two_desks):
    org, neighbour, (device_a, token_a), (_device_b, token_b) = two_desks

    async def scenario():
        a, ok_a, _ = await agent(token_a)
        b, ok_b, _ = await agent(token_b)
        assert ok_a and ok_b
        hello = await next_event(b, "hello")
        assert hello["device"]["room"] == "1.11"
        alarm, _replayed = await db(devices.raise_from_device)(device_a, press_id="x1")
        got = await next_event(b, "alarm")
        assert got["alarm"]["id"] == alarm.pk and got["alarm"]["room"] == "1.10"
        await b.send_json_to({"type": "received", "alarm": alarm.pk})
        await b.send_json_to({"type": "seen", "alarm": alarm.pk})
        await b.send_json_to({"type": "respond", "alarm": alarm.pk, "response": "coming"})
        responses = await next_event(a, "responses")
        assert [r["response"] for r in responses["responders"]] == ["coming"]
        await consumers.receipts.drain()
        await consumers.sightings.drain()
        for client in (a, b):
            await client.disconnect()
        return alarm

    alarm = run_async(scenario)
    delivery = Delivery.objects.get(alarm=alarm, user=neighbour)
    assert delivery.received_at and delivery.seen_at and delivery.response == "coming"
    assert alarm.raised_by == org.users["caseworker"]


def test_a_ping_is_the_devices_heartbeat(two_desks):
    _org, _neighbour, (device_a, token_a), _b = two_desks

    async def scenario():
        a, ok, _ = await agent(token_a)
        assert ok
        await next_event(a, "hello")
        await a.send_json_to({"type": "ping", "version": "2.0.0"})
        await next_event(a, "pong")
        await consumers.agent_heartbeats.drain()
        await a.disconnect()

    run_async(scenario)
    device_a.refresh_from_db()
    assert devices.is_online(device_a) and device_a.agent_version == "2.0.0"


def test_revoked_unknown_or_missing_tokens_are_refused(two_desks):
    _org, _neighbour, (device_a, token_a), _b = two_desks

    async def scenario():
        a, ok, _ = await agent(token_a)
        assert ok
        await next_event(a, "hello")
        await db(devices.revoke)(device_a)
        await a.send_json_to({"type": "ping"})
        closed = await a.receive_output(timeout=5)
        assert closed == {"type": "websocket.close", "code": consumers.AGENT_UNAUTHORIZED}
        for token in (token_a, "bkd_made-up", None):
            _client, connected, code = await agent(token)
            assert not connected and code == consumers.AGENT_UNAUTHORIZED

    run_async(scenario)


def test_a_workstation_without_a_person_is_told_so(org):
    lonely = workstation(org, name="PC leer")
    _device, token = enrolled(org, lonely)

    async def scenario():
        _client, connected, code = await agent(token)
        assert not connected and code == consumers.AGENT_NOBODY

    run_async(scenario)


def test_the_agents_answer_stops_the_escalation_like_a_pages(two_desks):
    from datetime import timedelta

    from django.utils import timezone

    _org, _neighbour, (device_a, _token_a), (_device_b, token_b) = two_desks

    async def scenario():
        b, ok, _ = await agent(token_b)
        assert ok
        await next_event(b, "hello")
        alarm, _ = await db(devices.raise_from_device)(device_a)
        await next_event(b, "alarm")
        await b.send_json_to({"type": "respond", "alarm": alarm.pk, "response": "on_site"})
        await b.send_json_to({"type": "ping"})
        await next_event(b, "pong")
        await b.disconnect()
        return alarm

    alarm = run_async(scenario)
    assert services.escalate(alarm.pk, now=timezone.now() + timedelta(minutes=5)) == 0
    alarm.refresh_from_db()
    assert alarm.escalated_at is None and alarm.fallback_sent_at is None


def test_a_raise_over_the_agents_socket_is_the_devices_raise(two_desks):
    org, _neighbour, (device_a, token_a), _b = two_desks
    from buergerkontakt.alarms.models import Alarm

    async def scenario():
        a, ok, _ = await agent(token_a)
        assert ok
        await next_event(a, "hello")
        await a.send_json_to({"type": "raise", "press_id": "ws-1"})
        first = await next_event(a, "raised")
        await a.send_json_to({"type": "raise", "press_id": "ws-1"})
        again = await next_event(a, "raised")
        await a.disconnect()
        return first, again

    first, again = run_async(scenario)
    assert first["replayed"] is False and again["replayed"] is True
    assert first["alarm"]["id"] == again["alarm"]["id"] and first["alarm"]["room"] == "1.10"
    alarm = Alarm.objects.get()
    assert (alarm.device, alarm.press_id, alarm.raised_by) == (device_a, "ws-1", org.users["caseworker"])
