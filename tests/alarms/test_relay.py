"""The alarm relay (alarms/relay.py): a push is one channel-layer message per server process, fanned
out in memory to the process's connections – every recipient exactly once, with its own role's
text; a slow socket holds nobody else up; an alarm committed while a page connects is not lost;
the relay joins its group again when the channel layer forgot it."""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.layers import get_channel_layer

from buergerkontakt.alarms import consumers, relay, services
from buergerkontakt.alarms.models import Delivery
from buergerkontakt.core.models import Role, Room
from tests.alarms.test_consumers import connect, next_event
from tests.asyncrun import run_async
from tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.REQUIRE_2FA = False
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"


@pytest.fixture
def building(org):
    """The trigger in 1.10, two neighbours, security, and eight colleagues elsewhere in the building."""
    floor = org.room.floor
    neighbour_rooms = [Room.objects.create(floor=floor, number=f"1.1{n}") for n in (1, 2)]
    org.room.neighbours.add(*neighbour_rooms)
    upstairs = Room.objects.create(floor=floor, number="1.40")
    neighbours = [make_user(f"nachbar{n}", org.authority, Role.CASEWORKER, scope=org.team,
                            workstation_room=room) for n, room in enumerate(neighbour_rooms)]
    others = [make_user(f"kollege{n}", org.authority, Role.CASEWORKER, workstation_room=upstairs)
              for n in range(8)]
    return org.users["caseworker"], neighbours, org.users["security"], others


def test_level_3_is_one_layer_message_and_reaches_everybody_once_with_their_role(building):
    trigger, neighbours, security, others = building
    recipients = [*neighbours, security, *others]
    sends: list[str] = []

    async def scenario():
        layer = get_channel_layer()
        original = layer.group_send

        async def counting(group, message):
            sends.append(group)
            await original(group, message)

        layer.group_send = counting
        try:
            t, _ok, _ = await connect(trigger)
            clients = [(await connect(user))[0] for user in recipients]
            for client in (t, *clients):
                await next_event(client, "hello")
            sends.clear()
            await t.send_json_to({"type": "raise", "level": 3})
            alarm_id = (await next_event(t, "raised"))["alarm"]["id"]
            got = {user.username: await next_event(client, "alarm")
                   for user, client in zip(recipients, clients, strict=True)}
            for client in clients:  # exactly once: the local write and the layer message are not doubled
                while not await client.receive_nothing(timeout=0.2):
                    assert (await client.receive_json_from())["event"] == "console"  # security's console
            for client in (t, *clients):
                await client.disconnect()
            await consumers.receipts.drain()
            return alarm_id, got
        finally:
            layer.group_send = original

    alarm_id, got = run_async(scenario)
    # Circle 1 (neighbours, security) and the rest of the building: two pushes, one message each.
    assert sends == [relay.GROUP, relay.GROUP]
    assert {name: event["role"] for name, event in got.items()} == {
        "nachbar0": "neighbour", "nachbar1": "neighbour", "security": "security",
        **{f"kollege{n}": "building" for n in range(8)},
    }
    assert all(event["alarm"]["id"] == alarm_id for event in got.values())
    assert "110" in got["security"]["instruction"]
    assert "Meiden Sie Raum 1.10" in got["kollege0"]["instruction"]
    stored = Delivery.objects.filter(alarm_id=alarm_id)  # (the org's team lead too, not connected here)
    assert {u.pk for u in recipients} <= set(stored.values_list("user_id", flat=True))
    assert set(stored.values_list("circle", flat=True)) == {1, 2}


class _Socket:
    def __init__(self, stuck: bool = False):
        self.texts: list[str] = []
        self.stuck = asyncio.Event() if stuck else None

    async def relay_send(self, text: str) -> None:
        if self.stuck is not None:
            await self.stuck.wait()  # a client that does not read: its socket buffer is full
        self.texts.append(text)


def test_a_stuck_socket_does_not_hold_up_the_others():
    async def scenario():
        r = relay.Relay()
        fast, stuck, other = _Socket(), _Socket(stuck=True), _Socket()
        await r.attach(fast, relay.user_address(1))
        await r.attach(stuck, relay.user_address(2))
        await r.attach(other, relay.user_address(3), relay.security_address(9))
        text = json.dumps({"event": "alarm"})
        started = r.deliver({"batches": [relay.batch(text, users=[1, 2, 3]),
                                         relay.batch("console", security=[9, 4])]})
        # Written synchronously to everybody but the stuck socket, before anything else runs.
        assert started == 4 and fast.texts == [text] and other.texts == [text, "console"]
        assert stuck.texts == [] and len(r.writing) == 1
        stuck.stuck.set()
        for _ in range(3):
            await asyncio.sleep(0)
        assert stuck.texts == [text] and not r.writing
        r.detach(other)
        assert r.deliver({"batches": [relay.batch(text, users=[3], security=[9])]}) == 0
        r.task.cancel()

    asyncio.run(scenario())


