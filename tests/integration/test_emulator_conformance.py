"""Conformance: requests generated from Twilio's OpenAPI spec (tests/data) for every operation the emulator serves.

Schemathesis draws schema-valid ("positive") and schema-violating ("negative") requests for each operation,
Hypothesis-style, with fixed seeds (``derandomize``) so a run is reproducible. Every answer must hold:

- no 5xx, ever;
- every 4xx in Twilio's JSON error shape. The spec documents almost no error responses (most operations
  list only their success status), so the shape checked is the one Twilio's error docs describe
  (``code``, ``message``, ``more_info``, ``status``), not a schema from the spec;
- every 2xx is a status the spec documents for the operation, and its body validates against the spec's
  schema, formats included. The spec declares ``format: uri`` for paging fields such as
  ``first_page_uri``, yet Twilio returns them relative to https://api.twilio.com (the spec's own examples
  show ``/2010-04-01/...``), so a ``uri`` may be a relative reference starting with ``/``, or empty for
  an unset webhook as the spec's IncomingPhoneNumbers examples show; every other format is checked as
  declared.

Positive requests also start from the spec's own request examples (with a possible sender and recipient:
the examples send from and to the same number, which Twilio refuses), so the success paths are reached.
Every webhook or callback URL in a request is pointed at a closed port on 127.0.0.1: the emulator posts
status callbacks, and a test never sends traffic anywhere else.

The operations come from the emulator's own routes, so a new route is covered (or fails as unknown to the
spec) without editing this file.
"""

from __future__ import annotations

import copy
import re
import time
from collections import Counter
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import pytest

from airflow_provider_twilio.emulator import TwilioEmulator
from tests.support.emulator import DEFAULT_FROM, RECIPIENT, assert_twilio_error, basic_auth, sdk_client
from tests.support.openapi import SPEC

API_PREFIX = "/2010-04-01/"
POSITIVE_EXAMPLES = 14
NEGATIVE_EXAMPLES = 8
"""Per operation; about 300 requests in all, well under a minute on two cores."""

# A possible sender and recipient for the spec's request examples (which use the same number for both).
REALISTIC_FIELDS: dict[str, dict[str, str]] = {
    "/2010-04-01/Accounts/{AccountSid}/Messages.json": {"To": RECIPIENT, "From": DEFAULT_FROM},
    # The spec's example says MachineDetection "enable"; Twilio documents the values Enable and DetectMessageEnd.
    "/2010-04-01/Accounts/{AccountSid}/Calls.json": {
        "To": RECIPIENT,
        "From": DEFAULT_FROM,
        "MachineDetection": "Enable",
    },
}
RINGING = "+15551230077"
LOOPBACK_HOOK = "http://127.0.0.1:9/hook"
"""Where every URL field of a request points: the discard port, closed, so a callback fails at once, locally."""


def contained(body: Any) -> Any:
    """``body`` with every http(s) URL in a ``...Url`` or ``...Callback`` field replaced by LOOPBACK_HOOK."""
    if not isinstance(body, dict):
        return body

    def local(value: Any) -> Any:
        if isinstance(value, list):
            return [local(item) for item in value]
        if isinstance(value, str) and value.lower().startswith(("http:", "https:")):
            return LOOPBACK_HOOK
        return value

    return {key: local(value) if key.endswith(("Url", "Callback")) else value for key, value in body.items()}


def request_examples(method: str, path: str) -> list[dict[str, Any]]:
    content = SPEC["paths"][path][method.lower()].get("requestBody", {}).get("content", {})
    examples = content.get("application/x-www-form-urlencoded", {}).get("examples", {})
    realistic = REALISTIC_FIELDS.get(path, {})
    return [{**example["value"], **realistic} for example in examples.values()]


