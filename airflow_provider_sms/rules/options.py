"""Checks of operator options that are not templated, so a wrong one fails when the DAG is parsed,
with the option's name, rather than halfway through a run."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 30 else text[:27] + "..."


def choice_problems(name: str, value: object, choices: Iterable[str]) -> list[str]:
    """``value`` must be one of ``choices``."""
    allowed = tuple(choices)
    if isinstance(value, str) and value in allowed:
        return []
    return [f"{name} must be one of {', '.join(repr(c) for c in allowed)}, got {_shown(value)}"]


def optional_choice_problems(name: str, value: object, choices: Iterable[str]) -> list[str]:
    """``value`` must be ``None`` (the default) or one of ``choices``."""
    return [] if value is None else choice_problems(name, value, choices)


def count_problems(name: str, value: object, *, maximum: int) -> list[str]:
    """``value`` must be an integer from 1 to ``maximum``."""
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= maximum:
        return []
    return [f"{name} must be an integer from 1 to {maximum}, got {_shown(value)}"]


def seconds_problems(name: str, value: object, *, maximum: float = 86_400.0) -> list[str]:
    """``value`` must be a finite number of seconds, from 0 to ``maximum``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        if 0 <= value <= maximum:
            return []
    return [f"{name} must be a number of seconds from 0 to {maximum:g}, got {_shown(value)}"]


def flag_problems(name: str, value: object) -> list[str]:
    """``value`` must be ``True`` or ``False``."""
    if isinstance(value, bool):
        return []
    return [f"{name} must be True or False, got {_shown(value)}"]


def limit_problems(name: str, value: object, *, minimum: float, integer: bool) -> list[str]:
    """``value`` must be ``None`` (no limit) or a finite number of at least ``minimum`` (above it
    when not ``integer``), an integer when ``integer``."""
    if value is None:
        return []
    if isinstance(value, bool) or not isinstance(value, int if integer else (int, float)):
        ok = False
    else:
        ok = math.isfinite(value) and (value >= minimum if integer else value > minimum)
    if ok:
        return []
    wanted = f"an integer of at least {minimum:g}" if integer else f"a number above {minimum:g}"
    return [f"{name} must be None or {wanted}, got {_shown(value)}"]
