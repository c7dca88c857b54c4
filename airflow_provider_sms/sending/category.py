"""The category a send gets when its author gives none, where the gateway reads status by category.

A gateway that answers one category's figures in one request
(:attr:`~airflow_provider_sms.hooks.gateway.GatewayCapabilities.status_summary_by_category`)
lets the delivery sensor poll 2,000 pending messages with one request while nothing moves, but only
when the messages carry a category (:mod:`airflow_provider_sms.tracking.figures_gate`). So
:class:`~airflow_provider_sms.operators.send.SmsSendOperator` gives such a send a category of its
task in its DAG run: the same on every try (a retry's messages and those an earlier try got
accepted share it), different in every other DAG run or task. The map index is left out on purpose:
the instances of a mapped send share one category, so one sensor fed the mapped output reads one
figure set per poll (a category per instance would exceed the gate's 4 categories at once).

Its format, ``airflow`` and 20 lowercase hexadecimal digits (27 ASCII letters and digits), keeps to
the characters of the vendor's own example (``codeConfirmation``) and far below the generic
100-character label limit (``docs/vendor-apis.md``, assumption A46).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from airflow_provider_sms.toolkit.task_store import scope_of

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_sms.hooks.gateway import GatewayCapabilities

#: What every chosen category starts with (how to tell them from the ones users pick).
PREFIX = "airflow"
#: Hexadecimal digits of the digest kept (80 bits: no collision in practice).
DIGEST_LENGTH = 20


def task_category(dag_id: str, run_id: str, task_id: str) -> str:
    """``airflow`` + 20 hex digits of a SHA-256 of the task's identity in its DAG run (not its try,
    nor its map index)."""
    identity = "\x1f".join((str(dag_id), str(run_id), str(task_id)))
    return PREFIX + hashlib.sha256(identity.encode()).hexdigest()[:DIGEST_LENGTH]


def own_category(context: Context) -> str:
    """The running task's own category (:func:`task_category`)."""
    dag_id, run_id, task_id, _ = scope_of(context)
    return task_category(dag_id, run_id, task_id)


def send_category(category: str | None, capabilities: GatewayCapabilities, context: Context) -> str | None:
    """``category`` when given; else, where the gateway gates status polls by category, the
    running task's own (:func:`task_category`); else ``None``."""
    if category is not None or not capabilities.status_summary_by_category:
        return category
    return own_category(context)
