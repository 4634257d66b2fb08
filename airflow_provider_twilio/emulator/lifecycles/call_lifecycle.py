"""A call's life in the emulator: ringing, the simulated person's answer, the TwiML program, the end.

One coroutine per call on the server's event loop moves the stored call resource through Twilio's
statuses (queued, ringing, in-progress, then completed, busy, no-answer, failed or canceled) and
sends the signed status callbacks that ``StatusCallbackEvent`` asks for. Once answered, the TwiML
(inline, or fetched from ``Url`` with a signed request) runs: ``<Pause>`` and an unanswered
``<Gather>`` take their seconds; ``<Say>`` and ``<Play>`` take none. A document that does not parse
fails the call with Twilio's 12100, an unreachable ``Url`` with 11200, and a ``<Redirect>`` or
``<Gather action>`` naming anything but an http(s) URL (``file:``, ``ftp:``, ``data:``...) with
11100 before anything is opened; each is recorded as the call's notifications.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from airflow_provider_twilio import twiml
from airflow_provider_twilio.emulator.http.timefmt import rfc2822
from airflow_provider_twilio.emulator.http.urls import INVALID_URL, UnsupportedUrl
from airflow_provider_twilio.emulator.lifecycles.deliveries import deliver, send_signed
from airflow_provider_twilio.emulator.model.message_rules import Form
from airflow_provider_twilio.emulator.model.message_store import API_VERSION, new_sid
from airflow_provider_twilio.emulator.simulation.people import CallBehaviour
from airflow_provider_twilio.emulator.state import EmulatorState

DEFAULT_TIMEOUT = 60
MAX_TIMEOUT = 600
DEFAULT_TIME_LIMIT = 14400
DEFAULT_GATHER_TIMEOUT = 5.0
HTTP_RETRIEVAL_FAILURE = 11200
MACHINE_ANSWERS = {"Enable": "machine_start", "DetectMessageEnd": "machine_end_beep"}
FINAL = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})
CALLBACK_EVENTS = ("initiated", "ringing", "answered", "completed")


@dataclass
class CallRun:
    """What the emulator keeps about a call besides its API resource."""

    call: dict[str, Any]
    behaviour: CallBehaviour
    url: str | None
    method: str
    twiml: str | None
    status_callback: str | None
    status_callback_method: str
    events: frozenset[str]
    machine_detection: str | None
    timeout: float
    time_limit: float
    notifications: list[dict[str, Any]] = field(default_factory=list)
    task: asyncio.Task[Any] | None = None
    hangup_at: float = math.inf
    sequence: int = 0
    digits_used: bool = False
    answered_at: float | None = None


def options(form: Form) -> dict[str, Any]:
    """The create parameters that shape a call's life; ``ValueError`` names a bad one."""
    events = {event for value in form.get_all("StatusCallbackEvent") for event in value.split()}
    unknown = events - set(CALLBACK_EVENTS)
    if unknown:
        raise ValueError(f"StatusCallbackEvent {sorted(unknown)[0]!r} is not one of {', '.join(CALLBACK_EVENTS)}")
    machine = form.get("MachineDetection") or None
    if machine is not None and machine not in MACHINE_ANSWERS:
        raise ValueError(f"MachineDetection {machine!r} is not one of Enable, DetectMessageEnd")
    timeout = _whole("Timeout", form.get("Timeout"), DEFAULT_TIMEOUT, 1, MAX_TIMEOUT)
    time_limit = _whole("TimeLimit", form.get("TimeLimit"), DEFAULT_TIME_LIMIT, 1, DEFAULT_TIME_LIMIT)
    twiml_text = form.get("Twiml") or None
    if twiml_text is not None and len(twiml_text) > twiml.MAX_TWIML_CHARS:
        raise ValueError(f"Twiml is {len(twiml_text)} characters; the maximum is {twiml.MAX_TWIML_CHARS}")
    return {
        "url": form.get("Url") or None,
        "method": (form.get("Method") or "POST").upper(),
        "twiml": twiml_text,
        "status_callback": form.get("StatusCallback") or None,
        "status_callback_method": (form.get("StatusCallbackMethod") or "POST").upper(),
        "events": frozenset(events or {"completed"}),
        "machine_detection": machine,
        "timeout": float(timeout),
        "time_limit": float(time_limit),
    }


def _whole(name: str, value: str | None, default: int, low: int, high: int) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{name} {value!r} is not a whole number of seconds") from None
    if not low <= number <= high:
        raise ValueError(f"{name} {value!r} must be from {low} to {high} seconds")
    return number


