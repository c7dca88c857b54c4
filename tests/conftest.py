"""Shared fixtures: an isolated Airflow home on SQLite, one emulator per session, connections.

Airflow reads its configuration at import time, so the environment is set up here, before any
test module imports Airflow. Connections are environment variables (``AIRFLOW_CONN_*``) pointing at
the emulator on 127.0.0.1: no metadata-DB connection rows, no network beyond loopback.
"""

from __future__ import annotations

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
sys.path.insert(0, str(ROOT / "tests"))

from airflow_provider_sms.emulator import GatewayEmulator  # noqa: E402

#: Connection ids the tests (and tests/dags) use, per gateway.
CONN_IDS = {"primotexto": "emu_primotexto", "smspartner": "emu_smspartner"}
VENDORS = tuple(CONN_IDS)


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
        conn_json = _emulator_server.connection_json(vendor)
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
