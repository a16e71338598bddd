"""What a lint rule sees: the notebook's analysis (:class:`NotebookAnalysis`) and nothing more.

The analysis lives below linting, so the converter and the lock builder use the same facts
without importing the linter; this subclass is the seam where lint-only state goes: the git
state of the repository (read once per lint run) and what versions each dataset file.
"""

from __future__ import annotations

from functools import cached_property

from nbgraduate.analysis.context import NotebookAnalysis
from nbgraduate.knowledge import secrets

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from nbgraduate.core.git_state import GitState
    from nbgraduate.knowledge.model_policy import ModelPolicy
    from nbgraduate.lint.dataset_pins import DatasetPins
    from nbgraduate.notebook.model import Notebook

__all__ = ["LintContext"]


class LintContext(NotebookAnalysis):
    """The analysis a rule's ``check`` reads; rules never change it."""

    def __init__(
        self,
        notebook: Notebook,
        model_policy: ModelPolicy,
        locked_datasets: frozenset[str] = frozenset(),
        git_state: GitState | None = None,
    ) -> None:
        super().__init__(notebook, model_policy, locked_datasets)
        self.git_state = git_state
        #: What each credential rule's ``check`` found, by rule code, kept by the linter:
        #: output must mask every credential, and asking the rule again would scan every text
        #: twice (lists of Finding).
        self.credential_findings: dict[str, list] = {}
        #: What a rule computed once and reads again, by rule code: NBG501 finds every
        #: credential once for its own findings and for what output masks.
        self.rule_results: dict[str, list] = {}

    @cached_property
    def source_secrets(self) -> list[list[secrets.SecretMatch]]:
        """The keys :func:`~nbgraduate.knowledge.secrets.find_secrets` sees in each cell's
        source, by cell index: NBG501 reads them for its findings and for what output masks."""
        return secrets.find_secrets_each([cell.source for cell in self.notebook.cells])

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
