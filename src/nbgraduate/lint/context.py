"""What a lint rule sees: the notebook's analysis (:class:`NotebookAnalysis`) and nothing more.

The analysis lives below linting, so the converter and the lock builder use the same facts
without importing the linter; this subclass is the seam where lint-only state goes: the git
state of the repository (read once per lint run) and what versions each dataset file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from nbgraduate.analysis.context import NotebookAnalysis
from nbgraduate.knowledge import secrets

if TYPE_CHECKING:
    from nbgraduate.core.git_state import GitState
    from nbgraduate.lint.dataset_pins import DatasetPins

__all__ = ["LintContext"]


@dataclass
class LintContext(NotebookAnalysis):
    """The analysis a rule's ``check`` reads; rules never change it."""

    git_state: GitState | None = None
    #: What each credential rule's ``check`` found, by rule code, kept by the linter: output
    #: must mask every credential, and asking the rule again would scan every text twice.
    credential_findings: dict[str, list] = field(default_factory=dict)  # lists of Finding
    #: What a rule computed once and reads again, by rule code: NBG501 finds every credential
    #: once for its own findings and for what output masks.
    rule_results: dict[str, list] = field(default_factory=dict)

    @cached_property
    def source_secrets(self) -> list[list[secrets.SecretMatch]]:
        """The keys :func:`~nbgraduate.knowledge.secrets.find_secrets` sees in each cell's
        source, by cell index: NBG501 reads them for its findings and for what output masks."""
        return [secrets.find_secrets(cell.source) for cell in self.notebook.cells]

    @cached_property
    def dataset_pins(self) -> DatasetPins:
        """What versions each local dataset file: the lock, DVC or git."""
        from nbgraduate.lint.dataset_pins import DatasetPins

        return DatasetPins(
            self.notebook.path,
            is_script=self.notebook.is_script,
            locked=self.locked_datasets,
            git=self.git_state,
        )
