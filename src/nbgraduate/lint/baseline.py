"""Baselines: record a legacy repo's existing findings so only new ones fail the build.

``nbgraduate lint`` reads the configured baseline on every run (the pre-commit hook's too), so
this module keeps to what a lint run loads anyway: its entries are
:class:`~nbgraduate.core.records.Record` values rather than dataclasses (``dataclasses``
imports :mod:`inspect`), fingerprints are hashed with the built-in SHA-256
(:mod:`nbgraduate.core.small_digest`, the same digests as hashlib's without loading OpenSSL),
and typing is not imported.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from nbgraduate.core.atomic import write_text_atomic
from nbgraduate.core.errors import ConfigError
from nbgraduate.core.records import Record
from nbgraduate.core.small_digest import sha256
from nbgraduate.lint.diagnostics import Diagnostic

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "BASELINE_VERSION",
    "Baseline",
    "BaselineEntry",
    "build_baseline",
    "fingerprint",
    "load_baseline",
    "parse_baseline",
    "write_baseline",
]

BASELINE_VERSION = 1
_TOOL = "nbgraduate"
# NBG5xx findings are about secrets; their messages may quote the secret, and a baseline is
# committed to the repository, so it keeps only a hash for them.
_SECRET_CODE_PREFIX = "NBG5"


def fingerprint(diagnostic: Diagnostic, root: Path | None = None) -> str:
    """A stable identity for a finding: its code, file and the text of the offending line.

    Cell number, row and column are left out on purpose: inserting or moving a cell above a
    known finding must not turn it into a "new" one. The line is whitespace-collapsed so
    reformatting does not either. It is hashed, so a secret on that line is not stored.
    ``root`` makes the path relative to the project, so the baseline works from any cwd.
    """
    content = diagnostic.line_fingerprint or " ".join(diagnostic.source_line.split())
    payload = "\0".join((diagnostic.code, _baseline_path(diagnostic.path, root), content))
    return sha256(payload.encode("utf-8")).hexdigest()[:16]


class BaselineEntry(Record):
    """How many findings with one fingerprint the baseline accepts."""

    _fields = ("code", "path", "fingerprint", "count", "message")
    __slots__ = _fields

    def __init__(
        self, code: str, path: str, fingerprint: str, count: int, message: str | None = None
    ) -> None:
        self.code = code
        self.path = path
        self.fingerprint = fingerprint
        self.count = count
        self.message = message


class Baseline(Record):
    """The accepted findings of a project, matched as a multiset of fingerprints."""

    _fields = ("entries",)
    __slots__ = _fields

    def __init__(self, entries: tuple[BaselineEntry, ...]) -> None:
        self.entries = entries

    def filter_new(self, diagnostics: Iterable[Diagnostic], root: Path) -> list[Diagnostic]:
        """The diagnostics not covered by the baseline, in their original order.

        Matching counts: if the baseline accepted two findings with one fingerprint and
        there are now three, the third (in the given order) is new.
        """
        remaining: Counter[str] = Counter()
        for entry in self.entries:
            remaining[entry.fingerprint] += entry.count
        new: list[Diagnostic] = []
        for diagnostic in diagnostics:
            key = fingerprint(diagnostic, root)
            if remaining[key] > 0:
                remaining[key] -= 1
            else:
                new.append(diagnostic)
        return new

    def to_json(self) -> str:
        findings: list[dict[str, Any]] = []
        for entry in self.entries:
            finding: dict[str, Any] = {
                "code": entry.code,
                "path": entry.path,
                "fingerprint": entry.fingerprint,
                "count": entry.count,
            }
            if entry.message is not None:
                finding["message"] = entry.message
            findings.append(finding)
        document = {"version": BASELINE_VERSION, "tool": _TOOL, "findings": findings}
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def build_baseline(diagnostics: Iterable[Diagnostic], root: Path) -> Baseline:
    """Group ``diagnostics`` by fingerprint into a baseline, in a stable (diff-friendly) order."""
    groups: dict[str, list[Diagnostic]] = {}
    for diagnostic in diagnostics:
        groups.setdefault(fingerprint(diagnostic, root), []).append(diagnostic)
    entries = []
    for key, members in groups.items():
        first = members[0]
        message = None
        if not first.code.startswith(_SECRET_CODE_PREFIX):
            message = min(member.message for member in members)
        path = _baseline_path(first.path, root)
        entries.append(BaselineEntry(first.code, path, key, len(members), message))
    entries.sort(key=lambda entry: (entry.path, entry.code, entry.fingerprint))
    return Baseline(tuple(entries))


def write_baseline(path: Path, diagnostics: Sequence[Diagnostic], root: Path) -> Baseline:
    """Write the baseline for ``diagnostics`` to ``path`` atomically and return it.

    Atomic because the baseline is the gate's memory: a half-written file would make the next
    run either fail on everything or (worse) silently accept nothing.
    """
    baseline = build_baseline(diagnostics, root)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, baseline.to_json())
    return baseline


def load_baseline(path: Path) -> Baseline:
    """Read a baseline written by :func:`write_baseline`; any damage is a one-line ConfigError."""
    from nbgraduate.core.files import NotARegularFile, read_regular_text

    try:
        text = read_regular_text(path)
    except NotARegularFile as exc:
        raise ConfigError(path, f"not a baseline file: {exc}") from None
    except OSError as exc:
        raise ConfigError(path, exc.strerror or str(exc)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(path, f"not a baseline file: {exc}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(path, f"not a baseline file: invalid JSON: {exc}") from None
    except RecursionError:
        raise ConfigError(path, "not a baseline file: nested too deeply") from None
    return parse_baseline(path, document)


def parse_baseline(path: Path, document: object) -> Baseline:
    """A baseline from its parsed JSON; ``path`` names it in errors. Also reads the lint part of
    a pipeline's own baseline (:mod:`nbgraduate.lint.pipeline_baseline`)."""
    if not isinstance(document, dict) or document.get("tool") != _TOOL:
        raise ConfigError(path, "not an nbgraduate baseline file")
    if document.get("version") != BASELINE_VERSION:
        raise ConfigError(
            path,
            f"unsupported baseline version {document.get('version')!r}"
            f" (this nbgraduate reads version {BASELINE_VERSION})",
        )
    findings = document.get("findings")
    if not isinstance(findings, list):
        raise ConfigError(path, "corrupt baseline: `findings` must be a list")
    return Baseline(tuple(_entry(path, index, item) for index, item in enumerate(findings)))


