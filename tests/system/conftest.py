"""System-test fixtures: the emulator, PostgreSQL, Redis and Airflow's own components on loopback.

Run by ``scripts/system-test.sh`` (which installs the Debian servers); skipped in a plain
``pytest`` run unless ``SMS_SYSTEM_TESTS=1``. Each module gets its own stack; the emulator lives in
the test process (a real HTTP server on 127.0.0.1 that every Airflow process reaches).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_sms.emulator import GatewayEmulator
from tests.helpers.gateways import CONN_IDS
from tests.system.stack import INBOUND_POLL_SECONDS, ROOT, AirflowStack, Postgres, Processes, Redis

ENABLED = os.environ.get("SMS_SYSTEM_TESTS") == "1"
#: The DAGs the stacks run: the system tests' own and the examples they drive (not the scheduled
#: examples, whose runs would only fail for want of a connection and load the 2 cores).
DAG_FILES = [
    *sorted((Path(__file__).parent / "dags").glob("*.py")),
    ROOT / "tests" / "dags" / "notify_once_per_run.py",  # also run by dag.test()
    *(
        ROOT / "example_dags" / f"example_sms_{name}.py"
        for name in ("quickstart", "failure_alert", "stop_to_crm", "order_confirmations")
    ),
    ROOT / "tests" / "dags" / "ui_send.py",  # the SMS views' send (tests/system/test_ui.py)
]
#: Read timeout (s) of the Celery stack's connections, hence the floor of a retry's settle time
#: (``sys_mapped_send``'s ``outcome_settle_seconds``): the emulator records a send before it answers
#: or drops the reply, so a retry finds it at once; the 30 s default would only add waiting.
CELERY_READ_TIMEOUT = 10
TIMINGS = pytest.StashKey[list[tuple[str, float]]]()


def pytest_collection_modifyitems(config, items):
    if ENABLED:
        return
    skip = pytest.mark.skip(reason="system tests: run `bash scripts/system-test.sh` (or SMS_SYSTEM_TESTS=1)")
    for item in items:
        if "tests/system/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def workdir():
    path = Path(tempfile.mkdtemp(prefix="sms-system-"))
    path.chmod(0o755)  # the postgres user reads its cluster directory below it
    yield path
    if os.environ.get("SMS_SYSTEM_KEEP") != "1":
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def gateway():
    with GatewayEmulator(delivery_delay=2.0) as emulator:
        yield emulator


def connection_env(emulator: GatewayEmulator, crm_file: Path, **conn_extra: Any) -> dict[str, str]:
    """The stack's environment: the emulator connections (with ``conn_extra``) and the examples' settings."""
    env = {
        f"AIRFLOW_CONN_{conn_id.upper()}": emulator.connection_json(v, **conn_extra)
        for v, conn_id in CONN_IDS.items()
    }
    env["SMS_INBOUND_CONN_ID"] = CONN_IDS["primotexto"]
    env["SMS_INBOUND_POLL_INTERVAL"] = str(INBOUND_POLL_SECONDS)
    env["SMS_CRM_OPT_OUT_FILE"] = str(crm_file)
    return env


def start_stack(
    workdir: Path,
    emulator: GatewayEmulator,
    name: str,
    celery_workers: int = 0,
    extra_env: dict[str, str] | None = None,
    conn_extra: dict[str, Any] | None = None,
):
    base = workdir / name
    processes = Processes(logs=base / "logs")
    processes.logs.mkdir(parents=True)
    started = time.monotonic()
    try:
        postgres = Postgres(base / "pg", processes).start()
        broker = Redis(processes).start().url if celery_workers else None
        connections = connection_env(emulator, base / "crm_opt_outs.csv", **(conn_extra or {}))
        connections["AIRFLOW_CONN_SHOP_DB"] = postgres.shop_uri
        stack = AirflowStack(
            base / "airflow",
            processes,
            postgres.url,
            DAG_FILES,
            {**connections, **(extra_env or {})},
            executor="CeleryExecutor" if celery_workers else "LocalExecutor",
            broker_url=broker,
            celery_workers=celery_workers,
        ).start()
    except BaseException:
        for proc_name, _ in processes.started:
            print(f"---- {proc_name} log (tail)\n{processes.log(proc_name)[-3000:]}")
        processes.stop()
        raise
    stack.postgres = postgres  # type: ignore[attr-defined]
    stack.crm_file = base / "crm_opt_outs.csv"  # type: ignore[attr-defined]
    stack.startup_seconds = time.monotonic() - started  # type: ignore[attr-defined]
    return stack


@pytest.fixture(scope="module")
def local_stack(workdir, gateway, record_time):
    stack = start_stack(workdir, gateway, "local")
    record_time(
        "start: PostgreSQL + LocalExecutor + api-server, scheduler, dag-processor, triggerer",
        stack.startup_seconds,
    )
    yield stack
    stack.processes.stop()


@pytest.fixture(scope="module")
def celery_stack(workdir, gateway, record_time):
    conn_extra = {"timeout": CELERY_READ_TIMEOUT}
    stack = start_stack(workdir, gateway, "celery", celery_workers=2, conn_extra=conn_extra)
    record_time(
        "start: PostgreSQL + Redis + CeleryExecutor (2 workers) + the 4 components", stack.startup_seconds
    )
    yield stack
    stack.processes.stop()


@pytest.fixture(scope="session")
def record_time(request):
    timings = request.config.stash.setdefault(TIMINGS, [])

    def record(what: str, seconds: float) -> None:
        timings.append((what, seconds))

    return record


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    timings = config.stash.get(TIMINGS, [])
    if timings:
        terminalreporter.write_sep("=", "system tests: time per scenario")
        width = max(len(what) for what, _ in timings)
        for what, seconds in timings:
            terminalreporter.write_line(f"{what.ljust(width)}  {seconds:7.1f} s")
