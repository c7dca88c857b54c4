"""The retry journal's parts: what one record holds, and how a reader folds parts into the state of
every recipient. Pure: no store, no Airflow.

A part is ``{"format": 3, "try": n, "accepted": ..., "unknown": ..., "not_sent": ..., "intents": ...}``:

* ``accepted``: ``{hash: [message_id, credits, segments]}``, accepted by the gateway;
* ``unknown``: ``{hash: [started_at, tag]}`` (format 1: ``started_at`` alone), a request that
  left with no clear reply;
* ``not_sent``: ``[hash]``, plainly not sent (refused, blacklisted, not attempted);
* ``intents``: ``{request key: [tag, started_at, [hash]]}``, requests about to leave;
* ``planned`` (optional): how many recipients the try's plan holds, in the first part after it
  planned (readers that fold entries ignore it; the SMS view shows it).

Within a part, ``not_sent`` is older than ``intents`` (a refused request is split and its halves'
intents written after), and ``intents`` older than ``accepted`` and ``unknown``. An acceptance is
never demoted. Formats 1 and 2 wrote the same under one-letter keys (``v``, ``a``, ``u``, ``n``,
``i``): a reader takes both, so a retry after an upgrade still finds what the earlier try sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ACCEPTED = "accepted"
UNKNOWN = "unknown"
FORMAT = 3
#: This format's keys, and the one-letter keys formats 1 and 2 used for them.
FORMAT_KEY, TRY, ACCEPTED_KEY, UNKNOWN_KEY, NOT_SENT_KEY, INTENTS_KEY = (
    "format",
    "try",
    "accepted",
    "unknown",
    "not_sent",
    "intents",
)
PLANNED_KEY = "planned"
_FORMAT_2_KEYS = {FORMAT_KEY: "v", ACCEPTED_KEY: "a", UNKNOWN_KEY: "u", NOT_SENT_KEY: "n", INTENTS_KEY: "i"}
#: Entries per snapshot part (about 40 bytes each: far below the stores' 64 KB advisory size).
SNAPSHOT_ENTRIES = 1200


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """What earlier tries recorded for one recipient.

    :param status: ``"accepted"`` or ``"unknown"``.
    :param message_id: the gateway's id (accepted only).
    :param credits_used: as in :class:`~airflow_provider_sms.model.results.SendResult`.
    :param segments: as in :class:`~airflow_provider_sms.model.results.SendResult`.
    :param at: epoch seconds when the request of unknown outcome was about to leave.
    :param try_number: the try that recorded it.
    :param tag: the reconciliation tag that request carried, if any.
    :param in_flight: an intent without an outcome: the try ended (a crash) with the request
        possibly in flight, so it may have left any time after ``at``; else the request's lost
        reply was recorded, and ``at`` is when it left.
    """

    status: str
    message_id: str | None = None
    credits_used: float | None = None
    segments: int | None = None
    at: float | None = None
    try_number: int | None = None
    tag: str | None = None
    in_flight: bool = False


@dataclass(frozen=True, slots=True)
class PlannedRequest:
    """One send request of this try: its recipients and its reconciliation tag."""

    index: int
    recipients: tuple[str, ...]
    tag: str | None = None


def part_field(value: dict[str, Any], key: str) -> Any:
    """A part's field under this format's key, or under the one-letter key of formats 1 and 2."""
    found = value.get(key)
    return found if found is not None else value.get(_FORMAT_2_KEYS.get(key, key))


def apply_part(entries: dict[str, JournalEntry], value: dict[str, Any]) -> None:
    """Fold one part into ``entries`` (recipient hash -> what earlier tries recorded)."""
    try_number = value.get(TRY)
    # Within a part, "not sent" outcomes are older than its intents (a refused request is
    # split and its halves' intents written after), intents older than its other outcomes.
    for digest in part_field(value, NOT_SENT_KEY) or ():
        if entries.get(digest, JournalEntry(UNKNOWN)).status != ACCEPTED:
            entries.pop(digest, None)
    for tag, at, digests in (part_field(value, INTENTS_KEY) or {}).values():
        for digest in digests:
            if entries.get(digest, JournalEntry(UNKNOWN)).status != ACCEPTED:
                entries[digest] = JournalEntry(
                    UNKNOWN, at=float(at), try_number=try_number, tag=tag, in_flight=True
                )
    for digest, (message_id, credits, segments) in (part_field(value, ACCEPTED_KEY) or {}).items():
        entries[digest] = JournalEntry(ACCEPTED, message_id, credits, segments, None, try_number)
    for digest, recorded in (part_field(value, UNKNOWN_KEY) or {}).items():
        at, tag = recorded if isinstance(recorded, list) else (recorded, None)
        entry = entries.get(digest)
        if entry is None or entry.status != ACCEPTED:
            tag = tag if tag is not None else entry.tag if entry is not None else None
            entries[digest] = JournalEntry(UNKNOWN, at=float(at), try_number=try_number, tag=tag)


def snapshot_parts(entries: dict[str, JournalEntry], try_number: int) -> list[dict[str, Any]]:
    """The state in ``entries`` as parts a reader folds back to the same state."""
    accepted = [(d, e) for d, e in entries.items() if e.status == ACCEPTED]
    unknown = [(d, e) for d, e in entries.items() if e.status != ACCEPTED and e.in_flight]
    lost = [(d, e) for d, e in entries.items() if e.status != ACCEPTED and not e.in_flight]
    parts: list[dict[str, Any]] = []
    for start in range(0, len(accepted), SNAPSHOT_ENTRIES):
        chunk = accepted[start : start + SNAPSHOT_ENTRIES]
        parts.append(
            {
                FORMAT_KEY: FORMAT,
                TRY: try_number,
                ACCEPTED_KEY: {d: [e.message_id, e.credits_used, e.segments] for d, e in chunk},
            }
        )
    groups: dict[tuple[str | None, float], list[str]] = {}
    for digest, entry in unknown:
        groups.setdefault((entry.tag, entry.at or 0.0), []).append(digest)
    batch: dict[str, Any] = {}
    size = 0
    for number, ((tag, at), digests) in enumerate(groups.items()):
        for start in range(0, len(digests), SNAPSHOT_ENTRIES):
            piece = digests[start : start + SNAPSHOT_ENTRIES]
            if batch and size + len(piece) > SNAPSHOT_ENTRIES:
                parts.append({FORMAT_KEY: FORMAT, TRY: try_number, ACCEPTED_KEY: {}, INTENTS_KEY: batch})
                batch, size = {}, 0
            batch[f"snapshot.{number}.{start}"] = [tag, at, piece]
            size += len(piece)
    if batch:
        parts.append({FORMAT_KEY: FORMAT, TRY: try_number, ACCEPTED_KEY: {}, INTENTS_KEY: batch})
    for start in range(0, len(lost), SNAPSHOT_ENTRIES):
        chunk = lost[start : start + SNAPSHOT_ENTRIES]
        replies = {d: [e.at or 0.0, e.tag] for d, e in chunk}
        parts.append({FORMAT_KEY: FORMAT, TRY: try_number, ACCEPTED_KEY: {}, UNKNOWN_KEY: replies})
    return parts
