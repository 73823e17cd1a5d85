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
    assert s["mailer"].endswith("filebased.EmailBackend")


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
