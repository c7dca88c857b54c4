"""A send still at work in the SMS task view: the totals its retry journal records so far, read in
the api-server from the real store the operator wrote (Airflow 3.3's ``task_state_store``, or the
Variables of 3.0 to 3.2), through Airflow's own api app.

``send_retry`` (``retries=1``) runs under ``dag.test()`` against the emulator, which answers HTTP
500 to every send after the 12th: both tries fail and leave their journal (12 accepted, the rest
of unknown outcome or not sent). The task instance is then put in the state it has between tries
(``up_for_retry``) and at the start of the next try (``running``, XComs cleared), which
``dag.test()`` cannot stop in.
"""

from __future__ import annotations

import json

import pytest

from airflow_provider_sms.model.results import SendResult
from airflow_provider_sms.sending.journal import SendJournal
from airflow_provider_sms.toolkit import task_store as journal_store
from airflow_provider_sms.toolkit.task_store import KEY_PREFIX, MemoryStore, VariableStore
from airflow_provider_sms.version_compat import AIRFLOW_V_3_3_PLUS
from tests.helpers.gateways import CONN_IDS
from tests.helpers.task_fakes import tries
from tests.operators.test_send_retry import PRIMOTEXTO_SEND, load_dag
from tests.plugins.test_ui import cards, get, run_path

COUNT, ACCEPTED = 30, 12


def journal_values(dag_run, store: str) -> dict[str, str]:
    """Key suffix (``head``, ``0``, ``1``...) -> stored JSON of the send's journal, from the DB."""
    from airflow.models.variable import Variable
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        if store == "variable":
            prefix = VariableStore((dag_run.dag_id, dag_run.run_id, "send", -1)).key_prefix
            found = session.scalars(select(Variable).where(Variable.key.like(f"{prefix}.%")))
            return {v.key[len(prefix) + 1 :]: v.val for v in found}
        from airflow.models.task_state_store import TaskStateStoreModel as Model

        query = select(Model.key, Model.value).where(
            Model.dag_id == dag_run.dag_id, Model.run_id == dag_run.run_id
        )
        return {key[len(KEY_PREFIX) + 1 :]: value for key, value in session.execute(query)}


def operator_tally(values: dict[str, str]) -> tuple[int, int]:
    """``(accepted, unknown)`` as the operator's next try would load them."""
    store = MemoryStore()
    for suffix, value in values.items():
        if suffix.isdigit():
            store.write(int(suffix), json.loads(value))
    journal = SendJournal(store, salt="any")
    journal.load()
    return journal.tally()


def set_send_state(dag_run, state: str, *, clear_xcoms: bool = False) -> None:
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import delete, update

    where = (TaskInstance.dag_id == dag_run.dag_id, TaskInstance.run_id == dag_run.run_id)
    with create_session() as session:
        session.execute(
            update(TaskInstance).where(*where, TaskInstance.task_id == "send").values(state=state)
        )
        if clear_xcoms:
            session.execute(
                delete(XComModel).where(
                    XComModel.dag_id == dag_run.dag_id,
                    XComModel.run_id == dag_run.run_id,
                    XComModel.task_id == "send",
                )
            )


class ServerSideStore:
    """``context["task_state_store"]`` as the execution API serves it: the configured state backend
    over the metadata DB, values as JSON text (what a task's ``get`` / ``set`` end up calling)."""

    def __init__(self, dag_run) -> None:
        from airflow.state import TaskScope

        self.scope = TaskScope(dag_id=dag_run.dag_id, run_id=dag_run.run_id, task_id="send", map_index=-1)

    def get(self, key, default=None):
        from airflow.state import get_state_backend

        raw = get_state_backend().get(self.scope, key)
        return default if raw is None else json.loads(raw)

    def set(self, key, value, *, retention=None):
        from airflow.state import get_state_backend

        get_state_backend().set(self.scope, key, json.dumps(value))


def try_three(dag_run, emulator) -> tuple[SendJournal, list[str]]:
    """The operator's journal in a third try: it loads (and compacts) what tries 1 and 2 wrote,
    plans the recipients not accepted, makes their intents durable, gets 5 accepted."""
    from airflow_provider_sms.toolkit.task_store import TaskStateStore
    from tests.operators.test_send_retry import numbers

    sent = {m["recipient"] for m in emulator.messages(vendor="primotexto")}
    todo = [number for number in numbers(COUNT) if number not in sent]
    journal = SendJournal(
        TaskStateStore(ServerSideStore(dag_run)),
        salt=f"{dag_run.dag_id}/{dag_run.run_id}/send/-1",
        try_number=3,
    )
    journal.load()
    requests = journal.plan([[number] for number in todo], [None] * len(todo))
    journal.ensure_intent(requests[0])
    journal.record_accepted([SendResult(message_id=f"t3-{n}", recipient=n) for n in todo[:5]])
    journal.flush()
    return journal, todo


