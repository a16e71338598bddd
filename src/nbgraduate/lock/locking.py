"""``nbgraduate lock`` and ``verify``: write the lock, or compare the working tree with it."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from nbgraduate.core.errors import NbgraduateError
from nbgraduate.lock.builder import LockComputation, compute_lock
from nbgraduate.lock.contract import (
    CHANGELOG_FILENAME,
    append_changelog,
    contract_changes,
    next_contract_version,
)
from nbgraduate.lock.drift import Drift, find_drift
from nbgraduate.lock.lockfile import PipelineLock, lock_path, read_lock, write_lock


class FloatingModelRefused(NbgraduateError):
    """``lock`` refuses to record a floating model id unless told it may."""

    def __init__(self, pipeline_dir: Path, model_ids: list[str]) -> None:
        self.pipeline_dir = pipeline_dir
        self.model_ids = model_ids
        listed = ", ".join(model_ids)
        super().__init__(
            f"{pipeline_dir}: refusing to lock floating model id(s) {listed}; pin a snapshot "
            "(see `nbgraduate rule NBG101`) or pass --allow-floating"
        )


@dataclass(slots=True)
class LockOutcome:
    lock: PipelineLock
    previous: PipelineLock | None
    changes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    written: bool = False


def lock_pipeline(pipeline_dir: Path, *, allow_floating: bool = False) -> LockOutcome:
    """(Re)compute and write the lock; bump the contract version when the contract changed."""
    # Any existing entry is read (and a FIFO, device or directory refused), never written over.
    previous = read_lock(pipeline_dir) if os.path.lexists(lock_path(pipeline_dir)) else None
    computation = compute_lock(
        pipeline_dir, contract_version=previous.contract_version if previous else "1.0.0"
    )
    floating = [model.model_id for model in computation.floating_models]
    if floating and not allow_floating:
        raise FloatingModelRefused(pipeline_dir, floating)
    lock = computation.lock.model_copy(
        update={
            "floating_allowed": bool(floating),
            # Where the pipeline came from is history, not something the tree can recompute.
            "graduated_from": previous.graduated_from if previous is not None else None,
        }
    )
    outcome = LockOutcome(lock=lock, previous=previous, problems=list(computation.problems))
    if previous is not None:
        version = next_contract_version(previous, lock)
        lock = lock.model_copy(update={"contract_version": version})
        outcome.lock = lock
        outcome.changes = [change.message for change in contract_changes(previous, lock)]
        if version != previous.contract_version:
            changes = outcome.changes or [
                "environment or notebook text changed (no contract change)"
            ]
            append_changelog(
                pipeline_dir / CHANGELOG_FILENAME,
                version=version,
                date=date.today().isoformat(),
                changes=changes,
            )
        if previous.to_json() == lock.to_json():
            return outcome
    write_lock(pipeline_dir, lock)
    outcome.written = True
    return outcome


def verify_pipeline(pipeline_dir: Path) -> tuple[PipelineLock, LockComputation, list[Drift]]:
    """The committed lock, the working tree's lock, and every difference between them."""
    locked = read_lock(pipeline_dir)
    current = compute_lock(
        pipeline_dir,
        contract_version=locked.contract_version,
        schema_version=locked.schema_version,
    )
    return locked, current, find_drift(locked, current.lock)
