"""A short-lived cache in front of ``services.availability()`` for the public free-slot overview.

Why: "one service, all locations, 60 days" reads every free unit of the range (about 25,000 rows
for 20 locations with 10 counters) and walks them in Python; that takes tens of milliseconds per
request, while portals, day pickers and – at release time – crowds ask the same question again and
again. The overview is the same for everybody, so the finished JSON document is cached.

Correctness does not depend on the cache: holding a time (``services.hold_slot``) re-checks the
units under row locks. A stale overview can at worst offer a time that was just taken (the hold
answers 409 "leider vergeben") or hide a freed one for up to the cache lifetime.

Freshness:

* an entry is fresh for ``AVAILABILITY_CACHE_SECONDS`` (default 30 s; 0 switches the cache off);
  after that it is refreshed in the background while the previous document is still served
  (stale while revalidate, see :func:`cached`), so no request waits for the recomputation;
* each service group has a *generation* in the cache; a key contains the generations of the groups
  it depends on, so :func:`invalidate` makes every cached overview of that group stale at once (the
  next request starts the refresh). The ``services`` package calls it after the commit
  (``invalidate_after_commit``) from every write that changes capacity (``hold_slot``, ``cancel_appointment``,
  ``release_due_capacity``, ``materialize_slots``), whoever calls them: the API, the booking
  pages, staff, the waitlist, the periodic tasks. With Redis (``REDIS_URL``)
  the generations are shared by all worker processes; with the local-memory cache each process
  invalidates its own entries and the short lifetime bounds what the other processes serve.
* :func:`certainly_taken` lets the API refuse a hold on a time that is already gone without a
  transaction or row lock (two indexed reads), which is what most requests at release time are; the
  answer is remembered per process until the group's generation changes or the next appointment on
  those units falls due, so most refusals read nothing at all;
* the API puts the booking windows as of now into the key, so a day released at the release time
  (or at midnight) appears at once; other time-driven changes (expired holds, cancellations
  released after their delay) are picked up when the entry expires, after 30 s at most.
* Why 30 s and not less: recomputing the 60-day overview of 20 locations took ~100 ms of CPU in a
  worker before ``services.availability()`` let the database count (now a few milliseconds, see
  docs/performance.md); the lifetime bounds only what time-driven changes (expired holds) wait.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection

from buergerkontakt.core.commit import after_commit_collected
from buergerkontakt.directory.models import Service

from . import engine
from .models import Appointment, Quota, Slot

log = logging.getLogger(__name__)

PREFIX = "avail:"
HARD_TTL_FACTOR = 12  # a stale document is served while it is refreshed, for at most 12 lifetimes
REFRESH_LOCK_SECONDS = 30


def ttl_seconds() -> int:
    """``AVAILABILITY_CACHE_SECONDS`` from the settings (or the environment), default 30."""
    value = getattr(settings, "AVAILABILITY_CACHE_SECONDS", None)
    if value is None:
        value = os.environ.get("AVAILABILITY_CACHE_SECONDS", "30")
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 30


def _generation_key(group_id: int) -> str:
    return f"{PREFIX}gen:{group_id}"


def _digest(parts: Iterable[object]) -> str:
    return hashlib.blake2b(repr(tuple(parts)).encode(), digest_size=16).hexdigest()


# Process-local copies (a plain dict; a few hundred documents at most), in front of the shared
# cache: a hit needs no cache round trip at all (the generations are re-read every 0.25 s),
# instead of three plus moving the document. Not used inside a transaction (tests roll back,
# ids repeat), see ``_local_ok``.
_local: dict[str, tuple] = {}
_generations_seen: dict[tuple[int, ...], tuple[float, tuple]] = {}
_shared_checked: dict[str, float] = {}
_taken_until: dict[tuple, tuple] = {}
# Without a shared cache a time found taken is refused from memory for this long (per process):
# the crowd at release time asks for the same few times again and again. Capacity freed meanwhile
# by another process is offered a second later. With Redis see ``taken_memo_seconds``.
TAKEN_MEMO_SECONDS = 1.0
LOCAL_MAX = 512
# Other processes' writes are noticed after at most this long (plus the refresh itself).
GENERATION_RECHECK_SECONDS = 0.25


def _local_ok() -> bool:
    return not connection.in_atomic_block


def _local_put(key: str, value: tuple) -> None:
    if len(_local) >= LOCAL_MAX:
        _local.clear()
    _local[key] = value


def clear_local() -> None:
    """Forget the process-local copies (tests)."""
    _local.clear()
    _generations_seen.clear()
    _shared_checked.clear()
    _taken_until.clear()


def _generations(groups: tuple[int, ...], now: float, local: bool) -> tuple:
    """The groups' current generations; read from the shared cache at most every
    ``GENERATION_RECHECK_SECONDS`` per process (a write in this process is seen at once)."""
    if local:
        seen = _generations_seen.get(groups)
        if seen is not None and now - seen[0] < GENERATION_RECHECK_SECONDS:
            return seen[1]
    found = cache.get_many([_generation_key(g) for g in groups]) if groups else {}
    stamp = tuple(found.get(_generation_key(g), 0) for g in groups)
    if local:
        if len(_generations_seen) >= LOCAL_MAX:
            _generations_seen.clear()
        _generations_seen[groups] = (now, stamp)
    return stamp


def remember(parts: tuple, compute: Callable[[], object]) -> object:
    """``compute()`` memoised for the cache lifetime under ``parts`` (for small look-ups, e.g.
    which services and groups a query string names). Not invalidated by writes."""
    ttl = ttl_seconds()
    if not ttl:
        return compute()
    key = f"{PREFIX}memo:{_digest(parts)}"
    now = time.time()
    if _local_ok():
        hit = _local.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, ttl)
    if _local_ok():
        _local_put(key, (now + ttl, value))
    return value


def _refresh_in_background(key: str, lock: str, stamp: tuple, compute: Callable[[], bytes]) -> None:
    def run() -> None:
        try:
            entry = (stamp, time.time(), compute())
            cache.set(key, entry, _hard_ttl())
            _local_put(key, entry)
        except Exception:  # the next request computes it itself; never lose the worker thread
            log.exception("availability refresh failed")
        finally:
            cache.delete(lock)
            connection.close()  # this thread's own database connection

    threading.Thread(target=run, name="availability-refresh", daemon=True).start()


def _hard_ttl() -> int:
    return ttl_seconds() * HARD_TTL_FACTOR


def cached(parts: tuple, group_ids: Iterable[int], compute: Callable[[], bytes]) -> bytes:
    """The document for ``parts`` (e.g. services, location, first day, days), fresh for the cache
    lifetime and the current generation of the ``group_ids`` it depends on.

    Stale while revalidate: once an entry is older than the lifetime or its groups changed, one
    request (per key, cluster-wide with Redis) starts a refresh in a background thread and, like
    everybody else meanwhile, still gets the previous document – no request waits for the
    recomputation (tens of milliseconds) unless there is no document at all or it is older than
    ``HARD_TTL_FACTOR`` lifetimes. Inside a transaction (tests, callers that have just written)
    the refresh runs in the request itself, so the answer sees the caller's own writes.
    """
    ttl = ttl_seconds()
    if not ttl:
        return compute()
    groups = tuple(sorted(set(group_ids)))
    now = time.time()
    local = _local_ok()
    stamp = _generations(groups, now, local)
    key = f"{PREFIX}doc:{_digest(parts)}"
    entry = _local.get(key) if local else None
    stale = entry is None or entry[0] != stamp or now - entry[1] >= ttl
    if stale and (entry is None or now - _shared_checked.get(key, 0.0) >= GENERATION_RECHECK_SECONDS):
        # Another process may have refreshed it; look at most every 0.25 s (the document is big).
        if local:
            if len(_shared_checked) >= LOCAL_MAX:
                _shared_checked.clear()
            _shared_checked[key] = now
        shared = cache.get(key)
        if shared is not None and (entry is None or shared[1] > entry[1]):
            entry = shared
            if local:
                _local_put(key, entry)
    if entry is not None:
        entry_stamp, computed_at, document = entry
        if entry_stamp == stamp and now - computed_at < ttl:
            return document
        if now - computed_at < _hard_ttl() and local:
            lock = f"{PREFIX}lock:{key}"
            if cache.add(lock, 1, timeout=REFRESH_LOCK_SECONDS):
                _refresh_in_background(key, lock, stamp, compute)
            return document
    document = compute()
    entry = (stamp, now, document)
    cache.set(key, entry, _hard_ttl())
    if local:
        _local_put(key, entry)
    return document


def invalidate_after_commit(group_ids: Iterable[int]) -> None:
    """Make the cached overviews of these groups stale once the current transaction commits
    (nothing happens if it rolls back); the calls of one transaction invalidate once, together."""
    ids = set(group_ids)
    if ids:
        after_commit_collected(invalidate, ids)


def invalidate(group_ids: Iterable[int]) -> None:
    """Make every cached overview of these service groups stale (call after the write commits)."""
    ttl = ttl_seconds()
    if not ttl:
        return
    # A new random value, not an increment: works without the key existing, on every backend. Kept
    # longer than the entries, so an old generation can never come back while they live.
    stamp = secrets.token_hex(8)
    _generations_seen.clear()  # this process sees its own write at once
    cache.set_many({_generation_key(g): stamp for g in set(group_ids)}, _hard_ttl() * 2 + 60)


# --- a lock-free refusal for holds on times that are certainly taken ------------------------------
def _hold_shape(service_ids: tuple[int, ...], location_id: int) -> tuple[int, int, int] | None:
    """(group id, k units, unit minutes) for these services at this location, None if unbookable."""
    from .services import BookingError, group_for

    chosen = list(Service.objects.in_bulk(set(service_ids)).values())
    by_id = {s.pk: s for s in chosen}
    if len(by_id) != len(set(service_ids)):
        return None
    ordered = [by_id[pk] for pk in service_ids]
    try:
        group = group_for(ordered, location_id)
    except BookingError:
        return None
    return group.pk, engine.units_needed((s.duration_minutes for s in ordered), group.slot_minutes), \
        group.slot_minutes


def certainly_taken(service_ids: Sequence[int], location_id: int, start: datetime, now: datetime,
                    idempotency_key: str | None = None) -> bool:
    """True only when a hold at ``start`` would certainly be refused as taken right now: all k units
    exist, at least one has no free online capacity, no due appointment (expired hold, released
    cancellation) could free it, and ``idempotency_key`` is not the key of an appointment on these
    units (a repeated request gets its own hold back from the booking services). In every other
    case (False) the booking services decide under their locks, with their own messages.

    Two indexed reads and no transaction or row lock – the crowd at release time that asks for
    times already gone is answered cheaply (benchmark P2). Outside a transaction a positive answer
    is remembered per process (see :func:`_remember_taken`), so most refusals read nothing at all.
    """
    local = _local_ok()
    memo_key = (tuple(service_ids), location_id, start)
    key = (idempotency_key or "").strip()
    if local:
        memo = _taken_until.get(memo_key)
        if memo is not None:
            until, group_id, stamp, holder_keys = memo
            if time.time() < until and _generations((group_id,), time.time(), True) == stamp:
                return key not in holder_keys
            _taken_until.pop(memo_key, None)
    shape = remember(("hold-shape", tuple(service_ids), location_id),
                     lambda: _hold_shape(tuple(service_ids), location_id))
    if shape is None:
        return False
    group_id, k, minutes = shape
    # The generation before the reads: a write committed in between makes the memo stale at once.
    stamp = _generations((group_id,), time.time(), local) if local else None
    units = list(Slot.objects.filter(group_id=group_id, location_id=location_id, start__gte=start,
                                     start__lt=start + timedelta(minutes=k * minutes))
                 .values_list("id", "start", "online_used", "online_capacity"))
    if len(units) != k or min(unit[1] for unit in units) != start:
        return False
    full = {slot_id for slot_id, _start, used, capacity in units if used >= capacity}
    if not full:
        return False
    # Every appointment that ever occupied these units (the rows are kept after release): whether
    # one is due, when the next one falls due, and their idempotency keys.
    holding = (Appointment.Status.HELD, Appointment.Status.PENDING_CONFIRMATION)
    next_due = None
    holder_keys = set()
    for slot_id, status, quota, released, expires, release_at, holder_key in (
            Appointment.objects.filter(units__slot_id__in=[unit[0] for unit in units])
            .values_list("units__slot_id", "status", "quota", "capacity_released", "hold_expires_at",
                         "capacity_release_at", "idempotency_key")):
        if holder_key:
            holder_keys.add(holder_key)
        if released or quota != Quota.ONLINE or slot_id not in full:
            continue
        for due_at in (expires if status in holding else None, release_at):
            if due_at is not None:
                if due_at <= now:
                    return False
                next_due = due_at if next_due is None else min(next_due, due_at)
    if key in holder_keys:
        return False
    if local:
        _remember_taken(memo_key, group_id, stamp, frozenset(holder_keys), now, next_due)
    return True


def _remember_taken(memo_key: tuple, group_id: int, stamp: tuple, holder_keys: frozenset,
                    now: datetime, next_due: datetime | None) -> None:
    """Remember a "taken" answer in this process until the first of: the group's generation
    changes (every capacity write bumps it when it commits, see :func:`invalidate` – this process
    notices another process's write within ``GENERATION_RECHECK_SECONDS``), the next appointment
    on these units falls due, or ``taken_memo_seconds()`` pass."""
    lifetime = taken_memo_seconds()
    if next_due is not None:
        lifetime = min(lifetime, (next_due - now).total_seconds())
    if lifetime <= 0:
        return
    if len(_taken_until) >= LOCAL_MAX * 8:
        _taken_until.clear()
    _taken_until[memo_key] = (time.time() + lifetime, group_id, stamp, holder_keys)


def taken_memo_seconds() -> float:
    """How long a "taken" answer may be remembered at most: the cache lifetime when the cache is
    shared by all processes (Redis: every process sees every write's new generation), one second
    with the per-process local-memory cache (a write in another process is not seen at all)."""
    ttl = ttl_seconds()
    if not ttl:
        return 0.0
    return TAKEN_MEMO_SECONDS if isinstance(caches["default"], LocMemCache) else float(ttl)