def test_an_alarm_committed_while_a_page_connects_follows_its_hello(building, monkeypatch):
    """The window between reading the active alarms and accepting the socket: the alarm is not in
    the hello, so it must be pushed right after it."""
    trigger, neighbours, _security, _others = building
    real_hello = consumers._hello
    raised = []

    def hello_then_alarm(user, workstation):
        hello = real_hello(user, workstation)
        if user == neighbours[0] and not raised:
            raised.append(services.raise_alarm(trigger, level=1))
        return hello

    monkeypatch.setattr(consumers, "_hello", hello_then_alarm)

    async def scenario():
        n, ok, _ = await connect(neighbours[0])
        assert ok
        hello = await n.receive_json_from(timeout=5)
        assert hello["event"] == "hello" and hello["alarms"] == []
        pushed = await next_event(n, "alarm")
        await n.disconnect()
        return pushed

    pushed = run_async(scenario)
    assert pushed["alarm"]["id"] == raised[0].pk and pushed["role"] == "neighbour"


def test_the_relay_joins_its_group_again_when_the_layer_forgot_it(building, monkeypatch):
    _trigger, neighbours, _security, _others = building
    monkeypatch.setattr(relay, "REFRESH_SECONDS", 0.05)

    async def scenario():
        layer = get_channel_layer()
        n, ok, _ = await connect(neighbours[0])
        assert ok
        await next_event(n, "hello")
        await layer.group_discard(relay.GROUP, relay.relay.channel)  # e.g. Redis restarted
        await asyncio.sleep(0.3)
        # What another server process (or the task worker escalating) sends:
        text = json.dumps({"event": "nobody", "alarm": 42})
        await layer.group_send(relay.GROUP, {"type": relay.MESSAGE_TYPE,
                                             "batches": [relay.batch(text, users=[neighbours[0].pk])]})
        got = await next_event(n, "nobody")
        await n.disconnect()
        return got

    assert run_async(scenario) == {"event": "nobody", "alarm": 42}


def test_a_hung_layer_neither_delays_the_acknowledgement_nor_the_local_recipients(building, monkeypatch):
    """Redis hangs: the trigger's acknowledgement comes from the database commit, the connections of
    the raising process get the alarm at once, and the layer push is retried in the background."""
    trigger, neighbours, security, _others = building
    monkeypatch.setattr(relay, "SEND_TIMEOUT", 0.2)
    attempts: list[str] = []

    async def scenario():
        layer = get_channel_layer()
        original, release = layer.group_send, asyncio.Event()

        async def hung(group, message):
            attempts.append(group)
            await release.wait()  # Redis does not answer until it is resumed
            await original(group, message)

        t, _ok, _ = await connect(trigger)
        clients = [(await connect(user))[0] for user in (*neighbours, security)]
        for client in (t, *clients):
            await next_event(client, "hello")
        layer.group_send = hung
        try:
            await t.send_json_to({"type": "raise", "level": 2})
            raised = await next_event(t, "raised")
            for client in clients:
                assert (await next_event(client, "alarm"))["alarm"]["id"] == raised["alarm"]["id"]
            while len(attempts) < 2:  # the push is not given up after one hung attempt
                await asyncio.sleep(0.05)
        finally:
            release.set()
            layer.group_send = original
        for client in (t, *clients):
            await client.disconnect()
        return raised["alarm"]["id"]

    alarm_id = run_async(scenario)
    assert Delivery.objects.filter(alarm_id=alarm_id).count() == 4  # neighbours, security, team lead


def test_after_a_layer_error_every_connection_re_reads_its_alarms():
    class Reconnecting(_Socket):
        def __init__(self):
            super().__init__()
            self.resyncs = 0

        async def resync(self) -> None:
            self.resyncs += 1

    async def scenario():
        local = relay.Relay()
        sockets = [Reconnecting() for _ in range(3)]
        for n, socket in enumerate(sockets):
            local.addresses.setdefault(relay.user_address(n), set()).add(socket)
            local.joined_by.setdefault(socket, set()).add(relay.user_address(n))
        assert local.resync_all() == 3
        while local.writing:
            await asyncio.sleep(0)
        return [s.resyncs for s in sockets]

    assert run_async(scenario) == [1, 1, 1]
