"""The deletion concept's task (run periodically by ``manage.py run_scheduler``).

It runs every ``PRIVACY_RETENTION_INTERVAL_SECONDS`` (default hourly) so that each category is
purged on its Berlin day, not up to a day late; a run on a day that made nothing new due changes
nothing. Idempotent and safe to run twice in parallel (each batch is one ``UPDATE``).
"""

from __future__ import annotations

from django.conf import settings
from django.tasks import task

from buergerkontakt.core import scheduler

from . import services


@task
def apply_retention_task() -> dict:
    return services.apply_retention()


scheduler.register(apply_retention_task, settings.PRIVACY_RETENTION_INTERVAL_SECONDS)
