"""Background tasks of the appointments app (Django Tasks; the worker schedule comes later).

Both are safe to run at any time and in parallel: the services they call are idempotent and take
their locks in the fixed order documented in ``services.py``.
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
