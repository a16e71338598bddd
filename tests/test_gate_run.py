"""End-to-end tests of ``run_gate``: real records in a real run store (or record files) in tmp_path."""

from __future__ import annotations

import json
import math
import subprocess
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nbgraduate.gate import ContractMismatchError, GateInputError, GateOptions, Verdict, run_gate
from nbgraduate.gate.runs import parse_run_spec, resolve_git_ref
from nbgraduate.runs.records import MetricSeries, ModelUse, RunRecord, RunStatus
from nbgraduate.runs.store import RecordFileError, RunNotFoundError, StoreError, open_store

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
IDS = [f"q{index:03d}" for index in range(200)]


def series(
    name: str,
    values: Any,
    ids: list[str] | None = None,
    *,
    repeat: int = 0,
    clusters: list[str] | None = None,
) -> MetricSeries:
    values = [float(value) for value in values]
    return MetricSeries(
        name=name,
        repeat=repeat,
        values=values,
        ids=IDS[: len(values)] if ids is None else ids,
        clusters=clusters,
    )


def make_record(run_id: str, *metrics: MetricSeries, hours: int = 0, **fields: Any) -> RunRecord:
    moment = T0 + timedelta(hours=hours)
    defaults: dict[str, Any] = {
        "run_id": run_id,
        "pipeline": "evals/qa",
        "git_commit": None,
        "contract_version": "1.0.0",
        "models": [
            ModelUse(model_id="gpt-4o-2024-08-06", role="judge", pinned=True),
            ModelUse(model_id="claude-sonnet-4-5-20250929", role="candidate", pinned=True),
        ],
        "dataset_digests": {"data/golden.csv": "sha256:" + "a" * 64},
        "prompt_digests": {"prompts/judge.txt": "sha256:" + "b" * 64},
        "temperature": 0.0,
        "python_version": "3.11.7",
        "platform": "linux-x86_64",
        "started_at": moment,
        "ended_at": moment + timedelta(minutes=5),
        "duration_s": 300.0,
        "status": RunStatus.PASSED,
        "metrics": list(metrics),
    }
    defaults.update(fields)
    return RunRecord(**defaults)


@pytest.fixture
def store_root(tmp_path: Path) -> Path:
    return tmp_path / ".nbgraduate"


def gate(store_root: Path, *records: RunRecord, **options: Any):
    with open_store(store_root) as store:
        for record in records:
            store.add(record)
    defaults: dict[str, Any] = {
        "baseline": records[0].run_id if records else "base",
        "candidate": records[1].run_id if len(records) > 1 else "cand",
        "margin": 0.05,
        "confidence": 0.95,
        "store": store_root,
    }
    defaults.update(options)
    return run_gate(GateOptions(**defaults))


def scores(seed: int, n: int = 200, shift: float = 0.0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.7 + shift, 0.1, n)


# -- edge cases of the data --------------------------------------------------------------------


def test_identical_runs_pass_every_metric_with_point_bounds(store_root: Path) -> None:
    accuracy = (np.arange(200) % 3 > 0).astype(float)
    quality = scores(1)
    base = make_record("base", series("accuracy", accuracy), series("quality", quality))
    cand = make_record("cand", series("accuracy", accuracy), series("quality", quality), hours=1)
    report = gate(store_root, base, cand)
    assert [m.verdict for m in report.metrics] == [Verdict.PASS, Verdict.PASS]
    quality_result = report.metrics[1].difference
    assert (quality_result.lower, quality_result.upper) == (0.0, 0.0)
    assert report.metrics[0].difference.method == "mcnemar"
    assert report.exit_code == 0
    for metric in report.metrics:
        assert all(math.isfinite(x) for x in (metric.p_fail_adjusted, metric.p_pass_adjusted))


@pytest.mark.parametrize("method", ["t", "bootstrap"])
def test_identical_runs_pass_with_every_method(store_root: Path, method: str) -> None:
    values = scores(2)
    base = make_record("base", series("quality", values))
    cand = make_record("cand", series("quality", values), hours=1)
    report = gate(store_root, base, cand, method=method, n_resamples=500)
    assert report.verdict is Verdict.PASS


def test_a_constant_drop_beyond_the_margin_fails_with_certainty(store_root: Path) -> None:
    values = scores(3)
    base = make_record("base", series("quality", values))
    cand = make_record("cand", series("quality", values - 0.1), hours=1)
    report = gate(store_root, base, cand, method="bootstrap", n_resamples=500)
    [result] = report.metrics
    assert result.verdict is Verdict.FAIL
    assert result.difference.upper == pytest.approx(-0.1)
    assert report.exit_code == 1


