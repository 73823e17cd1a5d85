#!/usr/bin/env sh
# Print the path of a Python >= 3.12 interpreter available on this machine.
# Order: $PYTHON, interpreters on PATH, pyenv installs, Debian's /usr/bin.
# uv cannot download interpreters here (no network beyond package registries).
set -u
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }
for c in ${PYTHON:-} python3.13 python3.12 python3; do
  p=$(command -v "$c" 2>/dev/null) || continue
  ok "$p" && { echo "$p"; exit 0; }
done
root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
for p in "$root"/versions/3.13*/bin/python3 "$root"/versions/3.12*/bin/python3 /usr/bin/python3.13 /usr/bin/python3.12 /usr/local/bin/python3.1[23]; do
  [ -x "$p" ] && ok "$p" && { echo "$p"; exit 0; }
done
echo "No Python >= 3.12 found. Install python3.12 or newer (apt-get install python3)." >&2
exit 1
