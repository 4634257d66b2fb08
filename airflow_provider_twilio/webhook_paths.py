"""Where the webhook receiver listens on Airflow's api-server, for code that builds URLs Twilio calls back."""

from __future__ import annotations

from urllib.parse import quote

URL_PREFIX = "/twilio"
"""The receiver's mount point on the api-server."""


def gather_url(base_url: str, conn_id: str, query: str, route: str = "gather") -> str:
    """The receiver's ``<Gather>`` action URL for a connection (``gather`` acknowledges, ``choice`` answers a
    HITL request); ``query`` is already percent-encoded."""
    return f"{base_url.rstrip('/')}{URL_PREFIX}/{quote(conn_id, safe='')}/{route}?{query}"
