#!/usr/bin/env bash
# Quick start, part 1: install Tocsin in .venv and start it with the fictional demo
# workspace on the embedded default (SQLite file and data folder in ./tocsin-data).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .
exec .venv/bin/tocsin serve --demo --host "${TOCSIN_HOST:-127.0.0.1}" --port "${TOCSIN_PORT:-8000}"
