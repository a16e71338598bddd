"""``nbgraduate report``: a static, offline dashboard of every pipeline in the run store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from nbgraduate.core.atomic import write_text_atomic
from nbgraduate.report.html import render_dashboard
from nbgraduate.report.summary import summarise
from nbgraduate.runs.layout import StoreLocation
from nbgraduate.runs.store import open_store

__all__ = ["build_report"]


def build_report(
    store: StoreLocation | Path | str,
    output_dir: Path,
    *,
    warn: Callable[[str], None] | None = None,
) -> Path:
    """Write ``output_dir/index.html`` from every eval run in the store; returns its path.

    A record that cannot be read is left out and passed to ``warn`` (one line each).
    """
    with open_store(store, create=False) as opened:
        records, problems = opened.list_readable()
        decisions = opened.gate_decisions()
        shown = opened.display
    for problem in problems:
        if warn is not None:
            warn(f"{shown}: skipped: {problem}")
    output_dir.mkdir(parents=True, exist_ok=True)
    page = output_dir / "index.html"
    write_text_atomic(page, render_dashboard(summarise(records, decisions)))
    return page
