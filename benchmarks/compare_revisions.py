"""Send throughput before and after a refactor, side by side in one run.

``python benchmarks/compare_revisions.py [--baseline-ref 8b8ac45] [--recipients 3000]``

One emulator runs in its own process (``python -m airflow_provider_sms.emulator``, 127.0.0.1, a fixed
latency per request, 50 ms by default). For each number of requests in flight (8, 16, 64) three
clients send the same Primotexto POSTs, one per recipient, each in its own subprocess:

* ``raw aiohttp``: one ``aiohttp`` session, N requests in flight, nothing else (the floor);
* ``baseline``: the provider at ``--baseline-ref``, checked out with ``git worktree add`` into a
  temporary directory (removed at the end), or taken from ``--baseline-tree``;
* ``current``: the provider of this working tree.

For the two revisions, "send path" is ``SmsSendOperator.execute`` with ``max_concurrency=N``
(validation, the retry journal in an in-memory ``task_state_store``, N requests in flight over the
hook's pooled connections), the same call in both revisions. Each revision's subprocess has
``PYTHONPATH`` pointing at its own tree, so it imports its own package (checked: the worker reports
the file it imported).

The table goes to stdout and, unless ``--no-write``, into the section "Send path: two revisions
side by side" of ``docs/performance.md`` (the rest of that file is left as it is). Only the
processes this script starts are stopped, by their pid.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from common import BenchTI, MemoryStateStore, ProcessEmulator as Emulator, replace_section, setup_airflow_env

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve()
SEND_PATH = "/v2/notification/messages/send"
SECTION = "## Send path: two revisions side by side"
DEFAULT_IN_FLIGHT = (8, 16, 64)
WORKER_TIMEOUT = 900
MAX_RECIPIENTS = 20_000


# ---------------------------------------------------------------------------------------- workers
def _numbers(count: int, first: int) -> list[str]:
    return [f"+336{first + i:08d}" for i in range(count)]


def _worker_raw(url: str, numbers: list[str], in_flight: int) -> dict[str, Any]:
    import asyncio

    import aiohttp

    from airflow_provider_sms.emulator import PRIMOTEXTO_API_KEY

    headers = {"X-Primotexto-ApiKey": PRIMOTEXTO_API_KEY}

    async def main() -> tuple[float, int]:
        gate = asyncio.Semaphore(in_flight)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=in_flight)) as session:

            async def one(number: str) -> int:
                async with (
                    gate,
                    session.post(
                        url + SEND_PATH, json={"number": number, "message": "Hello"}, headers=headers
                    ) as reply,
                ):
                    await reply.read()
                    return reply.status

            started = time.perf_counter()
            statuses = await asyncio.gather(*(one(n) for n in numbers))
            return time.perf_counter() - started, sum(1 for s in statuses if s == 200)

    seconds, ok = asyncio.run(main())
    return {"seconds": seconds, "ok": ok}


def _worker_operator(url: str, numbers: list[str], in_flight: int) -> dict[str, Any]:
    if "AIRFLOW_HOME" not in os.environ:
        setup_airflow_env()
    from airflow_provider_sms.emulator import PRIMOTEXTO_API_KEY

    conn = {"conn_type": "primotexto", "host": url, "password": PRIMOTEXTO_API_KEY}
    os.environ["AIRFLOW_CONN_BENCH_PRIMOTEXTO"] = json.dumps(conn)
    from airflow_provider_sms.operators.send import SmsSendOperator

    operator = SmsSendOperator(
        task_id="send",
        sms_conn_id="bench_primotexto",
        recipients=numbers,
        message="Hello",
        max_concurrency=in_flight,
    )
    started = time.perf_counter()
    results = operator.execute({"ti": BenchTI(), "task_state_store": MemoryStateStore()})  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    operator.hook.close()
    return {"seconds": seconds, "ok": len(results)}


def worker_main(args: argparse.Namespace) -> int:
    import airflow_provider_sms

    numbers = _numbers(args.recipients, args.first_number)
    run = _worker_raw if args.worker == "raw" else _worker_operator
    result = run(args.url, numbers, args.in_flight)
    result["package"] = str(Path(airflow_provider_sms.__file__).resolve().parent)
    print("RESULT " + json.dumps(result), flush=True)
    return 0


# ---------------------------------------------------------------------------------------- driver
def _run_worker(
    kind: str, tree: Path, emulator: Emulator, in_flight: int, count: int, first: int, home: Path
) -> dict:
    emulator.fresh()
    env = {**os.environ, "PYTHONPATH": str(tree), **_airflow_env(home)}
    command = [sys.executable, str(HERE), "--worker", kind, "--url", emulator.url]
    command += ["--in-flight", str(in_flight), "--recipients", str(count), "--first-number", str(first)]
    done = subprocess.run(
        command, env=env, cwd=tempfile.gettempdir(), capture_output=True, text=True, timeout=WORKER_TIMEOUT
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{kind} worker failed ({done.returncode}):\n{done.stderr[-3000:]}")
    result = json.loads(lines[-1][len("RESULT ") :])
    if kind == "hook" and Path(result["package"]) != (tree / "airflow_provider_sms").resolve():
        raise RuntimeError(f"worker for {tree} imported {result['package']}")
    result["accepted"] = emulator.accepted()
    result["per_second"] = count / result["seconds"]
    if result["ok"] != count or result["accepted"] != count:
        raise RuntimeError(f"{kind} at {in_flight} in flight: {result} (expected {count} accepted)")
    return result


def _airflow_env(home: Path) -> dict[str, str]:
    """A throwaway Airflow home for the workers (connections come from the environment)."""
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
    }


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], check=True, capture_output=True, text=True).stdout


def _rate(result: dict[str, Any]) -> str:
    return f"{result['per_second']:,.0f}/s ({result['seconds']:.2f} s)"


def render(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| in flight | ideal | raw aiohttp | baseline | current | current/raw % |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        ratio = 100 * row["current"]["per_second"] / row["raw"]["per_second"]
        lines.append(
            f"| {row['in_flight']} | {row['ideal_per_second']:,.0f}/s ({row['ideal_seconds']:.2f} s) | "
            f"{_rate(row['raw'])} | {_rate(row['baseline'])} | {_rate(row['current'])} | {ratio:.0f} % |"
        )
    return "\n".join(lines)


def driver_main(args: argparse.Namespace) -> int:
    in_flight = [int(n) for n in args.in_flight_levels.split(",")]
    if not 1 <= args.recipients <= MAX_RECIPIENTS or not all(1 <= n <= 256 for n in in_flight):
        raise SystemExit(f"--recipients must be 1..{MAX_RECIPIENTS}, in-flight levels 1..256")
    baseline_sha = _git("rev-parse", "--short", args.baseline_ref).strip()
    current = f"{_git('rev-parse', '--short', 'HEAD').strip()}" + (
        " + working-tree changes" if _git("status", "--porcelain").strip() else ""
    )
    own_worktree: Path | None = None
    emulator: Emulator | None = None
    home = Path(tempfile.mkdtemp(prefix="sms-compare-airflow-"))
    started = time.monotonic()
    try:
        if args.baseline_tree:
            baseline = Path(args.baseline_tree).resolve()
            head = subprocess.run(
                ["git", "-C", str(baseline), "rev-parse", "--short", "HEAD"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
            if head != baseline_sha:
                raise SystemExit(f"{baseline} is at {head}, not {baseline_sha}")
        else:
            own_worktree = Path(tempfile.mkdtemp(prefix="sms-baseline-")) / "tree"
            _git("worktree", "add", "--detach", str(own_worktree), baseline_sha)
            baseline = own_worktree
        emulator = Emulator(args.latency_ms)
        print(f"emulator {emulator.url} (pid {emulator.process.pid}), latency {args.latency_ms} ms")
        print(f"baseline {baseline_sha} at {baseline}; current {current} at {ROOT}")
        rows = []
        for level, n in enumerate(in_flight):
            first = 10_000_000 + level * 1_000_000
            row: dict[str, Any] = {"in_flight": n}
            row["ideal_seconds"] = math.ceil(args.recipients / n) * args.latency_ms / 1000
            row["ideal_per_second"] = args.recipients / row["ideal_seconds"]
            for offset, (name, kind, tree) in enumerate(
                (("raw", "raw", ROOT), ("baseline", "hook", baseline), ("current", "hook", ROOT))
            ):
                row[name] = _run_worker(
                    kind, tree, emulator, n, args.recipients, first + offset * 200_000, home
                )
            print(
                f"{n:>3} in flight: raw {_rate(row['raw'])}, baseline {_rate(row['baseline'])}, "
                f"current {_rate(row['current'])}",
                flush=True,
            )
            rows.append(row)
    finally:
        if emulator is not None:
            emulator.stop()
        if own_worktree is not None:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(own_worktree)])
            own_worktree.parent.rmdir()
        shutil.rmtree(home, ignore_errors=True)
    table = render(rows)
    print(table)
    if not args.no_write:
        when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        body = (
            "Written by `python benchmarks/compare_revisions.py` (do not edit by hand): the send path of\n"
            f"the baseline revision `{baseline_sha}` and of the current tree (`{current}`), measured in\n"
            f"one run against one emulator process on 127.0.0.1 adding {args.latency_ms:g} ms per request.\n"
            f"{args.recipients:,} Primotexto recipients, one POST each, per cell. *raw aiohttp* is a bare\n"
            "aiohttp client sending the same POSTs; *baseline* and *current* run\n"
            "`SmsSendOperator.execute` with `max_concurrency=N` (validation, retry journal in an\n"
            "in-memory task state store, N requests in flight), each revision in its own subprocess.\n"
            "*ideal* is N requests per latency period. Cells: recipients per second (wall time).\n\n"
            f"Run: {when}, Python {platform.python_version()}, {os.cpu_count()} CPU(s), "
            f"{time.monotonic() - started:.0f} s in all.\n\n" + table
        )
        replace_section(ROOT / "docs" / "performance.md", SECTION, body)
        print(f"wrote the section {SECTION[3:]!r} of docs/performance.md")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline-ref", default="8b8ac45", help="git ref of the baseline (default 8b8ac45)")
    parser.add_argument("--baseline-tree", help="use this existing checkout of the baseline ref")
    parser.add_argument("--recipients", type=int, default=3000, help="recipients per cell (default 3000)")
    parser.add_argument("--in-flight-levels", default=",".join(map(str, DEFAULT_IN_FLIGHT)))
    parser.add_argument("--latency-ms", type=float, default=50.0, help="emulator latency per request")
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/performance.md")
    parser.add_argument("--worker", choices=("raw", "hook"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--in-flight", type=int, default=8, help=argparse.SUPPRESS)
    parser.add_argument("--first-number", type=int, default=10_000_000, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker_main(args)
    return driver_main(args)


if __name__ == "__main__":
    raise SystemExit(main())