def start(state: EmulatorState, run: CallRun) -> None:
    """Begin the call's life; called on the server's event loop right after the call is stored."""
    with state.lock:
        state.call_runs[run.call["sid"]] = run
    _spawn(state, run, _life(state, run))


def _spawn(state: EmulatorState, run: CallRun, work: Coroutine[Any, Any, None]) -> None:
    run.task = asyncio.get_running_loop().create_task(work)
    state.keep_task(run.task)


def _alive(state: EmulatorState, run: CallRun) -> bool:
    """False once the emulator was reset (the call is forgotten) or the call ended."""
    return state.calls.get(run.call["sid"]) is run.call and run.call["status"] not in FINAL


async def _life(state: EmulatorState, run: CallRun) -> None:
    step = state.status_delay
    person = run.behaviour
    await asyncio.sleep(step)
    if not _alive(state, run):
        return
    _set(run, start_time=rfc2822(time.time()))  # Twilio: empty until the call is dialed
    _notify(state, run, "initiated", "initiated")
    await asyncio.sleep(step)
    if not _alive(state, run):
        return
    _set(run, status="ringing")
    _notify(state, run, "ringing", "ringing")
    if person.answer == "no-answer" or person.after >= run.timeout:
        await asyncio.sleep(run.timeout)
        _finish(state, run, "no-answer")
        return
    await asyncio.sleep(person.after)
    if not _alive(state, run):
        return
    if person.answer in ("busy", "fail"):
        _finish(state, run, "busy" if person.answer == "busy" else "failed")
        return
    _answer(state, run)
    await _talk(state, run, None)


def _answer(state: EmulatorState, run: CallRun) -> None:
    now = time.time()
    answered_by = None
    if run.machine_detection is not None:
        answered_by = "human" if run.behaviour.answer == "human" else MACHINE_ANSWERS[run.machine_detection]
    _set(run, status="in-progress", answered_by=answered_by)
    run.answered_at = now
    run.hangup_at = now + min(run.behaviour.talk, run.time_limit)
    _notify(state, run, "answered", "in-progress")


async def _talk(state: EmulatorState, run: CallRun, document: str | None) -> None:
    """Run the TwiML until it ends, the person hangs up or the time limit is reached; then complete the call."""
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(_program(state, run, document), max(run.hangup_at - time.time(), 0.0))
    _finish(state, run, "completed")


async def _program(state: EmulatorState, run: CallRun, document: str | None) -> None:
    url = None
    if document is None and run.url is not None:
        url = run.url
        document = await _fetch_twiml(state, run, url, run.method, {})
    elif document is None:
        document = run.twiml
    while document is not None and _alive(state, run):
        try:
            verbs = twiml.parse(document, strict=False)
        except twiml.TwimlError as err:
            _fail(state, run, err.code, str(err))
            return
        document, url = await _run_verbs(state, run, verbs, url)


async def _run_verbs(
    state: EmulatorState, run: CallRun, verbs: list[twiml.Verb], url: str | None
) -> tuple[str | None, str | None]:
    """Run one document's verbs; the next document (from ``<Redirect>`` or a ``<Gather>`` action) and its URL."""
    for verb in verbs:
        if not _alive(state, run):
            return None, None
        if verb.name in ("Hangup", "Reject"):
            return None, None
        if verb.name == "Pause":
            await asyncio.sleep(_number(verb.attrs.get("length"), 1.0))
        elif verb.name == "Redirect":
            target = _resolve(url, verb.text)
            if target is None:
                return None, None
            return await _fetch_twiml(state, run, target, verb.attrs.get("method", "POST"), {}), target
        elif verb.name == "Gather":
            digits = None if run.digits_used or run.behaviour.answer != "human" else run.behaviour.digits
            if digits is not None:
                run.digits_used = True
                target = _resolve(url, verb.attrs.get("action", "")) or url
                if target is None:
                    continue
                method = verb.attrs.get("method", "POST")
                return await _fetch_twiml(state, run, target, method, {"Digits": digits}), target
            await asyncio.sleep(_number(verb.attrs.get("timeout"), DEFAULT_GATHER_TIMEOUT))
    return None, None


