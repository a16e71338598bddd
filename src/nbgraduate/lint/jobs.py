"""One file's lint job and its result: what the runner hands a worker and gets back.

Kept apart from :mod:`nbgraduate.lint.linter` so that building jobs (and answering them from
the result cache) does not import the rules, the analysis and the notebook reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from nbgraduate.core.git_state import GitState
from nbgraduate.knowledge.model_policy import ModelPolicyConfig
from nbgraduate.lint.diagnostics import Diagnostic, InputError

__all__ = ["FileJob", "FileResult"]


@dataclass(frozen=True, slots=True)
class FileJob:
    """Everything a worker needs to lint one file; picklable for the process pool."""

    path: Path
    display_path: str
    codes: frozenset[str]
    policy: ModelPolicyConfig = field(default_factory=ModelPolicyConfig)
    locked_datasets: frozenset[str] = frozenset()
    #: The repository's git state, read once per lint run; ``None`` outside a git work tree.
    git_state: GitState | None = None
    #: Locate findings on the lines of the ``.ipynb`` file as stored (only the github, gitlab
    #: and sarif formats print them; finding them means scanning the raw JSON).
    file_positions: bool = True


@dataclass(slots=True)
class FileResult:
    diagnostics: list[Diagnostic]
    error: InputError | None = None
