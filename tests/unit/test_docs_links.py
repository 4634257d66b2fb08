"""docs/index.md links every guide, the README links the index, and no relative link in the docs is dead."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
INDEX = DOCS / "index.md"
PAGES = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted(DOCS.glob("*.md"))]
# [text](target) outside code: the target up to an optional "#anchor".
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)


def relative_links(page: Path) -> list[str]:
    text = FENCE.sub("", page.read_text())
    return [target for target in LINK.findall(text) if not re.match(r"[a-z][a-z0-9+.-]*:", target)]


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = FENCE.sub("", page.read_text())
    return {github_anchor(heading) for heading in re.findall(r"^#+ (.+)$", text, re.MULTILINE)}


def test_index_links_every_guide() -> None:
    linked = {(DOCS / target.split("#")[0]).resolve() for target in relative_links(INDEX)}
    guides = {page.resolve() for page in DOCS.glob("*.md") if page != INDEX}
    missing = sorted(page.name for page in guides - linked)
    assert not missing, f"docs/index.md does not link {missing}: add each guide to its Guides list"


def test_readme_links_the_index() -> None:
    assert "docs/index.md" in relative_links(ROOT / "README.md")


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_relative_links_resolve(page: Path) -> None:
    dead = [target for target in relative_links(page) if not _resolves(page, target)]
    assert not dead, f"{page.name} links to missing files or headings: {dead}"


def _resolves(page: Path, target: str) -> bool:
    path, _, anchor = target.partition("#")
    linked = (page.parent / path).resolve() if path else page
    if not linked.exists():
        return False
    return not anchor or linked.suffix != ".md" or anchor in anchors(linked)


def test_the_anchor_rule_matches_githubs() -> None:
    assert github_anchor("Sending: `TwilioSendSmsOperator`") == "sending-twiliosendsmsoperator"
    assert github_anchor("Never twice, never silently missed") == "never-twice-never-silently-missed"
    assert github_anchor("Version policy") == "version-policy"
