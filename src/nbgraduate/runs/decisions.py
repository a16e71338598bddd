"""Gate decisions as the run store keeps them, so the dashboard can draw verdicts over time.

``nbgraduate gate`` stores one :class:`GateDecision` per decision in the store the runs came
from: which runs it compared, the verdict of each metric with its bounds, and the CI run that
asked. The model lives here, below the gate, because the store and the dashboard read it too.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from nbgraduate.runs.records import CiRun

__all__ = ["DECISION_SCHEMA_VERSION", "GateDecision", "MetricDecision", "new_decision_id"]

DECISION_SCHEMA_VERSION = 1

Verdict = Literal["PASS", "FAIL", "INCONCLUSIVE"]


class MetricDecision(BaseModel):
    """One metric's verdict: the paired difference (candidate - baseline) and its bounds."""

    model_config = ConfigDict(extra="forbid")

    name: str
    verdict: Verdict
    difference: float | None = None
    lower: float | None = None
    upper: float | None = None
    n: int = 0


class GateDecision(BaseModel):
    """One ``nbgraduate gate`` decision."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = DECISION_SCHEMA_VERSION
    decision_id: str
    pipeline: str
    decided_at: datetime
    baseline_run: str
    candidate_run: str
    baseline_commit: str | None = None
    candidate_commit: str | None = None
    verdict: Verdict
    margin: float
    confidence: float
    metrics: list[MetricDecision] = Field(default_factory=list)
    #: The CI run that made the decision (GitHub Actions), when there was one.
    ci: CiRun | None = None


def new_decision_id() -> str:
    """Sortable by time, unique across machines: ``gate-20261126T031500Z-3f1c2a``."""
    return f"gate-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"
