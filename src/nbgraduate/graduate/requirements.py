"""Pinned requirements for a graduated pipeline, from its installs and third-party imports.

Versions come from the converting environment: the one in which the notebook last ran is the
best evidence of what it needs. What cannot be resolved there is said, never guessed.
"""

from __future__ import annotations

import functools
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from nbgraduate.analysis.facts import ProgramFacts
from nbgraduate.knowledge.install_commands import parse_install_line
from nbgraduate.notebook.model import Notebook

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_NOT_PACKAGES = frozenset({"__future__", "IPython", "ipykernel", "google.colab"})


@dataclass(slots=True)
class ResolvedRequirements:
    """``pinned`` maps distribution name to version; ``unresolved`` says what could not be."""

    pinned: dict[str, str] = field(default_factory=dict)
    unresolved: dict[str, str] = field(default_factory=dict)

    def text(self) -> str:
        lines = ["# Pinned by nbgraduate convert from the converting environment."]
        lines += [
            f"{name}=={version}"
            for name, version in sorted(self.pinned.items(), key=lambda kv: kv[0].lower())
        ]
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
            match = _NAME.match(requirement.spec)
            if requirement.kind.startswith("vcs") or match is None:
                _pin_distribution(resolved, requirement.spec, None)
                continue
            _pin_distribution(resolved, match.group(1), None)
    for module in sorted(_third_party_modules(facts, source_dir)):
        # Editable installs are often missing from packages_distributions(); most distributions
        # are named like their top-level module, so that is the fallback.
        distributions = _module_distributions().get(module) or [module]
        for distribution in distributions:
            _pin_distribution(resolved, distribution, module)
    return resolved


def _pin_distribution(resolved: ResolvedRequirements, name: str, imported_as: str | None) -> None:
    from importlib import metadata

    try:
        version = metadata.version(name)
    except metadata.PackageNotFoundError:
        what = f"imported as {imported_as}; " if imported_as else ""
        resolved.unresolved.setdefault(name, f"{what}not installed in the converting environment")
        return
    canonical = metadata.metadata(name)["Name"] or name
    resolved.pinned[canonical] = version
    resolved.unresolved.pop(name, None)


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
