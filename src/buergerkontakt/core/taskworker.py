"""The task worker (``manage.py run_worker``): django-tasks-db's ``db_worker`` loop, made to outlive
faults (docs/adr/0012-faults-and-recovery.md).

* A database outage no longer ends the process: connection errors are logged (type only), the
  connections closed, and the loop starts again after a short pause (1 s, doubling, at most
  ``MAX_PAUSE_SECONDS``) – the worker resumes by itself once the database is back.
"""

from __future__ import annotations

import logging
import time

from django.db import InterfaceError, OperationalError, connections
from django_tasks_db.management.commands.db_worker import Worker

log = logging.getLogger("buergerkontakt.core.taskworker")

MAX_PAUSE_SECONDS = 5.0


class TaskWorker(Worker):
    def run(self) -> None:
        pause = 1.0
        while self.running:
            try:
                super().run()
                return  # stopped (signal, --batch, --max-tasks)
            except (OperationalError, InterfaceError) as exc:
                log.warning("Aufgaben-Worker: Datenbank nicht erreichbar (%s), neuer Versuch in %.0f s",
                            type(exc).__name__, pause)
                connections.close_all()
                time.sleep(pause)
                pause = min(pause * 2, MAX_PAUSE_SECONDS)
