"""The ASGI handler reuses request threads and limits how many requests run at once per process;
the Redis cache shares one connection pool per process. Real requests through the real middleware stack."""

from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import caches
from django.test import override_settings

from buergerkontakt.core import asgi_handler
from buergerkontakt.core.asgi_handler import PooledThreadASGIHandler

pytestmark = pytest.mark.django_db(transaction=True)


async def get(handler: PooledThreadASGIHandler, path: str) -> tuple[int, bytes]:
    """One HTTP request through the handler, as uvicorn would send it."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
             "root_path": "", "headers": [(b"host", b"127.0.0.1")], "client": ("127.0.0.1", 5000),
             "server": ("127.0.0.1", 8000)}
    inbox = [{"type": "http.request", "body": b"", "more_body": False}]
    sent: list[dict] = []
    finished = asyncio.Event()

    async def receive():
        if inbox:
            return inbox.pop(0)
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            finished.set()

    await handler(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


def request_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("bk-request")}


def test_requests_reuse_the_started_threads():
    handler = PooledThreadASGIHandler()
    started = request_threads()
    assert len(started) >= asgi_handler.STARTED_THREADS

    async def many():
        for _ in range(30):
            assert (await get(handler, "/api/health"))[0] == 200
        for _ in range(200):  # the last executor's hand-back runs on the loop
            if handler.idle_threads == asgi_handler.STARTED_THREADS:
                break
            await asyncio.sleep(0.01)

    asyncio.run(many())
    # Django's own handler starts two threads per request; this one started none.
    assert request_threads() == started
    assert handler.idle_threads == asgi_handler.STARTED_THREADS


def test_a_thread_still_busy_is_not_handed_out_again():
    handler = PooledThreadASGIHandler()
    release = threading.Event()

    async def scenario():
        executor = ThreadPoolExecutor(max_workers=1)
        executor.submit(release.wait)  # e.g. the view of a request whose client went away
        before = handler.idle_threads
        handler._give_back(executor)
        await asyncio.sleep(0.05)
        assert handler.idle_threads == before  # still busy: not in the pool
        release.set()
        for _ in range(100):
            if handler.idle_threads == before + 1:
                break
            await asyncio.sleep(0.01)
        assert handler.idle_threads == before + 1

    asyncio.run(scenario())


@override_settings(REQUESTS_PER_WORKER=2)
def test_at_most_the_configured_number_of_requests_run_at_once():
    running, peak = 0, 0

    class Probe(PooledThreadASGIHandler):
        async def get_response_async(self, request):
            nonlocal running, peak
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.02)
            running -= 1
            return await super().get_response_async(request)

    handler = Probe()

    async def crowd():
        results = await asyncio.gather(*(get(handler, "/api/health") for _ in range(8)))
        assert [status for status, _body in results] == [200] * 8

    asyncio.run(crowd())
    assert peak == 2


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI's second lane)")
def test_redis_cache_shares_one_connection_pool_per_process():
    """django-redis keeps its connection pools per process: every request's cache object (Django
    makes one per context under ASGI) uses the same pool, so no request opens a connection."""
    import redis

    def created(pool) -> int:
        return len(pool._available_connections) + len(pool._in_use_connections)

    # The pool lives as long as the process: earlier tests' connections are counted as they are.
    caches["default"].get("bk-test-shared")
    pool = caches["default"].client.get_client(write=True).connection_pool
    before = created(pool)
    seen = []

    def in_another_thread():
        cache = caches["default"]
        cache.set("bk-test-shared", 1, 10)
        seen.append(cache.client.get_client(write=True).connection_pool)

    threads = [threading.Thread(target=in_another_thread) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seen.append(caches["default"].client.get_client(write=True).connection_pool)
    assert {id(found) for found in seen} == {id(pool)}
    # at most one new connection per concurrent user …
    after_threads = created(pool)
    assert after_threads - before <= 5
    for _ in range(50):
        caches["default"].get("bk-test-shared")
    # … and none per call
    assert created(pool) == after_threads
    server = redis.Redis.from_url(os.environ["REDIS_URL"])
    assert server.get(caches["default"].make_key("bk-test-shared")) is not None


# The pool relies on two things of its dependencies: ``ThreadSensitiveContext(executor=…)`` (asgiref
# ≥ 3.8, documented as "the caller owns the executor") and ``ASGIHandler.handle``/``run_get_response``
# being where Django runs a request. Checked with these versions; after an upgrade, re-run this file
# and P2 (docs/performance.md), then widen the pin – or set REQUEST_THREAD_POOL=false.
CHECKED_WITH = {"django": ((6, 0), (6, 1)), "asgiref": ((3, 8), (3, 13))}


def _minor(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int("".join(ch for ch in minor if ch.isdigit()))


def test_the_pool_is_pinned_to_the_versions_it_was_checked_with():
    import inspect

    import asgiref
    import django
    from asgiref.sync import ThreadSensitiveContext
    from django.core.handlers.asgi import ASGIHandler

    for name, version in (("django", django.__version__), ("asgiref", asgiref.__version__)):
        low, high = CHECKED_WITH[name]
        assert low <= _minor(version) <= high, (
            f"{name} {version} is outside what core/asgi_handler.py was checked with ({low}–{high})")
    assert "executor" in inspect.signature(ThreadSensitiveContext).parameters
    assert inspect.iscoroutinefunction(ASGIHandler.handle)
    assert inspect.iscoroutinefunction(ASGIHandler.run_get_response)


def test_the_off_switch_gives_djangos_own_handler():
    import importlib
    import sys

    from django.core.handlers.asgi import ASGIHandler

    def handler_with(value: bool):
        with override_settings(REQUEST_THREAD_POOL=value):
            sys.modules.pop("buergerkontakt.asgi", None)
            return importlib.import_module("buergerkontakt.asgi").django_asgi_app

    try:
        assert type(handler_with(False)) is ASGIHandler
        assert isinstance(handler_with(True), PooledThreadASGIHandler)
    finally:
        sys.modules.pop("buergerkontakt.asgi", None)
