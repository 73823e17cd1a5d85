"""Demo mode (2026-12-04): the demo app – demo data, ``load_demo``, ``demo_totp`` and the demo part of
``run_platform``'s banner – is installed only with ``DEMO_MODE=true``. Production, without it, imports
no demo module and knows no demo command; the tests run in demo mode (pyproject: pytest-env)."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command

from buergerkontakt.core.management.commands.run_platform import Command as RunPlatform
from buergerkontakt.core.models import User
from buergerkontakt.demo.logins import DEMO_PASSWORD
from buergerkontakt.demo.steps import appointments as appointment_demo
from buergerkontakt.demo.steps import reports as history

# The web process's imports (apps, URL configuration, WebSocket routing) and the periodic tasks.
PROBE = """
import django, sys
import buergerkontakt.asgi
from buergerkontakt.core import scheduler
scheduler.autodiscover()
print(sorted(m for m in sys.modules if ".demo" in m or m.endswith("demo_people")))
"""
BANNER = """
import django
django.setup()
from buergerkontakt.core.management.commands.run_platform import Command
Command().banner("http://127.0.0.1:8000")
"""


def _run(tmp_path, *args: str, demo_mode: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in {"DEMO_MODE", "DATABASE_URL", "REDIS_URL", "TASKS_BACKEND"}}
    env.update(BK_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="buergerkontakt.settings")
    if demo_mode is not None:
        env["DEMO_MODE"] = demo_mode
    return subprocess.run([sys.executable, *args], cwd=settings.BASE_DIR, env=env, capture_output=True,
                          text=True, timeout=120)


def test_the_tests_run_in_demo_mode():
    assert settings.DEMO_MODE and apps.is_installed("buergerkontakt.demo")


@pytest.mark.parametrize("demo_mode", [None, "false"])
def test_production_imports_no_demo_module(tmp_path, demo_mode):
    done = _run(tmp_path, "-c", PROBE, demo_mode=demo_mode)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "[]"


def test_the_probe_sees_the_demo_app_in_demo_mode(tmp_path):
    done = _run(tmp_path, "-c", PROBE, demo_mode="true")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "'buergerkontakt.demo.apps'" in done.stdout


@pytest.mark.parametrize("command", ["load_demo", "demo_totp"])
def test_production_knows_no_demo_command(tmp_path, command):
    done = _run(tmp_path, "manage.py", command, "admin", demo_mode=None)
    assert done.returncode != 0
    assert f"Unknown command: '{command}'" in done.stderr


def test_production_banner_has_no_demo_part(tmp_path):
    done = _run(tmp_path, "-c", BANNER, demo_mode=None)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Bürgerkontakt läuft." in done.stdout and "/anmelden/" in done.stdout
    assert "Demo" not in done.stdout and "Kiosk" not in done.stdout


@pytest.mark.django_db
def test_load_demo_in_demo_mode_and_the_banner_shows_its_logins(monkeypatch, settings):
    monkeypatch.setattr(history, "HISTORY_DAYS", 3)
    monkeypatch.setattr(appointment_demo, "BOOKING_DAYS", 2)
    settings.REQUIRE_2FA = True
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "Demo-Daten geladen." in out.getvalue()
    assert User.objects.get(username="admin").check_password(DEMO_PASSWORD)

    banner = StringIO()
    RunPlatform(stdout=banner).banner("http://127.0.0.1:8000")
    lines = banner.getvalue().splitlines()
    assert f"Demo-Zugänge – Passwort für alle: {DEMO_PASSWORD}" in lines
    kiosk = "  Kiosk (Selbstbedienung) Bürgerbüro im Rathaus: http://127.0.0.1:8000/"
    assert any(line.startswith(kiosk) for line in lines)
    assert any(line.split()[:1] == ["sb.mueller"] for line in lines)
    assert lines[-1] == "Beenden mit Strg+C."
