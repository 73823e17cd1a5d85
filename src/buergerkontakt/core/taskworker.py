"""The task worker (``manage.py run_worker``): django-tasks-db's ``db_worker`` loop, made to outlive
faults (docs/adr/0012-faults-and-recovery.md).

* A database outage no longer ends the process: connection errors are logged (type only), the
  connections closed, and the loop starts again after a short pause (1 s, doubling, at most
  ``MAX_PAUSE_SECONDS``) – the worker resumes by itself once the database is back.
* Lease: every worker writes a heartbeat (``TaskWorkerLease``) every ``TASK_LEASE_SECONDS / 6``
  from a thread of its own, also while a task runs. A task left "running" by a worker whose
  heartbeat is older than the lease (the worker was killed: SIGKILL, out of memory, power) is put
  back into the queue by any live worker and runs again. Tasks must therefore be idempotent; the
  messages they send go through ``core.outbox.send_once``.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, connections
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from .models import TaskWorkerLease

log = logging.getLogger("buergerkontakt.core.taskworker")

MAX_PAUSE_SECONDS = 5.0
FORGET_LEASES_AFTER = timedelta(days=1)


def beat(worker_id: str, now=None) -> None:
    TaskWorkerLease.objects.update_or_create(worker_id=worker_id,
                                             defaults={"heartbeat_at": now or timezone.now()})


def requeue_orphaned(lease_seconds: float, now=None) -> list[str]:
    """Put tasks of workers without a heartbeat within the lease back into the queue; their ids."""
    now = now or timezone.now()
    alive = set(TaskWorkerLease.objects.filter(heartbeat_at__gte=now - timedelta(seconds=lease_seconds))
                .values_list("worker_id", flat=True))
    requeued = []
    for task_id, worker_ids, path in (DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING)
                                      .values_list("id", "worker_ids", "task_path")):
        if worker_ids and worker_ids[-1] in alive:
            continue
        # Only if nobody claimed it since we looked (worker_ids unchanged).
        if DBTaskResult.objects.filter(id=task_id, status=TaskResultStatus.RUNNING,
                                       worker_ids=worker_ids).update(status=TaskResultStatus.READY,
                                                                     started_at=None):
            log.warning("Aufgabe %s (%s) eines beendeten Workers wird erneut ausgeführt", task_id, path)
            requeued.append(str(task_id))
    TaskWorkerLease.objects.filter(heartbeat_at__lt=now - FORGET_LEASES_AFTER).delete()
    return requeued


class TaskWorker(Worker):
    _heart: threading.Thread | None = None

    def _heartbeat(self) -> None:
        lease = float(settings.TASK_LEASE_SECONDS)
        while True:
            try:
                beat(self.worker_id)
                requeue_orphaned(lease)
            except Exception as exc:  # database down: the next beat tries again
                log.warning("Aufgaben-Worker: Lebenszeichen nicht geschrieben (%s)", type(exc).__name__)
            finally:
                connections.close_all()  # this thread's own connection
            time.sleep(max(0.5, lease / 6))

    def run(self) -> None:
        if self._heart is None:
            self._heart = threading.Thread(target=self._heartbeat, daemon=True, name="task-lease")
            self._heart.start()
        pause = 1.0
        while self.running:
            try:
                super().run()
                return  # stopped (signal, --batch, --max-tasks)
            except (OperationalError, InterfaceError) as exc:
                log.warning("Aufgaben-Worker: Datenbank nicht erreichbar (%s), neuer Versuch in %.0f s",
                            type(exc).__name__, pause)
            except Exception as exc:  # e.g. a task's result row deleted meanwhile: keep working
                log.warning("Aufgaben-Worker: Fehler in der Schleife (%s), neuer Versuch in %.0f s",
                            type(exc).__name__, pause)
            connections.close_all()
            time.sleep(pause)
            pause = min(pause * 2, MAX_PAUSE_SECONDS)
