"""A tiny scheduler for periodic background tasks (django-tasks' db_worker runs, but does not
schedule).

Apps register ``(task, interval_seconds)`` when their ``tasks`` module is imported::

    from buergerkontakt.core import scheduler
    scheduler.register(release_due_capacity_task, 60)

``manage.py run_scheduler`` imports every installed app's ``tasks`` module and enqueues each task
when its interval has passed, but not while its previous run is still queued and not yet started
(a stopped worker does not pile up duplicates). A run that is "running" never holds the schedule
up: its worker may have been killed mid-task (the lease of core/taskworker.py re-runs it), so the
plan depends only on the clock (docs/adr/0012-faults-and-recovery.md). Every registered task must
be idempotent and safe to run in parallel: with several scheduler processes (scale-out) a task may
occasionally run twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.tasks import TaskResultStatus
from django.utils.module_loading import autodiscover_modules

log = logging.getLogger(__name__)

PENDING = (TaskResultStatus.READY,)


@dataclass
class Periodic:
    task: object  # a django.tasks Task
    interval: float
    name: str
    next_due: float = 0.0  # monotonic clock; 0 = due at once
    last_result: object | None = field(default=None, repr=False)


_registry: dict[str, Periodic] = {}


def task_name(task) -> str:
    return getattr(task, "module_path", None) or f"{task.__module__}.{getattr(task, '__name__', task)}"


def register(task, interval_seconds: float) -> None:
    """Run ``task`` (no arguments) every ``interval_seconds``; registering again replaces it."""
    if interval_seconds <= 0:
        raise ValueError("interval_seconds must be positive")
    name = task_name(task)
    _registry[name] = Periodic(task=task, interval=float(interval_seconds), name=name)


def registered() -> dict[str, Periodic]:
    return dict(_registry)


def autodiscover() -> None:
    """Import every installed app's ``tasks`` module (they register their periodic tasks)."""
    autodiscover_modules("tasks")


def _still_pending(entry: Periodic) -> bool:
    result = entry.last_result
    if result is None:
        return False
    try:
        result.refresh()
    except Exception:  # result row gone or backend without results: do not block the schedule
        return False
    return result.status in PENDING


def tick(clock: Callable[[], float] = time.monotonic) -> list[str]:
    """Enqueue every due task once; returns the names enqueued. Errors are logged, never raised."""
    now = clock()
    enqueued = []
    for entry in list(_registry.values()):
        if now < entry.next_due:
            continue
        try:
            if _still_pending(entry):
                continue
            entry.last_result = entry.task.enqueue()
        except Exception as exc:  # database down, …: try again after the interval
            # Only the exception type: messages may quote SQL parameters (personal data).
            log.warning("Periodische Aufgabe %s nicht eingereiht: %s", entry.name, type(exc).__name__)
            entry.next_due = now + min(entry.interval, 30)
            continue
        entry.next_due = now + entry.interval
        enqueued.append(entry.name)
    return enqueued


def seconds_until_next(clock: Callable[[], float] = time.monotonic) -> float:
    if not _registry:
        return 60.0
    return max(0.0, min(entry.next_due for entry in _registry.values()) - clock())
