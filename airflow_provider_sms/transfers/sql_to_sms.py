"""SqlToSmsOperator: the rows of a SQL query, each its own SMS (personalised sends from a table).

Modelled on the Slack provider's ``SqlToSlackWebhookOperator``: any connection whose hook is a
``common.sql`` ``DbApiHook`` (PostgreSQL, MySQL, SQLite, Snowflake, ...) runs ``sql``; each
result row becomes a row of a personalised send (``docs/personalised-sends.md``): its number from
``recipient_column``, its key from ``key_column``, its text from ``message`` (a template over the
row's columns, ``{{ row.first_name }}``) or from ``message_column``. Everything else is
:class:`~airflow_provider_sms.operators.send.SmsSendOperator`'s: validation before any request,
the guards, the retry journal, the XComs and the per-recipient report.

Needs ``apache-airflow-providers-common-sql`` (``pip install airflow-provider-sms[sql]``).
"""

from __future__ import annotations

from contextlib import closing
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from airflow.providers.common.compat.sdk import AirflowSkipException, BaseHook

from airflow_provider_sms.exceptions import SmsConfigurationError, SmsValidationError
from airflow_provider_sms.operators.send import SmsSendOperator
from airflow_provider_sms.rules.options import choice_problems, count_problems

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from airflow.sdk import Context

ActionOnEmpty = Literal["skip", "fail"]
ACTIONS_ON_EMPTY: tuple[str, ...] = ("skip", "fail")
#: Rows fetched from the cursor at a time.
DEFAULT_FETCH_SIZE = 1000


