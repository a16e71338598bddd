"""Step 2: each dataset the run read, put back byte for byte into the worktree.

The bytes come from, in order: the commit itself (a tracked file with the recorded digest),
the run store's snapshot of that digest, or the user's work tree when its copy still has that
digest. A dataset none of them can supply is refused with the reason, because a re-run on
other bytes would produce a number that only looks like a reproduction. A file outside the
repository is only verified, never written; a remote dataset needs the revision that pinned it.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from nbgraduate.lock.digests import file_sha256
from nbgraduate.reproduce.errors import CannotReproduce, ReproduceInfrastructureError
from nbgraduate.runs.objects import ObjectArea, ObjectError
from nbgraduate.runs.records import DatasetSnapshot, RunRecord

__all__ = ["RestoredDataset", "restore_datasets"]

_DIGEST_SHOWN = 12


@dataclass(frozen=True, slots=True)
class RestoredDataset:
    """Where one dataset's bytes came from: ``commit``, ``snapshot``, ``work tree``,
    ``outside the repository`` (verified in place) or ``remote`` (read by its pinned revision)."""

    path: str
    sha256: str | None
    source: str


def restore_datasets(
    record: RunRecord,
    *,
    worktree: Path,
    pipeline_dir: Path,
    user_pipeline_dir: Path | None,
    objects: ObjectArea,
) -> list[RestoredDataset]:
    """Make every dataset of ``record`` available to the pipeline at ``pipeline_dir`` (inside
    ``worktree``) with its recorded bytes; raises :class:`CannotReproduce` naming the first
    one that cannot be had."""
    restored = []
    for dataset in recorded_datasets(record):
        if dataset.remote:
            restored.append(_remote(dataset))
            continue
        if dataset.sha256 is None or dataset.sha256 == "missing":
            continue  # the run found no file there; neither will the reproduction
        restored.append(_local(dataset, worktree, pipeline_dir, user_pipeline_dir, objects))
    return restored


def recorded_datasets(record: RunRecord) -> list[DatasetSnapshot]:
    """The record's datasets; a record older than snapshots knows its local ones by digest."""
    if record.datasets:
        return list(record.datasets)
    return [
        DatasetSnapshot(path=path, sha256=digest, note="recorded before snapshots were kept")
        for path, digest in record.dataset_digests.items()
    ]


def _remote(dataset: DatasetSnapshot) -> RestoredDataset:
    if not dataset.revision:
        raise CannotReproduce(
            f"remote dataset {dataset.path} was not pinned by a revision when the run read it:"
            " what it served then cannot be restored"
        )
    return RestoredDataset(dataset.path, None, f"remote, pinned by {dataset.revision}")


def _local(
    dataset: DatasetSnapshot,
    worktree: Path,
    pipeline_dir: Path,
    user_pipeline_dir: Path | None,
    objects: ObjectArea,
) -> RestoredDataset:
    digest = dataset.sha256
    assert digest is not None
    label = f"dataset {dataset.path} (sha256 {digest[:_DIGEST_SHOWN]}...)"
    target = Path(os.path.normpath(pipeline_dir / dataset.path))
    if not _inside(target, worktree):
        # An absolute path or one leaving the repository: another program's file, verified
        # where it is and never overwritten.
        if _digest_of(target) == digest:
            return RestoredDataset(dataset.path, digest, "outside the repository")
        raise CannotReproduce(
            f"{label} is outside the repository and no longer has the bytes the run read"
            f" ({_now(target)}); nbgraduate does not overwrite files outside the worktree"
        )
    if _digest_of(target) == digest:
        return RestoredDataset(dataset.path, digest, "commit")
    if _has(objects, digest):
        _write_from_snapshot(objects, digest, target)
        return RestoredDataset(dataset.path, digest, "snapshot")
    if user_pipeline_dir is not None:
        candidate = Path(os.path.normpath(user_pipeline_dir / dataset.path))
        if _digest_of(candidate) == digest:
            _copy(candidate, target)
            if _digest_of(target) == digest:  # it could have changed while being copied
                return RestoredDataset(dataset.path, digest, "work tree")
    if dataset.kept:
        why = "its snapshot is no longer in the run store"
    else:
        why = dataset.note or "no snapshot was kept"
    if user_pipeline_dir is None:
        where = "no work tree to look in"
    else:
        candidate = Path(os.path.normpath(user_pipeline_dir / dataset.path))
        where = (
            "the work tree's copy has other bytes"
            if candidate.is_file()
            else "the work tree has no copy"
        )
    raise CannotReproduce(
        f"{label}: {why}, and neither the commit nor the work tree has a copy with those"
        f" bytes ({where})"
    )


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def _digest_of(path: Path) -> str | None:
    try:
        return file_sha256(path) if path.is_file() else None
    except OSError:
        return None


def _now(path: Path) -> str:
    digest = _digest_of(path)
    if digest is None:
        return "no file there now"
    return f"sha256 {digest[:_DIGEST_SHOWN]}... there now"


def _has(objects: ObjectArea, digest: str) -> bool:
    try:
        return objects.has(digest)
    except ValueError:
        return False  # not a sha256 (a hand-edited record): no object can match


def _write_from_snapshot(objects: ObjectArea, digest: str, target: Path) -> None:
    try:
        if target.is_symlink() or target.exists():
            target.unlink()
        objects.restore(digest, target)
    except ObjectError as error:
        raise CannotReproduce(f"snapshot {digest[:_DIGEST_SHOWN]}...: {error.message}") from None
    except OSError as error:
        raise ReproduceInfrastructureError(f"{target}: cannot write: {error}") from None


def _copy(source: Path, target: Path) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink() or target.exists():
            target.unlink()
        shutil.copyfile(source, target)
    except OSError as error:
        raise ReproduceInfrastructureError(f"{target}: cannot write: {error}") from None
