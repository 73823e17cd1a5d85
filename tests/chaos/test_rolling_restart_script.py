"""scripts/rolling-restart.sh: restarts one worker after the other and waits for each one's health;
a worker that does not come back stops the run before the next one is touched."""

from __future__ import annotations

import subprocess

import pytest

from tests.liveserver import ROOT

pytestmark = pytest.mark.chaos

SCRIPT = ROOT / "scripts" / "rolling-restart.sh"


def run(ports: list[int], restart: str, timeout: str = "20") -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *map(str, ports)], capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "BK_RESTART_COMMAND": restart,
                               "BK_HEALTH_TIMEOUT": timeout})


def test_restarts_each_worker_and_waits_until_it_is_healthy(stack, tmp_path):
    ports = [web.port for web in stack.web]
    record = tmp_path / "restarted"
    result = run(ports, f"echo {{port}} >> {record}")
    assert result.returncode == 0, result.stderr
    assert record.read_text().split() == [str(port) for port in ports]
    assert result.stdout.count("bereit") == 2


def test_stops_when_a_worker_does_not_come_back(stack, tmp_path):
    first, second = stack.web
    first.kill()  # never comes back
    record = tmp_path / "restarted"
    result = run([first.port, second.port], f"echo {{port}} >> {record}", timeout="2")
    assert result.returncode == 1
    assert record.read_text().split() == [str(first.port)]  # the second worker was left alone
    assert "nicht bereit" in result.stderr
