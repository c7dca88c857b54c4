"""Personalised sends (issue 22): each row its own text, against a raw aiohttp client.

Rows, one run, side by side (raw client and operator alternating at each level, best of
``REPEATS``), against the emulator in its own process (50 ms per request, 127.0.0.1):

* SMS Partner, 100,000 rows through ``/v1/bulk-send`` (500 rows per request, each its own
  text), 8 and 16 requests in flight: a raw aiohttp client making the same requests (the texts
  made with ``str.format``, inside the timed part: a hand-rolled client has to make them too)
  against ``SmsSendOperator.execute`` (the row template rendered for every row, validation, the
  retry journal in an in-memory ``task_state_store``, the hook's pooled connections);
* Primotexto, 10,000 rows (one request per SMS), 64 in flight, the same two clients;
* the rendering alone over the same 100,000 rows: ``RowTemplate.render_rows`` (every row at
  once, what the operator does for a template that only prints row fields), ``RowTemplate.render``
  (one row in the sandboxed strict Jinja environment beside an Airflow-sized context, what it does
  for any other template) and plain ``str.format``.

The peak memory of the 100,000-row send is measured in a fresh process by ``bench_rows_memory``;
the mapped-task way by ``bench_rows_mapped``. ``python benchmarks/bench_rows.py [--quick]``.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from typing import Any

from common import MemoryStateStore, ProcessEmulator, setup_airflow_env, table_row

LATENCY_MS = 50
REPEATS = 3
SMSPARTNER_ROWS, QUICK_SMSPARTNER_ROWS = 100_000, 5_000
SMSPARTNER_IN_FLIGHT = (8, 16)
PRIMOTEXTO_ROWS, QUICK_PRIMOTEXTO_ROWS = 10_000, 1_000
PRIMOTEXTO_IN_FLIGHT = 64
RENDER_ROWS, QUICK_RENDER_ROWS = 100_000, 10_000
PER_REQUEST = 500  # SMS Partner /bulk-send entries per request
PRIMOTEXTO_SEND = "/v2/notification/messages/send"
SMSPARTNER_BULK = "/v1/bulk-send"

#: The operator's template and the raw client's ``str.format`` twin (same texts).
TEMPLATE = "Bonjour {{ row.first_name }}, votre commande {{ row.order }} sera livrée le {{ row.day }}"
FORMAT = "Bonjour {first_name}, votre commande {order} sera livrée le {day}"
FIRST_NAMES = ("Marie", "Jean", "Camille", "Louis", "Chloe", "Hugo", "Lea", "Lucas", "Manon", "Jules")


def make_rows(count: int, first: int) -> list[dict[str, Any]]:
    """``count`` rows, each to its own number (``+336`` then ``first + i``) and with its own text."""
    return [
        {
            "recipient": f"+336{first + i:08d}",
            "key": i,
            "first_name": FIRST_NAMES[i % len(FIRST_NAMES)],
            "order": 100_000 + i,
            "day": f"{1 + i % 28:02d}/04",
        }
        for i in range(count)
    ]


def bench_context() -> dict[str, Any]:
    """What ``execute`` gets: the task instance, the state store, and the rest of an Airflow
    context (its usual keys, so the per-row rendering carries a context of a real task's size)."""
    from common import BenchTI

    names = (
        "conn dag dag_run data_interval_end data_interval_start ds ds_nodash expanded_ti_count "
        "inlet_events inlets logical_date macros map_index_template outlet_events outlets params "
        "prev_data_interval_end_success prev_data_interval_start_success prev_end_date_success "
        "prev_start_date_success run_id task task_instance task_instance_key_str test_mode "
        "triggering_asset_events ts ts_nodash ts_nodash_with_tz var"
    ).split()
    filler: dict[str, Any] = {name: None for name in names}
    filler.update(ds="2026-04-12", ds_nodash="20260412", params={}, run_id="bench", test_mode=False)
    return {**filler, "ti": BenchTI(), "task_state_store": MemoryStateStore()}


# ------------------------------------------------------------------ the two clients
def _raw_smspartner(url: str, rows: list[dict[str, Any]], in_flight: int) -> float:
    import aiohttp

    from airflow_provider_sms.emulator import SMSPARTNER_API_KEY

    async def main() -> None:
        gate = asyncio.Semaphore(in_flight)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=in_flight)) as session:

            async def one(index: int) -> None:
                chunk = rows[index : index + PER_REQUEST]
                entries = [{"phoneNumber": r["recipient"], "message": FORMAT.format(**r)} for r in chunk]
                body = {"apiKey": SMSPARTNER_API_KEY, "tag": f"bench-{index}", "SMSList": entries}
                async with gate, session.post(url + SMSPARTNER_BULK, json=body) as reply:
                    answer = await reply.json(content_type=None)
                    reply.raise_for_status()
                    if not answer.get("success"):
                        raise RuntimeError(f"bulk-send refused: {answer}")

            await asyncio.gather(*(one(i) for i in range(0, len(rows), PER_REQUEST)))

    started = time.perf_counter()
    asyncio.run(main())
    return time.perf_counter() - started


