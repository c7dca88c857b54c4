"""The SMS views: a send's (or a delivery wait's) outcome on its task instance, and a run's SMS tasks.

Served by the provider's app under ``/sms/ui/...``; on Airflow 3.1+ the plugin shows them as tabs of
the task instance and of the DAG run (:func:`external_views`); on 3.0 they answer at their URLs.
Every route asks Airflow's auth manager whether the caller may read the DAG's XComs (the
api-server's own ``requires_access_dag``): no token is a 401, a user without access gets a 403.
"""

# SessionDep is imported at runtime (noqa TC002): FastAPI resolves the routes' annotations.
from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
from airflow.api_fastapi.common.db.common import SessionDep  # noqa: TC002 - FastAPI reads it at runtime
from airflow.api_fastapi.core_api.security import requires_access_dag
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from airflow_provider_sms.plugins import ui_html
from airflow_provider_sms.plugins.ui_data import CACHE, page_of, sms_refs
from airflow_provider_sms.plugins.ui_journal import in_progress, read_progress

#: The views' paths below the app's prefix.
RUN_PATH = "/ui/dags/{dag_id}/runs/{run_id}"
TASK_PATH = RUN_PATH + "/tasks/{task_id}"
PAGE_SIZE = 50

router = APIRouter(
    dependencies=[Depends(requires_access_dag(method="GET", access_entity=DagAccessEntity.XCOM))]
)


def external_views(url_prefix: str) -> list[dict[str, Any]]:
    """The plugin's ``external_views`` (Airflow 3.1+): the UI fills in ``{DAG_ID}`` and the rest."""
    run = url_prefix + RUN_PATH.format(dag_id="{DAG_ID}", run_id="{RUN_ID}")
    return [
        {
            "name": "SMS",
            "href": run + "/tasks/{TASK_ID}?map_index={MAP_INDEX}",
            "destination": "task_instance",
            "url_route": "sms_task_instance",
        },
        {"name": "SMS", "href": run, "destination": "dag_run", "url_route": "sms_dag_run"},
    ]


def _map_index(raw: str) -> int:
    """The UI leaves ``{MAP_INDEX}`` as is for a task that is not mapped."""
    try:
        return int(raw)
    except ValueError:
        return -1


def _task_link(request: Request, dag_id: str, run_id: str, task_id: str) -> str:
    root = request.scope.get("root_path", "")
    return root + TASK_PATH.format(
        dag_id=quote(dag_id, safe=""), run_id=quote(run_id, safe=""), task_id=quote(task_id, safe="")
    )


@router.get(TASK_PATH, response_class=HTMLResponse)
def task_view(
    request: Request,
    dag_id: str,
    run_id: str,
    task_id: str,
    session: SessionDep,
    map_index: Annotated[str, Query()] = "-1",
    outcome: str = "",
    state: str = "",
    q: Annotated[str, Query(max_length=100)] = "",
    page: Annotated[int, Query(ge=1)] = 1,
) -> HTMLResponse:
    """One task instance: totals, funnel and one page of its rows (filtered); while a send is still
    at work, what its retry journal records so far."""
    index = _map_index(map_index)
    refs = sms_refs(session, dag_id, run_id)
    ref = next((r for r in refs if r.task_id == task_id and r.map_index == index), None)
    task = CACHE.get(session, dag_id, run_id, ref, refs) if ref is not None else None
    live = ref is not None and ref.kind == "send" and in_progress(ref.state)
    progress = read_progress(session, dag_id, run_id, task_id, index) if live else None
    filters: dict[str, str | int] = {"map_index": index, "outcome": outcome, "state": state, "q": q}
    shown = page_of(task, outcome=outcome, state=state, query=q, page=page, size=PAGE_SIZE) if task else None
    link = _task_link(request, dag_id, run_id, task_id)
    return HTMLResponse(ui_html.task_page(dag_id, run_id, task, shown, link, filters, live, progress))


@router.get(RUN_PATH, response_class=HTMLResponse)
def run_view(request: Request, dag_id: str, run_id: str, session: SessionDep) -> HTMLResponse:
    """One DAG run: its SMS tasks' totals summed, one line per task."""
    refs = sms_refs(session, dag_id, run_id)
    tasks = []
    for ref in refs:
        task = CACHE.get(session, dag_id, run_id, ref, refs)
        if task.rows or task.state in ("success", "failed"):
            link = f"{_task_link(request, dag_id, run_id, ref.task_id)}?map_index={ref.map_index}"
            tasks.append((task, link))
    return HTMLResponse(ui_html.run_page(dag_id, run_id, tasks))
