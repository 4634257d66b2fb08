"""The sending core against a scripted in-memory stand-in for the SDK's messages list resource."""

from __future__ import annotations

import itertools
import logging
import threading
import time
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from unittest import mock

import pytest
import requests
from twilio.base.exceptions import TwilioException, TwilioRestException

from airflow_provider_twilio.exceptions import ErrorType, TwilioApiError
from airflow_provider_twilio.retry import RetryPolicy
from airflow_provider_twilio.sending.batch import BatchOptions, BatchSender
from airflow_provider_twilio.sending.core import send_batch
from airflow_provider_twilio.sending.pacing import RateLimiter
from airflow_provider_twilio.sending.reconcile import PER_RECIPIENT_LIMIT, find_already_sent
from airflow_provider_twilio.sending.validation import validate_batch

SENDER = "+15005550006"
FAST = RetryPolicy(base_delay=0, max_delay=0, commit_grace=0)


def rest(status, code):
    return TwilioRestException(status, "/Messages.json", msg=f"error {code}", code=code)


class FakeMessages:
    """Stores created messages; ``script[to]`` lists what each create call for ``to`` does in turn."""

    def __init__(self, script=None, *, failing_lookups=0):
        self.script = {to: list(actions) for to, actions in (script or {}).items()}
        self.log: list[SimpleNamespace] = []
        self.create_calls: list[dict] = []
        self.stream_calls: list[dict] = []
        self.yielded = 0
        self.failing_lookups = failing_lookups
        self.late: list[list] = []  # [streams until stored, to, body, from_]
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, to, body="hello", *, from_=SENDER, created=None, service=None):
        message = SimpleNamespace(
            sid=f"SM{next(self._ids):032d}",
            to=to,
            from_=from_,
            body=body,
            direction="outbound-api",
            messaging_service_sid=service,
            date_created=created or datetime.now(timezone.utc).replace(microsecond=0),
            status="queued",
            num_segments="1",
            error_code=None,
            error_message=None,
        )
        with self._lock:
            self.log.insert(0, message)
        return message

    def create(self, **kwargs):
        with self._lock:
            self.create_calls.append(kwargs)
            actions = self.script.get(kwargs["to"])
            action = actions.pop(0) if actions else "ok"
        stored = {"from_": kwargs.get("from_"), "service": kwargs.get("messaging_service_sid")}
        if action == "ok":
            return self.add(kwargs["to"], kwargs.get("body"), **stored)
        if action == "commit_then_500":
            self.add(kwargs["to"], kwargs.get("body"), **stored)
            raise rest(500, None)
        if action == "commit_then_timeout":
            self.add(kwargs["to"], kwargs.get("body"), from_=kwargs.get("from_"))
            raise requests.exceptions.ReadTimeout("read timed out")
        if action.startswith("commit_late_"):
            # Twilio stores it only after the sender has read the log this many times.
            with self._lock:
                self.late.append([int(action.rsplit("_", 1)[1]), kwargs["to"], kwargs.get("body"), kwargs.get("from_")])
            raise requests.exceptions.ReadTimeout("read timed out")
        if action == "500":
            raise rest(500, None)
        if action == "429":
            raise rest(429, 20429)
        if action == "401":
            raise rest(401, 20003)
        if action == "21211":
            raise rest(400, 21211)
        raise AssertionError(action)

    def stream(self, to=None, from_=None, page_size=None):
        self.stream_calls.append({"to": to, "from_": from_, "page_size": page_size})
        with self._lock:
            for pending in self.late:
                pending[0] -= 1
            due = [pending for pending in self.late if pending[0] < 0]
            self.late = [pending for pending in self.late if pending[0] >= 0]
        for _reads, late_to, body, sender in due:
            self.add(late_to, body, from_=sender)
        if self.failing_lookups:
            self.failing_lookups -= 1
            raise TwilioException("Unable to fetch page")
        for message in list(self.log):
            if (to is None or message.to == to) and (from_ is None or message.from_ == from_):
                self.yielded += 1
                yield message


