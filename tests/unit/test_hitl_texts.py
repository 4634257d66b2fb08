"""The HITL domain core: the request text, references, reading replies, and the answers sent back."""

from __future__ import annotations

import pytest

from airflow_provider_twilio.exceptions import TwilioInputError
from airflow_provider_twilio.hitl import texts
from airflow_provider_twilio.hitl.markdown import strip_markdown
from airflow_provider_twilio.hitl.references import ALPHABET, as_reference, reference_for
from airflow_provider_twilio.hitl.replies import MAX_REPLY_CHARS, read_reply
from airflow_provider_twilio.segments import count_segments

APPROVAL = ("Approve", "Reject")
BRANCHES = ("Deploy to EU", "Deploy to US", "Roll back")

pytestmark = pytest.mark.every_line


def test_markdown_is_stripped_to_the_words() -> None:
    body = "## Canary\n**Error rate**: `0.2%` see [the dashboard](https://x.test/d)\n* one\n> quoted\n```\ncode\n```"
    assert strip_markdown(body) == "Canary\nError rate: 0.2% see the dashboard (https://x.test/d)\n- one\nquoted\ncode"


def test_the_request_text_has_subject_body_numbered_options_how_to_answer_reference_and_link() -> None:
    text = texts.RequestText(
        subject="Deploy 2.4.1 to production?",
        body="Canary error rate: **0.1%**",
        options=APPROVAL,
        multiple=False,
        reference="K7Q2",
        link="https://airflow.test/dags/d/runs/r/tasks/t/required_actions",
    ).render(max_segments=4)
    assert text.splitlines() == [
        "Deploy 2.4.1 to production?",
        "Canary error rate: 0.1%",
        "1 Approve",
        "2 Reject",
        "Reply with a number or an option. Ref #K7Q2",
        "https://airflow.test/dags/d/runs/r/tasks/t/required_actions",
    ]


def test_a_long_body_is_cut_to_max_segments_and_a_request_that_cannot_fit_is_refused() -> None:
    request = texts.RequestText("Deploy?", "word " * 400, APPROVAL, False, "K7Q2")
    for limit in (1, 2, 3):
        text = request.render(max_segments=limit)
        assert count_segments(text).segments <= limit
        assert "..." in text and "1 Approve\n2 Reject" in text
    assert len(request.render(max_segments=3)) > len(request.render(max_segments=2))
    with pytest.raises(TwilioInputError, match="max_segments=1"):
        texts.RequestText("x" * 200, None, APPROVAL, False, "K7Q2").render(max_segments=1)


def test_references_are_short_stable_and_read_back_in_any_case() -> None:
    ref = reference_for("0193a5c8-1111-7000-8000-000000000001")
    assert ref == reference_for("0193a5c8-1111-7000-8000-000000000001")
    assert len(ref) == 4 and set(ref) <= set(ALPHABET)
    assert as_reference("#" + ref.lower()) == ref == as_reference(ref)
    assert as_reference("#K0Q2") is None  # 0 is not in the alphabet (it looks like O)


@pytest.mark.parametrize(
    ("body", "chosen"),
    [("approve", ("Approve",)), ("  APPROVE! ", ("Approve",)), ("2", ("Reject",)), ("reject.", ("Reject",))],
)
def test_a_reply_chooses_by_text_in_any_case_or_by_number(body: str, chosen: tuple[str, ...]) -> None:
    reply = read_reply(body, APPROVAL, multiple=False)
    assert reply.is_valid and reply.chosen == chosen


@pytest.mark.parametrize("body", ["yes", "3", "0", "approve, reject", "", "approve please", "\u0661"])
def test_a_reply_that_names_no_single_option_chooses_nothing(body: str) -> None:
    reply = read_reply(body, APPROVAL, multiple=False)
    assert not reply.is_valid and reply.chosen == ()


def test_several_options_separated_by_commas_when_multiple() -> None:
    reply = read_reply("deploy to eu, 3, Deploy  to EU", BRANCHES, multiple=True)
    assert reply.chosen == ("Deploy to EU", "Roll back")
    assert not read_reply("deploy to eu, nowhere", BRANCHES, multiple=True).is_valid


def test_a_reference_first_or_last_names_the_request_and_is_not_an_option() -> None:
    refs = ["K7Q2", "M3RA"]
    first = read_reply("#m3ra approve", APPROVAL, multiple=False, references=refs)
    last = read_reply("2 K7Q2", APPROVAL, multiple=False, references=refs)
    unknown = read_reply("approve #ZZZZ", APPROVAL, multiple=False, references=refs)
    assert (first.reference, first.chosen) == ("M3RA", ("Approve",))
    assert (last.reference, last.chosen) == ("K7Q2", ("Reject",))
    assert unknown.reference is None and not unknown.is_valid


def test_a_reply_too_long_is_not_read_and_the_longest_allowed_is_read_whole() -> None:
    assert read_reply("a" * (MAX_REPLY_CHARS + 1), APPROVAL, multiple=False).problem is not None
    options = [f"option {n}" for n in range(200)]
    body = ", ".join(["option 199"] * 130)
    assert len(body) <= MAX_REPLY_CHARS
    # One pass over the reply and one dictionary look-up per item: the longest reply still reads whole.
    assert read_reply(body, options, multiple=True).chosen == ("option 199",)


def test_the_answers_never_quote_the_reply_and_name_who_answered_and_how() -> None:
    assert texts.confirmation(["Approve"], "Deploy 2.4.1 to production?") == (
        "Recorded: Approve for 'Deploy 2.4.1 to production?'"
    )
    assert texts.already_answered("bob", None) == "Already answered by bob (Airflow UI)"
    assert texts.already_answered("alice", "SMS") == "Already answered by alice (SMS)"
    assert "default was taken" in texts.already_answered(None, None)
    assert "1 Approve, 2 Reject" in texts.help_text(APPROVAL, "K7Q2", multiple=False, several_pending=False)
    assert "#K7Q2" in texts.help_text(APPROVAL, "K7Q2", multiple=False, several_pending=True)
    assert len(texts.confirmation(["Approve"], "x" * 500)) < 120
