"""The chaos suite's results table: each run adds a row, printed at the end of the pytest session
(in the terminal summary, so it is in the CI log whether the tests pass or fail).

Rows go to a JSON-lines file named in the environment, so that under pytest-xdist the controller,
which prints the summary, sees the rows its workers wrote.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

#: Set by tests/conftest.py, which prints the table (the one conftest an xdist controller loads).
ROWS_FILE = "SMS_CHAOS_ROWS_FILE"


class Rows(list):
    """Result rows (one dict per run, keys: CHAOS_COLUMNS in tests/conftest.py); ``append`` also writes the file."""

    def append(self, row: dict[str, Any]) -> None:
        super().append(row)
        with Path(os.environ[ROWS_FILE]).open("a") as out:
            out.write(json.dumps(row) + "\n")


@pytest.fixture
def chaos_rows() -> list[dict[str, Any]]:
    return Rows()