def lookups(fake):
    """The per-recipient log reads (the readings of what exists before the attempts have no To filter)."""
    return [call for call in fake.stream_calls if call["to"] is not None]


def make_batch(recipients, body="hello", **kwargs):
    return validate_batch(to=list(recipients), body=body, from_=kwargs.pop("from_", SENDER), **kwargs)


def run(fake, batch, *, concurrency=4, policy=FAST, sleeps=None):
    sender = BatchSender(
        fake,
        batch.request,
        BatchOptions(max_concurrency=concurrency, retry=policy),
        logging.getLogger("test"),
        sleep=(sleeps.append if sleeps is not None else lambda _s: None),
    )
    return sender, sender.run(list(batch.recipients))


NUMBERS = [f"+1415555{i:04d}" for i in range(30)]


def test_every_recipient_gets_one_message():
    fake = FakeMessages()
    _, results = run(fake, make_batch(NUMBERS))
    assert sorted(m.to for m in fake.log) == sorted(NUMBERS)
    assert {results[m.to]["sid"] for m in fake.log} == {m.sid for m in fake.log}
    assert not lookups(fake)  # no lookups on the happy path
    assert fake.stream_calls[0] == {"to": None, "from_": SENDER, "page_size": 1000}  # what existed before


def test_throttled_requests_are_retried_with_backoff():
    fake = FakeMessages({NUMBERS[0]: ["429", "429", "ok"]})
    sleeps: list[float] = []
    policy = RetryPolicy(base_delay=0.1, max_delay=1.0)
    _, results = run(fake, make_batch(NUMBERS[:1]), policy=policy, sleeps=sleeps)
    assert results[NUMBERS[0]]["sid"] == fake.log[0].sid
    assert len(fake.create_calls) == 3
    assert 0.05 <= sleeps[0] <= 0.1 and 0.1 <= sleeps[1] <= 0.2
    assert not lookups(fake)  # a 429 is never processed: no lookup needed


def test_throttling_beyond_the_retry_budget_is_reported():
    fake = FakeMessages({NUMBERS[0]: ["429"] * 10})
    _, results = run(fake, make_batch(NUMBERS[:1]), policy=RetryPolicy(throttle_retries=2, base_delay=0))
    assert results[NUMBERS[0]]["error_type"] == ErrorType.RATE_LIMITED.value
    assert len(fake.create_calls) == 3


@pytest.mark.parametrize("action", ["commit_then_500", "commit_then_timeout"])
def test_ambiguous_failure_after_commit_is_not_resent(action):
    fake = FakeMessages({NUMBERS[0]: [action]})
    _, results = run(fake, make_batch(NUMBERS[:2]))
    assert [m.to for m in fake.log].count(NUMBERS[0]) == 1
    assert results[NUMBERS[0]]["sid"] == next(m.sid for m in fake.log if m.to == NUMBERS[0])
    assert len(fake.create_calls) == 2
    assert lookups(fake)[0]["to"] == NUMBERS[0] and lookups(fake)[0]["from_"] == SENDER


def test_ambiguous_failure_before_commit_is_resent_once_the_log_shows_nothing():
    fake = FakeMessages({NUMBERS[0]: ["500", "500", "ok"]})
    _, results = run(fake, make_batch(NUMBERS[:1]))
    assert len(fake.log) == 1 and results[NUMBERS[0]]["sid"] == fake.log[0].sid
    assert len(lookups(fake)) == 2


def test_a_late_commit_is_found_within_the_grace_period_and_not_resent():
    fake = FakeMessages({NUMBERS[0]: ["commit_late_2", "ok"]})
    sleeps: list[float] = []
    policy = RetryPolicy(base_delay=0, max_delay=0, commit_grace=4, grace_poll_interval=1)
    _, results = run(fake, make_batch(NUMBERS[:1]), policy=policy, sleeps=sleeps)
    assert len(fake.create_calls) == 1 and len(fake.log) == 1
    assert results[NUMBERS[0]]["sid"] == fake.log[0].sid
    assert sleeps == [1, 1] and len(lookups(fake)) == 3  # read at once, then after 1 s and 2 s


