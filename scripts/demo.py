"""The README's main job: run example_sms_quickstart on both gateways against the emulator.

Sets up a throwaway Airflow home on SQLite (``.airflow_home/``), migrates it, starts the gateway
emulator on a free loopback port, runs ``airflow dags test`` once per gateway, then prints what the
emulator received and the delivery states. Exits non-zero if a run fails.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOME = ROOT / ".airflow_home"
DAG_ID = "example_sms_quickstart"


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
            log = HOME / f"dags-test-{vendor}.log"
            print(f"== {vendor}: airflow dags test {DAG_ID} (log: {log.relative_to(ROOT)})")
            run = airflow("dags", "test", DAG_ID, "-c", json.dumps({"sms_conn_id": conn_id}), log=log)
            output = run.stdout + run.stderr
            state = run_state(output)
            ok = run.returncode == 0 and state == "success"
            print(f"   DAG run: {state}")
            print(f"   {'recipient':<16} {'message id':<12} {'segments':<9} {'state':<14} text")
            for message in emulator.messages(vendor=vendor):
                print(
                    f"   {mask_number(message['recipient']):<16} {message['message_id']!s:<12} "
                    f"{message['segments']!s:<9} {message['state']!s:<14} {message['text']}"
                )
            report = [line for line in output.splitlines() if "delivery report:" in line]
            print(
                f"   sensor result: {report[-1].split('delivery report:')[-1].strip() if report else '?'}\n"
            )
            if not ok:
                failures += 1
                print(output[-4000:])
    print("Demo finished" + (f" with {failures} failed run(s)" if failures else ": both gateways delivered"))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
