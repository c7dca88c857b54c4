"""Put numbers on, or take them off, a gateway's STOP (``unsubscribers``) or bounce list.

Both operators are idempotent: adding a number that is already listed, or removing one that is
absent, succeeds and is reported as ``unchanged``, so a task retry or a nightly re-sync is harmless.
Every number is checked before the first request; the list type too (SMS Partner has no bounce
list). Numbers are handled ``max_concurrency`` at a time; a number the gateway refuses does not stop
the others, and the task fails at the end, after pushing the summary to XCom.

:class:`SmsBlacklistExportOperator` (list -> CSV/JSON file) lives in ``blacklist_export`` and is
re-exported here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from airflow_provider_sms.exceptions import (
    SmsConfigurationError,
    SmsError,
    SmsGatewayError,
    SmsInvalidRequestError,
    SmsServerError,
    SmsValidationError,
)
from airflow_provider_sms.model.results import XCOM_RETURN_KEY
from airflow_provider_sms.operators.base import SmsBaseOperator
from airflow_provider_sms.operators.blacklist_export import SmsBlacklistExportOperator
from airflow_provider_sms.rules.inputs import ON_INVALID, check_recipients, split_recipients
from airflow_provider_sms.rules.numbers import mask_number, normalize_number
from airflow_provider_sms.rules.options import choice_problems
from airflow_provider_sms.toolkit.fanout import STOPPING_ERRORS, Breaker, map_bounded
from airflow_provider_sms.toolkit.progress import Progress
from airflow_provider_sms.toolkit.throttle import (
    DEFAULT_MAX_CONCURRENCY as _DEFAULT,
    option_problems,
    throughput,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from airflow.sdk import Context

    from airflow_provider_sms.hooks.base import SmsHook
    from airflow_provider_sms.model.results import ListType
    from airflow_provider_sms.rules.inputs import OnInvalid

__all__ = [
    "SmsBlacklistAddOperator",
    "SmsBlacklistExportOperator",
    "SmsBlacklistRemoveOperator",
]

DEFAULT_MAX_CONCURRENCY = _DEFAULT
#: Failed numbers named (masked) in the task's error; the rest are counted.
MAX_LISTED_FAILURES = 20
#: How errors name each list.
_LIST_NAMES = {"unsubscribers": "STOP list", "bounces": "bounce list"}


class _NotAttempted(Exception):
    """A number left alone because an earlier one hit an error that would fail them all."""


def _failure(number: str, exc: BaseException) -> dict[str, Any]:
    name = "NotAttempted" if isinstance(exc, _NotAttempted) else type(exc).__name__
    return {"recipient": number, "error": name, "message": str(exc)}


class _SmsBlacklistEditOperator(SmsBaseOperator):
    """Shared run of the add and remove operators (subclasses name the verb and the hook call)."""

    template_fields: Sequence[str] = ("sms_conn_id", "recipients", "list_type")
    template_fields_renderers = {"recipients": "json"}
    recipient_fields = ("recipients",)
    ui_color = "#f4e8e8"
    #: Summary key for numbers that changed (``"added"`` / ``"removed"``).
    done_key: ClassVar[str]
    #: For messages: ("add", "to") / ("remove", "from").
    action: ClassVar[tuple[str, str]]
    #: The operation, as validation errors name it ("STOP list addition").
    operation: ClassVar[str]

    def __init__(
        self,
        *,
        sms_conn_id: str,
        recipients: str | Sequence[Any],
        list_type: ListType = "unsubscribers",
        max_concurrency: int | None = None,
        max_per_second: float | None = None,
        on_invalid_recipient: OnInvalid = "fail",
        **kwargs: Any,
    ) -> None:
        super().__init__(sms_conn_id=sms_conn_id, **kwargs)
        self.recipients = recipients
        self.list_type = list_type
        self.max_concurrency = max_concurrency
        self.max_per_second = max_per_second
        self.on_invalid_recipient = on_invalid_recipient
        problems = [
            *option_problems(max_concurrency, max_per_second),
            *choice_problems("on_invalid_recipient", on_invalid_recipient, ON_INVALID),
        ]
        if problems:
            raise self._refusal(problems)
        #: ``{"index", "recipient" (masked), "reason"}`` per bad number skipped (set at run time).
        self._skipped: list[dict[str, Any]] = []

    def _refusal(self, problems: list[str]) -> SmsValidationError:
        """The validation error, naming this operation and its list (never "SMS request")."""
        listed = _LIST_NAMES.get(self.list_type, f"'{self.list_type}' list")
        return SmsValidationError(
            problems, operation=f"{listed} {self.operation}", untouched="nothing was changed"
        )

    def _edit(self, hook: SmsHook, number: str) -> bool:
        """Change one number; True if it changed, False if it was already in the wanted state."""
        raise NotImplementedError

    def _prepare(self, hook: SmsHook, numbers: list[str]) -> list[str]:
        """Return the numbers that need a request (others are ``unchanged``); may read the list once."""
        return numbers

    def _validated(self, hook: SmsHook) -> list[str]:
        problems: list[str] = []
        try:
            hook.check_list_type(self.list_type)
        except SmsValidationError as exc:
            problems.extend(exc.problems)
        numbers: list[str] = []
        self._skipped = []
        try:
            # An empty list is a normal nightly case (nothing new to sync): no request, no error.
            recipients = self.rendered("recipients")
            if split_recipients(recipients):
                numbers, self._skipped, _, found = check_recipients(
                    recipients, on_invalid=self.on_invalid_recipient
                )
                problems.extend(found)
        except SmsValidationError as exc:
            problems.extend(exc.problems)
        if problems:
            raise self._refusal(problems)
        if self._skipped:
            self.log.warning(
                "%s list %s: %d invalid number(s) skipped (XCom 'skipped')",
                self.list_type,
                self.operation,
                len(self._skipped),
            )
        return numbers

    def execute(self, context: Context) -> dict[str, Any]:
        hook = self.hook
        numbers = self._validated(hook)
        to_edit = self._prepare(hook, numbers) if numbers else []
        breaker = Breaker(threshold=None)
        concurrency, limiter = throughput(hook.settings, self.max_concurrency, self.max_per_second)

        def one(number: str) -> tuple[str, bool | None, BaseException | None]:
            if breaker.stopped:
                return (
                    number,
                    None,
                    _NotAttempted(f"not attempted: the run stopped at {type(breaker.error).__name__}"),
                )
            try:
                if limiter is not None:
                    limiter.wait()
                return number, self._edit(hook, number), None
            except STOPPING_ERRORS as exc:
                breaker.stop(exc)
                return number, None, exc
            except SmsError as exc:
                return number, None, exc

        progress = Progress(len(to_edit), names=(self.done_key, "unchanged", "failed"), unit="numbers")

        def count(outcome: tuple[str, bool | None, BaseException | None]) -> None:
            _, changed, error = outcome
            progress.add(
                int(error is None and bool(changed)),
                int(error is None and not changed),
                int(error is not None),
            )

        results = map_bounded(one, to_edit, concurrency, count)
        outcomes = {n: (changed, error) for n, changed, error in results}
        summary = self._summary(hook, numbers, outcomes)
        if self.on_invalid_recipient == "skip":
            context["ti"].xcom_push(key="skipped", value=summary["skipped"])
        counts = summary["counts"]
        self.log.info(
            "%s list '%s': %s %d, unchanged %d, failed %d",
            hook.hook_name,
            self.list_type,
            self.done_key,
            counts[self.done_key],
            counts["unchanged"],
            counts["failed"],
        )
        if summary["failed"]:
            context["ti"].xcom_push(key=XCOM_RETURN_KEY, value=summary)
            errors = [error for _, error in outcomes.values() if error is not None]
            stop = breaker.error if isinstance(breaker.error, SmsError) else None
            raise self._error(hook, summary, errors, stop)
        return summary

    def _summary(
        self,
        hook: SmsHook,
        numbers: list[str],
        outcomes: Mapping[str, tuple[bool | None, BaseException | None]],
    ) -> dict[str, Any]:
        done, unchanged, failed = [], [], []
        for number in numbers:
            changed, error = outcomes.get(number, (False, None))
            if error is not None:
                failed.append(_failure(number, error))
            elif changed:
                done.append(number)
            else:
                unchanged.append(number)
        return {
            "vendor": hook.conn_type,
            "conn_id": self.sms_conn_id,
            "list_type": self.list_type,
            self.done_key: done,
            "unchanged": unchanged,
            "failed": failed,
            "skipped": [dict(item) for item in self._skipped],
            "counts": {self.done_key: len(done), "unchanged": len(unchanged), "failed": len(failed)},
        }

    def _error(
        self,
        hook: SmsHook,
        summary: Mapping[str, Any],
        errors: Sequence[BaseException],
        fatal: SmsError | None,
    ) -> SmsError:
        """The task's final error: numbers masked; retryable only when a failure was transient."""
        failed = summary["failed"]
        listed = ", ".join(
            f"{mask_number(f['recipient'])} ({f['error']})" for f in failed[:MAX_LISTED_FAILURES]
        )
        more = f" and {len(failed) - MAX_LISTED_FAILURES} more" if len(failed) > MAX_LISTED_FAILURES else ""
        text = (
            f"{hook.hook_name} (connection '{self.sms_conn_id}'): could not {self.action[0]} "
            f"{len(failed)} of {sum(summary['counts'].values())} number(s) {self.action[1]} the "
            f"'{self.list_type}' list: {listed}{more}. The others were handled; the summary is in XCom."
        )
        if isinstance(fatal, SmsGatewayError):
            return type(fatal)(
                text + f" Stopped at: {fatal}",
                http_status=fatal.http_status,
                code=fatal.code,
                conn_id=self.sms_conn_id,
            )
        if fatal is not None:
            return SmsConfigurationError(text + f" Stopped at: {fatal}")
        transient = any(getattr(exc, "transient", False) for exc in errors)
        return (SmsServerError if transient else SmsInvalidRequestError)(text, conn_id=self.sms_conn_id)


