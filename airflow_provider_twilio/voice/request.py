"""Everything about a call checked before the first one is placed: numbers, what it says, limits.

Bad input raises ``TwilioInputError`` naming the parameter, the value and what would be valid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from airflow_provider_twilio import twiml
from airflow_provider_twilio.addresses import is_whatsapp, normalize_address, parse_recipients
from airflow_provider_twilio.checks import check_url, int_in_range, shown
from airflow_provider_twilio.exceptions import TwilioInputError, TwilioMissingInputError
from airflow_provider_twilio.voice import keypress
from airflow_provider_twilio.voice.keypress import KEYS

MODES = ("until_acknowledged", "all")
MACHINE_DETECTION = "Enable"
BASIC_VOICES = ("man", "woman", "alice")
_NEURAL_VOICE = re.compile(r"^(Polly|Google)\.[A-Za-z0-9]+(-[A-Za-z0-9]+)*$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Z]{2}|-[0-9]{3})?$")
MAX_SAY_CHARS = 3000
"""Leaves room for the ``<Response>``/``<Say>``/``<Gather>`` markup inside Twilio's 4,000-character ``Twiml``."""
MAX_LOOP = 100
MAX_TIMEOUT = 600
MAX_TIME_LIMIT = 14400
_EXAMPLE = "e.g. '+15551230001' or ['+15551230001', '+15551230002']"


@dataclass(frozen=True)
class CallRequest:
    """A checked call: who is called, from where, and the create parameters every call shares."""

    to: tuple[str, ...]
    from_: str
    twiml: str | None
    url: str | None
    timeout: int
    time_limit: int | None
    status_callback: str | None
    require_keypress: str | None = None

    def create_kwargs(self, to: str) -> dict[str, Any]:
        """The SDK's ``calls.create`` arguments for one number; machine detection tells humans from machines."""
        kwargs: dict[str, Any] = {
            "to": to,
            "from_": self.from_,
            "machine_detection": MACHINE_DETECTION,
            "timeout": self.timeout,
        }
        if self.url:
            kwargs["url"] = self.url
        else:
            kwargs["twiml"] = self.twiml
        if self.time_limit is not None:
            kwargs["time_limit"] = self.time_limit
        if self.status_callback:
            kwargs["status_callback"] = self.status_callback
        return kwargs

    def describe(self) -> str:
        what = f"TwiML from {self.url}" if self.url else f"{len(self.twiml or '')} characters of TwiML"
        ack = f"; acknowledged by pressing {self.require_keypress}" if self.require_keypress else ""
        return f"Calling {len(self.to)} number(s) from {self.from_} ({what}, ringing up to {self.timeout} s{ack})"


def validate_call(
    *,
    to: Any,
    from_: str | None,
    default_from: str | None,
    say: str | None = None,
    voice: str | None = None,
    language: str | None = None,
    loop: int | None = None,
    twiml_document: str | None = None,
    url: str | None = None,
    timeout: Any = 30,
    time_limit: Any = None,
    status_callback: str | None = None,
    require_keypress: str | None = None,
    gather_action: str | None = None,
) -> CallRequest:
    """Check every field, build the TwiML for ``say``, and return the request; raises before any call."""
    numbers = tuple(parse_recipients(to))
    for index, number in enumerate(numbers):
        if is_whatsapp(number):
            param = "to" if len(numbers) == 1 else f"to[{index}]"
            raise TwilioInputError(f"{param}: {number!r} is a WhatsApp address; calls need a phone number, {_EXAMPLE}")
    sender = (from_ or default_from or "").strip()
    if not sender:
        raise TwilioMissingInputError("from_: no caller ID; pass from_ or set default_from on the Twilio connection")
    sender = normalize_address(sender, param="from_", example="e.g. '+15005550006', a number of your account")
    if is_whatsapp(sender):
        raise TwilioInputError(f"from_: {sender!r} is a WhatsApp sender; calls need a phone number")
    if sender in numbers:
        raise TwilioInputError(f"to: {sender!r} is the caller ID itself (from_); a number cannot call itself")
    given = [name for name, value in (("say", say), ("twiml", twiml_document), ("url", url)) if value]
    if len(given) != 1:
        raise TwilioMissingInputError(
            f"say, twiml, url: give exactly one (what the call says), got {', '.join(given) or 'none'}"
        )
    if require_keypress and not say:
        raise TwilioInputError(
            f"require_keypress: works with say= only (the provider builds the <Gather> that reports the key); "
            f"with {given[0]}= the call's TwiML is yours and no keypress would reach the webhook receiver"
        )
    document = None
    if say and require_keypress:
        if not gather_action:
            raise ValueError("require_keypress needs the receiver's gather URL (gather_action)")
        document = keypress_twiml(say, require_keypress, gather_action, voice=voice, language=language, loop=loop)
    elif say:
        document = twiml.response(say_verb(say, voice=voice, language=language, loop=loop))
    elif twiml_document:
        if voice or language or loop is not None:
            raise TwilioInputError("voice, language, loop: apply to say=; put them on <Say> inside your twiml instead")
        document = twiml_document.strip()
    if document is not None:
        check_twiml(document)
    if url:
        check_url(url, "url")
    if status_callback:
        check_url(status_callback, "status_callback")
    return CallRequest(
        to=numbers,
        from_=sender,
        twiml=document,
        url=url.strip() if url else None,
        timeout=int_in_range(timeout, "timeout", 1, MAX_TIMEOUT),
        time_limit=None if time_limit is None else int_in_range(time_limit, "time_limit", 1, MAX_TIME_LIMIT),
        status_callback=status_callback,
        require_keypress=require_keypress,
    )


