"""Seeded, probabilistic fault mixes on a gateway's send route (the chaos and system suites)."""

from __future__ import annotations

from typing import Any

SEND_PATHS = {"primotexto": "/v2/notification/messages/send", "smspartner": "/v1/send"}


def add_fault_mix(
    emulator: Any, vendor: str, seed: int, mix: tuple[tuple[str, float, dict], ...], path: str | None = None
) -> None:
    """Add ``mix``'s rules, ``(kind, overall share of send requests, arguments)``, in order.

    The first rule that fires decides, so each later rule's probability is its share divided by
    what the earlier ones let through; each rule gets its own seed derived from ``seed``.
    ``path``: the routes hit (any path holding it; default: the gateway's one-text send route).
    """
    left = 1.0
    for index, (kind, share, extra) in enumerate(mix):
        emulator.add_fault(
            kind,
            vendor=vendor,
            path=path or SEND_PATHS[vendor],
            method="POST",
            probability=share / left,
            seed=seed * 100 + index,
            **extra,
        )
        left -= share
