"""`make run` on one checkout on two different days (2026-12-04): the steps of `make run` after the
installation (migrate, load_demo, run_platform) in their own processes under libfaketime, once at
00:30 Berlin time on a fresh database and again a day later on the same database – both times the
platform starts and serves its pages. Slow (two full demo loads); part of `make test`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not LIBFAKETIME.exists(), reason="needs Debian's faketime (make test installs it)"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(data_dir: Path, fake_utc: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "REDIS_URL", "TASKS_BACKEND", "DJANGO_SETTINGS_MODULE"}}
    env.update(BK_DATA_DIR=str(data_dir), SECURE_COOKIES="false", TZ="UTC", LD_PRELOAD=str(LIBFAKETIME),
               FAKETIME=f"@{fake_utc}", FAKETIME_DONT_FAKE_MONOTONIC="1", PYTHONUNBUFFERED="1")
    return env


def _manage(env: dict[str, str], *args: str) -> None:
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]


def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback)
        return response.status


def _serve(env: dict[str, str]) -> None:
    port = _free_port()
    server = subprocess.Popen([sys.executable, "manage.py", "run_platform", "--port", str(port)],
                              cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(240):
            assert server.poll() is None, server.stdout.read().decode()[-3000:]
            try:
                if _get(base + "/healthz") == 200:
                    break
            except OSError:
                time.sleep(0.25)
        assert _get(base + "/healthz") == 200
        assert _get(base + "/termine/") == 200
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def test_make_run_on_two_days_on_one_checkout(tmp_path):
    for fake_utc in ("2026-12-07 23:30:00", "2026-12-08 23:30:00"):  # 00:30 Berlin on the 8th and 9th
        env = _env(tmp_path, fake_utc)
        _manage(env, "migrate", "--verbosity", "0")
        _manage(env, "load_demo")
        _serve(env)
