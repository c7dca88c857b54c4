"""Rules that need no network and no Airflow: numbers, text, schedule, inputs, whole requests.

A gateway's own rules (its characters, segment ceiling, schedule step) live in its hook, which
:func:`~airflow_provider_sms.rules.request.validate_send` asks through a small protocol.
"""
