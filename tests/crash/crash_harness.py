"""Processes of the crash test: the gateway emulator, Airflow homes, task processes, the killer.

Every process is started here with :class:`subprocess.Popen` and stopped by its own pid (never by
name). Everything listens on / talks to 127.0.0.1 only.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from airflow_provider_sms.emulator.primotexto import PRIMOTEXTO_API_KEY
from airflow_provider_sms.emulator.smspartner import SMSPARTNER_API_KEY
from tests.helpers.gateways import CONN_IDS, SEND_PATHS

HERE = Path(__file__).resolve().parent
DAG_FILE = HERE / "send_crash_dag.py"
RUNNER = HERE / "runner.py"
API_KEYS = {"primotexto": PRIMOTEXTO_API_KEY, "smspartner": SMSPARTNER_API_KEY}
#: What the emulator's path filters (substrings) match for a gateway's sends: SMS Partner's
#: ``send`` matches ``/v1/send`` and, for personalised rows, ``/v1/bulk-send``.
SEND_PATH_FILTERS = {"primotexto": SEND_PATHS["primotexto"], "smspartner": "send"}


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
        # a 5 s read timeout: the retry's settle time (the DAG's outcome_settle_seconds) can be as short
        conn = {"conn_type": vendor, "host": url, "password": API_KEYS[vendor], "extra": {"timeout": 5}}
        env[f"AIRFLOW_CONN_{CONN_IDS[vendor].upper()}"] = json.dumps(conn)
    return env


def make_home(root: Path, name: str) -> Path:
    """An Airflow home whose DAG folder holds the crash DAG alone (not the suite's other DAGs)."""
    home = root / name
    (home / "dags").mkdir(parents=True)
    (home / "dags" / DAG_FILE.name).symlink_to(DAG_FILE)
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
        #: task processes forked by a fork server and not reaped yet
        self.forked: list[int] = []

    def start(self, args: list[str], env: dict[str, str], log: Path, **kwargs) -> subprocess.Popen:
        """Start ``args``; stderr (and stdout unless piped) to ``log``."""
        with log.open("wb") as out:
            kwargs.setdefault("stdout", out)
            proc = subprocess.Popen(args, env=env, stderr=out, **kwargs)
        self.started.append(proc)
        return proc

    def stop_all(self) -> None:
        for pid in self.forked:
            if not ended(pid):
                os.kill(pid, signal.SIGKILL)
        for proc in reversed(self.started):
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    os.kill(proc.pid, signal.SIGKILL)
                    proc.wait(5)
            for pipe in (proc.stdin, proc.stdout):
                if pipe is not None:
                    pipe.close()


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
        rule = {"kind": "latency", "vendor": self.vendor, "path": SEND_PATH_FILTERS[self.vendor]}
        self.call("POST", "/_emulator/faults", {**rule, "after": after, "latency_ms": latency_ms})

    def clear_faults(self) -> None:
        self.call("DELETE", "/_emulator/faults")

    def accepted_count(self) -> int:
        return self.call("GET", "/_emulator/health")["messages"]

    def send_requests(self) -> list[dict]:
        return self.call(
            "GET", f"/_emulator/requests?vendor={self.vendor}&path={SEND_PATH_FILTERS[self.vendor]}"
        )

    def accepted(self) -> Counter:
        """How often the gateway accepted each (number, text)."""
        messages = self.call("GET", f"/_emulator/messages?vendor={self.vendor}")
        return Counter((m["recipient"], m["text"]) for m in messages)

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

    def reached(self, emulator: Emulator) -> int | None:
        """The emulator's accepted count once the point is reached, else ``None``."""
        accepted = emulator.accepted_count()
        if accepted < self.accepted:
            return None
        if self.in_flight and len(emulator.send_requests()) < self.in_flight:
            return None
        return accepted


class ForkServer:
    """``runner.py serve``: one warmed-up Airflow process that forks the task processes.

    Every scenario runs on the DB file of ``home``, replaced by a copy of the template before each
    first try (the server itself never opens it).
    """

    def __init__(self, procs: Processes, home: Path, env: dict[str, str], template_db: Path) -> None:
        self.home, self.template_db, self.procs = home, template_db, procs
        #: what the crash DAG sends (``SMS_CRASH_SHAPE``)
        self.shape = env.get("SMS_CRASH_SHAPE", "text")
        cmd = [sys.executable, str(RUNNER), "serve", str(home / "dags" / DAG_FILE.name)]
        self.proc = procs.start(cmd, env, home / "server.log", stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self._read(timeout=120)  # "ready"

    def _read(self, timeout: float) -> str:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline().decode().strip() if ready else ""
        if not line:
            raise RuntimeError(f"the fork server did not answer:\n{tail(self.home / 'server.log')}")
        return line

    def _ask(self, *words: str, timeout: float = 30) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write((" ".join(words) + "\n").encode())
        self.proc.stdin.flush()
        return self._read(timeout)

    def fresh_db(self) -> None:
        for leftover in self.home.glob("airflow.db*"):
            leftover.unlink()
        shutil.copyfile(self.template_db, self.home / "airflow.db")

    def spawn(self, mode: str, log: Path, arg: str) -> int:
        """Fork a ``first`` / ``retry`` process; its pid (recorded for teardown)."""
        pid = int(self._ask(mode, str(log), arg))
        self.procs.forked.append(pid)
        return pid

    def wait(self, pid: int, timeout: float = 180) -> int:
        """Exit status of ``pid`` (negative: the signal that killed it)."""
        status = int(self._ask("wait", str(pid), timeout=timeout))
        self.procs.forked.remove(pid)
        return status


def tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""


def ended(pid: int) -> bool:
    """``pid`` has exited (a zombie until the fork server reaps it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


def kill_at(pid: int, emulator: Emulator, point: KillPoint, timeout: float = 90.0) -> tuple[str, int]:
    """SIGKILL ``pid`` once ``point`` is reached.

    :return: ``("killed" | "ended" | "not reached", accepted when the kill was sent)``; ``ended``:
        the task process exited first.
    """
    deadline = time.monotonic() + timeout
    while (accepted := point.reached(emulator)) is None:
        if ended(pid):
            return "ended", emulator.accepted_count()
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            return "not reached", emulator.accepted_count()
        time.sleep(0.003)
    if point.extra_delay:
        time.sleep(point.extra_delay)
        accepted = emulator.accepted_count()
    if ended(pid):
        return "ended", emulator.accepted_count()
    os.kill(pid, signal.SIGKILL)
    return "killed", accepted
