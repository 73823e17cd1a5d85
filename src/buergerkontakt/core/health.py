"""Health check for load balancers and monitoring: ``GET /healthz``.

Answers ``200 {"status": "ok", "checks": {...}}`` when the database (and Redis, when ``REDIS_URL`` is
set) answer, else ``503`` with ``"status": "error"`` and the failing check marked ``"error"``. No
authentication, no personal data, no error texts (they could contain host names or credentials):
only the names of the checks and ``ok``/``error``. Exempt from the HTTPS redirect so a load balancer
may probe over plain HTTP on the internal network.

The answer never waits longer than ``DEADLINE_SECONDS``: each check runs in a thread of its own
and a check that has not answered by then counts as ``error`` (a frozen database or Redis would
otherwise hold the probe – and the load balancer – for the length of a TCP timeout).

``/api/health`` stays the cheap liveness answer without any I/O (the benchmarks' baseline).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time

from django.conf import settings
from django.db import connections
from django.db.utils import ConnectionHandler
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

REDIS_TIMEOUT_SECONDS = 1
DEADLINE_SECONDS = 1.5


def check_database(alias: str = "default", handler: ConnectionHandler = connections) -> bool:
    """``SELECT 1`` on the connection ``alias``; a broken connection is closed so the next try reconnects."""
    connection = handler[alias]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone()[0] == 1
    except Exception:
        logger.warning("health: database %s unreachable", alias)
        with contextlib.suppress(Exception):  # closing a dead connection may fail too
            connection.close()
        return False


def check_redis(url: str) -> bool:
    """``PING`` with a short timeout on a fresh connection (not the channel layer's pool)."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT_SECONDS,
                                  socket_connect_timeout=REDIS_TIMEOUT_SECONDS)
    try:
        return bool(client.ping())
    except Exception:
        logger.warning("health: redis unreachable")
        return False
    finally:
        client.close()


def _database_in_thread() -> bool:
    try:
        return check_database()
    finally:
        connections.close_all()  # this thread's own connection (back to the pool)


def run_checks(deadline: float = DEADLINE_SECONDS) -> dict[str, bool]:
    """All checks at once, each in its own daemon thread; unanswered after ``deadline`` = failed."""
    probes = {"database": _database_in_thread}
    if settings.REDIS_URL:
        probes["redis"] = lambda: check_redis(settings.REDIS_URL)
    results: dict[str, bool] = {}

    def run(name, probe):
        try:
            results[name] = bool(probe())
        except Exception:
            results[name] = False

    threads = [threading.Thread(target=run, args=item, daemon=True, name=f"healthz-{item[0]}")
               for item in probes.items()]
    for thread in threads:
        thread.start()
    end = time.monotonic() + deadline
    for thread in threads:
        thread.join(max(0.0, end - time.monotonic()))
    for name in probes:
        if name not in results:
            logger.warning("health: %s did not answer within %.1f s", name, deadline)
    return {name: results.get(name, False) for name in probes}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = run_checks()
    healthy = all(checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error",
         "checks": {name: "ok" if passed else "error" for name, passed in checks.items()}},
        status=200 if healthy else 503,
    )
