"""The run record: full provenance of one ``nbgraduate run``, shared by runner, store and gate."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

RECORD_SCHEMA_VERSION = 1


class RunStatus(str, Enum):
    """How a run ended. Infrastructure errors are kept apart from eval failures so that a dead
    kernel is never read as a regression, and a regression never hides as flakiness."""

    PASSED = "passed"
    EVAL_FAILED = "eval-failed"
    INFRASTRUCTURE_ERROR = "infrastructure-error"


class MetricSeries(BaseModel):
    """Values a notebook recorded with ``nbgraduate.record`` in one repeat.

    ``ids`` pair examples across runs (the gate needs them); ``clusters`` group examples that
    are not independent (several questions from one document). A scalar metric has one value
    and no ids.
    """

    model_config = ConfigDict(extra="forbid")

    name: str
    repeat: int = 0
    values: list[float]
    ids: list[str] | None = None
    clusters: list[str] | None = None


class RepeatResult(BaseModel):
    """One execution of the pipeline notebook (a run has ``--repeats`` of them)."""

    model_config = ConfigDict(extra="forbid")

    repeat: int
    seed: int | None
    status: RunStatus
    detail: str | None = None
    started_at: datetime
    ended_at: datetime
    duration_s: float
    executed_notebook: str | None = None


class ModelUse(BaseModel):
    """A model id as the lock pins it, with its role."""

    model_config = ConfigDict(extra="forbid")

    model_id: str
    role: Literal["judge", "candidate"]
    provider: str | None = None
    pinned: bool


class RunRecord(BaseModel):
    """Everything needed to trust, compare or reproduce one run."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = RECORD_SCHEMA_VERSION
    run_id: str
    kind: Literal["eval", "calibration"] = "eval"
    pipeline: str
    git_commit: str | None = None
    git_dirty: bool | None = None
    lock_digest: str | None = None
    contract_version: str | None = None
    reproducible: bool = True
    parameters: dict[str, Any] = Field(default_factory=dict)
    models: list[ModelUse] = Field(default_factory=list)
    dataset_digests: dict[str, str] = Field(default_factory=dict)
    prompt_digests: dict[str, str] = Field(default_factory=dict)
    seeds: list[int] = Field(default_factory=list)
    temperature: float | None = None
    python_version: str
    platform: str
    packages: dict[str, str] = Field(default_factory=dict)
    started_at: datetime
    ended_at: datetime
    duration_s: float
    status: RunStatus
    status_detail: str | None = None
    repeats: list[RepeatResult] = Field(default_factory=list)
    metrics: list[MetricSeries] = Field(default_factory=list)
    usage: dict[str, float] = Field(default_factory=dict)
