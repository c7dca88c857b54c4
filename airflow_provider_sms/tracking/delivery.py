"""Delivery tracking shared by the sensor and the trigger: one tracker, one classifier, no Airflow.

:class:`~airflow_provider_sms.sensors.delivery.SmsDeliverySensor` (``poke()``) and
:class:`~airflow_provider_sms.triggers.delivery.SmsDeliveryTrigger` (``run()``) both keep a
:class:`DeliveryTracker`: it knows which messages are still pending, keeps the final statuses so
they are never asked about again, applies the transient-error rule and the backoff, and decides
with :func:`classify`, so the poke path and the deferred path cannot disagree on when a set of
messages is done, succeeded or failed. They differ only in the one gateway call
(:meth:`DeliveryTracker.poll` / :meth:`DeliveryTracker.apoll`) and in how they wait.

What the DAG author hands the sensor is read by :mod:`airflow_provider_sms.rules.messages`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from airflow_provider_sms.exceptions import (
    SmsGatewayError,
)
from airflow_provider_sms.model.results import FINAL_STATES, DeliveryStatus
from airflow_provider_sms.rules.messages import MessageRef, RefKey, ref_key
from airflow_provider_sms.rules.numbers import mask_number
from airflow_provider_sms.tracking.figures_gate import FiguresGate

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

#: States that fail the sensor unless the DAG author says otherwise.
DEFAULT_FAILURE_STATES: tuple[str, ...] = ("error", "bounced", "unsubscribed")
#: Shortest pause between two polls of the trigger, whatever ``poke_interval`` says (no hot loop).
MIN_POLL_INTERVAL = 0.1
#: Default cap, in seconds, of the trigger's backoff after rate limits and transient failures.
DEFAULT_MAX_BACKOFF = 60.0
#: How many failed messages a failure message names before it says "and N more".
MAX_LISTED = 20

Verdict = Literal["pending", "success", "failure"]


# ---------------------------------------------------------------------------------------------- verdict
def as_status(item: DeliveryStatus | Mapping[str, Any]) -> DeliveryStatus:
    """Accept a :class:`DeliveryStatus` or its ``to_dict()`` form."""
    if isinstance(item, DeliveryStatus):
        return item
    return DeliveryStatus.from_dict(dict(item))


@dataclass(frozen=True)
class DeliveryOutcome:
    """Where a set of tracked messages stands.

    :param verdict: ``pending`` while any message is not final; then ``failure`` when any final
        state is in ``failure_states``, else ``success``.
    :param statuses: every status, in input order.
    :param pending: the statuses that are not final yet.
    :param failed: the final statuses whose state is a failure state.
    """

    verdict: Verdict
    statuses: tuple[DeliveryStatus, ...] = ()
    pending: tuple[DeliveryStatus, ...] = ()
    failed: tuple[DeliveryStatus, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        """True once every message is final."""
        return self.verdict != "pending"

    def to_dicts(self) -> list[dict[str, Any]]:
        """The statuses as JSON-ready dicts (what goes to XCom and into trigger events)."""
        return [s.to_dict() for s in self.statuses]

    def to_dicts_marked(self) -> list[dict[str, Any]]:
        """:meth:`to_dicts`, each with ``"final"``: ``False`` for a message still not final (its
        state is the last one seen), what a wait returns at its deadline."""
        return [{**s.to_dict(), "final": s.is_final} for s in self.statuses]

    def at_deadline(self, failure_states: Iterable[str]) -> DeliveryOutcome:
        """This outcome judged at a deadline: the final messages in ``failure_states`` are its
        ``failed``; the pending ones stay pending."""
        fail_on = frozenset(failure_states)
        failed = tuple(s for s in self.statuses if s.is_final and s.state in fail_on)
        return DeliveryOutcome(self.verdict, self.statuses, self.pending, failed, self.counts)


def classify(
    statuses: Iterable[DeliveryStatus | Mapping[str, Any]],
    failure_states: Iterable[str] = DEFAULT_FAILURE_STATES,
) -> DeliveryOutcome:
    """Decide whether the tracked messages are done: the one rule the sensor and the trigger share.

    The sensor finishes only when **every** message is final. Then it fails when any of them ended in
    one of ``failure_states``, and succeeds otherwise (so ``failure_states=()`` means "succeed once
    all are final, whatever the outcome"). An empty set of messages is a success.
    """
    items = tuple(as_status(s) for s in statuses)
    fail_on = frozenset(failure_states)
    counts: dict[str, int] = {}
    for status in items:
        counts[status.state] = counts.get(status.state, 0) + 1
    pending = tuple(s for s in items if not s.is_final)
    if pending:
        return DeliveryOutcome("pending", items, pending, (), counts)
    failed = tuple(s for s in items if s.state in fail_on)
    return DeliveryOutcome("failure" if failed else "success", items, (), failed, counts)


def describe_counts(outcome: DeliveryOutcome) -> str:
    """``"3 delivered, 1 bounced, 2 pending"`` (no numbers, safe to log)."""
    if not outcome.counts:
        return "no messages"
    return ", ".join(f"{n} {state}" for state, n in sorted(outcome.counts.items()))


def failure_summary(outcome: DeliveryOutcome, limit: int = MAX_LISTED) -> str:
    """Say which messages failed, numbers masked (for the exception text and the log)."""
    failed = outcome.failed
    listed = [
        f"{mask_number(s.recipient) if s.recipient else '<no number>'} "
        f"(message {s.message_id}): {s.state}" + (f" [{s.vendor_state}]" if s.vendor_state else "")
        for s in failed[:limit]
    ]
    if len(failed) > limit:
        listed.append(f"... and {len(failed) - limit} more")
    return (
        f"{len(failed)} of {len(outcome.statuses)} SMS ended in a failure state "
        f"({describe_counts(outcome)}): " + "; ".join(listed)
    )


def merge_statuses(
    messages: Iterable[Mapping[str, Any]],
    *known: Iterable[DeliveryStatus | Mapping[str, Any]],
) -> list[DeliveryStatus]:
    """Statuses for ``messages`` in their order, taking the latest known status of each.

    Later sources win. A message no source knows about is ``pending``.
    """
    latest: dict[RefKey, DeliveryStatus] = {}
    for source in known:
        for item in source:
            status = as_status(item)
            latest[ref_key(status.to_dict())] = status
    result = []
    for message in messages:
        key = ref_key(message)
        result.append(latest.get(key) or DeliveryStatus(key[0], key[1], "pending"))
    return result


def backoff_delay(failures: int, poke_interval: float, retry_after: float | None, cap: float) -> float:
    """Pause after ``failures`` consecutive failed polls: doubling from ``poke_interval``, never
    shorter than the gateway's ``Retry-After``, never longer than ``cap`` (nor shorter than the
    minimum poll interval)."""
    base = max(poke_interval, MIN_POLL_INTERVAL)
    delay = base * 2 ** max(failures, 1)
    if retry_after is not None:
        delay = max(delay, float(retry_after))
    return max(MIN_POLL_INTERVAL, min(delay, cap))


# ---------------------------------------------------------------------------------------------- tracker
@runtime_checkable
class StatusSource(Protocol):
    """What :meth:`DeliveryTracker.poll` needs of a hook."""

    def get_delivery_statuses(self, messages: Sequence[Mapping[str, Any]]) -> list[DeliveryStatus]: ...


class AsyncStatusSource(Protocol):
    """What :meth:`DeliveryTracker.apoll` needs of a hook."""

    async def aget_delivery_statuses(self, messages: Sequence[Mapping[str, Any]]) -> list[DeliveryStatus]: ...


def event_statuses(outcome: DeliveryOutcome) -> list[dict[str, Any]]:
    """Statuses for a trigger event, by position in the tracked messages and without the phone
    number (the triggerer logs every event it fires); :meth:`DeliveryTracker.from_event` joins
    the numbers back."""
    return [
        {
            "index": index,
            "message_id": status.message_id,
            "state": status.state,
            "vendor_state": status.vendor_state,
            "updated_at": status.updated_at,
        }
        for index, status in enumerate(outcome.statuses)
    ]


class DeliveryTracker:
    """The bookkeeping of one wait: what is still pending, what is final, where the set stands.

    Final statuses are kept and never asked about again; each poll asks the gateway only about
    :meth:`pending` messages and classifies **every** message (:attr:`outcome`), with the statuses
    just read for the pending ones. A transient gateway error (rate limit, server or transport
    failure) is not a verdict: the outcome stays as last seen, the error is kept in
    :attr:`last_error` (the trigger re-raises it to back off), and the next poll tries again. Any
    other error propagates. While the figures of the messages' categories stand still, no message
    is asked about (:mod:`.figures_gate`).

    :param messages: every tracked message, as ``{"message_id", "recipient"}`` dicts.
    :param failure_states: final states that make the outcome a failure.
    :param final_statuses: statuses already known (``DeliveryStatus`` or dicts); the final ones are
        kept, the others ignored.
    :param gate: the figures gate (default: a new one on monotonic time).
    """

    def __init__(
        self,
        messages: Iterable[Mapping[str, Any]],
        failure_states: Iterable[str] = DEFAULT_FAILURE_STATES,
        final_statuses: Iterable[DeliveryStatus | Mapping[str, Any]] = (),
        gate: FiguresGate | None = None,
    ) -> None:
        self.messages: list[MessageRef] = [dict(m) for m in messages]
        self.failure_states: tuple[str, ...] = tuple(failure_states)
        #: Final statuses by ``(message_id, recipient)``.
        self.final: dict[RefKey, DeliveryStatus] = {}
        #: Polls recorded so far, answered or failed transiently.
        self.polls = 0
        #: Consecutive failed polls (0 after a poll the gateway answered).
        self.failures = 0
        #: The transient error of the last poll, ``None`` when the gateway answered.
        self.last_error: SmsGatewayError | None = None
        #: Skips per-message requests while a send's figures stand still.
        self.gate = gate if gate is not None else FiguresGate()
        self._keep_final(final_statuses)
        #: Where every message stands after the last answered poll (before any: the known finals).
        self.outcome: DeliveryOutcome = self._classify(())

    # ------------------------------------------------------------------ state
    def pending(self) -> list[MessageRef]:
        """The messages still to ask about (not known to be final), in input order."""
        return [m for m in self.messages if ref_key(m) not in self.final]

    def from_event(self, items: Iterable[Mapping[str, Any]]) -> list[DeliveryStatus]:
        """Statuses from :func:`event_statuses` output, numbers joined back from :attr:`messages`."""
        joined = []
        for item in items:
            index = item.get("index")
            if not isinstance(index, int) or not 0 <= index < len(self.messages):
                joined.append(as_status(item))  # a full status (an older trigger's event)
                continue
            ref = self.messages[index]
            joined.append(
                DeliveryStatus(
                    message_id=item.get("message_id") or ref.get("message_id"),
                    recipient=ref.get("recipient"),
                    state=item["state"],
                    vendor_state=item.get("vendor_state"),
                    updated_at=item.get("updated_at"),
                )
            )
        return joined

    def results(self, outcome: DeliveryOutcome | None = None) -> list[dict[str, Any]]:
        """``outcome``'s statuses (default: the last one) as dicts, in input order, each with the
        ``key`` and ``position`` of its message where it has them (a personalised send's rows)."""
        statuses = (outcome or self.outcome).to_dicts()
        for status, message in zip(statuses, self.messages, strict=False):
            if "position" in message:
                status["key"], status["position"] = message.get("key"), message["position"]
        return statuses

    def final_statuses(self) -> list[dict[str, Any]]:
        """The statuses known to be final, as dicts (what the sensor hands the trigger)."""
        return [s.to_dict() for s in self.final.values()]

    def final_by_index(self) -> list[dict[str, Any]]:
        """The final statuses in :func:`event_statuses` form (position, no number), for
        :meth:`restore_final` in another process."""
        return [item for item in event_statuses(self.outcome) if item["state"] in FINAL_STATES]

    def restore_final(self, items: Iterable[Mapping[str, Any]]) -> DeliveryOutcome:
        """Take back :meth:`final_by_index` output (of the same messages) and reclassify."""
        self._keep_final(self.from_event(items))
        self.outcome = self._classify(())
        return self.outcome

    def record(self, statuses: Iterable[DeliveryStatus | Mapping[str, Any]]) -> DeliveryOutcome:
        """Take the gateway's answer: keep the final statuses, classify every message."""
        answered = [as_status(s) for s in statuses]
        self._keep_final(answered)
        self.gate.record_pass()
        self.polls += 1
        self.failures, self.last_error = 0, None
        self.outcome = self._classify(answered)
        return self.outcome

    def record_idle(self) -> DeliveryOutcome:
        """A poll whose figures did not move (no per-message request): the outcome is kept."""
        self.polls += 1
        self.failures, self.last_error = 0, None
        return self.outcome

    def record_failure(self, exc: SmsGatewayError) -> DeliveryOutcome:
        """Apply the transient-error rule: count a transient failure and keep the last outcome;
        re-raise a permanent one."""
        if not exc.transient:
            raise exc
        self.polls += 1
        self.failures += 1
        self.last_error = exc
        return self.outcome

    # ------------------------------------------------------------------ polls
    def poll(self, hook: StatusSource | Callable[[], StatusSource]) -> DeliveryOutcome:
        """Ask ``hook`` about the pending messages (none asked when none is pending) and record it.

        :param hook: the hook, or a zero-argument callable returning it, called only when a message
            is pending (so a sensor with nothing to ask never reads its connection).
        """
        refs = self.pending()
        if not refs:
            return self.record(())
        source = hook if isinstance(hook, StatusSource) else hook()
        try:
            if self.gate.nothing_moved(source, refs):
                return self.record_idle()
            statuses = source.get_delivery_statuses(refs)
        except SmsGatewayError as exc:
            return self.record_failure(exc)
        return self.record(statuses)

    async def apoll(self, hook: AsyncStatusSource) -> DeliveryOutcome:
        """Async twin of :meth:`poll` (``await hook.aget_delivery_statuses``), for the trigger."""
        refs = self.pending()
        if not refs:
            return self.record(())
        try:
            if await self.gate.anothing_moved(hook, refs):
                return self.record_idle()
            statuses = await hook.aget_delivery_statuses(refs)
        except SmsGatewayError as exc:
            return self.record_failure(exc)
        return self.record(statuses)

    # ------------------------------------------------------------------ internals
    def _keep_final(self, statuses: Iterable[DeliveryStatus | Mapping[str, Any]]) -> None:
        for item in statuses:
            status = as_status(item)
            if status.is_final:
                self.final[ref_key(status.to_dict())] = status

    def _classify(self, latest: Iterable[DeliveryStatus]) -> DeliveryOutcome:
        return classify(merge_statuses(self.messages, self.final.values(), latest), self.failure_states)
