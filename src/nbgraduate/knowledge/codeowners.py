"""CODEOWNERS files: find the one a forge reads, parse it, and say who owns a path.

Matching follows GitHub's documented rules: gitignore-style patterns relative to the
repository root, the last matching line wins, a line with a pattern and no owners makes the
path explicitly unowned, and ``docs/*`` matches files directly in ``docs/`` only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from nbgraduate.core import regex_cache

__all__ = [
    "CODEOWNERS_LOCATIONS",
    "Codeowners",
    "OwnerRule",
    "find_codeowners",
    "parse_codeowners",
    "read_codeowners",
]

#: Where forges look, in the order GitHub does (the first file found is the only one read);
#: GitLab also reads ``.gitlab/CODEOWNERS``.
CODEOWNERS_LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS")

_TOKEN = regex_cache.compile(r"(?:\\.|\S)+")


@dataclass(frozen=True, slots=True)
class OwnerRule:
    """One ``pattern owner...`` line; ``owners`` is empty for an explicitly unowned path."""

    pattern: str
    owners: tuple[str, ...]
    line: int
    regex: re.Pattern[str]
    directories_only: bool
    children_only: bool

    def matches(self, path: str) -> bool:
        """Whether this line applies to the file ``path`` (posix, relative to the repo root)."""
        if not self.directories_only and self.regex.match(path):
            return True
        if self.children_only:
            return False
        return any(self.regex.match(directory) for directory in _ancestors(path))


@dataclass(frozen=True, slots=True)
class Codeowners:
    """A parsed CODEOWNERS file (``path`` is ``None`` when the repository has none)."""

    path: Path | None
    rules: tuple[OwnerRule, ...]
    lines: tuple[str, ...] = ()

    def rule_for(self, path: str) -> OwnerRule | None:
        """The line that decides who owns ``path``: the last one that matches it."""
        for rule in reversed(self.rules):
            if rule.matches(path):
                return rule
        return None

    def owners_of(self, path: str) -> tuple[str, ...]:
        rule = self.rule_for(path)
        return rule.owners if rule is not None else ()


def find_codeowners(repository_root: Path) -> Path | None:
    """The CODEOWNERS file a forge would read for this repository, if there is one."""
    for location in CODEOWNERS_LOCATIONS:
        candidate = repository_root / location
        if candidate.is_file():
            return candidate
    return None


def read_codeowners(repository_root: Path) -> Codeowners:
    """The repository's CODEOWNERS, parsed; an empty one when there is none or it is unreadable."""
    path = find_codeowners(repository_root)
    if path is None:
        return Codeowners(None, ())
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return Codeowners(path, ())
    return parse_codeowners(text, path)


def parse_codeowners(text: str, path: Path | None = None) -> Codeowners:
    """Parse CODEOWNERS text; comments, blank lines and GitLab ``[Section]`` headers are skipped."""
    lines = tuple(text.splitlines())
    return Codeowners(path, tuple(_rules(lines)), lines)


def _rules(lines: tuple[str, ...]) -> Iterator[OwnerRule]:
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or _is_section_header(stripped):
            continue
        tokens = _TOKEN.findall(stripped)
        pattern, owners = tokens[0], []
        for token in tokens[1:]:
            if token.startswith("#"):
                break
            owners.append(token)
        compiled = _compile(pattern.replace("\\ ", " "))
        if compiled is None:
            continue
        regex, directories_only, children_only = compiled
        yield OwnerRule(pattern, tuple(owners), number, regex, directories_only, children_only)


def _is_section_header(line: str) -> bool:
    # GitLab: ``[Section]``, ``^[Optional section]``, ``[Section][2] @default-owner``.
    return line.startswith("[") or line.startswith("^[")


def _compile(pattern: str) -> tuple[re.Pattern[str], bool, bool] | None:
    directories_only = pattern.endswith("/")
    body = pattern.strip("/")
    if not body:
        return None
    # A slash at the start or in the middle anchors the pattern at the repository root.
    anchored = pattern.startswith("/") or "/" in body
    segments = body.split("/")
    parts: list[str] = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            parts.append(".*" if last else "(?:[^/]*/)*")
        else:
            parts.append(_segment(segment) + ("" if last else "/"))
    prefix = "^" if anchored else "^(?:[^/]*/)*"
    children_only = len(segments) > 1 and segments[-1] == "*"
    return regex_cache.compile(prefix + "".join(parts) + "$"), directories_only, children_only


def _segment(segment: str) -> str:
    out = []
    for char in segment:
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        else:
            out.append(re.escape(char))
    return "".join(out)


def _ancestors(path: str) -> Iterator[str]:
    parts = path.split("/")
    for end in range(len(parts) - 1, 0, -1):
        yield "/".join(parts[:end])