def _raw_primotexto(url: str, rows: list[dict[str, Any]], in_flight: int) -> float:
    import aiohttp

    from airflow_provider_sms.emulator import PRIMOTEXTO_API_KEY

    headers = {"X-Primotexto-ApiKey": PRIMOTEXTO_API_KEY}

    async def main() -> None:
        gate = asyncio.Semaphore(in_flight)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=in_flight)) as session:

            async def one(item: dict[str, Any]) -> None:
                body = {"number": item["recipient"], "message": FORMAT.format(**item)}
                async with gate, session.post(url + PRIMOTEXTO_SEND, json=body, headers=headers) as reply:
                    await reply.read()
                    reply.raise_for_status()

            await asyncio.gather(*(one(r) for r in rows))

    started = time.perf_counter()
    asyncio.run(main())
    return time.perf_counter() - started


def _operator(vendor: str, rows: list[dict[str, Any]], in_flight: int) -> tuple[float, int]:
    from airflow_provider_sms.operators.send import SmsSendOperator

    operator = SmsSendOperator(  # built before the clock starts, as a DAG file builds it
        task_id="send",
        sms_conn_id=f"bench_{vendor}",
        recipients=rows,
        message=TEMPLATE,
        max_concurrency=in_flight,
    )
    started = time.perf_counter()
    results = operator.execute(bench_context())  # type: ignore[arg-type]
    return time.perf_counter() - started, len(results)


def _pair(
    emulator: ProcessEmulator, vendor: str, count: int, in_flight: int, repeats: int, first: int
) -> list[dict[str, Any]]:
    """Raw client and operator, alternating, ``repeats`` times each; the best of each kept."""
    raw_best: tuple[float, int, int] | None = None
    op_best: tuple[float, int, int] | None = None
    for attempt in range(repeats):
        rows = make_rows(count, first + attempt * 2 * count)
        emulator.fresh()
        raw = _raw_smspartner if vendor == "smspartner" else _raw_primotexto
        seconds = raw(emulator.url, rows, in_flight)
        sample = (seconds, emulator.request_count(), len(emulator.messages(vendor)))
        raw_best = sample if raw_best is None or sample[0] < raw_best[0] else raw_best
        rows = make_rows(count, first + (attempt * 2 + 1) * count)
        emulator.fresh()
        seconds, sent = _operator(vendor, rows, in_flight)
        sample = (seconds, emulator.request_count(), sent)
        op_best = sample if op_best is None or sample[0] < op_best[0] else op_best
    assert raw_best is not None
    assert op_best is not None
    shape = "bulk-send, 500 texts per request" if vendor == "smspartner" else "one request per SMS"
    label = f"{'SMS Partner' if vendor == 'smspartner' else 'Primotexto'}, {shape}"
    ratio = 100 * raw_best[0] / op_best[0]
    best = f"best of {repeats}"
    return [
        table_row(
            "personalised send",
            f"raw aiohttp, {in_flight} in flight ({label})",
            count,
            raw_best[0],
            raw_best[1],
            f"{raw_best[2]} accepted; texts by str.format, nothing but the HTTP calls; {best}",
            in_flight=in_flight,
            kind="raw",
        ),
        table_row(
            "personalised send",
            f"SmsSendOperator, rows, {in_flight} in flight ({label})",
            count,
            op_best[0],
            op_best[1],
            f"{op_best[2]} accepted; row template + validation + journal included; "
            f"{ratio:.0f} % of raw aiohttp (target >= 90 %); {best}",
            in_flight=in_flight,
            kind="operator",
            ratio=ratio,
        ),
    ]


