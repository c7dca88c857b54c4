"""SMS notifier for Airflow task and DAG callbacks (``on_failure_callback``, ``on_success_callback``).

.. code-block:: python

    from airflow_provider_sms.notifications.sms import send_sms_notification

    on_failure_callback = send_sms_notification(
        sms_conn_id="smspartner_default",
        recipients=["+33612345678"],
        message="{{ dag.dag_id }}.{{ ti.task_id }} failed",  # optional; a default is built
    )

One DAG run pages a number once (``once_per_run=True``, the default): the first callback of the run
sends, the later ones (other tasks, the DAG's own callback, a repeated call for the same try) send
nothing and say so in their log. The message body is never logged; numbers are logged masked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseNotifier

from airflow_provider_sms.exceptions import SmsGatewayError, SmsValidationError
from airflow_provider_sms.hooks import aget_sms_hook, get_sms_hook
from airflow_provider_sms.notifications.run_claims import Caller, Claims, RunClaims, VariableClaims
from airflow_provider_sms.rules.guards import SendGuards
from airflow_provider_sms.rules.numbers import mask_number
from airflow_provider_sms.rules.options import flag_problems, optional_choice_problems
from airflow_provider_sms.rules.text import count_segments, unstorable_problems
from airflow_provider_sms.rules.transliterate import UNSUPPORTED_CHARACTERS as UNSUPPORTED
from airflow_provider_sms.toolkit import metrics
from airflow_provider_sms.version_compat import AIRFLOW_V_3_1_PLUS

if TYPE_CHECKING:
    from collections.abc import Sequence

    import jinja2
    from airflow.sdk import Context

    from airflow_provider_sms.hooks.base import SmsHook
    from airflow_provider_sms.rules.marketing import MarketingWindow, OutsideMarketingHours
    from airflow_provider_sms.rules.transliterate import UnsupportedCharacters
    from airflow_provider_sms.sending.run import SendRun

#: The default message stays within this many SMS segments (GSM-7: 306 characters).
DEFAULT_MAX_SEGMENTS = 2
_FIELD_LIMIT = 60
#: Characters kept in the default message: GSM-7 basic characters every gateway accepts.
_UNSAFE = re.compile(r"[^A-Za-z0-9 .,:;_\-+/()!?@#%&*=<>'\n]")


def _clean(value: object, limit: int = _FIELD_LIMIT) -> str:
    text = _UNSAFE.sub("?", str(getattr(value, "value", value)))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _fit(text: str, max_segments: int = DEFAULT_MAX_SEGMENTS) -> str:
    """Cut ``text`` (one-septet characters only) so it needs at most ``max_segments`` SMS."""
    limit = 153 * max_segments if max_segments > 1 else 160
    while count_segments(text).segments > max_segments:
        text = text[: limit - 3] + "..."
        limit -= 1
    return text


def _get(obj: object, *names: str) -> Any:
    """First non-empty attribute (or mapping key) of ``obj`` among ``names``."""
    for name in names:
        value = obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)
        if value not in (None, ""):
            return value
    return None


def run_of(context: Mapping[str, Any]) -> tuple[str, str] | None:
    """``(dag_id, run_id)`` of the callback's DAG run, ``None`` outside one."""
    ti = context.get("ti") or context.get("task_instance")
    dag_run = context.get("dag_run")
    dag_id = _get(context.get("dag"), "dag_id") or _get(ti, "dag_id") or _get(dag_run, "dag_id")
    run_id = context.get("run_id") or _get(dag_run, "run_id", "dag_run_id") or _get(ti, "run_id")
    return (str(dag_id), str(run_id)) if dag_id and run_id else None


def caller_of(context: Mapping[str, Any]) -> Caller:
    """The callback asking: the DAG's own (its context has ``reason``) or a task try's."""
    if "reason" in context:
        return Caller("DAG")
    ti = context.get("ti") or context.get("task_instance")
    task_id = _get(ti, "task_id") or _get(context.get("task"), "task_id") or "?"
    map_index = _get(ti, "map_index")
    try_number = _get(ti, "try_number")
    return Caller(
        str(task_id),
        int(map_index) if isinstance(map_index, int) else -1,
        int(try_number) if isinstance(try_number, int) else None,
    )


