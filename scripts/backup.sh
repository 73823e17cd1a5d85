#!/usr/bin/env bash
# Back up the Bürgerkontakt database (docs/operations.md, "Backups").
#   scripts/backup.sh [TARGET_DIR]        (default: $BK_DATA_DIR/backups, else ./var/backups)
# PostgreSQL (DATABASE_URL postgres://…): pg_dump in the custom format (-Fc), consistent while the
#   platform runs. SQLite (default): SQLite's online backup API, consistent while the platform runs
#   (WAL included). Prints the path of the new backup file. The file is created with mode 0600:
#   it contains personal data.
# The incident register is encrypted: when its keys are not set from a secret store
# (INCIDENT_ENCRYPTION_KEY/INCIDENT_HASH_KEY) but kept in INCIDENT_KEY_FILE (default
# $BK_DATA_DIR/incident_keys.json), that file is copied next to the backup as
# <backup>.incident_keys.json (mode 0600). A backup without its keys cannot show the register.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA_DIR=${BK_DATA_DIR:-$ROOT/var}
DATABASE_URL=${DATABASE_URL:-sqlite:///$DATA_DIR/buergerkontakt.sqlite3}
TARGET=${1:-$DATA_DIR/backups}
PYTHON=${PYTHON:-python3}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
umask 077
mkdir -p "$TARGET"

case "$DATABASE_URL" in
  postgres://*|postgresql://*)
    out="$TARGET/buergerkontakt-$STAMP.dump"
    pg_dump --format=custom --no-owner --no-privileges --file="$out.partial" --dbname="$DATABASE_URL"
    ;;
  sqlite://*)
    db=${DATABASE_URL#sqlite:///}  # dj-database-url: sqlite:////abs/path, sqlite:///relative
    out="$TARGET/buergerkontakt-$STAMP.sqlite3"
    [ -f "$db" ] || { echo "SQLite-Datenbank nicht gefunden / not found: $db" >&2; exit 1; }
    "$PYTHON" - "$db" "$out.partial" <<'PYEOF'
import sqlite3
import sys
from pathlib import Path

source = sqlite3.connect(Path(sys.argv[1]).resolve().as_uri() + "?mode=ro", uri=True, timeout=30)
target = sqlite3.connect(sys.argv[2])
with target:
    source.backup(target)  # online backup: a consistent copy while others write
target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
ok = target.execute("PRAGMA integrity_check").fetchone()[0]
target.close()
source.close()
if ok != "ok":
    sys.exit(f"integrity check failed: {ok}")
PYEOF
    ;;
  *) echo "Unbekannte DATABASE_URL / unsupported DATABASE_URL" >&2; exit 2 ;;
esac
mv "$out.partial" "$out"
KEY_FILE=${INCIDENT_KEY_FILE:-$DATA_DIR/incident_keys.json}
if [ -n "${INCIDENT_ENCRYPTION_KEY:-}" ]; then
  echo "Hinweis: Die Schlüssel des Vorfallregisters kommen aus der Umgebung (INCIDENT_ENCRYPTION_KEY/INCIDENT_HASH_KEY) – sichern Sie sie getrennt." >&2
elif [ -f "$KEY_FILE" ]; then
  cp "$KEY_FILE" "$out.incident_keys.json"
  chmod 600 "$out.incident_keys.json"
fi
echo "$out"