class SqlToSmsOperator(SmsSendOperator):
    """Run a SQL query and text each result row its own SMS.

    .. code-block:: python

        SqlToSmsOperator(
            task_id="confirm_orders",
            sql="SELECT phone, order_id, first_name, delivery FROM orders WHERE confirmed IS NULL",
            sql_conn_id="shop_db",
            sms_conn_id="smspartner_default",
            recipient_column="phone",
            key_column="order_id",
            message="Bonjour {{ row.first_name }}, votre commande {{ row.order_id }} "
            "sera livrée le {{ row.delivery }}",
        )

    :param sql: the query (templated; a ``.sql`` file path is read as a template).
    :param sql_conn_id: any connection whose hook is a ``common.sql`` ``DbApiHook``. (templated)
    :param parameters: the query's parameters (templated), as the database driver takes them.
    :param sql_hook_params: extra arguments for the hook (``Connection.get_hook(hook_params=...)``).
    :param recipient_column: the column holding each row's number (default ``recipient``).
    :param key_column: the column holding each row's key (your id, carried to every XCom and the
        report; without it a row is named by its number and text, and a retry recognises it only
        if its text is the same).
    :param message: the text, a template over the row's columns (``{{ row.<column> }}``) beside
        the task's context (``{{ ds }}``, ``{{ params.x }}``). (templated)
    :param message_column: a column holding each row's ready text, which wins over ``message``.
    :param action_on_empty: no row: ``"skip"`` the task (default) or ``"fail"`` it.
    :param fetch_size: rows fetched from the cursor at a time.

    Every other argument is :class:`~airflow_provider_sms.operators.send.SmsSendOperator`'s
    (``sender``, ``category``, ``max_segments``, ``dry_run``, ``on_invalid_recipient``,
    ``report_path``, ...). XComs are its own: ``return_value`` (each accepted row's
    ``SendResult`` with ``key`` and ``position``, the row's index in the query's result),
    ``skipped``, ``failed`` and ``unconfirmed``.
    """

    template_fields: Sequence[str] = (
        "sms_conn_id",
        "sql_conn_id",
        "sql",
        "parameters",
        "message",
        "sender",
        "campaign_name",
        "category",
        "send_at",
        "report_path",
    )
    template_ext: Sequence[str] = (".sql",)
    template_fields_renderers: ClassVar[dict[str, str]] = {"sql": "sql", "parameters": "json"}
    recipient_fields: ClassVar[tuple[str, ...]] = ()
    ui_color = "#e6f2d9"

    def __init__(
        self,
        *,
        sql: str,
        sql_conn_id: str,
        sms_conn_id: str,
        message: str | None = None,
        parameters: Iterable[Any] | Mapping[str, Any] | None = None,
        sql_hook_params: dict[str, Any] | None = None,
        recipient_column: str = "recipient",
        key_column: str | None = None,
        message_column: str | None = None,
        action_on_empty: ActionOnEmpty = "skip",
        fetch_size: int = DEFAULT_FETCH_SIZE,
        **kwargs: Any,
    ) -> None:
        self.sql, self.sql_conn_id = sql, sql_conn_id
        self.parameters, self.sql_hook_params = parameters, sql_hook_params
        self.recipient_column, self.key_column = recipient_column, key_column
        self.message_column = message_column
        self.action_on_empty, self.fetch_size = action_on_empty, fetch_size
        self._rows: list[dict[str, Any]] | None = None
        super().__init__(sms_conn_id=sms_conn_id, recipients=None, message=message, **kwargs)

    def _option_problems(self) -> list[str]:
        problems = super()._option_problems()
        problems += choice_problems("action_on_empty", self.action_on_empty, ACTIONS_ON_EMPTY)
        problems += count_problems("fetch_size", self.fetch_size, maximum=1_000_000)
        for name in ("recipient_column", "key_column", "message_column"):
            value = getattr(self, name)
            if not (value is None and name != "recipient_column") and not (isinstance(value, str) and value):
                problems.append(f"{name} must be a column name (text), got {value!r}")
        return problems

    def rendered(self, name: str) -> Any:
        """The rows read from the database stand for the recipients."""
        if name == "recipients" and self._rows is not None:
            return self._rows
        return super().rendered(name)

    def execute(self, context: Context) -> list[dict[str, Any]] | dict[str, Any]:
        self._rows = self.read_rows()
        if not self._rows:
            if self.action_on_empty == "fail":
                raise SmsValidationError(["the query returned no row; nothing was sent"])
            raise AirflowSkipException("The query returned no row: nothing to send")
        self.log.info("%s: %d row(s) read from %s", self.task_id, len(self._rows), self.sql_conn_id)
        return super().execute(context)

    # ------------------------------------------------------------------ the database
    def get_db_hook(self) -> Any:
        """The ``common.sql`` hook of ``sql_conn_id``.

        :raises SmsConfigurationError: common.sql is not installed, or the hook is not a ``DbApiHook``.
        """
        try:
            from airflow.providers.common.sql.hooks.sql import DbApiHook
        except ImportError:  # pragma: no cover - the [sql] extra is missing
            raise SmsConfigurationError(
                "SqlToSmsOperator needs apache-airflow-providers-common-sql: "
                "pip install 'airflow-provider-sms[sql]'"
            ) from None
        hook = BaseHook.get_connection(self.sql_conn_id).get_hook(hook_params=self.sql_hook_params)
        if not isinstance(hook, DbApiHook):
            raise SmsConfigurationError(
                f"connection '{self.sql_conn_id}' has a {type(hook).__name__}, not a common.sql DbApiHook"
            )
        return hook

    def read_rows(self) -> list[dict[str, Any]]:
        """Run ``sql`` and read its result ``fetch_size`` rows at a time, as personalised rows."""
        hook = self.get_db_hook()
        with closing(hook.get_conn()) as conn, closing(conn.cursor()) as cursor:
            if self.parameters:
                cursor.execute(self.sql, self.parameters)
            else:
                cursor.execute(self.sql)
            columns = [str(d[0]) for d in cursor.description or ()]
            self._check_columns(columns)
            rows: list[dict[str, Any]] = []
            while batch := cursor.fetchmany(self.fetch_size):
                rows.extend(self.row_of(columns, values) for values in batch)
        return rows

    def _check_columns(self, columns: list[str]) -> None:
        wanted = {"recipient_column": self.recipient_column, "key_column": self.key_column}
        wanted["message_column"] = self.message_column
        missing = [
            f"{name} '{column}'" for name, column in wanted.items() if column and column not in columns
        ]
        if missing:
            raise SmsValidationError(
                [
                    f"the query's result has no {m} (its columns: {', '.join(columns) or 'none'})"
                    for m in missing
                ]
            )

    def row_of(self, columns: list[str], values: Sequence[Any]) -> dict[str, Any]:
        """One result row as a personalised row: every column, plus ``recipient`` (and ``key``,
        ``message``) from the columns named for them."""
        row = dict(zip(columns, values, strict=True))
        row["recipient"] = row[self.recipient_column]
        if self.key_column:
            row["key"] = row[self.key_column]
        if self.message_column:
            row["message"] = row[self.message_column]
        return row
