"""Health check for load balancers and monitoring: ``GET /healthz``.

Answers ``200 {"status": "ok", "checks": {...}}`` when the database (and Redis, when ``REDIS_URL`` is
set) answer, else ``503`` with ``"status": "error"`` and the failing check marked ``"error"``. No
authentication, no personal data, no error texts (they could contain host names or credentials):
only the names of the checks and ``ok``/``error``. Exempt from the HTTPS redirect so a load balancer
may probe over plain HTTP on the internal network.

``/api/health`` stays the cheap liveness answer without any I/O (the benchmarks' baseline).
"""

from __future__ import annotations

import contextlib
import logging

from django.conf import settings
from django.db import connections
from django.db.utils import ConnectionHandler
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

REDIS_TIMEOUT_SECONDS = 2


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


def run_checks() -> dict[str, bool]:
    checks = {"database": check_database()}
    if settings.REDIS_URL:
        checks["redis"] = check_redis(settings.REDIS_URL)
    return checks


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
