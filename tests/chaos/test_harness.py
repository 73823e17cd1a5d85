"""The fault harness itself: the stack answers through nginx, and every fault it offers takes effect
and is undone."""

from __future__ import annotations

import socket

import httpx
import pytest
import redis

from .harness import wait_for

pytestmark = pytest.mark.chaos


def test_stack_serves_through_nginx_on_both_workers(stack):
    seen = set()
    with httpx.Client(base_url=stack.nginx.url, timeout=10) as client:
        for _ in range(4):
            response = client.get("/healthz")
            assert response.status_code == 200, stack.logs()
            seen.add(response.headers["x-bk-upstream"])
    assert seen == {web.address for web in stack.web}


def test_redis_kill_and_restart(stack):
    client = redis.Redis.from_url(stack.redis.url(), socket_timeout=1, socket_connect_timeout=1)
    assert client.ping()
    stack.redis.kill()
    with pytest.raises(redis.ConnectionError):
        client.ping()
    stack.redis.start()
    assert wait_for(lambda: _ping(client), 10, what="redis back")


def test_database_proxy_refuses_when_killed_and_hangs_when_paused(stack):
    stack.db.kill()
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", stack.db.port), 1):
        pass
    stack.db.start()
    stack.db.pause()
    with socket.create_connection(("127.0.0.1", stack.db.port), 1) as sock:
        sock.settimeout(0.5)
        sock.sendall(b"\x00\x00\x00\x08\x04\xd2\x16\x2f")  # SSLRequest: a live server answers at once
        with pytest.raises(TimeoutError):
            sock.recv(1)
    stack.db.resume()


def _ping(client) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False
