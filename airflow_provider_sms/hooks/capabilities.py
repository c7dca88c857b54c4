"""What a gateway can do, declared by its hook, so operators, the sensor and the notifier never ask
which vendor they talk to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from airflow_provider_sms.model.results import ListType

#: How a send whose reply was lost can be settled with the gateway's records:
#: ``"by_recipient"`` (the gateway names the latest message to a number), ``"by_request_tag"``
#: (each request carries a unique tag, and the gateway lists the numbers sent under a tag) or
#: ``"none"``.
Reconciliation = Literal["by_recipient", "by_request_tag", "none"]


@dataclass(frozen=True)
class GatewayCapabilities:
    """One gateway's abilities and limits.

    :param max_recipients_per_send: numbers one send request may carry.
    :param status_batch_size: messages one status request may cover (1: one request each).
    :param status_needs_recipient: a status lookup needs the number beside the message id.
    :param status_by_recipient: the gateway can name the latest message to a number (no id).
    :param list_types: the blacklists the gateway keeps.
    :param blacklist_removal_by_entry_id: removing a number needs its list entry id (so a bulk
        removal reads the list once first).
    :param subaccounts: the gateway has a sub-account API.
    :param schedule_step_minutes: a scheduled send must fall on a multiple of these minutes.
    :param max_segments: most concatenated SMS one message may need.
    :param max_segments_source: where :attr:`max_segments` comes from, for error messages.
    :param reconciliation: how an unknown send outcome can be settled (see :data:`Reconciliation`).
    :param price_per_segment: what one SMS segment costs, in :attr:`credit_unit`, for the spend
        guard's estimate (``None``: unknown, so ``max_credits`` cannot be checked).
    :param credit_unit: the unit of the account's ``credits`` (``get_account_stats()``) and of
        :attr:`price_per_segment`.
    :param replies_by_pull: the gateway lists the replies it received (``get_replies()``).
    :param status_summary_by_category: the gateway answers a category's figures in one request
        (``get_status_summary()``), so the delivery tracker skips per-message requests while they
        do not move.
    """

    max_recipients_per_send: int
    status_batch_size: int
    status_needs_recipient: bool
    status_by_recipient: bool
    list_types: tuple[ListType, ...]
    blacklist_removal_by_entry_id: bool
    subaccounts: bool
    schedule_step_minutes: int
    max_segments: int
    max_segments_source: str
    reconciliation: Reconciliation
    price_per_segment: float | None = None
    credit_unit: str = "credits"
    replies_by_pull: bool = False
    status_summary_by_category: bool = False
