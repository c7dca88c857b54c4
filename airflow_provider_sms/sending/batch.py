"""How SmsSendOperator sends one batch: chunk requests, per-recipient outcomes, early stop, final error.

Every recipient of a batch ends in exactly one of three places: ``sent`` (a
:class:`~airflow_provider_sms.model.results.SendResult`), ``skipped`` (``{"recipient", "reason"}``) or
``failed`` (``{"recipient", "reason", "error"}``). Reasons are short codes: skipped ``blacklisted``,
``invalid: ...``, ``outcome_unknown: ...``; failed ``rejected`` (the gateway refused this request),
``refused`` (an account-level refusal that stopped the batch), ``outcome_unknown`` (no reply),
``rate_limited``, ``unavailable``, ``not_attempted`` (the batch stopped before this request).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from airflow_provider_sms.exceptions import (
    SmsConfigurationError,
    SmsError,
    SmsGatewayError,
    SmsInvalidRequestError,
    SmsJournalError,
    SmsOutcomeUnknownError,
    SmsRateLimitError,
    SmsRecipientBlacklistedError,
    SmsServerError,
    SmsUnconfirmedError,
    SmsValidationError,
)
from airflow_provider_sms.hooks.exchange import drive
from airflow_provider_sms.rules.numbers import mask_number
from airflow_provider_sms.rules.rows import row_name
from airflow_provider_sms.toolkit.fanout import STOPPING_ERRORS, failure_entry, map_bounded

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterable, Sequence

    from airflow_provider_sms.hooks.base import SmsHook
    from airflow_provider_sms.model.results import BatchSendOutcome, SendResult
    from airflow_provider_sms.rules.request import SendRequest
    from airflow_provider_sms.sending.journal import PlannedRequest, SendJournal
    from airflow_provider_sms.sending.run import SendRun
    from airflow_provider_sms.toolkit.fanout import Breaker
    from airflow_provider_sms.toolkit.progress import Progress

#: Failed recipients named one by one in the task's error and log; the rest are counted.
LISTED_FAILURES = 10


class BatchReport:
    """Outcomes of a batch (or of one chunk, merged later into the batch's report).

    :param order: the recipients in input order, for :meth:`results`.
    :param describe: identity -> ``{"recipient" (E.164), "key", "position"}`` for the rows of a
        personalised send (``ValidatedSend.describe``): what the XComs and reports show instead
        of the identity. ``None``: recipients are numbers.
    """

    def __init__(
        self, order: Sequence[str], describe: Callable[[str], dict[str, Any] | None] | None = None
    ) -> None:
        self.order = tuple(order)
        self.describe = describe
        self._sent: dict[str, SendResult] = {}
        #: Each accepted result's XCom form, made as it came (while the send waits on the gateway).
        self._as_dicts: dict[str, dict[str, Any]] = {}
        self.skipped: list[dict[str, Any]] = []
        self.failed: list[dict[str, Any]] = []
        self.unconfirmed: list[dict[str, Any]] = []
        self._transient: list[bool] = []
        self.recovered = 0
        #: When each recipient's outcome was recorded (Unix time), for the per-recipient report.
        self.at: dict[str, float] = {}

    # ------------------------------------------------------------------ recording
    def add(
        self,
        result: SendResult,
        recipient: str | None = None,
        row: tuple[str | int | None, int] | None = None,
    ) -> None:
        """A recipient (its identity; default the result's number) accepted in this try.

        :param row: its row's key and position (a personalised send's; else looked up where the
            report can, :meth:`accepted` labels the result itself when asked).
        """
        recipient = result.recipient if recipient is None else recipient
        self._sent[recipient] = result
        as_dict = result.to_dict()
        if row is None and self.describe is not None and result.position is None:
            labels = self.describe(recipient)
            row = (labels["key"], labels["position"]) if labels is not None else None
        if row is not None:
            as_dict["key"], as_dict["position"] = row
        self._as_dicts[recipient] = as_dict
        self.at[recipient] = time.time()

    def recover(self, result: SendResult, recipient: str | None = None) -> None:
        """A recipient accepted in an earlier try (from the journal or the gateway's records)."""
        self.add(result, recipient)
        self.recovered += 1

    def skip(self, recipient: str, reason: str) -> None:
        """A recipient deliberately not sent to."""
        self.skipped.append({"recipient": recipient, "reason": reason})
        self.at[recipient] = time.time()

    def unconfirm(self, recipient: str, reason: str) -> None:
        """A recipient whose earlier send the gateway can neither confirm nor deny: not resent."""
        self.unconfirmed.append({"recipient": recipient, "reason": reason})
        self.at[recipient] = time.time()

    def fail(self, recipient: str, reason: str, error: dict[str, Any], *, transient: bool) -> None:
        """A recipient that could not be sent to; ``transient`` when a later try may succeed."""
        self.failed.append({"recipient": recipient, "reason": reason, "error": error})
        self._transient.append(transient)
        self.at[recipient] = time.time()

    def fail_all(
        self, recipients: Iterable[str], reason: str, error: dict[str, Any], *, transient: bool
    ) -> BatchReport:
        """:meth:`fail` for every recipient of a request; returns ``self``."""
        for recipient in recipients:
            self.fail(recipient, reason, error, transient=transient)
        return self

    def skip_left_out(self, invalid: Iterable[dict[str, Any]], merged: Iterable[dict[str, Any]] = ()) -> None:
        """Invalid inputs (``on_invalid="skip"``) and rows merged into an earlier one: skipped."""
        for item in invalid:
            labels = {"key": item["key"], "position": item["position"]} if "position" in item else {}
            self.skipped.append(
                {"recipient": item["recipient"], **labels, "reason": f"invalid: {item['reason']}"}
            )
            self.at[item["recipient"]] = time.time()
        for item in merged:
            reason = f"merged: same number and text as row {item['merged_into']}"
            self.skipped.append({**{k: item[k] for k in ("recipient", "key", "position")}, "reason": reason})
            self.at[item["recipient"]] = time.time()

    def merge(self, other: BatchReport) -> None:
        """Fold a chunk's report into this one."""
        self._sent.update(other._sent)
        self._as_dicts.update(other._as_dicts)
        self.skipped.extend(other.skipped)
        self.failed.extend(other.failed)
        self.unconfirmed.extend(other.unconfirmed)
        self._transient.extend(other._transient)
        self.recovered += other.recovered
        self.at.update(other.at)

    # ------------------------------------------------------------------ reading
    @property
    def sent(self) -> list[SendResult]:
        """Accepted results (this try and earlier ones)."""
        return list(self._sent.values())

    def results(self) -> list[dict[str, Any]]:
        """``SendResult`` dicts in input order (the task's return value)."""
        made = self._as_dicts
        return [made[r] for r in self.order if r in made]

    def accepted(self) -> list[tuple[str, SendResult]]:
        """``(identity, result)`` per accepted recipient, in input order; a row's result carries
        its key and position."""
        sent = self._sent
        found = [(r, sent[r]) for r in self.order if r in sent]
        if self.describe is None:
            return found
        return [
            (r, result if result.position is not None else self._labelled(r, result)) for r, result in found
        ]

    def _labelled(self, identity: str, result: SendResult) -> SendResult:
        """A row's result with its key and position."""
        labels = (self.describe(identity) if self.describe is not None else None) or {}
        return result.for_row(labels.get("key"), labels.get("position"))

    def ids_by_number(self) -> dict[str, set[str]]:
        """Number -> message ids of the accepted SMS to it, where rows may share a number (a
        personalised send; empty otherwise)."""
        found: dict[str, set[str]] = {}
        if self.describe is not None:
            for result in self._sent.values():
                found.setdefault(result.recipient, set()).add(result.message_id)
        return found

    def outcomes(self, name: str) -> list[dict[str, Any]]:
        """XCom ``skipped``, ``failed`` or ``unconfirmed``: each row named by its number, key and
        position (not its identity)."""
        items: list[dict[str, Any]] = getattr(self, name)
        return items if self.describe is None else [self.public(item) for item in items]

    def public(self, item: dict[str, Any]) -> dict[str, Any]:
        """An outcome entry as shown: a row's identity replaced by its number, key and position."""
        labels = self.describe(item["recipient"]) if self.describe is not None else None
        if labels is None:
            return item
        return {**labels, **{k: v for k, v in item.items() if k != "recipient"}}

    def failure_lines(self, limit: int = LISTED_FAILURES) -> list[str]:
        """One line per failed or unconfirmed recipient (masked), at most ``limit``, then a count."""
        lines = []
        for item in self.failed[:limit]:
            error = item.get("error") or {}
            code = f", code {error['code']}" if error.get("code") is not None else ""
            lines.append(f"{self._named(item)}: {item['reason']} ({error.get('error')}{code})")
        for item in self.unconfirmed[: max(0, limit - len(lines))]:
            lines.append(f"{self._named(item)}: unconfirmed")
        rest = len(self.failed) + len(self.unconfirmed) - len(lines)
        if rest > 0:
            lines.append(f"... and {rest} more")
        return lines

    def _named(self, item: dict[str, Any]) -> str:
        """A failed recipient in a log line: its masked number, and its row where it is one."""
        shown = self.public(item)
        masked = mask_number(shown["recipient"])
        return masked if "position" not in shown else f"{row_name(shown['position'], shown['key'])} {masked}"

    def error(self, hook: SmsHook, breaker: Breaker) -> SmsError:
        """The exception that fails the task: permanent (no Airflow retry) unless a retry may help."""
        counts = ", ".join(f"{n} {reason}" for reason, n in Counter(f["reason"] for f in self.failed).items())
        total = len(self._sent) + len(self.failed) + len(self.skipped) + len(self.unconfirmed)
        summary = (
            f"{len(self.failed)} of {total} recipient(s) failed"
            + (f" ({counts})" if counts else "")
            + f", {len(self.unconfirmed)} unconfirmed; {len(self._sent)} accepted, "
            f"{len(self.skipped)} skipped. " + "; ".join(self.failure_lines()) + ". "
            "Per-recipient details are in XCom 'failed' and 'unconfirmed'."
        )
        stop = breaker.error if breaker.permanent else None
        if isinstance(stop, SmsValidationError):
            return SmsValidationError(stop.problems)
        if isinstance(stop, SmsGatewayError):
            return type(stop)(
                summary,
                http_status=stop.http_status,
                code=stop.code,
                vendor_message=stop.vendor_message,
                conn_id=stop.conn_id,
            )
        if isinstance(stop, SmsConfigurationError):
            return SmsConfigurationError(summary)
        if self.unconfirmed:
            return SmsUnconfirmedError(
                summary + " The next try asks the gateway again; nothing accepted is sent twice.",
                conn_id=hook.sms_conn_id,
            )
        if any(self._transient):
            return SmsServerError(
                summary + " A retry does not send again to recipients already accepted.",
                conn_id=hook.sms_conn_id,
            )
        return SmsInvalidRequestError(summary, conn_id=hook.sms_conn_id)


def send_one_request(run: SendRun, request: PlannedRequest, *, split: bool = True) -> BatchReport:
    """Send one request with the blocking transport (:func:`journaled_request`)."""

    def send(wire: SendRequest) -> BatchSendOutcome:
        if run.limiter is not None:
            run.limiter.wait(len(wire.recipients))
        return run.hook.send_request(wire)

    return drive(journaled_request(run, request, split=split), send)


def journaled_request(
    run: SendRun, request: PlannedRequest, *, split: bool = True
) -> Generator[SendRequest, BatchSendOutcome, BatchReport]:
    """One request; every error becomes per-recipient outcomes, each one journaled.

    The request's intent is made durable first (:meth:`SendJournal.ensure_intent`); a journal
    that cannot be written stops the batch before anything leaves. A generator: it yields the
    request(s) to send and receives the hook's outcome (or has its error thrown in), so the blocking
    (:func:`send_one_request`) and the asyncio (:mod:`~airflow_provider_sms.sending.async_batch`) drivers
    classify and journal every outcome with this same code.

    :param split: when the gateway refuses a multi-number request, look for the number at fault
        (:func:`split_refused`) instead of failing them all.
    """
    chunk = list(request.recipients)
    outcome = BatchReport(())
    breaker, journal = run.breaker, run.journal
    if not breaker.stopped:
        try:
            journal.ensure_intent(request)
        except SmsJournalError as exc:
            breaker.stop(exc)
    if breaker.stopped:
        return not_attempted(run, chunk)
    at = time.time()
    try:
        sent = yield run.send.request_for(chunk, reconciliation_tag=request.tag)
    except NotAttemptedError:
        return not_attempted(run, chunk)
    except SmsOutcomeUnknownError as exc:
        journal.record_unknown(chunk, at, request.tag)
        breaker.failure(exc)
        return outcome.fail_all(chunk, "outcome_unknown", failure_entry(exc), transient=True)
    except STOPPING_ERRORS as exc:
        journal.record_not_sent(chunk)
        breaker.stop(exc)
        return outcome.fail_all(chunk, "refused", failure_entry(exc), transient=False)
    except SmsInvalidRequestError as exc:
        breaker.success()
        if split and len(chunk) > 1:
            return (yield from split_refused(run, request, exc))
        journal.record_not_sent(chunk)
        if isinstance(exc, SmsRecipientBlacklistedError) and len(chunk) == 1:
            outcome.skip(chunk[0], "blacklisted")
            return outcome
        return outcome.fail_all(chunk, "rejected", failure_entry(exc), transient=False)
    except SmsGatewayError as exc:  # rate limited, unreachable, or refused by the gateway: not sent
        journal.record_not_sent(chunk)
        breaker.failure(exc)
        reason = "rate_limited" if isinstance(exc, SmsRateLimitError) else "unavailable"
        return outcome.fail_all(chunk, reason, failure_entry(exc), transient=True)
    except Exception as exc:  # unexpected: the request may have left, so treat it as unknown
        journal.record_unknown(chunk, at, request.tag)
        breaker.failure(exc)
        return outcome.fail_all(chunk, "outcome_unknown", failure_entry(exc), transient=True)
    breaker.success()
    identity = run.send.identities(chunk)  # the gateway answers by number
    accepted = [identity[result.recipient] for result in sent.sent]
    journal.record_accepted(sent.sent, accepted)
    journal.record_not_sent([identity[number] for number in sent.blacklisted])
    for recipient, result in zip(accepted, sent.sent, strict=True):
        outcome.add(result, recipient, run.send.row_of(recipient))  # its XCom form made now, while waiting
    for number in sent.blacklisted:
        outcome.skip(identity[number], "blacklisted")
    if sent.refused:  # refused one by one while the request went through: not sent
        refused_rows(outcome, journal, [(identity[number], error) for number, error in sent.refused])
    return outcome


class NotAttemptedError(Exception):
    """Thrown into :func:`journaled_request` by a driver that held its request back: the batch
    stopped while the request waited for its turn."""


def not_attempted(run: SendRun, chunk: list[str]) -> BatchReport:
    """A request that never left because the batch stopped: journaled as not sent, failed."""
    breaker = run.breaker
    run.journal.record_not_sent(chunk)
    return BatchReport(()).fail_all(chunk, "not_attempted", breaker.reason(), transient=not breaker.permanent)


def refused_rows(outcome: BatchReport, journal: SendJournal, refused: list[tuple[str, Any]]) -> None:
    """Recipients the gateway refused on their own in an accepted request: journaled as not sent,
    reported failed (``rejected``, or ``unavailable`` where a later try may succeed)."""
    journal.record_not_sent([recipient for recipient, _ in refused])
    for recipient, error in refused:
        transient = bool(getattr(error, "transient", False))
        outcome.fail(
            recipient, "unavailable" if transient else "rejected", failure_entry(error), transient=transient
        )


def split_refused(
    run: SendRun, request: PlannedRequest, exc: SmsInvalidRequestError
) -> Generator[SendRequest, BatchSendOutcome, BatchReport]:
    """A multi-number request was refused (nothing was sent): find the number(s) at fault.

    The halves are sent on their own (each with its own intent). While one half goes through, the
    refused half is split again, so one bad number among 500 costs about 2 x 9 extra requests.
    When both halves are refused the refusal is taken as request-wide and every number of the
    request is reported.
    """
    chunk = list(request.recipients)
    middle = len(chunk) // 2
    parts = (chunk[:middle], chunk[middle:])
    journal = run.journal
    halves = [journal.extra_request(part, request.tag) for part in parts]
    reports = []
    for half in halves:
        reports.append((yield from journaled_request(run, half, split=False)))
    refused = [bool(r.failed) and all(f["reason"] == "rejected" for f in r.failed) for r in reports]
    report = BatchReport(())
    if all(refused):
        return report.fail_all(chunk, "rejected", failure_entry(exc), transient=False)
    for half, half_report, was_refused in zip(halves, reports, refused, strict=True):
        if was_refused and len(half.recipients) > 1:
            report.merge((yield from split_refused(run, half, exc)))
        else:
            report.merge(half_report)
    return report


def send_requests_threaded(
    run: SendRun,
    todo: Sequence[str],
    tags: Callable[[int], str | None],
    max_concurrency: int,
    progress: Progress | None = None,
) -> BatchReport:
    """Send ``todo`` in requests of the gateway's size, ``max_concurrency`` at a time, wave after
    wave (:class:`SendPlan`).

    :param tags: the reconciliation tag of request ``index`` (``None`` where not needed).
    :param progress: counts each request's outcomes as it finishes (task-log progress lines).
    """
    plan = SendPlan(run, todo, tags)
    results = RequestOutcomes(len(plan.requests), progress)

    def send(request: PlannedRequest) -> BatchReport:
        released, held = plan.release(request)
        if released is not None:
            held.merge(send_one_request(run, released))
        return results.done(request.index, held)

    for wave in plan.waves:
        map_bounded(send, wave, max_concurrency)
        plan.settle(results, wave)
    return results.report()


def plan_requests(
    run: SendRun, todo: Sequence[str], tags: Callable[[int], str | None]
) -> list[PlannedRequest]:
    """``todo``'s requests (:class:`SendPlan`), planned in the journal, in the order they leave."""
    return SendPlan(run, todo, tags).requests


#: Why a row waits for the next try (XCom ``failed`` ``error``).
DEFERRED = {
    "error": "Deferred",
    "message": "an earlier SMS to the same number has an unknown outcome: sent by a later try, once settled",
    "http_status": None,
    "code": None,
}


class SendPlan:
    """A try's requests, in waves (:meth:`ValidatedSend.plan_waves`: one text per request unless
    the gateway takes several, a number at most once in a request), planned in the journal.

    Where rows share a number, its n-th row goes in wave n, sent once every request of wave n-1
    has its outcome; a row whose number has an earlier SMS of unknown outcome in this try (or an
    unconfirmed one) waits for the next try (``deferred``), which settles that one first. So the
    gateway's records (the latest message to a number, the numbers under a tag) never hold two
    SMS of ours to one number whose outcomes are both open. One-text sends have one wave.
    """

    def __init__(self, run: SendRun, todo: Sequence[str], tags: Callable[[int], str | None]) -> None:
        capabilities, send = run.hook.capabilities, run.send
        waves = send.plan_waves(todo, run.hook.max_recipients_per_send, capabilities.max_texts_per_request)
        chunks = [chunk for wave in waves for chunk in wave]
        self.run = run
        self.requests = run.journal.plan(chunks, [tags(i) for i in range(len(chunks))])
        bounds = [0]
        for wave in waves:
            bounds.append(bounds[-1] + len(wave))
        self.waves = [self.requests[start:end] for start, end in zip(bounds, bounds[1:], strict=False)]
        self.blocked: set[str] = set()
        if len(waves) > 1:
            self.blocked = {send.number_of(item["recipient"]) for item in run.report.unconfirmed}

    def release(self, request: PlannedRequest) -> tuple[PlannedRequest | None, BatchReport]:
        """What of ``request`` may leave now (``None``: nothing), and the report of what waits."""
        held = BatchReport(())
        if not self.blocked:
            return request, held
        number_of, journal = self.run.send.number_of, self.run.journal
        waiting = [r for r in request.recipients if number_of(r) in self.blocked]
        if not waiting:
            return request, held
        journal.record_not_sent(waiting)
        held.fail_all(waiting, "deferred", DEFERRED, transient=True)
        free = tuple(r for r in request.recipients if number_of(r) not in self.blocked)
        return (replace(request, recipients=free) if free else None), held

    def settle(self, results: RequestOutcomes, wave: Sequence[PlannedRequest]) -> None:
        """After ``wave``: the numbers it left with an unknown outcome hold their next rows."""
        if wave is self.waves[-1]:
            return
        number_of = self.run.send.number_of
        for request in wave:
            for item in results.outcomes[request.index].failed:
                if item["reason"] == "outcome_unknown":
                    self.blocked.add(number_of(item["recipient"]))


class RequestOutcomes:
    """The outcomes of a batch's requests, run by :func:`send_requests_threaded` and its async twin: each
    counted in ``progress`` as it finishes, all merged in request order by :meth:`report`."""

    def __init__(self, requests: int, progress: Progress | None) -> None:
        self.outcomes = [BatchReport(())] * requests
        self.progress = progress

    def done(self, index: int, outcome: BatchReport) -> BatchReport:
        """Request ``index`` finished with ``outcome`` (safe from the fan-out's threads)."""
        self.outcomes[index] = outcome
        if self.progress is not None:
            self.progress.add(len(outcome.sent), len(outcome.skipped), len(outcome.failed))
        return outcome

    def report(self) -> BatchReport:
        """Every request's outcomes merged, in request order."""
        report = BatchReport(())
        for outcome in self.outcomes:
            report.merge(outcome)
        return report
