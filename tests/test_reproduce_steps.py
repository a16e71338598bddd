"""Steps of ``reproduce`` on records built by hand: the verdict (identical, within variation,
diverged) and the environment comparison against a pinned environment's distributions."""

from __future__ import annotations

import random
from datetime import datetime, timezone

import pytest

from nbgraduate.reproduce.compare import compare_runs
from nbgraduate.runs.records import MetricSeries, RepeatResult, RunRecord, RunStatus

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)


def record(
    run_id: str,
    repeats: list[list[float]],
    *,
    ids: list[str] | None = None,
    status: RunStatus = RunStatus.PASSED,
    scalar: list[float] | None = None,
) -> RunRecord:
    example_ids = ids or [f"e{index}" for index in range(len(repeats[0]))]
    metrics = [
        MetricSeries(name="correct", repeat=repeat, values=values, ids=example_ids)
        for repeat, values in enumerate(repeats)
    ]
    if scalar is not None:
        metrics += [
            MetricSeries(name="latency", repeat=repeat, values=[value])
            for repeat, value in enumerate(scalar)
        ]
    return RunRecord(
        run_id=run_id,
        pipeline="evals/qa",
        python_version="3.11.7",
        platform="linux",
        started_at=NOW,
        ended_at=NOW,
        duration_s=1.0,
        status=status,
        repeats=[
            RepeatResult(
                repeat=index,
                seed=index,
                status=status,
                started_at=NOW,
                ended_at=NOW,
                duration_s=1.0,
            )
            for index in range(len(repeats))
        ],
        metrics=metrics,
    )


def test_equal_values_are_identical() -> None:
    values = [[1, 0, 1, 1], [1, 1, 1, 0]]
    comparison = compare_runs(
        record("a", values), record("b", values), margin=0.05, confidence=0.95
    )
    assert comparison.verdict == "identical"
    assert comparison.reasons == () and comparison.changed_examples == 0
    (metric,) = comparison.metrics
    assert metric.identical and metric.original_repeats == (0.75, 0.75)


def test_a_single_repeat_that_differs_is_diverged_however_small_the_change() -> None:
    before = record("a", [[1.0] * 50])
    after = record("b", [[1.0] * 49 + [0.0]])
    comparison = compare_runs(before, after, margin=0.5, confidence=0.95)
    assert comparison.verdict == "diverged"
    (reason,) = comparison.reasons
    assert reason.startswith("the original ran one repeat, so its run-to-run variation is not")
    (changed,) = comparison.metrics[0].changed
    assert (changed.example_id, changed.original, changed.reproduced, changed.stable) == (
        "e49",
        1.0,
        0.0,
        None,
    )


def _noisy(seed: int, n: int = 200, repeats: int = 3) -> list[list[float]]:
    generator = random.Random(seed)
    truth = [1.0 if index % 4 else 0.0 for index in range(n)]
    return [
        [value if generator.random() > 0.1 else 1.0 - value for value in truth]
        for _ in range(repeats)
    ]


def test_noise_of_the_same_size_is_within_variation() -> None:
    comparison = compare_runs(
        record("a", _noisy(1)), record("b", _noisy(2)), margin=0.05, confidence=0.95
    )
    assert comparison.verdict == "within-variation", comparison.reasons
    (metric,) = comparison.metrics
    assert metric.method == "t" and metric.equivalent is True
    assert metric.lower is not None and metric.upper is not None
    assert -0.05 < metric.lower < metric.difference < metric.upper < 0.05
    assert metric.changed and {c.stable for c in metric.changed} <= {True, False}


def test_a_shift_beyond_the_margin_is_diverged_with_stable_examples_marked() -> None:
    before = _noisy(1)
    after = [list(values) for values in _noisy(2)]
    for values in after:
        for index in range(1, 60, 4):  # examples every repeat passes: now failed
            values[index] = 0.0
    comparison = compare_runs(record("a", before), record("b", after), margin=0.05, confidence=0.95)
    assert comparison.verdict == "diverged"
    (metric,) = comparison.metrics
    assert metric.equivalent is False and metric.upper is not None and metric.upper < 0
    assert "is not shown to be within +-0.05" in comparison.reasons[0]
    stable_flips = {c.example_id for c in metric.changed if c.stable}
    assert {f"e{index}" for index in range(1, 60, 4)} & stable_flips


