"""Call recordings: metadata and audio, kept small by generating the audio from the duration when asked.

Audio is silence of the recording's length, as WAV (16-bit PCM, 8 kHz, the way Twilio serves ``.wav``)
or MP3 (silent MPEG-1 Layer III frames), built on each download, so seeding many recordings stores no audio.
"""

from __future__ import annotations

import io
import threading
import wave
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_twilio.emulator.model.message_store import API_VERSION, new_sid

SAMPLE_RATE = 8000
MAX_AUDIO_SECONDS = 600
"""Audio longer than this is served cut to it: the emulator proves the download, not the length."""
_MP3_FRAME = b"\xff\xfb\x90\x64" + bytes(413)  # 128 kbit/s, 44.1 kHz, one 26 ms frame of silence
_MP3_FRAME_SECONDS = 1152 / 44100
PRICE_PER_MINUTE = 0.0025


@dataclass(frozen=True)
class Recording:
    sid: str
    account_sid: str
    call_sid: str
    created_at: float
    start_time: float
    duration: int
    channels: int
    source: str

    def render(self) -> dict[str, Any]:
        from airflow_provider_twilio.emulator.http.timefmt import rfc2822

        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Recordings/{self.sid}"
        minutes = max(-(-self.duration // 60), 1)
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "call_sid": self.call_sid,
            "conference_sid": None,
            "date_created": rfc2822(self.created_at),
            "date_updated": rfc2822(self.created_at),
            "start_time": rfc2822(self.start_time),
            "duration": str(self.duration),
            "sid": self.sid,
            "price": f"-{PRICE_PER_MINUTE * minutes:.5f}",
            "price_unit": "USD",
            "status": "completed",
            "channels": self.channels,
            "source": self.source,
            "error_code": None,
            "uri": uri + ".json",
            "encryption_details": None,
            "subresource_uris": {
                "add_on_results": uri + "/AddOnResults.json",
                "transcriptions": uri + "/Transcriptions.json",
            },
            "media_url": f"https://api.twilio.com{uri}",
        }

    def wav(self) -> bytes:
        seconds = min(self.duration, MAX_AUDIO_SECONDS)
        out = io.BytesIO()
        with wave.open(out, "wb") as writer:
            writer.setnchannels(self.channels)
            writer.setsampwidth(2)
            writer.setframerate(SAMPLE_RATE)
            writer.writeframes(bytes(seconds * SAMPLE_RATE * 2 * self.channels))
        return out.getvalue()

    def mp3(self) -> bytes:
        frames = int(min(self.duration, MAX_AUDIO_SECONDS) / _MP3_FRAME_SECONDS) or 1
        return _MP3_FRAME * frames


def parse_recordings(records: Iterable[Mapping[str, Any]], account_sid: str) -> list[Recording]:
    from airflow_provider_twilio.emulator.model.seeds import _count, _sid, _text, _time

    parsed = []
    for record in records:
        start = _time(record, "start_time")
        duration = _count(record, "duration", 5, low=0, high=4 * 3600)
        call_sid = _text(record, "call_sid", new_sid("CA"))
        if len(call_sid) != 34 or not call_sid.startswith("CA"):
            raise ValueError(f"call_sid must be CA followed by 32 hex digits; got {call_sid!r}")
        channels = _count(record, "channels", 1, low=1, high=2)
        source = _text(record, "source", "OutboundAPI")
        parsed.append(
            Recording(
                sid=_sid(record, "RE"),
                account_sid=account_sid,
                call_sid=call_sid,
                created_at=_time(record, "date_created", start + duration),
                start_time=start,
                duration=duration,
                channels=channels,
                source=source,
            )
        )
    return parsed


class RecordingStore:
    """Recordings newest first by ``date_created``; thread-safe like the message store."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_sid: dict[str, Recording] = {}
        self._ordered: list[Recording] = []

    def reset(self) -> None:
        with self._lock:
            self._by_sid, self._ordered = {}, []

    def add(self, recordings: Iterable[Recording]) -> None:
        with self._lock:
            for recording in recordings:
                self._by_sid[recording.sid] = recording
            self._ordered = sorted(self._by_sid.values(), key=lambda r: (r.created_at, r.sid))

    def get(self, sid: str) -> Recording | None:
        with self._lock:
            return self._by_sid.get(sid)

    def newest_first(self) -> list[Recording]:
        with self._lock:
            return list(reversed(self._ordered))
