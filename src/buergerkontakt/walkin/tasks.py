"""Background tasks of the queue, run periodically by ``manage.py run_scheduler``."""

from __future__ import annotations

from django.tasks import task

from buergerkontakt.core import scheduler

from . import services


@task
def close_past_days_task() -> int:
    """Tickets left open from earlier days are closed, so desks start the day free."""
    return services.close_past_days()


scheduler.register(close_past_days_task, 900)
