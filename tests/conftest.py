"""Shared fixtures: an isolated Airflow home on SQLite, one emulator per session, connections.

Airflow reads its configuration at import time, so the environment is set up here, before any
test module imports Airflow. Connections are environment variables (``AIRFLOW_CONN_*``) pointing at
the emulator on 127.0.0.1: no metadata-DB connection rows, no network beyond loopback.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_HOME = Path(tempfile.mkdtemp(prefix="sms-provider-airflow-"))
_DAGS = _HOME / "dags"
_DAGS.mkdir()
for folder in (ROOT / "tests" / "dags", ROOT / "example_dags"):
    for dag_file in folder.glob("*.py"):
        (_DAGS / dag_file.name).symlink_to(dag_file)

os.environ.update(
    {
        "AIRFLOW_HOME": str(_HOME),
        "AIRFLOW__CORE__DAGS_FOLDER": str(_DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_HOME / 'airflow.db'}",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
    }
)

import structlog  # noqa: E402

from airflow_provider_sms.emulator import GatewayEmulator  # noqa: E402

if not structlog.is_configured():
    # Airflow 3.3 applies [logging] logging_level to structlog when it is imported; Airflow 3.0
    # leaves structlog unconfigured in the process running dag.test(), which then prints its DEBUG
    # traces of task <-> supervisor messages (XCom values, unmasked rendered fields) to stdout, and
    # a failed task's traceback with every frame's local variables (structlog's development
    # default; Airflow's own task logging renders tracebacks with show_locals=False).
    structlog.configure(
        processors=[
            *(
                p
                for p in structlog.get_config()["processors"]
                if not isinstance(p, structlog.dev.ConsoleRenderer)
            ),
            structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
    )

#: Read timeout (seconds) of the emulator connections.
TEST_READ_TIMEOUT = 5
#: Connection ids the tests (and tests/dags) use, per gateway.
from tests.helpers.gateways import CONN_IDS, VENDORS  # noqa: E402


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """Migrate the throwaway SQLite metadata DB once per session (for ``dag.test()``)."""
    subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        check=True,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        timeout=300,
    )
    return _HOME


@pytest.fixture(scope="session")
def _emulator_server():
    with GatewayEmulator(delivery_delay=0.3) as emulator:
        yield emulator


@pytest.fixture
def emulator(_emulator_server, monkeypatch):
    """The session's emulator, reset to its initial state, with connections in the environment."""
    _emulator_server.reset()
    _emulator_server.configure(delivery_delay=0.3, latency_ms=0)
    for vendor, conn_id in CONN_IDS.items():
        # a 5 s read timeout (not 30): a retry waits at least that long before it concludes that a
        # send whose reply was lost never arrived (SmsSendOperator's outcome_settle_seconds)
        conn_json = _emulator_server.connection_json(vendor, timeout=TEST_READ_TIMEOUT)
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", conn_json)
        monkeypatch.setenv(f"AIRFLOW_CONN_{vendor.upper()}_DEFAULT", conn_json)
    yield _emulator_server
    _emulator_server.clear_faults()


@pytest.fixture(params=VENDORS)
def vendor(request) -> str:
    """Run the test once per gateway."""
    return request.param


@pytest.fixture
def conn_id(vendor, emulator) -> str:
    """The emulator connection id for ``vendor``."""
    return CONN_IDS[vendor]


@pytest.fixture
def memory_object_storage():
    """Make ``memory://`` usable as an object store for ``ObjectStoragePath`` on every Airflow 3.

    No provider registers fsspec's in-memory file system as an Airflow file system; Airflow 3.3
    falls back to fsspec for a path without a connection, but Airflow 3.0 resolves every scheme
    through its own registry. Attaching the store (Airflow's documented ``attach(fs=...)``) works on
    both.
    """
    from airflow.sdk.io.store import attach
    from fsspec.implementations.memory import MemoryFileSystem

    attach("memory", fs=MemoryFileSystem())


#: The chaos suite (tests/chaos) appends one JSON line per run to this file; the table is printed
#: here because under pytest-xdist only this conftest runs in the controller, which prints it.
CHAOS_ROWS_FILE = "SMS_CHAOS_ROWS_FILE"
CHAOS_COLUMNS = (
    "gateway",
    "seed",
    "clock",
    "green",
    "tries",
    "accepted",
    "duplicates",
    "lost",
    "unconfirmed",
    "misreported",
    "seconds",
)


def pytest_configure(config) -> None:
    if not hasattr(config, "workerinput"):  # the controller (or a run without xdist)
        handle, path = tempfile.mkstemp(prefix="sms-chaos-rows-", suffix=".jsonl")
        os.close(handle)
        os.environ[CHAOS_ROWS_FILE] = path


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if hasattr(config, "workerinput"):
        return
    path = Path(os.environ.get(CHAOS_ROWS_FILE, "/nonexistent"))
    rows = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    path.unlink(missing_ok=True)
    if rows:
        cells = [[str(row[c]) for c in CHAOS_COLUMNS] for row in rows]
        widths = [max(len(c), *(len(line[i]) for line in cells)) for i, c in enumerate(CHAOS_COLUMNS)]
        terminalreporter.write_sep("=", "SMS send chaos: emulator's record per gateway and seed")
        lines = ["  ".join(c.rjust(w) for c, w in zip(CHAOS_COLUMNS, widths, strict=True))]
        lines += ["  ".join(v.rjust(w) for v, w in zip(line, widths, strict=True)) for line in cells]
        terminalreporter.write_line("\n".join(lines))
