"""Run background tasks: ``db_worker`` of django-tasks-db with the same options, but a database
outage does not end it (core/taskworker.py)."""

from __future__ import annotations

from django_tasks_db.management.commands import db_worker

from buergerkontakt.core.taskworker import TaskWorker


class Command(db_worker.Command):
    help = "Führt Hintergrundaufgaben aus (wie db_worker; übersteht Datenbankausfälle)."

    def handle(self, *args, **options):
        # The upstream command builds its worker from this module-level name.
        db_worker.Worker = TaskWorker
        super().handle(*args, **options)
