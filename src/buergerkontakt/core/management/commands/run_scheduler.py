"""Enqueue the registered periodic tasks when they are due (see ``core/scheduler.py``)."""

from __future__ import annotations

import logging
import signal
import threading

from django.core.management.base import BaseCommand
from django.db import close_old_connections, connections

from buergerkontakt.core import scheduler

log = logging.getLogger("buergerkontakt.core.scheduler")


class Command(BaseCommand):
    help = "Reiht periodische Hintergrundaufgaben (Freigaben, Erinnerungen, Warteliste) fällig ein."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="alle Aufgaben einmal einreihen und beenden")
        parser.add_argument("--max-sleep", type=float, default=5.0,
                            help="längste Pause zwischen zwei Prüfungen (Sekunden)")

    def handle(self, *args, once: bool, max_sleep: float, **options):
        scheduler.autodiscover()
        names = sorted(scheduler.registered())
        if once:
            enqueued = scheduler.tick()
            self.stdout.write(f"{len(enqueued)} von {len(names)} Aufgaben eingereiht.")
            return
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_args: stop.set())
        log.info("Zeitplaner gestartet (%d Aufgaben)", len(names))
        while not stop.is_set():
            close_old_connections()
            try:
                scheduler.tick()
            except Exception as exc:  # tick() logs its own errors; this is the last resort
                log.warning("Zeitplaner: %s", type(exc).__name__)
                connections.close_all()
            stop.wait(min(max_sleep, max(0.2, scheduler.seconds_until_next())))
        connections.close_all()
        log.info("Zeitplaner beendet")