def _normalised(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


MEDIA_CONTENT_SUFFIXES = ("/Recordings/{sid}.wav", "/Recordings/{sid}.mp3")
"""Audio Twilio serves beside the JSON resource, which its OpenAPI spec does not describe."""


def emulator_operations() -> list[tuple[str, str]]:
    """(method, spec path) for every API route the emulator serves; fails for a route the spec lacks."""
    from airflow_provider_twilio.emulator.app import create_app
    from airflow_provider_twilio.emulator.state import EmulatorState

    starlette_app = create_app(EmulatorState()).app
    spec_paths = {_normalised(path): path for path in SPEC["paths"]}
    operations = []
    for route in starlette_app.routes:
        if not route.path.startswith(API_PREFIX) or route.path.endswith(MEDIA_CONTENT_SUFFIXES):
            continue
        spec_path = spec_paths.get(_normalised(route.path))
        assert spec_path is not None, f"the emulator serves {route.path}, which Twilio's spec does not describe"
        for method in sorted(route.methods - {"HEAD"}):
            assert method.lower() in SPEC["paths"][spec_path], f"{method} {spec_path} is not in Twilio's spec"
            operations.append((method, spec_path))
    return operations


OPERATIONS = emulator_operations()


def _spec_subset() -> dict[str, Any]:
    """The spec cut down to the emulator's operations and the components they reference (loads faster)."""
    wanted: dict[str, dict[str, Any]] = {}
    for method, path in OPERATIONS:
        item = SPEC["paths"][path]
        wanted.setdefault(path, {k: v for k, v in item.items() if k not in ("get", "post", "delete", "put", "patch")})
        wanted[path][method.lower()] = item[method.lower()]
    needed: set[tuple[str, str]] = set()

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/"):
                kind, name = ref.split("/", 3)[2:]
                if (kind, name) not in needed:
                    needed.add((kind, name))
                    collect(SPEC["components"][kind][name])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(wanted)
    components: dict[str, dict[str, Any]] = {"securitySchemes": SPEC["components"]["securitySchemes"]}
    for kind, name in needed:
        components.setdefault(kind, {})[name] = SPEC["components"][kind][name]
    return {**SPEC, "paths": wanted, "components": components}


def _format_checker() -> Any:
    from openapi_schema_validator import oas30_format_checker

    checker = copy.deepcopy(oas30_format_checker)

    @checker.checks("uri")
    def uri(value: object) -> bool:
        # Absolute, or relative to https://api.twilio.com as Twilio returns its paging URIs (see the docstring).
        if not isinstance(value, str):
            return True
        if value == "":  # an unset webhook: the spec's own IncomingPhoneNumbers examples show "sms_url": ""
            return True
        parts = urlsplit(value)
        return (parts.scheme in ("http", "https") and bool(parts.netloc)) or value.startswith("/")

    @checker.checks("date-time-rfc-2822")
    def rfc2822(value: object) -> bool:
        if not isinstance(value, str):
            return True
        try:
            return parsedate_to_datetime(value).tzinfo is not None
        except (TypeError, ValueError):
            return False

    return checker


@pytest.fixture(scope="module")
def schema() -> Any:
    import schemathesis

    return schemathesis.openapi.from_dict(_spec_subset())


def _known_path_parameters(emu: TwilioEmulator) -> dict[str, list[dict[str, str]]]:
    """Real SIDs per spec path, so fetches, updates and deletes reach existing resources too."""
    client = sdk_client(emu)
    client.messages.create(to=RECIPIENT, from_=DEFAULT_FROM, body="seed")
    mms = client.messages.create(to=RECIPIENT, from_=DEFAULT_FROM, media_url=["https://example.com/a.png"])
    received = emu.inject_inbound(from_=RECIPIENT, body="seed reply")  # final at once: can be deleted
    emu.add_call_behaviour(RINGING, after=3600)  # rings for an hour: updates and cancels have a live call
    call = client.calls.create(to=RINGING, from_=DEFAULT_FROM, twiml="<Response/>")
    media = client.messages(mms.sid).media.list()[0]
    number = client.incoming_phone_numbers.list()[0] if _serves("IncomingPhoneNumbers.json") else None
    account = {"AccountSid": emu.account_sid}
    messages = [{**account, "Sid": sid} for sid in (mms.sid, received["sid"])]
    known = {
        "/2010-04-01/Accounts/{Sid}.json": [{"Sid": emu.account_sid}],
        "/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json": messages,
        "/2010-04-01/Accounts/{AccountSid}/Messages/{MessageSid}/Media.json": [{**account, "MessageSid": mms.sid}],
        "/2010-04-01/Accounts/{AccountSid}/Messages/{MessageSid}/Media/{Sid}.json": [
            {**account, "MessageSid": mms.sid, "Sid": media.sid}
        ],
        "/2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json": [{**account, "Sid": call.sid}],
        "/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}/Notifications.json": [{**account, "CallSid": call.sid}],
    }
    recording = "RE" + "4" * 32
    emu.seed_recordings([{"sid": recording, "call_sid": call.sid, "start_time": time.time() - 60, "duration": 3}])
    known["/2010-04-01/Accounts/{AccountSid}/Recordings/{Sid}.json"] = [{**account, "Sid": recording}]
    if number is not None:
        known["/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json"] = [{**account, "Sid": number.sid}]
    return known


def _serves(suffix: str) -> bool:
    return any(path.endswith(suffix) for _, path in OPERATIONS)


def _strategy(operation: Any, mode: Any, emu: TwilioEmulator, known: list[dict[str, str]]) -> Any:
    """Generated requests on generated path parameters (mostly 404s), on real ones, and from the spec's examples."""
    from hypothesis import strategies as st

    own_account = {"AccountSid": emu.account_sid} if "{AccountSid}" in operation.path else {"Sid": emu.account_sid}
    choices = [operation.as_strategy(generation_mode=mode, path_parameters=own_account)]
    if known:
        real = st.sampled_from(known).flatmap(
            lambda params: operation.as_strategy(generation_mode=mode, path_parameters=params)
        )
        choices += [real, real]
    examples = request_examples(operation.method, operation.path)
    if examples and mode.is_positive:
        choices.append(
            st.tuples(st.sampled_from(examples), st.sampled_from(known or [own_account])).flatmap(
                lambda pair: operation.as_strategy(generation_mode=mode, path_parameters=pair[1], body=pair[0])
            )
        )
    return st.one_of(*choices)


def check_answer(method: str, path: str, response: Any, validators: dict[str, Any]) -> None:
    status = response.status_code
    where = f"{method} {response.request.url} -> {status}: {response.text[:300]!r}"
    assert status < 500, where
    if status >= 400:
        headers = {name.lower(): values[0] for name, values in response.headers.items()}  # name -> [values]
        assert_twilio_error(status, headers, response.content, status)
        return
    assert str(status) in validators, f"the spec documents no {status} for {method} {path}; {where}"
    validator = validators[str(status)]
    if validator is None:
        assert response.content == b"", where
        return
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(response.json())]
    assert not errors, f"{where}\n" + "\n".join(errors[:10])


