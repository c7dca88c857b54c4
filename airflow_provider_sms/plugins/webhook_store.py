"""Where the reply webhook keeps what gateways post: one table of the provider's own in Airflow's
metadata database, written and read only by the api-server.

The table (:data:`EVENTS`, ``sms_provider_webhook_events``) is created on first use
(``CREATE TABLE IF NOT EXISTS`` through SQLAlchemy's ``create_all``); Airflow's migrations do not
know it, and ``airflow db reset`` leaves it (drop it by hand). One row per event; the unique key
(connection, event key) makes a redelivered post one event. Numbers are stored as received, in
E.164, with the text: both are personal data, kept :data:`RETENTION_DAYS` days (older rows of a
connection are deleted when it receives a new one). ``docs/inbound.md`` has the whole path.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    delete,
    insert,
    select,
)
from sqlalchemy.exc import OperationalError, ProgrammingError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from airflow_provider_sms.hooks.webhook_link import InboundPost

#: Days an event is kept.
RETENTION_DAYS = 30

METADATA = MetaData()
EVENTS = Table(
    "sms_provider_webhook_events",
    METADATA,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("conn_id", String(250), nullable=False),
    Column("event_key", String(64), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("number", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("reference", String(64), nullable=False),
    Column("received_at", Float, nullable=False),
    UniqueConstraint("conn_id", "event_key", name="sms_provider_webhook_events_key"),
    Index("sms_provider_webhook_events_conn_seq", "conn_id", "seq"),
)

_created: set[str] = set()
_create_guard = threading.Lock()


def event_key(post: InboundPost) -> str:
    """The identity of a post: the gateway's reference, the kind and a digest of number and text
    (the same reply posted twice has the same key)."""
    content = hashlib.sha256(f"{post.number}\x00{post.text}".encode()).hexdigest()
    return hashlib.sha256(f"{post.reference}\x00{post.kind}\x00{content}".encode()).hexdigest()


def metadata_engine() -> Engine:
    """Airflow's metadata-database engine (configured on first use in a process without one)."""
    from airflow import settings

    if settings.engine is None:  # pragma: no cover - the api-server configures it at start
        settings.configure_orm()
    assert settings.engine is not None
    return settings.engine


def ensure_table(engine: Engine) -> None:
    """Create the table once per process and database (a concurrent creator is harmless)."""
    url = str(engine.url)
    if url in _created:
        return
    with _create_guard:
        if url in _created:
            return
        try:
            METADATA.create_all(engine, checkfirst=True)
        except (OperationalError, ProgrammingError):  # another process created it in between
            METADATA.create_all(engine, checkfirst=True)
        _created.add(url)


@dataclass(frozen=True)
class Stored:
    """What :func:`store` did: the event's ``seq`` and whether it was new."""

    seq: int | None
    new: bool


def store(engine: Engine, conn_id: str, post: InboundPost, now: float | None = None) -> Stored:
    """Insert one event, or find it when it was already stored (idempotent); drop the
    connection's events older than :data:`RETENTION_DAYS`."""
    ensure_table(engine)
    now = time.time() if now is None else now
    key = event_key(post)
    row = {
        "conn_id": conn_id,
        "event_key": key,
        "kind": post.kind,
        "number": post.number,
        "text": post.text,
        "reference": post.reference,
        "received_at": now,
    }
    with engine.begin() as connection:
        added = connection.execute(insert_new(engine.dialect.name).values(**row)).rowcount == 1
        seq = connection.execute(
            select(EVENTS.c.seq).where(EVENTS.c.conn_id == conn_id, EVENTS.c.event_key == key)
        ).scalar()
        if added:
            connection.execute(
                delete(EVENTS).where(
                    EVENTS.c.conn_id == conn_id, EVENTS.c.received_at < now - RETENTION_DAYS * 86400
                )
            )
    return Stored(int(seq) if seq is not None else None, added)


def insert_new(dialect: str) -> Any:
    """An insert that skips a row whose key is already stored, without an error: a failed statement
    would be written, values included, to the database server's own log."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(EVENTS).on_conflict_do_nothing(constraint="sms_provider_webhook_events_key")
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(EVENTS).on_conflict_do_nothing()
    if dialect in ("mysql", "mariadb"):
        return insert(EVENTS).prefix_with("IGNORE")
    return insert(EVENTS)  # pragma: no cover - Airflow supports the three above


def events_after(
    engine: Engine, conn_id: str, kind: str | None, after: int, limit: int
) -> list[dict[str, Any]]:
    """Up to ``limit`` events of a connection after the cursor ``after``, oldest first
    (``kind`` ``None``: both kinds)."""
    ensure_table(engine)
    query = select(EVENTS).where(EVENTS.c.conn_id == conn_id, EVENTS.c.seq > after)
    if kind is not None:
        query = query.where(EVENTS.c.kind == kind)
    with engine.connect() as connection:
        rows = connection.execute(query.order_by(EVENTS.c.seq).limit(limit)).mappings().all()
    return [
        {
            "seq": row["seq"],
            "id": row["event_key"][:32],
            "kind": row["kind"],
            "number": row["number"],
            "text": row["text"],
            "received_at": datetime.fromtimestamp(row["received_at"], timezone.utc).isoformat(
                timespec="seconds"
            ),
        }
        for row in rows
    ]
