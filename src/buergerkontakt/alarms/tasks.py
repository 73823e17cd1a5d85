"""Background safety net of the silent alarm (the raising process escalates on its own first)."""

from __future__ import annotations

from django.tasks import task

from buergerkontakt.core import scheduler

from . import devices, services


@task
def escalate_due_task() -> int:
    return services.escalate_due()


@task
def supervision_task() -> int:
    """Offline warnings during opening hours (browsers' workstations and desktop agents)."""
    return len(services.offline_warnings()) + len(devices.offline_agent_warnings())


@task
def drills_task() -> list[int]:
    """Start due drills, end finished ones."""
    return list(services.run_drills())


scheduler.register(escalate_due_task, 5)
scheduler.register(supervision_task, 60)
scheduler.register(drills_task, 15)
