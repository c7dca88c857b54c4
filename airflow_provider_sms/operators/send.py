"""SmsSendOperator: one message to one or thousands of numbers, validated, and never twice on retry.

Order of work in :meth:`SmsSendOperator.execute`:

1. validate everything (numbers, characters, segments, sender, ``send_at``) before any request;
   every problem is reported at once in one :class:`~airflow_provider_sms.exceptions.SmsValidationError`;
2. read the retry journal (:mod:`airflow_provider_sms.sending.journal`): recipients an earlier try
   got accepted are not sent again, their results are returned; sends whose outcome an earlier try
   could not know are reconciled with the gateway where its hook says it can tell
   (:mod:`airflow_provider_sms.sending.reconcile`);
3. send the rest in requests of up to ``hook.max_recipients_per_send`` numbers, ``max_concurrency``
   requests at a time over the hook's pooled connections; each request's intent is journaled
   before it leaves, its outcome after (:mod:`airflow_provider_sms.sending.batch`);
4. push per-recipient outcomes to XCom (the accepted ones even when the task fails) and fail
   after the batch if any recipient failed or stays unconfirmed.

``docs/send-operator.md`` documents the guarantee and its limits.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from airflow_provider_sms.exceptions import SmsValidationError
from airflow_provider_sms.operators.base import SmsBaseOperator
from airflow_provider_sms.outputs.recipient_report import option_problems as report_problems
from airflow_provider_sms.rules.guards import DEFAULT_CHECK_CREDITS_ABOVE as CREDITS_ABOVE, SendGuards
from airflow_provider_sms.rules.inputs import ON_INVALID
from airflow_provider_sms.rules.options import (
    choice_problems,
    count_problems,
    flag_problems,
    optional_choice_problems,
    seconds_problems,
)
from airflow_provider_sms.rules.transliterate import UNSUPPORTED_CHARACTERS as UNSUPPORTED
from airflow_provider_sms.sending.journal import DEFAULT_FLUSH_EVERY, DEFAULT_FLUSH_INTERVAL
from airflow_provider_sms.sending.reconcile import DEFAULT_SETTLE_SECONDS
from airflow_provider_sms.toolkit.throttle import (
    DEFAULT_MAX_CONCURRENCY as DEFAULT_MAX_CONCURRENCY,
    option_problems as throughput_problems,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from datetime import datetime

    import jinja2
    from airflow.sdk import Context

    from airflow_provider_sms.hooks.base import SmsHook
    from airflow_provider_sms.outputs.recipient_report import ReportFormat
    from airflow_provider_sms.rules.inputs import OnInvalid
    from airflow_provider_sms.rules.marketing import MarketingWindow, OutsideMarketingHours
    from airflow_provider_sms.rules.request import ValidatedSend
    from airflow_provider_sms.rules.transliterate import UnsupportedCharacters
    from airflow_provider_sms.sending.run import SendOptions

OnUnknownOutcome = Literal["fail", "skip", "resend"]
ON_UNKNOWN_OUTCOME: tuple[str, ...] = ("fail", "skip", "resend")


class SmsSendOperator(SmsBaseOperator):
    """Send one SMS text to one or many numbers through Primotexto or SMS Partner.

    The connection's type picks the gateway. Inputs are validated before the first request; numbers
    are normalised to E.164 and de-duplicated (one SMS per number). Recipients are sent in requests
    of up to the gateway's limit (SMS Partner: 500 numbers, Primotexto: 1), ``max_concurrency`` at a
    time. When Airflow retries the task, recipients accepted in an earlier try are not sent again
    and their results are returned (see ``docs/send-operator.md`` for the guarantee and its limits).

    Returns (XCom ``return_value``, pushed as well when the task fails) one
    :class:`~airflow_provider_sms.model.results.SendResult` dict per accepted recipient, ready for
    ``SmsDeliverySensor(messages=send.output)``. Also pushes XCom ``"skipped"`` (``[{"recipient",
    "reason"}]``: blacklisted, invalid in skip mode, unconfirmed with ``on_unknown_outcome="skip"``),
    ``"failed"`` (``[{"recipient", "reason", "error"}]``) and ``"unconfirmed"`` (``[{"recipient",
    "reason"}]``), then fails the task when any recipient failed or stays unconfirmed. A green run
    means every recipient was accepted exactly once or deliberately skipped.

    :param sms_conn_id: connection of type ``primotexto`` or ``smspartner``. (templated)
    :param recipients: one number, a comma- or newline-separated string, a list of numbers or of
        dicts with a ``"recipient"`` key, a JSON list, or an upstream task's XCom. (templated)
    :param message: the text; never logged. (templated)
    :param sender: sender name, 3 to 11 letters or digits, not all digits; default: the
        connection's ``sender`` extra, else the gateway's short code. (templated)
    :param campaign_name: Primotexto campaign name (ignored by SMS Partner). (templated)
    :param category: Primotexto category / SMS Partner tag (templated); where the gateway reads delivery
        figures by category and none is given, one of the task's own in its DAG run, in every ``SendResult``.
    :param send_at: schedule: aware datetime or ISO-8601 text with an offset, in the future. (templated)
    :param marketing: a marketing SMS (Primotexto marketing pool, SMS Partner STOP mention), sent
        only inside ``marketing_window`` (see ``docs/compliance.md``).
    :param outside_marketing_hours: a marketing send (or its ``send_at``) outside the window:
        ``"schedule"`` (default: at the next opening), ``"fail"`` (refused) or ``"allow"``.
    :param marketing_window: a :class:`~airflow_provider_sms.rules.marketing.MarketingWindow`;
        default: Monday to Saturday 08:00-20:00 Europe/Paris, not on French public holidays.
    :param max_segments: refuse a send that would take more SMS segments in all (recipients x parts).
    :param max_credits: refuse a send estimated to cost more, in the gateway's credit unit.
    :param check_credits: read the account's credits first and refuse a send they cannot cover.
    :param check_credits_above: ... for sends to more than this many recipients (``None``: never).
    :param dry_run: validate, count, apply the guards and the window, and return a summary dict
        instead of sending.
    :param max_concurrency: send requests in flight at once; default: the connection's
        ``max_in_flight`` extra, else 8.
    :param max_per_second: ceiling of SMS (numbers) sent per second by this task; default: the
        connection's ``max_per_second`` extra, else none.
    :param on_invalid_recipient: ``"fail"`` (any bad number fails the task before sending) or
        ``"skip"`` (bad numbers are reported in XCom ``"skipped"``, the rest are sent).
    :param unsupported_characters: characters outside the gateway's alphabet (``ç``, ``œ``, ``’``,
        emoji...): ``"fail"`` (refused before any request), ``"replace"`` (their closest GSM-7
        form: ``ç`` -> ``c``, ``…`` -> ``...``; see ``docs/send-operator.md``) or ``"unicode"``
        (UCS-2, where the gateway can: SMS Partner; refused on Primotexto). Default ``None``: the
        gateway's own (Primotexto ``"fail"``, SMS Partner ``"unicode"``).
    :param on_unknown_outcome: what a retry does with a recipient whose earlier send got no reply
        and that the gateway cannot confirm either way: ``"fail"`` (default: not resent, listed in
        XCom ``"unconfirmed"``, and the task fails, so Airflow retries and asks again until its
        retries are spent), ``"skip"`` (not resent, reported as skipped, the run can end green) or
        ``"resend"`` (sent again: never a loss, maybe a duplicate).
    :param outcome_settle_seconds: how long after a request the gateway is taken to show what it
        did with it (default 60; never less than the connection's read timeout). A send whose
        reply was lost is found "never arrived" (and sent again) only after that time; a retry that
        comes sooner waits for it.
    :param bool mask_recipients: show the rendered recipients masked in Airflow's Rendered Template view
        (default ``True``; the task still sends to the full numbers).
    :param mask_message: treat the rendered message as a secret (one-time codes): it is shown as
        ``***`` in the task's rendered fields and masked in its logs.
    :param journal_flush_every: save the retry journal every this many accepted recipients.
    :param journal_flush_interval: ... or every this many seconds, whichever comes first.
    :param report_path: write a per-recipient report (number, message id, outcome, reason, time)
        there at the end, also when the task fails: a local path or an ``ObjectStoragePath`` URL. (templated)
    :param report_format: ``"csv"`` or ``"jsonl"``; default: from ``report_path``'s suffix.
    :param report_mask_numbers: mask the numbers in the report (default: in full, for audits).
    """

    template_fields: Sequence[str] = (
        "sms_conn_id",
        "recipients",
        "message",
        "sender",
        "campaign_name",
        "category",
        "send_at",
        "report_path",
    )
    template_fields_renderers = {"recipients": "json"}
    recipient_fields: ClassVar[tuple[str, ...]] = ("recipients",)
    ui_color = "#d9f2e6"

    def __init__(
        self,
        *,
        sms_conn_id: str,
        recipients: Any,
        message: str | None = None,
        sender: str | None = None,
        campaign_name: str | None = None,
        category: str | None = None,
        send_at: datetime | str | None = None,
        marketing: bool = False,
        max_concurrency: int | None = None,
        max_per_second: float | None = None,
        on_invalid_recipient: OnInvalid = "fail",
        on_unknown_outcome: OnUnknownOutcome = "fail",
        outcome_settle_seconds: float = DEFAULT_SETTLE_SECONDS,
        unsupported_characters: UnsupportedCharacters | None = None,
        mask_message: bool = False,
        journal_flush_every: int = DEFAULT_FLUSH_EVERY,
        journal_flush_interval: float = DEFAULT_FLUSH_INTERVAL,
        outside_marketing_hours: OutsideMarketingHours = "schedule",
        marketing_window: MarketingWindow | None = None,
        max_segments: int | None = None,
        max_credits: float | None = None,
        check_credits: bool = True,
        check_credits_above: int | None = CREDITS_ABOVE,
        dry_run: bool = False,
        report_path: str | None = None,
        report_format: ReportFormat | None = None,
        report_mask_numbers: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(sms_conn_id=sms_conn_id, **kwargs)
        self.recipients = recipients
        self.message = message
        #: Whether ``message`` reads ``row`` (set when Airflow renders; see :meth:`message_for`).
        self.per_row_message: bool | None = None
        self.sender = sender
        self.campaign_name = campaign_name
        self.category = category
        self.send_at = send_at
        self.marketing = marketing
        self.max_concurrency, self.max_per_second = max_concurrency, max_per_second
        self.on_invalid_recipient = on_invalid_recipient
        self.on_unknown_outcome = on_unknown_outcome
        self.outcome_settle_seconds = outcome_settle_seconds
        self.unsupported_characters = unsupported_characters
        self.mask_message = mask_message
        self.journal_flush_every = journal_flush_every
        self.journal_flush_interval = journal_flush_interval
        self.outside_marketing_hours = outside_marketing_hours
        self.marketing_window = marketing_window
        self.guards = SendGuards(
            outside_marketing_hours,
            marketing_window,
            max_segments,
            max_credits,
            check_credits,
            check_credits_above,
        )
        self.sms_dry_run = dry_run  # BaseOperator.dry_run() is a method
        self.report_path, self.report_format = report_path, report_format
        self.report_mask_numbers = report_mask_numbers
        problems = self._option_problems()
        if problems:
            raise SmsValidationError(problems)

    @cached_property
    def hook(self) -> SmsHook:
        """The gateway hook, with a connection pool at least as large as ``max_concurrency``."""
        from airflow_provider_sms.hooks import get_sms_hook
        from airflow_provider_sms.hooks.transport import DEFAULT_POOL_SIZE

        wanted = self.max_concurrency if isinstance(self.max_concurrency, int) else 0
        return get_sms_hook(self.sms_conn_id, pool_size=max(DEFAULT_POOL_SIZE, wanted))

    def _do_render_template_fields(
        self,
        parent: Any,
        template_fields: Iterable[str],
        context: Context,
        jinja_env: jinja2.Environment,
        seen_oids: set[int],
    ) -> None:
        """Render (numbers masked in the rendered fields), then register the message with Airflow's
        masker if ``mask_message``. A message that reads ``row`` is left as written: it is
        rendered once per row at execute time, with this context (:meth:`message_for`)."""
        if parent is self and "message" in template_fields:
            from airflow_provider_sms.rules.row_template import uses_row

            self.per_row_message = uses_row(self.message, jinja_env)
            if self.per_row_message:
                template_fields = [name for name in template_fields if name != "message"]
        super()._do_render_template_fields(parent, template_fields, context, jinja_env, seen_oids)
        if self.mask_message and isinstance(self.message, str) and self.message.strip():
            from airflow.sdk.log import mask_secret

            mask_secret(self.message)

    def message_for(self, context: Context) -> Any:
        """The message as the send takes it: the rendered text, or a
        :class:`~airflow_provider_sms.rules.row_template.RowTemplate` (with this context) where
        the message reads ``row``. Only a message Airflow left unrendered is a row template, so
        a value rendered into it is never rendered again."""
        from airflow_provider_sms.rules.row_template import RowTemplate, uses_row

        per_row = self.per_row_message
        if per_row is None:  # execute() without Airflow's rendering (tests, direct calls)
            per_row = uses_row(self.message)
        if not per_row or not isinstance(self.message, str):
            return self.message
        return RowTemplate(self.message, context, self.get_template_env())

    # ------------------------------------------------------------------ validation
    def _option_problems(self) -> list[str]:
        """Problems of the options that are not templated (checked when the operator is built)."""
        return [
            *choice_problems("on_unknown_outcome", self.on_unknown_outcome, ON_UNKNOWN_OUTCOME),
            *seconds_problems("outcome_settle_seconds", self.outcome_settle_seconds, maximum=3600.0),
            *choice_problems("on_invalid_recipient", self.on_invalid_recipient, ON_INVALID),
            *optional_choice_problems("unsupported_characters", self.unsupported_characters, UNSUPPORTED),
            *throughput_problems(self.max_concurrency, self.max_per_second),
            *count_problems("journal_flush_every", self.journal_flush_every, maximum=100_000),
            *seconds_problems("journal_flush_interval", self.journal_flush_interval),
            *flag_problems("marketing", self.marketing),
            *flag_problems("mask_message", self.mask_message),
            *self.guards.problems(),
            *flag_problems("dry_run", self.sms_dry_run),
            *report_problems(self.report_format, self.report_mask_numbers),
        ]

    def validate_inputs(
        self, hook: SmsHook, category: str | None = None, message: Any = None
    ) -> ValidatedSend:
        """Check every input before any request; raise all problems in one SmsValidationError.
        ``category``: the send's category when not ``self.category`` (one chosen for it);
        ``message``: the message when not ``self.message`` (a row template, see :meth:`message_for`)."""
        problems = self._option_problems()
        try:
            validated = hook.validate_send(
                self.rendered("recipients"),
                self.message if message is None else message,
                sender=self.sender,
                send_at=self.send_at,
                campaign_name=self.campaign_name,
                category=self.category if category is None else category,
                marketing=self.marketing,
                on_invalid=self.on_invalid_recipient,
                guards=self.guards,
                unsupported_characters=self.unsupported_characters,
            )
        except SmsValidationError as exc:
            raise SmsValidationError([*problems, *exc.problems]) from None
        if problems:
            raise SmsValidationError(problems)
        return validated

    # ------------------------------------------------------------------ execution
    def execute(self, context: Context) -> list[dict[str, Any]] | dict[str, Any]:
        # The sending engine is imported here, not with the module: DAG files import this one.
        from airflow_provider_sms.sending.category import send_category
        from airflow_provider_sms.sending.heap import frozen_heap
        from airflow_provider_sms.sending.run import SendRun

        with frozen_heap():  # a large send's rows, checks and results: no full collections
            hook = self.hook
            category = send_category(self.category, hook.capabilities, context)
            send = self.validate_inputs(hook, category, self.message_for(context))
            if send.marketing_note:
                self.log.info("%s: %s", self.task_id, send.marketing_note)
            if self.sms_dry_run:
                return self.dry_run_summary(hook, send)
            run = SendRun.open(hook, send, context, self.send_options())
            with run.recording():
                todo = run.resume()
                if todo:
                    self.guards.check(send, hook, recipients=todo, read_credits=hook.read_credits)
                    run.send_requests(todo)
            return run.finish(context["ti"])

    def dry_run_summary(self, hook: SmsHook, send: ValidatedSend) -> dict[str, Any]:
        """What the send would do (the guards run, the account's credits read), nothing sent."""
        from airflow_provider_sms.sending.dry_run import dry_run_summary

        guarded = self.guards.check(send, hook, read_credits=hook.read_credits)
        assert guarded.estimate is not None
        self.log.info("%s: dry run, nothing sent: %s", self.task_id, guarded.estimate.describe())
        return dry_run_summary(hook, guarded, show_texts=not self.mask_message)

    def send_options(self) -> SendOptions:
        """How this task sends (its rendered options)."""
        from airflow_provider_sms.sending.run import SendOptions

        return SendOptions(
            task_id=self.task_id,
            on_unknown_outcome=self.on_unknown_outcome,
            outcome_settle_seconds=self.outcome_settle_seconds,
            max_concurrency=self.max_concurrency,
            max_per_second=self.max_per_second,
            journal_flush_every=self.journal_flush_every,
            journal_flush_interval=self.journal_flush_interval,
            report_path=self.report_path,
            report_format=self.report_format,
            report_mask_numbers=self.report_mask_numbers,
        )
