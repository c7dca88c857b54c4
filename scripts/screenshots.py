"""Screenshots of the provider in Airflow's UI, for the README and docs/connections.md.

Run from the repository root with the system-test extras and Playwright installed
(``pip install -e '.[system]'``; Debian's ``chromium`` at ``/usr/bin/chromium``, no
``playwright install``)::

    .venv/bin/python scripts/screenshots.py

It starts the gateway emulator and a real Airflow deployment on loopback (PostgreSQL, api-server,
scheduler, dag-processor, triggerer; the system tests' ``start_stack``), creates a ``primotexto``
and a ``smspartner`` connection in the metadata database through the REST API, runs
``example_sms_quickstart`` on the emulator, and takes with headless Chromium:

- ``docs/images/connection-form-primotexto.png`` and ``connection-form-smspartner.png``: the edit
  form of each connection;
- ``docs/images/dag-run-quickstart.png``: the finished run in the graph view;
- ``docs/images/sms-view-task-instance.png`` (and ``-dark``, the browser in dark mode) and
  ``sms-view-dag-run.png``: the provider's SMS tabs (``docs/ui.md``) after a run of the tests'
  ``ui_send`` DAG (personalised rows, some skipped, merged or refused, then a delivery wait).

The form's sections are an accordion that keeps one section open: the script opens *Extra
Fields* and then unhides the (already rendered) *Standard Fields* section too, so that one image
shows the *API key* label and the labelled extras together.

``--sms-views-only`` takes only the SMS views. ``--airflow-30`` (run with an Airflow 3.0 virtualenv) takes only the two forms and writes them as
``connection-form-<type>-airflow-3.0.png``. Everything started is stopped on the way out, error or
not; ``--keep`` keeps the work directory (logs, database) for a look.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the repository: its tests package holds the stack

from airflow_provider_sms.emulator import GatewayEmulator  # noqa: E402
from tests.system.api import AirflowApi  # noqa: E402
from tests.system.conftest import start_stack  # noqa: E402

if TYPE_CHECKING:
    from playwright.sync_api import Page

DAG_ID = "example_sms_quickstart"
#: The DAG whose run the SMS views show (tests/dags/ui_send.py, in the stack's DAG files).
VIEWS_DAG_ID = "ui_send"
VIEWPORT = {"width": 1400, "height": 900}
CHROMIUM = "/usr/bin/chromium"
#: Headless Chromium on a closed network: no sandbox as root, nothing that calls Google. Playwright
#: gives every launch a fresh temporary profile (its own --user-data-dir) and removes it after.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: The connections created in the metadata database: id, type, description, extras.
CONNECTIONS = [
    (
        "primotexto_default",
        "primotexto",
        "Primotexto (local emulator)",
        {"sender": "MyShop", "timeout": 30},
    ),
    (
        "smspartner_default",
        "smspartner",
        "SMS Partner (local emulator)",
        {"sender": "MyShop", "timeout": 30, "gamme": 1, "sandbox": True},
    ),
]
#: The labels each form must show (conn-fields in get_provider_info()).
FORM_LABELS = {
    "primotexto": ["API key", "Default sender", "Read timeout (seconds)"],
    "smspartner": ["API key", "Default sender", "Read timeout (seconds)", "Range (gamme)", "Sandbox"],
}
#: Unhide the closed sections of the dialog's accordion (but the raw JSON): they are rendered, only
#: hidden, and the accordion opens one at a time.
OPEN_SECTIONS_JS = """() => {
  const opened = [];
  for (const item of document.querySelectorAll('[role=dialog] [data-scope=accordion][data-part=item]')) {
    const trigger = item.querySelector('[data-part=item-trigger]');
    const title = trigger ? trigger.innerText.trim() : '';
    if (item.getAttribute('data-state') !== 'closed' || /json/i.test(title)) continue;
    for (const el of [item, ...item.querySelectorAll('[data-scope=accordion]')]) {
      if (el.getAttribute('data-state') === 'closed') el.setAttribute('data-state', 'open');
      if (el.getAttribute('aria-expanded') === 'false') el.setAttribute('aria-expanded', 'true');
      el.hidden = false;
    }
    opened.push(title);
  }
  return opened;
}"""

#: The dialog's sections (but the raw JSON) whose content is hidden or flat.
CLOSED_SECTIONS_JS = """() => [...document.querySelectorAll(
    '[role=dialog] [data-scope=accordion][data-part=item]')].filter(item => {
  const title = item.querySelector('[data-part=item-trigger]')?.innerText.trim() ?? '';
  const content = item.querySelector('[data-part=item-content]');
  return !/json/i.test(title) && (!content || content.hidden || content.getBoundingClientRect().height < 20);
}).map(item => item.querySelector('[data-part=item-trigger]')?.innerText.trim())"""


def log(message: str) -> None:
    print(f"[screenshots] {message}", flush=True)


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def create_connections(api: AirflowApi, emulator: GatewayEmulator) -> None:
    for conn_id, conn_type, description, extra in CONNECTIONS:
        target = json.loads(emulator.connection_json(conn_type))
        body = {
            "connection_id": conn_id,
            "conn_type": conn_type,
            "description": description,
            "host": target["host"],
            "password": target["password"],
            "extra": json.dumps(extra),
        }
        api.request("POST", "/api/v2/connections", json=body)
        try:  # the form's Test button: a read-only call to the emulator
            tested = api.request("POST", "/api/v2/connections/test", json=body)
            log(f"connection {conn_id} ({conn_type}) created; test: {tested}")
        except AssertionError as error:
            log(f"connection {conn_id} ({conn_type}) created; test not available: {error}")


def run_quickstart(api: AirflowApi, emulator: GatewayEmulator) -> str:
    # Deliveries take 8 s, so the sensor finds them pending and defers to the triggerer.
    emulator.configure(delivery_delay=8)
    run_id = api.trigger(DAG_ID, {"sms_conn_id": "emu_primotexto"})
    state, seen = api.wait_for_run(DAG_ID, run_id, timeout=300, poll=0.3)
    log(f"{DAG_ID} {run_id}: {state}; task states seen: { {k: sorted(v) for k, v in seen.items()} }")
    if state != "success":
        raise RuntimeError(f"{DAG_ID} run {run_id} ended {state}")
    return run_id


def open_connection_form(page: Page, base_url: str, conn_id: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base_url}/connections")
    row = page.get_by_role("row").filter(has_text=conn_id)
    row.get_by_label("Edit Connection").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("API key", exact=True)).to_be_visible(timeout=30_000)
    extra = dialog.get_by_role("button", name="Extra Fields", exact=True)
    if extra.count():
        extra.click()
    for _ in range(10):  # once the accordion has closed Standard Fields (an animation)
        page.wait_for_timeout(700)
        opened = page.evaluate(OPEN_SECTIONS_JS)
        page.wait_for_timeout(500)
        if page.evaluate(CLOSED_SECTIONS_JS) == []:
            break
    closed = page.evaluate(CLOSED_SECTIONS_JS)
    log(f"{conn_id}: sections unhidden: {opened}")
    if closed:
        raise RuntimeError(f"{conn_id}: form sections still closed: {closed}")


def shoot_connection_form(page: Page, base_url: str, conn_id: str, conn_type: str, out: Path) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size(VIEWPORT)
    open_connection_form(page, base_url, conn_id)
    dialog = page.get_by_role("dialog")
    for label in FORM_LABELS[conn_type]:
        expect(dialog.get_by_text(label, exact=True).first).to_be_visible(timeout=15_000)
    page.mouse.move(0, 0)
    page.wait_for_timeout(800)  # the accordion's animation
    # Grow the window to the dialog's height (no inner scrolling), 900 pixels at least.
    box = dialog.bounding_box()
    height = max(VIEWPORT["height"], int(box["y"] + box["height"] + 48)) if box else VIEWPORT["height"]
    page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
    page.wait_for_timeout(500)
    page.screenshot(path=str(out))
    log(f"wrote {shown(out)} ({VIEWPORT['width']}x{height})")


def shoot_dag_run(page: Page, base_url: str, run_id: str, out: Path) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size(VIEWPORT)
    page.goto(f"{base_url}/dags/{DAG_ID}/runs/{urllib.parse.quote(run_id, safe='')}")
    graph = page.get_by_label("Show Graph", exact=False)
    expect(graph.first).to_be_visible(timeout=30_000)
    graph.first.click()
    for task_id in ("send_notice", "wait_for_delivery", "report"):
        node = page.locator(".react-flow__node").filter(has_text=task_id)
        expect(node).to_be_visible(timeout=30_000)
        expect(node.get_by_text("success")).to_be_visible(timeout=30_000)
    page.mouse.move(0, 0)
    page.wait_for_timeout(1500)  # the graph's fit-to-view
    page.screenshot(path=str(out))
    log(f"wrote {shown(out)}")


def run_views_dag(api: AirflowApi, emulator: GatewayEmulator) -> str:
    emulator.configure(delivery_delay=4)  # the wait defers to the triggerer first
    run_id = api.trigger(VIEWS_DAG_ID, {"sms_conn_id": "emu_primotexto"})
    state, seen = api.wait_for_run(VIEWS_DAG_ID, run_id, timeout=300, poll=0.3)
    # the refused row fails the send; the bounce, the STOP and the error fail the wait
    log(f"{VIEWS_DAG_ID} {run_id}: {state}; task states seen: { {k: sorted(v) for k, v in seen.items()} }")
    return run_id


def shoot_sms_view(page: Page, url: str, wait_for: str, out: Path) -> None:
    page.goto(url)
    frame = page.frame_locator("iframe[title=SMS]")
    frame.get_by_text(wait_for, exact=True).first.wait_for(timeout=60_000)
    page.mouse.move(0, 0)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(out))
    log(f"wrote {shown(out)}")


def shoot_sms_views(page: Page, base_url: str, run_id: str, out_dir: Path) -> list[Path]:
    run = f"{base_url}/dags/{VIEWS_DAG_ID}/runs/{urllib.parse.quote(run_id, safe='')}"
    page.set_viewport_size({"width": VIEWPORT["width"], "height": 1400})  # down to the failed rows
    shots = [
        (f"{run}/tasks/send/plugin/sms_task_instance", "merged duplicates", "sms-view-task-instance.png"),
        (f"{run}/plugin/sms_dag_run", "SMS in this run", "sms-view-dag-run.png"),
    ]
    written = []
    for url, wait_for, name in shots:
        shoot_sms_view(page, url, wait_for, out_dir / name)
        written.append(out_dir / name)
    page.emulate_media(color_scheme="dark")
    shoot_sms_view(page, shots[0][0], shots[0][1], out_dir / "sms-view-task-instance-dark.png")
    page.emulate_media(color_scheme="light")
    return [*written, out_dir / "sms-view-task-instance-dark.png"]


def take_screenshots(
    base_url: str,
    run_id: str | None,
    out_dir: Path,
    suffix: str,
    views_run_id: str | None = None,
    forms: bool = True,
) -> list[Path]:
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.on("pageerror", lambda error: log(f"page error: {error}"))
            if views_run_id is not None:
                written += shoot_sms_views(page, base_url, views_run_id, out_dir)
            for conn_id, conn_type, _, _ in CONNECTIONS if forms else ():
                out = out_dir / f"connection-form-{conn_type}{suffix}.png"
                shoot_connection_form(page, base_url, conn_id, conn_type, out)
                written.append(out)
            if run_id is not None:
                out = out_dir / f"dag-run-quickstart{suffix}.png"
                shoot_dag_run(page, base_url, run_id, out)
                written.append(out)
        finally:
            browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images", help="output directory")
    parser.add_argument(
        "--airflow-30",
        action="store_true",
        help="Airflow 3.0: only the two forms, as connection-form-<type>-airflow-3.0.png",
    )
    parser.add_argument("--sms-views-only", action="store_true", help="only the SMS views (docs/ui.md)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, database)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    suffix = "-airflow-3.0" if args.airflow_30 else ""

    def on_sigterm(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)  # through the finally blocks below

    signal.signal(signal.SIGTERM, on_sigterm)
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="sms-screenshots-"))
    workdir.chmod(0o755)  # the postgres user reads its cluster directory below it
    try:
        with GatewayEmulator(delivery_delay=2.0) as emulator:
            stack = start_stack(workdir, emulator, "ui")
            log(f"Airflow up at {stack.api_url} in {stack.startup_seconds:.0f} s")
            try:
                api = AirflowApi(stack.api_url)
                if args.sms_views_only:
                    views_run_id = run_views_dag(api, emulator)
                    written = take_screenshots(stack.api_url, None, args.out, "", views_run_id, forms=False)
                else:
                    create_connections(api, emulator)
                    run_id = None if args.airflow_30 else run_quickstart(api, emulator)
                    views_run_id = None if args.airflow_30 else run_views_dag(api, emulator)
                    written = take_screenshots(stack.api_url, run_id, args.out, suffix, views_run_id)
            except BaseException:
                for name in ("api-server", "scheduler", "triggerer"):
                    log(f"---- {name} log (tail)\n{stack.processes.log(name)[-3000:]}")
                raise
            finally:
                stack.processes.stop()
    finally:
        if args.keep:
            log(f"work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    log(f"done in {time.monotonic() - started:.0f} s: {', '.join(shown(p) for p in written)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
