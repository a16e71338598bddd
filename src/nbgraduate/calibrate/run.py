"""``nbgraduate calibrate``: ask the pinned judge about the frozen reference set and record it.

One calibration run: validate the calibration set and the judge call against the lock, send
every example to the judge, parse the verdicts, compare them with the reference and with the
previous comparable run (same judge call on the same inputs), and store a ``calibration``
:class:`~nbgraduate.runs.records.RunRecord`. With ``write_reference`` the verdicts then become the
new reference and the pipeline is re-locked.
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from nbgraduate.calibrate.agreement import (
    LabelSummary,
    PairedComparison,
    ScoreSummary,
    absolute_errors,
    compare_runs,
    label_summary,
    score_summary,
)
from nbgraduate.calibrate.client import (
    DEFAULT_RETRY,
    ChatAnswer,
    ChatClient,
    ClientStats,
    JudgeApiError,
    RetryPolicy,
    api_key_from,
    display_url,
    resolve_base_url,
)
from nbgraduate.calibrate.judge import (
    PinnedJudge,
    check_locked_calibration_files,
    judge_messages,
    pinned_judge,
)
from nbgraduate.calibrate.parsing import make_parser
from nbgraduate.calibrate.reference import (
    CALIBRATION_DIRNAME,
    REFERENCE_FILENAME,
    CalibrationSet,
    Kind,
    Verdict,
    load_calibration_set,
    write_reference,
)
from nbgraduate.core.errors import ConfigError, NbgraduateError, UsageError
from nbgraduate.lock.digests import text_sha256
from nbgraduate.lock.lockfile import PipelineLock, lock_path, read_lock
from nbgraduate.lock.locking import LockOutcome, lock_pipeline
from nbgraduate.runs.layout import StoreLocation, default_store_root
from nbgraduate.runs.records import MetricSeries, ModelUse, RunRecord, RunStatus
from nbgraduate.runs.run import git_state, new_run_id, pipeline_name_in_store
from nbgraduate.runs.store import RunStore, open_store

__all__ = [
    "ANSWERS_ARTIFACT",
    "CalibrationOptions",
    "CalibrationResult",
    "ExampleResult",
    "ReferenceUpdate",
    "run_calibration",
]

#: Per-example answers of a run, stored with it (``runs/<run_id>/`` in an embedded store).
ANSWERS_ARTIFACT = "answers.jsonl"

EXIT_PASSED = 0
EXIT_DRIFT = 1
EXIT_INFRASTRUCTURE = 3


@dataclass(frozen=True, slots=True)
class CalibrationOptions:
    pipeline_dir: Path
    base_url: str | None = None
    concurrency: int = 4
    confidence: float = 0.95
    timeout: float = 60.0
    write_reference: bool = False
    #: Where to record the run (``None``: ``<project>/.nbgraduate``).
    store: StoreLocation | None = None
    retry: RetryPolicy = DEFAULT_RETRY
    #: Where ``OPENAI_API_KEY`` and ``OPENAI_BASE_URL`` are read; ``None`` is ``os.environ``.
    environ: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class ExampleResult:
    """One example: the reference, the parsed verdict (``None``: unparseable), the answer."""

    id: str
    reference: Verdict
    verdict: Verdict | None
    answer: str
    served_model: str | None
    system_fingerprint: str | None


@dataclass(frozen=True, slots=True)
class ReferenceUpdate:
    """What ``--write-reference`` did: ``refused`` says why nothing was written."""

    changed: int = 0
    refused: str | None = None
    lock: LockOutcome | None = None

    @property
    def lock_records_calibration(self) -> bool:
        return self.lock is not None and any(
            dataset.path.startswith(f"{CALIBRATION_DIRNAME}/")
            for dataset in self.lock.lock.datasets
        )


@dataclass(slots=True)
class CalibrationResult:
    """Everything the report shows; ``record`` is what was stored."""

    pipeline: str
    judge: PinnedJudge
    kind: Kind
    base_url: str
    example_count: int = 0
    record: RunRecord | None = None
    examples: list[ExampleResult] = field(default_factory=list)
    summary: LabelSummary | ScoreSummary | None = None
    comparison: PairedComparison | None = None
    served_mismatch: list[str] = field(default_factory=list)
    fingerprint_change: tuple[list[str], list[str]] | None = None
    infrastructure_error: str | None = None
    warnings: list[str] = field(default_factory=list)
    stats: ClientStats = field(default_factory=ClientStats)
    reference_update: ReferenceUpdate | None = None

    @property
    def drifted(self) -> bool:
        return bool(self.served_mismatch) or (
            self.comparison is not None and self.comparison.significant
        )

    @property
    def exit_code(self) -> int:
        """3 the API could not answer; 0 a reference was written; 1 drift, a served model
        other than the pinned one, or a refused ``--write-reference``; else 0."""
        if self.infrastructure_error is not None:
            return EXIT_INFRASTRUCTURE
        if self.reference_update is not None:
            return EXIT_DRIFT if self.reference_update.refused else EXIT_PASSED
        return EXIT_DRIFT if self.drifted else EXIT_PASSED


def run_calibration(options: CalibrationOptions) -> CalibrationResult:
    """Run one calibration and store its record; configuration problems raise before any
    request is sent, API failures end in a result with ``infrastructure_error``."""
    if not 0.0 < options.confidence < 1.0:
        raise UsageError(f"--confidence must be between 0 and 1, got {options.confidence:g}")
    if options.concurrency < 1:
        raise UsageError(f"--concurrency must be at least 1, got {options.concurrency}")
    environ = os.environ if options.environ is None else options.environ
    pipeline_dir = options.pipeline_dir.resolve()
    lock = read_lock(pipeline_dir)
    calibration = load_calibration_set(pipeline_dir)
    check_locked_calibration_files(pipeline_dir, lock)
    judge = pinned_judge(pipeline_dir, lock, calibration.declaration)
    payloads = _payloads(pipeline_dir, judge, calibration)
    if options.write_reference:
        _refuse_unrelated_drift(pipeline_dir)
    base_url = resolve_base_url(options.base_url, environ)
    api_key = api_key_from(environ, base_url)

    location = options.store or StoreLocation(root=default_store_root(pipeline_dir))
    run_id = new_run_id()
    pipeline_name = pipeline_name_in_store(pipeline_dir, location)
    started = datetime.now(timezone.utc)
    answers: dict[str, ChatAnswer] = {}
    failure: str | None = None
    with ChatClient(
        base_url,
        api_key,
        timeout=options.timeout,
        concurrency=options.concurrency,
        retry=options.retry,
    ) as client:
        try:
            answers = client.complete_all(payloads)
        except JudgeApiError as error:
            failure = str(error)
        except KeyboardInterrupt:
            # Recorded like any run that could not finish: never as drift, never as a pass.
            failure = "interrupted before every example was answered"
        stats = client.stats
    ended = datetime.now(timezone.utc)

    result = CalibrationResult(
        pipeline=pipeline_name,
        judge=judge,
        kind=calibration.declaration.kind,
        base_url=display_url(base_url),
        example_count=len(calibration.examples),
        stats=stats,
        infrastructure_error=failure,
    )
    if judge.unpinned_sampling:
        result.warnings.append(
            f"the lock pins no {' or '.join(judge.unpinned_sampling)}; the provider's default "
            "is used, so verdicts may vary from run to run"
        )
    with open_store(location) as store:
        if failure is None:
            _evaluate(result, calibration, answers, store, options.confidence)
        result.record = _record(
            result, calibration, lock, pipeline_dir, run_id, started, ended, options
        )
        answers_file = {} if failure is not None else {ANSWERS_ARTIFACT: _answers(result.examples)}
        store.add(result.record, artifacts=answers_file)
    if options.write_reference and failure is None:
        result.reference_update = _update_reference(pipeline_dir, lock, calibration, result)
    return result


# --- requests -----------------------------------------------------------------------------


def _payloads(
    pipeline_dir: Path, judge: PinnedJudge, calibration: CalibrationSet
) -> dict[str, dict[str, Any]]:
    reference_path = pipeline_dir / CALIBRATION_DIRNAME / REFERENCE_FILENAME
    payloads = {}
    for example in calibration.examples:
        try:
            messages = judge_messages(judge, example)
        except ValueError as error:
            raise ConfigError(reference_path, f"line {example.line}: {error}") from None
        payload: dict[str, Any] = {"model": judge.model_id, "messages": messages}
        for name in ("temperature", "top_p", "max_tokens", "seed"):
            value = getattr(judge, name)
            if value is not None:
                payload[name] = value
        payloads[example.id] = payload
    return payloads


# --- comparison ---------------------------------------------------------------------------


def _evaluate(
    result: CalibrationResult,
    calibration: CalibrationSet,
    answers: Mapping[str, ChatAnswer],
    store: RunStore,
    confidence: float,
) -> None:
    parse = make_parser(calibration.declaration)
    for example in calibration.examples:
        answer = answers[example.id]
        result.examples.append(
            ExampleResult(
                id=example.id,
                reference=example.reference,
                verdict=parse(answer.content),
                answer=answer.content,
                served_model=answer.served_model,
                system_fingerprint=answer.system_fingerprint,
            )
        )
    references = {example.id: example.reference for example in calibration.examples}
    verdicts = {example.id: example.verdict for example in result.examples}
    result.summary = (
        label_summary(references, verdicts)
        if result.kind == "label"
        else score_summary(references, verdicts)
    )
    served = _distinct(example.served_model for example in result.examples)
    result.served_mismatch = [model for model in served if model != result.judge.model_id]
    if not served:
        result.warnings.append("the server did not say which model it served (no `model` field)")

    previous = _previous_run(store, result, calibration)
    if previous is None:
        return
    previous_verdicts = previous.parameters.get("verdicts") or {}
    result.comparison = compare_runs(
        kind=result.kind,
        references=references,
        previous={key: _stored_verdict(value) for key, value in previous_verdicts.items()},
        current=verdicts,
        previous_run_id=previous.run_id,
        confidence=confidence,
    )
    before = list(previous.parameters.get("system_fingerprints") or [])
    after = _distinct(example.system_fingerprint for example in result.examples)
    if before != after:
        result.fingerprint_change = (before, after)


def _previous_run(
    store: RunStore, result: CalibrationResult, calibration: CalibrationSet
) -> RunRecord | None:
    """The newest completed calibration run of the same judge call on the same inputs."""
    call = _judge_call(result.judge)
    inputs = _inputs_sha256(calibration)
    for record in store.list(pipeline=result.pipeline, kind="calibration"):
        parameters = record.parameters
        if (
            record.status is not RunStatus.INFRASTRUCTURE_ERROR
            and parameters.get("judge_call") == call
            and parameters.get("calibration_kind") == result.kind
            and parameters.get("inputs_sha256") == inputs
            and isinstance(parameters.get("verdicts"), dict)
        ):
            return record
    return None


def _stored_verdict(value: object) -> Verdict | None:
    if value is None or isinstance(value, (str, float)):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return str(value)


# --- the record ---------------------------------------------------------------------------


def _record(
    result: CalibrationResult,
    calibration: CalibrationSet,
    lock: PipelineLock,
    pipeline_dir: Path,
    run_id: str,
    started: datetime,
    ended: datetime,
    options: CalibrationOptions,
) -> RunRecord:
    commit, dirty = git_state(pipeline_dir)
    judge = result.judge
    parameters: dict[str, Any] = {
        "judge_call": _judge_call(judge),
        "calibration_kind": result.kind,
        "inputs_sha256": _inputs_sha256(calibration),
        "reference_sha256": calibration.reference_sha256,
        "base_url": result.base_url,
        "confidence": options.confidence,
        "served_models": _distinct(example.served_model for example in result.examples),
        "system_fingerprints": _distinct(example.system_fingerprint for example in result.examples),
        "previous_run": result.comparison.previous_run_id if result.comparison else None,
        "p_value": result.comparison.p_value if result.comparison else None,
    }
    if result.infrastructure_error is None:
        parameters["verdicts"] = {example.id: example.verdict for example in result.examples}
    reference_relative = f"{CALIBRATION_DIRNAME}/{REFERENCE_FILENAME}"
    return RunRecord(
        run_id=run_id,
        kind="calibration",
        pipeline=result.pipeline,
        git_commit=commit,
        git_dirty=dirty,
        lock_digest=lock.digest(),
        contract_version=lock.contract_version,
        parameters=parameters,
        models=[
            ModelUse(model_id=m.model_id, role=m.role, provider=m.provider, pinned=m.pinned)
            for m in lock.models
            if m.role == "judge" and m.model_id == judge.model_id
        ],
        dataset_digests={reference_relative: calibration.reference_sha256},
        prompt_digests=dict(judge.prompt_digests),
        seeds=[judge.seed] if judge.seed is not None else [],
        temperature=judge.temperature,
        python_version=platform.python_version(),
        platform=platform.platform(),
        packages=_package_versions(),
        started_at=started,
        ended_at=ended,
        duration_s=(ended - started).total_seconds(),
        status=_status(result),
        status_detail=_status_detail(result),
        metrics=_metrics(result),
        usage=_usage(result.stats),
    )


def _status(result: CalibrationResult) -> RunStatus:
    if result.infrastructure_error is not None:
        return RunStatus.INFRASTRUCTURE_ERROR
    return RunStatus.EVAL_FAILED if result.drifted else RunStatus.PASSED


def _status_detail(result: CalibrationResult) -> str | None:
    if result.infrastructure_error is not None:
        return result.infrastructure_error
    details = []
    if result.served_mismatch:
        details.append(
            f"served model {', '.join(result.served_mismatch)} is not the pinned "
            f"{result.judge.model_id}"
        )
    comparison = result.comparison
    if comparison is not None and comparison.significant:
        tests = "; ".join(
            f"{test.name} p={test.p_value:.4g}" for test in comparison.tests if test.significant
        )
        details.append(
            f"drift since {comparison.previous_run_id}: {len(comparison.flips)} examples "
            f"flipped ({tests})"
        )
    if result.fingerprint_change is not None:
        before, after = result.fingerprint_change
        details.append(
            f"system_fingerprint {', '.join(before) or 'none'} -> {', '.join(after) or 'none'}"
        )
    return "; ".join(details) or None


def _metrics(result: CalibrationResult) -> list[MetricSeries]:
    if result.infrastructure_error is not None or not result.examples:
        return []
    ids = [example.id for example in result.examples]
    series = [
        MetricSeries(
            name="unparseable",
            values=[1.0 if example.verdict is None else 0.0 for example in result.examples],
            ids=ids,
        )
    ]
    if isinstance(result.summary, LabelSummary):
        series.append(
            MetricSeries(
                name="agreement",
                values=[
                    1.0 if example.verdict == example.reference else 0.0
                    for example in result.examples
                ],
                ids=ids,
            )
        )
        if result.summary.kappa is not None:
            series.append(MetricSeries(name="cohen_kappa", values=[result.summary.kappa]))
    elif isinstance(result.summary, ScoreSummary):
        errors = absolute_errors(
            {example.id: example.reference for example in result.examples},
            {example.id: example.verdict for example in result.examples},
        )
        if errors:
            series.append(
                MetricSeries(name="absolute_error", values=list(errors.values()), ids=list(errors))
            )
        if result.summary.spearman is not None:
            series.append(MetricSeries(name="spearman", values=[result.summary.spearman]))
    return series


def _usage(stats: ClientStats) -> dict[str, float]:
    return {
        "prompt_tokens": float(stats.prompt_tokens),
        "completion_tokens": float(stats.completion_tokens),
        "total_tokens": float(stats.total_tokens),
        "requests": float(stats.requests),
        "retries": float(stats.retries),
    }


def _judge_call(judge: PinnedJudge) -> dict[str, Any]:
    """The identity of the judge call: two runs are compared only when these are equal."""
    return {
        "model": judge.model_id,
        "prompt": judge.prompt_path,
        "system": judge.system_path,
        "prompt_digests": dict(sorted(judge.prompt_digests.items())),
        "temperature": judge.temperature,
        "top_p": judge.top_p,
        "max_tokens": judge.max_tokens,
        "seed": judge.seed,
    }


def _inputs_sha256(calibration: CalibrationSet) -> str:
    # Ids and inputs only: rewriting the reference verdicts keeps runs comparable.
    payload = [[example.id, example.input] for example in calibration.examples]
    return text_sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True))


def _plural(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _distinct(values: Any) -> list[str]:
    return sorted({value for value in values if value})


def _package_versions() -> dict[str, str]:
    from importlib import metadata

    versions = {}
    for name in ("nbgraduate", "httpx", "scipy"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _answers(examples: list[ExampleResult]) -> bytes:
    lines = [
        json.dumps(
            {
                "id": example.id,
                "reference": example.reference,
                "verdict": example.verdict,
                "answer": example.answer,
                "served_model": example.served_model,
                "system_fingerprint": example.system_fingerprint,
            },
            ensure_ascii=False,
        )
        for example in examples
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


# --- --write-reference --------------------------------------------------------------------


# Facts about the machine, not files of the pipeline: a re-lock may record them.
_MACHINE_DRIFT_KINDS = frozenset({"python", "nbgraduate"})


def _refuse_unrelated_drift(pipeline_dir: Path) -> None:
    """``--write-reference`` re-locks the pipeline; refuse when that would also silently
    accept other changes (a dataset, the notebook, requirements) made since the last lock."""
    from nbgraduate.lock.locking import verify_pipeline

    _locked, _current, drifts = verify_pipeline(pipeline_dir)
    unrelated = [
        drift
        for drift in drifts
        if drift.kind not in _MACHINE_DRIFT_KINDS
        and not (drift.kind == "dataset" and drift.subject.startswith(f"{CALIBRATION_DIRNAME}/"))
    ]
    if unrelated:
        listed = "; ".join(drift.message for drift in unrelated[:3])
        more = f" (+{len(unrelated) - 3} more)" if len(unrelated) > 3 else ""
        raise ConfigError(
            lock_path(pipeline_dir),
            f"--write-reference re-locks the pipeline, which would also accept other changes "
            f"since the lock: {listed}{more}; review them and run `nbgraduate lock` first",
        )


def _update_reference(
    pipeline_dir: Path, lock: PipelineLock, calibration: CalibrationSet, result: CalibrationResult
) -> ReferenceUpdate:
    if result.served_mismatch:
        return ReferenceUpdate(
            refused=f"the server served {', '.join(result.served_mismatch)}, not the pinned "
            f"{result.judge.model_id}; pin the model you mean to trust before recording it"
        )
    unparseable = [example.id for example in result.examples if example.verdict is None]
    if unparseable:
        shown = ", ".join(unparseable[:5]) + (" ..." if len(unparseable) > 5 else "")
        return ReferenceUpdate(
            refused=f"{_plural(len(unparseable), 'answer')} did not parse ({shown}); a reference "
            "needs a verdict for every example"
        )
    verdicts = {
        example.id: example.verdict for example in result.examples if example.verdict is not None
    }
    reference_path = pipeline_dir / CALIBRATION_DIRNAME / REFERENCE_FILENAME
    changed = write_reference(reference_path, verdicts)
    try:
        outcome = lock_pipeline(pipeline_dir, allow_floating=lock.floating_allowed)
    except NbgraduateError as error:
        raise ConfigError(
            lock_path(pipeline_dir),
            f"wrote {changed} new reference verdicts to {reference_path.name} but could not "
            f"re-lock: {error}; fix that and run `nbgraduate lock`",
        ) from None
    return ReferenceUpdate(changed=changed, lock=outcome)
