"""The send engine behind :class:`~airflow_provider_sms.operators.send.SmsSendOperator` and the
notifier: one execution in phases (:mod:`.run`), requests planned by text and sent with their
intents journaled first (:mod:`.batch`, :mod:`.async_batch`), the retry journal (:mod:`.journal`,
:mod:`.journal_parts`), reconciliation of unknown outcomes (:mod:`.reconcile`), and what a send
reports at its end (:mod:`.observe`, :mod:`.dry_run`). The fan-out, throttle and durable store it
uses are the shared toolkit (:mod:`airflow_provider_sms.toolkit`)."""
