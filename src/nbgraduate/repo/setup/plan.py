"""Plan every file ``nbgraduate init`` touches; writing is a separate, atomic step."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

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
    """``root`` holds (or gets) the pyproject.toml; pre-commit, the workflow, CODEOWNERS and
    .gitignore go to the root of the git work tree around it, where git, pre-commit and GitHub
    look for them.

    ``hook_repository`` / ``hook_rev`` are ``None`` unless the user named them: a named one
    also moves an existing entry of ours in ``.pre-commit-config.yaml``. CI installs nbgraduate
    from wherever the hooks end up coming from, or ``nbgraduate==index_version`` when given.
    """

    root: Path
    eval_paths: tuple[str, ...] = ()
    owner: str | None = None
    hook_repository: str | None = None
    hook_rev: str | None = None
    index_version: str | None = None
    force: bool = False


def plan_init(options: InitOptions) -> list[FileChange]:
    """The changes ``init`` would make, in the order it reports them; nothing is written."""
    from nbgraduate.repo.setup.codeowners import plan_codeowners, validate_owner
    from nbgraduate.repo.setup.gitignore import plan_gitignore
    from nbgraduate.repo.setup.install import from_hooks, from_index
    from nbgraduate.repo.setup.precommit import merge_precommit
    from nbgraduate.repo.setup.pyproject import merge_pyproject
    from nbgraduate.repo.setup.workflow import WORKFLOW_PATH, plan_workflow

    root = Path(os.path.abspath(options.root))
    if not root.is_dir():
        raise UsageError(f"{options.root}: not a directory")
    owner = validate_owner(options.owner) if options.owner is not None else None
    hook_repository = options.hook_repository or HOOK_REPOSITORY
    hook_rev = options.hook_rev or HOOK_REV
    # Named values are checked before anything is planned: a bad one is a usage error.
    from_hooks(hook_repository, hook_rev)
    index_install = from_index(options.index_version) if options.index_version else None
    repository = repository_root(root)
    changes: list[FileChange] = []

    pyproject = root / "pyproject.toml"
    before = _read(pyproject)
    merged = merge_pyproject(before, options.eval_paths, path=str(pyproject))
    changes.append(FileChange(pyproject, before, merged.text, merged.summary))

    config = repository / PRE_COMMIT_CONFIG
    before = _read(config)
    hooks = merge_precommit(
        before,
        repository=hook_repository,
        rev=hook_rev,
        update_repository=options.hook_repository is not None,
        update_rev=options.hook_rev is not None,
        path=str(config),
    )
    changes.append(
        FileChange(config, before, hooks.text or before, hooks.summary, list(hooks.warnings))
    )

    workflow_path = repository / WORKFLOW_PATH
    before = _read(workflow_path)
    install = index_install or from_hooks(*hooks.source, origin=PRE_COMMIT_CONFIG)
    workflow = plan_workflow(before, install=install, force=options.force)
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

    ignored = plan_gitignore(repository, root)
    changes.append(
        FileChange(ignored.path, ignored.before, ignored.after, ignored.summary, ignored.warnings)
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
