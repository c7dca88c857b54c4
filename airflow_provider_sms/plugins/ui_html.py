"""The SMS views as server-rendered HTML with an inline SVG funnel: no script, no asset to build.

Every value is escaped; the rows hold masked numbers only (:mod:`.ui_data`). Colours follow the
browser's light or dark scheme (``prefers-color-scheme``); the layout fits 1280 px.
"""

from __future__ import annotations

from collections import Counter
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from airflow_provider_sms.plugins.ui_data import FUNNEL_STATES, OUTCOMES, Page, TaskSms, Totals

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from airflow_provider_sms.plugins.ui_journal import Progress

STATE_LABELS = {
    "delivered": "Delivered",
    "pending": "Pending",
    "error": "Error",
    "bounced": "Bounced",
    "unsubscribed": "STOP",
    "untracked": "Not tracked",
}
OUTCOME_LABELS = {"merged": "merged duplicate", "tracked": "tracked"}

CSS = """
:root { --bg:#ffffff; --fg:#1a202c; --muted:#5a6473; --line:#d9dee5; --card:#f5f7fa;
  --delivered:#2f855a; --pending:#b7791f; --error:#c53030; --bounced:#805ad5; --unsubscribed:#4a5568;
  --untracked:#a0aec0; --link:#2b6cb0; color-scheme: light dark; }
@media (prefers-color-scheme: dark) {
  :root { --bg:#1a1d23; --fg:#e2e8f0; --muted:#a0aec0; --line:#3a404b; --card:#242832;
    --delivered:#48bb78; --pending:#ecc94b; --error:#fc8181; --bounced:#b794f4; --unsubscribed:#cbd5e0;
    --untracked:#718096; --link:#90cdf4; }
}
* { box-sizing: border-box; }
body { margin:0; padding:16px 24px; background:var(--bg); color:var(--fg);
  font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; max-width:1280px; }
h1 { font-size:18px; margin:0 0 4px; } h2 { font-size:15px; margin:20px 0 8px; }
.sub { color:var(--muted); margin:0 0 12px; }
a { color:var(--link); }
.cards { display:flex; flex-wrap:wrap; gap:8px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:6px; padding:8px 12px; min-width:120px; }
.card b { display:block; font-size:20px; } .card span { color:var(--muted); font-size:12px; }
table { border-collapse:collapse; width:100%; }
th, td { text-align:left; padding:5px 8px; border-bottom:1px solid var(--line); white-space:nowrap; }
td.reason { white-space:normal; } th { color:var(--muted); font-weight:600; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
code { font-family:ui-monospace, SFMono-Regular, Menlo, monospace; }
form { display:flex; gap:8px; align-items:center; margin:8px 0; flex-wrap:wrap; }
select, input, button { background:var(--card); color:var(--fg); border:1px solid var(--line);
  border-radius:4px; padding:4px 8px; font:inherit; }
.pager { display:flex; gap:12px; margin:8px 0; color:var(--muted); }
.dot { display:inline-block; width:9px; height:9px; border-radius:50%; margin-right:6px; }
svg text { fill:var(--fg); font-size:12px; } svg .muted { fill:var(--muted); }
.empty { color:var(--muted); padding:24px 0; }
"""


