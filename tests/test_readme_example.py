"""The README: its first screen holds the two commands and a personalised send that runs as written
(under ``dag.test()`` against the emulator), and every link in it leads to a file of the checkout."""

from __future__ import annotations

import re
from pathlib import Path

from tests.operators.test_send_e2e import load_dag, xcom_values

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_first_screen_holds_the_two_commands_and_the_example():
    first_screen = "\n".join(README.splitlines()[:40])
    assert "bash scripts/demo.sh" in first_screen
    assert "bash scripts/test.sh" in first_screen
    assert re.search(r"```python\n.*SmsSendOperator\(.*?```", first_screen, re.S)
    assert "bash scripts/test.sh" in (ROOT / ".ci" / "run").read_text()


def test_every_relative_link_leads_to_a_file():
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", README)
    relative = [t for t in targets if not re.match(r"[a-z]+:", t)]
    assert relative
    assert [t for t in relative if not (ROOT / t).exists()] == []


def test_the_readme_example_sends_each_row_its_text_and_waits_for_delivery(airflow_db, emulator):
    dag = load_dag("readme_example", "tests.dags.readme_example")
    # The README's code runs as written; only the sensor's default 60 s between polls is cut, so the
    # deferred wait (the emulator delivers after 0.3 s) polls again after 1 s instead of 60 s.
    dag.get_task("wait").poke_interval = 1
    dag_run = dag.test()

    states = {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
    assert states == {"confirm_orders": "success", "wait": "success"}
    received = {(m["recipient"], m["text"]) for m in emulator.messages(vendor="smspartner")}
    assert received == {
        ("+33639980010", "Bonjour Marie, votre commande A-1042 est en route."),
        ("+33639980011", "Bonjour Karim, votre commande A-1043 est en route."),
    }
    statuses = xcom_values(dag_run, "wait")[-1]
    assert {(s["key"], s["state"]) for s in statuses} == {("A-1042", "delivered"), ("A-1043", "delivered")}
