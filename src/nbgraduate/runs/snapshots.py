"""Dataset snapshots: keep the exact bytes of every local dataset a run reads.

A dataset that git does not track (ignored, as data in a bucket mount or a shared folder often
is) is edited in place, and the run record's digest then only proves that the old bytes are
gone. So ``nbgraduate run`` copies each local dataset into the run store's object area
(:mod:`nbgraduate.runs.objects`) before the notebook executes, once per distinct content, and
the record lists what was kept. Files above a size limit (``snapshot-max-mb`` in
``[tool.nbgraduate]``, default 100; 0 keeps none) and runs with ``--no-snapshot`` are recorded
as not kept, with the reason. Remote datasets are never copied: a pinned one is recorded with
its revision, an unpinned one as "cannot be restored".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from nbgraduate.core.errors import ConfigError
from nbgraduate.runs.objects import ObjectArea, ObjectError
from nbgraduate.runs.records import DatasetSnapshot

__all__ = [
    "DEFAULT_SNAPSHOT_LIMIT_MB",
    "SNAPSHOT_LIMIT_KEY",
    "RunDataset",
    "SnapshotPolicy",
    "snapshot_datasets",
    "snapshot_policy",
]

DEFAULT_SNAPSHOT_LIMIT_MB = 100
SNAPSHOT_LIMIT_KEY = "snapshot-max-mb"
_MB = 1_000_000


@dataclass(frozen=True, slots=True)
class SnapshotPolicy:
    """Whether to keep snapshots, and the largest file kept (bytes)."""

    enabled: bool = True
    max_bytes: int = DEFAULT_SNAPSHOT_LIMIT_MB * _MB
    #: How the limit was set, for the note of a file over it.
    limit_text: str = f"{DEFAULT_SNAPSHOT_LIMIT_MB} MB"


@dataclass(frozen=True, slots=True)
class RunDataset:
    """A dataset as the run reads it: ``path`` as the record names it, ``file`` where it is
    on disk (``None`` for remote data), the digest the lock verification just computed."""

    path: str
    file: Path | None
    sha256: str | None
    remote: bool = False
    #: For remote data: what pins it (see :func:`nbgraduate.lock.builder.remote_pin`).
    pin: str | None = None


def snapshot_policy(pipeline_dir: Path, *, enabled: bool = True) -> SnapshotPolicy:
    """The policy ``[tool.nbgraduate] snapshot-max-mb`` sets for ``pipeline_dir``."""
    from nbgraduate.lint.config import find_config, nbgraduate_table

    if not enabled:
        return SnapshotPolicy(enabled=False)
    config = find_config(pipeline_dir)
    table = nbgraduate_table(config) if config is not None else None
    if config is None or not table or SNAPSHOT_LIMIT_KEY not in table:
        return SnapshotPolicy()
    value = table[SNAPSHOT_LIMIT_KEY]
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < 0
    ):
        raise ConfigError(
            config,
            f"[tool.nbgraduate] {SNAPSHOT_LIMIT_KEY} must be a number of megabytes, 0 or more"
            f" (0 keeps no snapshot), got {value!r}",
        )
    if value == 0:
        return SnapshotPolicy(enabled=False, max_bytes=0, limit_text="0 MB")
    return SnapshotPolicy(max_bytes=int(value * _MB), limit_text=f"{value:g} MB")


def snapshot_datasets(
    datasets: list[RunDataset], objects: ObjectArea, policy: SnapshotPolicy
) -> list[DatasetSnapshot]:
    """Keep each local dataset's bytes (once per content) and say what was kept and why not.

    Never fails the run: a copy that cannot be made is recorded as not kept, with the reason,
    because a run must not be lost to a full disk in the store.
    """
    snapshots: list[DatasetSnapshot] = []
    for dataset in datasets:
        if dataset.remote:
            snapshots.append(
                DatasetSnapshot(
                    path=dataset.path,
                    remote=True,
                    revision=dataset.pin,
                    note=None
                    if dataset.pin
                    else "remote and not pinned by a revision: cannot be restored",
                )
            )
            continue
        snapshots.append(_keep(dataset, objects, policy))
    return snapshots


def _keep(dataset: RunDataset, objects: ObjectArea, policy: SnapshotPolicy) -> DatasetSnapshot:
    file = dataset.file
    if file is None or dataset.sha256 is None or not file.is_file():
        return DatasetSnapshot(path=dataset.path, note="missing when the run started")
    size = file.stat().st_size
    base = DatasetSnapshot(path=dataset.path, sha256=dataset.sha256, size=size)
    if not policy.enabled:
        reason = "snapshots are off (--no-snapshot)" if policy.max_bytes else "snapshot limit 0 MB"
        return base.model_copy(update={"note": reason})
    if size > policy.max_bytes:
        return base.model_copy(
            update={
                "note": f"not kept: {_size(size)} is over the snapshot limit of"
                f" {policy.limit_text} ({SNAPSHOT_LIMIT_KEY})"
            }
        )
    try:
        objects.put(file, sha256=dataset.sha256)
    except ObjectError as error:
        return base.model_copy(update={"note": f"not kept: {error.message}"})
    return base.model_copy(update={"kept": True})


def _size(size: int) -> str:
    return f"{size / _MB:.1f} MB"
