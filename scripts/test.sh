#!/usr/bin/env bash
# Quick start, part 2: install everything the tests need (Python packages, Debian's
# Chromium for the browser tests, poppler for report page images) and run the whole
# suite with the linters. Set TOCSIN_TEST_DATABASE_URL to also run every storage
# test against a PostgreSQL server.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
command -v pdftoppm >/dev/null || need_apt+=(poppler-utils)
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" fonts-dejavu-core >/dev/null
fi

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
# requirements/test.lock: the runtime packages plus the test, semantic and spark extras at
# exact versions (torch pinned to 2.13.0, whose CPU build these machines keep on disk)
.venv/bin/python -m pip install --quiet -r requirements/test.lock
.venv/bin/python -m pip install --quiet --no-deps -e .

echo "== ruff"; .venv/bin/ruff check tocsin tests bench fuzz
echo "== mypy"; .venv/bin/mypy
# one test process per core (at most four, pytest-xdist); a file's tests stay in one process,
# which builds the file's fixtures once
echo "== pytest"; .venv/bin/pytest -n auto --maxprocesses 4 --dist loadfile "$@"
