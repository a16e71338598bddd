"""What the user asked the gate to do: the runs, metrics, margin, confidence and method."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from nbgraduate.gate.errors import GateInputError

__all__ = [
    "DEFAULT_RESAMPLES",
    "GateOptions",
    "Inconclusive",
    "Method",
    "Statistic",
]

Method = Literal["auto", "t", "bootstrap", "mcnemar"]
Statistic = Literal["mean", "median"]
Inconclusive = Literal["fail", "pass"]

DEFAULT_RESAMPLES = 10_000
_METHODS = ("auto", "t", "bootstrap", "mcnemar")
_STATISTICS = ("mean", "median")
# Fewer resamples than this make the BCa tails (and the smallest reachable p-value) too coarse
# for a 95-99% bound to mean anything.
_MIN_RESAMPLES = 200


@dataclass(frozen=True)
class GateOptions:
    """Options of one gate decision; :meth:`validate` checks them (``run_gate`` calls it).

    ``baseline`` and ``candidate`` are RUN specs: a run id or unique prefix, ``latest``,
    ``latest@<git-ref>``, or the path of a record file from ``nbgraduate runs export``.
    ``margin`` is in the metric's own units: the candidate may be this much worse. ``metrics``
    empty means every per-example metric both runs recorded.
    """

    baseline: str
    candidate: str
    margin: float
    confidence: float
    metrics: tuple[str, ...] = ()
    method: Method = "auto"
    statistic: Statistic = "mean"
    lower_is_better: tuple[str, ...] = ()
    id_tolerance: float = 0.0
    allow_contract_change: bool = False
    inconclusive: Inconclusive = "fail"
    pipeline: str | None = None
    #: The run store: a directory, a ``postgresql://`` URL, or ``None`` for the configured one
    #: (``NBGRADUATE_STORE``, ``[tool.nbgraduate] store``, else ``<project>/.nbgraduate``).
    store: str | Path | None = None
    #: Where ``latest@<git-ref>`` is resolved with ``git rev-parse`` (default: the current
    #: directory).
    repo_dir: Path | None = None
    n_resamples: int = DEFAULT_RESAMPLES
    seed: int = 0

    @property
    def alpha(self) -> float:
        """The error rate each one-sided test allows: ``1 - confidence``."""
        return 1.0 - self.confidence

    def validate(self) -> None:
        """Raise :class:`GateInputError` (one line) for any option out of range."""
        if not self.baseline.strip() or not self.candidate.strip():
            raise GateInputError("--baseline and --candidate must name a run")
        if not math.isfinite(self.margin) or self.margin < 0:
            raise GateInputError(f"--margin must be zero or more, got {self.margin:g}")
        if not (math.isfinite(self.confidence) and 0.5 < self.confidence < 1):
            raise GateInputError(
                f"--confidence must be between 0.5 and 1 (e.g. 0.95), got {self.confidence:g}"
            )
        if not (math.isfinite(self.id_tolerance) and 0 <= self.id_tolerance < 1):
            raise GateInputError(
                "--id-tolerance is the fraction of example ids allowed to be unpaired, from 0"
                f" up to (not including) 1; got {self.id_tolerance:g}"
            )
        if self.method not in _METHODS:
            raise GateInputError(f"unknown --method {self.method!r}: use {', '.join(_METHODS)}")
        if self.statistic not in _STATISTICS:
            raise GateInputError(f"unknown --statistic {self.statistic!r}: use mean or median")
        if self.inconclusive not in ("fail", "pass"):
            raise GateInputError(f"--inconclusive must be fail or pass, got {self.inconclusive!r}")
        if self.n_resamples < _MIN_RESAMPLES:
            raise GateInputError(
                f"--resamples must be at least {_MIN_RESAMPLES}, got {self.n_resamples}"
            )
        if self.statistic == "median" and self.method in ("t", "mcnemar"):
            raise GateInputError(
                f"--method {self.method} tests the mean; use --method bootstrap (or auto) for"
                " --statistic median"
            )
        duplicated = sorted({name for name in self.metrics if self.metrics.count(name) > 1})
        if duplicated:
            raise GateInputError(f"--metric given more than once: {', '.join(duplicated)}")
