"""What every SMS operator shares: the connection id, the hook it picks, bounded fan-out."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from airflow.providers.common.compat.sdk import BaseOperator

from airflow_provider_sms.hooks import get_sms_hook

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from airflow_provider_sms.hooks.base import SmsHook

T = TypeVar("T")
R = TypeVar("R")


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


def map_bounded(fn: Callable[[T], R], items: Iterable[T], max_concurrency: int) -> list[R]:
    """Apply ``fn`` to every item with at most ``max_concurrency`` threads; results in input order.

    ``fn`` should catch its own per-item errors: one that escapes stops the whole map.
    """
    items = list(items)
    if max_concurrency <= 1 or len(items) <= 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(max_concurrency, len(items))) as pool:
        return list(pool.map(fn, items))