def test_a_commit_later_than_the_grace_period_is_the_remaining_window():
    """Stored after the grace period ran out: the sender concluded nothing arrived and sent again."""
    fake = FakeMessages({NUMBERS[0]: ["commit_late_5", "ok"]})
    sleeps: list[float] = []
    policy = RetryPolicy(base_delay=0, max_delay=0, commit_grace=2, grace_poll_interval=1)
    run(fake, make_batch(NUMBERS[:1]), policy=policy, sleeps=sleeps)
    assert sleeps[:2] == [0.5, 0.5] and sum(sleeps[:4]) == 2  # a quarter of a short grace at a time
    assert len(fake.create_calls) == 2


def test_nothing_stored_within_the_grace_period_means_send_again():
    fake = FakeMessages({NUMBERS[0]: ["500", "ok"]})
    sleeps: list[float] = []
    policy = RetryPolicy(base_delay=0, max_delay=0, commit_grace=4, grace_poll_interval=1)
    _, results = run(fake, make_batch(NUMBERS[:1]), policy=policy, sleeps=sleeps)
    assert sleeps[:4] == [1, 1, 1, 1] and len(lookups(fake)) == 5
    assert len(fake.create_calls) == 2 and results[NUMBERS[0]]["sid"] == fake.log[0].sid


@pytest.mark.parametrize(
    ("grace", "interval", "waits"), [(10, 1, [1] * 10), (2, 1, [0.5] * 4), (2.5, 1, [0.625] * 4), (0, 1, [])]
)
def test_grace_waits_add_up_to_the_grace_period(grace, interval, waits):
    assert RetryPolicy(commit_grace=grace, grace_poll_interval=interval).grace_waits() == pytest.approx(waits)


def test_resends_are_bounded():
    fake = FakeMessages({NUMBERS[0]: ["500"] * 10})
    _, results = run(fake, make_batch(NUMBERS[:1]), policy=RetryPolicy(resends=2, base_delay=0, commit_grace=0))
    assert results[NUMBERS[0]]["error_type"] == ErrorType.TWILIO_CONNECTION_ERROR.value
    assert len(fake.create_calls) == 3


def test_unreadable_log_means_outcome_unknown_and_no_resend():
    fake = FakeMessages({NUMBERS[0]: ["500", "ok"]}, failing_lookups=99)
    _, results = run(fake, make_batch(NUMBERS[:1]), policy=RetryPolicy(lookup_attempts=3, base_delay=0))
    result = results[NUMBERS[0]]
    assert len(fake.create_calls) == 1 and len(lookups(fake)) == 3
    assert result["error_type"] == ErrorType.TWILIO_CONNECTION_ERROR.value
    assert "not re-sent" in result["error_message"]


def test_lookup_failures_are_retried():
    fake = FakeMessages({NUMBERS[0]: ["commit_then_500"]}, failing_lookups=2)
    _, results = run(fake, make_batch(NUMBERS[:1]))
    assert results[NUMBERS[0]]["sid"] == fake.log[0].sid and len(fake.log) == 1


def test_a_different_body_in_the_log_does_not_count_as_sent():
    fake = FakeMessages({NUMBERS[0]: ["500", "ok"]})
    fake.add(NUMBERS[0], "an older, different message")
    _, results = run(fake, make_batch(NUMBERS[:1]))
    assert len(fake.log) == 2 and results[NUMBERS[0]]["sid"] == fake.log[0].sid


def test_an_identical_message_from_before_the_attempt_does_not_count():
    fake = FakeMessages({NUMBERS[0]: ["500", "ok"]})
    fake.add(NUMBERS[0], created=datetime.now(timezone.utc) - timedelta(minutes=5))
    _, results = run(fake, make_batch(NUMBERS[:1]))
    assert len(fake.log) == 2 and results[NUMBERS[0]]["sid"] == fake.log[0].sid


