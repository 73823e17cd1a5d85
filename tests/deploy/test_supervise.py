"""Issue 18, finding 5: a killed process of the scaled platform is started again. scripts/supervise.sh
keeps each child of ``make run-scaled`` running; the systemd units restart on failure."""

from __future__ import annotations

import configparser
import os
import signal
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(item) for item in path.read_text().split()] if path.exists() else []


def child_running(pid: int, name: str) -> int | None:
    for child in children(pid):
        try:
            if name in Path(f"/proc/{child}/cmdline").read_bytes().decode(errors="replace"):
                return child
        except FileNotFoundError:
            continue
    return None


def wait_for(predicate, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.05)
    raise TimeoutError


def test_a_killed_process_is_started_again_and_sigterm_stops_everything():
    supervisor = subprocess.Popen([str(ROOT / "scripts" / "supervise.sh"), "probe", "sleep", "300"],
                                  stderr=subprocess.PIPE, text=True)
    try:
        first = wait_for(lambda: child_running(supervisor.pid, "sleep\x00300"), 10)
        os.kill(first, signal.SIGKILL)
        second = wait_for(
            lambda: (pid := child_running(supervisor.pid, "sleep\x00300")) and pid != first and pid, 10)
        assert second != first
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(10) == 0
        assert not Path(f"/proc/{second}").exists() or b"300" not in Path(
            f"/proc/{second}/cmdline").read_bytes()
        assert "probe beendet" in supervisor.stderr.read()
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait()


def test_run_scaled_supervises_every_child():
    script = (ROOT / "scripts" / "run-scaled.sh").read_text()
    for command in ("uvicorn", "run_worker", "run_scheduler", "nginx"):
        started = [line for line in script.splitlines() if command in line and "manage.py migrate" not in line
                   and line.strip().startswith('"$SUPERVISE"')]
        assert started, f"{command} is not started under scripts/supervise.sh"
    assert "SUPERVISE=$ROOT/scripts/supervise.sh" in script


def test_systemd_units_restart_always_with_private_umask():
    for unit in (ROOT / "deploy" / "systemd").glob("buergerkontakt-*.service"):
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.read(unit)
        service = parser["Service"]
        assert service.get("UMask") == "0077", unit.name
        if service.get("Type") != "oneshot":
            assert service.get("Restart") == "always", unit.name
