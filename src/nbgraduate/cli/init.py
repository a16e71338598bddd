"""``nbgraduate init``: set a repository up for nbgraduate (config, pre-commit, CI, owners)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from nbgraduate.cli.exits import error_boundary, fail

__all__ = ["init", "register"]


def register(app: typer.Typer) -> None:
    app.command("init")(error_boundary(init))


def init(
    eval_path: Annotated[
        list[str] | None,
        typer.Option(
            "--eval-path",
            metavar="DIR",
            help="Directory of eval notebooks, relative to --root (repeatable; default: the"
            " configured ones, else evals/).",
        ),
    ] = None,
    owner: Annotated[
        str | None,
        typer.Option(
            metavar="@ORG/TEAM",
            help="Add a CODEOWNERS line for each eval path that has no owner yet.",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print unified diffs; write nothing.")
    ] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace a CI workflow that differs from the template."),
    ] = False,
    root: Annotated[
        Path,
        typer.Option(metavar="DIR", help="Project directory holding (or to hold) pyproject.toml."),
    ] = Path("."),
    hook_repo: Annotated[
        str | None,
        typer.Option(
            metavar="URL",
            help="Repository pre-commit fetches the hooks from (and CI installs nbgraduate"
            " from); moves an existing nbgraduate entry too.",
        ),
    ] = None,
    hook_rev: Annotated[
        str | None,
        typer.Option(
            metavar="REV",
            help="Tag or commit of the hooks (and of what CI installs); moves an existing"
            " nbgraduate entry too.",
        ),
    ] = None,
    index_version: Annotated[
        str | None,
        typer.Option(
            metavar="VERSION",
            help="CI installs nbgraduate==VERSION from the package index instead of the hooks'"
            " repository and revision.",
        ),
    ] = None,
) -> None:
    """Configure eval paths in pyproject.toml, add the pre-commit hooks, write the CI workflow,
    ignore the run store (.nbgraduate/) in .gitignore and (with --owner) add CODEOWNERS lines.
    CI installs nbgraduate from the same repository and revision as the hooks. Running it
    again changes nothing; a workflow you edited is kept unless --force.

    Exit codes: 0 done (warnings say what was left alone), 2 usage or unreadable files.
    """
    from nbgraduate.repo.setup.plan import InitOptions, apply_changes, plan_init

    options = InitOptions(
        root=root,
        eval_paths=tuple(eval_path or ()),
        owner=owner,
        hook_repository=hook_repo,
        hook_rev=hook_rev,
        index_version=index_version,
        force=force,
    )
    try:
        changes = plan_init(options)
        if not dry_run:
            apply_changes(changes)
    except OSError as error:
        raise fail(f"{getattr(error, 'filename', '')}: {error.strerror}") from None

    shown_root = Path.cwd()
    if dry_run:
        for change in changes:
            sys.stdout.write(change.diff(shown_root))
    for change in changes:
        action = change.action if not dry_run or not change.changed else f"would be {change.action}"
        typer.echo(f"{change.shown_path(shown_root)}: {action}: {change.summary}")
        for warning in change.warnings:
            typer.echo(f"warning: {warning}", err=True)
    if dry_run:
        typer.echo("dry run: nothing was written")
    elif any(c.changed and c.path.name == ".pre-commit-config.yaml" for c in changes):
        typer.echo("next: run `pre-commit install` once in each clone to turn the hooks on")