def _resolve(base: str | None, target: str) -> str | None:
    """``target`` made absolute against the current document's URL; None if there is nothing to go to.

    An absolute target keeps its scheme, whatever it is: ``send_signed`` decides what may be fetched.
    """
    target = target.strip()
    if not target:
        return None
    try:
        absolute = bool(urlsplit(target).scheme)
        return target if absolute else urljoin(base, target) if base else None
    except ValueError:  # not a URL at all (an unclosed IPv6 bracket): refused where it is fetched
        return target


def _number(value: str | None, default: float) -> float:
    try:
        return max(float(value), 0.0) if value else default
    except ValueError:
        return default


async def _fetch_twiml(state: EmulatorState, run: CallRun, url: str, method: str, extra: dict[str, str]) -> str | None:
    params = {**_call_params(run, run.call["status"]), **extra}
    try:
        answer = await send_signed(url, params, state.auth_token, "GET" if method.upper() == "GET" else "POST")
    except UnsupportedUrl as err:
        _fail(state, run, INVALID_URL, f"{err}: the TwiML was not fetched")
        return None
    state.note_webhook(
        {"kind": "voice", "url": url, "method": method, "attempt": 1, "sid": run.call["sid"],
         "status": None if answer is None else answer.status, "time": time.time()}
    )  # fmt: skip
    if answer is None or not 200 <= answer.status < 300:
        what = "unreachable" if answer is None else f"HTTP {answer.status}"
        _fail(state, run, HTTP_RETRIEVAL_FAILURE, f"TwiML at {url} could not be fetched: {what}")
        return None
    body = answer.body.decode("utf-8", "replace")
    return body if body.strip() else "<Response/>"  # an empty answer (204) ends the document


def _fail(state: EmulatorState, run: CallRun, code: int, message: str) -> None:
    note = {"sid": new_sid("NO"), "error_code": str(code), "message_text": message, "log": "0", "at": time.time()}
    run.notifications.append(note)
    _finish(state, run, "failed")


def _set(run: CallRun, **changes: Any) -> None:
    run.call.update(changes)
    run.call["date_updated"] = rfc2822(time.time())


def _finish(state: EmulatorState, run: CallRun, status: str) -> None:
    """End the call once: final status, end time, duration, and the ``completed`` callback."""
    if not _alive(state, run):
        return
    now = time.time()
    answered_at = run.answered_at
    duration = None if answered_at is None else max(round(now - answered_at), 1)
    _set(run, status=status, end_time=rfc2822(now), duration=None if duration is None else str(duration))
    if duration is not None:
        _set(run, price=f"-{0.014 * max(math.ceil(duration / 60), 1):.5f}")
    _notify(state, run, "completed", status)


def end(state: EmulatorState, run: CallRun, status: str) -> None:
    """End the call now (an API update): canceled before answer, completed after."""
    if run.task is not None and run.task is not asyncio.current_task():
        run.task.cancel()
    _finish(state, run, status)


def redirect(state: EmulatorState, run: CallRun, document: str | None) -> None:
    """Replace the running TwiML of an answered call with ``document`` (None: fetch ``run.url`` again)."""
    if run.task is not None:
        run.task.cancel()
    _spawn(state, run, _talk(state, run, document))


def _call_params(run: CallRun, status: str) -> dict[str, str]:
    call = run.call
    params = {
        "AccountSid": call["account_sid"],
        "ApiVersion": API_VERSION,
        "CallSid": call["sid"],
        "CallStatus": status,
        "Called": call["to"],
        "Caller": call["from"],
        "Direction": call["direction"],
        "From": call["from"],
        "To": call["to"],
    }
    if call.get("answered_by"):
        params["AnsweredBy"] = call["answered_by"]
    return params


def _notify(state: EmulatorState, run: CallRun, event: str, status: str) -> None:
    if run.status_callback is None or event not in run.events:
        return
    params = _call_params(run, status)
    params.update(
        {
            "CallbackSource": "call-progress-events",
            "SequenceNumber": str(run.sequence),
            "Timestamp": rfc2822(time.time()) or "",
        }
    )
    if event == "completed":
        params["CallDuration"] = run.call["duration"] or "0"
        params["Duration"] = str(math.ceil(int(params["CallDuration"]) / 60))
        if run.notifications:
            params["ErrorCode"] = run.notifications[-1]["error_code"]
    run.sequence += 1
    url, method = run.status_callback, run.status_callback_method

    async def send() -> None:
        await deliver(state, "status", url, params, method)

    with contextlib.suppress(RuntimeError):
        state.keep_task(asyncio.get_running_loop().create_task(send()))
