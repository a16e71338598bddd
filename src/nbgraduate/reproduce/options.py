"""What the user asked ``reproduce`` to do: the run, the comparison's margin and confidence."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from nbgraduate.core.errors import UsageError

__all__ = ["DEFAULT_CONFIDENCE", "DEFAULT_MARGIN", "ReproduceOptions"]

#: In the metric's own units, like the gate's margin: 0.05 is five points of accuracy. A
#: reproduction of a stochastic pipeline is "within variation" when the paired equivalence
#: test puts the difference inside +-margin.
DEFAULT_MARGIN = 0.05
DEFAULT_CONFIDENCE = 0.95


@dataclass(frozen=True)
class ReproduceOptions:
    """``run`` is a RUN spec as the gate takes it: a run id or unique prefix, ``latest``,
    ``latest@<git-ref>``, or a record file from ``nbgraduate runs export``.

    ``repeats`` ``None`` runs as many repeats as the original did.
    """

    run: str
    repeats: int | None = None
    margin: float = DEFAULT_MARGIN
    confidence: float = DEFAULT_CONFIDENCE
    allow_dirty: bool = False
    pipeline: str | None = None
    store_root: Path | None = None
    #: Where the run's git repository is (default: the project the store belongs to).
    repo_dir: Path | None = None
    workers: int = 1
    timeout: float | None = None

    def validate(self) -> None:
        """Raise :class:`UsageError` (one line) for an option out of range."""
        if not self.run.strip():
            raise UsageError("name the run to reproduce")
        if self.repeats is not None and self.repeats < 1:
            raise UsageError(f"--repeats must be at least 1, got {self.repeats}")
        if not math.isfinite(self.margin) or self.margin < 0:
            raise UsageError(f"--margin must be zero or more, got {self.margin:g}")
        if not (math.isfinite(self.confidence) and 0.5 < self.confidence < 1):
            raise UsageError(
                f"--confidence must be between 0.5 and 1 (e.g. 0.95), got {self.confidence:g}"
            )
        if self.workers < 1:
            raise UsageError(f"--workers must be at least 1, got {self.workers}")
