"""Helpers the benchmark modules share."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


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


def peak_rss_kib() -> int:
    """This process's peak resident memory, in KiB.

    ``VmHWM`` from ``/proc/self/status`` where there is one (Linux): the high-water mark of this
    process's own memory. ``getrusage().ru_maxrss`` is not used there: Linux carries it over
    ``execve`` from the process that started this one (a subprocess of a large ``run.py`` would
    start with ``run.py``'s peak and show no growth at all).
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KiB on Linux, bytes on macOS


def table_row(
    benchmark: str, variant: str, items: int, seconds: float, requests: int, notes: str, **extra: Any
) -> dict[str, Any]:
    """One row of ``run.py``'s table: ``seconds`` rounded, ``per_second`` worked out from ``items``
    (``extra`` keys ride along for the caller's ratios or plot; ``run.py`` prints only its columns)."""
    return {
        "benchmark": benchmark,
        "variant": variant,
        "items": items,
        "seconds": round(seconds, 3),
        "per_second": round(items / seconds, 1) if seconds else None,
        "requests": requests,
        "notes": notes,
        **extra,
    }


class BenchTI:
    """The task instance an operator's ``execute`` needs outside a DAG run (XComs dropped)."""

    dag_id, run_id, task_id, map_index, try_number = "bench", "bench", "send", -1, 1

    def xcom_push(self, key: str, value: Any) -> None:
        pass


class MemoryStateStore(dict):
    """An in-memory stand-in for ``task_state_store`` (the retry journal's home). Values are kept
    as JSON text, as the real store keeps them outside the task process (in the metadata
    database): decoded copies held here would count against the memory benchmark."""

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        text = super().get(key)
        return default if text is None else json.loads(text)

    def set(self, key: str, value: Any, *, retention: Any = None) -> None:
        self[key] = json.dumps(value)


def measure_send_memory(
    recipients: Sequence[Any], message: str, engine_modules: Sequence[str]
) -> tuple[dict[str, Any], list[Any]]:
    """Send through ``SmsSendOperator`` (connection ``bench_smspartner``, 8 in flight) outside a DAG
    run, and say what the send cost this process: ``(figures, results)``.

    The peak RSS (``peak_rss_kib``) is read once the operator is built, again once
    ``engine_modules`` (what ``execute()`` imports on first use) are imported, and after
    ``execute()``. ``figures``: ``before`` and ``after`` (KiB, around the send), ``imports`` (KiB
    the engine's imports added) and ``seconds`` (``execute()`` alone).
    """
    from airflow_provider_sms.operators.send import SmsSendOperator

    operator = SmsSendOperator(
        task_id="send",
        sms_conn_id="bench_smspartner",
        recipients=recipients,
        message=message,
        max_concurrency=8,
    )
    before_imports = peak_rss_kib()
    for name in engine_modules:
        importlib.import_module(name)
    before = peak_rss_kib()
    started = time.perf_counter()
    results = operator.execute({"ti": BenchTI(), "task_state_store": MemoryStateStore()})  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    after = peak_rss_kib()
    figures = {"before": before, "after": after, "imports": before - before_imports, "seconds": seconds}
    return figures, results


def worker_result(args: Sequence[str], env: dict[str, str], timeout: float, what: str) -> dict[str, Any]:
    """Run ``python *args`` with ``env``; the JSON object its last line of output prints.

    :param what: the worker's name in the error raised when it fails.
    """
    done = subprocess.run(
        [sys.executable, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode:
        raise RuntimeError(f"the {what} worker failed: {done.stderr[-2000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def send_memory_in_subprocess(script: Path, count: int) -> tuple[dict[str, Any], int]:
    """Run ``script --worker count`` (a fresh process sending to ``bench_smspartner``) against the
    emulator in its own process, no latency: ``(the JSON the worker printed, gateway requests)``."""
    with ProcessEmulator(0, delivery_delay=600) as emulator:
        emulator.fresh()
        env = {
            **os.environ,
            "AIRFLOW_CONN_BENCH_SMSPARTNER": emulator.connection_json("smspartner"),
            "PYTHONPATH": os.pathsep.join([str(ROOT / "benchmarks"), os.environ.get("PYTHONPATH", "")]),
        }
        result = worker_result([str(script), "--worker", str(count)], env, 600, "memory")
        return result, emulator.request_count()


def dag_test_home(prefix: str, dag_file_name: str, dag_text: str, **env: str) -> tuple[dict[str, str], Path]:
    """A throwaway Airflow home (SQLite, its database migrated: not timed) whose DAG folder holds
    one file, ``dag_file_name`` with ``dag_text``: ``(the environment to run it with, the file)``.

    ``env`` is added to the environment, over this process's own.
    """
    home = Path(tempfile.mkdtemp(prefix=prefix))
    (home / "dags").mkdir()
    dag_file = home / "dags" / dag_file_name
    dag_file.write_text(dag_text)
    full_env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
        **env,
    }
    subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        env=full_env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=300,
    )
    return full_env, dag_file


def dag_test_worker(path: str, name: str) -> None:
    """In the worker process: run the DAG ``name`` of the DAG file ``path`` with ``dag.test()`` and
    print, as JSON, its wall time, the run's state, its task instances' states and their count."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(Path(path).stem, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    started = time.perf_counter()
    run = getattr(module, name).test()
    seconds = time.perf_counter() - started
    tis = run.get_task_instances()
    states = sorted({str(ti.state) for ti in tis})
    print(json.dumps({"seconds": seconds, "state": str(run.state), "task_states": states, "tis": len(tis)}))


def run_dag_test(dag_file: Path, name: str, env: dict[str, str], timeout: float) -> dict[str, Any]:
    """Run ``dag_test_worker`` on the DAG ``name`` of ``dag_file`` in a subprocess with ``env``
    (this module as its script): what it printed."""
    return worker_result(
        [str(Path(__file__).resolve()), "--dag-test", str(dag_file), name], env, timeout, "dag.test()"
    )


class ProcessEmulator:
    """The emulator in its own process (this tree's code), stopped by its pid at the end.

    :param latency_ms: latency added to every gateway request.
    :param delivery_delay: seconds until a message is final.
    """

    def __init__(self, latency_ms: float, delivery_delay: float = 600) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        command = [sys.executable, "-m", "airflow_provider_sms.emulator", "--host", "127.0.0.1"]
        command += ["--port", "0", "--latency-ms", str(latency_ms), "--delivery-delay", str(delivery_delay)]
        command += ["--credits", "1000000", "--subaccounts", "0"]
        self.latency_ms, self.delivery_delay = latency_ms, delivery_delay
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline()  # "SMS gateway emulator listening on http://..."
        if "listening on " not in first:
            self.stop()
            raise RuntimeError(f"the emulator did not start: {first!r}")
        self.url = first.rsplit("listening on ", 1)[1].strip()

    def __enter__(self) -> ProcessEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def control(self, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + "/_emulator" + path,
            data=data,
            method="GET" if body is None else "POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as reply:
            return json.loads(reply.read())

    def fresh(self, **config: Any) -> None:
        """Initial state, with the latency and credit this run needs (and ``config`` on top)."""
        self.control("/reset", {})
        self.control("/config", {"latency_ms": self.latency_ms, "credits": 1_000_000, **config})

    def accepted(self, vendor: str = "primotexto") -> int:
        return len(self.messages(vendor))

    def messages(self, vendor: str) -> list[dict[str, Any]]:
        return self.control(f"/messages?vendor={vendor}")

    def request_count(self) -> int:
        """Gateway requests received since the last reset (all vendors)."""
        return int(self.control("/health")["requests"])

    def connection_json(self, vendor: str) -> str:
        """Airflow connection JSON pointing at this emulator."""
        from airflow_provider_sms.emulator import PRIMOTEXTO_API_KEY, SMSPARTNER_API_KEY

        key = PRIMOTEXTO_API_KEY if vendor == "primotexto" else SMSPARTNER_API_KEY
        return json.dumps({"conn_type": vendor, "host": self.url, "password": key, "extra": {}})

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # SIGTERM to this pid: the emulator shuts down cleanly
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


if __name__ == "__main__":
    if "--dag-test" in sys.argv:  # the worker of run_dag_test
        at = sys.argv.index("--dag-test")
        dag_test_worker(sys.argv[at + 1], sys.argv[at + 2])
