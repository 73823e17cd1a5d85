"""P3 under faults: an alarm raised while Redis is dead or hangs – time to full delivery.

    .venv/bin/python benchmarks/p3_alarm_outage.py [--rounds 10]

Runs the fault test of issue 17 (``tests/chaos/test_alarm_faults.py``) with its scenarios repeated
``--rounds`` times: real processes (nginx with the project's configuration, two uvicorn workers, a
private redis-server, the database behind a TCP proxy) and 50 alarm clients spread over both workers.
Each round raises three alarms:

* **normal** – the baseline of the same run;
* **redis killed** – Redis is SIGKILLed, the alarm raised, Redis started again 1 s later;
* **redis paused** – Redis is SIGSTOPped, the alarm raised, Redis resumed 1 s later;

plus one alarm right after a worker was killed. Every alarm is checked as in the test suite (every
client has it within 10 s of the fault ending, each delivery stored once, the trigger's status truthful).

Printed per scenario, over the rounds: time from the raise until the *last* of the 50 clients has the
alarm ("time to full delivery"), p50/p99, and the ratio to the normal alarm of the same run; for the
faults also the time counted from the end of the fault. Needs PostgreSQL (``BENCH_DATABASE_URL``,
default ``bk_bench``; pytest-django uses ``test_bk_bench``) and Redis for the test process.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import common

SCENARIOS = ("normal", "redis killed", "redis paused", "worker killed")


def run(rounds: int) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="bk-outage-") as tmp:
        results = Path(tmp) / "results.json"
        env = {**os.environ, "DATABASE_URL": common.PG_BENCH_URL, "REDIS_URL": common.REDIS_BENCH_URL,
               "REDIS_PREFIX": f"bkbench{os.getpid()}", "BK_DATA_DIR": str(Path(tmp) / "data"),
               "ALARM_OUTAGE_ROUNDS": str(rounds), "ALARM_OUTAGE_RESULTS": str(results)}
        command = [str(common.VENV_BIN / "python"), "-m", "pytest", "-q", "-p", "no:randomly", "-m", "chaos",
                   "tests/chaos/test_alarm_faults.py", "--create-db"]
        done = subprocess.run(command, cwd=common.ROOT, env=env, timeout=300 + 60 * rounds, check=False)
        if done.returncode != 0 or not results.exists():
            raise SystemExit(f"the fault scenario failed (pytest exit {done.returncode})")
        return json.loads(results.read_text())


def summary(results: list[dict]) -> dict[str, dict[str, float]]:
    table = {}
    for name in SCENARIOS:
        rows = [r for r in results if r["scenario"] == name]
        if not rows:
            continue
        raise_ms = [r["after_raise_s"] * 1000 for r in rows]
        fault_ms = [r["after_fault_s"] * 1000 for r in rows]
        table[name] = {"n": len(rows), "p50": common.percentile(raise_ms, 50),
                       "p99": common.percentile(raise_ms, 99),
                       "fault_p50": common.percentile(fault_ms, 50),
                       "fault_p99": common.percentile(fault_ms, 99)}
    return table


def report(table: dict[str, dict[str, float]]) -> str:
    base = table["normal"]["p99"]
    lines = ["| P3 under faults (50 clients, 2 workers) | n | full delivery after raise p50 / p99 ms "
             "| ratio p99 to normal | after the fault ended p50 / p99 ms |",
             "|---|---|---|---|---|"]
    for name, row in table.items():
        after_fault = "–" if name == "normal" else f"{row['fault_p50']:.0f} / {row['fault_p99']:.0f}"
        lines.append(f"| {name} | {row['n']} | {row['p50']:.0f} / {row['p99']:.0f} "
                     f"| {row['p99'] / base:.1f} × | {after_fault} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args(argv)
    if not (common.postgres_available() and common.redis_available()):
        raise SystemExit("P3 under faults needs PostgreSQL and Redis (see docs/performance.md)")
    print(f"[P3 outage] machine: {common.machine()}; {args.rounds} rounds", flush=True)
    table = summary(run(args.rounds))
    print(report(table))
    return table


if __name__ == "__main__":
    main()