def test_a_single_example_is_inconclusive_and_the_policy_decides_the_exit_code(
    store_root: Path,
) -> None:
    base = make_record("base", series("quality", [0.7]))
    cand = make_record("cand", series("quality", [0.72]), hours=1)
    report = gate(store_root, base, cand)
    assert report.verdict is Verdict.INCONCLUSIVE and report.exit_code == 1
    assert "one paired example" in report.metrics[0].notes[0]
    assert replace(report, inconclusive="pass").exit_code == 0


def test_all_pass_versus_all_pass_is_decided_by_the_sample_size(tmp_path: Path) -> None:
    few = gate(
        tmp_path / "few",
        make_record("base", series("passed", [1, 1, 1])),
        make_record("cand", series("passed", [1, 1, 1]), hours=1),
    )
    many = gate(
        tmp_path / "many",
        make_record("base", series("passed", [1] * 200)),
        make_record("cand", series("passed", [1] * 200), hours=1),
    )
    assert few.metrics[0].difference.method == "mcnemar"
    assert few.verdict is Verdict.INCONCLUSIVE
    assert many.verdict is Verdict.PASS
    assert few.metrics[0].difference.n_needed is not None


def test_a_real_regression_fails_and_a_real_improvement_passes(store_root: Path) -> None:
    base_values = scores(4)
    worse = base_values - 0.12 + np.random.default_rng(5).normal(0, 0.03, 200)
    base = make_record("base", series("quality", base_values))
    cand = make_record("cand", series("quality", worse), hours=1)
    assert gate(store_root, base, cand).verdict is Verdict.FAIL


def test_lower_is_better_flips_the_sign(store_root: Path) -> None:
    latency = scores(6)
    base = make_record("base", series("latency", latency))
    cand = make_record("cand", series("latency", latency + 0.2), hours=1)  # slower: worse
    report = gate(store_root, base, cand, lower_is_better=("latency",))
    [result] = report.metrics
    assert result.lower_is_better
    assert result.difference.estimate == pytest.approx(-0.2)
    assert result.verdict is Verdict.FAIL


# -- pairing -----------------------------------------------------------------------------------


def test_ids_missing_beyond_the_tolerance_are_listed(store_root: Path) -> None:
    base = make_record("base", series("quality", scores(7, 100)))
    cand_ids = [*IDS[3:100], "new-1", "new-2"]
    cand = make_record("cand", series("quality", scores(8, 99), ids=cand_ids), hours=1)
    with pytest.raises(GateInputError) as caught:
        gate(store_root, base, cand)
    message = str(caught.value)
    assert "\n" not in message
    assert "5 of 102 example ids" in message
    assert "missing from the candidate: q000, q001, q002" in message
    assert "extra in the candidate: new-1, new-2" in message
    assert caught.value.exit_code == 2


def test_ids_missing_within_the_tolerance_are_dropped(store_root: Path) -> None:
    base = make_record("base", series("quality", scores(7, 100)))
    cand = make_record("cand", series("quality", scores(8, 98), ids=IDS[2:100]), hours=1)
    report = gate(store_root, base, cand, id_tolerance=0.05)
    [result] = report.metrics
    assert result.n == 98 and result.unpaired == 2
    assert any("2 example ids in only one run were dropped" in note for note in result.notes)


def test_repeats_are_averaged_per_example_before_pairing(store_root: Path) -> None:
    ids = IDS[:4]
    base = make_record(
        "base",
        series("quality", [0.0, 1.0, 0.5, 0.5], ids, repeat=0),
        series("quality", [1.0, 0.0, 0.5, 0.5], list(reversed(ids)), repeat=1),
    )
    cand = make_record(
        "cand",
        series("quality", [0.25, 0.75, 0.5, 0.5], list(reversed(ids)), repeat=0),
        hours=1,
    )
    report = gate(store_root, base, cand, margin=0.1)
    [result] = report.metrics
    # q000: (0 + 0.5) / 2, q001: (1 + 0.5) / 2, q002: (0.5 + 0) / 2, q003: (0.5 + 1) / 2
    assert result.baseline.center == pytest.approx(0.5)
    assert result.baseline_repeats == 2 and result.candidate_repeats == 1
    assert result.difference.method == "t"  # averaged pass/fail values are no longer 0/1


