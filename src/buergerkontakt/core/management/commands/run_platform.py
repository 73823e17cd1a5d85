"""Start the platform: task worker, scheduler and uvicorn, with its URLs – and, in demo mode, the
demo displays and logins, which the demo app (installed only then) adds to the banner."""

from __future__ import annotations

import signal
import subprocess
import sys

import uvicorn
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand

DEMO_APP = "buergerkontakt.demo"


class Command(BaseCommand):
    help = "Startet Webserver (uvicorn, ASGI) und Hintergrund-Worker und zeigt URLs und Demo-Zugänge."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1, help="uvicorn-Prozesse")
        parser.add_argument("--no-worker", action="store_true",
                            help="ohne Hintergrund-Worker und Zeitplaner")

    def banner(self, base: str) -> None:
        w = self.stdout.write
        # The demo app's lines, asked of its AppConfig: core never imports the demo package.
        demo = apps.get_app_config("demo") if apps.is_installed(DEMO_APP) else None
        w("")
        w(self.style.SUCCESS("Bürgerkontakt läuft."))
        w(f"  Bürgerseiten           {base}/")
        w(f"  Termin buchen          {base}/termine/")
        w(f"  Bedarf melden          {base}/termine/warteliste/")
        w(f"  Terminkalender (Team)  {base}/mitarbeiter/termine/")
        w(f"  Aufrufen (Schalter)    {base}/mitarbeiter/aufruf/")
        w(f"  Empfang (Wartenummern) {base}/mitarbeiter/aufruf/empfang/")
        w(f"  Rückrufe (Telefonzentrale) {base}/mitarbeiter/rueckrufe/")
        w(f"  Rückruf anfordern      {base}/rueckruf/")
        for line in demo.banner_screen_lines(base) if demo else ():
            w(line)
        w(f"  Anmeldung Mitarbeitende {base}/anmelden/")
        w(f"  Administration         {base}/admin/")
        w(f"  API (OpenAPI)          {base}/api/docs  ·  {base}/api/openapi.json")
        if demo:
            w("")
            for line in demo.banner_login_lines():
                w(line)
        if getattr(settings, "AUTH_LDAP_SERVER_URI", ""):
            w("")
            w(f"Verzeichnis (LDAP): {settings.AUTH_LDAP_SERVER_URI} – Mitarbeitende melden sich unter")
            w(f"{base}/anmelden/ mit ihrem Verzeichnis-Benutzernamen und -Passwort an; Rollen kommen aus")
            w(f"den Gruppenzuordnungen: {base}/admin/directory_auth/grouprolemapping/")
        if getattr(settings, "OIDC_DISCOVERY_URL", ""):
            w("")
            w(f"Identitätsanbieter (OpenID Connect): {settings.OIDC_DISCOVERY_URL}")
            w(f"  „Mit Dienstkonto anmelden“ unter {base}/anmelden/ · Rückkehr-Adresse beim Anbieter:")
            w(f"  {base}/anmelden/dienstkonto/rueckkehr/")
        w("")
        w("Beenden mit Strg+C.")

    def handle(self, *args, host: str, port: int, workers: int, no_worker: bool, **options):
        children: list[subprocess.Popen] = []
        # SIGTERM (systemd, docker stop, a supervisor) ends the platform like Ctrl+C: uvicorn shuts
        # down and then raises the signal again; with the default handler that killed this process
        # before the children below were stopped, and the worker and scheduler ran on as orphans.
        previous = signal.signal(signal.SIGTERM, _terminate)
        try:
            if not no_worker:
                # The worker runs the tasks; the scheduler enqueues the periodic ones (core/scheduler.py).
                for command in ("run_worker", "run_scheduler"):
                    children.append(subprocess.Popen(  # noqa: S603 (our own fixed command line)
                        [sys.executable, "manage.py", command], cwd=settings.BASE_DIR,
                        preexec_fn=_die_with_parent))
            self.banner(f"http://{host}:{port}")
            uvicorn.run("buergerkontakt.asgi:application", host=host, port=port, workers=workers,
                        log_level="warning", access_log=False, lifespan="off", ws="websockets-sansio")
        finally:
            _stop(children)
            signal.signal(signal.SIGTERM, previous)


def _terminate(signum, frame) -> None:
    raise SystemExit(128 + signum)


def _die_with_parent() -> None:
    """In the child before it starts: on Linux it gets SIGTERM should this process die without
    cleaning up (SIGKILL, a crash). Elsewhere only the orderly stop in ``_stop`` applies."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _stop(children: list[subprocess.Popen]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(5)