@pytest.mark.parametrize("service", [None, "MG" + "c" * 32])
def test_an_identical_message_sent_just_before_the_attempt_is_never_claimed(service):
    """Another task texted the same words a moment earlier (same second); our create failed with nothing stored."""
    fake = FakeMessages({NUMBERS[0]: ["500", "ok"]})
    earlier = fake.add(NUMBERS[0], from_=None if service else SENDER, service=service)
    batch = make_batch(NUMBERS[:1], **({"from_": None, "messaging_service_sid": service} if service else {}))
    _, results = run(fake, batch)
    assert len(fake.log) == 2 and results[NUMBERS[0]]["sid"] == fake.log[0].sid != earlier.sid


def test_our_own_message_is_found_next_to_an_earlier_look_alike():
    fake = FakeMessages({NUMBERS[0]: ["commit_then_timeout"]})
    earlier = fake.add(NUMBERS[0])
    _, results = run(fake, make_batch(NUMBERS[:1]))
    assert len(fake.create_calls) == 1 and len(fake.log) == 2
    assert results[NUMBERS[0]]["sid"] == fake.log[0].sid != earlier.sid


def test_without_a_reading_of_what_existed_a_look_alike_is_reported_unconfirmed():
    """The log could not be read before the attempt: a message from the same seconds may be an earlier one."""
    fake = FakeMessages({NUMBERS[0]: ["500", "ok"]}, failing_lookups=3)
    earlier = fake.add(NUMBERS[0])
    _, results = run(fake, make_batch(NUMBERS[:1]), policy=RetryPolicy(lookup_attempts=3, base_delay=0, commit_grace=0))
    result = results[NUMBERS[0]]
    assert result["sid"] is None and result["error_type"] == ErrorType.UNCONFIRMED_SEND_ERROR.value
    assert earlier.sid in result["error_message"] and "not re-sent" in result["error_message"]
    assert len(fake.create_calls) == 1 and len(fake.log) == 1


def test_without_a_reading_a_message_created_clearly_after_the_attempt_is_ours():
    """Timestamps can tell when Twilio stored it a second or more after the attempt began (a late commit)."""
    fake = FakeMessages({NUMBERS[0]: ["500"]}, failing_lookups=3)
    fake.add(NUMBERS[0], created=datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=3))
    _, results = run(fake, make_batch(NUMBERS[:1]), policy=RetryPolicy(lookup_attempts=3, base_delay=0, commit_grace=0))
    assert results[NUMBERS[0]]["sid"] == fake.log[0].sid and len(fake.create_calls) == 1


def test_what_existed_is_read_once_for_many_attempts_and_again_when_stale():
    from airflow_provider_twilio.sending.prior import PriorMessages

    fake = FakeMessages()
    earlier = fake.add(NUMBERS[0])
    fake.add(NUMBERS[1], "another body")
    clock = FakeClock()
    prior = PriorMessages(fake, make_batch(NUMBERS).request, NUMBERS, FAST, clock.sleep, max_age=1.0, clock=clock)
    assert prior.before_attempt(NUMBERS[0]) == {earlier.sid}
    assert prior.before_attempt(NUMBERS[1]) == frozenset()  # a different body is not a look-alike
    assert len(fake.stream_calls) == 1
    clock.now += 1.5
    later = fake.add(NUMBERS[1])
    assert prior.before_attempt(NUMBERS[1]) == {later.sid} and len(fake.stream_calls) == 2