def default_message(context: Mapping[str, Any]) -> str:
    """A short alert built from the callback context: DAG, task, run and state.

    A DAG-level callback (its context has ``reason``) names the DAG run; a task-level one names the
    task, its try and the exception's type; a deadline alert (``deadline`` in the context) names
    the run that missed it. Only GSM-7 characters every gateway accepts are used (anything else
    becomes ``?``), fields are shortened, and the text fits in two SMS.
    """
    ti = context.get("ti") or context.get("task_instance")
    dag_run = context.get("dag_run")
    dag_id = _get(context.get("dag"), "dag_id") or _get(ti, "dag_id") or _get(dag_run, "dag_id") or "?"
    run_id = context.get("run_id") or _get(dag_run, "run_id", "dag_run_id") or _get(ti, "run_id")
    run = [f"Run: {_clean(run_id)}"] if run_id else []
    exception = context.get("exception")
    if "deadline" in context:
        lines = [f"Airflow: DAG {_clean(dag_id)} missed its deadline", *run]
        if _get(dag_run, "state"):
            lines.append(f"Run state: {_clean(_get(dag_run, 'state'))}")
    elif "reason" in context:
        reason = str(context["reason"])
        state = _get(dag_run, "state") or ("failed" if "fail" in reason else "done")
        lines = [f"Airflow: DAG {_clean(dag_id)} {_clean(state)}", *run, f"Reason: {_clean(reason)}"]
        if _get(ti, "task_id"):
            lines.append(f"Last task: {_clean(_get(ti, 'task_id'))}")
    else:
        state = _get(ti, "state") or ("failed" if exception is not None else "done")
        task_id = _get(ti, "task_id") or _get(context.get("task"), "task_id") or "?"
        lines = [f"Airflow: task {_clean(task_id)} {_clean(state)}", f"DAG: {_clean(dag_id)}", *run]
        if _get(ti, "try_number"):
            lines.append(f"Try: {_clean(_get(ti, 'try_number'))}")
        if exception is not None:
            lines.append(f"Error: {_clean(type(exception).__name__)}")
    return _fit("\n".join(lines))


