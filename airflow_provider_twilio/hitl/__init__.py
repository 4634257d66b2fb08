"""Human-in-the-loop over text and call: the request text, short references, reading a reply, the answers sent back.

Pure logic with no Airflow classes, shared by the notifiers (``notifications/hitl.py``) and the
resolver (``answers/``). Replies are data: bounded in size, matched without regular expressions in
linear time, and never rendered as templates.
"""
