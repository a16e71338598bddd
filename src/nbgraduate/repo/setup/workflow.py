"""The CI workflow ``init`` writes: the template with its actions pinned from ``actions.toml``
and nbgraduate's install source filled in; a user's edited copy is kept."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from nbgraduate.core import regex_cache
from nbgraduate.repo.setup.install import CiInstall
from nbgraduate.repo.setup.pins import pin_uses
from nbgraduate.repo.setup.templates import WORKFLOW, read_template

__all__ = [
    "WORKFLOW_PATH",
    "PlannedWorkflow",
    "installed_by",
    "plan_workflow",
    "render_workflow",
]

WORKFLOW_PATH = ".github/workflows/nbgraduate.yml"
_INSTALL_PLACEHOLDER = '"__NBGRADUATE_INSTALL__"'
#: The ``env:`` line that names what CI installs, as the template and ``init`` write it.
_INSTALL_LINE = regex_cache.compile(r'(?m)^  NBGRADUATE_INSTALL: (?P<value>"(?:[^"\\]|\\.)*")$')
_JOBS = "lint + SARIF, verify, run, gate against main, pull-request comment"


@dataclass(slots=True)
class PlannedWorkflow:
    text: str | None  # None: leave the file as it is
    summary: str
    warnings: list[str] = field(default_factory=list)


def render_workflow(install: CiInstall) -> str:
    """The workflow template, every ``uses:`` pinned, installing ``install.requirement``."""
    text = pin_uses(read_template(WORKFLOW), source=f"templates/{WORKFLOW}")
    return _with_requirement(text, install.requirement)


def installed_by(text: str) -> str | None:
    """What a workflow written by ``init`` installs (``None`` when it has no such line)."""
    match = _INSTALL_LINE.search(text)
    if match is None:
        return None
    try:
        value = json.loads(match["value"])
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, str) else None


def plan_workflow(existing: str | None, *, install: CiInstall, force: bool) -> PlannedWorkflow:
    """Create the workflow, or update one that is ``init``'s own apart from what it installs.

    A copy the user edited in any other way is theirs: kept (with a warning) unless ``force``.
    """
    rendered = render_workflow(install)
    warnings = [install.warning] if install.warning else []
    installs = f"CI installs {install.description}"
    if existing is None:
        return PlannedWorkflow(rendered, f"{_JOBS}; {installs}", warnings)
    if existing == rendered:
        return PlannedWorkflow(existing, f"matches the template; {installs}", warnings)
    previous = installed_by(existing)
    if previous is not None and existing == _with_requirement(rendered, previous):
        return PlannedWorkflow(rendered, f"{installs} (was {previous})", warnings)
    if force:
        warnings.append(f"{WORKFLOW_PATH}: your changes to it were replaced (--force)")
        return PlannedWorkflow(
            rendered, f"replaced with the template (--force); {installs}", warnings
        )
    kept = f"; it installs {previous}" if previous is not None else ""
    return PlannedWorkflow(
        None,
        "differs from the template; left as is",
        [
            f"{WORKFLOW_PATH} differs from nbgraduate's template and was left as is{kept};"
            f" the template would install {install.requirement}."
            " `nbgraduate init --dry-run --force` shows the difference, --force replaces it"
        ],
    )


def _with_requirement(text: str, requirement: str) -> str:
    # JSON's string syntax is a YAML double-quoted scalar for everything a requirement holds.
    quoted = json.dumps(requirement)
    if _INSTALL_PLACEHOLDER in text:
        return text.replace(_INSTALL_PLACEHOLDER, quoted, 1)
    return _INSTALL_LINE.sub(lambda m: f"  NBGRADUATE_INSTALL: {quoted}", text, count=1)
