"""Markdown to plain text for a phone screen: Airflow's HITL body is Markdown, an SMS is not."""

from __future__ import annotations

_INLINE_MARKS = ("**", "__", "~~", "`")


def strip_markdown(text: str) -> str:
    """Drop the marks people write (headings, emphasis, code, quotes, bullets, links) and keep the words.

    Line by line and character by character: linear in the text, whatever it holds.
    """
    lines = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if line.startswith("```"):
            continue
        line = line.lstrip("#").strip() if line.startswith("#") else line
        line = line.lstrip(">").strip() if line.startswith(">") else line
        if line[:2] in ("* ", "+ "):
            line = "- " + line[2:]
        line = _links(line)
        for mark in _INLINE_MARKS:
            line = line.replace(mark, "")
        lines.append(line)
    plain = "\n".join(lines).strip()
    while "\n\n\n" in plain:
        plain = plain.replace("\n\n\n", "\n\n")
    return plain


def _links(line: str) -> str:
    """``[text](url)`` becomes ``text (url)``; ``![alt](url)`` becomes ``alt``."""
    out: list[str] = []
    i = 0
    while i < len(line):
        start = line.find("[", i)
        if start < 0:
            break
        middle = line.find("](", start)
        end = line.find(")", middle + 2) if middle >= 0 else -1
        if middle < 0 or end < 0:
            break
        image = start > 0 and line[start - 1] == "!"
        out.append(line[i : start - 1 if image else start])
        label, url = line[start + 1 : middle], line[middle + 2 : end]
        out.append(label if image or not url else f"{label} ({url})")
        i = end + 1
    out.append(line[i:])
    return "".join(out)