def test_too_few_examples_to_show_equivalence_is_not_reproduced() -> None:
    before = record("a", [[1, 0, 1], [0, 0, 1]])
    after = record("b", [[1, 1, 1], [0, 0, 1]])
    comparison = compare_runs(before, after, margin=0.05, confidence=0.95)
    assert comparison.verdict == "diverged"
    assert "is not shown to be within +-0.05" in comparison.reasons[0]


def test_missing_examples_status_and_metrics_are_reasons() -> None:
    before = record("a", [[1, 1, 0], [1, 1, 0]], ids=["x", "y", "z"])
    after = record("b", [[1, 1], [1, 1]], ids=["x", "y"], status=RunStatus.EVAL_FAILED)
    comparison = compare_runs(before, after, margin=0.2, confidence=0.95)
    assert comparison.verdict == "diverged"
    assert comparison.reasons[0] == "the original run ended passed, the reproduction eval-failed"
    assert "metric correct: 1 examples missing (z)" in comparison.reasons


@pytest.mark.parametrize("repeats", [1, 2])
def test_scalar_metrics_count_only_when_identical(repeats: int) -> None:
    values = [[1, 0, 1]] * repeats
    same = compare_runs(
        record("a", values, scalar=[3.0] * repeats),
        record("b", values, scalar=[3.0] * repeats),
        margin=0.05,
        confidence=0.95,
    )
    assert same.verdict == "identical"
    changed = compare_runs(
        record("a", values, scalar=[3.0] * repeats),
        record("b", values, scalar=[4.0] * repeats),
        margin=0.05,
        confidence=0.95,
    )
    latency = next(m for m in changed.metrics if m.name == "latency")
    assert (
        not latency.identical and latency.note == "no per-example ids: compared for identity only"
    )
    # Repeated: the per-example metric is identical, the scalar alone does not decide.
    assert changed.verdict == ("diverged" if repeats == 1 else "within-variation")


def test_environment_differences_are_read_from_the_pinned_environment(tmp_path) -> None:
    import json
    import platform

    from nbgraduate.reproduce.environment import reproduction_environment

    store_root = tmp_path / ".nbgraduate"
    environment = store_root / "envs" / "evals-qa"
    site = environment / "venv" / "lib" / "python3.11" / "site-packages"
    for name, version in (("pandas", "2.2.3"), ("scikit_learn", "1.5.0")):
        info = site / f"{name}-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
        )
    (environment / "env.json").write_text(
        json.dumps(
            {
                "path": str(environment / "venv"),
                "python": "python3",
                "kernel_name": "nbgraduate-evals-qa",
                "installer": "uv",
                "requirements": "requirements.lock",
                "nbgraduate": "0.1.0",
            }
        ),
        encoding="utf-8",
    )
    original = record("a", [[1.0]]).model_copy(
        update={
            "pipeline": "evals/qa",
            "python_version": platform.python_version(),
            "packages": {"pandas": "2.2.3", "Scikit-Learn": "1.4.2", "polars": "1.0.0"},
        }
    )
    found = reproduction_environment(original, store_root)
    assert found.pinned is not None and found.pinned.kernel_name == "nbgraduate-evals-qa"
    assert found.differences == [
        "polars 1.0.0 recorded, not installed here",
        "Scikit-Learn 1.4.2 recorded, 1.5.0 here",
    ]
    assert found.notes == [
        f"running in the pinned environment `nbgraduate env` built: {environment / 'venv'}"
    ]
    elsewhere = reproduction_environment(original.model_copy(update={"pipeline": "x"}), store_root)
    assert elsewhere.pinned is None and elsewhere.notes == []