def test_the_log_filters_are_worked_out_once_per_batch_not_per_refresh(monkeypatch):
    from airflow_provider_twilio.sending import prior as prior_module
    from airflow_provider_twilio.sending.prior import PriorMessages

    calls: list[str] = []
    real_sender_for = prior_module.MessageRequest.sender_for

    def counting_sender_for(self, to):
        calls.append(to)
        return real_sender_for(self, to)

    monkeypatch.setattr(prior_module.MessageRequest, "sender_for", counting_sender_for)
    fake = FakeMessages()
    clock = FakeClock()
    prior = PriorMessages(fake, make_batch(NUMBERS).request, NUMBERS, FAST, clock.sleep, max_age=1.0, clock=clock)
    for _ in range(5):
        prior.before_attempt(NUMBERS[0])
        clock.now += 1.5
    assert len(fake.stream_calls) == 5
    assert len(calls) == len(NUMBERS)  # one pass over the recipients, not one per reading
    assert all(call.get("from_") == make_batch(NUMBERS).request.from_ for call in fake.stream_calls)


def test_sending_goes_on_with_the_last_reading_while_one_thread_refreshes_it():
    from airflow_provider_twilio.sending.prior import PriorMessages

    fake = FakeMessages()
    earlier = fake.add(NUMBERS[0])
    clock = FakeClock()
    prior = PriorMessages(fake, make_batch(NUMBERS).request, NUMBERS, FAST, clock.sleep, max_age=1.0, clock=clock)
    assert prior.before_attempt(NUMBERS[0]) == {earlier.sid}
    clock.now += 1.5
    later = fake.add(NUMBERS[0])
    reading, release = threading.Event(), threading.Event()
    original_stream = fake.stream

    def slow_stream(**kwargs):
        reading.set()
        release.wait(10)
        return original_stream(**kwargs)

    fake.stream = slow_stream
    refresher = threading.Thread(target=prior.before_attempt, args=(NUMBERS[0],))
    refresher.start()
    assert reading.wait(10)
    assert prior.before_attempt(NUMBERS[0]) == {earlier.sid}  # answered from the last reading, no wait
    release.set()
    refresher.join(10)
    assert len(fake.stream_calls) == 2
    assert prior.before_attempt(NUMBERS[0]) == {earlier.sid, later.sid}


def test_authentication_failure_stops_the_batch():
    fake = FakeMessages({NUMBERS[0]: ["401"]})
    sender, results = run(fake, make_batch(NUMBERS), concurrency=1)
    assert len(fake.create_calls) == 1 and not fake.log
    assert sender.auth_failure is not None
    assert all(r["error_type"] == ErrorType.AUTHENTICATION_CONNECTION_ERROR.value for r in results.values())
    assert "batch stopped" in results[NUMBERS[5]]["error_message"]


def test_a_rejected_recipient_does_not_stop_the_others():
    fake = FakeMessages({NUMBERS[3]: ["21211"]})
    _, results = run(fake, make_batch(NUMBERS[:6]))
    assert results[NUMBERS[3]]["error_type"] == ErrorType.INVALID_TO_PHONE_NUMBER_ERROR.value
    assert results[NUMBERS[3]]["error_code"] == 21211
    assert len(fake.log) == 5 and len(fake.create_calls) == 6


def test_send_batch_keeps_recipient_order_and_logs_progress(caplog):
    fake = FakeMessages({NUMBERS[7]: ["21211"]})
    with caplog.at_level(logging.INFO):
        outcome = send_batch(fake, make_batch(NUMBERS), BatchOptions(retry=FAST), log=logging.getLogger("t"))
    assert [r["to"] for r in outcome.results] == NUMBERS
    assert [r["to"] for r in outcome.failures] == [NUMBERS[7]]
    assert "Finished 30/30: 29 sent, 1 failed, 0 remaining" in caplog.text