def document(title: str, body: str) -> str:
    """A whole page."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>{body}</body></html>"
    )


def _figure(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def cards(totals: Totals, *, sends: bool = True) -> str:
    """The totals as cards: outcomes, segments and estimated cost."""
    items: list[tuple[str, str]] = []
    if sends:
        items += [
            ("accepted", _figure(totals.accepted)),
            ("merged duplicates", _figure(totals.merged)),
            ("skipped", _figure(totals.skipped)),
            ("failed", _figure(totals.failed)),
            ("unconfirmed", _figure(totals.unconfirmed)),
            ("segments", _figure(totals.segments)),
        ]
        cost = " + ".join(
            f"{_figure(amount)} {escape(vendor or 'gateway')}"
            for vendor, amount in sorted(totals.cost.items())
        )
        items.append(("estimated cost (as the gateway bills)", cost or "0"))
    if totals.tracked or not sends:
        items.append(("tracked for delivery", _figure(totals.tracked)))
    return _card_row(items)


def funnel_svg(funnel: Mapping[str, int], width: int = 640) -> str:
    """The delivery funnel: one bar per state, its length relative to the messages counted."""
    total = sum(funnel.values())
    if not total:
        return '<p class="empty">No delivery state known yet.</p>'
    label_w, bar_w, row_h = 110, width - 110 - 90, 26
    states = [s for s in FUNNEL_STATES if s != "untracked" or funnel.get(s)]
    parts = []
    for i, state in enumerate(states):
        count = funnel.get(state, 0)
        y = i * row_h
        length = max(2 if count else 0, round(bar_w * count / total))
        parts.append(
            f'<text x="0" y="{y + 17}">{STATE_LABELS[state]}</text>'
            f'<rect x="{label_w}" y="{y + 5}" width="{bar_w}" height="16" rx="3" fill="var(--card)"/>'
            f'<rect x="{label_w}" y="{y + 5}" width="{length}" height="16" rx="3" fill="var(--{state})"/>'
            f'<text x="{label_w + bar_w + 8}" y="{y + 17}">{count:,} '
            f'<tspan class="muted">({100 * count / total:.0f} %)</tspan></text>'
        )
    height = len(states) * row_h + 4
    return (
        f'<svg role="img" aria-label="Delivery funnel" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">{"".join(parts)}</svg>'
    )


def _options(values: Iterable[str], chosen: str, labels: Mapping[str, str]) -> str:
    return "".join(
        f'<option value="{escape(v)}"{" selected" if v == chosen else ""}>{escape(labels.get(v, v) or "any")}</option>'
        for v in values
    )


def _filters(map_index: int, outcome: str, state: str, query: str) -> str:
    return (
        '<form method="get">'
        f'<input type="hidden" name="map_index" value="{map_index}">'
        f'<label>Outcome <select name="outcome">{_options(("", *OUTCOMES), outcome, OUTCOME_LABELS)}</select></label>'
        f'<label>Delivery <select name="state">{_options(("", *FUNNEL_STATES), state, STATE_LABELS)}</select></label>'
        f'<label>Search <input name="q" value="{escape(query)}" placeholder="position, number end, reason"></label>'
        "<button>Filter</button></form>"
    )


def _row_cells(
    position: int | None, number: str, outcome: str, reason: str | None, state: str | None, time: str | None
) -> str:
    shown = state or "untracked"
    delivery = f'<span class="dot" style="background:var(--{escape(shown)}, var(--untracked))"></span>{escape(STATE_LABELS.get(shown, shown))}'
    return (
        f'<td class="num">{"" if position is None else position}</td><td><code>{escape(number)}</code></td>'
        f"<td>{escape(OUTCOME_LABELS.get(outcome, outcome))}</td><td class='reason'>{escape(reason or '')}</td>"
        f"<td>{delivery if outcome in ('accepted', 'tracked') else ''}</td><td>{escape(time or '')}</td>"
    )


def rows_table(page: Page, link: str, filters: Mapping[str, str | int]) -> str:
    """The page's rows, then links to the pages before and after (filters kept)."""
    if not page.matching:
        return '<p class="empty">No row matches.</p>'
    body = "".join(
        f"<tr>{_row_cells(r.position, r.number, r.outcome, r.reason, r.state, r.time)}</tr>"
        for r in page.rows
    )
    first = (page.number - 1) * page.size + 1

    def to(number: int, label: str) -> str:
        if number < 1 or number > page.pages or number == page.number:
            return f"<span>{label}</span>"
        return f'<a href="{escape(link)}?{escape(urlencode({**filters, "page": number}))}">{label}</a>'

    pager = (
        f'<div class="pager">{to(1, "« first")}{to(page.number - 1, "‹ previous")}'
        f"<span>rows {first:,}–{first + len(page.rows) - 1:,} of {page.matching:,} · page {page.number:,} of {page.pages:,}</span>"
        f"{to(page.number + 1, 'next ›')}{to(page.pages, 'last »')}</div>"
    )
    head = "<tr><th class='num'>Position</th><th>Number</th><th>Outcome</th><th>Reason</th><th>Delivery</th><th>Time</th></tr>"
    return f"{pager}<table><thead>{head}</thead><tbody>{body}</tbody></table>{pager}"


def _card_row(items: Sequence[tuple[str, str]]) -> str:
    return (
        '<div class="cards">'
        + "".join(f"<div class='card'><b>{v}</b><span>{escape(k)}</span></div>" for k, v in items)
        + "</div>"
    )


def progress_section(progress: Progress | None) -> str:
    """A send still at work: what its retry journal records so far (totals only)."""
    if progress is None:
        return "<h2>In progress</h2><p class='empty'>No progress recorded yet.</p>"
    items = [
        ("accepted so far", _figure(progress.accepted)),
        ("in flight", _figure(progress.in_flight + progress.unknown)),
        ("not sent so far", _figure(progress.not_sent)),
        ("try", "" if progress.try_number is None else str(progress.try_number)),
    ]
    if progress.planned is not None:
        items.append(("planned in this try", _figure(progress.planned)))
    lost = f", of which {progress.unknown:,} with a lost reply" if progress.unknown else ""
    return (
        f"<h2>In progress</h2>{_card_row(items)}"
        f"<p class='sub'>From the task's retry journal ({escape(progress.store)}, {progress.parts:,} part(s)){lost}. "
        "No rows until the task ends: the journal keeps a hash per recipient, not numbers.</p>"
    )


