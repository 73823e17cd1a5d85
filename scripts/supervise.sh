#!/usr/bin/env bash
# Keep one process running (used by scripts/run-scaled.sh for each of its children; systemd does
# the same in production with Restart=always):
#   scripts/supervise.sh NAME COMMAND [ARG …]
# When COMMAND ends – crash, kill -9, out of memory – it is started again after a pause that doubles
# from 1 s up to 10 s and starts over at 1 s once the process has run for 30 s. SIGTERM/SIGINT stop
# the command and the supervisor.
set -uo pipefail
name=$1; shift
child=0
stopping=0
stop() {
  stopping=1
  [ "$child" -gt 0 ] && kill -TERM "$child" 2>/dev/null
}
trap stop TERM INT
pause=1
while [ "$stopping" -eq 0 ]; do
  started=$SECONDS
  "$@" &
  child=$!
  wait "$child"; rc=$?
  # `wait` returns early when a trapped signal arrives: wait for the child's real end.
  while kill -0 "$child" 2>/dev/null; do wait "$child"; rc=$?; done
  [ "$stopping" -eq 1 ] && break
  [ $((SECONDS - started)) -ge 30 ] && pause=1
  echo "$name beendet (Status $rc), Neustart in ${pause} s …" >&2
  sleep "$pause" & wait $! 2>/dev/null
  pause=$((pause * 2 > 10 ? 10 : pause * 2))
done
exit 0