class SmsBlacklistAddOperator(_SmsBlacklistEditOperator):
    """Add numbers to the account's STOP or bounce list, idempotently.

    Returns ``{"vendor", "conn_id", "list_type", "added": [...], "unchanged": [...], "failed":
    [{"recipient", "error", "message"}], "skipped": [{"index", "recipient", "reason"}], "counts":
    {...}}`` with numbers in E.164 (XCom holds them;
    logs only show counts and masked numbers). ``unchanged`` are numbers that were already listed.

    :param sms_conn_id: connection of type ``primotexto`` or ``smspartner``. (templated)
    :param recipients: one number, a comma- or newline-separated string, a list (of numbers or of
        dicts with ``"recipient"``), or an XCom (``other_task.output``). National French numbers
        (``06...``) are accepted; every invalid one is reported before any request. (templated)
    :param list_type: ``"unsubscribers"`` (STOP) or ``"bounces"`` (NPAI; Primotexto only: SMS Partner
        has no bounce list, refused before any request). (templated)
    :param max_concurrency: requests in flight at once for long lists; default: the connection's
        ``max_in_flight`` extra, else 8.
    :param max_per_second: ceiling of requests per second; default: the connection's
        ``max_per_second`` extra, else none.
    :param on_invalid_recipient: ``"fail"`` (default: any bad number fails the task before any
        request) or ``"skip"`` (bad numbers are left out and reported, with their position, masked
        number and reason, in the summary's ``skipped`` and in XCom ``"skipped"``; the task still
        fails when no valid number remains).
    """

    done_key = "added"
    action = ("add", "to")
    operation = "addition"

    def _edit(self, hook: SmsHook, number: str) -> bool:
        return hook.add_to_blacklist(number, self.list_type)


