"""Background tasks of the incident register (run periodically by ``manage.py run_scheduler``).

``purge_expired_task`` runs daily; it is idempotent and safe to run twice in parallel (each
deletion locks and re-reads its row).
"""

from __future__ import annotations

from django.tasks import task

from buergerkontakt.core import scheduler

from . import services


@task
def purge_expired_task() -> dict:
    """Retention: expired entries, unapproved pending entries, old reports, old log lines."""
    result = services.purge_expired()
    return {"entries": result.entries, "reports": result.reports, "logs": result.logs}


scheduler.register(purge_expired_task, 24 * 3600)
