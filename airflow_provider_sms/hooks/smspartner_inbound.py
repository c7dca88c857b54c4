"""What SMS Partner posts to a reply URL (``urlResponse``, or the one set in its dashboard). Pure.

Documented shapes: ``{"type": "response", "phone_number": "+336…", "text": "…", "message_id": 1111111}``
for a reply and the same with ``"type": "stop"`` for a STOP. Read loosely (keys in any case,
``phoneNumber`` / ``messageId`` spellings, ids as text or numbers, a number without its ``+``;
A63), as JSON or as a form.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_sms.exceptions import SmsValidationError
from airflow_provider_sms.hooks.reply_values import field, text_of
from airflow_provider_sms.hooks.webhook_link import checked_post

if TYPE_CHECKING:
    from collections.abc import Mapping

    from airflow_provider_sms.hooks.webhook_link import InboundPost
    from airflow_provider_sms.model.results import InboundKind

#: The post's ``type`` (lower-cased) -> the inbound kind.
POST_TYPES: dict[str, InboundKind] = {"response": "reply", "reply": "reply", "stop": "stop"}


def read_post(payload: Mapping[str, Any]) -> InboundPost:
    """The reply or STOP of one post.

    :raises SmsValidationError: an unknown ``type``, a number that is not E.164, an unusable text.
    """
    kind = POST_TYPES.get((text_of(field(payload, "type")) or "").strip().lower())
    if kind is None:
        raise SmsValidationError(["type must be 'response' or 'stop'"])
    return checked_post(
        kind,
        field(payload, "phone_number", "msisdn"),
        field(payload, "text"),
        field(payload, "message_id"),
    )
