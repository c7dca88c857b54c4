"""One classification, two paths: the same fixtures through classify(), poke() and the trigger.

Fixtures are real messages on the emulator (its test numbers end in every state), so the statuses
come from the gateway the way they would in production.
"""

from __future__ import annotations

import asyncio
import time

from airflow_provider_sms.emulator import (
    NUMBER_BOUNCED,
    NUMBER_ERROR,
    NUMBER_NEVER_FINAL,
    NUMBER_UNSUBSCRIBED,
)
from airflow_provider_sms.exceptions import SmsDeliveryFailedError
from airflow_provider_sms.hooks import get_sms_hook
from airflow_provider_sms.sensors.delivery import SmsDeliverySensor
from airflow_provider_sms.tracking.delivery import DEFAULT_FAILURE_STATES, classify
from airflow_provider_sms.triggers.delivery import SmsDeliveryTrigger
from tests.helpers.delivery import context, send, wait_until_final

OK = "+33612340031"
#: name -> (numbers, failure_states, expected verdict)
FIXTURES = {
    "all delivered": ([OK], DEFAULT_FAILURE_STATES, "success"),
    "one bounced": ([OK, NUMBER_BOUNCED], DEFAULT_FAILURE_STATES, "failure"),
    "error": ([NUMBER_ERROR], DEFAULT_FAILURE_STATES, "failure"),
    "unsubscribed": ([OK, NUMBER_UNSUBSCRIBED], DEFAULT_FAILURE_STATES, "failure"),
    "bounce allowed": ([OK, NUMBER_BOUNCED], (), "success"),
    "only bounces fail": ([NUMBER_ERROR], ("bounced",), "success"),
    "never final": ([OK, NUMBER_NEVER_FINAL], DEFAULT_FAILURE_STATES, "pending"),
    "failed but not all final": ([NUMBER_BOUNCED, NUMBER_NEVER_FINAL], DEFAULT_FAILURE_STATES, "pending"),
}


def poke_verdict(conn_id, messages, failure_states):
    sensor = SmsDeliverySensor(
        task_id="w", sms_conn_id=conn_id, messages=messages, failure_states=failure_states, deferrable=False
    )
    try:
        return "success" if sensor.poke(context()) else "pending"
    except SmsDeliveryFailedError:
        return "failure"


def trigger_verdict(conn_id, messages, failure_states):
    trigger = SmsDeliveryTrigger(
        sms_conn_id=conn_id,
        messages=[{"message_id": m["message_id"], "recipient": m["recipient"]} for m in messages],
        failure_states=list(failure_states),
        poke_interval=0.1,
        deadline=time.time() + 0.15,
    )

    async def first():
        return await anext(trigger.run())

    status = asyncio.run(first()).payload["status"]
    return {"timeout": "pending"}.get(status, status)


def test_classify_poke_and_trigger_agree(emulator, conn_id):
    numbers = [OK, NUMBER_BOUNCED, NUMBER_ERROR, NUMBER_UNSUBSCRIBED, NUMBER_NEVER_FINAL]
    sent = {r["recipient"]: r for r in send(conn_id, numbers)}
    wait_until_final(emulator, len(numbers) - 1)
    hook = get_sms_hook(conn_id)
    for name, (fixture, failure_states, expected) in FIXTURES.items():
        messages = [sent[n] for n in fixture]
        pure = classify(hook.get_delivery_statuses(messages), failure_states).verdict
        verdicts = {
            "classify": pure,
            "poke": poke_verdict(conn_id, messages, failure_states),
            "trigger": trigger_verdict(conn_id, messages, failure_states),
        }
        assert verdicts == dict.fromkeys(verdicts, expected), name
