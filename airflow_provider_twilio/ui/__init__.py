"""The Twilio view in Airflow's UI (3.1+): one timeline per DAG run or task instance, and a 24-hour summary.

What the run's tasks recorded (their XComs) is joined with one list request per Twilio connection
(``lists.py``), masked for the reader (``masking.py``) and served, to authorized users only
(``access.py``), by the api-server app in ``app.py``; ``plugin.py`` registers it.
"""
