"""/healthz for load balancers: 200 when the database (and Redis, if configured) answer, 503 with
the failing check otherwise; no login, no personal data. Failures are real: a database connection
that cannot open, a server process pointed at a Redis port where nothing listens."""

from __future__ import annotations

import os

import httpx
import pytest
from django.db.utils import ConnectionHandler

from buergerkontakt.core import health
from tests.liveserver import LiveServer

pytestmark = pytest.mark.django_db


def test_healthy(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    expected = {"database": "ok"} | ({"redis": "ok"} if os.environ.get("REDIS_URL") else {})
    assert response.json() == {"status": "ok", "checks": expected}
    assert "no-store" in response["Cache-Control"]
    assert client.post("/healthz").status_code == 405


def test_not_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/termine/").status_code == 301


def test_a_database_that_cannot_be_reached_fails_the_check(tmp_path):
    broken = ConnectionHandler({"default": {"ENGINE": "django.db.backends.sqlite3",
                                            "NAME": str(tmp_path / "missing-dir" / "db.sqlite3")}})
    assert health.check_database("default", broken) is False
    assert health.check_database() is True


def test_redis_that_cannot_be_reached_fails_the_check():
    assert health.check_redis("redis://127.0.0.1:1/0") is False


@pytest.mark.parametrize("broken", ["database", "redis"])
def test_server_answers_503_naming_the_failing_check(tmp_path, broken):
    class Broken(LiveServer):
        def env(self):
            env = super().env()
            if broken == "database":
                env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'missing-dir' / 'db.sqlite3'}"
            else:
                env["REDIS_URL"] = "redis://127.0.0.1:1/0"
            return env

    (tmp_path / "mail").mkdir()
    server = Broken(tmp_path / "mail")
    server.start()
    try:
        response = httpx.get(server.url + "/healthz", timeout=20)
    finally:
        server.stop()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error" and body["checks"][broken] == "error"
    assert set(body) == {"status", "checks"}  # nothing else: no error texts, no host names