# ------------------------------------------------------------------ rendering alone
def _render_rows(count: int, repeats: int) -> list[dict[str, Any]]:
    from airflow_provider_sms.rules.row_template import RowTemplate

    rows = make_rows(count, 40_000_000)
    context = bench_context()
    template = RowTemplate(TEMPLATE, context)
    render = template.render
    jinja_best = columns_best = fmt_best = float("inf")
    for _ in range(repeats):  # alternating, best of each
        started = time.perf_counter()
        texts = [render(r) for r in rows]
        jinja_best = min(jinja_best, time.perf_counter() - started)
        started = time.perf_counter()
        by_columns = template.render_rows(rows)
        columns_best = min(columns_best, time.perf_counter() - started)
        started = time.perf_counter()
        formatted = [FORMAT.format(**r) for r in rows]
        fmt_best = min(fmt_best, time.perf_counter() - started)
    assert texts == formatted == by_columns
    per_thousand = 1000 * jinja_best / count * 1000
    return [
        table_row(
            "row template",
            "RowTemplate.render, one text per row (sandboxed Jinja, Airflow-sized context)",
            count,
            jinja_best,
            0,
            f"{per_thousand:.1f} ms per 1,000 rows; {jinja_best / fmt_best:.0f}x str.format; "
            f"3 fields per row; best of {repeats}",
        ),
        table_row(
            "row template",
            "RowTemplate.render_rows, all rows column by column (what the operator does for a "
            "template that only prints row fields)",
            count,
            columns_best,
            0,
            f"{1000 * columns_best / count * 1000:.1f} ms per 1,000 rows; {columns_best / fmt_best:.1f}x "
            f"str.format; the same texts as render; best of {repeats}",
        ),
        table_row(
            "row template",
            "str.format, one text per row (anchor)",
            count,
            fmt_best,
            0,
            f"{1000 * fmt_best / count * 1000:.1f} ms per 1,000 rows; best of {repeats}",
        ),
    ]


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Every comparison of this module, side by side; returns its rows."""
    repeats = 1 if quick else REPEATS
    partner = QUICK_SMSPARTNER_ROWS if quick else SMSPARTNER_ROWS
    primo = QUICK_PRIMOTEXTO_ROWS if quick else PRIMOTEXTO_ROWS
    rows: list[dict[str, Any]] = []
    with ProcessEmulator(LATENCY_MS, delivery_delay=600) as emulator:
        for vendor in ("primotexto", "smspartner"):
            os.environ[f"AIRFLOW_CONN_BENCH_{vendor.upper()}"] = emulator.connection_json(vendor)
        for vendor in ("primotexto", "smspartner"):  # first use apart: imports, connection lookup
            emulator.fresh()
            warm = _operator(vendor, make_rows(20, 50_000_000), 8)[0]
            print(f"first use of the {vendor} send path (20 rows): {warm:.2f} s", flush=True)
        for n in SMSPARTNER_IN_FLIGHT:
            rows += _pair(emulator, "smspartner", partner, n, repeats, 10_000_000 + n * 1_000_000)
        rows += _pair(emulator, "primotexto", primo, PRIMOTEXTO_IN_FLIGHT, repeats, 60_000_000)
    rows += _render_rows(QUICK_RENDER_ROWS if quick else RENDER_ROWS, repeats)
    for item in rows:
        for key in ("in_flight", "kind", "ratio"):
            item.pop(key, None)
    return rows


if __name__ == "__main__":
    setup_airflow_env()
    for result in run(quick="--quick" in sys.argv):
        print(result)
