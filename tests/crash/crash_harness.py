"""Processes of the crash test: the gateway emulator, Airflow homes, task processes, the killer.

Every process is started here with :class:`subprocess.Popen` and stopped by its own pid (never by
name). Everything listens on / talks to 127.0.0.1 only.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
DAG_FILE = HERE / "send_crash_dag.py"
RUNNER = HERE / "runner.py"
SEND_PATHS = {"primotexto": "/v2/notification/messages/send", "smspartner": "/v1/send"}
API_KEYS = {"primotexto": "emu-primotexto-key", "smspartner": "emu-smspartner-key"}
CONN_IDS = {"primotexto": "emu_primotexto", "smspartner": "emu_smspartner"}


def airflow_env(home: Path, emulators: dict[str, str] | None = None) -> dict[str, str]:
    """Environment of a child using its own Airflow home (SQLite DB, DAG folder with one file)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW__", "AIRFLOW_CONN_"))}
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
    )
    for vendor, url in (emulators or {}).items():
        conn = {"conn_type": vendor, "host": url, "password": API_KEYS[vendor], "extra": {}}
        env[f"AIRFLOW_CONN_{CONN_IDS[vendor].upper()}"] = json.dumps(conn)
    return env


def make_home(root: Path, name: str, template_db: Path | None) -> Path:
    """A fresh Airflow home: the DAG file alone in its DAG folder, a copy of the migrated DB."""
    home = root / name
    (home / "dags").mkdir(parents=True)
    (home / "dags" / DAG_FILE.name).symlink_to(DAG_FILE)
    if template_db is not None:
        shutil.copyfile(template_db, home / "airflow.db")
    return home


def migrate(home: Path) -> Path:
    """``airflow db migrate`` once; scenarios copy the resulting file."""
    subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        env=airflow_env(home),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=300,
    )
    return home / "airflow.db"


class Processes:
    """The children started by the test, stopped by pid at teardown."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen] = []

    def start(self, args: list[str], env: dict[str, str], log: Path, **kwargs) -> subprocess.Popen:
        with log.open("wb") as out:
            proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, **kwargs)
        self.started.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    os.kill(proc.pid, signal.SIGKILL)
                    proc.wait(5)
            if proc.stdin is not None:
                proc.stdin.close()


class Emulator:
    """A gateway emulator in its own process (``python -m airflow_provider_sms.emulator``)."""

    def __init__(self, procs: Processes, root: Path, vendor: str, latency_ms: float) -> None:
        self.vendor = vendor
        log = root / f"emulator-{vendor}.log"
        args = [sys.executable, "-m", "airflow_provider_sms.emulator", "--host", "127.0.0.1", "--port", "0"]
        args += ["--latency-ms", str(latency_ms), "--delivery-delay", "0.3"]
        self.proc = procs.start(args, os.environ.copy(), log)
        deadline = time.monotonic() + 30
        while not (match := re.search(r"listening on (http://127\.0\.0\.1:(\d+))", log.read_text())):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the emulator did not start:\n{log.read_text()}")
            time.sleep(0.05)
        self.url, self.port = match.group(1), int(match.group(2))
        self._conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def call(self, method: str, path: str, body: dict | None = None):
        data = None if body is None else json.dumps(body)
        headers = {"Content-Type": "application/json"} if data else {}
        try:
            self._conn.request(method, path, body=data, headers=headers)
            reply = self._conn.getresponse()
        except (OSError, http.client.HTTPException):  # one retry on a fresh connection
            self._conn.close()
            self._conn.request(method, path, body=data, headers=headers)
            reply = self._conn.getresponse()
        payload = reply.read()
        if reply.status >= 300:
            raise RuntimeError(f"{method} {path}: HTTP {reply.status} {payload[:200]!r}")
        return json.loads(payload)

    def reset(self) -> None:
        self.call("POST", "/_emulator/reset")

    def add_latency(self, after: int, latency_ms: float) -> None:
        """Extra latency for the sends after the first ``after`` ones (latency rules add up)."""
        rule = {"kind": "latency", "vendor": self.vendor, "path": SEND_PATHS[self.vendor]}
        self.call("POST", "/_emulator/faults", {**rule, "after": after, "latency_ms": latency_ms})

    def clear_faults(self) -> None:
        self.call("DELETE", "/_emulator/faults")

    def accepted_count(self) -> int:
        return self.call("GET", "/_emulator/health")["messages"]

    def send_requests(self) -> list[dict]:
        return self.call("GET", f"/_emulator/requests?vendor={self.vendor}&path={SEND_PATHS[self.vendor]}")

    def accepted(self) -> Counter:
        return Counter(m["recipient"] for m in self.call("GET", f"/_emulator/messages?vendor={self.vendor}"))

    def wait_quiet(self, timeout: float = 15.0) -> None:
        """Wait until every request the emulator received has been answered (in-flight sends land)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            records = self.call("GET", f"/_emulator/requests?vendor={self.vendor}")
            if all(r["status"] is not None for r in records):
                return
            time.sleep(0.1)


@dataclass
class KillPoint:
    """When to SIGKILL the task: ``accepted`` messages recorded and ``in_flight`` sends received."""

    label: str
    accepted: int
    in_flight: int = 0
    extra_delay: float = 0.0

    def reached(self, emulator: Emulator) -> bool:
        if emulator.accepted_count() < self.accepted:
            return False
        return not self.in_flight or len(emulator.send_requests()) >= self.in_flight


@dataclass
class Child:
    """A runner process (``first`` or ``retry``) that warms up, then waits for a line on stdin."""

    proc: subprocess.Popen
    log: Path
    started: float = field(default_factory=time.monotonic)

    @classmethod
    def spawn(cls, procs: Processes, home: Path, mode: str, *args: str, env: dict[str, str]) -> Child:
        log = home / f"{mode}.log"
        cmd = [sys.executable, str(RUNNER), mode, str(home / "dags" / DAG_FILE.name), *args]
        return cls(procs.start(cmd, env, log, stdin=subprocess.PIPE), log)

    def go(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"go\n")
        self.proc.stdin.flush()

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def kill_at(child: Child, emulator: Emulator, point: KillPoint, timeout: float = 90.0) -> tuple[bool, int]:
    """SIGKILL ``child`` once ``point`` is reached; ``(killed, accepted at the kill)``."""
    deadline = time.monotonic() + timeout
    while not point.reached(emulator):
        if child.proc.poll() is not None:
            return False, emulator.accepted_count()
        if time.monotonic() > deadline:
            break
        time.sleep(0.003)
    if point.extra_delay:
        time.sleep(point.extra_delay)
    if child.proc.poll() is not None:
        return False, emulator.accepted_count()
    os.kill(child.proc.pid, signal.SIGKILL)
    child.proc.wait(10)
    return True, emulator.accepted_count()
