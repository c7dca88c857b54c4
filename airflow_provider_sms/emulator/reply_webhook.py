"""SMS Partner's reply webhook: an injected reply (or STOP) to a number whose latest SMS Partner
message carried ``urlResponse`` is POSTed there as JSON, as the vendor documents it:
``{"type": "response" | "stop", "phone_number": "+336…", "text": "…", "message_id": 2270143}``.

Bounded: loopback URLs only (the emulator never reaches out), a 5-second timeout, one attempt per
post, at most :data:`MAX_POSTS` posts of one reply (a test's redelivery).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from airflow_provider_sms.emulator.state import SMSPARTNER
from airflow_provider_sms.hooks.settings import is_loopback

if TYPE_CHECKING:
    from airflow_provider_sms.emulator.state import EmulatorState, Message

#: Most posts of one reply (a gateway redelivering it).
MAX_POSTS = 5
POST_TIMEOUT_SECONDS = 5.0


def reply_target(state: EmulatorState, number: str) -> Message | None:
    """The latest SMS Partner message to ``number`` that asked for replies (caller holds the lock)."""
    for message in reversed(state.messages):
        if message.vendor == SMSPARTNER and message.recipient == number:
            return message if message.reply_url else None
    return None


def post_reply(url: str, payload: dict[str, Any], posts: int = 1) -> list[int | str]:
    """POST ``payload`` to ``url`` ``posts`` times; each post's HTTP status, or the failure's name.

    :raises ValueError: not a loopback http(s) URL, or ``posts`` out of 1..MAX_POSTS.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or not is_loopback(parts.hostname):
        raise ValueError("the emulator posts replies to loopback URLs only")
    if not 1 <= posts <= MAX_POSTS:
        raise ValueError(f"posts must be 1 to {MAX_POSTS}")
    body = json.dumps(payload).encode()
    statuses: list[int | str] = []
    for _ in range(posts):
        request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=POST_TIMEOUT_SECONDS) as response:
                statuses.append(response.status)
        except urllib.error.HTTPError as exc:
            statuses.append(exc.code)
        except (urllib.error.URLError, OSError) as exc:
            statuses.append(type(exc).__name__)
    return statuses