def keypress_twiml(
    say: str, key: str, action: str, *, voice: str | None, language: str | None, loop: int | None
) -> str:
    """The text and a prompt for the key inside ``<Gather>``; refused naming ``say`` if Twilio would not take it."""
    spoken = say_verb(say, voice=voice, language=language, loop=loop)
    document = keypress.call_twiml(spoken, twiml.say(keypress.prompt(key), voice=voice, language=language), action)
    if len(document) > twiml.MAX_TWIML_CHARS:
        raise TwilioInputError(
            f"say: {len(say)} characters; with require_keypress the call's TwiML (the text twice, the prompt and "
            f"the receiver's URL) is {len(document)} characters and Twilio accepts at most {twiml.MAX_TWIML_CHARS}"
        )
    return document


def say_verb(text: str, *, voice: str | None, language: str | None, loop: int | None) -> str:
    """A checked ``<Say>``: text length, a voice and language Twilio knows the shape of, a loop count."""
    if not isinstance(text, str) or not text.strip():
        raise TwilioMissingInputError(f"say: expected the text to speak, got {shown(text)}")
    if len(text) > MAX_SAY_CHARS:
        raise TwilioInputError(f"say: {len(text)} characters; at most {MAX_SAY_CHARS} fit in a call's TwiML")
    if voice is not None and voice not in BASIC_VOICES and not _NEURAL_VOICE.match(voice):
        raise TwilioInputError(
            f"voice: {shown(voice)} is not a Twilio voice; use man, woman, alice, or an Amazon Polly or Google voice "
            "such as 'Polly.Joanna' or 'Google.en-US-Standard-C'"
        )
    if language is not None and not _LANGUAGE.match(language):
        raise TwilioInputError(f"language: {shown(language)} is not a language tag such as 'en-US', 'de-DE' or 'fr-FR'")
    if voice in ("man", "woman") and language not in (None, "en-US", "en-GB", "es-ES", "fr-FR", "de-DE", "it-IT"):
        raise TwilioInputError(
            f"language: {language!r} is not spoken by the {voice!r} voice; it speaks en-US, en-GB, es-ES, fr-FR, "
            "de-DE and it-IT (use a Polly or Google voice for others)"
        )
    return twiml.say(
        text.strip(),
        voice=voice,
        language=language,
        loop=None if loop is None else int_in_range(loop, "loop", 0, MAX_LOOP),
    )


def check_twiml(document: str) -> None:
    """Well-formed TwiML, only Twilio's verbs, within Twilio's 4,000 characters."""
    if len(document) > twiml.MAX_TWIML_CHARS:
        raise TwilioInputError(f"twiml: {len(document)} characters; Twilio accepts at most {twiml.MAX_TWIML_CHARS}")
    try:
        twiml.parse(document)
    except twiml.TwimlError as err:
        raise TwilioInputError(f"twiml: {err} (Twilio error {err.code})") from None


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise TwilioInputError(f"mode: {shown(mode)} is not one of {', '.join(MODES)}")
    return mode


def check_key(key: str | None) -> str | None:
    """``require_keypress`` is one keypad key, on an Airflow whose api-server runs the webhook receiver."""
    if key is None:
        return None
    if not isinstance(key, str) or len(key) != 1 or key not in KEYS:
        raise TwilioInputError(f"require_keypress: {shown(key)} is not one keypad key ({', '.join(KEYS)})")
    from airflow_provider_twilio.capabilities import webhooks_supported

    if not webhooks_supported():
        from airflow import __version__

        raise TwilioInputError(
            f"require_keypress: a keypress reaches Airflow only through the provider's webhook receiver, a plugin "
            f"of Airflow 3's api-server (Airflow 3.3 or later); this is Airflow {__version__}. Acknowledge by a "
            "human answering instead (require_keypress=None, answering machines never count)"
        )
    return key


def check_keypress(key: str | None, webhook_base_url: str | None, conn_id: str) -> str | None:
    """``check_key``, and the connection names the public URL Twilio posts the key to."""
    if check_key(key) is None:
        return None
    if not webhook_base_url:
        raise TwilioInputError(
            f"require_keypress: a keypress reaches Airflow only through the webhook receiver, and the Twilio "
            f"connection {conn_id!r} has no extra 'webhook_base_url'; set it, or acknowledge by a human answering "
            "(require_keypress=None, answering machines never count)"
        )
    return key
