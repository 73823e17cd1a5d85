"""Issue 18, finding 4: thousands of clients that open a connection and never finish their request
headers (slowloris) must neither lock out other clients nor the silent alarm: nginx has room for
the design target and drops slow clients after a short header timeout."""

from __future__ import annotations

import asyncio
import json
import socket

import httpx
import pytest
import websockets
from channels.db import database_sync_to_async

from buergerkontakt.core.models import Role, Room
from tests.alarms.test_consumers import session_cookie
from tests.asyncrun import run_async
from tests.factories import make_user

from .harness import wait_for

pytestmark = pytest.mark.chaos

SLOW_CLIENTS = 2500  # more than one nginx worker's 2,048 connections of the old configuration


def open_slow_clients(port: int, count: int) -> list[socket.socket]:
    sockets = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")  # never finished
        sock.setblocking(False)
        sockets.append(sock)
    return sockets


def closed_by_server(sock: socket.socket) -> bool:
    try:
        return sock.recv(1024) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


async def _next(ws, event: str) -> dict:
    async with asyncio.timeout(10):
        while True:
            message = json.loads(await ws.recv())
            if message.get("event") == event:
                return message


def test_slow_header_flood_does_not_stop_the_alarm(stack, org):
    neighbour_room = Room.objects.create(floor=org.room.floor, number="1.11")
    org.room.neighbours.add(neighbour_room)
    neighbour = make_user("nachbar", org.authority, Role.CASEWORKER, scope=org.team,
                          workstation_room=neighbour_room)
    trigger = org.users["caseworker"]
    ws_url = stack.nginx.url.replace("http", "ws") + "/ws/alarm/"
    slow = open_slow_clients(stack.nginx.port, SLOW_CLIENTS)
    try:
        with httpx.Client(base_url=stack.nginx.url, timeout=10) as client:
            assert client.get("/healthz").status_code == 200
            assert client.get("/").status_code == 200

        async def alarm():
            cookies = [(await database_sync_to_async(session_cookie)(user)).decode()
                       for user in (neighbour, trigger)]
            receiver = await websockets.connect(ws_url, origin=stack.nginx.url, open_timeout=10,
                                                additional_headers={"Cookie": cookies[0]})
            raiser = await websockets.connect(ws_url, origin=stack.nginx.url, open_timeout=10,
                                              additional_headers={"Cookie": cookies[1]})
            await _next(receiver, "hello")
            await _next(raiser, "hello")
            await raiser.send(json.dumps({"type": "raise", "level": 2}))
            alarm_id = (await _next(raiser, "raised"))["alarm"]["id"]
            assert (await _next(receiver, "alarm"))["alarm"]["id"] == alarm_id
            await raiser.send(json.dumps({"type": "resolve", "alarm": alarm_id}))
            for ws in (raiser, receiver):
                await ws.close()

        run_async(alarm)
        # Slow clients are dropped after the short header timeout (not after nginx's default 60 s).
        wait_for(lambda: all(closed_by_server(sock) for sock in slow), 20, interval=0.5,
                 what="slow-header clients dropped")
    finally:
        for sock in slow:
            sock.close()
