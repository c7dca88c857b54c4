#!/usr/bin/env bash
# Build the documentation site into site/ in strict mode: a broken link or anchor, a missing page,
# a nav entry to a missing file or an unresolved API reference fails the build.
#
#   bash scripts/docs.sh          # build into site/ (open site/index.html)
#   bash scripts/docs.sh serve    # live preview on http://127.0.0.1:8000
#
# The site's tools (scripts/docs-requirements.txt, pinned) live in their own venv, .venv-docs/: they
# read the code's docstrings statically (griffe), so neither Airflow nor the provider is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
VENV=".venv-docs"
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
stamp="$VENV/.installed-$(sha1sum scripts/docs-requirements.txt | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  echo "Installing the documentation tools into $VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --requirement scripts/docs-requirements.txt
  touch "$stamp"
fi
export NO_MKDOCS_2_WARNING=1  # Material's notice about its successor, printed on every build
if [ "${1:-build}" = "serve" ]; then
  exec "$VENV/bin/mkdocs" serve --strict
fi
"$VENV/bin/mkdocs" build --strict --site-dir site
echo "== site built in site/ (open site/index.html)"
