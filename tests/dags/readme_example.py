"""The README's first Python example as a DAG: its code block, read from README.md and run as
written inside a DAG, so the example on the project's first screen stays one that works.

Run by ``tests/test_readme_example.py`` with ``dag.test()`` against the emulator (the README's
``smspartner_default`` connection points at it there).
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from airflow.sdk import DAG

README = Path(__file__).resolve().parents[2] / "README.md"
EXAMPLE = re.search(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
assert EXAMPLE, "README.md has no Python example"

with DAG(dag_id="readme_example", schedule=None, start_date=datetime(2026, 1, 1), catchup=False) as dag:
    exec(compile(EXAMPLE.group(1), str(README), "exec"), {})
