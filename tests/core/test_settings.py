"""Production-safe defaults: the settings module evaluated in a fresh interpreter per environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = (
    "import json, django; from django.conf import settings as s; django.setup();"
    "print(json.dumps({'cookie': s.SESSION_COOKIE_SECURE, 'csrf': s.CSRF_COOKIE_SECURE,"
    "'hsts': s.SECURE_HSTS_SECONDS, 'debug': s.DEBUG,"
    "'csp': {k: list(map(str, v)) for k, v in s.SECURE_CSP.items()},"
    "'db': s.DATABASES['default']['ENGINE'], 'layer': s.CHANNEL_LAYERS['default']['BACKEND'],"
    "'tz': s.TIME_ZONE, 'mailer': s.MAILERS['default']['BACKEND'], 'key_len': len(s.SECRET_KEY)}))"
)


def probe(tmp_path, **env) -> dict:
    clean = {k: v for k, v in os.environ.items()
             if k not in {"DEBUG", "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "EMAIL_HOST", "SECURE_COOKIES"}}
    clean.update(DJANGO_SETTINGS_MODULE="buergerkontakt.settings", BK_DATA_DIR=str(tmp_path), **env)
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_defaults_are_production_safe(tmp_path):
    s = probe(tmp_path)
    assert s["debug"] is False
    assert s["cookie"] is True and s["csrf"] is True
    assert s["hsts"] >= 31_536_000
    assert s["csp"]["script-src"] == ["'self'"] and s["csp"]["style-src"] == ["'self'"]
    assert all("unsafe" not in src for sources in s["csp"].values() for src in sources)
    assert s["db"] == "django.db.backends.sqlite3"
    assert s["layer"] == "channels.layers.InMemoryChannelLayer"
    assert s["tz"] == "Europe/Berlin"
    assert s["mailer"].endswith("PrivateFileEmailBackend")


def test_secret_key_generated_once_and_kept(tmp_path):
    probe(tmp_path)
    key = (tmp_path / "secret_key").read_text()
    probe(tmp_path)
    assert (tmp_path / "secret_key").read_text() == key
    assert len(key) >= 50
    assert oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"


def test_environment_switches_engines(tmp_path):
    s = probe(tmp_path, DATABASE_URL="postgres://u@127.0.0.1:5432/x", REDIS_URL="redis://127.0.0.1:6379/0",
              EMAIL_HOST="smtp.example.org", DEBUG="true")
    assert s["db"] == "django.db.backends.postgresql"
    assert s["layer"] == "channels_redis.core.RedisChannelLayer"
    assert s["mailer"].endswith("smtp.EmailBackend")
    assert s["cookie"] is False and s["hsts"] == 0


def run_settings(tmp_path, code: str, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if k not in {"DEBUG", "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "EMAIL_HOST", "SECURE_COOKIES",
                          "SITE_URL", "INCIDENT_ENCRYPTION_KEY", "INCIDENT_HASH_KEY"}}
    clean.update(DJANGO_SETTINGS_MODULE="buergerkontakt.settings", BK_DATA_DIR=str(tmp_path), **env)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True)


def test_unknown_boolean_value_fails_loudly(tmp_path):
    """`DEBUG=ture` must not silently mean "off" (or `REQUIRE_2FA=nope` silently "on")."""
    out = run_settings(tmp_path, "import django; django.setup()", REQUIRE_2FA="nö")
    assert out.returncode != 0
    assert "REQUIRE_2FA" in out.stderr and "kein Wahrheitswert" in out.stderr
    for value, expected in (("Nein", False), ("off", False), ("0", False), ("JA", True), ("on", True)):
        s = run_settings(tmp_path, "import django; from django.conf import settings as s; django.setup();"
                         "print(s.REQUIRE_2FA)", REQUIRE_2FA=value)
        assert s.returncode == 0, s.stderr
        assert s.stdout.strip().splitlines()[-1] == str(expected)


def test_unknown_integer_value_fails_loudly(tmp_path):
    out = run_settings(tmp_path, "import django; django.setup()", ALARM_GRACE_SECONDS="zehn")
    assert out.returncode != 0
    assert "ALARM_GRACE_SECONDS" in out.stderr and "ganze Zahl" in out.stderr


DEPLOY_CHECK = ("import django, sys; django.setup(); from django.core.management import call_command;"
                "call_command('check', deploy=True, fail_level='ERROR')")


def test_deploy_check_refuses_generated_secrets_and_plain_http(tmp_path):
    out = run_settings(tmp_path, DEPLOY_CHECK, SITE_URL="http://termine.example.de")
    assert out.returncode != 0
    for check_id in ("core.E001", "core.E002", "core.E003"):
        assert check_id in out.stderr, (check_id, out.stderr[-2000:])


def test_deploy_check_passes_with_configured_secrets(tmp_path):
    from cryptography.fernet import Fernet
    out = run_settings(tmp_path, DEPLOY_CHECK, SITE_URL="https://termine.example.de",
                       SECRET_KEY="x" * 60 + "Yz-1_" * 4,
                       INCIDENT_ENCRYPTION_KEY=Fernet.generate_key().decode(),
                       INCIDENT_HASH_KEY="h" * 48, ALLOWED_HOSTS="termine.example.de")
    assert "core.E00" not in out.stderr, out.stderr[-2000:]


def test_deploy_check_is_quiet_in_debug(tmp_path):
    out = run_settings(tmp_path, DEPLOY_CHECK, DEBUG="true")
    assert "core.E00" not in out.stderr, out.stderr[-2000:]
