"""A trigger's ``error`` event turned back into the exception it reported, on the worker."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_sms import exceptions
from airflow_provider_sms.exceptions import (
    SmsDeliveryFailedError,
    SmsError,
    SmsGatewayError,
    SmsValidationError,
)

if TYPE_CHECKING:
    from collections.abc import Mapping


def error_from_event(event: Mapping[str, Any], conn_id: str, stopped: str) -> SmsError:
    """The event's exception with its class (so permanent ones still skip Airflow retries).

    :param event: ``{"error": class name, "message": scrubbed text, "http_status", "code"}``.
    :param stopped: what stopped, for the message (``"Delivery tracking"``...).
    """
    name, text = str(event.get("error") or ""), str(event.get("message") or "unknown error")
    message = f"{stopped} stopped in the triggerer: {text}"
    cls = getattr(exceptions, name, None)
    if isinstance(cls, type) and issubclass(cls, SmsGatewayError):
        return cls(message, http_status=event.get("http_status"), code=event.get("code"), conn_id=conn_id)
    if cls is SmsValidationError:
        return SmsValidationError([text])
    if isinstance(cls, type) and issubclass(cls, SmsError) and cls is not SmsDeliveryFailedError:
        try:
            return cls(message)
        except TypeError:  # pragma: no cover - a subclass with another signature
            pass
    return SmsError(f"{message} ({name})" if name else message)
