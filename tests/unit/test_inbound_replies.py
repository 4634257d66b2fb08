from __future__ import annotations

import pytest

from airflow_provider_twilio.exceptions import ErrorType, TwilioTemplateError
from airflow_provider_twilio.inbound.matching import compile_pattern
from airflow_provider_twilio.inbound.replies import (
    MESSAGE_FIELDS,
    available_names,
    fill_reply,
    placeholders,
    reply_values,
    validate_reply,
)

REGEX = compile_pattern(r"^(?P<answer>YES|NO) (?P<code>\d{4})$")


def test_placeholders_named_braced_numbered_and_escaped() -> None:
    assert placeholders("$answer ${code} ${1} costs $$5", "echo") == ["answer", "code", "1"]


def test_stray_dollar_is_a_template_error() -> None:
    with pytest.raises(TwilioTemplateError, match=r"echo: invalid placeholder at character 5 of 'cost \$\{'") as info:
        placeholders("cost ${", "echo")
    assert info.value.error_type is ErrorType.TEMPLATE_ERROR


def test_unknown_group_fails_naming_what_is_available() -> None:
    with pytest.raises(TwilioTemplateError, match=r"echo: unknown placeholder\(s\) \$\{ansewr\}.*\$\{answer\}"):
        validate_reply("Got ${ansewr}", "echo", available_names(REGEX))


def test_echo_error_cannot_use_groups() -> None:
    with pytest.raises(TwilioTemplateError, match="echo_error"):
        validate_reply("Bad ${code}", "echo_error", MESSAGE_FIELDS)
    assert validate_reply("Sorry, '${body}' is not an answer", "echo_error", MESSAGE_FIELDS)


def test_available_names() -> None:
    assert available_names(REGEX) == ["from", "to", "body", "answer", "code", "1", "2"]
    assert available_names(None) == list(MESSAGE_FIELDS)


def test_none_reply_is_allowed_but_empty_is_not() -> None:
    assert validate_reply(None, "echo", []) is None
    with pytest.raises(TwilioTemplateError, match="echo"):
        validate_reply("  ", "echo", [])


def test_fill_is_plain_single_pass_substitution() -> None:
    hostile = "{{ conf.get('core','fernet_key') }} ${answer} {% for x in y %}$$ $body"
    message = {"from": "+15551230001", "to": "+15005550006", "body": hostile}
    match = {"match_groups": {"answer": hostile, "code": None}, "groups": [hostile, None]}
    values = reply_values(message, match)
    assert fill_reply("Got ${answer}|${code}|${1}|${body}", values) == f"Got {hostile}||{hostile}|{hostile}"
