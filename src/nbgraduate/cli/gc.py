"""``nbgraduate gc``: list, and with ``--delete`` remove, snapshots no run record references."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Annotated

import typer

from nbgraduate.cli.exits import error_boundary
from nbgraduate.cli.store_option import StoreOption, store_location

if TYPE_CHECKING:
    from nbgraduate.runs.gc import GcPlan
    from nbgraduate.runs.objects import ObjectArea

__all__ = ["register"]

_SHOWN = 20


def register(app: typer.Typer) -> None:
    """Add ``gc`` to the ``nbgraduate`` command line."""
    app.command("gc")(error_boundary(gc))


def gc(
    delete: Annotated[
        bool,
        typer.Option(
            "--delete", help="Remove the unreferenced snapshots (default: only list them)."
        ),
    ] = False,
    grace: Annotated[
        float,
        typer.Option(
            "--grace",
            metavar="SECONDS",
            min=0,
            help="Spare snapshots kept more recently than this: a run still in progress has"
            " not recorded them yet.",
        ),
    ] = 3600.0,
    store: StoreOption = None,
) -> None:
    """Find dataset snapshots that no recorded run references; a dry run unless --delete.

    Exit codes: 0 done (also when there was nothing to remove), 2 the store cannot be read
    (nothing is removed when any record is unreadable).
    """
    from nbgraduate.runs.gc import plan_gc
    from nbgraduate.runs.store import open_store

    with open_store(store_location(store), create=False) as run_store:
        records = run_store.list()
        objects = run_store.objects
        # The files of runs kept in the object area are referenced too.
        in_use = run_store.artifact_digests()
        plan = plan_gc(records, objects, grace_s=grace, also_referenced=in_use)
        _report_and_remove(plan, objects, grace=grace, delete=delete)


def _report_and_remove(plan: GcPlan, objects: ObjectArea, *, grace: float, delete: bool) -> None:
    from nbgraduate.runs.gc import remove_unreferenced

    typer.echo(
        f"{len(plan.referenced)} snapshot{_s(len(plan.referenced))}"
        f" ({_bytes(plan.referenced_bytes)}) referenced by {plan.referencing_runs}"
        f" run{_s(plan.referencing_runs)}"
    )
    if plan.recent:
        typer.echo(
            f"{len(plan.recent)} unreferenced snapshot{_s(len(plan.recent))} kept within the"
            f" last {grace:g} s spared (a run in progress may need them)"
        )
    if not plan.unreferenced:
        typer.echo("nothing to remove")
        return
    for info in plan.unreferenced[:_SHOWN]:
        touched = datetime.fromtimestamp(info.touched_at, timezone.utc)
        typer.echo(
            f"  {info.sha256[:16]}  {_bytes(info.size):>10}  last kept {touched:%Y-%m-%d %H:%M} UTC"
        )
    if len(plan.unreferenced) > _SHOWN:
        typer.echo(f"  ... and {len(plan.unreferenced) - _SHOWN} more")
    count = len(plan.unreferenced)
    if not delete:
        typer.echo(
            f"would remove {count} unreferenced snapshot{_s(count)}"
            f" ({_bytes(plan.reclaimable_bytes)}); run `nbgraduate gc --delete` to remove them"
        )
        return
    removed, freed = remove_unreferenced(plan, objects)
    typer.echo(f"removed {removed} unreferenced snapshot{_s(removed)} ({_bytes(freed)})")
    if removed < count:
        typer.echo(f"kept {count - removed} that a run reused meanwhile")


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def _bytes(size: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"
