"""The CI workflow ``init`` writes: the template, rendered; a user's edited copy is kept."""

from __future__ import annotations

from dataclasses import dataclass, field

from nbgraduate.repo.setup.templates import WORKFLOW, read_template

__all__ = ["WORKFLOW_PATH", "PlannedWorkflow", "plan_workflow", "render_workflow"]

WORKFLOW_PATH = ".github/workflows/nbgraduate.yml"
_VERSION_PLACEHOLDER = "__NBGRADUATE_VERSION__"


@dataclass(slots=True)
class PlannedWorkflow:
    text: str | None  # None: leave the file as it is
    summary: str
    warnings: list[str] = field(default_factory=list)


def render_workflow(version: str) -> str:
    """The workflow template with the nbgraduate version CI installs filled in."""
    return read_template(WORKFLOW).replace(_VERSION_PLACEHOLDER, version)


def plan_workflow(existing: str | None, *, version: str, force: bool) -> PlannedWorkflow:
    rendered = render_workflow(version)
    if existing is None:
        return PlannedWorkflow(rendered, "lint + SARIF, verify, run, gate against main, comment")
    if existing == rendered:
        return PlannedWorkflow(existing, "matches the template")
    if force:
        return PlannedWorkflow(
            rendered,
            "replaced with the template (--force)",
            [f"{WORKFLOW_PATH}: your changes to it were replaced (--force)"],
        )
    return PlannedWorkflow(
        None,
        "differs from the template; left as is",
        [
            f"{WORKFLOW_PATH} differs from nbgraduate's template and was left as is;"
            " `nbgraduate init --dry-run --force` shows the difference, --force replaces it"
        ],
    )
