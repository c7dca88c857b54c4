"""Order confirmations from a table: each unconfirmed order gets its own SMS, and its final
delivery state is written back to its row, by key.

1. ``confirm``: :class:`~airflow_provider_sms.transfers.sql_to_sms.SqlToSmsOperator` reads the
   orders whose ``sms_status`` is empty and texts each one its own confirmation
   (``{{ row.first_name }}``, ``{{ row.order_id }}``, ``{{ row.delivery_day }}``), keyed by
   ``order_id``. One task for every order: on SMS Partner 500 different texts per ``/bulk-send``
   request. A bad number is skipped and reported (``on_invalid_recipient="skip"``); a retry never
   texts an order twice.
2. ``wait``: :class:`~airflow_provider_sms.sensors.delivery.SmsDeliverySensor` waits until every
   SMS is final; each status carries its order's key.
3. ``write_back`` (runs whatever happened before, ``trigger_rule="all_done"``): every order gets
   its state: ``delivered``, ``error``, ``bounced``, ``unsubscribed``, or ``not_sent: <reason>``
   for the orders the send skipped or could not send.
4. ``fail_run_if_a_task_failed`` (``trigger_rule="one_failed"``): ``write_back`` succeeds even when
   the send failed, and a run's state follows its last tasks; this one fails the run then, so a
   green run still means every order was texted or deliberately skipped.

The table lives behind any ``common.sql`` connection (``db_conn_id``; SQLite, PostgreSQL, ...):
``seed_demo_orders`` creates and fills a demo one when it is empty. Needs
``pip install 'airflow-provider-sms[sql]'``. The demo numbers are in the 06 39 98 xx xx block that
ARCEP keeps for fiction: they can never reach a real person.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.providers.common.compat.sdk import AirflowFailException
from airflow.sdk import DAG, Param, task

from airflow_provider_sms.sensors.delivery import SmsDeliverySensor
from airflow_provider_sms.transfers.sql_to_sms import SqlToSmsOperator

#: Seconds between two delivery checks.
POKE_INTERVAL = 5


def db_hook(conn_id: str):
    """The ``common.sql`` hook of a connection."""
    from airflow.providers.common.compat.sdk import BaseHook

    return BaseHook.get_connection(conn_id).get_hook()


with DAG(
    dag_id="example_sms_order_confirmations",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    params={
        "sms_conn_id": Param("smspartner_default", type="string", description="primotexto or smspartner"),
        "db_conn_id": Param("shop_db", type="string", description="a common.sql connection"),
    },
    tags=["example", "sms", "sql"],
    doc_md=__doc__,
) as dag:

    @task
    def seed_demo_orders(params=None) -> int:
        """Create the demo ``orders`` table and fill it when empty; returns the orders to confirm."""
        hook = db_hook(params["db_conn_id"])
        hook.run(
            "CREATE TABLE IF NOT EXISTS orders (order_id INTEGER PRIMARY KEY, phone VARCHAR(20), "
            "first_name VARCHAR(50), delivery_day VARCHAR(10), sms_status VARCHAR(100))"
        )
        if not hook.get_first("SELECT COUNT(*) FROM orders")[0]:
            for i, name in enumerate(("Marie", "Paul", "Léa", "Karim", "Zoé")):
                hook.run(
                    "INSERT INTO orders (order_id, phone, first_name, delivery_day) VALUES (%s, %s, %s, %s)".replace(
                        "%s", hook.placeholder
                    ),
                    parameters=(10_230 + i, f"06 39 98 00 {20 + i}", name, f"{12 + i}/04"),
                )
        return hook.get_first("SELECT COUNT(*) FROM orders WHERE sms_status IS NULL")[0]

    confirm = SqlToSmsOperator(
        task_id="confirm",
        sql_conn_id="{{ params.db_conn_id }}",
        sql="SELECT order_id, phone, first_name, delivery_day FROM orders WHERE sms_status IS NULL",
        sms_conn_id="{{ params.sms_conn_id }}",
        recipient_column="phone",
        key_column="order_id",
        message="Bonjour {{ row.first_name }}, votre commande {{ row.order_id }} sera livree le {{ row.delivery_day }}.",
        on_invalid_recipient="skip",
        retries=2,
        retry_delay=timedelta(seconds=30),
    )
    wait = SmsDeliverySensor(
        task_id="wait",
        sms_conn_id="{{ params.sms_conn_id }}",
        messages=confirm.output,
        failure_states=(),  # every final state is written back; none fails the run
        poke_interval=POKE_INTERVAL,
        timeout=3600,
        deferrable=False,
    )

    @task(trigger_rule="all_done")
    def write_back(statuses: list[dict] | None, params=None, ti=None) -> dict:
        """Each order's final state, by key; the orders not sent with the reason."""
        states = {r["key"]: "sent" for r in ti.xcom_pull(task_ids="confirm") or []}  # if no status came
        states.update({s["key"]: s["state"] for s in statuses or []})
        for outcome in ("skipped", "failed", "unconfirmed"):
            for item in ti.xcom_pull(task_ids="confirm", key=outcome) or []:
                if item.get("key") is not None:
                    states[item["key"]] = f"not_sent: {item['reason']}"[:100]
        hook = db_hook(params["db_conn_id"])
        update = "UPDATE orders SET sms_status = %s WHERE order_id = %s".replace("%s", hook.placeholder)
        for key, state in states.items():
            hook.run(update, parameters=(state, key))
        return {str(key): state for key, state in states.items()}

    @task(trigger_rule="one_failed", retries=0)
    def fail_run_if_a_task_failed() -> None:
        """Fail the run when any task failed (skipped when none did)."""
        raise AirflowFailException("a task of this run failed: see its log")

    seeded = seed_demo_orders()
    written = write_back(wait.output)
    seeded >> confirm
    [seeded, confirm, wait, written] >> fail_run_if_a_task_failed()
