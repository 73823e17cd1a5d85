#!/usr/bin/env bash
# Restart the web workers one at a time (docs/operations.md, "Updates"; docs/adr/0012):
# restart one, wait until its own /healthz answers 200, then the next. nginx sends every request
# to the worker that is up meanwhile, so an update loses no request and live pages reconnect to
# the other worker at once.
#   scripts/rolling-restart.sh [PORT …]        (default: BK_WEB_PORTS, else "8001 8002")
# BK_RESTART_COMMAND: how one worker is restarted, {port} is replaced
#   (default: systemctl restart buergerkontakt-web@{port}).
# BK_HEALTH_TIMEOUT: seconds a worker may take to become healthy (default 60); else exit 1 and
#   the remaining workers are left alone.
set -euo pipefail
read -r -a ports <<<"${*:-${BK_WEB_PORTS:-8001 8002}}"
command_template=${BK_RESTART_COMMAND:-"systemctl restart buergerkontakt-web@{port}"}
timeout=${BK_HEALTH_TIMEOUT:-60}

healthy() { curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$1/healthz" 2>/dev/null; }

for port in "${ports[@]}"; do
  echo "Starte Worker $port neu …"
  bash -c "${command_template//\{port\}/$port}"
  deadline=$((SECONDS + timeout))
  until healthy "$port"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "Worker $port ist nach ${timeout} s nicht bereit – Abbruch, die übrigen Worker laufen weiter." >&2
      exit 1
    fi
    sleep 0.5
  done
  echo "Worker $port bereit."
done
echo "Alle Worker neu gestartet."
