"""Plan every file ``nbgraduate init`` touches; writing is a separate, atomic step."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from nbgraduate import __version__
from nbgraduate.core.errors import ConfigError, UsageError
from nbgraduate.core.git import repository_root
from nbgraduate.repo.setup import HOOK_REPOSITORY, HOOK_REV
from nbgraduate.repo.setup.changes import FileChange

__all__ = ["InitOptions", "apply_changes", "plan_init"]

PRE_COMMIT_CONFIG = ".pre-commit-config.yaml"
#: Where users put ``templates/nbgraduate-lint.yml``; the full workflow lints as well.
LINT_ONLY_WORKFLOW = ".github/workflows/nbgraduate-lint.yml"


@dataclass(frozen=True, slots=True)
class InitOptions:
    """``root`` holds (or gets) the pyproject.toml; pre-commit, the workflow and CODEOWNERS go
    to the root of the git work tree around it, where pre-commit and GitHub look for them."""

    root: Path
    eval_paths: tuple[str, ...] = ()
    owner: str | None = None
    hook_repository: str = HOOK_REPOSITORY
    hook_rev: str = HOOK_REV
    force: bool = False
    version: str = __version__


def plan_init(options: InitOptions) -> list[FileChange]:
    """The changes ``init`` would make, in the order it reports them; nothing is written."""
    from nbgraduate.repo.setup.codeowners import plan_codeowners, validate_owner
    from nbgraduate.repo.setup.precommit import merge_precommit
    from nbgraduate.repo.setup.pyproject import merge_pyproject
    from nbgraduate.repo.setup.workflow import WORKFLOW_PATH, plan_workflow

    root = Path(os.path.abspath(options.root))
    if not root.is_dir():
        raise UsageError(f"{options.root}: not a directory")
    owner = validate_owner(options.owner) if options.owner is not None else None
    repository = repository_root(root)
    changes: list[FileChange] = []

    pyproject = root / "pyproject.toml"
    before = _read(pyproject)
    merged = merge_pyproject(before, options.eval_paths, path=str(pyproject))
    changes.append(FileChange(pyproject, before, merged.text, merged.summary))

    config = repository / PRE_COMMIT_CONFIG
    before = _read(config)
    hooks = merge_precommit(
        before, repository=options.hook_repository, rev=options.hook_rev, path=str(config)
    )
    changes.append(
        FileChange(config, before, hooks.text or before, hooks.summary, list(hooks.warnings))
    )

    workflow_path = repository / WORKFLOW_PATH
    before = _read(workflow_path)
    workflow = plan_workflow(before, version=options.version, force=options.force)
    warnings = list(workflow.warnings)
    lint_only = repository / LINT_ONLY_WORKFLOW
    if lint_only.is_file():
        warnings.append(
            f"{LINT_ONLY_WORKFLOW} (nbgraduate's lint-only template) lints too; delete it to"
            " lint once per pull request"
        )
    changes.append(
        FileChange(workflow_path, before, workflow.text or before, workflow.summary, warnings)
    )

    if owner is not None:
        in_repository = [
            Path(os.path.relpath(root / eval_path, repository)).as_posix()
            for eval_path in merged.eval_paths
        ]
        owners = plan_codeowners(repository, in_repository, owner)
        changes.append(
            FileChange(owners.path, owners.before, owners.after, owners.summary, owners.warnings)
        )
    return changes


def apply_changes(changes: list[FileChange]) -> None:
    """Write every changed file, each atomically."""
    for change in changes:
        change.write()


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError as error:
        raise ConfigError(path, f"not UTF-8 text: {error}") from None
    except OSError as error:
        raise ConfigError(path, error.strerror or str(error)) from None
