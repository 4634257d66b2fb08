"""Inserting a row at most once, by its primary key, in one statement on every database Airflow supports.

Shared by everything the receiver writes (claims, held webhooks, queue rows, keypress XComs), so that a
webhook Twilio sends again, even concurrently, writes nothing twice.
"""

from __future__ import annotations

from typing import Any


def insert_once(session: Any, model: Any, values: dict[str, Any]) -> bool:
    """Insert the row unless its primary key exists, in one statement; True if this call inserted it.

    A concurrent insert of the same key waits for the first to commit and then inserts nothing.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        statement: Any = pg_insert(model).values(**values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(model).values(**values).on_conflict_do_nothing()
    else:  # MySQL
        from sqlalchemy import insert

        statement = insert(model).values(**values).prefix_with("IGNORE")
    return bool(session.execute(statement).rowcount == 1)
