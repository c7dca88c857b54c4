"""The emulator's connections (``tests/conftest.py`` puts them in the environment), its send
paths, and French mobile numbers for tests."""

from __future__ import annotations

#: Connection id per gateway (connection type).
CONN_IDS = {"primotexto": "emu_primotexto", "smspartner": "emu_smspartner"}
VENDORS = tuple(CONN_IDS)
#: The send endpoint of each gateway, as the emulator records it.
SEND_PATHS = {"primotexto": "/v2/notification/messages/send", "smspartner": "/v1/send"}


def numbers(count: int, first: int = 40_000_000) -> list[str]:
    """``count`` distinct French mobiles from ``+336<first>`` on (outside the emulator's special ones)."""
    return [f"+336{first + i:08d}" for i in range(count)]
