"""Typed errors raised by the SMS provider.

Every gateway error carries the HTTP status, the vendor's numeric ``code``, the vendor's message
and, for rate limits, ``retry_after`` (seconds). Messages name the connection and the field, never
the API key, and show phone numbers masked.

Permanent errors (authentication, configuration, credit, invalid request, validation) subclass
:class:`~airflow.sdk.exceptions.AirflowFailException` so Airflow does not retry the task; transient
ones (rate limit, server, transport) are plain :class:`~airflow.sdk.exceptions.AirflowException`
so the task's own ``retries`` apply.
"""

from __future__ import annotations

from airflow.providers.common.compat.sdk import AirflowException, AirflowFailException


class SmsError(AirflowException):
    """Base class of every error this provider raises."""


class SmsGatewayError(SmsError):
    """The gateway refused a request, or could not be reached.

    :param message: human-readable summary (no secret, numbers masked).
    :param http_status: HTTP status of the reply, ``None`` when no reply arrived.
    :param code: the vendor's numeric error code, when the body carried one.
    :param vendor_message: the vendor's own error text, when the body carried one.
    :param retry_after: seconds the gateway asked us to wait (HTTP 429).
    :param conn_id: the Airflow connection the request was made with.
    """

    #: Whether repeating the same request later may succeed.
    transient: bool = False

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        code: int | None = None,
        vendor_message: str | None = None,
        retry_after: float | None = None,
        conn_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.code = code
        self.vendor_message = vendor_message
        self.retry_after = retry_after
        self.conn_id = conn_id

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-serialisable summary (for XCom and per-recipient reports)."""
        return {
            "error": type(self).__name__,
            "message": str(self),
            "http_status": self.http_status,
            "code": self.code,
        }


class SmsAuthenticationError(SmsGatewayError, AirflowFailException):
    """Bad or missing API key, API access disabled, account blocked, IP not allowed."""


class SmsConfigurationError(SmsError, AirflowFailException):
    """The Airflow connection is unusable (missing key, plain-http remote host, bad extra)."""


class SmsInsufficientCreditError(SmsGatewayError, AirflowFailException):
    """The account has no credit (or quota) left for this request."""


class SmsInvalidRequestError(SmsGatewayError, AirflowFailException):
    """The gateway refused the request's content: number, characters, sender, date, size."""


class SmsRecipientBlacklistedError(SmsInvalidRequestError):
    """The recipient is on a STOP or bounce list: it is skipped, not retried."""


class SmsNotFoundError(SmsInvalidRequestError):
    """The gateway has no such message, entry or sub-account."""


class SmsRateLimitError(SmsGatewayError):
    """HTTP 429: the gateway refused the request before handling it; safe to repeat later."""

    transient = True


class SmsServerError(SmsGatewayError):
    """5xx, a dropped connection or a timeout: the gateway's state is unknown."""

    transient = True


class SmsOutcomeUnknownError(SmsServerError):
    """A send may or may not have been accepted (read timeout, 5xx, connection lost mid-reply).

    Never retried automatically: repeating it could deliver the SMS twice.
    """


class SmsUnconfirmedError(SmsServerError):
    """Sends an earlier try got no reply for, that the gateway can neither confirm nor deny.

    They are not sent again (that could deliver them twice); the task fails so that Airflow retries
    it and the next try asks the gateway again. When the retries are spent the task stays failed,
    and the recipients are listed (masked) in the message and in XCom ``unconfirmed``.
    """


class SmsValidationError(SmsError, AirflowFailException):
    """Inputs refused before any request was sent. ``problems`` lists every one of them."""

    def __init__(
        self, problems: list[str], *, operation: str = "SMS request", untouched: str = "nothing was sent"
    ) -> None:
        """``operation`` names what was refused (``"blacklist add"``), ``untouched`` what did not happen."""
        self.problems = list(problems)
        count = len(self.problems)
        header = f"{count} problem{'s' if count != 1 else ''} in the {operation} ({untouched}):"
        super().__init__("\n".join([header, *(f"- {p}" for p in self.problems)]))


class SmsDeliveryFailedError(SmsError, AirflowFailException):
    """Every tracked SMS is final and at least one ended in a failure state (delivery sensor).

    Not retried by Airflow: a bounced or refused message stays that way. ``statuses`` holds every
    final status as a dict (numbers in E.164; the message text masks them).
    """

    def __init__(self, message: str, statuses: list[dict[str, object]] | None = None) -> None:
        super().__init__(message)
        self.statuses = list(statuses or [])


class SmsJournalError(SmsError, AirflowFailException):
    """The send operator's retry journal could not be read or saved.

    Not retried by Airflow: a retry could not know which recipients were already sent to, and would
    risk a duplicate SMS. The message says how many recipients are affected.
    """


class SmsReportError(SmsError):
    """The per-recipient report (``report_path``) could not be written; the SMS work itself was done.

    Retried by Airflow: a retry sends nothing twice (the journal knows what was accepted) and writes
    the report again.
    """
