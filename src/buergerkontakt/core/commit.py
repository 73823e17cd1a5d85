"""The one way to do something after the current transaction commits (2026-12-04).

* ``after_commit(func, *args, robust=False, **kwargs)`` calls ``func(*args, **kwargs)`` once the
  transaction commits – at once outside a transaction, never after a rollback (also not after the
  rollback of the savepoint it was called in).
* ``after_commit_collected(func, items)`` is for "several calls in one transaction, one run": the
  calls' items are collected and ``func`` runs once after the commit with their union (a set). Items
  added inside a savepoint that is rolled back are left out.

``robust=True`` keeps a failure from reaching the caller and from stopping the other callbacks: it
is logged with the function's name and the kind of error only – never the arguments or the error
text, which may hold personal data (names, addresses, numbers). Without it a failure propagates
like Django's ``transaction.on_commit`` (the change is committed either way).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable

from django.db import transaction

log = logging.getLogger(__name__)


def _name(func: Callable) -> str:
    func = getattr(func, "func", func)  # functools.partial
    return f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', type(func).__name__)}"


def _guarded(func: Callable, name: str) -> Callable[[], None]:
    def run() -> None:
        try:
            func()
        except Exception as exc:  # robust: logged, the other callbacks still run
            log.error("Nach dem Commit fehlgeschlagen: %s (%s)", name, type(exc).__name__)

    return run


def after_commit(func: Callable, *args, robust: bool = False, using: str | None = None, **kwargs) -> None:
    """Call ``func(*args, **kwargs)`` after the current transaction commits (at once outside one)."""
    call = functools.partial(func, *args, **kwargs) if args or kwargs else func
    if robust:
        call = _guarded(call, _name(func))
    transaction.on_commit(call, using=using)


# --- collected calls ------------------------------------------------------------------------------
_BATCHES_ATTR = "_buergerkontakt_commit_batches"


class _Batch:
    """One transaction's calls of one function: each call's items are a callback of their own (a
    rolled-back savepoint drops them), the run comes after the last of them."""

    def __init__(self, func: Callable, robust: bool) -> None:
        self.func, self.robust = func, robust
        self.items: set = set()
        self.flush: _Flush | None = None
        self.done = False


class _Part:
    def __init__(self, batch: _Batch, items: set) -> None:
        self.batch, self.items = batch, items

    def __call__(self) -> None:
        self.batch.items |= self.items


class _Flush:
    def __init__(self, batch: _Batch) -> None:
        self.batch, self.active = batch, True

    def __call__(self) -> None:
        batch = self.batch
        if not self.active or batch.done:
            return  # a later call moved the run behind its own items
        batch.done = True
        items, batch.items = batch.items, set()
        if items:
            run = functools.partial(batch.func, items)
            (_guarded(run, _name(batch.func)) if batch.robust else run)()


def after_commit_collected(func: Callable[[set], object], items: Iterable, *, robust: bool = False,
                           using: str | None = None) -> None:
    """Run ``func(union of items)`` once after the commit, however often it is called in the
    transaction (at once with these items outside a transaction). ``func`` identifies the batch."""
    items = set(items)
    if not items:
        return
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        run = functools.partial(func, items)
        (_guarded(run, _name(func)) if robust else run)()
        return
    batches: dict = connection.__dict__.setdefault(_BATCHES_ATTR, {})
    batch = batches.get(func)
    queued = {id(entry_func): sids for sids, entry_func, _robust in connection.run_on_commit}
    if batch is None or batch.done or batch.flush is None or id(batch.flush) not in queued:
        batch = batches[func] = _Batch(func, robust)  # a commit, rollback or run ended the last one
        sids = set(connection.savepoint_ids)
    else:
        # The run survives as long as any of its items does: only the savepoints all calls share.
        sids = queued[id(batch.flush)] & set(connection.savepoint_ids)
        batch.flush.active = False
    transaction.on_commit(_Part(batch, items), using=using)
    batch.flush = _Flush(batch)
    connection.validate_no_broken_transaction()
    # Appended directly (not via on_commit) to give it the shared savepoints computed above.
    connection.run_on_commit.append((sids, batch.flush, False))
