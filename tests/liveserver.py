"""A real uvicorn server process on the test database, for browser journeys and multi-process
tests: it sees what a test commits (tests use ``transactional_db``)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class LiveServer:
    def __init__(self, mail_dir: Path):
        self.mail_dir = mail_dir
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.log = mail_dir.parent / "server.log"
        self.cache_dir = mail_dir.parent / "server-cache"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=_database_url(),
            DEBUG="false",
            SECURE_COOKIES="false",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SITE_URL=self.url,
            TASKS_BACKEND="django.tasks.backends.immediate.ImmediateBackend",
            BK_MAIL_DIR=str(self.mail_dir),
            EMAIL_FILE_PATH=str(self.mail_dir),
            AXES_ENABLED="false",
            # One server serves a whole module's journeys from 127.0.0.1; the limit itself is
            # tested in tests/security/test_public_writes.py.
            RATE_PUBLIC_WRITE_PER_IP="5000",
            PASSWORD_HASHERS="django.contrib.auth.hashers.MD5PasswordHasher",
            DJANGO_SETTINGS_MODULE="tests.live_settings",
            BK_E2E_CACHE_DIR=str(self.cache_dir),
        )
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        return env

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "buergerkontakt.asgi:application",
             "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning",
             "--no-access-log", "--ws", "websockets-sansio"],
            cwd=ROOT, env=self.env(), stdout=self.log.open("ab"), stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("server did not start within 30 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def clear_cache(self) -> None:
        """Empty the server's cache: its folder without Redis, else the keys under this
        installation's prefix in the Redis it shares with the tests (channel layer keys stay)."""
        if settings.CACHES["default"]["BACKEND"].endswith("LocMemCache"):
            shutil.rmtree(self.cache_dir, ignore_errors=True)
        else:
            from django.core.cache import cache

            cache.delete_pattern("*")

    def restart(self) -> None:
        self.stop()
        self.start()
