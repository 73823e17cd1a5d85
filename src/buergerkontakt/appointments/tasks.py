"""Background tasks of the appointments app (Django Tasks; run periodically by run_scheduler).

Both are safe to run at any time and in parallel: the services they call are idempotent and take
their locks in the fixed order documented in ``services/__init__.py``.
"""

from __future__ import annotations

from django.tasks import task

from . import services


@task
def release_due_capacity_task() -> int:
    """Give back the capacity of expired holds and of cancellations past their release delay."""
    return services.release_due_capacity()


@task
def materialize_horizon_task() -> int:
    """Create the slot rows up to the end of every group's booking window; returns rows created."""
    return services.materialize_horizon().created


# --- periodic schedule (manage.py run_scheduler, see core/scheduler.py) ---------------------------
from buergerkontakt.core import scheduler  # noqa: E402

from .reminders import expire_unreconfirmed_task, send_reminders_task  # noqa: E402

scheduler.register(release_due_capacity_task, 60)
scheduler.register(materialize_horizon_task, 3600)
scheduler.register(send_reminders_task, 300)
scheduler.register(expire_unreconfirmed_task, 300)
