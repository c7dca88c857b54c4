#!/usr/bin/env bash
# Lint, type-check and run the whole test suite (real Airflow on SQLite, real HTTP to the emulator),
# then the system tests (Airflow's own components on PostgreSQL, LocalExecutor and Celery + Redis).
#
#   SMS_AIRFLOW_VERSION=3.0.6 bash scripts/test.sh   # the suite on another Airflow (own venv)
#   SMS_SYSTEM_TESTS=0 bash scripts/test.sh          # without the system tests
#   SMS_TEST_WORKERS=0 bash scripts/test.sh          # pytest in one process (default: 3 xdist workers)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
echo "== ruff"; ruff check . && ruff format --check .
echo "== mypy"; mypy airflow_provider_sms
echo "== pytest (Airflow $(python -c 'import airflow; print(airflow.__version__)'))"; pytest -q -n "${SMS_TEST_WORKERS:-3}" "$@"
if [ "${SMS_SYSTEM_TESTS:-1}" != "0" ]; then
  bash scripts/system-test.sh
fi
