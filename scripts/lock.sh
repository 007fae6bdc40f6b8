#!/usr/bin/env bash
# Regenerate the lock files from pyproject.toml, in one command:
#   requirements/runtime.lock  what `tocsin` needs to run (scripts/demo.sh installs it)
#   requirements/test.lock     that plus the test, semantic and spark extras (scripts/test.sh)
# pip-tools runs in a throwaway virtual environment, with pip's own configuration, so the
# resolution is the one `pip install` would make on this kind of machine (Linux, Python 3.11).
# Run it after changing a dependency in pyproject.toml and commit both files.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
tools="$(mktemp -d)"
trap 'rm -rf "$tools"' EXIT
"$PYTHON" -m venv "$tools"
"$tools/bin/python" -m pip install --quiet "pip-tools>=7.4,<8"

compile() {
  local out="$1"; shift
  "$tools/bin/pip-compile" --quiet --resolver=backtracking --strip-extras --allow-unsafe \
    --no-emit-index-url --no-emit-find-links --newline=LF --upgrade \
    --output-file="$out" "$@"
  # pip may take a local build (torch 2.13.0+cpu); the lock names the public version, which
  # still selects that build where it lies on disk
  sed -i -E 's/^(torch==[0-9.]+)\+[a-z0-9]+$/\1/' "$out"
}

compile requirements/runtime.lock pyproject.toml
compile requirements/test.lock --extra test --extra semantic --extra spark \
  pyproject.toml requirements/pins.in
echo "requirements/runtime.lock: $(grep -c '==' requirements/runtime.lock) packages"
echo "requirements/test.lock: $(grep -c '==' requirements/test.lock) packages"
