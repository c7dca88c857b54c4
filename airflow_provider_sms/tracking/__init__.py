"""Delivery and inbound tracking shared by the sensors and the triggers: which messages are final,
when a wait is done, what a reschedule-mode sensor remembers, which replies count. No Airflow
operator code: the sensors and triggers drive these."""