def test_clustered_examples_get_cluster_robust_errors(store_root: Path) -> None:
    rng = np.random.default_rng(9)
    clusters = [f"doc-{index // 10}" for index in range(200)]
    base_values = rng.normal(0.7, 0.1, 200)
    shared = np.repeat(rng.normal(0, 0.1, 20), 10)
    cand_values = base_values + shared + rng.normal(0, 0.02, 200)
    base = make_record("base", series("quality", base_values, clusters=clusters))
    cand = make_record("cand", series("quality", cand_values), hours=1)
    report = gate(store_root, base, cand, margin=0.02)
    [result] = report.metrics
    assert result.difference.clusters == 20 and result.difference.df == 19
    unclustered = make_record("plain", series("quality", base_values), hours=2)
    plain = gate(store_root, unclustered, baseline="plain", candidate="cand", margin=0.02)
    assert result.difference.standard_error > 2 * plain.metrics[0].difference.standard_error


def test_runs_that_disagree_on_clusters_are_refused(store_root: Path) -> None:
    base = make_record("base", series("quality", [0.1, 0.2], IDS[:2], clusters=["a", "a"]))
    cand = make_record("cand", series("quality", [0.1, 0.2], IDS[:2], clusters=["a", "b"]), hours=1)
    with pytest.raises(GateInputError, match="cluster 'a' in the baseline run and 'b'"):
        gate(store_root, base, cand)


def test_metric_without_ids_cannot_be_gated(store_root: Path) -> None:
    base = make_record(
        "base", MetricSeries(name="overall", values=[0.8]), series("quality", scores(1))
    )
    cand = make_record(
        "cand", MetricSeries(name="overall", values=[0.7]), series("quality", scores(1)), hours=1
    )
    report = gate(store_root, base, cand)
    assert [m.name for m in report.metrics] == ["quality"]
    assert "metric overall: no per-example ids, not gated" in report.notes
    with pytest.raises(GateInputError, match="has no per-example ids"):
        run_gate(GateOptions("base", "cand", 0.05, 0.95, metrics=("overall",), store=store_root))


def test_unknown_metric_and_unknown_lower_is_better_are_usage_errors(store_root: Path) -> None:
    base = make_record("base", series("quality", scores(1)))
    cand = make_record("cand", series("quality", scores(1)), hours=1)
    with pytest.raises(GateInputError, match="'accuracy' is not in the baseline run base"):
        gate(store_root, base, cand, metrics=("accuracy",))
    with pytest.raises(
        GateInputError, match="--lower-is-better latncy: no such per-example metric"
    ):
        run_gate(
            GateOptions("base", "cand", 0.05, 0.95, lower_is_better=("latncy",), store=store_root)
        )


def test_non_finite_values_are_refused(tmp_path: Path) -> None:
    # The store cannot hold NaN (JSON null), but a record file written by other tools can.
    for run_id in ("base", "cand"):
        payload = make_record(run_id, series("quality", [0.1, 0.2])).model_dump(mode="json")
        if run_id == "base":
            payload["metrics"][0]["values"][1] = float("nan")
        (tmp_path / f"{run_id}.json").write_text(json.dumps(payload))
    options = GateOptions(str(tmp_path / "base.json"), str(tmp_path / "cand.json"), 0.05, 0.95)
    with pytest.raises(GateInputError, match="not finite"):
        run_gate(options)


# -- methods -----------------------------------------------------------------------------------


def test_method_choice_and_its_usage_errors(store_root: Path) -> None:
    base = make_record("base", series("quality", scores(1)), series("passed", [1, 0] * 100))
    cand = make_record(
        "cand", series("quality", scores(2)), series("passed", [1, 1] * 100), hours=1
    )
    report = gate(store_root, base, cand)
    assert [m.difference.method for m in report.metrics] == ["t", "mcnemar"]
    median = run_gate(
        GateOptions(
            "base", "cand", 0.05, 0.95, statistic="median", store=store_root, n_resamples=500
        )
    )
    assert {m.difference.method for m in median.metrics} == {"bootstrap"}
    assert median.metrics[0].difference.statistic == "median"
    with pytest.raises(GateInputError, match="--method mcnemar needs pass/fail values"):
        run_gate(GateOptions("base", "cand", 0.05, 0.95, method="mcnemar", store=store_root))
    with pytest.raises(GateInputError, match="--method t tests the mean"):
        run_gate(GateOptions("base", "cand", 0.05, 0.95, method="t", statistic="median"))


