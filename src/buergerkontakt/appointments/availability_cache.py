"""A short-lived cache in front of ``services.availability()`` for the public free-slot overview.

Why: "one service, all locations, 60 days" reads every free unit of the range (about 25,000 rows
for 20 locations with 10 counters) and walks them in Python; that takes tens of milliseconds per
request, while portals, day pickers and – at release time – crowds ask the same question again and
again. The overview is the same for everybody, so the finished JSON document is cached.

Correctness does not depend on the cache: holding a time (``services.hold_slot``) re-checks the
units under row locks. A stale overview can at worst offer a time that was just taken (the hold
answers 409 "leider vergeben") or hide a freed one for a few seconds.

Freshness:

* every entry lives at most ``AVAILABILITY_CACHE_SECONDS`` (default 5 s; 0 switches the cache off);
* each service group has a *generation* in the cache; a key contains the generations of the groups
  it depends on, so :func:`invalidate` (called after a hold commits) makes every cached overview
  of that group unreachable at once. With Redis (``REDIS_URL``) the generations are shared by all
  worker processes; with the local-memory cache each process invalidates its own entries and the
  short lifetime bounds what the other processes serve.
* time-driven changes (expired holds, cancellations released after their delay, the daily release
  time) are picked up when the entry expires.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.cache import cache

PREFIX = "avail:"


def ttl_seconds() -> int:
    """``AVAILABILITY_CACHE_SECONDS`` from the settings (or the environment), default 5."""
    value = getattr(settings, "AVAILABILITY_CACHE_SECONDS", None)
    if value is None:
        value = os.environ.get("AVAILABILITY_CACHE_SECONDS", "5")
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 5


def _generation_key(group_id: int) -> str:
    return f"{PREFIX}gen:{group_id}"


def _digest(parts: Iterable[object]) -> str:
    return hashlib.blake2b(repr(tuple(parts)).encode(), digest_size=16).hexdigest()


def remember(parts: tuple, compute: Callable[[], object]) -> object:
    """``compute()`` memoised for the cache lifetime under ``parts`` (for small look-ups, e.g.
    which services and groups a query string names). Not invalidated by writes."""
    ttl = ttl_seconds()
    if not ttl:
        return compute()
    key = f"{PREFIX}memo:{_digest(parts)}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, ttl)
    return value


def cached(parts: tuple, group_ids: Iterable[int], compute: Callable[[], bytes]) -> bytes:
    """The document for ``parts`` (e.g. services, location, first day, days), computed at most once
    per lifetime and per generation of the ``group_ids`` it depends on."""
    ttl = ttl_seconds()
    if not ttl:
        return compute()
    groups = sorted(set(group_ids))
    generations = cache.get_many([_generation_key(g) for g in groups]) if groups else {}
    key = f"{PREFIX}doc:{_digest((*parts, *(generations.get(_generation_key(g), 0) for g in groups)))}"
    document = cache.get(key)
    if document is None:
        document = compute()
        cache.set(key, document, ttl)
    return document


def invalidate(group_ids: Iterable[int]) -> None:
    """Make every cached overview of these service groups stale (call after the write commits)."""
    ttl = ttl_seconds()
    if not ttl:
        return
    # A new random value, not an increment: works without the key existing, on every backend. Kept a
    # little longer than the entries, so an old generation can never come back while they live.
    stamp = secrets.token_hex(8)
    cache.set_many({_generation_key(g): stamp for g in set(group_ids)}, ttl * 2 + 60)
