#!/usr/bin/env bash
# The README's first Quick start command, exactly as written, on a fresh clone with a fresh
# virtual environment and only the runtime dependencies; then sign in as the administrator
# it printed and open every area (.ci/smoke.py). Fails on anything missing or not 200.
set -euo pipefail
cd "$(dirname "$0")/.."
source="$PWD"
work="$(mktemp -d)"
demo_pid=""
stop() {
  if [ -n "$demo_pid" ] && kill -0 "$demo_pid" 2>/dev/null; then
    kill -TERM -- "-$demo_pid" 2>/dev/null || kill -TERM "$demo_pid" 2>/dev/null || true
    for _ in $(seq 30); do kill -0 "$demo_pid" 2>/dev/null || break; sleep 1; done
    kill -KILL -- "-$demo_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap stop EXIT

git clone --quiet --no-hardlinks "$source" "$work/tocsin"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
command="$(grep -m1 -oE '^bash scripts/demo\.sh' "$work/tocsin/README.md")"
[ "$command" = "bash scripts/demo.sh" ] || { echo "FAIL: the README's Quick start no longer starts with bash scripts/demo.sh"; exit 1; }
echo "== $command (fresh clone in $work/tocsin, port $port)"
# in its own process group (setsid) so that stopping it stops the server it execs
(cd "$work/tocsin" && exec env -u TOCSIN_DATABASE_URL -u TOCSIN_TEST_DATABASE_URL \
   -u VIRTUAL_ENV -u PYTHONPATH TOCSIN_HOST=127.0.0.1 TOCSIN_PORT="$port" \
   TOCSIN_DATA_DIR="$work/data" setsid $command > "$work/demo.log" 2>&1) &
demo_pid=$!
python3 .ci/smoke.py "http://127.0.0.1:$port" "$work/demo.log" "$demo_pid" \
  "$work/tocsin/.venv/bin/python"
echo "== the demo's last lines"
tail -n 5 "$work/demo.log"
