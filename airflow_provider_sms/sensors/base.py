"""What the provider's sensors share: the gateway hook, the ``deferrable`` default, pokes paced
start to start, and ``soft_fail`` / ``never_fail`` over the triggerer's own timeout."""

from __future__ import annotations

import time
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import AirflowSensorTimeout, AirflowSkipException, BaseSensorOperator

from airflow_provider_sms.exceptions import SmsValidationError
from airflow_provider_sms.rules.text import unstorable_problems
from airflow_provider_sms.tracking.delivery import DEFAULT_MAX_BACKOFF, MIN_POLL_INTERVAL

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from airflow.sdk import Context

    from airflow_provider_sms.hooks.base import SmsHook


class SmsSensor(BaseSensorOperator):
    """Base of the SMS sensors.

    :param sms_conn_id: Airflow connection of an SMS gateway. (templated in subclasses)
    :param deferrable: wait in the triggerer; default Airflow's ``[operators] default_deferrable``.
        Takes precedence over ``mode``.
    :param max_backoff: cap, in seconds, of the trigger's pause after transient gateway errors.
    """

    def __init__(
        self,
        *,
        sms_conn_id: str,
        deferrable: bool | None = None,
        max_backoff: float = DEFAULT_MAX_BACKOFF,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.sms_conn_id = sms_conn_id
        if deferrable is None:
            from airflow.providers.common.compat.sdk import conf

            deferrable = conf.getboolean("operators", "default_deferrable", fallback=False)
        self.deferrable = bool(deferrable)
        self.max_backoff = float(max_backoff)
        self._next_poke_at: float | None = None

    def _do_render_template_fields(self, *args: Any, **kwargs: Any) -> None:
        """Render as usual, then refuse (``SmsValidationError`` naming the field) a rendered value
        Airflow could not save as a rendered field: a lone surrogate (``UnicodeEncodeError``)."""
        super()._do_render_template_fields(*args, **kwargs)
        problems = unstorable_problems({name: getattr(self, name, None) for name in self.template_fields})
        if problems:
            raise SmsValidationError(problems)

    @cached_property
    def hook(self) -> SmsHook:
        """The gateway hook for ``sms_conn_id`` (connection read on first use, at run time)."""
        from airflow_provider_sms.hooks import get_sms_hook

        return get_sms_hook(self.sms_conn_id)

    def _get_next_poke_interval(
        self, started_at: datetime | float, run_duration: Callable[[], float], poke_count: int
    ) -> float:
        """In poke mode, pokes start ``poke_interval`` apart: the wait after a poke is shortened by
        the time the poke took (at least :data:`~airflow_provider_sms.tracking.delivery.MIN_POLL_INTERVAL`)."""
        interval = super()._get_next_poke_interval(started_at, run_duration, poke_count)
        if self.reschedule or not isinstance(started_at, float):
            return interval
        now = time.monotonic()
        began = started_at if poke_count <= 1 or self._next_poke_at is None else self._next_poke_at
        wait = max(min(interval, MIN_POLL_INTERVAL), interval - (now - began))
        self._next_poke_at = now + wait
        return wait

    def resume_execution(self, next_method: str, next_kwargs: dict[str, Any] | None, context: Context) -> Any:
        """Resume after the trigger; ``soft_fail`` / ``never_fail`` also cover the triggerer's own
        timeout (before Airflow 3.2 the base class turns it into ``AirflowSensorTimeout`` without
        applying them)."""
        try:
            return super().resume_execution(next_method, next_kwargs, context)
        except AirflowSensorTimeout as exc:
            if self.soft_fail or self.never_fail:
                raise AirflowSkipException(f"Skipping: {exc}") from exc
            raise
