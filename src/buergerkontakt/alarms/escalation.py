"""The raising process's own escalation timer.

An alarm must not depend on one periodic task (a task worker that dies mid-run would silently stop
every escalation). The server process that committed the alarm therefore starts a timer for it: at
each due moment it calls ``services.escalate`` and, while nobody is coming and a wider circle is
left, sets itself again. The periodic ``escalate_due_task`` runs the same idempotent step as the
backstop (the alarm row is locked and the due time checked under the lock, so both never widen
twice). A timer lives in its own daemon thread; if the process dies, the backstop takes over.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connections
from django.utils import timezone

log = logging.getLogger(__name__)

# Fire a little after the due moment: the due check compares wall-clock times under the lock.
SLACK_SECONDS = 0.05
timers: dict[int, threading.Timer] = {}
_lock = threading.Lock()


def schedule(alarm_id: int, delay: float | None = None) -> bool:
    """Start (or keep) this process's timer for an alarm; returns whether one runs now."""
    if not settings.ALARM_ESCALATION_TIMER:
        return False
    if delay is None:
        delay = settings.ALARM_ESCALATE_SECONDS + SLACK_SECONDS
    with _lock:
        running = timers.get(alarm_id)
        if running is not None and running.is_alive() and running is not threading.current_thread():
            return True
        timer = threading.Timer(max(0.0, delay), tick, args=(alarm_id,))
        timer.daemon = True
        timer.name = f"alarm-escalation-{alarm_id}"
        timers[alarm_id] = timer
        timer.start()
    return True


def seconds_until_due(alarm_id: int) -> float | None:
    """None: nothing more to escalate (ended, somebody is coming, or the widest circle reached)."""
    from . import services
    from .models import Alarm

    if not services.needs_escalation(alarm_id):
        return None
    alarm = Alarm.objects.filter(pk=alarm_id).values("raised_at", "escalated_at").first()
    if alarm is None:
        return None
    due = (alarm["escalated_at"] or alarm["raised_at"]) + timedelta(seconds=settings.ALARM_ESCALATE_SECONDS)
    return max(0.0, (due - timezone.now()).total_seconds())


def tick(alarm_id: int) -> None:
    """One step: escalate if due, then set the timer again for the next due moment."""
    from . import services

    close_old_connections()
    try:
        services.escalate(alarm_id)
        wait = seconds_until_due(alarm_id)
    except Exception:  # the backstop escalates; try again at the next step
        log.exception("alarm escalation timer failed for alarm %s", alarm_id)
        wait = float(settings.ALARM_ESCALATE_SECONDS)
    finally:
        connections.close_all()  # this thread's own connections
    with _lock:
        if timers.get(alarm_id) is threading.current_thread():
            del timers[alarm_id]
    if wait is not None:
        schedule(alarm_id, wait + SLACK_SECONDS)


def cancel_all() -> None:
    """Stop every timer of this process (tests)."""
    with _lock:
        for timer in timers.values():
            timer.cancel()
        timers.clear()
