"""SmsDeliverySensor: wait until every SMS a task sent is final; fail without retry on bounces.

Same DAG code on both gateways (the connection's type picks the hook) and in every mode:

* ``mode="poke"``: ``poke()`` asks only about the messages not final yet; final ones are kept on
  the sensor instance between pokes;
* ``mode="reschedule"``: each poke is a new process; what earlier pokes learnt (final statuses,
  the send's figures) is kept in the task's durable store (:mod:`~airflow_provider_sms.tracking.delivery_memory`), so a poke asks
  only about what is still pending;
* ``deferrable=True`` (default: Airflow's ``[operators] default_deferrable``): one poke on the
  worker (bad input and already-final messages never reach the triggerer), then
  :class:`~airflow_provider_sms.triggers.delivery.SmsDeliveryTrigger` waits for the rest.

Poke and trigger keep the same :class:`~airflow_provider_sms.tracking.delivery.DeliveryTracker` (what is
pending, what is final, the transient-error rule) and decide with the same
:func:`~airflow_provider_sms.tracking.delivery.classify`.

XCom: the statuses (``DeliveryStatus`` dicts, in input order) are the task's return value on
success, and are pushed under ``return_value`` before the task fails on a failure state or times
out (then with the ``pending`` ones as last seen), so a downstream task with
``trigger_rule="all_done"`` can, for instance, clean the bounced numbers from a CRM. The one
exception: when the triggerer's own timeout ends a deferred sensor before the trigger's deadline
does, there are no statuses to push.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from airflow.providers.common.compat.sdk import (
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowSkipException,
    AirflowTaskTimeout,
    PokeReturnValue,
)

from airflow_provider_sms.exceptions import SmsDeliveryFailedError, SmsReportError, SmsValidationError
from airflow_provider_sms.model.results import XCOM_RETURN_KEY
from airflow_provider_sms.outputs import recipient_report as reports
from airflow_provider_sms.rules.messages import check_failure_states, normalize_messages
from airflow_provider_sms.rules.options import choice_problems
from airflow_provider_sms.sensors.base import SmsSensor
from airflow_provider_sms.sensors.events import error_from_event
from airflow_provider_sms.toolkit import metrics
from airflow_provider_sms.tracking.delivery import (
    DEFAULT_FAILURE_STATES,
    DEFAULT_MAX_BACKOFF,
    DeliveryOutcome,
    DeliveryTracker,
    describe_counts,
    failure_summary,
)
from airflow_provider_sms.tracking.figures_gate import FiguresGate

#: What the deadline does to a wait with SMS still not final.
OnDeadline = Literal["fail", "return"]
ON_DEADLINE: tuple[str, ...] = ("fail", "return")

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from airflow.sdk import Context

    from airflow_provider_sms.model.results import DeliveryStatus
    from airflow_provider_sms.outputs.recipient_report import ReportFormat
    from airflow_provider_sms.rules.messages import MessageRef, RefKey
    from airflow_provider_sms.tracking.delivery_memory import DeliveryMemory


class SmsDeliverySensor(SmsSensor):
    """Wait until every tracked SMS is final; succeed when none ended in a failure state.

    .. code-block:: python

        send = SmsSendOperator(task_id="send", sms_conn_id="smspartner_default", ...)
        wait = SmsDeliverySensor(
            task_id="wait_delivery",
            sms_conn_id="smspartner_default",
            messages=send.output,
            deferrable=True,
            poke_interval=30,
            timeout=3600,
        )

    :param sms_conn_id: Airflow connection of type ``primotexto`` or ``smspartner``. (templated)
    :param messages: what to track (templated): ``SmsSendOperator`` output as is (``send.output``,
        also from a mapped send: a list of lists is flattened one level), a dict or a list of dicts
        with ``message_id`` and ``recipient``, bare message ids (Primotexto only: SMS Partner needs
        the number too), or JSON text of any of these. Duplicates are tracked once.
    :param failure_states: final states that fail the task, without Airflow retries
        (:class:`~airflow_provider_sms.exceptions.SmsDeliveryFailedError`). Default: ``error``,
        ``bounced``, ``unsubscribed``. ``()`` succeeds once every message is final, whatever its
        state; the statuses in XCom then tell what happened.
    :param deferrable: wait in the triggerer instead of on a worker. Default: Airflow's
        ``[operators] default_deferrable``. Takes precedence over ``mode``.
    :param max_backoff: cap, in seconds, of the trigger's pause after rate limits or transient
        gateway failures (deferrable mode; in poke / reschedule mode a transient failure just
        counts as "not final yet" and the next poke comes after ``poke_interval``).
    :param float poke_interval: seconds between two status checks (sensor base argument).
    :param float timeout: seconds before the sensor gives up with ``AirflowSensorTimeout`` (or is skipped
        with ``soft_fail=True``), in every mode.
    :param on_deadline: what the deadline (``timeout``) does while some SMS are not final:
        ``"fail"`` (default: ``AirflowSensorTimeout``, or a skip with ``soft_fail``) or
        ``"return"`` (the task succeeds and returns every message with its last known state, each
        with ``"final"``: ``False`` for the ones still not final). Final messages in
        ``failure_states`` still fail the task. Same in poke, reschedule and deferrable modes.
    :param report_path: write one row per message (number, message id, state, the gateway's
        state, time) there once the sensor ends (success, failure, timeout): a local path or an
        ``ObjectStoragePath`` URL. (templated)
    :param report_format: ``"csv"`` or ``"jsonl"``; default: from ``report_path``'s suffix.
    :param report_mask_numbers: mask the numbers in the report (default: in full, for audits).
    """

    template_fields: Sequence[str] = ("sms_conn_id", "messages", "report_path")
    template_fields_renderers = {"messages": "json"}
    ui_color = "#d8f3dc"

    def __init__(
        self,
        *,
        sms_conn_id: str,
        messages: Any,
        failure_states: Iterable[str] | None = DEFAULT_FAILURE_STATES,
        deferrable: bool | None = None,
        max_backoff: float = DEFAULT_MAX_BACKOFF,
        report_path: str | None = None,
        report_format: ReportFormat | None = None,
        report_mask_numbers: bool = False,
        on_deadline: OnDeadline = "fail",
        **kwargs: Any,
    ) -> None:
        super().__init__(sms_conn_id=sms_conn_id, deferrable=deferrable, max_backoff=max_backoff, **kwargs)
        self.messages = messages
        self.failure_states = check_failure_states(failure_states)
        self.report_path, self.report_format = report_path, report_format
        self.report_mask_numbers = report_mask_numbers
        self.on_deadline = on_deadline
        problems = [
            *reports.option_problems(report_format, report_mask_numbers),
            *choice_problems("on_deadline", on_deadline, ON_DEADLINE),
        ]
        if problems:
            raise SmsValidationError(problems)
        self._tracker: DeliveryTracker | None = None
        self._memory: DeliveryMemory | None = None

    @cached_property
    def tracked(self) -> list[MessageRef]:
        """The rendered ``messages``, normalised (see :func:`~airflow_provider_sms.rules.messages.normalize_messages`)."""
        refs = normalize_messages(self.messages)
        if not refs:
            self.log.warning("No SMS to track: the sensor succeeds at once")
        return refs

    @property
    def tracker(self) -> DeliveryTracker:
        """This run's tracker, made on first use from :attr:`tracked` (kept between pokes; in
        reschedule mode, loaded from and saved to the task's :mod:`~airflow_provider_sms.tracking.delivery_memory`)."""
        if self._tracker is None:
            if self._memory is None:
                self._tracker = DeliveryTracker(self.tracked, self.failure_states)
            else:  # a poke per process: the gate's clock must be wall time
                self._tracker = DeliveryTracker(
                    self.tracked, self.failure_states, gate=FiguresGate(clock=time.time)
                )
                if known := self._memory.load(self._tracker):
                    self.log.info("%d of %d SMS known final from earlier pokes", known, len(self.tracked))
        return self._tracker

    @property
    def _final(self) -> Mapping[RefKey, DeliveryStatus]:
        """The statuses this run knows to be final (empty before the first poke)."""
        return self._tracker.final if self._tracker is not None else {}

    # ------------------------------------------------------------------ poke path
    def _poll(self) -> DeliveryOutcome:
        """Ask the gateway about the messages not known to be final; classify all of them.

        A transient gateway error counts as "not final yet": the next poke tries again. A failed
        read of the categories' figures only turns that shortcut off (warned once).
        """
        tracker = self.tracker
        outcome = tracker.poll(lambda: self.hook)
        if note := tracker.gate.notice():
            self.log.warning("%s", note)
        if self._memory is not None:
            if outcome.done:
                self._memory.forget()
            else:
                self._memory.save(tracker)
        if tracker.last_error is not None:
            self.log.warning(
                "Could not read delivery statuses (%s); trying again at the next poke",
                type(tracker.last_error).__name__,
            )
        return outcome

    def _conclude(self, context: Context, outcome: DeliveryOutcome) -> list[dict[str, Any]] | None:
        """``None`` while pending; the final statuses on success; push them and raise on failure."""
        if not outcome.done:
            self.log.info(
                "Waiting for %d of %d SMS (%s)",
                len(outcome.pending),
                len(outcome.statuses),
                describe_counts(outcome),
            )
            return None
        statuses = self.tracker.results(outcome)
        report_error = self._finish(statuses)
        if outcome.verdict == "failure":
            context["ti"].xcom_push(key=XCOM_RETURN_KEY, value=statuses)
            message = failure_summary(outcome)
            self.log.error("%s", message)
            raise SmsDeliveryFailedError(message, statuses)
        self.log.info("All %d SMS are final: %s", len(statuses), describe_counts(outcome))
        if report_error is not None:
            raise report_error
        return statuses

    def _finish(self, statuses: list[dict[str, Any]]) -> SmsReportError | None:
        """Count the states reached (Airflow metrics), write the report if asked; return its error."""
        for state, count in Counter(str(s["state"]) for s in statuses).items():
            metrics.incr(f"delivery.{state}", count, gateway=self.hook.conn_type, conn_id=self.sms_conn_id)
        target = reports.resolve(self.report_path, self.report_format)
        rows = reports.delivery_rows(statuses) if target is not None else []
        return reports.write_safely(target, rows, mask_numbers=self.report_mask_numbers)

    def _at_deadline(self, context: Context, outcome: DeliveryOutcome) -> list[dict[str, Any]]:
        """``on_deadline="return"``: every status, marked final or not; a final failure still fails."""
        judged = outcome.at_deadline(self.failure_states)
        statuses = judged.to_dicts_marked()
        report_error = self._finish(statuses)
        if judged.failed:
            context["ti"].xcom_push(key=XCOM_RETURN_KEY, value=statuses)
            raise SmsDeliveryFailedError(failure_summary(judged), statuses)
        self.log.warning(
            "Deadline reached: %d of %d SMS still not final (%s); returning their last known state",
            len(judged.pending),
            len(statuses),
            describe_counts(judged),
        )
        if report_error is not None:
            raise report_error
        return statuses

    def poke(self, context: Context) -> PokeReturnValue:
        """One status check: done with the final statuses as XCom, or not yet."""
        statuses = self._conclude(context, self._poll())
        return PokeReturnValue(is_done=statuses is not None, xcom_value=statuses)

    # ------------------------------------------------------------------ deferrable path
    def execute(self, context: Context) -> Any:
        """Poke / reschedule as any sensor; deferrable: check once here, then defer the rest."""
        # Airflow runs a shallow copy of the DAG's operator (prepare_for_execution): start from
        # fresh state rather than mutate containers shared with the original or an earlier run.
        self._tracker = self._memory = None
        self.__dict__.pop("tracked", None)
        reports.resolve(self.report_path, self.report_format)  # a bad report path fails first
        if not self.deferrable:
            return self._execute_on_worker(context)
        outcome = self._first_poll()
        if outcome is not None:
            statuses = self._guard(self._conclude, context, outcome)
            if statuses is not None:
                return statuses
        # else silent_fail swallowed an error: the trigger tracks everything
        from airflow_provider_sms.triggers.delivery import SmsDeliveryTrigger

        tracker = self.tracker
        self.log.info(
            "Deferring: %d of %d SMS not final yet, checked every %.1f s",
            len(tracker.pending()),
            len(tracker.messages),
            self.poke_interval,
        )
        self.defer(
            trigger=SmsDeliveryTrigger(
                sms_conn_id=self.sms_conn_id,
                messages=list(self.tracked),
                final_statuses=tracker.final_statuses(),
                failure_states=list(self.failure_states),
                poke_interval=self.poke_interval,
                deadline=time.time() + self.timeout,
                max_backoff=self.max_backoff,
                category_figures=tracker.gate.enabled,
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=self.timeout + self._deadline_grace()),
        )

    def _deadline_grace(self) -> float:
        """Seconds the triggerer's own timeout waits past the trigger's deadline: none by default;
        with ``on_deadline="return"``, time for the trigger's last poll and its event, which carry
        the statuses the task returns (the triggerer's timeout carries none)."""
        return 0.0 if self.on_deadline == "fail" else max(60.0, 2 * float(self.poke_interval))

    def _execute_on_worker(self, context: Context) -> Any:
        """Poke and reschedule modes: the base loop; at its timeout, say where it stood (and
        return it with ``on_deadline="return"``)."""
        if self.reschedule:
            from airflow_provider_sms.tracking.delivery_memory import DeliveryMemory

            self._memory = DeliveryMemory.for_task(context, self.tracked)
        try:
            return super().execute(context)
        except (AirflowSensorTimeout, AirflowSkipException) as exc:
            tracker = self._tracker
            if tracker is None or not tracker.polls or tracker.outcome.done:
                raise
            timed_out = isinstance(exc, AirflowSensorTimeout) or "timed out" in str(exc)
            if timed_out and self.on_deadline == "return":
                return self._guard(self._at_deadline, context, tracker.outcome)
            # timed out: say where it stood
            context["ti"].xcom_push(key=XCOM_RETURN_KEY, value=tracker.results())
            self._finish(tracker.results())
            raise

    def _first_poll(self) -> DeliveryOutcome | None:
        try:
            return self._guard(self._poll)
        except AirflowSkipException:
            raise
        except Exception:
            if self.silent_fail:
                self.log.exception("First delivery check failed; deferring anyway (silent_fail)")
                return None
            raise

    def _guard(self, fn: Any, *args: Any) -> Any:
        """Apply ``soft_fail`` / ``never_fail`` to errors raised outside the base ``execute()`` loop,
        as the base class does for errors raised by ``poke()``."""
        try:
            return fn(*args)
        except (AirflowSensorTimeout, AirflowTaskTimeout, AirflowFailException) as exc:
            if self.soft_fail or self.never_fail:
                raise AirflowSkipException(f"Skipping: {exc}") from exc
            raise
        except AirflowSkipException:
            raise
        except Exception as exc:
            if self.never_fail:
                raise AirflowSkipException(f"Skipping: {exc}") from exc
            raise

    def execute_complete(
        self, context: Context, event: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Turn the trigger's event into the task's outcome (``soft_fail`` applies via the base class).

        :param event: the trigger's payload (see :mod:`airflow_provider_sms.triggers.delivery`); its
            ``statuses`` cover every tracked message.
        """
        event = event or {}
        if event.get("status") == "error":
            raise error_from_event(event, self.sms_conn_id, "Delivery tracking")
        outcome = self.tracker.record(self.tracker.from_event(event.get("statuses") or []))
        if (event.get("status") == "timeout" or not outcome.done) and self.on_deadline == "return":
            return self._at_deadline(context, outcome)
        if event.get("status") == "timeout" or not outcome.done:
            context["ti"].xcom_push(key=XCOM_RETURN_KEY, value=self.tracker.results(outcome))
            self._finish(self.tracker.results(outcome))
            raise AirflowSensorTimeout(
                f"Sensor has timed out after {self.timeout} s: {len(outcome.pending)} of "
                f"{len(outcome.statuses)} SMS still not final ({describe_counts(outcome)})"
            )
        statuses = self._conclude(context, outcome)
        if statuses is None:  # pragma: no cover - outcome.done was checked above
            raise AirflowSensorTimeout("Sensor ended with messages still pending")
        return statuses
