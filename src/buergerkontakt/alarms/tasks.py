"""Background safety net of the silent alarm (the raising process escalates on its own first)."""

from __future__ import annotations

from django.tasks import task

from buergerkontakt.core import scheduler

from . import services


@task
def escalate_due_task() -> int:
    return services.escalate_due()


scheduler.register(escalate_due_task, 5)
