"""The SMS views on Airflow's own api app (``create_app("core")``, simple auth manager, SQLite): a
personalised send with every outcome and a deferrable delivery wait run by ``dag.test()``, then
the task-instance and DAG-run pages as a signed-in user, an anonymous one and one without access."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from tests.dags.ui_send import NUMBERS
from tests.helpers.ui_privacy import assert_private
from tests.operators.test_send_e2e import load_dag


@pytest.fixture(scope="module")
def ui_run(airflow_db, _emulator_server):
    """One run of ``ui_send`` on the emulator (module-scoped: the pages only read it)."""
    mp = pytest.MonkeyPatch()
    _emulator_server.reset()
    _emulator_server.configure(delivery_delay=0.3, latency_ms=0)
    mp.setenv("AIRFLOW_CONN_EMU_PRIMOTEXTO", _emulator_server.connection_json("primotexto", timeout=5))
    try:
        yield load_dag("ui_send", "tests.dags.ui_send").test()
    finally:
        mp.undo()


def run_path(dag_run) -> str:
    return f"/sms/ui/dags/{dag_run.dag_id}/runs/{quote(dag_run.run_id, safe='')}"


def get(api, token: str, path: str, **params) -> str:
    reply = api.get(path, params=params, headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 200, reply.text[:300]
    return reply.text


def cards(page: str) -> dict[str, str]:
    return {label: value for value, label in re.findall(r"<b>([^<]*)</b><span>([^<]*)</span>", page)}


def table(page: str) -> list[list[str]]:
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", body)
    ]


def test_task_view_of_the_send(ui_run, api, token):
    states = {ti.task_id: ti.state for ti in ui_run.get_task_instances()}
    assert states == {"rows": "success", "send": "failed", "wait": "failed"}
    page = get(api, token, f"{run_path(ui_run)}/tasks/send", map_index="{MAP_INDEX}")
    assert cards(page) == {
        "accepted": "9",
        "merged duplicates": "1",
        "skipped": "2",
        "failed": "1",
        "unconfirmed": "0",
        "segments": "9",
        "estimated cost (as the gateway bills)": "9 primotexto",
    }
    rows = table(page)
    assert [r[0] for r in rows] == [str(i) for i in range(13)]
    assert [r[2] for r in rows] == ["accepted"] * 9 + ["skipped", "skipped", "merged duplicate", "failed"]
    assert [r[4] for r in rows[:9]] == ["Delivered"] * 6 + ["Bounced", "STOP", "Error"]
    assert rows[0][1] == "+3367****00"
    assert rows[12][1] == "+3363****05"
    assert "landline" in rows[9][3]
    assert "same number and text as row 0" in rows[11][3]
    assert "code 90" in rows[12][3]
    assert '<svg role="img" aria-label="Delivery funnel"' in page
    assert_private(page)


def test_rows_filter_and_page(ui_run, api, token):
    path = f"{run_path(ui_run)}/tasks/send"
    failed = table(get(api, token, path, outcome="failed"))
    assert [(r[0], r[2]) for r in failed] == [("12", "failed")]
    stops = table(get(api, token, path, state="unsubscribed"))
    assert [r[0] for r in stops] == ["7"]
    second = get(api, token, path, page=2, q="+3367")
    assert "page 1 of 1" in second  # a page past the end shows the last one
    assert [r[0] for r in table(second)] == ["0", "1", "2", "3", "4", "5", "11"]


def test_task_view_of_the_sensor(ui_run, api, token):
    page = get(api, token, f"{run_path(ui_run)}/tasks/wait")
    assert cards(page) == {"tracked for delivery": "9"}
    assert [(r[0], r[4]) for r in table(page)][6:] == [("6", "Bounced"), ("7", "STOP"), ("8", "Error")]
    assert_private(page)


def test_run_view(ui_run, api, token):
    page = get(api, token, run_path(ui_run))
    assert cards(page)["accepted"] == "9"
    assert cards(page)["tracked for delivery"] == "9"
    lines = table(page)
    assert [line[:3] for line in lines] == [["send", "send", "failed"], ["wait", "delivery", "failed"]]
    assert lines[0][3:] == ["9", "1", "2", "1", "0", "0", "6"]
    assert f'href="{run_path(ui_run)}/tasks/send?map_index=-1"' in page
    # the funnel counts each message once (the send's rows, not the sensor's again)
    assert ">6 <tspan" in page
    assert ">12 <tspan" not in page
    assert_private(page)


def test_a_task_without_sms_and_an_unknown_run(ui_run, api, token):
    assert "no SMS outcome" in get(api, token, f"{run_path(ui_run)}/tasks/rows")
    assert "No SMS task" in get(api, token, "/sms/ui/dags/ui_send/runs/nope")


def test_refused_without_a_token_or_access(ui_run, api, token, monkeypatch):
    from airflow.api_fastapi.app import get_auth_manager
    from fastapi.testclient import TestClient

    stranger = TestClient(api.app)  # no cookie from the other tests' requests
    for path in (run_path(ui_run), f"{run_path(ui_run)}/tasks/send"):
        anonymous = stranger.get(path)
        assert anonymous.status_code == 401, anonymous.text
        assert NUMBERS[0] not in anonymous.text
    # the simple auth manager lets every role read every DAG: make it say no for this DAG
    manager = get_auth_manager()
    monkeypatch.setattr(manager, "is_authorized_dag", lambda **kwargs: kwargs["details"].id != "ui_send")
    denied = api.get(f"{run_path(ui_run)}/tasks/send", headers={"Authorization": f"Bearer {token}"})
    assert denied.status_code == 403
    assert "accepted" not in denied.text