def _validators(method: str, path: str) -> dict[str, Any]:
    """Per documented status: a validator of its JSON body (formats checked), or None for an empty body."""
    from openapi_schema_validator import OAS30Validator

    checker = _format_checker()
    found: dict[str, Any] = {}
    for status, answer in SPEC["paths"][path][method.lower()]["responses"].items():
        content = answer.get("content", {}).get("application/json")
        found[status] = (
            None
            if content is None
            else OAS30Validator({**content["schema"], "components": SPEC["components"]}, format_checker=checker)
        )
    return found


@pytest.fixture
def served(fresh: TwilioEmulator) -> Iterator[TwilioEmulator]:
    fresh.configure(status_delay=0)
    yield fresh


def _exercise(
    emu: TwilioEmulator, operation: Any, mode: Any, examples: int, known: list[dict[str, str]], statuses: Counter[Any]
) -> None:
    from hypothesis import HealthCheck, Phase, given, settings

    method, path = operation.method.upper(), operation.path
    validators = _validators(method, path)
    auth = {"Authorization": basic_auth(emu)}

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # a failure reports its request unshrunk, at once
        suppress_health_check=list(HealthCheck),
    )
    @given(case=_strategy(operation, mode, emu, known))
    def run(case: Any) -> None:
        case.body = contained(case.body)
        # Positive requests authenticate; a negative one keeps any Authorization it was generated with
        # (garbage credentials must get a clean 401).
        headers = auth if mode.is_positive or "Authorization" not in (case.headers or {}) else {}
        response = case.call(base_url=emu.base_url, headers=headers, timeout=10)
        statuses[(mode.value, response.status_code)] += 1
        check_answer(method, path, response, validators)

    run()


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_generated_requests_get_conforming_answers(schema: Any, served: TwilioEmulator, method: str, path: str) -> None:
    from schemathesis import GenerationMode

    operation = schema[path][method]
    known = _known_path_parameters(served).get(path, [])
    statuses: Counter[tuple[str, int]] = Counter()
    _exercise(served, operation, GenerationMode.POSITIVE, POSITIVE_EXAMPLES, known, statuses)
    _exercise(served, operation, GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES, known, statuses)
    successes = sum(count for (mode, status), count in statuses.items() if mode == "positive" and status < 300)
    assert successes, f"no generated request succeeded, so no 2xx body was checked: {dict(statuses)}"


def test_every_api_route_is_an_operation_of_the_spec() -> None:
    methods = {method for method, _ in OPERATIONS}
    assert {"GET", "POST", "DELETE"} <= methods
    assert ("GET", "/2010-04-01/Accounts/{AccountSid}/Calls.json") in OPERATIONS
    assert ("GET", "/2010-04-01/Accounts/{AccountSid}/Messages/{MessageSid}/Media/{Sid}.json") in OPERATIONS
    assert ("GET", "/2010-04-01/Accounts/{AccountSid}/Recordings/{Sid}.json") in OPERATIONS
