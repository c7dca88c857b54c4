"""Run every benchmark, print one table, and write the figures to docs/performance.md.

Usage: ``python benchmarks/run.py [--quick] [--only rows,rows_memory,rows_mapped]``. Each ``benchmarks/bench_*.py`` exposes
``run(quick: bool) -> list[dict]``; all traffic goes to the emulator, in its own process on
127.0.0.1, bounded in count and time. The send rows are also drawn to
``docs/performance-throughput.png`` (matplotlib, when installed). Figures depend on the machine: compare rows of one run, not across runs.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from common import replace_section, setup_airflow_env
from plot import throughput_plot

ROOT = Path(__file__).resolve().parent.parent
SECTION = "## All benchmarks"
PLOT = "performance-throughput.png"
COLUMNS = ("benchmark", "variant", "items", "requests", "seconds", "per_second", "notes")


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if value < 1000 else f"{value:,.0f}"
    return "" if value is None else str(value)


def table(rows: list[dict]) -> str:
    """Render rows as a Markdown table."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(_fmt(row.get(c)) for c in COLUMNS) + " |" for row in rows]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller runs (smoke test)")
    parser.add_argument(
        "--only", help="run only benchmarks/bench_<ONLY>.py (several: comma-separated, e.g. rows,rows_memory)"
    )
    parser.add_argument("--no-write", action="store_true", help="do not rewrite docs/performance.md")
    args = parser.parse_args()
    setup_airflow_env()
    sys.path.insert(0, str(ROOT / "benchmarks"))
    names = sorted(p.stem for p in (ROOT / "benchmarks").glob("bench_*.py"))
    if args.only:
        wanted = {f"bench_{name.strip()}" for name in args.only.split(",")}
        names = [n for n in names if n in wanted]
    rows: list[dict] = []
    started = time.monotonic()
    for name in names:
        print(f"running {name} ...", flush=True)
        rows.extend(importlib.import_module(name).run(quick=args.quick))
    rendered = table(rows)
    print(rendered)
    if not args.no_write:
        when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        body = (
            "Written by `python benchmarks/run.py` (do not edit by hand). All figures come from one run,\n"
            "side by side, against the gateway emulator on 127.0.0.1; they depend on the machine, so\n"
            "compare rows with each other rather than with another machine.\n\n"
            f"Run: {when}, Python {platform.python_version()}, {os.cpu_count()} CPU(s), "
            f"{'quick' if args.quick else 'full'} mode, {time.monotonic() - started:.0f} s in all.\n\n"
            + rendered
        )
        from bench_send import LATENCY_MS

        if throughput_plot(rows, LATENCY_MS, ROOT / "docs" / PLOT):
            body += f"\n\n![Send throughput against requests in flight]({PLOT})\n"
        path = ROOT / "docs" / "performance.md"
        if not path.exists():
            path.write_text("# Performance\n")
        replace_section(path, SECTION, body)  # other sections (compare_revisions.py) are kept
        print(f"wrote the section {SECTION[3:]!r} of docs/performance.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
