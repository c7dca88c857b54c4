"""Templated fields rendering to a lone surrogate: a clear ``SmsValidationError`` naming the field,
before Airflow tries to save the rendered fields (where it would crash with ``UnicodeEncodeError``),
through ``dag.test()`` and the hook (the notifier: ``tests/notifications/test_notifier_lone_surrogates.py``)."""

from __future__ import annotations

import importlib

import pytest
from sqlalchemy import select

from airflow_provider_sms.exceptions import SmsValidationError
from airflow_provider_sms.hooks import get_sms_hook
from airflow_provider_sms.rules.text import unstorable_problems

#: What each task of ``tests/dags/lone_surrogates.py`` must fail with.
EXPECTED = {
    "send_message": "message holds characters that cannot be stored or sent (lone surrogate U+D800 at position 18)",
    "send_numbers": "recipients[1] holds characters that cannot be stored or sent (lone surrogate U+D800 at position 10)",
    "send_category": "category holds characters that cannot be stored or sent (lone surrogate U+DC00 at position 5)",
    "send_mapped": "message holds characters that cannot be stored or sent (lone surrogate U+D800 at position 18)",
    "blacklist_add": "recipients holds characters that cannot be stored or sent (lone surrogate U+D800 at position 10)",
    "stats": "output_path holds characters that cannot be stored or sent (lone surrogate U+DC00 at position 10)",
    "wait_delivery": "report_path holds characters that cannot be stored or sent (lone surrogate U+DC00 at position 10)",
    "wait_reply": "pattern holds characters that cannot be stored or sent (lone surrogate U+D800 at position 18)",
}


def _rendered_rows(dag_run) -> list[str]:
    from airflow.models.renderedtifields import RenderedTaskInstanceFields
    from airflow.utils.session import create_session

    with create_session() as session:
        query = select(RenderedTaskInstanceFields.task_id).where(
            RenderedTaskInstanceFields.dag_id == dag_run.dag_id,
            RenderedTaskInstanceFields.run_id == dag_run.run_id,
        )
        return list(session.scalars(query))


def test_every_operator_and_sensor_refuses_before_airflow_stores_the_field(airflow_db, emulator, capsys):
    dag = importlib.import_module("tests.dags.lone_surrogates").dag

    dag_run = dag.test()

    states = {(ti.task_id, ti.map_index): ti.state for ti in dag_run.get_task_instances()}
    assert set(states.values()) == {"failed"}, states
    assert {task_id for task_id, _ in states} == set(EXPECTED)
    output = capsys.readouterr()
    logs = output.out + output.err
    assert "UnicodeEncodeError" not in logs
    assert "SmsValidationError" in logs
    for task_id, line in EXPECTED.items():
        assert line in logs, task_id
    assert logs.count(EXPECTED["send_mapped"]) >= 3  # send_message and both mapped copies
    assert "code is" not in logs  # the text is never quoted
    assert "612345678" not in logs  # nor the number
    assert _rendered_rows(dag_run) == []  # Airflow was never asked to store them
    assert emulator.requests() == []  # nothing sent, the failure callback's SMS neither


@pytest.mark.parametrize("vendor", ["primotexto", "smspartner"])
def test_the_hook_names_the_field_and_quotes_nothing(emulator, vendor):
    hook = get_sms_hook(f"emu_{vendor}")
    with pytest.raises(SmsValidationError) as info:
        hook.send_sms("+33612345678", "Code 4321 \ud800", category="promo\udc00", campaign_name="\ud800x")
    text = str(info.value)
    text.encode("utf-8")  # the error itself can be logged
    assert (
        "message holds characters that cannot be stored or sent (lone surrogate U+D800 at position 10)"
        in text
    )
    assert (
        "category holds characters that cannot be stored or sent (lone surrogate U+DC00 at position 5)"
        in text
    )
    assert (
        "campaign_name holds characters that cannot be stored or sent (lone surrogate U+D800 at position 0)"
        in text
    )
    assert "4321" not in text
    with pytest.raises(SmsValidationError) as info:
        hook.send_sms_batch(["+33612345678", "0612345679\ud800"], "Hello")
    text = str(info.value)
    text.encode("utf-8")  # the masked number keeps no surrogate
    assert "recipients[1]" in text
    assert "612345679" not in text
    assert emulator.requests() == []


def test_unstorable_problems_walks_nested_values_and_quotes_nothing():
    problems = unstorable_problems(
        {
            "ok": ["fine", {"recipient": "+33612345678"}, 3, None],
            "nested": [{"recipient": "+3361234567\ud800"}, ("a", "b\udc00")],
            "keys": {"06\ud80012": "x"},
            "plain": "é😀 fine",
        }
    )
    assert problems == [
        "nested[0]['recipient'] holds characters that cannot be stored or sent (lone surrogate U+D800 at position 11)",
        "nested[1][1] holds characters that cannot be stored or sent (lone surrogate U+DC00 at position 1)",
        "keys key #0 holds characters that cannot be stored or sent (lone surrogate U+D800 at position 2)",
    ]
