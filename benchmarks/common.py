"""Helpers the benchmark modules share."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def setup_airflow_env() -> None:
    """Benchmarks use hooks and operators outside a DAG run: give Airflow a throwaway SQLite home."""
    home = Path(tempfile.mkdtemp(prefix="sms-bench-airflow-"))
    os.environ.setdefault("AIRFLOW_HOME", str(home))
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    os.environ.setdefault("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", f"sqlite:///{home / 'airflow.db'}")
