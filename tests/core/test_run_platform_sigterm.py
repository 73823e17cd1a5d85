"""Issue 26, defect 9 (2026-12-04): SIGTERM to ``run_platform`` (as systemd, docker stop or a
supervisor send it) stops its task worker and scheduler too – no orphans left running. A real
process tree: migrate a fresh SQLite database, start the platform, send SIGTERM to it alone."""

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

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid …; comm may contain spaces, so split after the closing parenthesis
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _up(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
            return response.status == 200
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc").exists(), reason="reads the process tree from /proc")
def test_sigterm_stops_the_worker_and_the_scheduler_too(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "REDIS_URL", "TASKS_BACKEND", "DJANGO_SETTINGS_MODULE"}}
    env.update(BK_DATA_DIR=str(tmp_path), SECURE_COOKIES="false", PYTHONUNBUFFERED="1")
    done = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=settings.BASE_DIR,
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    port = _free_port()
    server = subprocess.Popen([sys.executable, "manage.py", "run_platform", "--port", str(port)],
                              cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    children: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (_up(f"http://127.0.0.1:{port}/healthz")
                                                    and len(_children(server.pid)) >= 2):
            assert server.poll() is None, "run_platform ended early"
            time.sleep(0.5)
        children = _children(server.pid)
        assert len(children) >= 2, "worker and scheduler should run as child processes"
        server.send_signal(signal.SIGTERM)  # the platform alone, as a process supervisor does
        server.wait(timeout=30)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(_alive(pid) for pid in children):
            time.sleep(0.2)
        assert [pid for pid in children if _alive(pid)] == []
    finally:
        for pid in [server.pid, *children]:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        server.wait(timeout=10)
