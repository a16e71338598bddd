"""The run record: full provenance of one ``nbgraduate run``, shared by runner, store and gate."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import from_json

from nbgraduate.knowledge import secrets

#: The record format's version. Every new field bumps it and adds a step to
#: :data:`_MIGRATIONS`, so records of every older version still read (migrated on read):
#:
#: 2. ``datasets``: each dataset the run read, and whether the store kept a snapshot of it.
#: 3. ``environment_drift`` and ``environment_unchecked``: how the kernel's environment compared
#:    with the locked requirements (older records: not checked, so empty).
#: 4. ``overrides`` (parameters that differ from the lock's defaults), ``served`` (the models
#:    and fingerprints a provider said it served), ``ci`` (the CI run that made the run) and
#:    ``reproduction`` (set on a run made by ``nbgraduate reproduce``: of which run, verdict).
#: 5. ``cluster``, ``shards`` and ``tasks`` (where each task of a distributed or sharded run ran
#:    and in how many attempts), and a metric series' ``shard`` (older records: one local
#:    task per repeat, so none of them).
RECORD_SCHEMA_VERSION = 5


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
    #: The shard that recorded a scalar metric of a sharded run (schema 5): scalars are kept
    #: per shard, never averaged across shards behind the reader's back. Per-example series of
    #: all shards merge into one series per repeat, with ``shard`` unset.
    shard: int | None = None


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


class TaskResult(BaseModel):
    """One task of a distributed or sharded run: repeat ``repeat``'s shard ``shard`` (schema 5).

    ``worker`` names where it ran (a Dask worker's name or address, ``local`` for the local
    process pool); ``attempts`` counts how often it was started: more than one when a worker
    was lost mid-task and Dask ran it again elsewhere.
    """

    model_config = ConfigDict(extra="forbid")

    repeat: int
    shard: int = 0
    status: RunStatus
    detail: str | None = None
    worker: str | None = None
    attempts: int = 1
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


class DatasetSnapshot(BaseModel):
    """A dataset the run read, and whether its exact bytes can be had back.

    A local file is *kept* when the run store's object area holds a byte-identical copy under
    its sha256 (``nbgraduate reproduce`` restores it from there after an edit in place);
    ``note`` says why one was not kept. A remote dataset is never copied: it is restorable when
    a revision pins it (a commit, a dataset revision, an object version id, or a URL that
    embeds one), and ``note`` says "cannot be restored" when nothing does.
    """

    model_config = ConfigDict(extra="forbid")

    #: As the lock writes it: relative to the pipeline directory, or a URI for remote data.
    path: str
    sha256: str | None = None
    size: int | None = None
    remote: bool = False
    kept: bool = False
    revision: str | None = None
    note: str | None = None


class ServedModel(BaseModel):
    """What a model provider said it served (``nbgraduate.record_served``): a pinned id is
    not a frozen model, and the fingerprint is how a backend change shows."""

    model_config = ConfigDict(extra="forbid")

    model: str | None = None
    system_fingerprint: str | None = None
    #: The model id the notebook asked for, when it said.
    requested: str | None = None


class CiRun(BaseModel):
    """The CI workflow run that made this run (GitHub Actions' ``GITHUB_*`` variables)."""

    model_config = ConfigDict(extra="forbid")

    # Shapes, so a link built from them is an http(s) link to a workflow run on every page and
    # comment it appears in (a hand-edited record cannot make it ``javascript:`` or break out of
    # a Markdown link).
    server_url: str = Field(pattern=r"^https?://[A-Za-z0-9.:\[\]-]+(?:/[A-Za-z0-9._~/-]*)?$")
    repository: str = Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
    run_id: str = Field(pattern=r"^[0-9]+$")
    run_attempt: str | None = Field(default=None, pattern=r"^[0-9]+$")

    @property
    def url(self) -> str:
        """The workflow run's page (the attempt's, when the attempt is known)."""
        base = (
            f"{self.server_url.rstrip('/')}/{self.repository.strip('/')}/actions/runs/{self.run_id}"
        )
        return f"{base}/attempts/{self.run_attempt}" if self.run_attempt else base

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> CiRun | None:
        """The run GitHub Actions describes in ``environ``; ``None`` outside it."""
        server = environ.get("GITHUB_SERVER_URL", "").strip()
        repository = environ.get("GITHUB_REPOSITORY", "").strip()
        run_id = environ.get("GITHUB_RUN_ID", "").strip()
        if not (server and repository and run_id):
            return None
        attempt = environ.get("GITHUB_RUN_ATTEMPT", "").strip() or None
        try:
            return cls(server_url=server, repository=repository, run_id=run_id, run_attempt=attempt)
        except ValueError:
            return None  # not GitHub's shape: no link rather than a wrong one


class Reproduction(BaseModel):
    """On a run made by ``nbgraduate reproduce``: which run it reproduces, and the verdict."""

    model_config = ConfigDict(extra="forbid")

    of: str
    verdict: Literal["identical", "within-variation", "diverged", "infrastructure-error"]
    margin: float | None = None
    confidence: float | None = None
    #: Examples whose value (mean over repeats) differs from the original's.
    changed_examples: int = 0
    detail: str | None = None


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
    #: Locked requirements the kernel's environment lacked or had at another version (schema 3).
    environment_drift: list[str] = Field(default_factory=list)
    #: Locked names found only as modules without distribution metadata, not checked (schema 3).
    environment_unchecked: list[str] = Field(default_factory=list)
    parameters: dict[str, Any] = Field(default_factory=dict)
    #: The parameters whose value differs from the lock's default (schema 4; ``None``:
    #: recorded before overrides were, so unknown).
    overrides: dict[str, Any] | None = None
    models: list[ModelUse] = Field(default_factory=list)
    dataset_digests: dict[str, str] = Field(default_factory=dict)
    #: Each dataset read, with its snapshot (schema 2; empty in older records).
    datasets: list[DatasetSnapshot] = Field(default_factory=list)
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
    #: The Dask cluster the tasks ran on (``local:N`` or the scheduler's address; schema 5),
    #: ``None`` for the local process pool.
    cluster: str | None = None
    #: Tasks each repeat's examples were split across (``--shards``; schema 5).
    shards: int = 1
    #: Each task of a distributed or sharded run (schema 5; empty for one local task a repeat).
    tasks: list[TaskResult] = Field(default_factory=list)
    metrics: list[MetricSeries] = Field(default_factory=list)
    usage: dict[str, float] = Field(default_factory=dict)
    served: list[ServedModel] = Field(default_factory=list)
    ci: CiRun | None = None
    reproduction: Reproduction | None = None


def _to_2(data: dict[str, Any]) -> dict[str, Any]:
    # Version 1 kept no snapshots: its datasets are known by digest only.
    data.setdefault("datasets", [])
    return data


def _to_3(data: dict[str, Any]) -> dict[str, Any]:
    # Before version 3 the kernel's environment was not compared with the lock.
    data.setdefault("environment_drift", [])
    data.setdefault("environment_unchecked", [])
    return data


def _to_4(data: dict[str, Any]) -> dict[str, Any]:
    # Which parameters were overrides was not recorded: unknown, not "none". Nothing was
    # recorded of served models or CI, and no reproduction made an older record.
    data.setdefault("overrides", None)
    return data


def _to_5(data: dict[str, Any]) -> dict[str, Any]:
    # Before version 5 every run was one local task per repeat, unsharded.
    data.setdefault("cluster", None)
    data.setdefault("shards", 1)
    data.setdefault("tasks", [])
    return data


#: ``_MIGRATIONS[n]`` takes a record's JSON data from version ``n - 1`` to ``n``.
_MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {
    2: _to_2,
    3: _to_3,
    4: _to_4,
    5: _to_5,
}


def migrate_record_data(data: dict[str, Any]) -> dict[str, Any]:
    """Record data of any version up to :data:`RECORD_SCHEMA_VERSION`, in the current form.

    A version above the current one is returned as it is (validation then names the fields
    this version does not know); callers that can say "upgrade nbgraduate" check first.
    """
    version = data.get("schema_version", 1)
    if not isinstance(version, int) or version >= RECORD_SCHEMA_VERSION or version < 1:
        return data
    migrated = dict(data)
    for target in range(version + 1, RECORD_SCHEMA_VERSION + 1):
        migrated = _MIGRATIONS[target](migrated)
    migrated["schema_version"] = RECORD_SCHEMA_VERSION
    return migrated


def parse_record_json(text: str | bytes) -> RunRecord:
    """A record from its JSON text, of any schema version.

    Raises ``ValueError`` (pydantic's ``ValidationError`` is one) when it is not a record.
    """
    data = _loads(text)
    if not isinstance(data, dict):
        return RunRecord.model_validate(data)  # fails with pydantic's own message
    return RunRecord.model_validate(migrate_record_data(data))


def _loads(text: str | bytes) -> Any:
    """``json.loads(text)``, parsed by pydantic's JSON parser when it can.

    A gate reads two records of 100,000 examples each; pydantic-core's parser builds the same
    objects (floats bit for bit, ``NaN`` and ``Infinity`` included, the last of duplicate keys)
    in half of :mod:`json`'s time. It refuses what :mod:`json` lets through, a lone surrogate
    escape, and words its errors differently, so any text it refuses is parsed by :mod:`json`,
    whose value or message is then the one given.

    Only keys are cached (``cache_strings="keys"``): caching every string looked each of a
    record's 100,000 distinct example ids up in pydantic-core's string cache, which took a
    third of the parse (about 60 ms against 32 ms per record of 100,000 examples).
    """
    try:
        return from_json(text, allow_inf_nan=True, cache_strings="keys")
    except ValueError:
        return json.loads(text)


def parse_redacted_record_json(text: str) -> RunRecord:
    """:func:`parse_record_json`, then :func:`redacted`, as a store reads a row.

    A record stored in the current schema is tested for secrets in the text it was stored as:
    the same strings, so the same verdict, without serialising a record of 100,000 examples
    again. One stored in an older schema is tested after migration, in its current form.
    """
    data = _loads(text)
    if not isinstance(data, dict):
        return RunRecord.model_validate(data)  # fails with pydantic's own message
    current = data.get("schema_version") == RECORD_SCHEMA_VERSION
    record = RunRecord.model_validate(migrate_record_data(data))
    return redacted(record, json_text=text if current else None)


def credential_parameters(parameters: dict[str, Any]) -> list[str]:
    """Values of parameters whose name is key-like and whose value looks like a credential
    (``-p token=...``): their shape alone would not let :func:`secrets.redact` find them."""
    return [
        value
        for name, value in parameters.items()
        if isinstance(value, str)
        and secrets.KEY_LIKE_NAME.search(name)
        and secrets.looks_like_credential_value(value, name=name)
    ]


def redact_json_value(value: Any, credentials: list[str]) -> Any:
    """``value`` (parsed JSON) with every string, keys included, redacted."""
    if isinstance(value, str):
        return secrets.redact_credential_values(value, credentials)
    if isinstance(value, list):
        return [redact_json_value(item, credentials) for item in value]
    if isinstance(value, dict):
        return {
            redact_json_value(key, credentials): redact_json_value(item, credentials)
            for key, item in value.items()
        }
    return value


def redacted(record: RunRecord, *, json_text: str | None = None) -> RunRecord:
    """The record with no secret beyond its first four characters: in error details, ``-p``
    parameters, recorded ids, dataset URLs. The same record when it holds none (most do).

    The store applies this on every write and every read, so neither ``runs show``,
    ``runs export``, the dashboard nor the gate ever sees a key a notebook printed.
    ``json_text`` is the record's JSON when the caller holds it already; otherwise pydantic
    writes it (a fifth of the cost of ``json.dumps`` of the dumped dict), for the cheap test
    that clears most records without walking them.
    """
    credentials = credential_parameters(record.parameters)
    if not credentials:
        text = record.model_dump_json() if json_text is None else json_text
        if not secrets.may_contain_secret(text):
            return record
    data = record.model_dump(mode="json")
    cleaned = redact_json_value(data, credentials)
    return record if cleaned == data else RunRecord.model_validate(cleaned)
