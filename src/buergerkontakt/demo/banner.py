"""What ``run_platform`` prints in demo mode: the demo displays and kiosks and the demo logins."""

from __future__ import annotations

from django.conf import settings

from .logins import DEMO_PASSWORD, demo_logins
from .steps.walkin import demo_screen_urls


def screen_lines(base: str) -> list[str]:
    """The demo displays and kiosks, listed among the platform's URLs."""
    return [f"  {label}: {url}" for label, url in demo_screen_urls(base)]


def login_lines() -> list[str]:
    """The demo logins with their TOTP keys, after the platform's URLs."""
    lines = [f"Demo-Zugänge – Passwort für alle: {DEMO_PASSWORD}"]
    if settings.REQUIRE_2FA:
        lines += [
            "Zweiter Faktor: TOTP-Schlüssel unten in eine Authenticator-App eintragen, oder den aktuellen",
            "Code abrufen mit:  DEMO_MODE=true .venv/bin/python manage.py demo_totp <Benutzername>",
        ]
    lines.append(f"  {'Benutzername':<15} {'Rolle':<40} {'Bereich':<42} TOTP-Schlüssel (nur Demo)")
    lines += [f"  {login.username:<15} {login.role[:40]:<40} {login.scope[:42]:<42} {login.totp_secret}"
              for login in demo_logins()]
    return lines