def test_mcnemar_refuses_clustered_examples(store_root: Path) -> None:
    clusters = [f"doc-{index // 2}" for index in range(10)]
    base = make_record("base", series("passed", [1, 0] * 5, clusters=clusters))
    cand = make_record("cand", series("passed", [1, 1] * 5, clusters=clusters), hours=1)
    assert gate(store_root, base, cand).metrics[0].difference.method == "t"
    with pytest.raises(GateInputError, match="McNemar's test assumes independent examples"):
        run_gate(GateOptions("base", "cand", 0.05, 0.95, method="mcnemar", store=store_root))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("margin", -0.1, "--margin must be zero or more"),
        ("confidence", 0.4, "--confidence must be between 0.5 and 1"),
        ("confidence", 1.0, "--confidence must be between 0.5 and 1"),
        ("id_tolerance", 1.0, "--id-tolerance"),
        ("n_resamples", 10, "--resamples must be at least"),
        ("metrics", ("a", "a"), "--metric given more than once: a"),
    ],
)
def test_options_out_of_range(field: str, value: Any, message: str) -> None:
    options = replace(GateOptions("base", "cand", 0.05, 0.95), **{field: value})
    with pytest.raises(GateInputError, match=message):
        run_gate(options)


# -- several metrics ---------------------------------------------------------------------------


def test_benjamini_hochberg_across_metrics(store_root: Path) -> None:
    rng = np.random.default_rng(10)
    base_values = rng.normal(0.7, 0.1, 200)
    noise = rng.normal(0, 1, 200)
    noise = (noise - noise.mean()) / noise.std(ddof=1) * 0.2
    # Alone, a FAIL at 95% (p between 0.025 and 0.05); beside a clear PASS, BH doubles it.
    marginal = base_values + noise - 0.05 - 1.8 * 0.2 / math.sqrt(200)
    base = make_record("base", series("marginal", base_values), series("stable", base_values))
    cand = make_record(
        "cand", series("marginal", marginal), series("stable", base_values + 0.001), hours=1
    )
    alone = gate(store_root, base, cand, metrics=("marginal",))
    assert alone.metrics[0].verdict is Verdict.FAIL and not alone.adjusted
    both = run_gate(GateOptions("base", "cand", 0.05, 0.95, store=store_root))
    assert both.adjusted
    marginal_result, stable_result = both.metrics
    assert marginal_result.verdict is Verdict.INCONCLUSIVE
    assert marginal_result.p_fail_adjusted == pytest.approx(2 * marginal_result.difference.p_fail)
    assert any(
        "FAIL on its own; INCONCLUSIVE after the Benjamini-Hochberg" in n
        for n in marginal_result.notes
    )
    assert stable_result.verdict is Verdict.PASS
    assert both.verdict is Verdict.INCONCLUSIVE


# -- eval contracts ----------------------------------------------------------------------------


def test_different_contracts_are_refused_one_line_per_difference(store_root: Path) -> None:
    base = make_record("base", series("quality", scores(1)))
    cand = make_record(
        "cand",
        series("quality", scores(1)),
        hours=1,
        dataset_digests={"data/golden.csv": "sha256:" + "c" * 64, "data/extra.csv": "sha256:1"},
        models=[
            ModelUse(model_id="gpt-4o-2024-11-20", role="judge", pinned=True),
            ModelUse(model_id="claude-sonnet-4-5-20250929", role="candidate", pinned=True),
        ],
        prompt_digests={"prompts/judge.txt": "sha256:" + "d" * 64},
        temperature=0.7,
        contract_version="2.0.0",
    )
    with pytest.raises(ContractMismatchError) as caught:
        gate(store_root, base, cand)
    lines = str(caught.value).splitlines()
    assert lines == [
        "eval contracts differ: dataset data/extra.csv: only in the candidate run",
        "eval contracts differ: dataset data/golden.csv: digest sha256:aaaaaaaaaaaa in"
        " baseline, sha256:cccccccccccc in candidate",
        "eval contracts differ: judge model: baseline gpt-4o-2024-08-06, candidate"
        " gpt-4o-2024-11-20",
        "eval contracts differ: prompt prompts/judge.txt: digest sha256:bbbbbbbbbbbb in"
        " baseline, sha256:dddddddddddd in candidate",
        "eval contracts differ: temperature: baseline 0, candidate 0.7",
        "eval contracts differ: eval contract version: baseline 1.0.0, candidate 2.0.0 (a major"
        " change)",
        "the scores are not comparable; pass --allow-contract-change to gate anyway",
    ]
    assert caught.value.exit_code == 2
    allowed = run_gate(
        GateOptions("base", "cand", 0.05, 0.95, allow_contract_change=True, store=store_root)
    )
    assert allowed.verdict is Verdict.PASS
    assert sum("eval contract differs" in warning for warning in allowed.warnings) == 6


