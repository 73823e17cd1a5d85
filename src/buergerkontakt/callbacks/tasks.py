"""Background tasks of the callbacks app (run periodically by ``manage.py run_scheduler``).

``escalate_due_task`` is idempotent and safe to run in parallel: each escalation step is claimed
by a conditional UPDATE (``services.escalate_due``).
"""

from __future__ import annotations

from django.tasks import task

from buergerkontakt.core import scheduler

from . import services


@task
def escalate_due_task() -> int:
    """Warn team leads of tickets near or past their deadline; returns the number of messages."""
    return services.escalate_due()


scheduler.register(escalate_due_task, 60)
