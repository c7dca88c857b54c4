"""Which inbound SMS a reply sensor or an inbound trigger reports: the reply filter, and the ids a
trigger has already turned into events. Pure: no I/O.

:class:`ReplyFilter` decides which replies a :class:`~airflow_provider_sms.sensors.reply.SmsReplySensor`
waits for (its ``poke()`` and its trigger apply the same rule); :class:`InboundCursor` is what
:class:`~airflow_provider_sms.triggers.inbound.SmsInboundTrigger` remembers between polls.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from airflow_provider_sms.rules.clock import as_aware

if TYPE_CHECKING:
    from airflow_provider_sms.model.results import InboundMessage


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
