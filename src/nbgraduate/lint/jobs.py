"""One file's lint job and its result: what the runner hands a worker and gets back.

Kept apart from :mod:`nbgraduate.lint.linter` so that building jobs (and answering them from
the result cache) does not import the rules, the analysis and the notebook reader.
"""

from __future__ import annotations

from pathlib import Path

from nbgraduate.core.git_state import GitState
from nbgraduate.core.records import Record
from nbgraduate.knowledge.model_policy import ModelPolicyConfig
from nbgraduate.lint.diagnostics import Diagnostic, InputError

__all__ = ["FileJob", "FileResult"]


class FileJob(Record):
    """Everything a worker needs to lint one file; picklable for the process pool."""

    _fields = (
        "path",
        "display_path",
        "codes",
        "policy",
        "locked_datasets",
        "git_state",
        "file_positions",
    )
    __slots__ = _fields

    def __init__(
        self,
        path: Path,
        display_path: str,
        codes: frozenset[str],
        policy: ModelPolicyConfig | None = None,
        locked_datasets: frozenset[str] = frozenset(),
        #: The repository's git state, read once per lint run; ``None`` outside a git work tree.
        git_state: GitState | None = None,
        #: Locate findings on the lines of the ``.ipynb`` file as stored (only the github,
        #: gitlab and sarif formats print them; finding them means scanning the raw JSON).
        file_positions: bool = True,
    ) -> None:
        self.path = path
        self.display_path = display_path
        self.codes = codes
        self.policy = ModelPolicyConfig() if policy is None else policy
        self.locked_datasets = locked_datasets
        self.git_state = git_state
        self.file_positions = file_positions


class FileResult(Record):
    """One file's findings, or why it could not be linted."""

    _fields = ("diagnostics", "error")
    __slots__ = _fields

    def __init__(self, diagnostics: list[Diagnostic], error: InputError | None = None) -> None:
        self.diagnostics = diagnostics
        self.error = error
