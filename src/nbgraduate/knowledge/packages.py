"""Python package names, versions and requirement strings, read with ``packaging`` as PEP 440,
PEP 503 and PEP 508 define them.

Every place that parses, classifies, normalises, locks or digests a requirement goes through
this module, so ``pandas==latest`` is an invalid version everywhere (never a pin) and
``Scikit_Learn`` is ``scikit-learn`` everywhere. ``packaging`` is imported on first use: the
linter only pays for it when a notebook installs something.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "MAX_VERSION_CHARS",
    "ParsedRequirement",
    "RequirementSyntaxError",
    "canonical_name",
    "is_valid_version",
    "parse_requirement",
    "requirement_name",
]

#: Longer than any version a package index serves; a longer one is a hostile or broken input
#: (a 100,000-digit release number would also exceed Python's int-conversion limit).
MAX_VERSION_CHARS = 128
# The longest requirement string read; PEP 508 has no limit, pip's command lines do.
_MAX_REQUIREMENT_CHARS = 100_000

# Operator and version of each clause, to say *which* part of an invalid requirement is wrong.
_CLAUSE = re.compile(r"(===|==|~=|!=|<=|>=|<|>)\s*([^\s,;()\[\]]*)")
_SINGLE_EQUALS = re.compile(r"^\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*(?:\[[^\]]*\])?\s*=[^=]")
_NAME_PREFIX = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")


class RequirementSyntaxError(ValueError):
    """A requirement string pip would reject; ``reason`` says why in words a user acts on."""

    def __init__(self, text: str, reason: str) -> None:
        self.text = text
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True, slots=True)
class ParsedRequirement:
    """A PEP 508 requirement: ``name[extras] specifiers ; marker`` or ``name @ url ; marker``.

    ``name`` is spelled as written; :attr:`key` is its PEP 503 normalised form. ``extras`` are
    normalised and sorted; ``marker`` is packaging's normalised text of the marker.
    """

    name: str
    extras: tuple[str, ...]
    specifiers: tuple[tuple[str, str], ...]
    marker: str | None
    url: str | None

    @property
    def key(self) -> str:
        return canonical_name(self.name)

    @property
    def operators(self) -> frozenset[str]:
        return frozenset(operator for operator, _ in self.specifiers)

    @property
    def pinned_version(self) -> str | None:
        """The version an exact pin (``==1.2.3`` or ``===x``) names; ``None`` otherwise."""
        for operator, version in self.specifiers:
            if operator == "===" or (operator == "==" and not version.endswith(".*")):
                return version
        return None

    def canonical(self) -> str:
        """One spelling per requirement: what digests compare, so spelling never reads as change."""
        text = self.key
        if self.extras:
            text += f"[{','.join(self.extras)}]"
        if self.url is not None:
            text += f" @ {self.url}"
        elif self.specifiers:
            text += ",".join(
                sorted(f"{operator}{version}" for operator, version in self.specifiers)
            )
        if self.marker:
            text += f" ; {self.marker}"
        return text


def canonical_name(name: str) -> str:
    """PEP 503 normalised project name: ``Scikit_Learn`` and ``scikit-learn`` are one package.

    The one normalisation nbgraduate uses, for install lines, requirements files, locks,
    digests and drift.
    """
    from packaging.utils import canonicalize_name

    return str(canonicalize_name(name))


def is_valid_version(text: str) -> bool:
    """True for a PEP 440 version (``1.0``, ``v2.3.post1``), never for ``latest`` or ``1.0abc``."""
    if not text or len(text) > MAX_VERSION_CHARS:
        return False
    from packaging.version import InvalidVersion, Version

    try:
        Version(text)
    except (InvalidVersion, ValueError):  # ValueError: Python's int-digit limit
        return False
    return True


def parse_requirement(text: str) -> ParsedRequirement:
    """``text`` read as pip reads it, or :class:`RequirementSyntaxError` saying why not."""
    from packaging.requirements import InvalidRequirement, Requirement

    if len(text) > _MAX_REQUIREMENT_CHARS:
        raise RequirementSyntaxError(
            text, f"a requirement of {len(text):,} characters is not a real requirement"
        )
    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        raise RequirementSyntaxError(text, _why_invalid(text)) from None
    except ValueError:  # a part beyond Python's int-digit limit
        raise RequirementSyntaxError(text, _why_invalid(text)) from None
    specifiers = tuple(sorted((spec.operator, spec.version) for spec in requirement.specifier))
    for operator, version in specifiers:
        if operator != "===" and len(version) > MAX_VERSION_CHARS:
            raise RequirementSyntaxError(
                text, f"a version of {len(version):,} characters is not a real version"
            )
    return ParsedRequirement(
        name=requirement.name,
        extras=tuple(sorted(canonical_name(extra) for extra in requirement.extras)),
        specifiers=specifiers,
        marker=str(requirement.marker) if requirement.marker is not None else None,
        url=requirement.url,
    )


def requirement_name(text: str) -> str | None:
    """The project name a requirement string starts with, even when the rest is invalid."""
    match = _NAME_PREFIX.match(text)
    return match.group(1) if match else None


def _why_invalid(text: str) -> str:
    if _SINGLE_EQUALS.match(text):
        return "'=' is not a version operator; pin with '=='"
    for match in _CLAUSE.finditer(text.split(";", 1)[0]):
        operator, version = match.groups()
        if operator == "===" or not version:
            continue
        bare = version[:-2] if operator in ("==", "!=") and version.endswith(".*") else version
        if not is_valid_version(bare):
            shown = bare if len(bare) <= 40 else f"{bare[:20]}… ({len(bare):,} characters)"
            return f"'{shown}' is not a valid version (PEP 440)"
    return "not a valid requirement (PEP 508)"
