#!/usr/bin/env bash
# Lint, type-check and run the whole test suite (real Airflow on SQLite, real HTTP to the emulator).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
echo "== ruff"; ruff check . && ruff format --check .
echo "== mypy"; mypy airflow_provider_sms
echo "== pytest"; pytest -q "$@"
