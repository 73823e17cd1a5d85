"""scripts/backup.sh and scripts/restore.sh round-trip a real, migrated database: data created,
backed up, changed and deleted, restored – and it is back as it was. SQLite always; PostgreSQL when
DATABASE_URL points at it (in a scratch database of its own, never the one pytest-django uses)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import dj_database_url
import psycopg
import pytest
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_URL = os.environ.get("DATABASE_URL", "")
POSTGRES = POSTGRES_URL.startswith(("postgres://", "postgresql://"))

SNAPSHOT = ("from buergerkontakt.core.models import Authority; import json; "
            "print(json.dumps(sorted(Authority.objects.values_list('name', flat=True))))")


def environment(database_url: str, data_dir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(DATABASE_URL=database_url, BK_DATA_DIR=str(data_dir), PYTHON=sys.executable)
    env.pop("REDIS_URL", None)
    return env


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,
                            capture_output=True, text=True)
    return result.stdout


def names(env: dict[str, str]) -> list[str]:
    return json.loads(manage(env, "shell", "-c", SNAPSHOT).strip().splitlines()[-1])


def change(env: dict[str, str], code: str) -> None:
    manage(env, "shell", "-c", "from buergerkontakt.core.models import Authority; " + code)


def round_trip(env: dict[str, str], backups: Path) -> None:
    manage(env, "migrate", "--verbosity", "0")
    change(env, "Authority.objects.create(name='Bürgerbüro Vorher', slug='vorher'); "
                "Authority.objects.create(name='Jobcenter Vorher', slug='jobcenter')")
    before = names(env)
    assert before == ["Bürgerbüro Vorher", "Jobcenter Vorher"]

    result = subprocess.run([str(ROOT / "scripts" / "backup.sh"), str(backups)], env=env, check=True,
                            capture_output=True, text=True)
    backup = Path(result.stdout.strip().splitlines()[-1])
    assert backup.parent == backups and backup.stat().st_size > 0
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600  # personal data: owner only

    change(env, "Authority.objects.filter(slug='jobcenter').delete(); "
                "Authority.objects.filter(slug='vorher').update(name='Bürgerbüro Nachher'); "
                "Authority.objects.create(name='Neu nach der Sicherung', slug='neu')")
    assert names(env) == ["Bürgerbüro Nachher", "Neu nach der Sicherung"]

    refused = subprocess.run([str(ROOT / "scripts" / "restore.sh"), str(backup)], env=env, input="nein\n",
                             capture_output=True, text=True)
    assert refused.returncode != 0 and names(env) != before  # nothing happens without consent

    subprocess.run([str(ROOT / "scripts" / "restore.sh"), str(backup), "--yes"], env=env, check=True,
                   capture_output=True, text=True)
    assert names(env) == before
    manage(env, "migrate", "--check")  # the schema is complete, nothing left to migrate


def test_sqlite_round_trip(tmp_path):
    env = environment(f"sqlite:///{tmp_path / 'data' / 'bk.sqlite3'}", tmp_path / "data")
    round_trip(env, tmp_path / "backups")


@pytest.mark.skipif(not POSTGRES, reason="needs DATABASE_URL pointing at PostgreSQL")
def test_postgres_round_trip(tmp_path):
    config = dj_database_url.parse(POSTGRES_URL)
    scratch = f"bk_backup_test_{os.getpid()}"
    connect = {"host": config["HOST"] or "127.0.0.1", "port": config["PORT"] or 5432,
               "user": config["USER"] or None, "password": config["PASSWORD"] or None}
    with psycopg.connect(dbname="postgres", autocommit=True, **connect) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(scratch)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch)))
    try:
        auth = config["USER"] + (f":{config['PASSWORD']}" if config["PASSWORD"] else "")
        url = f"postgres://{auth}@{connect['host']}:{connect['port']}/{scratch}"
        round_trip(environment(url, tmp_path / "data"), tmp_path / "backups")
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **connect) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch)))


REGISTER_WRITE = (
    "from datetime import date, timedelta; from django.utils import timezone; "
    "from buergerkontakt.core.models import Authority, User; "
    "from buergerkontakt.incidents.models import Entry; "
    "a = Authority.objects.create(name='Jobcenter Register', slug='register'); "
    "u = User.objects.create(username='register', authority=a); "
    "Entry.objects.create(authority=a, level=2, name='Erika Register', birth_date_value='1970-01-01', "
    "complaint_file_number='4711 Js 1/26', reason='Drohung am Schalter', person_hash='x', name_hash='y', "
    "review_on=date(2027, 1, 1), created_by=u, expires_at=timezone.now() + timedelta(days=30))")
REGISTER_READ = ("from buergerkontakt.incidents.models import Entry; import json; "
                 "print(json.dumps([e.name for e in Entry.objects.all()]))")


def test_restore_on_a_new_machine_brings_back_a_readable_incident_register(tmp_path):
    """Issue 18, finding 6: the register is encrypted with keys kept next to the database
    (INCIDENT_KEY_FILE when no secret store sets them); a backup without them is unreadable."""
    old = environment(f"sqlite:///{tmp_path / 'old' / 'bk.sqlite3'}", tmp_path / "old")
    for key in ("INCIDENT_ENCRYPTION_KEY", "INCIDENT_HASH_KEY", "INCIDENT_KEY_FILE"):
        old.pop(key, None)
    manage(old, "migrate", "--verbosity", "0")
    manage(old, "shell", "-c", REGISTER_WRITE)
    result = subprocess.run([str(ROOT / "scripts" / "backup.sh"), str(tmp_path / "backups")], env=old,
                            check=True, capture_output=True, text=True)
    backup = Path(result.stdout.strip().splitlines()[-1])
    keys = [path for path in backup.parent.iterdir() if path != backup]
    assert len(keys) == 1 and stat.S_IMODE(keys[0].stat().st_mode) == 0o600

    new = {**old, "DATABASE_URL": f"sqlite:///{tmp_path / 'new' / 'bk.sqlite3'}",
           "BK_DATA_DIR": str(tmp_path / "new")}
    (tmp_path / "new").mkdir()
    subprocess.run([str(ROOT / "scripts" / "restore.sh"), str(backup), "--yes"], env=new, check=True,
                   capture_output=True, text=True)
    assert stat.S_IMODE((tmp_path / "new" / "incident_keys.json").stat().st_mode) == 0o600
    names_now = json.loads(manage(new, "shell", "-c", REGISTER_READ).strip().splitlines()[-1])
    assert names_now == ["Erika Register"]
