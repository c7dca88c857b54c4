"""Take back scheduled sends before they go out (gateways with ``cancel_scheduled``: SMS Partner).

.. code-block:: python

    send = SmsSendOperator(task_id="send", sms_conn_id="smspartner_default", recipients=[...],
                           message="...", send_at="{{ data_interval_end + macros.timedelta(days=1) }}")
    cancel = SmsCancelScheduledOperator(task_id="cancel", sms_conn_id="smspartner_default",
                                        messages=send.output)

Returns (XCom ``return_value``, pushed as well when the task fails) one dict per distinct message
id: ``{"message_id", "outcome", "code", "ok"}``, no number and no text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_sms.exceptions import SmsValidationError
from airflow_provider_sms.model.results import XCOM_RETURN_KEY
from airflow_provider_sms.operators.base import SmsBaseOperator
from airflow_provider_sms.rules.options import choice_problems

if TYPE_CHECKING:
    from airflow.sdk import Context

#: What the task does when a send could not be cancelled (too late, already sent, not found).
ON_TOO_LATE = ("fail", "skip")


def message_ids_of(messages: object) -> list[str]:
    """The distinct message ids in ``messages``: ids, or dicts with ``message_id`` (what
    :class:`~airflow_provider_sms.operators.send.SmsSendOperator` returns; one send to many
    numbers shares one id), in input order.

    :raises SmsValidationError: not a list, or an entry without an id (named by position only).
    """
    if isinstance(messages, (str, int)):
        messages = [messages]
    if not isinstance(messages, Sequence) or isinstance(messages, bytes):
        raise SmsValidationError(
            [f"messages must be a list of ids or send results, got {type(messages).__name__}"]
        )
    ids: dict[str, None] = {}
    problems = []
    for position, entry in enumerate(messages):
        raw = entry.get("message_id") if isinstance(entry, Mapping) else entry
        if isinstance(raw, bool) or not isinstance(raw, (str, int)) or not str(raw).strip():
            problems.append(f"messages[{position}] has no message id")
            continue
        ids.setdefault(str(raw).strip())
    if problems:
        raise SmsValidationError(problems)
    return list(ids)


class SmsCancelScheduledOperator(SmsBaseOperator):
    """Cancel scheduled sends; fails when one could not be (too late, already sent, not found).

    A send already cancelled counts as cancelled, so a retried task passes. Refused before any
    request on a gateway that cannot cancel (Primotexto).

    :param str sms_conn_id: Airflow connection (a gateway with ``cancel_scheduled``). (templated)
    :param messages: message ids, or the send operator's results (``send.output``). (templated)
    :param on_too_late: ``"fail"`` (default): the task fails when a send could not be cancelled;
        ``"skip"``: its result says so and the task succeeds.
    """

    template_fields: Sequence[str] = ("sms_conn_id", "messages")

    def __init__(self, *, messages: Any, on_too_late: str = "fail", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        problems = choice_problems("on_too_late", on_too_late, ON_TOO_LATE)
        if problems:
            raise SmsValidationError(problems)
        self.messages = messages
        self.on_too_late = on_too_late

    def execute(self, context: Context) -> list[dict[str, Any]]:
        ids = message_ids_of(self.messages)
        results = [r.to_dict() for r in self.hook.cancel_scheduled(ids)]
        failed = [r for r in results if not r["ok"]]
        self.log.info(
            "%d scheduled send(s): %d cancelled, %d could not be",
            len(results),
            len(results) - len(failed),
            len(failed),
        )
        if failed and self.on_too_late == "fail":
            context["ti"].xcom_push(key=XCOM_RETURN_KEY, value=results)
            outcomes = ", ".join(f"{r['message_id']}: {r['outcome']}" for r in failed)
            raise SmsValidationError([f"{len(failed)} scheduled send(s) could not be cancelled ({outcomes})"])
        return results
