"""The data model: vendor-neutral results returned by both hooks, and the inbound SMS they read.

They are small frozen dataclasses; ``to_dict()`` gives plain JSON values, so operators push them to
XCom unchanged and ``from_dict()`` reads them back (for example in the delivery sensor).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

#: Normalised delivery states (the vendor's raw state is kept beside it).
DeliveryState = Literal["pending", "delivered", "error", "bounced", "unsubscribed"]
FINAL_STATES: frozenset[DeliveryState] = frozenset({"delivered", "error", "bounced", "unsubscribed"})

#: The XCom key of a task's return value (Airflow's own), where operators push their results.
XCOM_RETURN_KEY = "return_value"

ListType = Literal["unsubscribers", "bounces"]
LIST_TYPES: tuple[str, ...] = ("unsubscribers", "bounces")


class _DictMixin:
    __slots__ = ()  # the results are slotted: no per-object __dict__ (100,000 of them in a big send)

    def to_dict(self) -> dict[str, Any]:
        """Return the result as a plain JSON-serialisable dict."""
        return asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls, data: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Build the result from ``to_dict()`` output, ignoring unknown keys."""
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass(frozen=True, slots=True)
class SendResult(_DictMixin):
    """One recipient's accepted message.

    :param message_id: the gateway's id (Primotexto ``snapshotId``, SMS Partner ``message_id``),
        always a string. On SMS Partner one id covers every number of one request.
    :param recipient: the number in E.164.
    :param credits_used: what the gateway charged for this recipient (Primotexto credits, SMS
        Partner EUR cost split evenly across the request's numbers); ``None`` when not reported.
    :param segments: SMS parts billed for this recipient.
    :param vendor: ``"primotexto"`` or ``"smspartner"``.
    :param category: the send's category (Primotexto) or tag, when it had one: the delivery sensor
        then reads the category's figures before asking about each message.
    :param key: the pipeline's key of the row this SMS was sent for (personalised sends).
    :param position: the row's index in the send's input (0-based; personalised sends).
    """

    message_id: str
    recipient: str
    credits_used: float | None = None
    segments: int | None = None
    vendor: str = ""
    category: str | None = None
    key: str | int | None = None
    position: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """A plain JSON dict; ``key`` and ``position`` only for a row of a personalised send."""
        data = {
            "message_id": self.message_id,
            "recipient": self.recipient,
            "credits_used": self.credits_used,
            "segments": self.segments,
            "vendor": self.vendor,
            "category": self.category,
        }
        if self.position is not None:
            data["key"], data["position"] = self.key, self.position
        return data

    def for_row(self, key: str | int | None, position: int | None) -> SendResult:
        """This result labelled with its row's key and position (``dataclasses.replace``, without
        its per-call cost: a send labels every one of its results)."""
        return SendResult(
            self.message_id,
            self.recipient,
            self.credits_used,
            self.segments,
            self.vendor,
            self.category,
            key,
            position,
        )


@dataclass(frozen=True, slots=True)
class DeliveryStatus(_DictMixin):
    """Where one message stands.

    :param state: normalised state, one of :data:`DeliveryState`.
    :param vendor_state: the gateway's raw state (``"Delivered"``, ``"submitted"``...).
    :param updated_at: ISO-8601 UTC time of the last change, when the gateway reports one.
    """

    message_id: str | None
    recipient: str | None
    state: DeliveryState
    vendor_state: str | None = None
    updated_at: str | None = None

    @property
    def is_final(self) -> bool:
        """True once the message cannot change state any more (delivered or failed)."""
        return self.state in FINAL_STATES


@dataclass(frozen=True, slots=True)
class BlacklistEntry(_DictMixin):
    """One number on a STOP (``unsubscribers``) or bounce (``bounces``) list."""

    id: str
    recipient: str


#: What came in: a reply (any text a recipient sent back) or a STOP (the number joined the STOP list).
InboundKind = Literal["reply", "stop"]
INBOUND_KINDS: tuple[InboundKind, ...] = ("reply", "stop")


@dataclass(frozen=True)
class InboundMessage:
    """One inbound SMS.

    :param kind: ``"reply"`` or ``"stop"``.
    :param message_id: the gateway's id (a reply id, or the STOP-list entry id).
    :param number: the sender, in E.164 as the gateway gives it.
    :param text: the reply's text (``None`` for a STOP read off the list).
    :param category: the category the reply was filed under, when known.
    :param received_at: ISO 8601 UTC time, when the gateway tells it.
    """

    kind: InboundKind
    message_id: str
    number: str
    text: str | None = None
    category: str | None = None
    received_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (full number and text: for XCom, never for logs)."""
        return asdict(self)


#: What a cancel request did to one scheduled send: ``cancelled`` and ``already_cancelled`` are
#: success (cancelling is idempotent); ``too_late`` (the send is due within the gateway's margin),
#: ``already_sent`` and ``not_found`` are not.
CancelOutcome = Literal["cancelled", "already_cancelled", "too_late", "already_sent", "not_found"]
CANCEL_SUCCESS: frozenset[str] = frozenset({"cancelled", "already_cancelled"})


@dataclass(frozen=True)
class CancelResult:
    """The outcome of cancelling one scheduled send (one gateway message id).

    :param message_id: the gateway's id of the send.
    :param outcome: see :data:`CancelOutcome`.
    :param code: the gateway's code when it refused, else ``None``.
    """

    message_id: str
    outcome: CancelOutcome
    code: int | None = None

    @property
    def ok(self) -> bool:
        """Whether the send will not go out (cancelled now or before)."""
        return self.outcome in CANCEL_SUCCESS

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (ids and outcome only: no number, no text)."""
        return {**asdict(self), "ok": self.ok}


@dataclass
class BatchSendOutcome:
    """What a gateway did with one send request that may cover several recipients.

    :param sent: one :class:`SendResult` per accepted recipient.
    :param blacklisted: E.164 numbers the gateway refused because they are on a STOP or bounce
        list; nothing was sent to them.
    :param refused: ``(number, error)`` for each number the gateway refused on its own while
        accepting others of the same request (nothing was sent to it); ``error`` is an
        :class:`~airflow_provider_sms.exceptions.SmsGatewayError`.
    """

    sent: list[SendResult] = field(default_factory=list)
    blacklisted: list[str] = field(default_factory=list)
    refused: list[tuple[str, Any]] = field(default_factory=list)
