#!/usr/bin/env bash
# `make run-scaled`: the production shape on this machine (docs/operations.md) –
#   nginx (static files, WebSockets) → two uvicorn workers → PostgreSQL + Redis,
#   plus the task worker (run_worker) and the scheduler (run_scheduler).
# Starts PostgreSQL/Redis if they are down, creates and migrates the database, loads the demo data,
# collects static files and runs nginx on its own generated config (nothing under /etc/nginx).
# Strg+C / Ctrl+C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=$ROOT/.venv/bin/python

export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/buergerkontakt_scaled}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/1}
PORT=${PORT:-8080}                       # nginx
WEB_PORTS=${WEB_PORTS:-"8001 8002"}      # one uvicorn worker per port
RUN_DIR=${RUN_DIR:-$ROOT/var/scaled}
export STATIC_ROOT=${STATIC_ROOT:-$RUN_DIR/static}
export SECURE_COOKIES=${SECURE_COOKIES:-false}   # plain http on 127.0.0.1
export ALLOWED_HOSTS=${ALLOWED_HOSTS:-127.0.0.1,localhost}
export SITE_URL=${SITE_URL:-http://127.0.0.1:$PORT}
export DB_POOL_MAX_SIZE=${DB_POOL_MAX_SIZE:-8}

case "$DATABASE_URL" in postgres://*|postgresql://*) ;; *) echo "DATABASE_URL must be PostgreSQL" >&2; exit 2;; esac

# --- services ------------------------------------------------------------------------------------
if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && [ -d /etc/postgresql ]; then
  echo "Starte PostgreSQL …"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
  for _ in $(seq 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
if ! "$PY" -c "import os, redis; redis.Redis.from_url(os.environ['REDIS_URL']).ping()" 2>/dev/null; then
  echo "Starte Redis …"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
fi
if [ ! -x /usr/sbin/nginx ]; then
  echo "Installiere nginx (Debian-Paket) …"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx
fi

# --- database, demo data, static files -------------------------------------------------------------
"$PY" - <<'PYEOF'
import os
import dj_database_url
import psycopg
from psycopg import sql

cfg = dj_database_url.parse(os.environ["DATABASE_URL"])
with psycopg.connect(host=cfg["HOST"] or "127.0.0.1", port=cfg["PORT"] or 5432, user=cfg["USER"] or None,
                     password=cfg["PASSWORD"] or None, dbname="postgres", autocommit=True) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]]).fetchone():
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(cfg["NAME"])))
        print(f"Datenbank {cfg['NAME']} angelegt.")
PYEOF
"$PY" manage.py migrate --verbosity 0
# Demo data in demo mode only for this step: the processes below run as in production, without the demo app.
DEMO_MODE=true "$PY" manage.py load_demo
"$PY" manage.py collectstatic --noinput --verbosity 0

read -r -a ports <<<"$WEB_PORTS"
upstream_args=()
for port in "${ports[@]}"; do upstream_args+=(--upstream "127.0.0.1:$port"); done
python3 deploy/render_nginx.py --listen "127.0.0.1:$PORT" --static-root "$STATIC_ROOT" \
  --expose-upstream --run-dir "$RUN_DIR/nginx" "${upstream_args[@]}" >/dev/null

# --- processes -------------------------------------------------------------------------------------
# Every process runs under scripts/supervise.sh: one that dies (crash, kill -9) is started again
# with back-off, the others keep serving (docs/adr/0012-faults-and-recovery.md).
SUPERVISE=$ROOT/scripts/supervise.sh
pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo "Beende alle Prozesse …"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop INT TERM EXIT

for port in "${ports[@]}"; do
  # --proxy-headers: the client address and scheme come from nginx (trusted from 127.0.0.1 only).
  "$SUPERVISE" "web:$port" "$PY" -m uvicorn buergerkontakt.asgi:application --host 127.0.0.1 --port "$port" \
    --proxy-headers --forwarded-allow-ips 127.0.0.1 --lifespan off --log-level warning --no-access-log \
    --ws websockets-sansio &
  pids+=($!)
done
"$SUPERVISE" worker "$PY" manage.py run_worker & pids+=($!)
"$SUPERVISE" scheduler "$PY" manage.py run_scheduler & pids+=($!)
"$SUPERVISE" nginx /usr/sbin/nginx -p "$RUN_DIR/nginx" -e "$RUN_DIR/nginx/error.log" -c "$RUN_DIR/nginx/nginx.conf" & pids+=($!)

for _ in $(seq 60); do curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null && break; sleep 0.5; done
cat <<MSG

Bürgerkontakt läuft skaliert: nginx → ${#ports[@]} uvicorn-Worker (${WEB_PORTS}) → PostgreSQL + Redis.
  Bürgerseiten      http://127.0.0.1:$PORT/
  Anmeldung         http://127.0.0.1:$PORT/anmelden/   (Demo-Zugänge wie bei \`make run\`;
                    TOTP-Code: DEMO_MODE=true .venv/bin/python manage.py demo_totp <Benutzername>)
  Zustand           http://127.0.0.1:$PORT/healthz
  nginx-Logs        $RUN_DIR/nginx/
Beenden mit Strg+C.
MSG

# Runs until Ctrl+C; processes that end are restarted by their supervisor.
wait
