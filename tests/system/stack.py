"""Start and stop the services of a real Airflow deployment on loopback, for the system tests.

:class:`Postgres` and :class:`Redis` run Debian's servers from a throwaway directory on free
ports; :class:`AirflowStack` runs Airflow's own ``api-server``, ``scheduler``, ``dag-processor``,
``triggerer`` and, with CeleryExecutor, Celery workers. Every process is started in a session of
its own and recorded; ``stop()`` ends exactly those process groups (the component and the children
it forked), nothing else on the machine.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

#: How often the inbound example's watcher polls the STOP list here (its default is 60 s).
INBOUND_POLL_SECONDS = 2
#: The database of the pipelines' own tables (the order-confirmation example's ``orders``), beside
#: Airflow's metadata database on the same server; its connection is ``shop_db``.
SHOP_DATABASE = "shop"

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process {proc.args[0]} exited with {proc.returncode} before listening")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


@dataclass
class Processes:
    """The processes this test session started: stopped by process group, newest first."""

    logs: Path
    started: list[tuple[str, subprocess.Popen]] = field(default_factory=list)

    def start(self, name: str, argv: list[str], env: dict[str, str], **kwargs: Any) -> subprocess.Popen:
        out = (self.logs / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **kwargs
        )
        self.started.append((name, proc))
        return proc

    def stop(self, name: str | None = None, grace: float = 20.0) -> None:
        """Stop one named process (or all, newest first): SIGTERM to its group, SIGKILL after ``grace``."""
        targets = [(n, p) for n, p in reversed(self.started) if name is None or n == name]
        for _, proc in targets:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for _, proc in targets:
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
            else:
                try:  # children left behind in the component's own group
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.started = [(n, p) for n, p in self.started if (n, p) not in targets]

    def log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _pg_bin(tool: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"))
    if found:
        return found[-1]
    path = shutil.which(tool)
    if path is None:
        raise RuntimeError(f"PostgreSQL's {tool} not found: install Debian's postgresql package")
    return path


class Postgres:
    """A PostgreSQL cluster in ``directory`` on a free loopback port (as user ``postgres`` when root)."""

    def __init__(self, directory: Path, processes: Processes) -> None:
        self.directory, self.processes, self.port = directory, processes, free_port()
        self.user = "postgres" if os.geteuid() == 0 else None

    def _run_as(self) -> dict[str, Any]:
        return {"user": self.user, "group": self.user} if self.user else {}

    def start(self) -> Postgres:
        data = self.directory / "data"
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.directory, entry.pw_uid, entry.pw_gid)
        subprocess.run(
            [_pg_bin("initdb"), "-D", str(data), "-U", "airflow", "--auth=trust", "-E", "UTF8"],
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=120,
            cwd=self.directory,
            **self._run_as(),
        )
        argv = [_pg_bin("postgres"), "-D", str(data), "-p", str(self.port), "-k", str(self.directory)]
        argv += ["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=300", "-c", "fsync=off"]
        proc = self.processes.start("postgres", argv, os.environ.copy(), cwd=self.directory, **self._run_as())
        wait_for_port(self.port, 60, proc)
        for _ in range(50):  # accepting TCP before it accepts logins
            done = subprocess.run(
                [_pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "airflow", "airflow"],
                capture_output=True,
                timeout=30,
            )
            if done.returncode == 0:
                self.create_database(SHOP_DATABASE)
                return self
            time.sleep(0.2)
        raise RuntimeError(f"createdb failed: {done.stderr.decode(errors='replace')}")

    def create_database(self, name: str) -> None:
        subprocess.run(
            [_pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "airflow", name],
            check=True,
            capture_output=True,
            timeout=30,
        )

    @property
    def url(self) -> str:
        return f"postgresql+psycopg2://airflow@127.0.0.1:{self.port}/airflow"

    @property
    def shop_uri(self) -> str:
        """Airflow connection URI of the pipelines' own database (``postgres`` connection type)."""
        return f"postgres://airflow@127.0.0.1:{self.port}/{SHOP_DATABASE}"

    def query(self, sql: str, database: str = "airflow") -> list[tuple[str, ...]]:
        out = subprocess.run(
            [_pg_bin("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "airflow", "-At", "-F", "\t"]
            + ["-v", "ON_ERROR_STOP=1", "-c", sql, database],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
        return [tuple(line.split("\t")) for line in out.splitlines() if line]


class Redis:
    """Debian's redis-server on a free loopback port, no persistence."""

    def __init__(self, processes: Processes) -> None:
        self.processes, self.port = processes, free_port()

    def start(self) -> Redis:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        argv = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        wait_for_port(self.port, 30, self.processes.start("redis", argv, os.environ.copy()))
        return self

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


class AirflowStack:
    """Airflow's components on one metadata database; ``executor`` LocalExecutor or CeleryExecutor."""

    def __init__(
        self,
        home: Path,
        processes: Processes,
        database_url: str,
        dag_files: list[Path],
        extra_env: dict[str, str],
        executor: str = "LocalExecutor",
        broker_url: str | None = None,
        celery_workers: int = 0,
    ) -> None:
        self.home, self.processes, self.executor = home, processes, executor
        self.celery_workers = celery_workers
        self.api_port = free_port()
        dags = home / "dags"
        dags.mkdir(parents=True, exist_ok=True)
        for dag_file in dag_files:
            (dags / dag_file.name).symlink_to(dag_file)
        self.env = {
            **os.environ,
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW__CORE__EXECUTOR": executor,
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__CORE__PARALLELISM": "32",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{self.api_port}/execution/",
            "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{self.api_port}",
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
            "AIRFLOW__API__SECRET_KEY": secrets.token_hex(32),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": database_url,
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
            "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT": "300",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            **extra_env,
        }
        if broker_url:
            self.env["AIRFLOW__CELERY__BROKER_URL"] = broker_url
            self.env["AIRFLOW__CELERY__RESULT_BACKEND"] = "db+" + database_url
            self.env["AIRFLOW__CELERY__WORKER_CONCURRENCY"] = "4"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def airflow(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [str(VENV_BIN / "airflow"), *args], env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if done.returncode:
            raise RuntimeError(f"airflow {' '.join(args)} exited {done.returncode}:\n{done.stderr[-4000:]}")
        return done

    def start(self) -> AirflowStack:
        self.airflow("db", "migrate")
        api = ["api-server", "--host", "127.0.0.1", "--port", str(self.api_port), "--workers", "1"]
        proc = self.processes.start("api-server", [str(VENV_BIN / "airflow"), *api], self.env)
        wait_for_port(self.api_port, 180, proc)
        for component in ("scheduler", "dag-processor", "triggerer"):
            self.start_component(component)
        for index in range(self.celery_workers):
            self.start_worker(index)
        self.wait_healthy()
        return self

    def start_component(self, component: str) -> None:
        self.processes.start(component, [str(VENV_BIN / "airflow"), component], self.env)

    def start_worker(self, index: int) -> None:
        env = {**self.env, "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port())}
        argv = [str(VENV_BIN / "airflow"), "celery", "worker", "--celery-hostname", f"worker{index}@%h"]
        self.processes.start(f"worker{index}", argv + ["--without-gossip", "--without-mingle"], env)

    def wait_healthy(self, timeout: float = 180) -> dict[str, Any]:
        """Wait until the api-server reports the scheduler, triggerer and dag-processor healthy."""
        deadline, health = time.monotonic() + timeout, {}
        while time.monotonic() < deadline:
            dead = [
                (name, proc.returncode) for name, proc in self.processes.started if proc.poll() is not None
            ]
            if dead:
                name = dead[0][0]
                raise RuntimeError(f"{dead} exited; {name} log:\n{self.processes.log(name)[-4000:]}")
            try:
                health = requests.get(f"{self.api_url}/api/v2/monitor/health", timeout=5).json()
            except (requests.RequestException, ValueError):
                health = {}
            parts = [health.get(part, {}) or {} for part in ("metadatabase", "scheduler", "triggerer")]
            if all(part.get("status") == "healthy" for part in parts):
                return health
            time.sleep(1)
        raise TimeoutError(f"Airflow not healthy after {timeout} s: {health}")