def test_a_candidate_model_change_and_a_minor_contract_bump(store_root: Path) -> None:
    base = make_record("base", series("quality", scores(1)))
    minor = make_record("minor", series("quality", scores(1)), hours=1, contract_version="1.1.0")
    other_model = make_record(
        "other",
        series("quality", scores(1)),
        hours=2,
        models=[ModelUse(model_id="gpt-4o-2024-08-06", role="judge", pinned=True)],
    )
    assert gate(store_root, base, minor, candidate="minor").verdict is Verdict.PASS
    with pytest.raises(
        ContractMismatchError,
        match="candidate model: baseline claude-sonnet-4-5-20250929, candidate none",
    ):
        gate(store_root, other_model, baseline="base", candidate="other")


def test_unclean_runs_are_warned_about(store_root: Path) -> None:
    base = make_record("base", series("quality", scores(1)), status=RunStatus.INFRASTRUCTURE_ERROR)
    cand = make_record("cand", series("quality", scores(1)), hours=1, reproducible=False)
    report = gate(store_root, base, cand)
    assert report.warnings == (
        "the baseline run base ended with status infrastructure-error",
        "the candidate run cand is not reproducible (it ran with drift from its lock)",
    )


# -- naming the runs ---------------------------------------------------------------------------


def test_run_id_prefixes_and_their_errors(store_root: Path) -> None:
    base = make_record("20250301T120000Z-aaaaaa", series("quality", scores(1)))
    cand = make_record("20250301T130000Z-bbbbbb", series("quality", scores(1)), hours=1)
    report = gate(store_root, base, cand, baseline="20250301T12", candidate="20250301T13")
    assert report.baseline.run_id == base.run_id and report.baseline.spec == "20250301T12"
    with pytest.raises(RunNotFoundError, match="ambiguous"):
        run_gate(GateOptions("2025", "20250301T13", 0.05, 0.95, store=store_root))
    with pytest.raises(RunNotFoundError, match="no run 'nope'"):
        run_gate(GateOptions("nope", "20250301T13", 0.05, 0.95, store=store_root))


def test_a_run_cannot_gate_itself_and_a_missing_store_is_an_error(tmp_path: Path) -> None:
    base = make_record("base", series("quality", scores(1)))
    with pytest.raises(GateInputError, match="are the same run base"):
        gate(tmp_path / ".nbgraduate", base, baseline="base", candidate="latest")
    with pytest.raises(StoreError, match="no run store here"):
        run_gate(GateOptions("a", "b", 0.05, 0.95, store=tmp_path / "nowhere"))