@pytest.mark.parametrize("count", [5, PER_RECIPIENT_LIMIT + 15])
def test_retried_try_skips_recipients_already_sent(count):
    numbers = [f"+1415555{i:04d}" for i in range(count)]
    fake = FakeMessages()
    run_start = datetime.now(timezone.utc) - timedelta(minutes=1)
    fake.add(numbers[0], created=run_start - timedelta(hours=1))  # a previous run: must not count
    earlier = {to: fake.add(to) for to in numbers[: count // 2]}
    outcome = send_batch(fake, make_batch(numbers), BatchOptions(retry=FAST), dedupe_since=run_start)
    assert outcome.reconciled == len(earlier)
    assert sorted(m.to for m in fake.log if m.date_created >= run_start) == sorted(numbers)
    for result in outcome.results:
        if result["to"] in earlier:
            assert result["sid"] == earlier[result["to"]].sid


def test_big_batches_reconcile_with_one_log_scan_that_stops_at_the_window():
    numbers = [f"+1415555{i:04d}" for i in range(100)]
    fake = FakeMessages()
    for i in range(500):
        fake.add(f"+1212555{i:04d}", created=datetime(2020, 1, 1, tzinfo=timezone.utc))
    since = datetime.now(timezone.utc) - timedelta(minutes=1)
    for to in numbers[:40]:
        fake.add(to)
    found = find_already_sent(fake, numbers, make_batch(numbers).request, since)
    assert set(found) == set(numbers[:40])
    assert len(fake.stream_calls) == 1
    assert fake.stream_calls[0] == {"to": None, "from_": SENDER, "page_size": 1000}
    assert fake.yielded == 41  # stopped at the first message older than the window


def test_reconcile_failure_sends_nothing():
    fake = FakeMessages(failing_lookups=99)
    options = BatchOptions(retry=RetryPolicy(lookup_attempts=3, base_delay=0))
    with pytest.raises(TwilioApiError, match="nothing was sent"):
        send_batch(fake, make_batch(NUMBERS[:2]), options, dedupe_since=datetime.now(timezone.utc))
    assert not fake.create_calls and len(fake.stream_calls) == 3


def test_reconcile_retries_transient_log_failures():
    fake = FakeMessages(failing_lookups=2)
    earlier = fake.add(NUMBERS[0])
    outcome = send_batch(
        fake, make_batch(NUMBERS[:1]), BatchOptions(retry=FAST), dedupe_since=datetime.now(timezone.utc)
    )
    assert outcome.results[0]["sid"] == earlier.sid and not fake.create_calls


def test_messaging_service_messages_match_on_service():
    """Twilio picks the sender later (From is null at first): the service is what identifies our message."""
    service = "MG" + "c" * 32
    fake = FakeMessages({NUMBERS[0]: ["commit_then_500"]})
    fake.add(NUMBERS[0], from_="+15005550999", service="MG" + "d" * 32)  # another service's look-alike
    batch = validate_batch(to=NUMBERS[0], body="hello", messaging_service_sid=service)
    _, results = run(fake, batch)
    assert len(fake.log) == 2 and fake.log[0].from_ is None
    assert results[NUMBERS[0]]["sid"] == fake.log[0].sid
    assert all(call["from_"] is None for call in fake.stream_calls)


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_rate_limiter_spaces_requests():
    clock = FakeClock()
    limiter = RateLimiter(4, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        limiter.acquire()
    assert clock.sleeps == pytest.approx([0.25] * 4)
    with pytest.raises(ValueError):
        RateLimiter(0)


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    policy = RetryPolicy(base_delay=0.1, max_delay=1.0)
    assert policy.delay(0, rng=lambda: 0.0) == pytest.approx(0.05)
    assert policy.delay(0, rng=lambda: 1.0) == pytest.approx(0.1)
    assert policy.delay(3, rng=lambda: 1.0) == pytest.approx(0.8)
    assert policy.delay(10, rng=lambda: 1.0) == pytest.approx(1.0)


def test_stopping_the_task_stops_sending():
    """If the task is interrupted while waiting (SIGTERM, timeout), nothing beyond what is in flight is sent."""
    fake = FakeMessages()
    sender = BatchSender(fake, make_batch(NUMBERS).request, BatchOptions(max_concurrency=2), logging.getLogger("t"))
    original_create = fake.create

    def create_after_the_stop(**kwargs):
        # The creates in flight end only once the task is stopping, however the threads are scheduled.
        deadline = time.monotonic() + 5
        while not sender._stopping and time.monotonic() < deadline:
            time.sleep(0.005)
        return original_create(**kwargs)

    fake.create = create_after_the_stop
    calls = []

    def interrupted(*args, **kwargs):
        calls.append(1)
        raise KeyboardInterrupt

    with mock.patch("airflow_provider_twilio.sending.batch.wait", interrupted), pytest.raises(KeyboardInterrupt):
        sender.run(NUMBERS)
    assert len(fake.create_calls) <= 2 < len(NUMBERS)


def test_long_batches_log_progress_while_sending(caplog):
    fake = FakeMessages()
    original_create = fake.create
    progressed = threading.Event()

    class ProgressWatch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage().startswith("Progress "):
                progressed.set()

    def create_after_progress(**kwargs):
        # No message is created before the batch has reported progress once: however the threads are
        # scheduled, the batch is still sending when its first progress interval ends.
        progressed.wait(timeout=5)
        return original_create(**kwargs)

    fake.create = create_after_progress
    options = BatchOptions(max_concurrency=2, retry=FAST, progress_interval=0.02)
    logger = logging.getLogger("t")
    watch = ProgressWatch()
    logger.addHandler(watch)
    try:
        with caplog.at_level(logging.INFO):
            BatchSender(fake, make_batch(NUMBERS).request, options, logger).run(NUMBERS)
    finally:
        logger.removeHandler(watch)
    progress = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Progress ")]
    assert progress and all("remaining" in line and "messages/s" in line for line in progress)
    assert not any("+1415" in r.getMessage() for r in caplog.records)  # no per-message lines


def test_a_recipient_in_its_commit_grace_holds_no_request_slot():
    """With one slot, the rest of the batch is sent while one recipient waits out the grace after a 5xx."""
    fake = FakeMessages({NUMBERS[0]: ["500"]})
    others = set(NUMBERS[1:9])
    policy = RetryPolicy(base_delay=0, max_delay=0, commit_grace=1.0, grace_poll_interval=1.0)
    sent_during_grace: list[bool] = []

    def grace_sleep(_seconds):
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not others <= {m.to for m in fake.log}:
            time.sleep(0.01)
        sent_during_grace.append(others <= {m.to for m in fake.log})

    sender = BatchSender(
        fake,
        make_batch([NUMBERS[0], *sorted(others)]).request,
        BatchOptions(max_concurrency=1, retry=policy),
        logging.getLogger("test"),
        sleep=grace_sleep,
    )
    results = sender.run([NUMBERS[0], *sorted(others)])

    assert sent_during_grace and sent_during_grace[0], "the batch waited for one recipient's grace period"
    assert all(result["sid"] for result in results.values())
    assert sorted(m.to for m in fake.log) == sorted([NUMBERS[0], *others])  # one message each


def test_requests_in_flight_never_exceed_max_concurrency():
    fake = FakeMessages({to: ["500"] for to in NUMBERS[:10]})
    in_flight, peak, lock = [0], [0], threading.Lock()

    def counted(call):
        def wrapper(*args, **kwargs):
            with lock:
                in_flight[0] += 1
                peak[0] = max(peak[0], in_flight[0])
            try:
                time.sleep(0.005)
                result = call(*args, **kwargs)
                return list(result) if call.__name__ == "stream" else result
            finally:
                with lock:
                    in_flight[0] -= 1

        return wrapper

    fake.create, fake.stream = counted(fake.create), counted(fake.stream)
    policy = RetryPolicy(base_delay=0, max_delay=0, commit_grace=0.2, grace_poll_interval=0.05)
    sender = BatchSender(
        fake, make_batch(NUMBERS).request, BatchOptions(max_concurrency=3, retry=policy), logging.getLogger("t")
    )
    results = sender.run(NUMBERS)

    assert all(result["sid"] for result in results.values())
    assert peak[0] == 3
