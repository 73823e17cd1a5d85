"""``make bench``: P1 (SQLite and PostgreSQL), P2 (PostgreSQL), P3–P5 (silent alarm), a summary
table, and the figures written into docs/performance.md between the ``bench:results`` markers (the
discussion around them is written by hand).

    .venv/bin/python benchmarks/run_all.py [--seconds 10] [--no-write]
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import common, p1_availability, p2_stampede, p3_alarm_fanout

DOC = common.ROOT / "docs" / "performance.md"
START, END = "<!-- bench:results:start -->", "<!-- bench:results:end -->"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    machine = common.machine()
    p1 = p1_availability.main(["run", "--seconds", str(args.seconds)])
    p2 = p2_stampede.main(["run"])
    p3 = p3_alarm_fanout.main(["run"])
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = "\n".join([
        f"Last `make bench`: {stamp}; machine: {machine}.", "",
        p1_availability.report(p1), "", p2_stampede.report(p2), "",
        p3_alarm_fanout.report(p3),
    ])
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
