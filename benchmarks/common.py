"""Helpers the benchmark modules share."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def setup_airflow_env() -> None:
    """Benchmarks use hooks and operators outside a DAG run: give Airflow a throwaway SQLite home."""
    home = Path(tempfile.mkdtemp(prefix="sms-bench-airflow-"))
    os.environ.setdefault("AIRFLOW_HOME", str(home))
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    os.environ.setdefault("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", f"sqlite:///{home / 'airflow.db'}")


def replace_section(path: Path, heading: str, body: str) -> None:
    """Write ``body`` under the Markdown heading ``heading`` in ``path``, leaving the rest alone.

    The section runs from its heading to the next heading of the same or a higher level (or the
    end); it is replaced when present and appended otherwise.
    """
    level = len(heading) - len(heading.lstrip("#"))
    lines = path.read_text().splitlines() if path.exists() else []
    start = next((i for i, line in enumerate(lines) if line.strip() == heading.strip()), None)
    section = [heading, "", *body.strip("\n").splitlines(), ""]
    if start is None:
        while lines and not lines[-1].strip():
            lines.pop()
        lines += ["", *section] if lines else section
    else:
        end = start + 1
        while end < len(lines):
            marks = len(lines[end]) - len(lines[end].lstrip("#"))
            if 0 < marks <= level and lines[end][marks : marks + 1] == " ":
                break
            end += 1
        lines[start:end] = section
    path.write_text("\n".join(lines).rstrip("\n") + "\n")


class BenchTI:
    """The task instance an operator's ``execute`` needs outside a DAG run (XComs dropped)."""

    dag_id, run_id, task_id, map_index, try_number = "bench", "bench", "send", -1, 1

    def xcom_push(self, key: str, value: Any) -> None:
        pass


class MemoryStateStore(dict):
    """An in-memory stand-in for ``task_state_store`` (the retry journal's home)."""

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(key, default)

    def set(self, key: str, value: Any, *, retention: Any = None) -> None:
        self[key] = json.loads(json.dumps(value))
