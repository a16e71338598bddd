"""Tests of the calibration statistics: kappa, rank correlation and the paired drift tests."""

from __future__ import annotations

import pytest
from scipy import stats

from nbgraduate.calibrate.agreement import (
    cohen_kappa,
    compare_runs,
    exact_mcnemar,
    label_summary,
    score_summary,
    spearman,
    wilcoxon_signed_rank,
)


def test_cohen_kappa_of_a_textbook_table() -> None:
    # 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no: observed 0.7, chance 0.5, kappa 0.4.
    first = ["yes"] * 25 + ["no"] * 25
    second = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(first, second) == pytest.approx(0.4)


def test_cohen_kappa_is_undefined_when_chance_agreement_is_certain() -> None:
    assert cohen_kappa(["pass"] * 4, ["pass"] * 4) is None
    assert cohen_kappa([], []) is None
    assert cohen_kappa(["a", "b"], ["a", "b"]) == pytest.approx(1.0)


@pytest.mark.parametrize(("lost", "gained"), [(0, 0), (1, 0), (6, 0), (8, 1), (3, 5), (10, 2)])
def test_exact_mcnemar_is_a_two_sided_binomial_test(lost: int, gained: int) -> None:
    expected = 1.0 if lost + gained == 0 else stats.binomtest(lost, lost + gained).pvalue
    assert exact_mcnemar(lost, gained) == pytest.approx(expected)


def test_spearman_matches_scipy_and_is_undefined_for_constant_scores() -> None:
    first, second = [1.0, 2.0, 3.0, 4.0, 5.0], [2.0, 1.0, 4.0, 3.0, 5.0]
    assert spearman(first, second) == pytest.approx(stats.spearmanr(first, second).statistic)
    assert spearman([1.0, 2.0], [3.0, 3.0]) is None
    assert spearman([1.0], [1.0]) is None


def test_wilcoxon_ignores_unchanged_pairs() -> None:
    assert wilcoxon_signed_rank([0.0, 1.0, 2.0], [0.0, 1.0, 2.0]) == 1.0
    worse = wilcoxon_signed_rank([0.0] * 12, [float(n % 3 + 1) for n in range(12)])
    assert worse < 0.01


def test_label_summary_counts_unparseable_as_disagreement_but_not_in_kappa() -> None:
    references = {"a": "pass", "b": "fail", "c": "pass", "d": "fail"}
    summary = label_summary(references, {"a": "pass", "b": "fail", "c": None, "d": "fail"})
    assert (summary.agreed, summary.examples, summary.unparseable) == (3, 4, 1)
    assert summary.agreement == 0.75
    assert summary.kappa == pytest.approx(1.0)


def test_score_summary_is_over_parsed_answers() -> None:
    references = {"a": 1.0, "b": 2.0, "c": 3.0, "d": 4.0}
    summary = score_summary(references, {"a": 1.0, "b": 3.0, "c": None, "d": 4.0})
    assert summary.unparseable == 1
    assert summary.mean_absolute_difference == pytest.approx(1 / 3)
    assert summary.spearman == pytest.approx(1.0)


def test_compare_runs_lists_every_flip_and_tests_agreement() -> None:
    references = {f"e{n}": "pass" for n in range(8)}
    previous = dict(references)
    current = {key: "fail" for key in references} | {"e7": None}
    comparison = compare_runs(
        kind="label",
        references=references,
        previous=previous,
        current=current,
        previous_run_id="run-1",
        confidence=0.95,
    )
    assert [flip.id for flip in comparison.flips] == list(references)
    assert comparison.flips[-1].current is None
    (test,) = comparison.tests
    assert test.p_value == pytest.approx(2 / 2**8)
    assert comparison.significant
    lenient = compare_runs(
        kind="label",
        references=references,
        previous=previous,
        current=current,
        previous_run_id="run-1",
        confidence=0.999,
    )
    assert not lenient.significant


def test_compare_runs_for_scores_also_tests_parseability() -> None:
    references = {f"e{n}": 3.0 for n in range(10)}
    previous = dict(references)
    current = {key: None for key in references}
    comparison = compare_runs(
        kind="score",
        references=references,
        previous=previous,
        current=current,
        previous_run_id="run-1",
        confidence=0.95,
    )
    errors, parsed = comparison.tests
    assert not errors.significant  # nothing to pair
    assert parsed.significant and "10 lost, 0 gained" in parsed.detail
