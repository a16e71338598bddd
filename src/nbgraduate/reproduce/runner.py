"""``reproduce``: the five steps, in order, around one temporary worktree."""

from __future__ import annotations

import os
import time
from pathlib import Path, PurePosixPath

from nbgraduate.gate.errors import GateInputError
from nbgraduate.gate.runs import resolve_run
from nbgraduate.lock import LOCK_FILENAME
from nbgraduate.reproduce.compare import Comparison, compare_runs
from nbgraduate.reproduce.environment import reproduction_environment
from nbgraduate.reproduce.errors import CannotReproduce
from nbgraduate.reproduce.options import ReproduceOptions
from nbgraduate.reproduce.report import ReproductionReport, infrastructure_failed
from nbgraduate.reproduce.restore import restore_datasets
from nbgraduate.reproduce.worktree import git_toplevel, temporary_worktree
from nbgraduate.runs.layout import StoreLocation
from nbgraduate.runs.objects import objects_for
from nbgraduate.runs.records import Reproduction, RunRecord, RunStatus
from nbgraduate.runs.run import RunOptions, run_pipeline
from nbgraduate.runs.store import default_store_root
from nbgraduate.runs.warm_kernel import start_warm_kernel

__all__ = ["reproduce"]

_COMMIT_SHOWN = 12


def reproduce(options: ReproduceOptions) -> ReproductionReport:
    """Re-run ``options.run`` from its commit and compare; the new run is recorded, linked.

    Raises :class:`CannotReproduce` (exit 4) when the run cannot be reproduced as recorded,
    and :class:`~nbgraduate.core.errors.UsageError` or ``GateInputError`` (exit 2) for a bad
    option or a run that cannot be found.
    """
    options.validate()
    started = time.monotonic()
    store_root = (options.store_root or default_store_root(Path.cwd())).resolve()
    location = StoreLocation(root=store_root)
    project = store_root.parent
    resolved = resolve_run(
        options.run,
        store=location,
        pipeline=options.pipeline,
        repo_dir=options.repo_dir or Path.cwd(),
        files=True,
        exclude_reproductions=True,
    )
    original = resolved.record
    notes = _refuse_unreproducible(original, options)
    assert original.git_commit is not None
    toplevel, _ = git_toplevel(options.repo_dir or project)
    user_pipeline_dir = _pipeline_path(original, project)
    try:
        in_repository = user_pipeline_dir.relative_to(toplevel)
    except ValueError:
        raise CannotReproduce(
            f"pipeline {original.pipeline} is not inside the git repository at {toplevel}"
        ) from None
    with temporary_worktree(toplevel, original.git_commit) as worktree:
        pipeline_dir = worktree / in_repository
        if not (pipeline_dir / LOCK_FILENAME).is_file():
            raise CannotReproduce(
                f"commit {original.git_commit[:_COMMIT_SHOWN]} has no pipeline"
                f" {in_repository.as_posix()} (no {LOCK_FILENAME} there)"
            )
        environment = reproduction_environment(original, store_root)
        # The first repeat's kernel boots while the datasets are restored and the lock is
        # verified, as in ``nbgraduate run`` (a pinned environment has a kernel of its own).
        warm = (
            start_warm_kernel(pipeline_dir, location)
            if options.workers == 1 and environment.pinned is None
            else None
        )
        try:
            restored = restore_datasets(
                original,
                worktree=worktree,
                pipeline_dir=pipeline_dir,
                user_pipeline_dir=user_pipeline_dir,
                objects=objects_for(store_root),
            )
        except BaseException:
            if warm is not None:
                warm.shutdown(remove_output=True)
            raise
        comparisons: list[Comparison] = []

        def judged(record: RunRecord) -> RunRecord:
            # Runs before the record is stored, so the stored reproduction carries its verdict.
            if infrastructure_failed(record):
                verdict = Reproduction(
                    of=original.run_id,
                    verdict="infrastructure-error",
                    detail=record.status_detail,
                )
                return record.model_copy(update={"reproduction": verdict})
            comparison = compare_runs(
                original, record, margin=options.margin, confidence=options.confidence
            )
            comparisons.append(comparison)
            verdict = Reproduction(
                of=original.run_id,
                verdict=comparison.verdict,
                margin=options.margin,
                confidence=options.confidence,
                changed_examples=comparison.changed_examples,
                detail="; ".join(comparison.reasons) or None,
            )
            return record.model_copy(update={"reproduction": verdict})

        reproduction = run_pipeline(
            RunOptions(
                pipeline_dir=pipeline_dir,
                parameters=dict(original.parameters),
                repeats=options.repeats or max(len(original.repeats), 1),
                workers=options.workers,
                timeout=options.timeout,
                # What ran is what the record says ran: an original made with drift from its
                # lock is reproduced with the same drift, and the new record says so too.
                allow_drift=True,
                store=location,
                pipeline_name=original.pipeline,
                use_env=environment.pinned is not None,
            ),
            warm,
            before_recording=judged,
        )
    return ReproductionReport(
        original=original,
        source="" if resolved.spec == original.run_id else f"{resolved.spec!r}: {resolved.source}",
        reproduction=reproduction,
        comparison=comparisons[0] if comparisons else None,
        restored=tuple(restored),
        environment=tuple(environment.differences),
        notes=(*notes, *environment.notes),
        duration_s=time.monotonic() - started,
    )


def _refuse_unreproducible(original: RunRecord, options: ReproduceOptions) -> list[str]:
    """Refuse what cannot be reproduced as recorded; the notes of what is allowed anyway."""
    notes = []
    if original.kind != "eval":
        raise GateInputError(
            f"run {original.run_id} is a {original.kind} run; reproduce re-runs eval runs"
        )
    if original.status is RunStatus.INFRASTRUCTURE_ERROR:
        raise CannotReproduce(
            f"run {original.run_id} ended with an infrastructure error"
            f" ({original.status_detail or 'no detail'}): it has no result to reproduce"
        )
    if not original.git_commit:
        raise CannotReproduce(
            f"run {original.run_id} was not made in a git repository: it names no commit to re-run"
        )
    if original.git_dirty:
        if not options.allow_dirty:
            raise CannotReproduce(
                f"run {original.run_id} was made from a work tree with uncommitted changes"
                f" at commit {original.git_commit[:_COMMIT_SHOWN]}: what ran is not in the"
                " commit; pass --allow-dirty to re-run the commit anyway"
            )
        notes.append(
            f"the original ran with uncommitted changes on top of commit"
            f" {original.git_commit[:_COMMIT_SHOWN]}; the reproduction runs the commit"
            " (--allow-dirty)"
        )
    if not original.reproducible:
        notes.append(
            "the original ran with drift from its lock; the reproduction runs the same way"
        )
    return notes


def _pipeline_path(original: RunRecord, project: Path) -> Path:
    name = PurePosixPath(original.pipeline)
    if ".." in name.parts and not name.is_absolute():
        raise CannotReproduce(f"pipeline name {original.pipeline!r} leaves the project")
    return Path(os.path.normpath(project / Path(*name.parts)))
