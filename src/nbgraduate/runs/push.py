"""``nbgraduate runs push``: copy runs, with their files, from one store into another.

A CI job records into the embedded SQLite store and publishes its run to the team's shared
PostgreSQL store; pushing is idempotent (a run already there, identical, is left as it is), so
a retried job or two jobs pushing the same run never duplicate it. A run stored there with
different content is refused, never replaced: records are provenance.
"""

from __future__ import annotations

from dataclasses import dataclass

from nbgraduate.runs.records import RunRecord
from nbgraduate.runs.store import DuplicateRunError, RunStore, StoreError

__all__ = ["PushResult", "push_runs"]


@dataclass(frozen=True)
class PushResult:
    """What happened to one run: ``copied`` (with ``files`` files) or ``already there``."""

    run_id: str
    outcome: str
    files: int


def push_runs(source: RunStore, destination: RunStore, runs: list[str]) -> list[PushResult]:
    """Copy each run (an id or a unique prefix) from ``source`` to ``destination``.

    Files are copied first and the record last, in one transaction with the files' rows, so a
    push cut short leaves nothing half-recorded and the next push completes it.
    """
    results = []
    for spec in runs:
        record = source.get(spec)
        if destination.has(record.run_id):
            results.append(_already_there(source, destination, record))
            continue
        refs = source.artifacts(record.run_id)
        files = {ref.name: source.read_artifact(record.run_id, ref.name) for ref in refs}
        try:
            destination.add(record, artifacts=files)
        except DuplicateRunError:
            # Another job pushed it between our check and our insert.
            results.append(_already_there(source, destination, record))
            continue
        results.append(PushResult(record.run_id, "copied", len(files)))
    return results


def _already_there(source: RunStore, destination: RunStore, record: RunRecord) -> PushResult:
    stored = destination.get(record.run_id)
    if stored != record:
        raise StoreError(
            destination.display,
            f"run {record.run_id} is already stored there with different content; it is not"
            " replaced (records are provenance)",
        )
    theirs = {(ref.name, ref.sha256) for ref in destination.artifacts(record.run_id)}
    ours = {(ref.name, ref.sha256) for ref in source.artifacts(record.run_id)}
    if not ours <= theirs:
        missing = ", ".join(sorted(name for name, _ in ours - theirs))
        raise StoreError(
            destination.display,
            f"run {record.run_id} is stored there without the same files ({missing})",
        )
    return PushResult(record.run_id, "already there", len(theirs))
