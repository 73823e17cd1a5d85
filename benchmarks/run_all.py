"""``make bench``: P1 (SQLite and PostgreSQL), P2 (PostgreSQL), P3–P5 (silent alarm), P3 under faults
(``p3f``: alarms while Redis is dead or hangs, benchmarks/p3_alarm_outage.py), a summary
table, and the figures written into docs/performance.md between the ``bench:results`` markers (the
discussion around them is written by hand).

    .venv/bin/python benchmarks/run_all.py [--seconds 10] [--no-write] [--only p1,p2]
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import common, p1_availability, p2_stampede, p3_alarm_fanout, p3_alarm_outage

DOC = common.ROOT / "docs" / "performance.md"
START, END = "<!-- bench:results:start -->", "<!-- bench:results:end -->"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--only", default="p1,p2,p3,p3f",
                        help="comma-separated subset, e.g. p1,p2 (the others are left out of the block)")
    args = parser.parse_args()
    only = {part.strip() for part in args.only.split(",")}
    machine = common.machine()
    parts = []
    if "p1" in only:
        parts.append(p1_availability.report(p1_availability.main(["run", "--seconds", str(args.seconds)])))
    if "p2" in only:
        parts.append(p2_stampede.report(p2_stampede.main(["run"])))
    if "p3" in only:
        parts.append(p3_alarm_fanout.report(p3_alarm_fanout.main(["run"])))
    if "p3f" in only:  # P3 under faults: alarms while Redis is dead or hangs (tests/chaos)
        parts.append(p3_alarm_outage.report(p3_alarm_outage.main([])))
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    everything = only >= {"p1", "p2", "p3", "p3f"}
    label = "`make bench`" if everything else f"`run_all.py --only {','.join(sorted(only))}`"
    text = "\n\n".join([f"Last {label}: {stamp}; machine: {machine}.", *parts])
    print("\n" + text)
    if not args.no_write and DOC.exists():
        doc = DOC.read_text()
        if START in doc and END in doc:
            head, rest = doc.split(START, 1)
            _old, tail = rest.split(END, 1)
            DOC.write_text(f"{head}{START}\n{text}\n{END}{tail}")
            print(f"\nwritten to {DOC.relative_to(common.ROOT)}")


if __name__ == "__main__":
    main()
