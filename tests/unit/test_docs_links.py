"""docs/index.md links every guide and CONTRIBUTING.md, the README links the index, no relative link is dead."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
INDEX = DOCS / "index.md"
PAGES = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", ROOT / "CHANGELOG.md", *sorted(DOCS.glob("*.md"))]
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


def test_index_links_contributing() -> None:
    linked = {(DOCS / target.split("#")[0]).resolve() for target in relative_links(INDEX)}
    assert (ROOT / "CONTRIBUTING.md").resolve() in linked


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


ARCHITECTURE = DOCS / "architecture.md"
# `path/to/module.py` or `package/` in backticks: relative to the package unless it names a top-level folder.
NAMED_PATH = re.compile(r"`(\w[\w/]*(?:\.py|/))`")
TOP_LEVEL = ("airflow_provider_twilio/", "tests/", "docs/", "benchmarks/", "example_dags/", "scripts/")


def architecture_paths(text: str) -> list[str]:
    return NAMED_PATH.findall(text)


def _exists(named: str) -> bool:
    base = ROOT if named.startswith(TOP_LEVEL) else ROOT / "airflow_provider_twilio"
    return (base / named).exists()


def test_architecture_names_only_modules_that_exist() -> None:
    named = architecture_paths(ARCHITECTURE.read_text())
    assert len(named) > 50, "docs/architecture.md names the modules it describes in backticks"
    missing = sorted({path for path in named if not _exists(path)})
    assert not missing, f"docs/architecture.md names modules that do not exist: {missing}"


def test_architecture_path_check_catches_a_missing_module() -> None:
    named = architecture_paths("through `sending/core.py` and `sending/courier.py`, in `emulator/resources/`")
    assert named == ["sending/core.py", "sending/courier.py", "emulator/resources/"]
    assert [path for path in named if not _exists(path)] == ["sending/courier.py"]


def test_architecture_layers_are_the_import_contracts() -> None:
    """The layer list on the page is the one `make lint` enforces, once pyproject.toml declares it."""
    tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from Python 3.11")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text()).get("tool", {}).get("importlinter")
    if config is None:
        pytest.skip("pyproject.toml declares no [tool.importlinter] contracts")
    (contract,) = [c for c in config["contracts"] if c["id"] == "layers"]
    block = re.search(r"^```text\n(.*?)^```", ARCHITECTURE.read_text(), re.DOTALL | re.MULTILINE)
    assert block, "docs/architecture.md has no text block listing the layers"
    assert block.group(1).splitlines() == contract["layers"]
