"""SMS Partner's ``GET /v1/message-cancel``: the call and what its codes mean for one send. Pure.

Codes (``docs/vendor-apis.md``): 3 id required, 4 not found, 5 already cancelled, 6 less than
5 minutes before the send time, 7 already sent. A reply without an error is a cancellation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_provider_sms.hooks.transport import Call

if TYPE_CHECKING:
    from airflow_provider_sms.model.results import CancelOutcome

#: Vendor code -> the outcome it says for the send (any other code is an error).
CANCEL_CODES: dict[int, CancelOutcome] = {
    4: "not_found",
    5: "already_cancelled",
    6: "too_late",
    7: "already_sent",
}


def cancel_call(message_id: str) -> Call:
    """Cancel one scheduled send (repeating it is harmless: the second answers code 5)."""
    return Call(
        "GET",
        "/v1/message-cancel",
        params={"messageId": message_id},
        operation="cancel a scheduled send",
    )


def cancel_outcome(code: int | None) -> CancelOutcome | None:
    """The outcome a refusal's ``code`` names, ``None`` when it is a real error."""
    return CANCEL_CODES.get(code) if code is not None else None
