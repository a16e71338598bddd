"""The ``nbgraduate-verify`` hook: every pipeline a commit touches must match its lock."""

from __future__ import annotations

import os
import shlex
from collections.abc import Sequence
from pathlib import Path

from nbgraduate.repo.hooks.staged import touched_pipelines

__all__ = ["PipelineVerdict", "VerifyReport", "verify_touched"]

#: Drift the hook reports without blocking: the interpreter pre-commit built the hook's
#: environment with is not something a commit changes (CI's ``nbgraduate verify`` checks it).
ENVIRONMENT_DRIFT = frozenset({"python"})


class PipelineVerdict:
    """One touched pipeline: its drift from the lock, or why it could not be verified.

    A plain class, not a dataclass: ``import dataclasses`` (with :mod:`inspect`) would cost the
    hook, on the commits that touch no pipeline, about a seventh of its run.
    """

    __slots__ = ("drift_report", "error", "notes", "pipeline")

    def __init__(
        self,
        pipeline: str,
        drift_report: str = "",
        notes: list[str] | None = None,
        error: str | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.drift_report = drift_report
        self.notes: list[str] = [] if notes is None else notes
        self.error = error

    @property
    def blocks(self) -> bool:
        return bool(self.drift_report) or self.error is not None


class VerifyReport:
    """Every touched pipeline's verdict."""

    __slots__ = ("verdicts",)

    def __init__(self, verdicts: list[PipelineVerdict] | None = None) -> None:
        self.verdicts: list[PipelineVerdict] = [] if verdicts is None else verdicts

    @property
    def blocks(self) -> bool:
        return any(verdict.blocks for verdict in self.verdicts)

    def render(self) -> str:
        """What the hook prints: each blocking pipeline's drift and the command that re-locks."""
        lines: list[str] = []
        for verdict in self.verdicts:
            if verdict.error is not None:
                lines.append(f"{verdict.pipeline}: cannot verify: {verdict.error}")
                lines.append(f"re-lock with: nbgraduate lock {shlex.quote(verdict.pipeline)}")
            elif verdict.drift_report:
                lines.append(verdict.drift_report.rstrip("\n"))
            lines.extend(f"note: {verdict.pipeline}: {note}" for note in verdict.notes)
        blocked = [verdict for verdict in self.verdicts if verdict.blocks]
        if blocked:
            noun = "pipeline" if len(blocked) == 1 else "pipelines"
            lines.append(
                f"nbgraduate-verify: {len(blocked)} {noun} out of date with {_LOCK}; re-lock"
                " (after checking the change is intended) and stage the lock"
            )
        return "\n".join(lines) + "\n" if lines else ""


_LOCK = "nbgraduate.lock"


def verify_touched(files: Sequence[Path], *, root: Path) -> VerifyReport:
    """Verify every pipeline ``files`` touch (see :func:`touched_pipelines`)."""
    report = VerifyReport()
    for pipeline_dir in touched_pipelines(files, root=root):
        report.verdicts.append(_verify_one(pipeline_dir))
    return report


def _verify_one(pipeline_dir: Path) -> PipelineVerdict:
    # Imported here: the lock model (pydantic) is paid for only when a pipeline is touched.
    from nbgraduate.core.errors import NbgraduateError
    from nbgraduate.lock.drift import render_drift
    from nbgraduate.lock.locking import verify_pipeline

    shown = _display(pipeline_dir)
    verdict = PipelineVerdict(shown)
    try:
        _locked, _current, drifts = verify_pipeline(Path(shown))
    except NbgraduateError as error:
        verdict.error = str(error)
        return verdict
    blocking = [drift for drift in drifts if drift.kind not in ENVIRONMENT_DRIFT]
    verdict.notes = [
        f"{drift.message} (the hook's interpreter; not blocking, `nbgraduate verify` in CI checks"
        " it)"
        for drift in drifts
        if drift.kind in ENVIRONMENT_DRIFT
    ]
    if blocking:
        verdict.drift_report = render_drift(blocking, pipeline=shown, output_format="text")
    return verdict


def _display(path: Path) -> str:
    absolute = os.path.abspath(path)
    cwd = os.getcwd()
    try:
        inside = os.path.commonpath([absolute, cwd]) == cwd
    except ValueError:
        inside = False
    return os.path.relpath(absolute, cwd) if inside else absolute
