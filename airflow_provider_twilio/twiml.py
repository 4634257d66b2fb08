"""TwiML: one parser that both checks a document before a call and drives the emulator's calls.

Twilio answers a document that is not XML, or whose root is not ``<Response>``, with error 12100
("Document parse failure"); a verb it does not know (TwiML is case-sensitive) with warning 12200.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

MAX_TWIML_CHARS = 4000
"""The Calls API's limit for the ``Twiml`` parameter."""

PARSE_FAILURE = 12100
SCHEMA_WARNING = 12200

VOICE_VERBS = frozenset(
    {
        "Say", "Play", "Pause", "Gather", "Hangup", "Redirect", "Reject", "Dial", "Record", "Enqueue",
        "Leave", "Connect", "Start", "Stop", "Pay", "Refer", "Sms", "Echo", "Prompt", "Queue",
    }
)  # fmt: skip
"""Twilio's voice verbs, top level of ``<Response>``."""

GATHER_NESTED = frozenset({"Say", "Play", "Pause"})
"""What ``<Gather>`` may contain."""

EMPTY_VERBS = frozenset({"Pause", "Hangup", "Reject", "Gather", "Leave", "Echo"})
"""Verbs whose text means nothing; ``<Gather>`` holds only nested verbs."""

TEXT_VERBS = frozenset({"Say", "Play", "Redirect"})
"""Verbs that need text: what to say, what to play, where to go."""


class TwimlError(ValueError):
    """A document Twilio would not run: ``code`` is Twilio's error (12100) or warning (12200) for it."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Verb:
    name: str
    text: str = ""
    attrs: dict[str, str] = field(default_factory=dict)
    nested: tuple[Verb, ...] = ()


def parse(document: str | bytes, *, strict: bool = True) -> list[Verb]:
    """The verbs of a ``<Response>`` document, in order.

    Raises ``TwimlError(12100)`` for anything that is not a ``<Response>`` XML document. With
    ``strict``, also ``TwimlError(12200)`` for verbs Twilio does not know, verbs nested where they may
    not be, and verbs missing their text; without it (what Twilio does at call time) those are skipped.
    """
    if isinstance(document, bytes):
        try:
            document = document.decode("utf-8")
        except UnicodeDecodeError:
            raise TwimlError(PARSE_FAILURE, "TwiML is not UTF-8 text") from None
    if "<!DOCTYPE" in document or "<!ENTITY" in document:
        raise TwimlError(PARSE_FAILURE, "TwiML may not declare a DOCTYPE or entities")
    try:
        root = ET.fromstring(document)
    except ET.ParseError as err:
        raise TwimlError(PARSE_FAILURE, f"TwiML is not well-formed XML: {err}") from None
    if root.tag != "Response":
        raise TwimlError(PARSE_FAILURE, f"The root element of TwiML must be <Response>, not <{root.tag}>")
    verbs = []
    for element in root:
        verb = _verb(element, VOICE_VERBS, "<Response>", strict)
        if verb is not None:
            verbs.append(verb)
    return verbs


def _verb(element: ET.Element, allowed: frozenset[str], parent: str, strict: bool) -> Verb | None:
    name = element.tag
    if not isinstance(name, str) or name not in allowed:
        if strict:
            valid = ", ".join(sorted(allowed))
            raise TwimlError(SCHEMA_WARNING, f"<{name}> is not a TwiML verb allowed in {parent}; use one of {valid}")
        return None
    text = (element.text or "").strip()
    if strict and name in TEXT_VERBS and not text:
        raise TwimlError(SCHEMA_WARNING, f"<{name}> needs text (what to say, the audio URL, or where to redirect)")
    nested: list[Verb] = []
    if name == "Gather":
        for child in element:
            verb = _verb(child, GATHER_NESTED, "<Gather>", strict)
            if verb is not None:
                nested.append(verb)
    elif strict and len(element):
        raise TwimlError(SCHEMA_WARNING, f"<{name}> cannot contain <{element[0].tag}>")
    return Verb(name=name, text=text, attrs=dict(element.attrib), nested=tuple(nested))


def say(text: str, *, voice: str | None = None, language: str | None = None, loop: int | None = None) -> str:
    """A ``<Say>`` element, text escaped."""
    attrs = {"voice": voice, "language": language, "loop": None if loop is None else str(loop)}
    return f"<Say{_attrs(attrs)}>{escape(text)}</Say>"


def gather(inner: str, *, action: str, num_digits: int, timeout: int) -> str:
    """A ``<Gather>`` of DTMF digits posted to ``action``."""
    attrs = {"input": "dtmf", "action": action, "method": "POST", "numDigits": str(num_digits), "timeout": str(timeout)}
    return f"<Gather{_attrs(attrs)}>{inner}</Gather>"


def response(*verbs: str) -> str:
    return '<?xml version="1.0" encoding="UTF-8"?><Response>' + "".join(verbs) + "</Response>"


def _attrs(attrs: Mapping[str, str | None]) -> str:
    return "".join(f" {name}={quoteattr(value)}" for name, value in attrs.items() if value is not None)
