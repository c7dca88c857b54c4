"""A small client of Airflow's REST API (``/api/v2``) and UI API, for the system tests."""

from __future__ import annotations

import time
from typing import Any

import requests

FINISHED = {"success", "failed"}


class AirflowApi:
    def __init__(self, base_url: str, username: str | None = None, password: str | None = None) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        if username is not None:  # simple auth manager with users: a token for the user
            credentials = {"username": username, "password": password}
            token = self.session.post(f"{base_url}/auth/token", json=credentials, timeout=10)
        else:  # all-admins simple auth manager: a token without credentials
            token = self.session.get(f"{base_url}/auth/token", timeout=10)
        if token.ok:
            self.token = token.json()["access_token"]
            self.session.headers["Authorization"] = f"Bearer {self.token}"
        self.session.cookies.clear()

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        reply = self.session.request(method, f"{self.base_url}{path}", timeout=30, **kwargs)
        if not reply.ok:
            raise AssertionError(f"{method} {path}: HTTP {reply.status_code} {reply.text[:500]}")
        return reply.json() if reply.content else None

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params or None)

    def wait_for_dag(self, dag_id: str, timeout: float = 180) -> dict[str, Any]:
        """Wait until the dag-processor has parsed ``dag_id`` and the scheduler can run it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reply = self.session.get(f"{self.base_url}/api/v2/dags/{dag_id}", timeout=30)
            if reply.ok:
                return reply.json()
            time.sleep(1)
        errors = self.get("/api/v2/importErrors")
        raise TimeoutError(f"DAG {dag_id} not parsed after {timeout} s; import errors: {errors}")

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        self.wait_for_dag(dag_id)
        run = self.request(
            "POST", f"/api/v2/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf or {}}
        )
        return run["dag_run_id"]

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        path = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances"
        return self.get(path, limit=1000)["task_instances"]

    def wait_for_run(
        self, dag_id: str, run_id: str, timeout: float = 300, poll: float = 0.5
    ) -> tuple[str, dict[str, set[str]]]:
        """Wait for the run to finish; returns its state and every state seen per task (polled)."""
        seen: dict[str, set[str]] = {}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for ti in self.task_instances(dag_id, run_id):
                seen.setdefault(ti["task_id"], set()).add(str(ti["state"]))
            state = self.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")["state"]
            if state in FINISHED:
                return state, seen
            time.sleep(poll)
        raise TimeoutError(f"{dag_id} {run_id} not finished after {timeout} s; tasks seen: {seen}")

    def dag_runs(self, dag_id: str) -> list[dict[str, Any]]:
        return self.get(f"/api/v2/dags/{dag_id}/dagRuns", limit=100)["dag_runs"]