def test_latest_takes_the_pipeline_from_the_other_run_or_from_the_option(store_root: Path) -> None:
    first = make_record("first", series("quality", scores(1)))
    second = make_record("second", series("quality", scores(2)), hours=1)
    third = make_record("third", series("quality", scores(3)), hours=2)
    other = make_record("other", series("quality", scores(4)), hours=3, pipeline="evals/other")
    report = gate(store_root, first, second, third, other, baseline="first", candidate="latest")
    assert report.candidate.run_id == "third"
    with pytest.raises(GateInputError, match="both 'latest': name the pipeline with --pipeline"):
        run_gate(GateOptions("latest", "latest", 0.05, 0.95, store=store_root))
    with pytest.raises(GateInputError, match="are the same run third"):
        run_gate(GateOptions("latest", "latest", 0.05, 0.95, store=store_root, pipeline="evals/qa"))
    with pytest.raises(GateInputError, match="no run of pipeline 'evals/none'"):
        run_gate(
            GateOptions("latest", "first", 0.05, 0.95, store=store_root, pipeline="evals/none")
        )


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def test_latest_at_a_git_ref_with_a_real_repository(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "eval.txt").write_text("v1\n")
    git(repo, "add", "eval.txt")
    git(repo, "commit", "-q", "-m", "v1")
    first_commit = git(repo, "rev-parse", "HEAD")
    git(repo, "tag", "v1")
    (repo / "eval.txt").write_text("v2\n")
    git(repo, "commit", "-q", "-am", "v2")
    second_commit = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "-b", "feature")
    records = [
        make_record("old-at-v1", series("quality", scores(1)), git_commit=first_commit),
        make_record("new-at-v1", series("quality", scores(2)), hours=1, git_commit=first_commit),
        make_record("at-main", series("quality", scores(3)), hours=2, git_commit=second_commit),
    ]
    store_root = tmp_path / "store"
    report = gate(
        store_root,
        *records,
        baseline="latest@v1",
        candidate="latest@main",
        pipeline="evals/qa",
        repo_dir=repo,
    )
    assert (report.baseline.run_id, report.candidate.run_id) == ("new-at-v1", "at-main")
    assert report.baseline.source == "latest run of evals/qa at v1"
    assert resolve_git_ref("HEAD~1", repo) == first_commit
    options = GateOptions("latest@HEAD~1", "at-main", 0.05, 0.95, store=store_root, repo_dir=repo)
    assert run_gate(options).baseline.run_id == "new-at-v1"
    with pytest.raises(GateInputError, match="unknown git ref 'no-such-branch'"):
        run_gate(replace(options, baseline="latest@no-such-branch"))
    with pytest.raises(GateInputError, match="no run of pipeline 'evals/qa' at commit"):
        (repo / "eval.txt").write_text("v3\n")
        git(repo, "commit", "-q", "-am", "v3")
        run_gate(replace(options, baseline="latest@feature"))
    with pytest.raises(GateInputError, match="not in a git repository"):
        run_gate(replace(options, baseline="latest@main", repo_dir=tmp_path))
    with pytest.raises(GateInputError, match="not a git ref"):
        run_gate(replace(options, baseline="latest@--all"))


def test_record_files_gate_without_a_store(tmp_path: Path) -> None:
    store_root = tmp_path / "ci" / ".nbgraduate"
    with open_store(store_root) as store:
        store.add(make_record("base", series("quality", scores(1))))
        store.add(make_record("cand", series("quality", scores(1) + 0.001), hours=1))
        store.export("base", tmp_path / "baseline.json")
        store.export("cand", tmp_path / "candidate.json")
    options = GateOptions(
        str(tmp_path / "baseline.json"),
        str(tmp_path / "candidate.json"),
        0.05,
        0.95,
        store=tmp_path / "no-store-here",
    )
    report = run_gate(options)
    assert report.verdict is Verdict.PASS
    assert report.baseline.source == f"record file {tmp_path / 'baseline.json'}"
    with pytest.raises(RecordFileError, match="no such file"):
        run_gate(replace(options, baseline=str(tmp_path / "missing.json")))
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(RecordFileError, match="not valid JSON"):
        run_gate(replace(options, candidate=str(tmp_path / "broken.json")))


def test_run_specs_are_classified() -> None:
    assert parse_run_spec("latest").kind == "latest"
    assert parse_run_spec("latest@origin/main").git_ref == "origin/main"
    assert parse_run_spec("artifacts/baseline.json").kind == "file"
    assert parse_run_spec("run.json").kind == "file"
    assert parse_run_spec("20250301T1200").kind == "id"
    with pytest.raises(GateInputError, match="name a git ref"):
        parse_run_spec("latest@")


def test_runs_without_a_shared_metric_are_told_how_to_record_one(store_root: Path) -> None:
    base = make_record("base")
    cand = make_record("cand", hours=1)
    with pytest.raises(GateInputError) as caught:
        gate(store_root, base, cand)
    message = str(caught.value)
    assert message.startswith("the runs share no per-example metric (baseline: none;")
    assert 'nbgraduate.record("accuracy", per_example_scores, ids=example_ids)' in message
    assert "CONVERSION.md says where" in message


def test_a_metric_recorded_without_ids_is_told_to_add_them(tmp_path: Path) -> None:
    base = make_record("base", MetricSeries(name="accuracy", values=[0.75]))
    cand = make_record("cand", MetricSeries(name="accuracy", values=[0.8]), hours=1)
    with pytest.raises(GateInputError) as caught:
        gate(tmp_path / ".nbgraduate", base, cand)
    assert "metric 'accuracy' was recorded without ids" in str(caught.value)
    assert 'nbgraduate.record("accuracy", per_example_values, ids=example_ids)' in str(caught.value)