def drop_journal(dag_run, store: str, part: int | None = None) -> None:
    """Delete the send's journal (or only part ``part``: task_state_store only)."""
    from airflow.models.variable import Variable
    from airflow.utils.session import create_session
    from sqlalchemy import delete

    with create_session() as session:
        if store == "variable":
            prefix = VariableStore((dag_run.dag_id, dag_run.run_id, "send", -1)).key_prefix
            session.execute(
                delete(Variable)
                .where(Variable.key.like(f"{prefix}.%"))
                .execution_options(synchronize_session=False)
            )
        else:
            from airflow.models.task_state_store import TaskStateStoreModel as Model

            where = [Model.dag_id == dag_run.dag_id, Model.run_id == dag_run.run_id]
            if part is not None:
                where.append(Model.key == f"{KEY_PREFIX}.{part}")
            session.execute(delete(Model).where(*where))


@pytest.mark.parametrize("store", ["task_state_store", "variable"])
def test_a_send_between_tries_and_in_its_next_try(airflow_db, emulator, api, token, monkeypatch, store):
    if store == "variable":
        monkeypatch.setattr(journal_store, "_task_state_store", lambda context: None)
    elif not AIRFLOW_V_3_3_PLUS:
        pytest.skip("no task_state_store before Airflow 3.3")
    emulator.add_fault("server_error", vendor="primotexto", path=PRIMOTEXTO_SEND, after=ACCEPTED)

    dag_run = load_dag("send_retry").test(run_conf={"sms_conn_id": CONN_IDS["primotexto"], "count": COUNT})

    assert tries(dag_run) == [(1, "failed"), (2, "failed")]
    assert len(emulator.messages(vendor="primotexto")) == ACCEPTED
    values = journal_values(dag_run, store)
    assert values, "the failed task left its journal"
    accepted, unknown = operator_tally(values)
    assert accepted == ACCEPTED
    path = f"{run_path(dag_run)}/tasks/send"

    # finished: the XComs' totals, no journal read
    assert "In progress" not in get(api, token, path)

    # between tries: the journal's totals above the failed try's XComs
    set_send_state(dag_run, "up_for_retry")
    page = get(api, token, path)
    shown = cards(page)
    assert shown["accepted so far"] == str(ACCEPTED)
    assert shown["in flight"] == str(unknown)
    assert int(shown["not sent so far"]) == COUNT - ACCEPTED - unknown
    assert shown["try"] == "2"
    assert shown["planned in this try"] == str(COUNT - ACCEPTED)  # try 2 left out the accepted
    assert f"({store}," in page
    assert shown["accepted"] == str(ACCEPTED)  # the failed try's XComs still shown below

    # the next try has started: XComs cleared, the journal is all there is (no rows)
    set_send_state(dag_run, "running", clear_xcoms=True)
    page = get(api, token, path)
    assert cards(page)["accepted so far"] == str(ACCEPTED)
    assert "accepted" not in cards(page)
    assert "<table" not in page
    assert "hash per recipient, not numbers" in page
    assert "+336" not in page

    if store == "task_state_store":  # the view again once the next try has written parts
        journal, todo = try_three(dag_run, emulator)
        shown = cards(get(api, token, path))
        assert (shown["accepted so far"], shown["in flight"], shown["not sent so far"]) == ("17", "13", "0")
        assert (shown["try"], shown["planned in this try"]) == ("3", "18")
        journal.record_accepted([SendResult(message_id=f"t3-{n}", recipient=n) for n in todo[5:8]])
        journal.record_not_sent(todo[8:9])
        journal.flush()  # one more part: the view folds it onto what it folded before
        shown = cards(get(api, token, path))
        assert (shown["accepted so far"], shown["in flight"], shown["not sent so far"]) == ("20", "9", "1")
        drop_journal(dag_run, store, part=journal.parts - 1)  # a part gone (retention): folded again
        assert cards(get(api, token, path))["accepted so far"] == "17"

    # a try that has written nothing yet
    drop_journal(dag_run, store)
    assert "No progress recorded yet." in get(api, token, path)
