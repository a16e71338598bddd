"""The commit every third-party ``uses:`` is pinned to, from one table: ``actions.toml``.

nbgraduate tells teams to pin whatever touches a score; the CI it writes does the same. A
tag such as ``v7`` can be moved to other code by whoever controls the action's repository, a
full commit sha cannot. :func:`pin_uses` rewrites every ``uses: owner/repo[/path]@ref`` line
of a workflow or action to ``@<sha>  # <tag>`` from the table (the trailing tag is what
Dependabot, Renovate and readers go by). ``scripts/refresh_action_pins.py`` re-resolves the
tags and rewrites the table and the committed templates through the same functions.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from nbgraduate.core import regex_cache
from nbgraduate.core.errors import ConfigError, NbgraduateError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = [
    "PINS_FILE",
    "ActionPin",
    "UnpinnedActionError",
    "UsesReference",
    "find_uses",
    "load_pins",
    "pin_uses",
]

#: The table: one ``["owner/repo"]`` section per action, with ``tag`` and ``sha``.
PINS_FILE = Path(__file__).with_name("actions.toml")
_SHA = regex_cache.compile(r"[0-9a-f]{40}")
#: ``uses: owner/repo[/path]@ref`` with an optional trailing comment; local (``./``) and
#: ``docker://`` references have no ``owner/repo@`` and are left alone.
_USES = regex_cache.compile(
    r"(?m)^(?P<prefix>[ \t]*(?:-[ \t]+)?uses:[ \t]+)"
    r"(?P<quote>['\"]?)(?P<repository>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)"
    r"(?P<path>/[^@\s'\"]*)?@(?P<ref>[^\s#'\"]+)(?P=quote)"
    r"(?P<comment>[ \t]+#[^\n]*)?[ \t]*$"
)


@dataclass(frozen=True, slots=True)
class ActionPin:
    """``repository`` (``owner/repo``) at the commit ``sha`` that the release ``tag`` names."""

    repository: str
    tag: str
    sha: str

    def reference(self, path: str = "") -> str:
        """The pinned ``uses:`` value with its trailing comment."""
        return f"{self.repository}{path}@{self.sha}  # {self.tag}"


@dataclass(frozen=True, slots=True)
class UsesReference:
    """One ``uses:`` line: where it is and what it names."""

    line: int
    repository: str
    path: str
    ref: str
    comment: str


class UnpinnedActionError(NbgraduateError):
    """A workflow or action uses an action the table does not pin (a bug in nbgraduate)."""


def load_pins(path: Path = PINS_FILE) -> dict[str, ActionPin]:
    """The table, keyed by ``owner/repo``; every sha must be a full 40-hex commit id."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(path, f"cannot read the action pins: {error}") from None
    pins: dict[str, ActionPin] = {}
    for repository, entry in data.items():
        tag = entry.get("tag") if isinstance(entry, dict) else None
        sha = entry.get("sha") if isinstance(entry, dict) else None
        if not isinstance(tag, str) or not tag or not isinstance(sha, str):
            raise ConfigError(path, f"[{repository!r}] needs a `tag` and a `sha` string")
        if not _SHA.fullmatch(sha):
            raise ConfigError(path, f"[{repository!r}] sha {sha!r} is not a full 40-hex commit")
        pins[repository] = ActionPin(repository, tag, sha)
    return pins


def find_uses(text: str) -> list[UsesReference]:
    """Every ``uses: owner/repo[/path]@ref`` in ``text``, with its 1-based line."""
    return [
        UsesReference(
            line=text.count("\n", 0, match.start()) + 1,
            repository=match["repository"],
            path=match["path"] or "",
            ref=match["ref"],
            comment=(match["comment"] or "").strip(),
        )
        for match in _USES.finditer(text)
    ]


def pin_uses(text: str, pins: Mapping[str, ActionPin] | None = None, *, source: str) -> str:
    """``text`` with every ``uses:`` pinned from the table; ``source`` names it in errors."""
    table = load_pins() if pins is None else pins

    def pinned(match: re.Match[str]) -> str:
        pin = table.get(match["repository"])
        if pin is None:
            line = text.count("\n", 0, match.start()) + 1
            raise UnpinnedActionError(
                f"{source} line {line}: uses {match['repository']}, which"
                f" {PINS_FILE.name} does not pin; add it there"
            )
        return match["prefix"] + pin.reference(match["path"] or "")

    return _USES.sub(pinned, text)
