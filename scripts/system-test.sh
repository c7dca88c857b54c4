#!/usr/bin/env bash
# System tests: Airflow's own api-server, scheduler, dag-processor and triggerer on PostgreSQL, with
# LocalExecutor and with CeleryExecutor (Redis, 2 workers), driving the example DAGs against the
# emulator on 127.0.0.1. Installs Debian's PostgreSQL and Redis when missing (needs root or sudo);
# the tests start their own servers on free loopback ports and stop exactly what they started.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
# tests/system/test_ui.py reads the SMS views in Debian's headless Chromium (through Playwright,
# installed with the system extras; never `playwright install`)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "== apt-get install ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
source scripts/setup.sh
stamp="$VENV/.installed-system-$(sha1sum pyproject.toml | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  echo "Installing the system-test extras (PostgreSQL drivers, Celery)"
  "$VENV/bin/python" -m pip install --quiet -e ".[test,system]"
  touch "$stamp"
fi
echo "== pytest tests/system"
SMS_SYSTEM_TESTS=1 pytest -q tests/system "$@"
