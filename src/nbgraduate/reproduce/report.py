"""The result of ``nbgraduate reproduce``: both runs, where the inputs came from, the verdict."""

from __future__ import annotations

from dataclasses import dataclass

from nbgraduate.reproduce.compare import Comparison
from nbgraduate.reproduce.restore import RestoredDataset
from nbgraduate.runs.records import RunRecord, RunStatus, ServedModel

__all__ = ["ReproductionReport"]


@dataclass(frozen=True)
class ReproductionReport:
    """Everything ``reproduce`` found; ``exit_code`` is what the command returns."""

    original: RunRecord
    #: How the user named the original and where it was found, when not by its id.
    source: str
    reproduction: RunRecord
    #: ``None`` when the reproduction could not run to a result (infrastructure error).
    comparison: Comparison | None
    restored: tuple[RestoredDataset, ...] = ()
    environment: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    #: Wall time of the whole reproduction: worktree, restore, run and comparison.
    duration_s: float = 0.0

    @property
    def verdict(self) -> str:
        """``identical``, ``within-variation``, ``diverged`` or ``infrastructure-error``."""
        if self.comparison is None:
            return "infrastructure-error"
        return self.comparison.verdict

    @property
    def reproduced(self) -> bool:
        return self.verdict in ("identical", "within-variation")

    @property
    def exit_code(self) -> int:
        """0 reproduced, 1 diverged, 3 the reproduction hit an infrastructure error."""
        if self.comparison is None:
            return 3
        return 0 if self.reproduced else 1

    @property
    def served_changed(self) -> bool:
        """Whether the provider served another model or fingerprint than it did originally."""
        return served_set(self.original.served) != served_set(self.reproduction.served)


def served_set(served: list[ServedModel]) -> set[tuple[str | None, str | None, str | None]]:
    return {(s.requested, s.model, s.system_fingerprint) for s in served}


def infrastructure_failed(record: RunRecord) -> bool:
    return record.status is RunStatus.INFRASTRUCTURE_ERROR
