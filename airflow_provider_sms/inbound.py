"""Inbound SMS (replies and STOPs): the record, the reply filter, and the trigger's cursor.

Pure: no I/O. The hooks build :class:`InboundMessage` records, :class:`ReplyFilter` decides which
replies a :class:`~airflow_provider_sms.sensors.reply.SmsReplySensor` waits for (its ``poke()`` and
its trigger apply the same rule), and :class:`InboundCursor` is what
:class:`~airflow_provider_sms.triggers.inbound.SmsInboundTrigger` remembers between polls.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

from airflow_provider_sms.rules.numbers import mask_number, normalize_number

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

    def event_payload(self, sms_conn_id: str) -> dict[str, Any]:
        """What a trigger event may carry: no text, the number masked."""
        return {
            "kind": self.kind,
            "message_id": self.message_id,
            "number": mask_number(self.number),
            "category": self.category,
            "received_at": self.received_at,
            "sms_conn_id": sms_conn_id,
        }


def epoch_of_object_id(value: object) -> float | None:
    """Creation time (epoch seconds) held by a 24-hex Mongo-style id's first 8 digits, else ``None``."""
    text = str(value or "")
    if not re.fullmatch(r"[0-9a-fA-F]{24}", text):
        return None
    return float(int(text[:8], 16))


def iso_from_epoch(epoch: float | None) -> str | None:
    """ISO 8601 UTC text of an epoch, ``None`` stays ``None``."""
    return None if epoch is None else datetime.fromtimestamp(epoch, timezone.utc).isoformat()


def as_aware(value: datetime | str | None) -> datetime | None:
    """An aware datetime from a datetime or ISO text (naive means UTC)."""
    if value is None or value == "":
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def normalize_numbers(raw: object) -> list[str]:
    """One number, a list, or comma-separated text to E.164 (de-duplicated, order kept).

    :raises ValueError: naming the position of each unreadable entry (never the number).
    """
    items: Iterable[Any] = raw.split(",") if isinstance(raw, str) else raw  # type: ignore[assignment]
    if not isinstance(items, Iterable):
        raise ValueError(f"numbers must be a number or a list of numbers, got {type(raw).__name__}")
    found: list[str] = []
    problems: list[str] = []
    for index, item in enumerate(items):
        try:
            number = normalize_number(str(item).strip())
        except ValueError as exc:
            problems.append(f"numbers[{index}] ({mask_number(str(item))}): {exc}")
            continue
        if number not in found:
            found.append(number)
    if problems:
        raise ValueError("; ".join(problems))
    return found


@dataclass(frozen=True)
class ReplyFilter:
    """Which replies count: from one of ``numbers`` (all when empty), received at or after
    ``since`` (to the second: the gateway's times have no fraction; a reply without a time
    passes), with text matching ``pattern`` (``re.search``; any text when ``None``)."""

    numbers: tuple[str, ...] = ()
    pattern: str | None = None
    since: str | None = None

    def matches(self, reply: InboundMessage) -> bool:
        """Whether ``reply`` is one the sensor waits for."""
        if reply.kind != "reply" or (self.numbers and reply.number not in self.numbers):
            return False
        since, received = as_aware(self.since), as_aware(reply.received_at)
        if since is not None and received is not None and int(received.timestamp()) < int(since.timestamp()):
            return False
        return self.pattern is None or re.search(self.pattern, reply.text or "") is not None

    def select(self, replies: Iterable[InboundMessage]) -> list[InboundMessage]:
        """The matching replies, in the gateway's order."""
        return [r for r in replies if self.matches(r)]


@dataclass
class InboundCursor:
    """The ids already turned into events, per kind (JSON-ready through :meth:`to_json`).

    Only ids the gateway still lists are kept (:meth:`prune`), so the set stays as small as the
    gateway's own lists; a number that leaves the STOP list and comes back gets a new entry id, so
    its new STOP is a new event.
    """

    seen: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_json(cls, value: object) -> InboundCursor:
        """Rebuild from :meth:`to_json` output; anything else gives an empty cursor."""
        if not isinstance(value, Mapping):
            return cls()
        return cls({str(k): [str(i) for i in v] for k, v in value.items() if isinstance(v, list)})

    def to_json(self) -> dict[str, list[str]]:
        """The cursor as JSON (a dict of lists of ids)."""
        return {kind: list(ids) for kind, ids in self.seen.items()}

    def new(self, kind: str, messages: Sequence[InboundMessage]) -> list[InboundMessage]:
        """``messages`` not seen yet, in order, each id once."""
        known = set(self.seen.get(kind, ()))
        fresh: list[InboundMessage] = []
        for message in messages:
            if message.message_id not in known:
                known.add(message.message_id)
                fresh.append(message)
        return fresh

    def mark(self, kind: str, message_id: str) -> None:
        """Remember that ``message_id`` was turned into an event."""
        ids = self.seen.setdefault(kind, [])
        if message_id not in ids:
            ids.append(message_id)

    def prune(self, kind: str, listed: Iterable[str]) -> bool:
        """Forget ids the gateway no longer lists; ``True`` when something was forgotten."""
        present = set(listed)
        ids = self.seen.get(kind, [])
        kept = [i for i in ids if i in present]
        self.seen[kind] = kept
        return len(kept) != len(ids)
