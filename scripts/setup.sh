#!/usr/bin/env bash
# Create the venv (if needed) and install the provider with its test tools. Sourced by demo.sh and test.sh.
#
# Default: .venv/ with the newest Airflow pyproject.toml resolves to. SMS_AIRFLOW_VERSION=3.0.6 (say)
# uses .venv-airflow-3.0.6/ with apache-airflow==3.0.6 instead, plus the requirements in
# scripts/pins-airflow-<major>.<minor>.txt where that file exists (the pins that Airflow line needs).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python3}"
airflow_version="${SMS_AIRFLOW_VERSION:-}"
install_args=(-e "$ROOT[test]")
fingerprint=("$ROOT/pyproject.toml")
if [ -n "$airflow_version" ]; then
  VENV="$ROOT/.venv-airflow-$airflow_version"
  install_args=("apache-airflow==$airflow_version" "${install_args[@]}")
  pins="$ROOT/scripts/pins-airflow-$(echo "$airflow_version" | cut -d. -f1,2).txt"
  if [ -f "$pins" ]; then
    install_args=(--requirement "$pins" "${install_args[@]}")
    fingerprint+=("$pins")
  fi
  export MYPY_CACHE_DIR="$VENV/.mypy_cache"  # not .mypy_cache/, which holds the other Airflow's types
else
  VENV="$ROOT/.venv"
fi
if [ ! -x "$VENV/bin/python" ]; then
  echo "Creating $VENV"
  "$PY" -m venv "$VENV"
fi
stamp="$VENV/.installed-$(cat "${fingerprint[@]}" | sha1sum | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  echo "Installing airflow-provider-sms and its test tools${airflow_version:+ on Airflow $airflow_version} (first run takes a minute)"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet "${install_args[@]}"
  touch "$stamp"
fi
export PATH="$VENV/bin:$PATH"
