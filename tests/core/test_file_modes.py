"""Issue 20 item 11: what the application writes to disk with personal data – the SQLite database
(with its WAL and shared-memory files), the demo mail and SMS folders – is readable by its own
user only, whatever the process umask. Checked in a fresh interpreter with the usual umask 022."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import django
django.setup()
from django.core.mail import send_mail
from django.db import connection
from buergerkontakt.notifications import sms
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE probe (name TEXT)")
    cursor.execute("INSERT INTO probe VALUES ('Erika Mustermann')")
send_mail("Termin", "Ihr Termin", "noreply@example.org", ["erika@example.org"])
sms.LoggingGateway().send(sms.SmsMessage(to="+4915123456789", text="Ihr Termin"))
# while the connection is open, the WAL and shared-memory files exist (SQLite removes them at close)
import json, os, stat
from django.conf import settings
found = {}
for folder, _dirs, files in os.walk(settings.DATA_DIR):
    for name in [folder, *(os.path.join(folder, f) for f in files)]:
        found[os.path.relpath(name, settings.DATA_DIR)] = stat.S_IMODE(os.stat(name).st_mode)
print(json.dumps(found))
"""


def run(data_dir: Path, script: str = SCRIPT) -> dict[str, int]:
    """Runs the script; the mode of every file and folder below ``data_dir`` while it ran."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "EMAIL_HOST", "EMAIL_FILE_PATH", "SMS_FILE_PATH", "SMS_BACKEND",
                        "SECRET_KEY"}}
    env.update(DJANGO_SETTINGS_MODULE="buergerkontakt.settings", BK_DATA_DIR=str(data_dir))
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True, capture_output=True,
                         text=True, preexec_fn=lambda: os.umask(0o022))
    return json.loads(out.stdout.strip().splitlines()[-1])


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_database_mail_and_sms_are_private(tmp_path):
    data = tmp_path / "daten"
    modes = run(data)
    for name in ("buergerkontakt.sqlite3", "buergerkontakt.sqlite3-wal", "buergerkontakt.sqlite3-shm",
                 "secret_key"):
        assert modes[name] == 0o600, (name, oct(modes[name]))
    for folder in ("mail", "sms"):
        assert modes[folder] == 0o700, folder
        files = {name: value for name, value in modes.items() if name.startswith(folder + os.sep)}
        assert files, folder
        assert all(value == 0o600 for value in files.values()), files


def test_files_left_readable_by_an_earlier_version_are_tightened(tmp_path):
    data = tmp_path / "daten"
    for folder in ("mail", "sms"):
        (data / folder).mkdir(parents=True)
        (data / folder).chmod(0o755)
    database = data / "buergerkontakt.sqlite3"
    database.touch()
    database.chmod(0o644)
    modes = run(data)
    assert modes["buergerkontakt.sqlite3"] == 0o600
    assert modes["mail"] == modes["sms"] == 0o700
    assert mode(database) == 0o600


@pytest.mark.django_db
def test_the_test_database_is_private_too(settings):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL keeps its own files")
    name = connection.settings_dict["NAME"]
    if str(name).startswith(("file:", ":memory:")):
        pytest.skip("in-memory database")
    assert mode(Path(name)) == 0o600
