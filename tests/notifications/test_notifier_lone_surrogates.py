"""SmsNotifier with rendered fields holding a lone surrogate: an ``SmsValidationError`` naming the
field, before any connection lookup or request (sync and async paths)."""

from __future__ import annotations

import pytest

from airflow_provider_sms.exceptions import SmsValidationError
from airflow_provider_sms.notifications.sms import SmsNotifier


def test_the_notifier_refuses_before_any_lookup_or_request(emulator):
    from airflow.sdk import DAG

    context = {"dag": DAG(dag_id="nightly", schedule=None), "params": {"conn": "emu_primotexto\ud800"}}
    notifier = SmsNotifier(sms_conn_id="{{ params.conn }}", recipients="+33612345678", message="Disk full")
    notifier.render_template_fields(context)
    with pytest.raises(SmsValidationError, match=r"sms_conn_id holds characters that cannot be stored"):
        notifier.notify(context)
    notifier = SmsNotifier(sms_conn_id="emu_smspartner", recipients="+33612345678", message="Code \ud800")
    notifier.render_template_fields(context)
    with pytest.raises(
        SmsValidationError, match=r"message holds .* \(lone surrogate U\+D800 at position 5\)"
    ):
        notifier.notify(context)
    assert emulator.requests() == []


@pytest.mark.asyncio
async def test_the_notifier_async_path_refuses_too(emulator):
    notifier = SmsNotifier(sms_conn_id="emu_primotexto", recipients="+33612345678\udfff", message="Hi")
    with pytest.raises(SmsValidationError, match=r"recipients holds .* at position 12\)"):
        await notifier.async_notify({})
    assert emulator.requests() == []
