"""The chaos suite's results table: each run adds a row, printed at the end of the pytest session
(in the terminal summary, so it is in the CI log whether the tests pass or fail)."""

from __future__ import annotations

from typing import Any

import pytest

ROWS = pytest.StashKey[list[dict[str, Any]]]()
COLUMNS = (
    "gateway",
    "seed",
    "green",
    "tries",
    "accepted",
    "duplicates",
    "lost",
    "unconfirmed",
    "misreported",
    "seconds",
)


def format_table(rows: list[dict[str, Any]]) -> str:
    cells = [[str(row[c]) for c in COLUMNS] for row in rows]
    widths = [max(len(c), *(len(line[i]) for line in cells)) for i, c in enumerate(COLUMNS)]
    lines = ["  ".join(c.rjust(w) for c, w in zip(COLUMNS, widths, strict=True))]
    lines += ["  ".join(v.rjust(w) for v, w in zip(line, widths, strict=True)) for line in cells]
    return "\n".join(lines)


@pytest.fixture
def chaos_rows(request) -> list[dict[str, Any]]:
    """The session's list of result rows (one dict per run, keys :data:`COLUMNS`)."""
    return request.config.stash.setdefault(ROWS, [])


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    rows = config.stash.get(ROWS, [])
    if rows:
        terminalreporter.write_sep("=", "SMS send chaos: emulator's record per gateway and seed")
        terminalreporter.write_line(format_table(rows))
