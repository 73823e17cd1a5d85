"""P6: desktop agent latency – "hotkey on agent A → alarm window on agent B".

    .venv/bin/python benchmarks/p6_agent_latency.py [--runs 25]

Two PCs as two Xvfb displays, one real agent process each (``agent/``, enrolled with one-time codes
through the API), one uvicorn process on its own SQLite database (temporary ``BK_DATA_DIR``). Each
run presses the hotkey on PC A with ``xdotool`` (guard "none": the press-twice guard is a deliberate
delay and not measured) and takes the moment agent B's alarm window is mapped (B notes it on the
system's monotonic clock); then B answers "Vor Ort" (Alt+V) and its window closes.

Floor in the same run: the same path without Bürgerkontakt (``p6_floor.py``) – a bare pynput
listener on PC A, a bare ``websockets`` broadcast server, a bare Tk client on PC B that maps a
window. Both GUIs pick up network messages every 10 ms. Needs Debian's Xvfb and xdotool
(``make xvfb``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import common

PY = str(common.VENV_BIN / "python")


def xvfb() -> tuple[subprocess.Popen, str]:
    read, write = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten",
                             "tcp", "+extension", "RECORD"], pass_fds=(write,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as answer:
        return proc, ":" + answer.readline().strip()


def wait(check, timeout: float, what: str, interval: float = 0.001):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise RuntimeError(f"timed out waiting for {what}")


def state(home: Path) -> dict:
    try:
        return json.loads((home / "state.json").read_text())
    except (OSError, ValueError):
        return {}


def percentile(values: list[float], q: float) -> float:
    return common.percentile(values, q)


def measure_agents(base: str, codes: dict, displays: dict, runs: int, tmp: Path, parts: dict) -> list[float]:
    homes = {name: tmp / f"agent-{name}" for name in ("a", "b")}
    procs = []
    try:
        for name, home in homes.items():
            env = {**os.environ, "DISPLAY": displays[name], "BK_AGENT_HOME": str(home)}
            subprocess.run([PY, "-m", "buergerkontakt_agent", "enrol", "--server", base,
                            "--code", codes[name]], env=env, check=True, capture_output=True)
            subprocess.run([PY, "-m", "buergerkontakt_agent", "config", "--guard", "none", "--no-sound"],
                           env=env, check=True, capture_output=True)
            procs.append(subprocess.Popen([PY, "-m", "buergerkontakt_agent", "run", "--windowed"], env=env,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for home in homes.values():
            wait(lambda home=home: state(home).get("connected"), 30, "agent connected", 0.05)
        latencies = []
        seen: set[str] = set()
        for run in range(runs):
            start = time.monotonic()
            subprocess.run(["xdotool", "key", "ctrl+alt+a"], env={**os.environ, "DISPLAY": displays["a"]},
                           check=True)

            def new_window():
                shown = state(homes["b"]).get("shown_at", {})
                fresh = [pk for pk in shown if pk not in seen]
                return fresh[0] if fresh else None

            alarm = wait(new_window, 15, "agent B's window")
            seen.add(alarm)
            b = state(homes["b"])
            presses = lambda run=run: state(homes["a"]).get("fired_at", [])[run:run + 1]  # noqa: E731
            fired = wait(presses, 5, "A's press")[0]
            latencies.append((b["shown_at"][alarm] - start) * 1000)
            parts["key → agent A's hotkey"].append((fired - start) * 1000)
            parts["agent A → server → agent B's socket"].append((b["arrived_at"][alarm] - fired) * 1000)
            parts["agent B: message → window mapped"].append(
                (b["shown_at"][alarm] - b["arrived_at"][alarm]) * 1000)
            time.sleep(0.3)
            subprocess.run(["xdotool", "key", "alt+v"], env={**os.environ, "DISPLAY": displays["b"]},
                           check=True)
            time.sleep(2.0)  # the answered window closes after 1.5 s
        return latencies
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(5)


def measure_floor(displays: dict, runs: int, tmp: Path) -> list[float]:
    port = common.free_port()
    url = f"ws://127.0.0.1:{port}"
    out = tmp / "floor.txt"
    floor = str(Path(__file__).with_name("p6_floor.py"))
    server = subprocess.Popen([PY, floor, "server", str(port)])
    procs = [server]
    try:
        time.sleep(1.0)
        receiver = subprocess.Popen([PY, floor, "receiver", url, str(out)],
                                    env={**os.environ, "DISPLAY": displays["b"]}, stdout=subprocess.PIPE)
        sender = subprocess.Popen([PY, floor, "sender", url], env={**os.environ, "DISPLAY": displays["a"]},
                                  stdout=subprocess.PIPE)
        procs += [receiver, sender]
        for proc in (receiver, sender):
            proc.stdout.readline()
        time.sleep(0.5)
        latencies = []
        for run in range(1, runs + 1):
            start = time.monotonic()
            subprocess.run(["xdotool", "key", "ctrl+alt+a"], env={**os.environ, "DISPLAY": displays["a"]},
                           check=True)

            def noted(run=run):
                if not out.exists():
                    return None
                for line in out.read_text().splitlines():
                    number, at = line.split()
                    if int(number) == run:
                        return float(at)
                return None

            latencies.append((wait(noted, 15, "floor window") - start) * 1000)
            time.sleep(1.0)
        return latencies
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(5)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=25)
    args = parser.parse_args()
    missing = [tool for tool in ("Xvfb", "xdotool") if shutil.which(tool) is None]
    if missing:
        sys.exit(f"P6 needs {', '.join(missing)} (make xvfb)")
    tmp = Path(tempfile.mkdtemp(prefix="bk-p6-"))
    common.BENCH_DIR = tmp
    env = common.bench_env(common.sqlite_url("p6"), ALARM_DEVICE_DEBOUNCE_SECONDS="0", RATE_DEVICE_ALARMS="0",
                           ALARM_ESCALATION_TIMER="false")
    displays, xservers = {}, []
    try:
        common.run_manage(env, "migrate", "--verbosity", "0")
        codes = json.loads(subprocess.run([PY, "-m", "benchmarks.p6_data"], cwd=common.ROOT, env=env,
                                          check=True, capture_output=True, text=True).stdout)
        for name in ("a", "b"):
            proc, display = xvfb()
            xservers.append(proc)
            displays[name] = display
        parts: dict[str, list[float]] = {name: [] for name in (
            "key → agent A's hotkey", "agent A → server → agent B's socket",
            "agent B: message → window mapped")}
        with common.server(env, workers=1) as base:
            ours = measure_agents(base, codes, displays, args.runs, tmp, parts)
        floor = measure_floor(displays, args.runs, tmp)
    finally:
        for proc in xservers:
            proc.terminate()
        shutil.rmtree(tmp, ignore_errors=True)
    p50, p99 = percentile(ours, 50), percentile(ours, 99)
    f50, f99 = percentile(floor, 50), percentile(floor, 99)
    print(f"P6 hotkey on agent A → window on agent B, {len(ours)} runs")
    print("| path | p50 ms | p99 ms | max ms |")
    print("|---|---|---|---|")
    print(f"| Bürgerkontakt (agent A → API → relay → agent B) | {p50:.1f} | {p99:.1f} | {max(ours):.1f} |")
    for name, values in parts.items():
        print(f"| of which: {name} | {percentile(values, 50):.1f} | {percentile(values, 99):.1f} | "
              f"{max(values):.1f} |")
    print(f"| raw floor (pynput → websockets → Tk) | {f50:.1f} | {f99:.1f} | {max(floor):.1f} |")
    print(f"ours/floor: p50 {p50 / f50:.2f} ×, p99 {p99 / f99:.2f} ×; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
