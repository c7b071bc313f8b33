#!/usr/bin/env bash
# Build the documentation site: install the docs extra into the venv, then
# `mkdocs build --strict` (any warning fails; the notebooks are executed and a
# failing cell fails the build; so does docs/hooks/maths.py when the formulas
# would not render offline).  Runs from the repository root wherever it is
# called from; exits non-zero on failure.
#
#   bash docs/build.sh                        # -> site/
#   VENV=/path/to/venv SITE_DIR=/tmp/site bash docs/build.sh
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
# VENV defaults to .venv (the README's set-up commands create it; so does this).
[ -x "$VENV/bin/pip" ] || python3 -m venv "$VENV"
"$VENV"/bin/pip install -q -e '.[docs]' && "$VENV"/bin/mkdocs build --strict --site-dir "${SITE_DIR:-site}"
