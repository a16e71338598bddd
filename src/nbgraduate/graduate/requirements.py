"""Pinned requirements for a graduated pipeline, from its installs and third-party imports.

Versions come from the converting environment: the one in which the notebook last ran is the
best evidence of what it needs. What cannot be resolved there is said, never guessed.
"""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass, field
from pathlib import Path

from nbgraduate.analysis.facts import ProgramFacts
from nbgraduate.knowledge.install_commands import parse_install_line
from nbgraduate.knowledge.packages import (
    RequirementSyntaxError,
    canonical_name,
    parse_requirement,
    requirement_name,
)
from nbgraduate.notebook.model import Notebook

_NOT_PACKAGES = frozenset({"__future__", "IPython", "ipykernel", "google.colab"})


@dataclass(slots=True)
class ResolvedRequirements:
    """``pinned`` maps distribution name to version; ``unresolved`` says what could not be.

    ``extras`` and ``markers`` keep what an install line asked for beyond the name
    (``pandas[excel]``, ``; python_version < "3.12"``), keyed like ``pinned``.
    """

    pinned: dict[str, str] = field(default_factory=dict)
    unresolved: dict[str, str] = field(default_factory=dict)
    extras: dict[str, tuple[str, ...]] = field(default_factory=dict)
    markers: dict[str, str] = field(default_factory=dict)
    #: PEP 503 name -> the spelling used as key above.
    spellings: dict[str, str] = field(default_factory=dict)

    def text(self) -> str:
        lines = ["# Pinned by nbgraduate convert from the converting environment."]
        for name, version in sorted(self.pinned.items(), key=lambda kv: canonical_name(kv[0])):
            extras = self.extras.get(name, ())
            line = f"{name}[{','.join(extras)}]" if extras else name
            line += f"=={version}"
            if name in self.markers:
                line += f" ; {self.markers[name]}"
            lines.append(line)
        return "\n".join(lines) + "\n"


def resolve_requirements(
    notebook: Notebook, facts: ProgramFacts, source_dir: Path
) -> ResolvedRequirements:
    """Pin every ``%pip``/``!pip`` package and every third-party import of the notebook."""
    resolved = ResolvedRequirements()
    for command in notebook.shell_commands:
        prefix = {"line-magic": "%", "shell": "!"}.get(command.origin, "")
        for requirement in parse_install_line(prefix + command.text):
            if requirement.kind in ("local", "requirements-file"):
                resolved.unresolved[requirement.spec] = (
                    f"{requirement.kind} install; pin its contents by hand"
                )
                continue
            name = requirement_name(requirement.spec)
            if requirement.kind.startswith("vcs") or name is None:
                _pin_distribution(resolved, requirement.spec, None)
                continue
            pinned_as = _pin_distribution(resolved, name, None)
            if pinned_as is not None:
                _keep_extras_and_marker(resolved, pinned_as, requirement.spec)
    for module in sorted(_third_party_modules(facts, source_dir)):
        # Editable installs are often missing from packages_distributions(); most distributions
        # are named like their top-level module, so that is the fallback.
        distributions = _module_distributions().get(module) or [module]
        for distribution in distributions:
            _pin_distribution(resolved, distribution, module)
    return resolved


def _pin_distribution(
    resolved: ResolvedRequirements, name: str, imported_as: str | None
) -> str | None:
    """Pin ``name`` to its installed version; the distribution's own name, or ``None``."""
    from importlib import metadata

    try:
        version = metadata.version(name)
    except (metadata.PackageNotFoundError, ValueError):  # ValueError: not a project name
        what = f"imported as {imported_as}; " if imported_as else ""
        resolved.unresolved.setdefault(name, f"{what}not installed in the converting environment")
        return None
    spelled = metadata.metadata(name)["Name"] or name
    # One entry per project, however the notebook spelled it (PyYAML, pyyaml, py_yaml).
    spelled = resolved.spellings.setdefault(canonical_name(spelled), spelled)
    resolved.pinned[spelled] = version
    resolved.unresolved.pop(name, None)
    return spelled


def _keep_extras_and_marker(resolved: ResolvedRequirements, name: str, spec: str) -> None:
    try:
        requirement = parse_requirement(spec)
    except RequirementSyntaxError:
        return
    if requirement.extras:
        merged = set(resolved.extras.get(name, ())) | set(requirement.extras)
        resolved.extras[name] = tuple(sorted(merged))
    if requirement.marker:
        resolved.markers[name] = requirement.marker


def _third_party_modules(facts: ProgramFacts, source_dir: Path) -> set[str]:
    modules = set()
    stdlib = sys.stdlib_module_names
    for qualified in facts.imports.values():
        if qualified.startswith("."):
            continue
        top = qualified.split(".", 1)[0]
        if top in stdlib or top in _NOT_PACKAGES or qualified in _NOT_PACKAGES:
            continue
        if (source_dir / f"{top}.py").exists() or (source_dir / top / "__init__.py").exists():
            continue
        modules.add(top)
    return modules


@functools.cache
def _module_distributions() -> dict[str, list[str]]:
    from importlib import metadata

    return {
        module: sorted(set(names)) for module, names in metadata.packages_distributions().items()
    }
