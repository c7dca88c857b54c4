"""Fault rules: which requests get latency, an error reply, or a dropped connection.

``raw_reply`` answers with a given raw ``body`` (any text: an HTML page, truncated JSON, a JSON
value of the wrong shape), ``http_status`` (default 200) and ``content_type`` (default
``text/html``) without handling the request: nothing is accepted, charged or recorded. It plays the
proxy or maintenance page that answers in the gateway's place, and the reply a client must not read
as an acceptance.

The two ``accept_then_*`` kinds let the request be handled first (a send is accepted, charged and
recorded) and then lose the reply: the connection is dropped, or an HTTP 500 (or ``http_status``)
with an empty body comes back. They reproduce the case a client must not resend blindly: the SMS
left, the reply did not.

A ``commit_delay`` rule changes when a send's effects land, not the reply: the send is answered as
usual but committed (recorded, charged, visible to status calls) ``commit_delay`` seconds after its
request arrived (see :mod:`~airflow_provider_sms.emulator.commit`).

Rules are checked in the order they were added. Every matching ``latency`` or ``commit_delay`` rule
that fires adds its delay; the first *terminal* rule (any other kind) that fires decides the reply,
and the terminal rules after it neither see nor count that request.

A rule with a ``probability`` acts on each eligible request (past ``after``, before ``count`` is
used up) with that probability, drawn from its own ``random.Random(seed)``: for one seed and one
order of requests, the same requests are hit. Without a ``seed`` one is picked at random and shown
in the rule's description, so a run can be replayed.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_sms.emulator.state import VENDORS

LATENCY = "latency"
SERVER_ERROR = "server_error"
RATE_LIMIT = "rate_limit"
DROP = "drop"
ACCEPT_THEN_DROP = "accept_then_drop"
ACCEPT_THEN_ERROR = "accept_then_error"
VENDOR_ERROR = "vendor_error"
COMMIT_DELAY = "commit_delay"
RAW_REPLY = "raw_reply"
KINDS = (
    LATENCY,
    SERVER_ERROR,
    RATE_LIMIT,
    DROP,
    ACCEPT_THEN_DROP,
    ACCEPT_THEN_ERROR,
    VENDOR_ERROR,
    COMMIT_DELAY,
    RAW_REPLY,
)
#: Kinds that add up with the other rules instead of deciding the reply.
NON_TERMINAL = (LATENCY, COMMIT_DELAY)
#: ``Content-Type`` of a ``raw_reply`` rule given none.
RAW_REPLY_CONTENT_TYPE = "text/html"

_FIELDS = (
    "kind",
    "vendor",
    "path",
    "method",
    "after",
    "count",
    "latency_ms",
    "commit_delay",
    "retry_after",
    "http_status",
    "code",
    "empty_body",
    "probability",
    "seed",
    "body",
    "content_type",
)
#: Kinds whose reply body is the vendor-shaped one ``empty_body`` can replace with nothing.
_BODY_KINDS = (SERVER_ERROR, RATE_LIMIT)
#: Seeds picked when a probabilistic rule is given none (JSON-safe integers).
_SEED_RANGE = 2**53


@dataclass
class FaultRule:
    """One fault rule; see :meth:`airflow_provider_sms.emulator.GatewayEmulator.add_fault`.

    ``seen`` counts the matching requests so far, ``applied`` how many the rule acted on. A rule
    with a ``probability`` owns a ``random.Random(seed)`` and a lock: :meth:`fire` is thread-safe.
    """

    kind: str
    vendor: str | None = None
    path: str | None = None
    method: str | None = None
    after: int = 0
    count: int | None = None
    latency_ms: float | None = None
    commit_delay: float | None = None
    retry_after: float | None = None
    http_status: int | None = None
    code: int | None = None
    empty_body: bool = False
    probability: float | None = None
    seed: int | None = None
    body: str | None = None
    content_type: str | None = None
    seen: int = 0
    applied: int = 0
    _rng: random.Random = field(init=False, repr=False, compare=False)
    _lock: threading.Lock = field(init=False, repr=False, compare=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.probability is not None and self.seed is None:
            self.seed = random.SystemRandom().randrange(_SEED_RANGE)
        self._rng = random.Random(self.seed)

    def matches(self, vendor: str, method: str, path: str) -> bool:
        return (
            (self.vendor is None or self.vendor == vendor)
            and (self.method is None or self.method == method)
            and (self.path is None or self.path in path)
        )

    def fire(self) -> bool:
        """Count one matching request; ``True`` when the rule acts on it.

        One random draw per eligible request (none before ``after`` or once ``count`` is used up).
        """
        with self._lock:
            self.seen += 1
            if self.seen <= self.after or (self.count is not None and self.applied >= self.count):
                return False
            if self.probability is not None and self._rng.random() >= self.probability:
                return False
            self.applied += 1
            return True

    def to_dict(self) -> dict[str, Any]:
        with self._lock:
            return {name: getattr(self, name) for name in (*_FIELDS, "seen", "applied")}


def make_rule(
    kind: str,
    *,
    vendor: str | None = None,
    path: str | None = None,
    method: str | None = None,
    after: int = 0,
    count: int | None = None,
    latency_ms: float | None = None,
    commit_delay: float | None = None,
    retry_after: float | None = None,
    http_status: int | None = None,
    code: int | None = None,
    empty_body: bool = False,
    probability: float | None = None,
    seed: int | None = None,
    body: str | None = None,
    content_type: str | None = None,
) -> FaultRule:
    """Validate the arguments and build a rule. Raises :class:`ValueError` on a bad argument."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    _check_matching(vendor, path, method, after, count)
    _check_amount(kind, LATENCY, "latency_ms", latency_ms)
    _check_amount(kind, COMMIT_DELAY, "commit_delay", commit_delay)
    _check_reply(kind, retry_after, http_status, code, empty_body)
    _check_chance(probability, seed)
    body, content_type = _raw_reply(kind, body, content_type)
    return FaultRule(
        kind=kind,
        vendor=vendor,
        path=path,
        method=method.upper() if method else None,
        after=after,
        count=count,
        latency_ms=latency_ms,
        commit_delay=None if commit_delay is None else float(commit_delay),
        retry_after=retry_after,
        http_status=http_status,
        code=code,
        empty_body=empty_body,
        probability=None if probability is None else float(probability),
        seed=seed,
        body=body,
        content_type=content_type,
    )