class SmsNotifier(BaseNotifier):
    """Send an SMS from a task or DAG callback, through Primotexto or SMS Partner.

    Each recipient gets one SMS; the connection's type picks the gateway. Without ``message``, a
    default text names the DAG, task, run and state in at most two SMS (see :func:`default_message`).
    The notifier re-renders its templates on every call, so one instance can serve many runs.

    :param sms_conn_id: connection of type ``primotexto`` or ``smspartner``. (templated)
    :param recipients: one number, a comma- or newline-separated string, or a list. (templated)
    :param message: the text; Jinja sees the callback context (``{{ dag.dag_id }}``,
        ``{{ ti.task_id }}``, ``{{ run_id }}``, ``{{ reason }}``). (templated)
    :param sender: sender name (3 to 11 letters or digits); default: the connection's. (templated)
    :param marketing: a marketing SMS: sent only inside ``marketing_window`` (alerts are usually
        transactional: leave it ``False``).
    :param outside_marketing_hours: a marketing SMS outside the window: ``"schedule"`` (default:
        at the next opening), ``"fail"`` or ``"allow"``.
    :param marketing_window: default: Monday to Saturday 08:00-20:00 Europe/Paris, not on French
        public holidays (``docs/compliance.md``).
    :param unsupported_characters: characters outside the gateway's alphabet in ``message``:
        ``"fail"``, ``"replace"`` (closest GSM-7 form) or ``"unicode"`` (UCS-2, SMS Partner
        only); default ``None``: the gateway's own (Primotexto ``"fail"``, SMS Partner ``"unicode"``).
    :param once_per_run: ``True`` (default): one DAG run sends each number one SMS, from the first
        callback that gets there; later callbacks of the run (any task, the DAG's, a repeated call
        for the same try) send that number nothing and log which callback paged it. Shared between
        the worker and the dag-processor through Airflow Variables
        (:mod:`~airflow_provider_sms.notifications.run_claims`). ``False``: every call sends (the
        behaviour before this option). A call outside a DAG run (no ``run_id``) and ``await
        notifier`` (the triggerer) always send.
    :param context: the context for ``await notifier`` (Airflow passes it when it runs the notifier
        as a deadline-alert callback in the triggerer); task and DAG callbacks pass it on call.
        ``await notifier`` needs Airflow 3.1 or newer; on 3.0 the notifier is called synchronously.
    """

    template_fields: Sequence[str] = ("sms_conn_id", "recipients", "message", "sender")

    def __init__(
        self,
        *,
        sms_conn_id: str,
        recipients: str | Sequence[str],
        message: str | None = None,
        sender: str | None = None,
        context: Context | None = None,
        marketing: bool = False,
        outside_marketing_hours: OutsideMarketingHours = "schedule",
        marketing_window: MarketingWindow | None = None,
        unsupported_characters: UnsupportedCharacters | None = None,
        once_per_run: bool = True,
    ) -> None:
        problems = [
            *flag_problems("marketing", marketing),
            *flag_problems("once_per_run", once_per_run),
            *optional_choice_problems("unsupported_characters", unsupported_characters, UNSUPPORTED),
            *SendGuards(outside_marketing_hours, marketing_window).problems(),
        ]
        if problems:
            raise SmsValidationError(problems)
        if AIRFLOW_V_3_1_PLUS:
            super().__init__(context=context)  # type: ignore[call-arg]  # (3.0's takes no context)
        else:  # Airflow 3.0: no context argument (nor ``await notifier``, added in 3.1)
            super().__init__()
            self.context = context or {}
        self.sms_conn_id = sms_conn_id
        self.recipients = recipients
        self.message = message
        self.sender = sender
        self.marketing = marketing
        self.unsupported_characters = unsupported_characters
        self.once_per_run = once_per_run
        self.guards = SendGuards(outside_marketing_hours, marketing_window, check_credits=False)
        self._templates = {field: getattr(self, field) for field in self.template_fields}

    def _restore_templates(self) -> None:
        """Put the constructor's templates back (rendering overwrites them) and drop a stale hook."""
        for field, template in self._templates.items():
            setattr(self, field, template)
        self.__dict__.pop("hook", None)

    def _update_context(self, context: Context) -> Context:
        self._restore_templates()
        return super()._update_context(context)

    def render_template_fields(self, context: Context, jinja_env: jinja2.Environment | None = None) -> None:
        """Render from the original templates, not from the last call's output."""
        self._restore_templates()
        if jinja_env is None and not hasattr(context.get("dag"), "get_template_env"):
            # dag.test() on Airflow 3.3 hands DAG-level callbacks the serialized DAG, which cannot
            # build a Jinja environment: render with the default (sandboxed) one instead.
            jinja_env = self.get_template_env(dag=None)
        super().render_template_fields(context, jinja_env)

    @cached_property
    def hook(self) -> SmsHook:
        """The gateway hook for the rendered ``sms_conn_id``."""
        return get_sms_hook(self.sms_conn_id)

    def _refuse_unstorable(self) -> None:
        """Refuse rendered fields holding a lone surrogate (no UTF-8 form: neither a connection
        lookup nor a gateway can take it) with an ``SmsValidationError`` naming the field."""
        problems = unstorable_problems({field: getattr(self, field) for field in self.template_fields})
        if problems:
            raise SmsValidationError(problems)

    def notify(self, context: Context) -> None:
        """Send the SMS (sync; task callbacks and the DAG processor use this)."""
        self._refuse_unstorable()
        try:
            run = self._prepare(self.hook, context)
            claims, claimed = self._claim(run, context)
            todo = claimed.won + claimed.unchecked
            if todo:
                run.send_requests(todo)
            if claims is not None:
                self._release_unsent(claims, claimed, run)
                if claimed.won:
                    claims.tidy()  # after the page, not before it
            self._conclude(run, claimed)
        finally:
            # Keep no live HTTP session on the instance: it belongs to the DAG, which Airflow may
            # deep-copy later (Airflow 3.0's dag.test() does), and a session cannot be copied.
            self.__dict__.pop("hook", None)

    async def async_notify(self, context: Context) -> None:
        """Send the SMS (async; the triggerer, e.g. deadline alerts): async connection lookup, then
        the requests on the triggerer's own event loop."""
        self._refuse_unstorable()
        run = self._prepare(await aget_sms_hook(self.sms_conn_id), context)
        await run.asend_requests(list(run.send.recipients))
        self._conclude(run, Claims(won=list(run.send.recipients)))

    def _prepare(self, hook: SmsHook, context: Context) -> SendRun:
        """Validate the notification and pass it through the guards (no request yet)."""
        from airflow_provider_sms.sending.run import SendRun

        text = self.message if self.message is not None else default_message(context)
        checked = hook.validate_send(
            self.recipients,
            text,
            sender=self.sender,
            marketing=self.marketing,
            guards=self.guards,
            unsupported_characters=self.unsupported_characters,
        )
        if checked.marketing_note:
            self.log.info("SMS notification: %s", checked.marketing_note)
        return SendRun.for_callback(hook, checked)

    def _claim(self, run: SendRun, context: Context) -> tuple[RunClaims | None, Claims]:
        """With ``once_per_run``, claim the numbers for this callback in its DAG run's claims
        (worker and dag-processor alike): only the ones this callback wins are sent."""
        numbers = list(run.send.recipients)
        scope = run_of(context) if self.once_per_run else None
        if scope is None:
            return None, Claims(won=numbers)
        claims = RunClaims(VariableClaims(), *scope)
        caller = caller_of(context)
        claimed = claims.claim(numbers, caller)
        for number, holder in claimed.taken.items():
            paged_by = Caller(str(holder.get("task")), holder.get("map_index", -1), holder.get("try"))
            self.log.info(
                "SMS notification (%s): nothing sent to %s: %s already paged it in this run%s (once_per_run)",
                caller.describe(),
                mask_number(number),
                "this same callback" if caller.holds(holder) else paged_by.describe(),
                f" at {holder['at']}" if holder.get("at") else "",
            )
        hook = run.hook
        metrics.incr(
            "notifier.suppressed", len(claimed.taken), gateway=hook.conn_type, conn_id=hook.sms_conn_id
        )
        return claims, claimed

    @staticmethod
    def _release_unsent(claims: RunClaims, claimed: Claims, run: SendRun) -> None:
        """Give back the claims of numbers the gateway did not take (a later callback may page)."""
        sent = {result.recipient for result in run.report.sent}
        for number, token in claimed.tokens.items():
            if number not in sent:
                claims.release(number, token)

    def _conclude(self, run: SendRun, claimed: Claims) -> None:
        """Log how many got it; raise, naming the others masked, when not everyone did."""
        report, total = run.report, len(run.send.recipients)
        self.log.info(
            "SMS notification: sent to %d of %d recipient(s) via %s%s",
            len(report.sent),
            total,
            run.hook.hook_name,
            f"; {len(claimed.taken)} already paged in this run" if claimed.taken else "",
        )
        failed = [f"{mask_number(f['recipient'])} ({f['error'].get('error')})" for f in report.failed]
        failed += [f"{mask_number(s['recipient'])} (on a STOP or bounce list)" for s in report.skipped]
        if failed:
            raise SmsGatewayError(
                f"SMS notification not sent to {len(failed)} of {total} recipient(s) "
                f"(connection '{self.sms_conn_id}'): {', '.join(failed[:20])}",
                conn_id=self.sms_conn_id,
            )


send_sms_notification = SmsNotifier
