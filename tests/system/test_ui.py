"""The SMS views on the real stack (PostgreSQL, api-server, scheduler, dag-processor, triggerer):
``ui_send`` sends personalised rows (some skipped, one merged, one refused by the emulator) and
waits for delivery in the triggerer; headless Chromium (Debian's ``chromium`` driven by Playwright)
then reads the task-instance and DAG-run views as a signed-in viewer, in Airflow's own UI (the
plugin's tabs) and at their URLs. No full number, key or text reaches the HTML; a request without
a token is refused. The simple auth manager asks for passwords here (not the all-admins mode the
other system tests use, where every request is an admin's)."""

from __future__ import annotations

import json
import re
import shutil
from urllib.parse import quote

import pytest
import requests

from tests.dags.ui_send import NUMBERS
from tests.helpers.ui_privacy import assert_private
from tests.system.api import AirflowApi
from tests.system.conftest import start_stack

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
USERS = {"admin": "admin-password", "reader": "reader-password"}


@pytest.fixture(scope="module")
def auth_stack(workdir, gateway, record_time):
    passwords = workdir / "passwords.json"
    passwords.write_text(json.dumps(USERS))
    env = {
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin,reader:viewer",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
    }
    stack = start_stack(workdir, gateway, "views", extra_env=env)
    record_time("start: the stack with passwords (SMS views)", stack.startup_seconds)
    yield stack
    stack.processes.stop()


@pytest.fixture(scope="module")
def ui_run(auth_stack):
    admin = AirflowApi(auth_stack.api_url, "admin", USERS["admin"])
    run_id = admin.trigger("ui_send", {"sms_conn_id": "emu_primotexto"})
    state, seen = admin.wait_for_run("ui_send", run_id, timeout=300)
    assert state == "failed", seen  # the refused row fails the send; the bounce, STOP and error the wait
    states = {ti["task_id"]: ti["state"] for ti in admin.task_instances("ui_send", run_id)}
    assert states == {"rows": "success", "send": "failed", "wait": "failed"}
    return run_id


@pytest.fixture(scope="module")
def browser_page(auth_stack):
    if shutil.which(CHROMIUM) is None:
        pytest.skip("no /usr/bin/chromium: scripts/system-test.sh installs Debian's chromium")
    playwright_api = pytest.importorskip("playwright.sync_api")
    reader = AirflowApi(auth_stack.api_url, "reader", USERS["reader"])
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_cookies([{"name": "_token", "value": reader.token, "url": auth_stack.api_url}])
        try:
            yield context.new_page()
        finally:
            browser.close()


def view_url(stack, run_id: str, task_id: str | None = None) -> str:
    url = f"{stack.api_url}/sms/ui/dags/ui_send/runs/{quote(run_id, safe='')}"
    return f"{url}/tasks/{task_id}?map_index=-1" if task_id else url


def cards(page) -> dict[str, str]:
    return {
        card.locator("span").inner_text(): card.locator("b").inner_text()
        for card in page.locator(".card").all()
    }


def test_task_instance_view(auth_stack, ui_run, browser_page):
    page = browser_page
    page.goto(view_url(auth_stack, ui_run, "send"))
    assert cards(page) == {
        "accepted": "9",
        "merged duplicates": "1",
        "skipped": "2",
        "failed": "1",
        "unconfirmed": "0",
        "segments": "9",
        "estimated cost (as the gateway bills)": "9 primotexto",
    }
    rows = [row.locator("td").all_inner_texts() for row in page.locator("tbody tr").all()]
    assert [(r[0], r[2]) for r in rows] == [
        *((str(i), "accepted") for i in range(9)),
        ("9", "skipped"),
        ("10", "skipped"),
        ("11", "merged duplicate"),
        ("12", "failed"),
    ]
    assert [r[4].strip() for r in rows[:9]] == ["Delivered"] * 6 + ["Bounced", "STOP", "Error"]
    assert page.locator("svg[aria-label='Delivery funnel'] text").first.text_content() == "Delivered"
    assert_private(page.content())

    page.select_option("select[name=outcome]", "failed")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"outcome=failed"))
    assert [row.locator("td").first.inner_text() for row in page.locator("tbody tr").all()] == ["12"]


def test_dag_run_view(auth_stack, ui_run, browser_page):
    page = browser_page
    page.goto(view_url(auth_stack, ui_run))
    assert cards(page)["accepted"] == "9"
    assert cards(page)["tracked for delivery"] == "9"
    lines = [row.locator("td").all_inner_texts() for row in page.locator("tbody tr").all()]
    assert [line[:3] for line in lines] == [["send", "send", "failed"], ["wait", "delivery", "failed"]]
    assert lines[0][3:] == ["9", "1", "2", "1", "0", "0", "6"]
    assert_private(page.content())
    page.get_by_role("link", name="wait").click()
    assert page.locator("h1").inner_text() == "Delivery tracking: wait"


def test_the_views_are_tabs_in_airflows_ui(auth_stack, ui_run, browser_page):
    page = browser_page
    run = quote(ui_run, safe="")
    page.goto(f"{auth_stack.api_url}/dags/ui_send/runs/{run}/tasks/send/plugin/sms_task_instance")
    frame = page.frame_locator("iframe[title=SMS]")
    frame.get_by_text("merged duplicates", exact=True).wait_for(timeout=60_000)
    page.goto(f"{auth_stack.api_url}/dags/ui_send/runs/{run}/plugin/sms_dag_run")
    page.frame_locator("iframe[title=SMS]").get_by_text("SMS in this run").wait_for(timeout=60_000)


def test_refused_without_a_token(auth_stack, ui_run):
    for url in (view_url(auth_stack, ui_run), view_url(auth_stack, ui_run, "send")):
        reply = requests.get(url, timeout=30)
        assert reply.status_code == 401, reply.text[:200]
        assert NUMBERS[0] not in reply.text
        assert "accepted" not in reply.text
