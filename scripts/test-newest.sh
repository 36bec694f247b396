#!/usr/bin/env bash
# The whole test suite on the NEWEST releases that requirements-dev.txt allows, not on the lock:
# how we find out first when a new torch or Streamlit breaks GAN Classroom.
#
#   scripts/test-newest.sh                  # fresh venv, newest releases, the whole suite
#   scripts/test-newest.sh -m "not browser" # any pytest arguments
#
# 1. A new virtual environment in ~/.cache/gan-classroom/newest-<date and time> (never reused).
# 2. pip resolves requirements-dev.txt afresh (--upgrade: the newest release within each bound) and
#    writes what it installed to <venv>/resolved.txt; the torch, torchvision and Streamlit versions
#    are printed first.
# 3. scripts/test.sh runs the suite in that venv (same system packages, same pytest settings).
# When it passes, update the README's "Last passed on" line with the printed versions; when it fails
# on a release the lock does not have yet, fix the code (or, for a broken release, cap the bound in
# requirements.txt with a comment saying why) before re-locking.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
VENV="$HOME/.cache/gan-classroom/newest-$(date +%Y%m%d-%H%M%S)"

printf '[test-newest] creating %s\n' "$VENV" >&2
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --disable-pip-version-check -q --upgrade pip
"$VENV/bin/python" -m pip install --disable-pip-version-check -q --upgrade -r requirements-dev.txt
"$VENV/bin/python" -m pip freeze > "$VENV/resolved.txt"
printf '[test-newest] resolved: %s\n' \
    "$(grep -iE '^(torch|torchvision|streamlit|plotly|pillow|numpy)==' "$VENV/resolved.txt" | tr '\n' ' ')" >&2

GAN_CLASSROOM_VENV="$VENV" exec scripts/test.sh "$@"