def _raw_reply(kind: str, body: Any, content_type: Any) -> tuple[str | None, str | None]:
    """The body and content type of a ``raw_reply`` rule (defaults filled in); refused elsewhere."""
    if kind != RAW_REPLY:
        if body is not None or content_type is not None:
            raise ValueError("body and content_type only apply to kind 'raw_reply'")
        return None, None
    body = "" if body is None else body
    content_type = RAW_REPLY_CONTENT_TYPE if content_type is None else content_type
    if not isinstance(body, str):
        raise ValueError(f"body must be a string (the raw reply body); got {type(body).__name__}")
    if not isinstance(content_type, str) or not content_type.strip() or _has_control(content_type):
        raise ValueError(
            f"content_type must be a one-line media type such as 'text/html'; got {content_type!r}"
        )
    return body, content_type


def _check_matching(vendor: object, path: object, method: object, after: object, count: object) -> None:
    """Which requests a rule looks at, and how many."""
    if vendor is not None and vendor not in VENDORS:
        raise ValueError(f"vendor must be one of {', '.join(VENDORS)} or None; got {vendor!r}")
    if path is not None and not isinstance(path, str):
        raise ValueError("path must be a string (a substring of the URL path)")
    if method is not None and not isinstance(method, str):
        raise ValueError("method must be a string such as 'POST'")
    _check_int("after", after, 0)
    if count is not None:
        _check_int("count", count, 0)


def _check_amount(kind: str, owner: str, name: str, value: object) -> None:
    """``value`` is required by kind ``owner`` (a number >= 0) and refused by the other kinds."""
    if kind == owner:
        if value is None:
            raise ValueError(f"a {owner} fault needs {name}")
        _check_number(name, value)
    elif value is not None:
        raise ValueError(f"{name} only applies to kind {owner!r} (use a separate {owner} rule)")


def _check_reply(kind: str, retry_after: Any, http_status: Any, code: Any, empty_body: Any) -> None:
    """The fields shaping the reply of a terminal rule."""
    if retry_after is not None:
        _check_number("retry_after", retry_after)
    if http_status is not None:
        _check_int("http_status", http_status, 100)
        if http_status > 599:
            raise ValueError(f"http_status must be 100..599; got {http_status!r}")
    if kind == VENDOR_ERROR:
        if code is None:
            raise ValueError("a vendor_error fault needs the vendor's error code")
        _check_int("code", code, 0)
    if not isinstance(empty_body, bool):
        raise ValueError(f"empty_body must be true or false; got {empty_body!r}")
    if empty_body and kind not in _BODY_KINDS:
        raise ValueError(f"empty_body only applies to kinds {', '.join(_BODY_KINDS)}")


def _check_chance(probability: Any, seed: Any) -> None:
    if probability is not None:
        _check_number("probability", probability)
        if probability > 1:
            raise ValueError(f"probability must be a number from 0 to 1; got {probability!r}")
    if seed is not None:
        if probability is None:
            raise ValueError("seed only applies to a rule with a probability")
        _check_int("seed", seed, 0)


def rule_from_json(data: Any) -> FaultRule:
    """Build a rule from the JSON body of ``POST /_emulator/faults``."""
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    unknown = set(data) - set(_FIELDS)
    if unknown:
        raise ValueError(f"unknown field(s): {', '.join(sorted(unknown))}")
    if "kind" not in data:
        raise ValueError("kind is required")
    kwargs = {k: v for k, v in data.items() if k != "kind"}
    return make_rule(data["kind"], **kwargs)


@dataclass(frozen=True, slots=True)
class Decision:
    """What the faults say about one request: extra delay, commit delay, the terminal rule if any."""

    latency_ms: float = 0.0
    rule: FaultRule | None = None
    commit_delay: float = 0.0


NO_FAULT = Decision()


class FaultSet:
    """The active rules (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []

    def add(self, rule: FaultRule) -> None:
        with self._lock:
            self._rules.append(rule)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.to_dict() for r in self._rules]

    def decide(self, vendor: str, method: str, path: str) -> Decision:
        """Fire the rules that match this request and return their combined effect."""
        if not self._rules:
            return NO_FAULT
        latency = commit_delay = 0.0
        terminal: FaultRule | None = None
        with self._lock:
            for rule in self._rules:
                if rule.kind not in NON_TERMINAL and terminal is not None:
                    continue
                if not rule.matches(vendor, method, path) or not rule.fire():
                    continue
                if rule.kind == LATENCY:
                    latency += float(rule.latency_ms or 0.0)
                elif rule.kind == COMMIT_DELAY:
                    commit_delay += float(rule.commit_delay or 0.0)
                else:
                    terminal = rule
        return Decision(latency, terminal, commit_delay)


def _check_int(name: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")


def _check_number(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"{name} must be a number >= 0; got {value!r}")


def _has_control(text: str) -> bool:
    return any(ord(c) < 32 or ord(c) == 127 for c in text)
