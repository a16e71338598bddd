"""Python package names, versions and requirement strings, read with ``packaging`` as PEP 440,
PEP 503 and PEP 508 define them.

Every place that parses, classifies, normalises, locks or digests a requirement goes through
this module, so ``pandas==latest`` is an invalid version everywhere (never a pin) and
``Scikit_Learn`` is ``scikit-learn`` everywhere. ``packaging`` is imported on first use: the
linter only pays for it when a notebook installs something.
"""

from __future__ import annotations

from nbgraduate.core import regex_cache
from nbgraduate.core.records import Record

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
_CLAUSE = regex_cache.compile(r"(===|==|~=|!=|<=|>=|<|>)\s*([^\s,;()\[\]]*)")
_SINGLE_EQUALS = regex_cache.compile(r"^\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*(?:\[[^\]]*\])?\s*=[^=]")
_NAME_PREFIX = regex_cache.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")


class RequirementSyntaxError(ValueError):
    """A requirement string pip would reject; ``reason`` says why in words a user acts on."""

    def __init__(self, text: str, reason: str) -> None:
        self.text = text
        self.reason = reason
        super().__init__(reason)


class ParsedRequirement(Record):
    """A PEP 508 requirement: ``name[extras] specifiers ; marker`` or ``name @ url ; marker``.

    ``name`` is spelled as written; :attr:`key` is its PEP 503 normalised form. ``extras`` are
    normalised and sorted; ``marker`` is packaging's normalised text of the marker.
    """

    _fields = ("name", "extras", "specifiers", "marker", "url")
    __slots__ = _fields

    def __init__(
        self,
        name: str,
        extras: tuple[str, ...],
        specifiers: tuple[tuple[str, str], ...],
        marker: str | None,
        url: str | None,
    ) -> None:
        self.name = name
        self.extras = extras
        self.specifiers = specifiers
        self.marker = marker
        self.url = url

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
    # PEP 503's ``re.sub(r"[-_.]+", "-", name).lower()``, spelled as packaging's
    # ``canonicalize_name`` does; importing packaging.utils (it pulls in packaging.tags, and with
    # it subprocess, platform and logging) would cost a lint run ~7 ms for one line.
    value = name.lower().replace("_", "-").replace(".", "-")
    while "--" in value:
        value = value.replace("--", "-")
    return value


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
    simple = _simple_requirement(text)
    if simple is not None:
        return simple
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


# What most notebooks install: ``name``, ``name[extra,...]``, ``name==1.2.3``,
# ``name>=0.3.2,<0.4``. Every string this matches (with the checks in _simple_requirement)
# is a valid PEP 508 requirement that packaging reads to the same parts, so the linter reads it
# without importing ``packaging.requirements`` (~12 ms with what it imports); anything else
# (spaces, markers, URLs, wildcards, local versions, epochs, ``===``) goes to packaging.
_SIMPLE_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_SIMPLE_VERSION = r"[0-9]+(?:\.[0-9]+)*(?:(?:a|b|rc)[0-9]+)?(?:\.post[0-9]+)?(?:\.dev[0-9]+)?"
_SIMPLE_CLAUSE = rf"(?:==|!=|<=|>=|~=|<|>){_SIMPLE_VERSION}"
_SIMPLE_REQUIREMENT = regex_cache.compile(
    rf"(?P<name>{_SIMPLE_NAME})"
    rf"(?:\[(?P<extras>{_SIMPLE_NAME}(?:,{_SIMPLE_NAME})*)\])?"
    rf"(?P<specifiers>{_SIMPLE_CLAUSE}(?:,{_SIMPLE_CLAUSE})*)?"
)
_SIMPLE_SPLIT = regex_cache.compile(r"(==|!=|<=|>=|~=|<|>)")
# ``~=`` needs two release parts and, kept simple here, nothing after them.
_COMPATIBLE_RELEASE = regex_cache.compile(r"[0-9]+(?:\.[0-9]+)+")
_MAX_SIMPLE_CHARS = 200


def _simple_requirement(text: str) -> ParsedRequirement | None:
    """``text`` read without packaging when it is one of the common simple forms, else None."""
    if len(text) > _MAX_SIMPLE_CHARS:
        return None
    match = _SIMPLE_REQUIREMENT.fullmatch(text)
    if match is None:
        return None
    specifiers: list[tuple[str, str]] = []
    if match["specifiers"]:
        for clause in match["specifiers"].split(","):
            _, operator, version = _SIMPLE_SPLIT.split(clause, maxsplit=1)
            if operator == "~=" and not _COMPATIBLE_RELEASE.fullmatch(version):
                return None
            if len(version) > MAX_VERSION_CHARS:
                return None  # packaging's path says why
            specifiers.append((operator, version))
        # packaging keeps a set of specifiers, where ``==1.0`` and ``==1.0.0`` are one: with
        # an operator repeated, which one survives is packaging's to say.
        if len({operator for operator, _ in specifiers}) != len(specifiers):
            return None
    extras = set(match["extras"].split(",")) if match["extras"] else set()
    return ParsedRequirement(
        name=match["name"],
        extras=tuple(sorted(canonical_name(extra) for extra in extras)),
        specifiers=tuple(sorted(specifiers)),
        marker=None,
        url=None,
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
