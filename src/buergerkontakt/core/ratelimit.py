"""Rate limits for public forms and the API (fixed windows in the cache).

With ``REDIS_URL`` the counters live in Redis and are shared by every worker process; without it
(the SQLite demo) each process counts for itself. Keys are hashed, so no e-mail address, phone
number or IP address is stored in the cache in clear text.

A limit of 0 switches a rule off (e.g. for the load benchmark, which sends thousands of bookings
from one address).
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache


def client_ip(request) -> str:
    """The client's address. Behind ``PROXY_COUNT`` reverse proxies (the same setting the login
    throttling uses) it is the address the outermost trusted proxy saw, i.e. the ``PROXY_COUNT``-th
    entry of ``X-Forwarded-For`` from the right; entries further left are set by the client and
    can be forged, so they are never used."""
    proxies = getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0)
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
                     if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or "unknown"


def _key(scope: str, subject: str, window: int) -> str:
    digest = hashlib.blake2b(f"{settings.SECRET_KEY}:{scope}:{subject}".encode(), digest_size=12).hexdigest()
    return f"rl:{scope}:{digest}:{window}"


def hit(scope: str, subject: str, *, limit: int, period_seconds: int) -> bool:
    """Count one request of ``subject`` in ``scope``; False once more than ``limit`` arrived in the
    current window of ``period_seconds``."""
    if limit <= 0 or not subject:
        return True
    window = int(time.time() // period_seconds)
    key = _key(scope, subject, window)
    cache.add(key, 0, timeout=period_seconds + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=period_seconds + 5)
        count = 1
    return count <= limit


def rule(name: str) -> tuple[int, int]:
    """(limit, period in seconds) of a configured rule, see ``RATE_LIMITS`` in the settings."""
    return settings.RATE_LIMITS[name]


def allow(name: str, subject: str) -> bool:
    limit, period = rule(name)
    return hit(name, subject, limit=limit, period_seconds=period)
