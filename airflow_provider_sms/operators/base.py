"""What every SMS operator shares: the connection id and the hook its type picks."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseOperator

from airflow_provider_sms.hooks import get_sms_hook

if TYPE_CHECKING:
    from collections.abc import Sequence

    from airflow_provider_sms.hooks.base import SmsHook


class SmsBaseOperator(BaseOperator):
    """Base of the SMS operators: holds ``sms_conn_id`` and builds the hook its type names.

    :param sms_conn_id: Airflow connection of type ``primotexto`` or ``smspartner``. (templated)
    """

    template_fields: Sequence[str] = ("sms_conn_id",)

    def __init__(self, *, sms_conn_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sms_conn_id = sms_conn_id

    @cached_property
    def hook(self) -> SmsHook:
        """The gateway hook for ``sms_conn_id`` (connection read on first use, at run time)."""
        return get_sms_hook(self.sms_conn_id)
