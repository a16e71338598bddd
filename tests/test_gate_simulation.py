"""The gate's statistical promises, proven by simulation (seeded, a few seconds in all).

For each method: with no true regression, even at the worst case (a true difference exactly
at -margin), the FAIL rate stays at or below 1 - confidence; with a true drop of twice the
margin at the sample size the gate's own MDE calls enough, FAIL comes at least 80% of the time.
Each assertion allows for simulation error with a one-sided binomial test at level 0.001, so a
correct gate fails these tests about once in a thousand seeds, and a gate that is off by a
few points fails them reliably.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from scipy import stats

from nbgraduate.gate.bootstrap import bootstrap_bca
from nbgraduate.gate.statistics import Estimate, mcnemar, paired_t
from nbgraduate.gate.verdicts import decide

CONFIDENCE = 0.95
ALPHA = 1 - CONFIDENCE
MARGIN = 0.05
#: The level of the binomial tests that allow for simulation error.
SIMULATION_LEVEL = 0.001

Gate = Callable[[np.ndarray, int], Estimate]


def fail_count(
    gate: Gate, draw: Callable[[np.random.Generator], np.ndarray], runs: int, seed: int
) -> int:
    rng = np.random.default_rng(seed)
    count = 0
    for index in range(runs):
        estimate = gate(draw(rng), index)
        [decision] = decide([estimate], CONFIDENCE)
        count += decision.verdict.value == "FAIL"
    return count


def assert_fail_rate_at_most_alpha(fails: int, runs: int) -> None:
    p_value = stats.binomtest(fails, runs, ALPHA, alternative="greater").pvalue
    assert p_value > SIMULATION_LEVEL, f"FAIL rate {fails / runs:.3f} is above {ALPHA}"


def assert_power_at_least_80_percent(fails: int, runs: int) -> None:
    p_value = stats.binomtest(fails, runs, 0.8, alternative="less").pvalue
    assert p_value > SIMULATION_LEVEL, f"FAIL rate {fails / runs:.3f} is below 0.8"


def t_gate(d: np.ndarray, _index: int) -> Estimate:
    return paired_t(d, None, confidence=CONFIDENCE, margin=MARGIN)


def mcnemar_gate(d: np.ndarray, _index: int) -> Estimate:
    return mcnemar(d, confidence=CONFIDENCE, margin=MARGIN)


def bootstrap_gate(resamples: int) -> Gate:
    def gate(d: np.ndarray, index: int) -> Estimate:
        return bootstrap_bca(
            d,
            None,
            statistic="mean",
            confidence=CONFIDENCE,
            margin=MARGIN,
            n_resamples=resamples,
            seed=np.random.SeedSequence(7, spawn_key=(index,)),
        )

    return gate


def normal_differences(true_difference: float, n: int, sd: float = 0.3):
    return lambda rng: rng.normal(true_difference, sd, n)


def skewed_differences(true_difference: float, n: int, sd: float = 0.3):
    # Exponential noise: a long right tail, where a plain percentile interval is off.
    return lambda rng: rng.exponential(sd, n) - sd + true_difference


def pass_fail_differences(p_win: float, p_loss: float, n: int):
    return lambda rng: rng.choice([1.0, -1.0, 0.0], size=n, p=[p_win, p_loss, 1 - p_win - p_loss])


def needed_from_pilot(gate: Gate, pilot: np.ndarray) -> int:
    estimate = gate(pilot, 10_000)
    assert estimate.n_needed is not None and estimate.mde is not None
    return estimate.n_needed


# -- no regression: FAIL at most 1 - confidence ---------------------------------------------------


@pytest.mark.parametrize("true_difference", [0.0, -MARGIN], ids=["no-change", "at-margin"])
def test_t_fail_rate_without_regression(true_difference: float) -> None:
    runs = 1000
    fails = fail_count(t_gate, normal_differences(true_difference, 50), runs, seed=1)
    assert_fail_rate_at_most_alpha(fails, runs)
    if true_difference == 0:
        assert fails <= 5  # far inside the margin: FAIL is rare indeed


def test_clustered_t_keeps_the_fail_rate_where_the_naive_t_does_not() -> None:
    runs = 600
    clusters, per_cluster = 30, 6
    codes = np.repeat(np.arange(clusters), per_cluster)

    def draw(rng: np.random.Generator) -> np.ndarray:
        shared = np.repeat(rng.normal(0, 0.3, clusters), per_cluster)
        return -MARGIN + shared + rng.normal(0, 0.1, clusters * per_cluster)

    def clustered(d: np.ndarray, _index: int) -> Estimate:
        return paired_t(d, codes, confidence=CONFIDENCE, margin=MARGIN)

    fails = fail_count(clustered, draw, runs, seed=2)
    assert_fail_rate_at_most_alpha(fails, runs)
    naive = fail_count(t_gate, draw, runs, seed=2)
    assert naive > 3 * ALPHA * runs  # ignoring the clusters would block many good releases


@pytest.mark.parametrize("true_difference", [0.0, -MARGIN], ids=["no-change", "at-margin"])
def test_bootstrap_fail_rate_without_regression(true_difference: float) -> None:
    runs = 400
    gate = bootstrap_gate(resamples=500)
    fails = fail_count(gate, skewed_differences(true_difference, 100), runs, seed=3)
    assert_fail_rate_at_most_alpha(fails, runs)


@pytest.mark.parametrize(
    ("p_win", "p_loss"),
    [(0.08, 0.08), (0.08 - MARGIN / 2, 0.08 + MARGIN / 2), (0.0, 0.0)],
    ids=["no-change", "at-margin", "all-agree"],
)
def test_mcnemar_fail_rate_without_regression(p_win: float, p_loss: float) -> None:
    runs = 1000
    fails = fail_count(mcnemar_gate, pass_fail_differences(p_win, p_loss, 300), runs, seed=4)
    assert_fail_rate_at_most_alpha(fails, runs)


def test_mcnemar_pass_rate_when_the_drop_is_exactly_the_margin() -> None:
    # The mirror image: the PASS test must not call a margin-sized drop non-inferior more
    # than 1 - confidence of the time, even when few pairs disagree.
    runs = 1000
    rng = np.random.default_rng(5)
    draw = pass_fail_differences(0.0, MARGIN, 120)
    passes = 0
    for _ in range(runs):
        [decision] = decide([mcnemar_gate(draw(rng), 0)], CONFIDENCE)
        passes += decision.verdict.value == "PASS"
    assert stats.binomtest(passes, runs, ALPHA, alternative="greater").pvalue > SIMULATION_LEVEL


# -- a drop of twice the margin, at the n the MDE calls enough: FAIL at least 80% ---------------


def test_t_power_at_the_suggested_sample_size() -> None:
    pilot = normal_differences(-2 * MARGIN, 2000)(np.random.default_rng(6))
    n = needed_from_pilot(t_gate, pilot)
    runs = 1000
    fails = fail_count(t_gate, normal_differences(-2 * MARGIN, n), runs, seed=7)
    assert_power_at_least_80_percent(fails, runs)


def test_bootstrap_power_at_the_suggested_sample_size() -> None:
    gate = bootstrap_gate(resamples=1000)
    pilot = skewed_differences(-2 * MARGIN, 2000)(np.random.default_rng(8))
    n = needed_from_pilot(bootstrap_gate(resamples=10_000), pilot)
    runs = 400
    fails = fail_count(gate, skewed_differences(-2 * MARGIN, n), runs, seed=9)
    assert_power_at_least_80_percent(fails, runs)


def test_mcnemar_power_at_the_suggested_sample_size() -> None:
    draw_pilot = pass_fail_differences(0.04, 0.04 + 2 * MARGIN, 2000)
    n = needed_from_pilot(mcnemar_gate, draw_pilot(np.random.default_rng(10)))
    runs = 1000
    fails = fail_count(
        mcnemar_gate, pass_fail_differences(0.04, 0.04 + 2 * MARGIN, n), runs, seed=11
    )
    assert_power_at_least_80_percent(fails, runs)