def task_page(
    dag_id: str,
    run_id: str,
    task: TaskSms | None,
    page: Page | None,
    link: str,
    filters: Mapping[str, str | int],
    live: bool = False,
    progress: Progress | None = None,
) -> str:
    """The task-instance view; ``live``: a send still at work, with its journal's ``progress``."""
    if task is not None and live and not task.rows:
        mapped = f" [{task.map_index}]" if task.map_index >= 0 else ""
        body = (
            f"<h1>Send: {escape(task.task_id)}{mapped}</h1>"
            f"<p class='sub'>{escape(dag_id)} · {escape(run_id)} · task {escape(task.state or 'no state')}</p>"
            f"{progress_section(progress)}"
        )
        return document(f"SMS · {task.task_id}", body)
    if task is None or page is None:
        body = (
            f"<h1>SMS</h1><p class='sub'>{escape(dag_id)} · {escape(run_id)}</p>"
            "<p class='empty'>This task has no SMS outcome: it is not an SMS task, or it has not finished yet.</p>"
        )
        return document("SMS", body)
    mapped = f" [{task.map_index}]" if task.map_index >= 0 else ""
    what = "Send" if task.kind == "send" else "Delivery tracking"
    body = (
        f"<h1>{what}: {escape(task.task_id)}{mapped}</h1>"
        f"<p class='sub'>{escape(dag_id)} · {escape(run_id)} · task {escape(task.state or 'no state')}</p>"
        f"{progress_section(progress) if live else ''}"
        f"{cards(task.totals, sends=task.kind == 'send')}<h2>Delivery funnel</h2>{funnel_svg(task.totals.funnel)}"
        f"<h2>Recipients</h2>{_filters(task.map_index, str(filters.get('outcome', '')), str(filters.get('state', '')), str(filters.get('q', '')))}"
        f"{rows_table(page, link, filters)}"
    )
    return document(f"SMS · {task.task_id}", body)


def run_page(dag_id: str, run_id: str, tasks: Sequence[tuple[TaskSms, str]]) -> str:
    """The DAG-run view: the run's totals, then one line per SMS task linking to its view."""
    if not tasks:
        body = f"<h1>SMS</h1><p class='sub'>{escape(dag_id)} · {escape(run_id)}</p><p class='empty'>No SMS task has finished in this run.</p>"
        return document("SMS", body)
    funnel_from = "send" if any(t.kind == "send" for t, _ in tasks) else "delivery"
    totals = Totals()
    for task, _ in tasks:
        totals.add(task.totals)
    # a sensor tracks the sends' messages: count each message once, on the side that has them all
    totals.funnel = Counter()
    for task, _ in tasks:
        if task.kind == funnel_from:
            totals.funnel.update(task.totals.funnel)
    lines = []
    for task, link in tasks:
        t = task.totals
        mapped = f" [{task.map_index}]" if task.map_index >= 0 else ""
        figures = (
            t.accepted,
            t.merged,
            t.skipped,
            t.failed,
            t.unconfirmed,
            t.tracked,
            t.funnel.get("delivered", 0),
        )
        cells = "".join(f'<td class="num">{f:,}</td>' for f in figures)
        lines.append(
            f'<tr><td><a href="{escape(link)}">{escape(task.task_id)}{mapped}</a></td><td>{task.kind}</td>'
            f"<td>{escape(task.state or '')}</td>{cells}</tr>"
        )
    head = "".join(
        f'<th class="num">{h}</th>'
        for h in ("Accepted", "Merged", "Skipped", "Failed", "Unconfirmed", "Tracked", "Delivered")
    )
    body = (
        f"<h1>SMS in this run</h1><p class='sub'>{escape(dag_id)} · {escape(run_id)} · {len(tasks)} SMS task(s)</p>"
        f"{cards(totals)}<h2>Delivery funnel</h2>{funnel_svg(totals.funnel)}"
        f"<h2>Tasks</h2><table><thead><tr><th>Task</th><th>Kind</th><th>State</th>{head}</tr></thead>"
        f"<tbody>{''.join(lines)}</tbody></table>"
    )
    return document("SMS · run", body)
