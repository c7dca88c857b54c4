"""The README's main job, on both gateways against the emulator: ``example_sms_order_confirmations``
(each order in a SQLite table texted its own confirmation, delivery waited for, every order's state
written back by key), after ``example_sms_quickstart`` (one notice to three customers).

Sets up a throwaway Airflow home on SQLite (``.airflow_home/``), migrates it, starts the gateway
emulator on a free loopback port, runs ``airflow dags test`` per DAG and gateway, then prints what the
emulator received, the delivery states and the orders table. Exits non-zero if a run fails.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOME = ROOT / ".airflow_home"
DAG_ID = "example_sms_quickstart"
ORDERS_DAG_ID = "example_sms_order_confirmations"


def airflow(*args: str, log: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the airflow CLI with the demo environment; keep its output in ``log``."""
    result = subprocess.run(
        [sys.executable, "-m", "airflow", *args], env=os.environ.copy(), capture_output=True, text=True
    )
    if log is not None:
        log.write_text(result.stdout + result.stderr)
    return result


def run_state(output: str) -> str:
    """The DAG run's final state, from the ``DagRun Finished`` line ``airflow dags test`` logs."""
    states = re.findall(r"DagRun Finished: .*?\bstate=(\w+)", output)
    return states[-1] if states else "unknown"


def test_dag(dag_id: str, vendor: str, conf: dict[str, str]) -> tuple[bool, str]:
    """``airflow dags test`` one DAG; whether its run succeeded, and its output."""
    log = HOME / f"dags-test-{dag_id}-{vendor}.log"
    print(f"== {vendor}: airflow dags test {dag_id} (log: {log.relative_to(ROOT)})")
    run = airflow("dags", "test", dag_id, "-c", json.dumps(conf), log=log)
    output = run.stdout + run.stderr
    state = run_state(output)
    print(f"   DAG run: {state}")
    ok = run.returncode == 0 and state == "success"
    if not ok:
        print(output[-4000:])
    return ok, output


def print_messages(messages: list[dict], mask_number) -> None:
    print(f"   {'recipient':<16} {'message id':<12} {'segments':<9} {'state':<14} text")
    for message in messages:
        print(
            f"   {mask_number(message['recipient']):<16} {message['message_id']!s:<12} "
            f"{message['segments']!s:<9} {message['state']!s:<14} {message['text']}"
        )


def run_quickstart(emulator, vendor: str, conn_id: str, mask_number) -> bool:
    """One notice to three customers, the deferrable delivery wait, a count of final states."""
    before = len(emulator.messages(vendor=vendor))
    ok, output = test_dag(DAG_ID, vendor, {"sms_conn_id": conn_id})
    print_messages(emulator.messages(vendor=vendor)[before:], mask_number)
    report = [line for line in output.splitlines() if "delivery report:" in line]
    print(f"   sensor result: {report[-1].split('delivery report:')[-1].strip() if report else '?'}\n")
    return ok


def run_order_confirmations(emulator, vendor: str, conn_id: str, mask_number) -> bool:
    """Orders in a fresh SQLite table, each texted its own confirmation, states written back by key."""
    shop = HOME / f"shop-{vendor}.db"
    shop.unlink(missing_ok=True)
    os.environ["AIRFLOW_CONN_SHOP_DB"] = json.dumps({"conn_type": "sqlite", "host": str(shop)})
    before = len(emulator.messages(vendor=vendor))
    ok, _ = test_dag(ORDERS_DAG_ID, vendor, {"sms_conn_id": conn_id, "db_conn_id": "shop_db"})
    print_messages(emulator.messages(vendor=vendor)[before:], mask_number)
    with sqlite3.connect(shop) as db:
        orders = db.execute("SELECT order_id, phone, sms_status FROM orders ORDER BY order_id").fetchall()
    print(f"   orders table after the write-back ({shop.relative_to(ROOT)}):")
    for order_id, phone, status in orders:
        print(f"   order {order_id}  {mask_number(phone):<16} sms_status = {status}")
    print()
    return ok and all(status == "delivered" for _, _, status in orders)


def main() -> int:
    HOME.mkdir(exist_ok=True)
    os.environ.update(
        {
            "AIRFLOW_HOME": str(HOME),
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "example_dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{HOME / 'airflow.db'}",
        }
    )
    from airflow_provider_sms.emulator import GatewayEmulator
    from airflow_provider_sms.rules.numbers import mask_number

    print(f"Airflow home: {HOME} (SQLite)")
    migrated = airflow("db", "migrate", log=HOME / "db-migrate.log")
    if migrated.returncode:
        print(migrated.stdout[-3000:], migrated.stderr[-3000:])
        return 1
    failures = 0
    with GatewayEmulator(delivery_delay=2.0) as emulator:
        print(f"Gateway emulator: {emulator.url}\n")
        for vendor in ("primotexto", "smspartner"):
            conn_id = f"sms_demo_{vendor}"
            os.environ[f"AIRFLOW_CONN_{conn_id.upper()}"] = emulator.connection_json(vendor)
            failures += not run_quickstart(emulator, vendor, conn_id, mask_number)
            failures += not run_order_confirmations(emulator, vendor, conn_id, mask_number)
    print(
        "Demo finished"
        + (f" with {failures} failed run(s)" if failures else ": every SMS delivered on both gateways")
    )
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
