"""Two server processes sharing the Redis channel layer (CI's PostgreSQL/Redis lane): an alarm
raised on one process reaches a recipient connected to the other, and the answers and the
all-clear travel back the same way. Real uvicorn processes, real WebSocket clients (``websockets``).
"""

from __future__ import annotations

import asyncio
import json
import os
import time

import pytest
import websockets
from channels.db import database_sync_to_async

from buergerkontakt.alarms.models import Alarm, Delivery
from buergerkontakt.core.models import Role, Room
from tests.alarms.test_consumers import session_cookie
from tests.asyncrun import run_async
from tests.factories import make_user
from tests.liveserver import LiveServer

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs the Redis channel layer (REDIS_URL)"),
]


@pytest.fixture
def two_servers(tmp_path):
    servers = [LiveServer(tmp_path / name / "mail") for name in ("a", "b")]
    for server in servers:
        server.mail_dir.mkdir(parents=True)
        server.start()
    yield servers
    for server in servers:
        server.stop()


async def _client(server: LiveServer, user):
    cookie = (await database_sync_to_async(session_cookie)(user)).decode()
    return await websockets.connect(
        server.url.replace("http", "ws") + "/ws/alarm/",
        origin=server.url,
        additional_headers={"Cookie": cookie},
        open_timeout=10,
    )


async def _next(ws, event: str, timeout: float = 5) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            message = json.loads(await ws.recv())
            if message.get("event") == event:
                return message


def test_raised_on_one_process_received_on_the_other(org, two_servers):
    a, b = two_servers
    neighbour_room = Room.objects.create(floor=org.room.floor, number="1.11")
    org.room.neighbours.add(neighbour_room)
    neighbour = make_user("nachbar", org.authority, Role.CASEWORKER, scope=org.team,
                          workstation_room=neighbour_room)
    trigger, security = org.users["caseworker"], org.users["security"]

    async def scenario():
        on_a = await _client(a, neighbour)
        security_on_a = await _client(a, security)
        on_b = await _client(b, trigger)
        for ws in (on_a, security_on_a, on_b):
            await _next(ws, "hello")

        await on_b.send(json.dumps({"type": "raise", "level": 2}))
        raised = await _next(on_b, "raised")
        alarm_id = raised["alarm"]["id"]
        for ws in (on_a, security_on_a):
            got = await _next(ws, "alarm")
            assert got["alarm"]["id"] == alarm_id and got["alarm"]["room"] == "1.10"
            await ws.send(json.dumps({"type": "received", "alarm": alarm_id}))

        await on_a.send(json.dumps({"type": "respond", "alarm": alarm_id, "response": "coming"}))
        responses = await _next(on_b, "responses")
        assert [r["name"] for r in responses["responders"]] == ["Nachbar Test"]

        await on_b.send(json.dumps({"type": "resolve", "alarm": alarm_id}))
        for ws in (on_a, security_on_a):
            assert (await _next(ws, "ended"))["alarm"] == alarm_id
        for ws in (on_a, security_on_a, on_b):
            await ws.close()
        return alarm_id

    alarm_id = run_async(scenario)
    alarm = Alarm.objects.get(pk=alarm_id)
    assert alarm.status == Alarm.Status.RESOLVED
    received = Delivery.objects.filter(alarm=alarm, received_at__isnull=False)
    deadline = time.monotonic() + 5  # receipts are written in batches within ~50 ms of arrival
    while received.count() < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert set(received.values_list("user__username", flat=True)) == {"nachbar", "security"}
