"""Pinned requirements for a graduated pipeline, from its installs and third-party imports.

Every project the notebook installs (``%pip install x>=1``) or imports (``import sklearn``)
gets an exact version, whether or not it is installed here (:mod:`nbgraduate.graduate.resolve`):
the converting environment's version when it satisfies the notebook's own constraint (the
environment the notebook last ran in is the best evidence of what it needs), else the newest
release on the package index that satisfies it. What cannot be resolved (offline, a private
package, a local path) is listed with its reason, in the report and as a comment in
``requirements.txt``: never dropped, never guessed.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from nbgraduate.analysis.facts import ProgramFacts
from nbgraduate.graduate.package_index import PackageIndexClient
from nbgraduate.graduate.resolve import distribution_for_import, newest_satisfying
from nbgraduate.knowledge.install_commands import parse_install_line
from nbgraduate.knowledge.packages import (
    RequirementSyntaxError,
    canonical_name,
    parse_requirement,
    requirement_name,
)
from nbgraduate.knowledge.secrets import redact
from nbgraduate.notebook.model import Notebook

#: Not requirements of the eval: the kernel's own machinery, which `nbgraduate env` adds.
_NOT_PACKAGES = frozenset({"__future__", "IPython", "ipykernel", "google.colab", "nbgraduate"})


@dataclass(slots=True)
class ResolvedRequirements:
    """``pinned`` maps distribution name to version; ``unresolved`` says what could not be.

    ``extras`` and ``markers`` keep what an install line asked for beyond the name
    (``pandas[excel]``, ``; python_version < "3.12"``), keyed like ``pinned``; ``origins`` says
    where each version came from (``environment`` or ``index``); ``sources`` what in the
    notebook asked for it (``install line``, ``import sklearn``).
    """

    pinned: dict[str, str] = field(default_factory=dict)
    unresolved: dict[str, str] = field(default_factory=dict)
    extras: dict[str, tuple[str, ...]] = field(default_factory=dict)
    markers: dict[str, str] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    sources: dict[str, list[str]] = field(default_factory=dict)
    #: PEP 503 name -> the spelling used as key above.
    spellings: dict[str, str] = field(default_factory=dict)

    def text(self) -> str:
        lines = [
            "# Pinned by nbgraduate convert: from the converting environment, else the newest",
            "# release on the package index that the notebook's own constraint allows.",
        ]
        for name, version in sorted(self.pinned.items(), key=lambda kv: canonical_name(kv[0])):
            extras = self.extras.get(name, ())
            line = f"{name}[{','.join(extras)}]" if extras else name
            line += f"=={version}"
            if name in self.markers:
                line += f" ; {self.markers[name]}"
            lines.append(line)
        for name, reason in sorted(self.unresolved.items()):
            lines.append(f"# unresolved: {name} ({reason})")
        return "\n".join(lines) + "\n"


@dataclass(slots=True)
class _Wanted:
    name: str
    constraint: str = ""
    imported_as: str | None = None
    sources: list[str] = field(default_factory=list)


def resolve_requirements(
    notebook: Notebook,
    facts: ProgramFacts,
    source_dir: Path,
    index: PackageIndexClient | None = None,
) -> ResolvedRequirements:
    """Pin every ``%pip``/``!pip`` package and every third-party import of the notebook;
    ``index`` (``None``: the converting environment only) answers for what is not installed."""
    resolved = ResolvedRequirements()
    wanted: dict[str, _Wanted] = {}
    for command in notebook.shell_commands:
        prefix = {"line-magic": "%", "shell": "!"}.get(command.origin, "")
        for requirement in parse_install_line(prefix + command.text):
            source = f"install line in cell {command.cell_index + 1}"
            # A URL may carry a token (git+https://<token>@host/...): only its masked form is
            # kept, so requirements.txt, the report and the lock never hold it.
            shown = redact(requirement.spec)
            if requirement.kind in ("local", "requirements-file"):
                resolved.unresolved[shown] = f"{requirement.kind} install; pin its contents by hand"
                resolved.sources.setdefault(shown, []).append(source)
                continue
            name = requirement_name(requirement.spec)
            if requirement.kind.startswith("vcs") or name is None:
                resolved.unresolved[shown] = (
                    "installed from a URL or VCS; pin it to a release or a commit by hand"
                )
                resolved.sources.setdefault(shown, []).append(source)
                continue
            entry = wanted.setdefault(canonical_name(name), _Wanted(name))
            entry.sources.append(source)
            _merge_constraint(resolved, entry, requirement.spec)
    for qualified, module in sorted(_third_party_modules(facts, source_dir).items()):
        distributions, _how = distribution_for_import(qualified)
        for distribution in distributions:
            entry = wanted.setdefault(canonical_name(distribution), _Wanted(distribution))
            entry.imported_as = entry.imported_as or module
            entry.sources.append(f"import {module}")
    for entry in wanted.values():
        _resolve(resolved, entry, index)
    return resolved


def _merge_constraint(resolved: ResolvedRequirements, entry: _Wanted, spec: str) -> None:
    try:
        requirement = parse_requirement(spec)
    except RequirementSyntaxError:
        return
    specifiers = ",".join(f"{operator}{version}" for operator, version in requirement.specifiers)
    if specifiers:
        entry.constraint = ",".join(filter(None, [entry.constraint, specifiers]))
    key = entry.name
    if requirement.extras:
        merged = set(resolved.extras.get(key, ())) | set(requirement.extras)
        resolved.extras[key] = tuple(sorted(merged))
    if requirement.marker:
        resolved.markers[key] = requirement.marker


def _resolve(
    resolved: ResolvedRequirements, entry: _Wanted, index: PackageIndexClient | None
) -> None:
    from importlib import metadata

    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        installed = metadata.version(entry.name)
        spelled = metadata.metadata(entry.name)["Name"] or entry.name
    except (metadata.PackageNotFoundError, ValueError):  # ValueError: not a project name
        # Not installed: the PEP 503 form, so ``import tiny_scorer`` pins ``tiny-scorer``.
        installed, spelled = None, canonical_name(entry.name)
    try:
        allowed = SpecifierSet(entry.constraint)
    except InvalidSpecifier:
        allowed = SpecifierSet()
    spelled = resolved.spellings.setdefault(canonical_name(spelled), spelled)
    if entry.name in resolved.extras and spelled != entry.name:
        resolved.extras[spelled] = resolved.extras.pop(entry.name)
    if entry.name in resolved.markers and spelled != entry.name:
        resolved.markers[spelled] = resolved.markers.pop(entry.name)
    resolved.sources.setdefault(spelled, []).extend(entry.sources)
    if installed is not None and allowed.contains(installed, prereleases=True):
        resolved.pinned[spelled] = installed
        resolved.origins[spelled] = "environment"
        return
    what = f"imported as {entry.imported_as}; " if entry.imported_as else ""
    if index is None:
        resolved.unresolved[spelled] = f"{what}not installed in the converting environment"
        return
    answer = index.releases(canonical_name(entry.name))
    if answer.problem is not None:
        resolved.unresolved[spelled] = f"{what}{answer.problem}"
        return
    version, reason = newest_satisfying(answer, entry.constraint)
    if version is None:
        resolved.unresolved[spelled] = f"{what}{reason}"
        return
    resolved.pinned[spelled] = version
    resolved.origins[spelled] = "index"


def _third_party_modules(facts: ProgramFacts, source_dir: Path) -> dict[str, str]:
    """``qualified import -> top-level module`` of every import that is not the standard
    library's, IPython's, or a module beside the notebook."""
    modules: dict[str, str] = {}
    stdlib = sys.stdlib_module_names
    for qualified in facts.imports.values():
        if qualified.startswith("."):
            continue
        top = qualified.split(".", 1)[0]
        if top in stdlib or top in _NOT_PACKAGES or qualified in _NOT_PACKAGES:
            continue
        if (source_dir / f"{top}.py").exists() or (source_dir / top / "__init__.py").exists():
            continue
        # ``from google.generativeai import GenerativeModel``: the module, not the name in it.
        parts = qualified.split(".")
        key = ".".join(parts[:3]) if top in ("google", "azure") else top
        modules.setdefault(key, top)
    return modules
