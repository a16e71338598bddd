"""The eval-contract version: what makes scores comparable, and its Markdown changelog."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from nbgraduate.core import regex_cache
from nbgraduate.core.atomic import write_text_atomic
from nbgraduate.core.errors import ConfigError, one_line
from nbgraduate.lock.drift import Drift, find_drift
from nbgraduate.lock.lockfile import LOCK_FILENAME, PipelineLock

__all__ = [
    "CHANGELOG_FILENAME",
    "CHANGELOG_TITLE",
    "CONTRACT_KINDS",
    "ENVIRONMENT_KINDS",
    "ContractChange",
    "append_changelog",
    "contract_changes",
    "next_contract_version",
]

CHANGELOG_FILENAME = "CHANGELOG.md"
CHANGELOG_TITLE = "# Eval contract changelog"

#: Differences after which scores are no longer comparable with earlier runs (MAJOR).
CONTRACT_KINDS = frozenset({"dataset", "model", "prompt", "sampling", "scoring", "parameter"})
#: Differences in where the eval runs, not in what it computes (MINOR).
ENVIRONMENT_KINDS = frozenset({"requirement", "python", "kernel"})

_VERSION = regex_cache.compile(r"(\d+)\.(\d+)\.(\d+)")
_ENTRY_HEADING = regex_cache.compile(r"^## ", re.MULTILINE)


@dataclass(frozen=True)
class ContractChange:
    """One change to the eval contract, worded for the changelog."""

    kind: str
    message: str


def contract_changes(old: PipelineLock, new: PipelineLock) -> list[ContractChange]:
    """The changes from ``old`` to ``new`` that make scores incomparable.

    The contract is the datasets (content and rows), the judge and candidate model ids, the
    prompt files, the sampling parameters and the scoring code.
    """
    drifts = [drift for drift in find_drift(old, new) if drift.kind in CONTRACT_KINDS]
    dataset_names = _dataset_names(old, new)
    return [ContractChange(drift.kind, _contract_message(drift, dataset_names)) for drift in drifts]


def next_contract_version(old: PipelineLock, new: PipelineLock) -> str:
    """The contract version ``new`` should carry, given the lock it replaces.

    MAJOR when the contract changed (scores are no longer comparable), MINOR when only the
    environment changed (requirements, python major.minor, kernel), PATCH when only other
    notebook content changed (markdown, the parameters cell), else ``old``'s version.
    """
    major, minor, patch = _parse_version(old.contract_version)
    kinds = {drift.kind for drift in find_drift(old, new)}
    if kinds & CONTRACT_KINDS:
        return f"{major + 1}.0.0"
    if kinds & ENVIRONMENT_KINDS:
        return f"{major}.{minor + 1}.0"
    if kinds:
        return f"{major}.{minor}.{patch + 1}"
    return old.contract_version


def append_changelog(path: Path, *, version: str, date: str, changes: list[str]) -> None:
    """Add ``## <version> (<date>)`` with one bullet per change, above the existing entries.

    A missing or empty file is created with the title. Everything already in the file is kept
    byte for byte, including its line endings, which the new entry follows.
    """
    existing = _read_changelog(path)
    newline = "\r\n" if "\r\n" in existing else "\n"
    entry_lines = [f"## {version} ({date})", ""]
    entry_lines.extend(f"- {one_line(change)}" for change in changes)
    entry = newline.join(entry_lines).rstrip() + newline + newline

    if not existing.strip():
        text = CHANGELOG_TITLE + newline + newline + entry
    elif (first_entry := _ENTRY_HEADING.search(existing)) is not None:
        text = existing[: first_entry.start()] + entry + existing[first_entry.start() :]
    else:
        # Only a title (or an introduction): the entry goes after it, one blank line apart.
        head = existing if existing.endswith(("\n", "\r")) else existing + newline
        if not head.endswith(newline + newline):
            head += newline
        text = head + entry
    write_text_atomic(path, text)


def _read_changelog(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return ""
    except UnicodeDecodeError:
        raise ConfigError(path, "changelog is not UTF-8 text; cannot add an entry") from None
    except OSError as error:
        raise ConfigError(path, f"cannot read: {error.strerror or error}") from None


def _contract_message(drift: Drift, dataset_names: dict[str, str]) -> str:
    if drift.kind == "dataset":
        return (
            f"dataset {dataset_names.get(drift.subject, drift.subject)}: {_dataset_change(drift)}"
        )
    if drift.kind == "prompt":
        if drift.before is None:
            return f"prompt {drift.subject} added"
        if drift.after is None:
            return f"prompt {drift.subject} removed"
        return f"prompt {drift.subject} changed"
    if drift.kind == "scoring":
        return "scoring code changed"
    # Model and sampling drift already read as contract changes.
    return drift.message


def _dataset_change(drift: Drift) -> str:
    if not isinstance(drift.before, dict):
        return "added"
    if not isinstance(drift.after, dict):
        return "removed"
    old_rows, new_rows = drift.before.get("rows"), drift.after.get("rows")
    if drift.before.get("sha256") == drift.after.get("sha256") and old_rows == new_rows:
        return "now read remotely" if drift.after.get("remote") else "now read locally"
    if isinstance(old_rows, int) and isinstance(new_rows, int):
        if new_rows != old_rows:
            return f"{new_rows - old_rows:+d} rows"
        return "content changed (same row count)"
    return "content changed"


def _dataset_names(old: PipelineLock, new: PipelineLock) -> dict[str, str]:
    # The file name reads best ("golden.csv"); the full path only where two datasets share it.
    paths = {dataset.path for dataset in [*old.datasets, *new.datasets]}
    names = {path: PurePosixPath(path).name or path for path in paths}
    counts = Counter(names.values())
    return {path: name if counts[name] == 1 else path for path, name in names.items()}


def _parse_version(version: str) -> tuple[int, int, int]:
    match = _VERSION.fullmatch(version.strip())
    if match is None:
        raise ConfigError(
            LOCK_FILENAME, f"contract_version {version!r} is not MAJOR.MINOR.PATCH (like 1.0.0)"
        )
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch
