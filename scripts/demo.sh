#!/usr/bin/env bash
# Quick start, part 1: install Tocsin in .venv from the runtime lock file and start it with
# the fictional demo workspace on the embedded default (SQLite file and data folder in
# ./tocsin-data). TOCSIN_HOST and TOCSIN_PORT choose where it listens.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
# the exact versions of requirements/runtime.lock, then Tocsin itself without resolving again
.venv/bin/python -m pip install --quiet -r requirements/runtime.lock
.venv/bin/python -m pip install --quiet --no-deps -e .
exec .venv/bin/tocsin serve --demo --host "${TOCSIN_HOST:-127.0.0.1}" --port "${TOCSIN_PORT:-8000}"
