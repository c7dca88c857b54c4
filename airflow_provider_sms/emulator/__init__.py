"""Local emulator of the Primotexto v2 and SMS Partner v1 gateways, for tests, demos and benchmarks.

Usage::

    from airflow_provider_sms.emulator import GatewayEmulator

    with GatewayEmulator(delivery_delay=0.2) as emu:
        ...  # point a connection at emu.url (see emu.connection_json())

See ``docs/emulator.md`` for the test numbers, fault kinds and inspection endpoints.
"""

from __future__ import annotations

from airflow_provider_sms.emulator.faults import KINDS as FAULT_KINDS
from airflow_provider_sms.emulator.numbers import (
    NUMBER_BOUNCED,
    NUMBER_ERROR,
    NUMBER_NEVER_FINAL,
    NUMBER_REJECTED,
    NUMBER_UNSUBSCRIBED,
)
from airflow_provider_sms.emulator.primotexto import PRIMOTEXTO_API_KEY
from airflow_provider_sms.emulator.server import GatewayEmulator
from airflow_provider_sms.emulator.smspartner import SMSPARTNER_API_KEY

__all__ = [
    "FAULT_KINDS",
    "NUMBER_BOUNCED",
    "NUMBER_ERROR",
    "NUMBER_NEVER_FINAL",
    "NUMBER_REJECTED",
    "NUMBER_UNSUBSCRIBED",
    "PRIMOTEXTO_API_KEY",
    "SMSPARTNER_API_KEY",
    "GatewayEmulator",
]
