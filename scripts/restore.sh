#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into the database named by DATABASE_URL
# (docs/operations.md, "Restore"). Replaces what is there now.
#   scripts/restore.sh BACKUP_FILE --yes
# Stop the web workers, the task worker and the scheduler first; run `manage.py migrate` afterwards
# when the backup is older than the installed version.
# PostgreSQL: pg_restore --clean --if-exists in one transaction (all or nothing).
# SQLite: SQLite's backup API copies the backup file over the database (WAL handled by SQLite).
# The incident register's keys saved with the backup (<backup>.incident_keys.json, see backup.sh)
# are restored to INCIDENT_KEY_FILE (default $BK_DATA_DIR/incident_keys.json); different keys
# already there are kept as <file>.before-restore-<time>.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA_DIR=${BK_DATA_DIR:-$ROOT/var}
DATABASE_URL=${DATABASE_URL:-sqlite:///$DATA_DIR/buergerkontakt.sqlite3}
PYTHON=${PYTHON:-python3}

backup=${1:-}
if [ -z "$backup" ] || [ ! -f "$backup" ]; then
  echo "Aufruf / usage: scripts/restore.sh BACKUP_FILE --yes" >&2; exit 2
fi
if [ "${2:-}" != "--yes" ]; then
  echo "Die Datenbank ($DATABASE_URL) wird durch die Sicherung ersetzt. Fortfahren? [ja/NEIN]"
  read -r answer
  [ "$answer" = "ja" ] || [ "$answer" = "yes" ] || { echo "Abgebrochen / aborted."; exit 1; }
fi

case "$DATABASE_URL" in
  postgres://*|postgresql://*)
    pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction --exit-on-error \
      --dbname="$DATABASE_URL" "$backup"
    ;;
  sqlite://*)
    db=${DATABASE_URL#sqlite:///}  # dj-database-url: sqlite:////abs/path, sqlite:///relative
    "$PYTHON" - "$backup" "$db" <<'PYEOF'
import sqlite3
import sys
from pathlib import Path

source = sqlite3.connect(Path(sys.argv[1]).resolve().as_uri() + "?mode=ro", uri=True)
if source.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
    sys.exit("the backup file is damaged")
target = sqlite3.connect(sys.argv[2], timeout=30)
with target:
    source.backup(target)  # replaces every page of the database
target.execute("PRAGMA wal_checkpoint(TRUNCATE)")
target.close()
source.close()
PYEOF
    ;;
  *) echo "Unbekannte DATABASE_URL / unsupported DATABASE_URL" >&2; exit 2 ;;
esac
keys="$backup.incident_keys.json"
KEY_FILE=${INCIDENT_KEY_FILE:-$DATA_DIR/incident_keys.json}
if [ -f "$keys" ]; then
  umask 077
  mkdir -p "$(dirname "$KEY_FILE")"
  if [ -f "$KEY_FILE" ] && ! cmp -s "$keys" "$KEY_FILE"; then
    mv "$KEY_FILE" "$KEY_FILE.before-restore-$(date -u +%Y%m%dT%H%M%SZ)"
  fi
  cp "$keys" "$KEY_FILE"
  chmod 600 "$KEY_FILE"
  echo "Schlüssel des Vorfallregisters wiederhergestellt / incident register keys restored: $KEY_FILE"
elif [ -z "${INCIDENT_ENCRYPTION_KEY:-}" ]; then
  echo "Warnung: keine Schlüssel des Vorfallregisters bei der Sicherung ($keys) – ohne sie ist das Register nicht lesbar." >&2
fi
echo "Wiederhergestellt / restored: $backup"
