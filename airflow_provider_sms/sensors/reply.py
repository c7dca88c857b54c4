"""SmsReplySensor: wait for a customer's answer (e.g. OUI to an appointment reminder).

Succeeds with the matching replies as XCom (``InboundMessage`` dicts: ``kind``, ``message_id``,
``number`` in E.164, ``text``, ``category``, ``received_at``); at its ``timeout`` fails with
``AirflowSensorTimeout`` or, with ``soft_fail=True``, is skipped. Poke, reschedule and deferrable
(:class:`~airflow_provider_sms.triggers.reply.SmsReplyTrigger`) apply the same
:class:`~airflow_provider_sms.tracking.replies.ReplyFilter`. Needs a connection that can read replies
(``hook.lists_replies``: Primotexto; SMS Partner when the connection names the provider's reply
webhook); elsewhere it refuses to start.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import AirflowSensorTimeout, AirflowSkipException, PokeReturnValue

from airflow_provider_sms.exceptions import SmsGatewayError, SmsValidationError
from airflow_provider_sms.rules.clock import as_aware
from airflow_provider_sms.rules.numbers import normalize_numbers
from airflow_provider_sms.sensors.base import SmsSensor
from airflow_provider_sms.sensors.events import error_from_event
from airflow_provider_sms.tracking.delivery import DEFAULT_MAX_BACKOFF
from airflow_provider_sms.tracking.replies import ReplyFilter

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from airflow.sdk import Context


class SmsReplySensor(SmsSensor):
    """Wait for a reply from given numbers, after a given time, whose text matches a pattern.

    .. code-block:: python

        wait = SmsReplySensor(
            task_id="wait_for_yes",
            sms_conn_id="primotexto_default",
            numbers="{{ params.customer }}",
            pattern=r"(?i)^\\s*(oui|yes)\\b",
            timeout=4 * 3600,
            soft_fail=True,  # no answer: skipped, not failed
            deferrable=True,
        )

    :param sms_conn_id: connection of a gateway that lists replies (Primotexto). (templated)
    :param numbers: one number, a list, or comma-separated text; national or E.164. ``None``:
        from anyone. (templated)
    :param pattern: regular expression the text must contain (``re.search``; anchor it yourself);
        ``None``: any text. (templated)
    :param since: aware datetime or ISO 8601 text a reply must not predate (to the second);
        default: when the DAG run started. (templated)
    :param category: read only the replies filed under this category. (templated)
    :param deferrable: wait in the triggerer; default Airflow's ``[operators] default_deferrable``.
    :param max_backoff: cap, in seconds, of the trigger's pause after transient gateway errors.
    """

    template_fields: Sequence[str] = ("sms_conn_id", "numbers", "pattern", "since", "category")
    ui_color = "#d8f3dc"

    def __init__(
        self,
        *,
        sms_conn_id: str,
        numbers: Any = None,
        pattern: str | None = None,
        since: Any = None,
        category: str | None = None,
        deferrable: bool | None = None,
        max_backoff: float = DEFAULT_MAX_BACKOFF,
        **kwargs: Any,
    ) -> None:
        super().__init__(sms_conn_id=sms_conn_id, deferrable=deferrable, max_backoff=max_backoff, **kwargs)
        self.numbers = numbers
        self.pattern = pattern
        self.since = since
        self.category = category
        self._filter: ReplyFilter | None = None

    def reply_filter(self, context: Context) -> ReplyFilter:
        """The rendered arguments, checked, as a :class:`ReplyFilter` (made once per run)."""
        if self._filter is not None:
            return self._filter
        problems = []
        numbers: list[str] = []
        if self.numbers not in (None, "", []):
            try:
                numbers = normalize_numbers(self.numbers)
            except ValueError as exc:
                problems.append(str(exc))
        if self.pattern:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                problems.append(f"pattern is not a valid regular expression: {exc}")
        since = None
        try:
            since = as_aware(self.since)
        except (TypeError, ValueError):
            problems.append(f"since must be a datetime or ISO 8601 text, got {self.since!r}")
        if problems:
            raise SmsValidationError(problems)
        if since is None and not self.since:
            dag_run = context.get("dag_run")
            since = as_aware(getattr(dag_run, "start_date", None))
        self._filter = ReplyFilter(tuple(numbers), self.pattern or None, since.isoformat() if since else None)
        return self._filter

    def poke(self, context: Context) -> PokeReturnValue:
        """One look at the replies: done with the matching ones as XCom, or not yet."""
        wanted = self.reply_filter(context)
        try:
            matched = wanted.select(self.hook.get_replies(self.category))
        except SmsGatewayError as exc:
            if not exc.transient:
                raise
            self.log.warning("Could not read replies (%s); trying again at the next poke", type(exc).__name__)
            return PokeReturnValue(is_done=False)
        if not matched:
            self.log.info("No matching reply yet")
            return PokeReturnValue(is_done=False)
        self.log.info("%d matching repl(ies) received", len(matched))
        return PokeReturnValue(is_done=True, xcom_value=[r.to_dict() for r in matched])

    def execute(self, context: Context) -> Any:
        """Refuse a gateway without replies; then poke / reschedule, or check once and defer."""
        self._filter = None
        self.hook.check_replies()
        wanted = self.reply_filter(context)
        if not self.deferrable:
            return super().execute(context)
        first = self.poke(context)
        if first.is_done:
            return first.xcom_value
        from airflow_provider_sms.triggers.reply import SmsReplyTrigger

        self.defer(
            trigger=SmsReplyTrigger(
                sms_conn_id=self.sms_conn_id,
                numbers=list(wanted.numbers),
                pattern=wanted.pattern,
                since=wanted.since,
                category=self.category,
                poke_interval=self.poke_interval,
                deadline=time.time() + self.timeout,
                max_backoff=self.max_backoff,
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=self.timeout),
        )

    def execute_complete(
        self, context: Context, event: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Read the replies the trigger found back by id (their text and number never left XCom)."""
        event = event or {}
        if event.get("status") == "found":
            ids = {str(i) for i in event.get("message_ids") or []}
            return [r.to_dict() for r in self.hook.get_replies(self.category) if r.message_id in ids]
        if event.get("status") == "timeout":
            message = f"Sensor has timed out after {self.timeout} s: no matching reply"
            if self.soft_fail or self.never_fail:
                raise AirflowSkipException(f"Skipping: {message}")
            raise AirflowSensorTimeout(message)
        raise error_from_event(event, self.sms_conn_id, "Waiting for a reply")
