"""Answering Airflow's own human-in-the-loop requests from a phone, with Airflow's response semantics.

Used by the api-server's webhook receiver (``webhooks/hitl.py``), the keypress receiver and the inbox
poller. Everything is kept in Airflow's own tables, never in tables of ours:

- the request a notifier sent (who may answer, as which Airflow user, on which connection) is an XCom
  of the HITL task instance (``pending.py``);
- each inbound message or call handled, the one help text and the one refusal per request, and an
  answer held until the task is parked, are XComs of that task instance too (``records.py``): their
  keys are the database's primary key, so a second claim of the same one fails, in any process;
- the response itself is Airflow's ``hitl_detail`` row, written and resumed as the REST API does
  (``respond.py``); the audit log records that it came by SMS or call.
"""
