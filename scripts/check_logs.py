#!/usr/bin/env python3
"""Fail if a log file contains personal data of the demo and test persons (SPEC §8, issue 9).

``make test`` runs the whole suite with ``LOG_FILE`` set – every process (pytest, the uvicorn
servers of the browser journeys, nginx's upstreams) appends its log lines there – and then calls
this script on that file. It looks for the names of the persons the demo data and the tests book,
register and report, and for their e-mail addresses and phone numbers, case-insensitively, also in
JSON-escaped form. Exit code 1 and the offending lines (shortened) if anything is found.

    python3 scripts/check_logs.py var/test-logs/pytest.log
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from buergerkontakt.demo.people import DEMO_PERSONS  # noqa: E402 – no Django needed

# Persons the tests create (citizens, callers, register subjects, witnesses).
TEST_PERSONS = (
    "Erika Mustermann", "Erika Muster", "Erika Ärger", "Max Muster", "Max Anders", "Karl Anrufer",
    "Karl Kante", "Kurt Krawall", "Anna Annaberg", "Lena Lang", "Jürgen Müller", "Petra Pending",
    "Paula Pending", "Frau Nachbar",
    # staff in the test directory (tests/directory_auth) and at the test identity provider
    "Anna Schmidt", "Bernd Keller", "Carla Neu", "Dieter Wache", "Petra Schulz",
)
# Contact details of the demo and test persons: e-mail addresses at the documentation domains and
# German mobile numbers as the demo writes them.
CONTACT = re.compile(r"[\w.+-]+@(?:example\.(?:de|org|com|net)|beispiel\.de)|\b01[5-7]\d[ /-]?\d{6,8}\b",
                     re.IGNORECASE)


def needles() -> list[str]:
    names = {*DEMO_PERSONS, *TEST_PERSONS}
    found: set[str] = set()
    for name in names:
        found.add(name.lower())
        found.add(json.dumps(name)[1:-1].lower())  # "Fatma Y\u0131lmaz" in ASCII JSON
    return sorted(found)


def offending_lines(text: str) -> list[str]:
    lowered = text.lower()
    names = needles()
    bad = []
    for line in lowered.splitlines():
        if any(name in line for name in names) or CONTACT.search(line):
            bad.append(line[:300])
    return bad


def main(argv: list[str]) -> int:
    min_lines = 1
    if argv and argv[0].startswith("--min-lines="):
        min_lines = int(argv.pop(0).split("=", 1)[1])
    if not argv:
        print(__doc__.splitlines()[0] + "\nusage: check_logs.py [--min-lines=N] LOGFILE…", file=sys.stderr)
        return 2
    total, bad = 0, []
    for name in argv:
        path = Path(name)
        if not path.exists():
            print(f"check_logs: {path} fehlt – lief der Test mit LOG_FILE?", file=sys.stderr)
            return 2
        text = path.read_text(encoding="utf-8", errors="replace")
        total += text.count("\n")
        bad += [f"{path.name}: {line}" for line in offending_lines(text)]
    if bad:
        print(f"check_logs: {len(bad)} Zeile(n) mit personenbezogenen Daten:", file=sys.stderr)
        for line in bad[:20]:
            print("  " + line, file=sys.stderr)
        return 1
    if total < min_lines:
        print(f"check_logs: nur {total} Log-Zeilen (mindestens {min_lines} erwartet) – wurde überhaupt "
              "mitgeschrieben?", file=sys.stderr)
        return 1
    print(f"check_logs: {total} Log-Zeilen geprüft, keine Namen oder Kontaktdaten "
          "der Demo- und Testpersonen.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