def _entry(path: Path, index: int, item: object) -> BaselineEntry:
    where = f"corrupt baseline: finding #{index + 1}"
    if not isinstance(item, dict):
        raise ConfigError(path, f"{where} is not an object")
    for key in ("code", "path", "fingerprint"):
        if not isinstance(item.get(key), str):
            raise ConfigError(path, f"{where} has no string `{key}`")
    count = item.get("count")
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ConfigError(path, f"{where} has no positive integer `count`")
    message = item.get("message")
    if message is not None and not isinstance(message, str):
        raise ConfigError(path, f"{where} has a non-string `message`")
    return BaselineEntry(item["code"], item["path"], item["fingerprint"], count, message)


def _baseline_path(path: str, root: Path | None) -> str:
    """The diagnostic's path relative to ``root`` in posix form, so baselines move across OSes.

    A file name that is not UTF-8 is written with ``\\xff``-style escapes: the baseline is
    JSON text, and the same name always gives the same entry.
    """
    from nbgraduate.lint.output._common import printable

    if root is not None:
        absolute = os.path.abspath(path)
        base = os.path.abspath(root).rstrip(os.sep) + os.sep
        if absolute.startswith(base):
            return printable(absolute[len(base) :].replace(os.sep, "/"))
    return printable(os.path.normpath(path).replace(os.sep, "/"))
