"""``nbgraduate gc``: find (and, when asked, remove) snapshots that no run record references.

An object is referenced while any record in the store lists it as a kept dataset snapshot.
Nothing is removed when a record cannot be read (what it references is unknown then), and
objects put in the last ``grace_s`` seconds are spared: they may belong to a run that is
still executing and has not written its record yet (``put`` refreshes an object's time).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from nbgraduate.runs.objects import ObjectArea, ObjectInfo
from nbgraduate.runs.records import RunRecord

__all__ = ["DEFAULT_GRACE_S", "GcPlan", "plan_gc", "referenced_objects", "remove_unreferenced"]

#: A run records its snapshots when it ends; an hour covers most runs in progress.
DEFAULT_GRACE_S = 3600.0


@dataclass(slots=True)
class GcPlan:
    """What ``gc`` found: objects to remove, and what it keeps."""

    unreferenced: list[ObjectInfo] = field(default_factory=list)
    #: Unreferenced, but put within the grace period.
    recent: list[ObjectInfo] = field(default_factory=list)
    referenced: list[ObjectInfo] = field(default_factory=list)
    #: How many records reference at least one object.
    referencing_runs: int = 0

    @property
    def reclaimable_bytes(self) -> int:
        return sum(info.size for info in self.unreferenced)

    @property
    def referenced_bytes(self) -> int:
        return sum(info.size for info in self.referenced)


def referenced_objects(records: list[RunRecord]) -> tuple[set[str], int]:
    """The digests of every kept snapshot, and how many records keep one."""
    digests: set[str] = set()
    runs = 0
    for record in records:
        kept = {d.sha256 for d in record.datasets if d.kept and d.sha256}
        digests |= kept
        runs += bool(kept)
    return digests, runs


def plan_gc(
    records: list[RunRecord],
    objects: ObjectArea,
    *,
    grace_s: float = DEFAULT_GRACE_S,
    now: float | None = None,
    also_referenced: set[str] | frozenset[str] = frozenset(),
) -> GcPlan:
    """Sort every stored object into referenced, recent and removable.

    ``also_referenced`` are digests the store references outside the records (the files of
    runs kept in the object area: executed notebooks, logs), which are never removed.
    """
    now = time.time() if now is None else now
    digests, runs = referenced_objects(records)
    digests = digests | set(also_referenced)
    plan = GcPlan(referencing_runs=runs)
    for info in objects.objects():
        if info.sha256 in digests:
            plan.referenced.append(info)
        elif now - info.touched_at < grace_s:
            plan.recent.append(info)
        else:
            plan.unreferenced.append(info)
    return plan


def remove_unreferenced(plan: GcPlan, objects: ObjectArea) -> tuple[int, int]:
    """Remove the plan's unreferenced objects; returns how many and the bytes freed.

    An object put again since the plan was made (a run reusing it) is left in place.
    """
    removed = freed = 0
    for info in plan.unreferenced:
        if objects.remove(info.sha256, touched_before=info.touched_at + 1e-6):
            removed += 1
            freed += info.size
    return removed, freed
