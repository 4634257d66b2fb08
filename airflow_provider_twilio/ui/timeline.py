"""One timeline, oldest first, from what the tasks recorded and the connections' logs.

Every number goes through ``show``, so masking is decided in one place. Twilio's log gives live
statuses, bodies and segment counts; the XComs give who sent what, the matched reply and its groups,
keypresses and HITL answers. A message the log no longer holds keeps what its task recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from airflow_provider_twilio.answers.records import ANSWER_KEY, MESSAGE_PREFIX, REQUEST_PREFIX
from airflow_provider_twilio.exceptions import error_type_for
from airflow_provider_twilio.ui.lists import Listing
from airflow_provider_twilio.ui.records import KEYPRESS_PREFIX, Recorded, RunRecords

Show = Callable[[Any], Any]
Lists = Callable[[str, str], Listing]
"""(kind, conn_id) -> the connection's log."""

_EMPTY = Listing({})


def _error_name(code: Any) -> str | None:
    return error_type_for(int(code)).value if code not in (None, "") else None


def _stamp(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _second(value: datetime | None) -> str:
    """A record time cut to the second, comparable with Twilio's one-second log dates."""
    return value.replace(microsecond=0).isoformat() if value is not None else ""


def sends(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, list) and all(isinstance(v, dict) and "num_segments" in v and "to" in v for v in value):
        return value
    return []


def calls(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, list) and all(isinstance(v, dict) and "answered_by" in v and "to" in v for v in value):
        return value
    return []


def matched_reply(value: Any) -> dict[str, Any] | None:
    if isinstance(value, dict) and isinstance(value.get("message"), dict) and "match_groups" in value:
        return value
    return None


def build(
    records: RunRecords, lists: Lists, show: Show, *, run_wide: bool = True
) -> tuple[list[dict[str, Any]], list[str]]:
    """The events and the list errors (by connection), for one run or task instance.

    Texts found only in the log (replies no sensor matched, echoes) belong to the run, or to the HITL
    task that asked: a send task's own tab leaves them out.
    """
    events: list[dict[str, Any]] = []
    errors: list[str] = []
    wanted = _kinds_by_connection(records)
    logs: dict[tuple[str, str], Listing] = {}
    for kind, conn_id in sorted(wanted):
        logs[(kind, conn_id)] = listing = lists(kind, conn_id)
        if listing.error:
            errors.append(f"{conn_id} {kind}: {listing.error}")

    def log(kind: str, row: Recorded) -> Listing:
        return logs.get((kind, records.conn_id_for(row.task_id, row.map_index)), _EMPTY)

    texted: dict[str, set[str]] = {}  # conn_id -> numbers the run texted or asked
    senders: dict[str, set[str]] = {}
    matched_sids: set[str] = set()
    hitl_sids: dict[str, dict[str, Any]] = {}
    since: dict[str, str] = {}
    for row in records.rows:
        conn_id = records.conn_id_for(row.task_id, row.map_index)
        where = {"task_id": row.task_id, "map_index": row.map_index}
        if row.key == "return_value":
            for result in sends(row.value):
                live = log("messages", row).records.get(result.get("sid") or "", {})
                events.append(_message_event(result, live, row, where, show))
                if run_wide:
                    texted.setdefault(conn_id, set()).add(result["to"])
                if live.get("from"):
                    senders.setdefault(conn_id, set()).add(live["from"])
                since.setdefault(conn_id, live.get("time") or _second(row.timestamp))
            for result in calls(row.value):
                live = log("calls", row).records.get(result.get("sid") or "", {})
                events.append(_call_event(result, live, row, where, show))
            reply = matched_reply(row.value)
            if reply is not None:
                message = reply["message"]
                matched_sids.add(str(message.get("sid")))
                events.append(
                    {
                        "kind": "reply",
                        **where,
                        "sid": message.get("sid"),
                        "from": show(message.get("from")),
                        "to": show(message.get("to")),
                        "body": str(message.get("body") or "")[:160],
                        "matched": True,
                        "match_groups": reply.get("match_groups") or {},
                        "groups": reply.get("groups") or [],
                        "time": message.get("date_sent") or _stamp(row.timestamp),
                    }
                )
        elif row.key.startswith(KEYPRESS_PREFIX) and isinstance(row.value, dict):
            events.append(
                {
                    "kind": "keypress",
                    **where,
                    "sid": row.value.get("call_sid"),
                    "digits": row.value.get("digits"),
                    "expected": row.value.get("expected"),
                    "matched": bool(row.value.get("matched")),
                    "time": row.value.get("received_at") or _stamp(row.timestamp),
                }
            )
        elif row.key.startswith(REQUEST_PREFIX) and isinstance(row.value, dict):
            respondents = row.value.get("respondents") or {}
            texted.setdefault(conn_id, set()).update(respondents)
            if row.value.get("sender"):
                senders.setdefault(conn_id, set()).add(row.value["sender"])
            since.setdefault(conn_id, _second(row.timestamp))
        elif row.key.startswith(MESSAGE_PREFIX) and isinstance(row.value, dict):
            hitl_sids[row.key[len(MESSAGE_PREFIX) :]] = {**row.value, "timestamp": _stamp(row.timestamp)}
        elif row.key == ANSWER_KEY and isinstance(row.value, dict):
            note = hitl_sids.get(str(row.value.get("sid")), {})
            events.append(
                {
                    "kind": "hitl_answer",
                    **where,
                    "sid": row.value.get("sid"),
                    "via": row.value.get("via"),
                    "user": row.value.get("user"),
                    "chosen": note.get("chosen") or [],
                    "time": _stamp(row.timestamp),
                }
            )
    known = matched_sids | {str(event["sid"]) for event in events if event["kind"] == "message"}
    events.extend(_conversation(logs, texted, senders, since, known, hitl_sids, show))
    events.sort(key=lambda event: event.get("time") or "")
    return events, errors


def _kinds_by_connection(records: RunRecords) -> set[tuple[str, str]]:
    wanted = set()
    for row in records.rows:
        conn_id = records.conn_id_for(row.task_id, row.map_index)
        if sends(row.value) or row.key.startswith(REQUEST_PREFIX):
            wanted.add(("messages", conn_id))
        if calls(row.value):
            wanted.add(("calls", conn_id))
    return wanted


def _message_event(
    result: dict[str, Any], live: dict[str, Any], row: Recorded, where: dict[str, Any], show: Show
) -> dict[str, Any]:
    code = live.get("error_code", result.get("error_code"))
    return {
        "kind": "message",
        **where,
        "sid": result.get("sid"),
        "to": show(result.get("to")),
        "from": show(live.get("from")),
        "body": live.get("body"),
        "segments": live.get("segments") or result.get("num_segments"),
        "status": live.get("status") or result.get("status"),
        "error_code": code,
        "error_name": _error_name(code) if code else result.get("error_type"),
        "time": live.get("time") or _stamp(row.timestamp),
    }


def _call_event(
    result: dict[str, Any], live: dict[str, Any], row: Recorded, where: dict[str, Any], show: Show
) -> dict[str, Any]:
    code = result.get("error_code")
    return {
        "kind": "call",
        **where,
        "sid": result.get("sid"),
        "to": show(result.get("to")),
        "status": live.get("status") or result.get("status"),
        "answered_by": live.get("answered_by") or result.get("answered_by"),
        "acknowledged": result.get("acknowledged"),
        "duration": live.get("duration") or result.get("duration"),
        "error_code": code,
        "error_name": result.get("error_type") or _error_name(code),
        "time": live.get("time") or _stamp(row.timestamp),
    }


def _conversation(
    logs: dict[tuple[str, str], Listing],
    texted: dict[str, set[str]],
    senders: dict[str, set[str]],
    since: dict[str, str],
    known_sids: set[str],
    hitl_sids: dict[str, dict[str, Any]],
    show: Show,
) -> Iterable[dict[str, Any]]:
    """The rest of the conversation in the log, after the run first texted: texts between a number it
    texted and a number it texted from that no task result holds (replies nobody matched, a sensor's
    echo, a HITL notifier's request and confirmation)."""
    for (kind, conn_id), listing in logs.items():
        if kind != "messages":
            continue
        people, ours = texted.get(conn_id, set()), senders.get(conn_id, set())
        for message in listing.records.values():
            inbound = message.get("direction") == "inbound"
            person, number = (message.get("from"), message.get("to"))[:: 1 if inbound else -1]
            if message["sid"] in known_sids or person not in people or number not in ours:
                continue
            if (message.get("time") or "") < since.get(conn_id, ""):
                continue
            where = {"task_id": None, "map_index": None, "sid": message["sid"], "time": message.get("time")}
            if not inbound:
                code = message.get("error_code")
                yield {
                    "kind": "message",
                    **where,
                    "to": show(person),
                    "from": show(number),
                    "body": message.get("body"),
                    "segments": message.get("segments"),
                    "status": message.get("status"),
                    "error_code": code,
                    "error_name": _error_name(code) if code else None,
                }
                continue
            chosen = (hitl_sids.get(message["sid"]) or {}).get("chosen")
            yield {
                "kind": "reply",
                **where,
                "from": show(person),
                "to": show(number),
                "body": message.get("body"),
                "matched": bool(chosen),
                "match_groups": {"chosen": chosen} if chosen else {},
                "groups": [],
            }
