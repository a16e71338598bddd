"""One table pins every action (``repo/setup/actions.toml``); the committed CI files agree
with it, and :func:`pin_uses` rewrites exactly the ``uses:`` lines it should."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbgraduate.core.errors import ConfigError
from nbgraduate.repo.setup.pins import (
    PINS_FILE,
    ActionPin,
    UnpinnedActionError,
    find_uses,
    load_pins,
    pin_uses,
)

ROOT = Path(__file__).resolve().parent.parent
#: Files whose ``uses:`` lines come from the table (README shows the pinned form).
COMMITTED = [*sorted((ROOT / "templates").glob("*.yml")), ROOT / "action.yml", ROOT / "README.md"]
CHECKOUT = ActionPin("actions/checkout", "v7.0.1", "3d3c42e5aac5ba805825da76410c181273ba90b1")
CODEQL = ActionPin("github/codeql-action", "v4.36.2", "8aad20d150bbac5944a9f9d289da16a4b0d87c1e")
PINS = {pin.repository: pin for pin in (CHECKOUT, CODEQL)}


def test_the_table_pins_full_shas_of_release_tags() -> None:
    pins = load_pins()
    assert {"actions/checkout", "actions/setup-python", "github/codeql-action"} <= set(pins)
    for repository, pin in pins.items():
        assert pin.repository == repository
        assert pin.tag.startswith("v") and pin.tag.count(".") == 2, pin  # vX.Y.Z, not v7


@pytest.mark.parametrize("path", COMMITTED, ids=lambda path: path.name)
def test_committed_ci_files_are_rendered_from_the_table(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert find_uses(text), f"{path.name} uses no action"
    assert pin_uses(text, source=path.name) == text, (
        f"{path.name} disagrees with {PINS_FILE.name}: run"
        " python scripts/refresh_action_pins.py --offline"
    )


def test_the_table_has_no_action_nothing_uses() -> None:
    used = {ref.repository for path in COMMITTED for ref in find_uses(path.read_text("utf-8"))}
    assert set(load_pins()) == used


def test_pin_uses_rewrites_references_and_keeps_everything_else() -> None:
    text = (
        "steps:\n"
        "  - uses: actions/checkout@v4\n"
        "    with: {persist-credentials: false}\n"
        "  - name: SARIF\n"
        "    uses: 'github/codeql-action/upload-sarif@v3'   # old\n"
        "  - uses: ./local/action\n"
        "  - uses: docker://alpine:3.20\n"
        "  # - uses: actions/checkout@v1 (a comment stays a comment)\n"
    )
    assert pin_uses(text, PINS, source="w.yml") == (
        "steps:\n"
        f"  - uses: actions/checkout@{CHECKOUT.sha}  # v7.0.1\n"
        "    with: {persist-credentials: false}\n"
        "  - name: SARIF\n"
        f"    uses: github/codeql-action/upload-sarif@{CODEQL.sha}  # v4.36.2\n"
        "  - uses: ./local/action\n"
        "  - uses: docker://alpine:3.20\n"
        "  # - uses: actions/checkout@v1 (a comment stays a comment)\n"
    )
    once = pin_uses(text, PINS, source="w.yml")
    assert pin_uses(once, PINS, source="w.yml") == once
    assert [(r.line, r.repository, r.path) for r in find_uses(once)] == [
        (2, "actions/checkout", ""),
        (5, "github/codeql-action", "/upload-sarif"),
    ]


def test_an_action_missing_from_the_table_is_an_error_naming_the_line() -> None:
    with pytest.raises(UnpinnedActionError, match=r"w\.yml line 2: uses evil/action, which"):
        pin_uses("steps:\n  - uses: evil/action@main\n", PINS, source="w.yml")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('["a/b"]\ntag = "v1.0.0"\nsha = "abc"\n', "is not a full 40-hex commit"),
        ('["a/b"]\nsha = "' + "0" * 40 + '"\n', "needs a `tag` and a `sha`"),
        ('["a/b"\n', "cannot read the action pins"),
    ],
)
def test_a_broken_table_is_a_config_error(tmp_path: Path, body: str, message: str) -> None:
    table = tmp_path / "actions.toml"
    table.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_pins(table)
