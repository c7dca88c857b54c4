"""Alias of :mod:`airflow_provider_sms.model.results` (the data model's former home), kept so that
``from airflow_provider_sms.model.results import SendResult`` keeps working."""

from __future__ import annotations

from airflow_provider_sms.model.results import (
    FINAL_STATES,
    INBOUND_KINDS,
    LIST_TYPES,
    BlacklistEntry,
    DeliveryState,
    DeliveryStatus,
    InboundKind,
    InboundMessage,
    ListType,
    SendResult,
)

__all__ = [
    "FINAL_STATES",
    "INBOUND_KINDS",
    "LIST_TYPES",
    "BlacklistEntry",
    "DeliveryState",
    "DeliveryStatus",
    "InboundKind",
    "InboundMessage",
    "ListType",
    "SendResult",
]