class SmsBlacklistRemoveOperator(_SmsBlacklistEditOperator):
    """Remove numbers from the account's STOP or bounce list, idempotently.

    Same arguments and summary as :class:`SmsBlacklistAddOperator`, with ``removed`` instead of
    ``added``; ``unchanged`` are numbers that were not on the list. When the gateway deletes entries
    by id (SMS Partner), the list is read once and numbers absent from it cost no request.

    :param sms_conn_id: connection of type ``primotexto`` or ``smspartner``. (templated)
    :param recipients: as for :class:`SmsBlacklistAddOperator`. (templated)
    :param list_type: ``"unsubscribers"`` or ``"bounces"`` (Primotexto only). (templated)
    :param max_concurrency: requests in flight at once for long lists; default: the connection's
        ``max_in_flight`` extra, else 8.
    :param max_per_second: ceiling of requests per second; default: the connection's
        ``max_per_second`` extra, else none.
    :param on_invalid_recipient: ``"fail"`` or ``"skip"``, as for :class:`SmsBlacklistAddOperator`.
    """

    done_key = "removed"
    action = ("remove", "from")
    operation = "removal"

    #: Number -> list entry id, when the gateway deletes by id (filled at run time).
    _entry_ids: dict[str, str] | None = None

    def _prepare(self, hook: SmsHook, numbers: list[str]) -> list[str]:
        if not hook.capabilities.blacklist_removal_by_entry_id:
            self._entry_ids = None
            return numbers
        self._entry_ids = {}
        for entry in hook.get_blacklist(self.list_type):
            try:
                self._entry_ids[normalize_number(entry.recipient)] = entry.id
            except ValueError:
                self._entry_ids[entry.recipient] = entry.id
        return [number for number in numbers if number in self._entry_ids]

    def _edit(self, hook: SmsHook, number: str) -> bool:
        entry_id = self._entry_ids[number] if self._entry_ids is not None else None
        return hook.remove_from_blacklist(number, self.list_type, entry_id=entry_id)
