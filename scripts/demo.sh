#!/usr/bin/env bash
# The main job: an example DAG sends SMS through the embedded emulator, on Airflow's SQLite DB.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
exec python scripts/demo.py "$@"
