"""Short references: which request a reply answers when one phone has several pending.

A reference is four characters from an alphabet without look-alikes (no 0/O, 1/I/L), derived from the
task instance's id, so every process computes the same one without storing a counter.
"""

from __future__ import annotations

import hashlib

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 4
MARK = "#"


def reference_for(ti_id: str) -> str:
    digest = int.from_bytes(hashlib.sha256(str(ti_id).encode()).digest()[:8], "big")
    chars = []
    for _ in range(LENGTH):
        digest, index = divmod(digest, len(ALPHABET))
        chars.append(ALPHABET[index])
    return "".join(chars)


def as_reference(token: str) -> str | None:
    """The reference a reply's word spells (``#K7Q2`` or ``k7q2``), or None."""
    word = token[1:] if token.startswith(MARK) else token
    word = word.upper()
    if len(word) == LENGTH and all(char in ALPHABET for char in word):
        return word
    return None
