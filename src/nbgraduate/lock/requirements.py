"""A pipeline's ``requirements.txt``: its exact pins, and the digest the lock records.

Lines are read as pip reads them (comments, ``\\`` continuations, option lines, per-requirement
``--hash`` options) and each requirement with ``packaging``: extras and environment markers are
kept, ``pandas==latest`` is refused as an invalid version, and names are compared in their
PEP 503 form. Locks of schema version 1 recorded less (``name==version`` lines only, names
lower-cased in the digest); :func:`read_requirements` can still compute what such a lock
recorded, so a format change is never reported as drift.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from nbgraduate.core import regex_cache
from nbgraduate.core.errors import ConfigError
from nbgraduate.knowledge.packages import RequirementSyntaxError, parse_requirement

__all__ = [
    "REQUIREMENTS_FILENAME",
    "PinnedRequirement",
    "RequirementsFile",
    "parse_requirements_text",
    "read_requirements",
    "requirements_digest",
]

REQUIREMENTS_FILENAME = "requirements.txt"
#: Far beyond any real requirements file; a bigger one is refused, not read into memory.
MAX_REQUIREMENTS_BYTES = 4 * 1024 * 1024

# A comment starts at ``#`` at the start of a line or after whitespace (pip's own rule), so a
# ``#sha256=`` or ``#egg=`` fragment inside a URL is kept.
_COMMENT = regex_cache.compile(r"(^|\s)#.*$")
# Per-requirement options (``--hash=sha256:...``, ``--config-settings``) follow the requirement.
_REQUIREMENT_OPTION = regex_cache.compile(r"\s--?[A-Za-z]")
# What a schema-1 lock read from a line: ``name==version``, nothing else.
_LEGACY_PIN = regex_cache.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;#]+)")


@dataclass(frozen=True, slots=True)
class PinnedRequirement:
    """An exact pin the lock records: ``name[extras]==version ; marker``."""

    name: str
    version: str
    extras: tuple[str, ...] = ()
    marker: str | None = None


@dataclass(slots=True)
class RequirementsFile:
    """What a requirements file pins, what it asks for without pinning, and its digests.

    ``problems`` are one-line warnings naming the line (requirements that are not exact pins,
    lines pip would reject). ``digest`` covers every requirement and option line in canonical
    form; ``legacy_pins``/``legacy_digest`` are what a schema-1 lock recorded.
    """

    pins: list[PinnedRequirement] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    digest: str = ""
    legacy_pins: dict[str, str] = field(default_factory=dict)
    legacy_digest: str = ""


def read_requirements(path: Path) -> RequirementsFile:
    """The requirements file at ``path``; an empty one when there is none."""
    if not path.is_file():
        return parse_requirements_text("", path.name)
    try:
        if path.stat().st_size > MAX_REQUIREMENTS_BYTES:
            raise ConfigError(path, f"larger than {MAX_REQUIREMENTS_BYTES:,} bytes; not read")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(path, "not UTF-8 text") from None
    except OSError as error:
        raise ConfigError(path, f"cannot read: {error.strerror or error}") from None
    return parse_requirements_text(text, path.name)


def parse_requirements_text(text: str, where: str = REQUIREMENTS_FILENAME) -> RequirementsFile:
    """Read requirements-file ``text``; ``where`` names the file in problems."""
    result = RequirementsFile()
    entries: list[str] = []
    for number, line in _logical_lines(text):
        legacy = _LEGACY_PIN.match(line)
        if legacy:
            result.legacy_pins[legacy.group(1)] = legacy.group(2)
        content = _COMMENT.sub("", line).strip()
        if not content:
            continue
        if content.startswith("-"):
            # -r/-c/-e/--index-url/...: they change what gets installed, so they are digested.
            entries.append(" ".join(content.split()))
            if content.startswith(("-r", "--requirement", "-c", "--constraint")):
                result.problems.append(
                    f"{where} line {number}: '{_shown(content)}' is not followed; "
                    "the lock records only this file's own pins"
                )
            continue
        option = _REQUIREMENT_OPTION.search(content)
        requirement_text = content[: option.start()] if option else content
        options = sorted(content[option.start() :].split()) if option else []
        try:
            requirement = parse_requirement(requirement_text)
        except RequirementSyntaxError as error:
            entries.append(" ".join(content.split()))
            result.problems.append(
                f"{where} line {number}: pip will reject '{_shown(requirement_text)}': "
                f"{error.reason}"
            )
            continue
        entries.append(" ".join([requirement.canonical(), *options]))
        version = requirement.pinned_version
        if version is None or requirement.url is not None:
            result.problems.append(
                f"{where} line {number}: '{_shown(requirement_text)}' is not an exact '==' pin, "
                "so the lock cannot record its version"
            )
            continue
        result.pins.append(
            PinnedRequirement(requirement.name, version, requirement.extras, requirement.marker)
        )
    result.digest = requirements_digest(entries)
    result.legacy_digest = _legacy_digest(result.legacy_pins)
    return result


def requirements_digest(entries: Iterable[str]) -> str:
    """sha256 over canonical requirement and option lines, in a stable order: two files that
    differ only in spelling (``Scikit_Learn`` / ``scikit-learn``, spacing, comments, line order)
    have one digest."""
    canonical = "\n".join(sorted(set(entries)))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _legacy_digest(pins: dict[str, str]) -> str:
    """The digest a schema-1 lock recorded: ``name.lower()==version`` lines, sorted."""
    canonical = "\n".join(
        f"{name.lower()}=={version}"
        for name, version in sorted(pins.items(), key=lambda kv: kv[0].lower())
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _logical_lines(text: str) -> Iterable[tuple[int, str]]:
    """``(first line number, line)`` with backslash continuations joined, as pip joins them."""
    pending: list[str] = []
    start = 1
    for number, line in enumerate(text.splitlines(), start=1):
        if not pending:
            start = number
        if line.endswith("\\") and not _COMMENT.search(line):
            pending.append(line[:-1])
            continue
        pending.append(line)
        yield start, "".join(pending)
        pending = []
    if pending:
        yield start, "".join(pending)


def _shown(text: str) -> str:
    return text if len(text) <= 80 else f"{text[:60]}… ({len(text):,} characters)"
