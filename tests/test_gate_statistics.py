"""Unit tests of the gate's statistics: t, clustered t, McNemar, BCa bootstrap, BH, run bounds."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from nbgraduate.gate.bootstrap import (
    _GROUP_UNITS,
    _add_segment_sums,
    _draw_group_indices,
    _draw_indices,
    _leave_one_cluster_out_medians,
    _leave_one_out_medians,
    _median_from_counts,
    bca_bounds,
    bootstrap_bca,
    resample,
)
from nbgraduate.gate.statistics import (
    benjamini_hochberg,
    cluster_codes,
    describe_run,
    mcnemar,
    paired_t,
)
from nbgraduate.gate.verdicts import decide

SEED = np.random.SeedSequence(20250301)


def seed(key: int = 0) -> np.random.SeedSequence:
    return np.random.SeedSequence(20250301, spawn_key=(key,))


# -- paired t ----------------------------------------------------------------------------------


def test_t_matches_scipy_one_sample_t_against_minus_margin() -> None:
    d = np.random.default_rng(1).normal(-0.01, 0.2, 80)
    estimate = paired_t(d, None, confidence=0.95, margin=0.03)
    reference = stats.ttest_1samp(d, -0.03, alternative="less")
    assert estimate.p_fail == pytest.approx(reference.pvalue, rel=1e-10)
    assert estimate.p_pass == pytest.approx(1 - reference.pvalue, rel=1e-10)
    se = d.std(ddof=1) / math.sqrt(d.size)
    quantile = stats.t.ppf(0.95, d.size - 1)
    assert estimate.upper == pytest.approx(d.mean() + quantile * se)
    assert estimate.lower == pytest.approx(d.mean() - quantile * se)
    assert estimate.df == d.size - 1


@pytest.mark.parametrize("margin", [0.0, 0.01, 0.05])
def test_t_p_values_agree_with_the_bounds(margin: float) -> None:
    rng = np.random.default_rng(2)
    for _ in range(50):
        d = rng.normal(rng.uniform(-0.08, 0.04), 0.1, 40)
        estimate = paired_t(d, None, confidence=0.9, margin=margin)
        assert (estimate.p_fail < 0.1) == (estimate.upper < -margin)
        assert (estimate.p_pass < 0.1) == (estimate.lower > -margin)


def test_identical_runs_give_a_point_and_pass_with_a_positive_margin() -> None:
    d = np.zeros(50)
    estimate = paired_t(d, None, confidence=0.95, margin=0.01)
    assert (estimate.lower, estimate.upper) == (0.0, 0.0)
    assert (estimate.p_fail, estimate.p_pass) == (1.0, 0.0)
    assert estimate.mde == 0.0
    assert all(math.isfinite(x) for x in (estimate.estimate, estimate.p_fail, estimate.p_pass))


def test_identical_runs_with_a_zero_margin_are_inconclusive_not_nan() -> None:
    estimate = paired_t(np.zeros(10), None, confidence=0.95, margin=0.0)
    assert (estimate.p_fail, estimate.p_pass) == (1.0, 1.0)
    assert estimate.n_needed is None


def test_constant_difference_beyond_the_margin_fails_with_certainty() -> None:
    estimate = paired_t(np.full(30, -0.1), None, confidence=0.95, margin=0.05)
    assert (estimate.p_fail, estimate.p_pass) == (0.0, 1.0)
    assert estimate.upper == pytest.approx(-0.1)


def test_single_example_is_undecidable() -> None:
    estimate = paired_t(np.array([0.5]), None, confidence=0.95, margin=0.01)
    assert estimate.lower is None and estimate.upper is None
    assert (estimate.p_fail, estimate.p_pass) == (1.0, 1.0)
    assert "one paired example" in estimate.notes[0]


def test_clustered_t_equals_plain_t_with_one_example_per_cluster() -> None:
    d = np.random.default_rng(3).normal(0, 1, 60)
    plain = paired_t(d, None, confidence=0.95, margin=0.1)
    clustered = paired_t(d, np.arange(60), confidence=0.95, margin=0.1)
    assert clustered.standard_error == pytest.approx(plain.standard_error)
    assert clustered.p_fail == pytest.approx(plain.p_fail)
    assert clustered.clusters == 60


def test_clustered_t_is_the_cr1_sandwich_with_clusters_minus_one_df() -> None:
    rng = np.random.default_rng(4)
    codes = np.repeat(np.arange(12), 5)
    d = rng.normal(0, 0.1, 60) + np.repeat(rng.normal(0, 0.3, 12), 5)
    estimate = paired_t(d, codes, confidence=0.95, margin=0.05)
    residual_sums = np.array([np.sum(d[codes == g] - d.mean()) for g in range(12)])
    expected_se = math.sqrt(12 / 11 * np.sum(residual_sums**2)) / 60
    assert estimate.standard_error == pytest.approx(expected_se)
    assert estimate.df == 11
    # Correlated examples: the cluster-robust error is far above the naive one.
    assert (
        estimate.standard_error > 1.5 * paired_t(d, None, confidence=0.95, margin=0).standard_error
    )


def test_one_cluster_is_undecidable() -> None:
    estimate = paired_t(
        np.array([0.1, 0.2, 0.3]), np.zeros(3, dtype=np.intp), confidence=0.95, margin=0.1
    )
    assert estimate.lower is None and "one cluster" in estimate.notes[0]


def test_cluster_codes_number_clusters_from_zero() -> None:
    codes = cluster_codes(["doc-b", "doc-a", "doc-b"])
    assert codes is not None and codes.tolist() == [1, 0, 1]
    assert cluster_codes(None) is None


def test_examples_needed_makes_the_mde_reach_the_margin() -> None:
    d = np.random.default_rng(5).normal(0, 0.3, 100)
    estimate = paired_t(d, None, confidence=0.95, margin=0.02)
    assert estimate.n_needed is not None and estimate.n_needed > 100
    larger = np.random.default_rng(6).normal(0, 1, estimate.n_needed)
    larger = larger / larger.std(ddof=1) * d.std(ddof=1)
    # Same spread, the suggested n: the MDE has come down to the margin.
    mde = paired_t(larger, None, confidence=0.95, margin=0.02).mde
    assert mde <= 0.02
    assert mde == pytest.approx(0.02, rel=0.01)


# -- McNemar -----------------------------------------------------------------------------------


def outcomes(wins: int, losses: int, ties: int) -> np.ndarray:
    return np.array([1.0] * wins + [-1.0] * losses + [0.0] * ties)


def test_mcnemar_with_zero_margin_is_at_least_as_strict_as_the_exact_test() -> None:
    estimate = mcnemar(outcomes(3, 15, 82), confidence=0.95, margin=0.0)
    exact = stats.binomtest(15, 18, 0.5, alternative="greater").pvalue
    # McNemar's exact p-value, unless the continuity-corrected score test is stricter.
    corrected_z = (15 - 3 - 1) / math.sqrt(18)
    assert estimate.p_fail == pytest.approx(max(exact, stats.norm.sf(corrected_z)))
    assert estimate.estimate == pytest.approx(-0.12)
    assert estimate.upper < 0


def test_mcnemar_with_a_margin_uses_the_discordant_pairs() -> None:
    # 24 lost, 2 won of 240: a drop of 9 points, far beyond a 3-point margin.
    estimate = mcnemar(outcomes(2, 24, 214), confidence=0.95, margin=0.03)
    psi = 26 / 240
    exact = stats.binomtest(24, 26, (1 + 0.03 / psi) / 2, alternative="greater").pvalue
    assert estimate.p_fail >= exact
    assert estimate.p_fail < 0.01
    assert estimate.lower < estimate.estimate < estimate.upper < -0.03


def test_mcnemar_all_pass_versus_all_pass_depends_on_n_not_certainty() -> None:
    # No discordant pair: with 3 examples a big drop is still plausible; with 500 it is not.
    few = mcnemar(np.zeros(3), confidence=0.95, margin=0.05)
    many = mcnemar(np.zeros(500), confidence=0.95, margin=0.05)
    assert few.p_pass >= 0.05 and few.lower is not None and few.lower < -0.05
    assert many.p_pass < 0.05 and many.lower > -0.05
    assert few.p_fail == many.p_fail == 1.0
    assert math.isfinite(few.mde) and few.n_needed is not None


def test_mcnemar_single_example() -> None:
    estimate = mcnemar(np.array([-1.0]), confidence=0.95, margin=0.1)
    assert (estimate.p_fail >= 0.05) and (estimate.p_pass >= 0.05)
    assert estimate.lower == pytest.approx(-1.0) and estimate.upper <= 1


@pytest.mark.parametrize("margin", [0.0, 0.02, 0.1])
def test_mcnemar_p_values_agree_with_the_bounds(margin: float) -> None:
    rng = np.random.default_rng(7)
    for _ in range(60):
        n = int(rng.integers(20, 400))
        p_win, p_loss = rng.uniform(0, 0.2, 2)
        d = rng.choice([1.0, -1.0, 0.0], size=n, p=[p_win, p_loss, 1 - p_win - p_loss])
        estimate = mcnemar(d, confidence=0.9, margin=margin)
        assert estimate.lower <= estimate.estimate <= estimate.upper
        if abs(estimate.upper + margin) > 1e-9:
            assert (estimate.p_fail < 0.1) == (estimate.upper < -margin)
        if abs(estimate.lower + margin) > 1e-9:
            assert (estimate.p_pass < 0.1) == (estimate.lower > -margin)


# -- bootstrap ---------------------------------------------------------------------------------


def test_bca_matches_scipy_on_skewed_data() -> None:
    data = np.random.default_rng(8).exponential(size=60) - 1
    distribution = resample(data, None, statistic="mean", n_resamples=20_000, seed=seed())
    lower, upper = bca_bounds(distribution, 0.95)
    reference = stats.bootstrap(
        (data,),
        np.mean,
        confidence_level=0.90,
        n_resamples=20_000,
        method="BCa",
        rng=np.random.default_rng(9),
    ).confidence_interval
    assert lower == pytest.approx(reference.low, abs=0.02)
    assert upper == pytest.approx(reference.high, abs=0.02)


def test_bca_on_discrete_data_where_scipy_gives_nan_gives_the_degenerate_interval() -> None:
    data = np.random.default_rng(10).integers(-2, 3, 400).astype(float)
    estimate = bootstrap_bca(
        data, None, statistic="median", confidence=0.95, margin=0.5, n_resamples=2000, seed=seed()
    )
    assert (estimate.lower, estimate.upper) == (0.0, 0.0)
    assert estimate.p_pass < 0.05 and estimate.p_fail > 0.5


def test_bootstrap_of_constant_differences_is_handled_before_resampling() -> None:
    estimate = bootstrap_bca(
        np.full(40, 0.25),
        None,
        statistic="mean",
        confidence=0.95,
        margin=0.0,
        n_resamples=1000,
        seed=seed(),
    )
    assert (estimate.lower, estimate.upper, estimate.p_pass) == (0.25, 0.25, 0.0)


def test_bootstrap_single_example_is_undecidable() -> None:
    estimate = bootstrap_bca(
        np.array([0.3]),
        None,
        statistic="mean",
        confidence=0.95,
        margin=0.0,
        n_resamples=1000,
        seed=seed(),
    )
    assert estimate.lower is None and (estimate.p_fail, estimate.p_pass) == (1.0, 1.0)


def test_bootstrap_is_reproducible_for_a_seed_and_changes_with_it() -> None:
    data = np.random.default_rng(11).normal(size=500)
    same = seed(1)
    first = resample(data, None, statistic="mean", n_resamples=1000, seed=same)
    again = resample(data, None, statistic="mean", n_resamples=1000, seed=same)
    other = resample(data, None, statistic="mean", n_resamples=1000, seed=seed(2))
    assert np.array_equal(first.replicates, again.replicates)
    assert not np.array_equal(first.replicates, other.replicates)


@pytest.mark.parametrize(
    "units",
    [7, 100_000, 2**31 + 1],
    ids=["few units", "100k units", "half the words rejected"],
)
def test_drawn_indices_are_uniform_and_in_range(units: int) -> None:
    # 2**31 + 1 units: a word is kept only below 2**31 + 1, so about half the words are drawn
    # again, which exercises the rejection path on every batch.
    generator = np.random.default_rng(seed(5))
    drawn = _draw_indices(generator, units, (40, 5_000)).ravel()
    assert drawn.dtype == np.uint32
    assert int(drawn.max()) < units
    bins = 7 if units == 7 else 16
    counts = np.bincount(drawn.astype(np.int64) * bins // units, minlength=bins)
    # Equal-width bins over [0, units) hold equal shares (the last one is at most one index
    # wider or narrower than the rest).
    expected = drawn.size / bins
    assert stats.chisquare(counts, np.full(bins, expected)).pvalue > 0.001


def test_drawn_indices_are_the_same_for_a_seed() -> None:
    first = _draw_indices(np.random.default_rng(seed(6)), 2**31 + 1, (3, 1000))
    again = _draw_indices(np.random.default_rng(seed(6)), 2**31 + 1, (3, 1000))
    other = _draw_indices(np.random.default_rng(seed(7)), 2**31 + 1, (3, 1000))
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def test_index_resampling_matches_the_bootstrap_distribution_of_the_mean() -> None:
    # The bootstrap mean of n values has mean x.mean() and variance x.var() / n exactly;
    # 20,000 resamples pin its standard deviation to about 1%.
    data = np.random.default_rng(18).exponential(size=2_000)
    replicates = resample(data, None, statistic="mean", n_resamples=20_000, seed=seed(8))
    values = replicates.replicates
    assert np.mean(values) == pytest.approx(np.mean(data), abs=3 * np.std(data) / 2000**0.5 / 100)
    assert np.std(values) == pytest.approx(np.std(data) / 2000**0.5, rel=0.03)


@pytest.mark.parametrize(
    "units", [_GROUP_UNITS, 1_696, 3], ids=["a whole group", "the last group", "three units"]
)
def test_group_indices_are_uniform_and_in_range(units: int) -> None:
    # A whole group is masked from 16-bit words; any other size goes through rejection.
    drawn = _draw_group_indices(np.random.default_rng(seed(9)), units, 200_000)
    assert drawn.dtype == np.intp
    assert drawn.size == 200_000
    assert int(drawn.min()) >= 0 and int(drawn.max()) < units
    bins = 3 if units == 3 else 16
    counts = np.bincount(drawn * bins // units, minlength=bins)
    expected = np.bincount(np.arange(units) * bins // units, minlength=bins) / units * drawn.size
    assert stats.chisquare(counts, expected).pvalue > 0.001


def test_group_indices_are_the_same_for_a_seed() -> None:
    first = _draw_group_indices(np.random.default_rng(seed(6)), 1_696, 5_000)
    again = _draw_group_indices(np.random.default_rng(seed(6)), 1_696, 5_000)
    assert np.array_equal(first, again)


def test_segment_sums_leave_rows_without_draws_at_zero() -> None:
    totals = np.array([10.0, 20.0, 30.0, 40.0])
    values = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    # Rows 0 and 3 (the last, where reduceat would be out of range) draw nothing.
    _add_segment_sums(totals, values, np.array([0, 2, 3, 0]))
    assert totals.tolist() == [10.0, 23.0, 42.0, 40.0]


def test_resampling_across_groups_matches_the_bootstrap_distribution_of_the_mean() -> None:
    # 10,000 units: two whole groups and a last one of 1,808, each with its own values (sorted,
    # so a group drawn too often or too rarely would move the mean and widen the spread).
    data = np.sort(np.random.default_rng(19).exponential(size=10_000))
    replicates = resample(data, None, statistic="mean", n_resamples=20_000, seed=seed(10))
    values = replicates.replicates
    assert np.mean(values) == pytest.approx(np.mean(data), abs=3 * np.std(data) / 100 / 100)
    assert np.std(values) == pytest.approx(np.std(data) / 100, rel=0.03)


def test_cluster_bootstrap_across_groups_matches_the_clustered_t() -> None:
    # 6,000 clusters of one to three examples: cluster sums and sizes gathered across groups.
    rng = np.random.default_rng(20)
    sizes = rng.integers(1, 4, 6_000)
    codes = np.repeat(np.arange(6_000), sizes)
    d = np.sort(rng.normal(0, 0.05, codes.size) + np.repeat(rng.normal(0, 0.3, 6_000), sizes))
    clustered = bootstrap_bca(
        d, codes, statistic="mean", confidence=0.95, margin=0.0, n_resamples=4000, seed=seed()
    )
    t_clustered = paired_t(d, codes, confidence=0.95, margin=0.0)
    assert clustered.clusters == 6_000
    assert clustered.estimate == pytest.approx(np.mean(d))
    assert clustered.standard_error == pytest.approx(t_clustered.standard_error, rel=0.06)


def test_multinomial_and_index_resampling_give_the_same_distribution() -> None:
    # 3 distinct values among 3,000 units: counts of distinct values are resampled.
    rng = np.random.default_rng(12)
    discrete = rng.choice([-1.0, 0.0, 1.0], size=3000, p=[0.2, 0.6, 0.2])
    by_counts = resample(discrete, None, statistic="mean", n_resamples=4000, seed=seed(3))
    # The same data with a negligible jitter has 3,000 distinct values: resampled by index.
    jittered = discrete + rng.normal(0, 1e-9, discrete.size)
    by_index = resample(jittered, None, statistic="mean", n_resamples=4000, seed=seed(4))
    assert np.std(by_counts.replicates) == pytest.approx(np.std(by_index.replicates), rel=0.06)
    assert np.mean(by_counts.replicates) == pytest.approx(np.mean(by_index.replicates), abs=0.002)
    assert np.std(by_counts.replicates) == pytest.approx(
        np.std(discrete) / math.sqrt(3000), rel=0.06
    )


def test_cluster_bootstrap_is_wider_for_correlated_examples() -> None:
    rng = np.random.default_rng(13)
    codes = np.repeat(np.arange(40), 10)
    d = rng.normal(0, 0.05, 400) + np.repeat(rng.normal(0, 0.3, 40), 10)
    clustered = bootstrap_bca(
        d, codes, statistic="mean", confidence=0.95, margin=0.0, n_resamples=2000, seed=seed()
    )
    naive = bootstrap_bca(
        d, None, statistic="mean", confidence=0.95, margin=0.0, n_resamples=2000, seed=seed()
    )
    assert clustered.clusters == 40
    assert clustered.standard_error > 2 * naive.standard_error
    t_clustered = paired_t(d, codes, confidence=0.95, margin=0.0)
    assert clustered.standard_error == pytest.approx(t_clustered.standard_error, rel=0.15)


def test_cluster_bootstrap_of_the_median_runs() -> None:
    rng = np.random.default_rng(14)
    codes = np.repeat(np.arange(30), 4)
    d = rng.normal(0, 1, 120) + np.repeat(rng.normal(0, 1, 30), 4)
    estimate = bootstrap_bca(
        d, codes, statistic="median", confidence=0.95, margin=0.2, n_resamples=1000, seed=seed()
    )
    assert estimate.lower < estimate.estimate < estimate.upper
    assert estimate.estimate == pytest.approx(np.median(d))


def test_jackknife_medians_match_brute_force() -> None:
    rng = np.random.default_rng(15)
    for n in (2, 5, 6, 31):
        ordered = np.sort(rng.normal(size=n))
        expected = [np.median(np.delete(ordered, i)) for i in range(n)]
        assert np.allclose(_leave_one_out_medians(ordered), expected)
    d = rng.normal(size=57)
    codes = rng.integers(0, 9, size=57)
    order = np.argsort(d, kind="stable")
    expected = [np.median(d[codes != g]) for g in range(9)]
    assert np.allclose(_leave_one_cluster_out_medians(d[order], codes[order], 9), expected)


def test_median_from_counts_matches_numpy() -> None:
    rng = np.random.default_rng(16)
    values = np.array([-2.0, -0.5, 0.0, 1.0, 3.0])
    counts = rng.integers(0, 4, size=(200, 5))
    counts[:, 0] += 1
    expected = [np.median(np.repeat(values, row)) for row in counts]
    assert np.allclose(_median_from_counts(counts, values), expected)


def test_bootstrap_p_values_agree_with_the_bounds() -> None:
    rng = np.random.default_rng(17)
    for key in range(25):
        d = rng.exponential(0.2, 60) - rng.uniform(0.1, 0.3)
        estimate = bootstrap_bca(
            d, None, statistic="mean", confidence=0.9, margin=0.05, n_resamples=1000, seed=seed(key)
        )
        assert (estimate.p_fail < 0.1) == (estimate.upper < -0.05)
        assert (estimate.p_pass < 0.1) == (estimate.lower > -0.05)


# -- several metrics, one run ------------------------------------------------------------------


def test_benjamini_hochberg_is_scipys_and_leaves_one_p_value_alone() -> None:
    p = [0.01, 0.04, 0.03, 0.2]
    assert benjamini_hochberg(p) == pytest.approx(stats.false_discovery_control(p).tolist())
    assert benjamini_hochberg([0.03]) == [0.03]


def test_bh_turns_a_marginal_fail_inconclusive_when_several_metrics_are_gated() -> None:
    rng = np.random.default_rng(18)
    marginal = rng.normal(0, 1, 200)
    marginal = (marginal - marginal.mean()) / marginal.std(ddof=1) * 0.3 - 0.05 - 0.038
    clear_pass = rng.normal(0.0, 0.05, 200)
    alone = paired_t(marginal, None, confidence=0.95, margin=0.05)
    assert 0.025 < alone.p_fail < 0.05
    decisions = decide([alone, paired_t(clear_pass, None, confidence=0.95, margin=0.05)], 0.95)
    assert [d.verdict.value for d in decide([alone], 0.95)] == ["FAIL"]
    assert decisions[0].verdict.value == "INCONCLUSIVE"
    assert decisions[0].p_fail_adjusted == pytest.approx(2 * alone.p_fail)
    assert "Benjamini-Hochberg" in (decisions[0].note or "")
    assert decisions[1].verdict.value == "PASS"


def test_describe_run_bounds() -> None:
    values = np.array([0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0])
    proportion = describe_run(values, None, confidence=0.95, kind="proportion")
    assert proportion.center == 0.75
    assert proportion.lower == pytest.approx(stats.beta.ppf(0.05, 6, 3))
    mean = describe_run(values, None, confidence=0.95, kind="mean")
    assert mean.lower < 0.75 < mean.upper
    median = describe_run(np.arange(20.0), None, confidence=0.95, kind="median")
    assert median.lower < 9.5 < median.upper
    assert describe_run(np.array([2.0]), None, confidence=0.95, kind="mean").lower is None
    assert describe_run(np.array([2.0, 2.0]), None, confidence=0.95, kind="mean").upper == 2.0
