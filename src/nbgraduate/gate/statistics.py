"""Paired tests of "the candidate is no worse than the baseline by more than the margin".

Every test here takes the paired differences ``d`` (candidate minus baseline, sign already
flipped for lower-is-better metrics, so larger is better) and returns an :class:`Estimate`:
one-sided lower and upper confidence bounds and the p-values of the two one-sided tests

* FAIL test, H0: true difference >= -margin (reject: a regression beyond the margin), and
* PASS test, H0: true difference <= -margin (reject: non-inferior within the margin),

made so that, for one metric, ``p_fail < 1 - confidence`` exactly when ``upper < -margin`` and
``p_pass < 1 - confidence`` exactly when ``lower > -margin``. The p-values are what the
Benjamini-Hochberg step adjusts when several metrics are gated at once.

scipy is imported inside the functions: importing nbgraduate (the linter's start-up) must not
pay for it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "POWER",
    "Estimate",
    "RunSummary",
    "benjamini_hochberg",
    "cluster_codes",
    "constant_difference",
    "describe_run",
    "examples_needed",
    "is_binary",
    "mcnemar",
    "paired_t",
    "undecidable",
]

#: The power the minimum detectable effect and the examples needed are computed for.
POWER = 0.8
#: A finite stand-in for an infinite score (a zero null variance), so root finding still works.
_LARGE = 1e12


@dataclass(frozen=True)
class Estimate:
    """One metric's paired difference, its bounds and the two one-sided p-values."""

    method: str
    statistic: str
    estimate: float
    #: One-sided bounds, each at the requested confidence; ``None`` when not estimable.
    lower: float | None
    upper: float | None
    p_fail: float
    p_pass: float
    standard_error: float | None = None
    df: float | None = None
    #: The smallest distance between the true difference and ``-margin`` that this n decides
    #: (PASS above it, FAIL below it) with probability :data:`POWER`.
    mde: float | None = None
    #: Examples needed for the MDE to reach the margin, so that no change PASSes and a drop of
    #: twice the margin FAILs, each with probability :data:`POWER`.
    n_needed: int | None = None
    clusters: int | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunSummary:
    """One run's mean (or median, or pass rate) on the paired examples, with its bounds."""

    center: float
    lower: float | None
    upper: float | None


def is_binary(values: np.ndarray) -> bool:
    """Whether every value is 0 or 1 (a pass/fail metric)."""
    return bool(np.all((values == 0) | (values == 1)))


def cluster_codes(clusters: Sequence[str] | None) -> np.ndarray | None:
    """Cluster keys as integer codes ``0..G-1``, or ``None`` without clusters."""
    if clusters is None:
        return None
    _, codes = np.unique(np.asarray(clusters, dtype=str), return_inverse=True)
    return codes.astype(np.intp).ravel()


def _cluster_count(d: np.ndarray, codes: np.ndarray | None) -> int:
    return d.size if codes is None else int(codes.max()) + 1


# -- degenerate data -------------------------------------------------------------------------


def undecidable(
    method: str, statistic: str, estimate: float, reason: str, clusters: int | None = None
) -> Estimate:
    """A difference whose variability cannot be estimated (one example, one cluster)."""
    return Estimate(
        method=method,
        statistic=statistic,
        estimate=estimate,
        lower=None,
        upper=None,
        p_fail=1.0,
        p_pass=1.0,
        clusters=clusters,
        notes=(reason,),
    )


def constant_difference(
    method: str, statistic: str, value: float, n: int, margin: float, clusters: int | None = None
) -> Estimate:
    """Every paired difference equals ``value``: the bounds are that value, the verdict certain.

    This is the identical-runs case. Handled before any test: a t statistic would divide by a
    zero standard error and a BCa interval would be NaN.
    """
    fails = value < -margin
    passes = value > -margin
    return Estimate(
        method=method,
        statistic=statistic,
        estimate=value,
        lower=value,
        upper=value,
        p_fail=0.0 if fails else 1.0,
        p_pass=0.0 if passes else 1.0,
        standard_error=0.0,
        mde=0.0,
        n_needed=n if (fails or passes) else None,
        clusters=clusters,
        notes=(f"every paired difference is {value:g}: the bounds are that value",),
    )


# -- paired t --------------------------------------------------------------------------------


def paired_t(
    d: np.ndarray, codes: np.ndarray | None, *, confidence: float, margin: float
) -> Estimate:
    """Paired t on the mean difference; cluster-robust when ``codes`` groups the examples.

    With clusters the standard error is the CR1 sandwich for a mean: the residuals are summed
    within each cluster, ``se^2 = G/(G-1) * sum_g (sum_{i in g} (d_i - mean))^2 / n^2``, and the
    t distribution has ``G - 1`` degrees of freedom. With every example in its own cluster
    this is exactly the ordinary paired t.
    """
    from scipy import stats

    n = d.size
    mean = float(np.mean(d))
    clusters = _cluster_count(d, codes)
    shown_clusters = None if codes is None else clusters
    if n < 2:
        return undecidable("t", "mean", mean, _ONE_EXAMPLE)
    if codes is not None and clusters < 2:
        return undecidable("t", "mean", mean, _ONE_CLUSTER, shown_clusters)
    if np.ptp(d) == 0:
        return constant_difference("t", "mean", mean, n, margin, shown_clusters)
    if codes is None:
        se = float(np.std(d, ddof=1)) / math.sqrt(n)
        df = n - 1
    else:
        residual_sums = np.bincount(codes, weights=d - mean, minlength=clusters)
        se = math.sqrt(clusters / (clusters - 1) * float(residual_sums @ residual_sums)) / n
        df = clusters - 1
    if not se > 0:
        # Clusters whose residuals cancel exactly: no between-cluster variability to measure.
        return constant_difference("t", "mean", mean, n, margin, shown_clusters)
    quantile = float(stats.t.ppf(confidence, df))
    t_fail = (mean + margin) / se
    p_fail = float(stats.t.cdf(t_fail, df))
    p_pass = float(stats.t.sf(t_fail, df))

    def power_quantiles(examples: float) -> float:
        degrees = max(1.0, examples * clusters / n - 1)
        return float(stats.t.ppf(confidence, degrees) + stats.t.ppf(POWER, degrees))

    return Estimate(
        method="t",
        statistic="mean",
        estimate=mean,
        lower=mean - quantile * se,
        upper=mean + quantile * se,
        p_fail=p_fail,
        p_pass=p_pass,
        standard_error=se,
        df=float(df),
        mde=power_quantiles(n) * se,
        n_needed=examples_needed(se, n, margin, power_quantiles),
        clusters=shown_clusters,
    )


def examples_needed(
    standard_error: float,
    n: int,
    margin: float,
    power_quantiles: Callable[[float], float],
) -> int | None:
    """Examples for which ``power_quantiles(n') * se(n') <= margin``, with ``se`` ~ 1/sqrt(n).

    ``standard_error`` is the one at ``n``; pass the MDE itself and a constant 1 for tests
    whose MDE has no closed form.

    ``None`` for a zero margin: no finite sample tells "no change" from "a change of zero".
    """
    if margin <= 0 or not math.isfinite(standard_error):
        return None
    spread = standard_error * math.sqrt(n)
    needed = float(n)
    for _ in range(50):
        target = max(2.0, math.ceil((power_quantiles(needed) * spread / margin) ** 2))
        if target == needed:
            break
        needed = target
    return int(needed)


# -- McNemar ---------------------------------------------------------------------------------


def mcnemar(d: np.ndarray, *, confidence: float, margin: float) -> Estimate:
    """Pass/fail metrics: the exact McNemar test, checked by a score test when there is a margin.

    ``d`` is -1 (the candidate lost the example), 0 (same outcome) or +1 (it won it). The
    difference in pass rates is ``delta = (wins - losses) / n`` on the sample, and in the
    population ``delta = psi * (1 - 2 * pi)``, with ``psi`` the share of discordant pairs and
    ``pi`` the share of losses among them. Two tests must agree before a verdict; each p-value
    is the larger of the two and each bound the less extreme (rejecting only when both do
    never rejects more often than either test alone):

    1. The exact binomial test on the discordant pairs: given their number, the losses are
       binomial in ``pi``, and ``delta < -margin`` means ``pi > (1 + margin / psi) / 2``; the
       threshold uses the observed ``psi``. With a zero margin this is exactly McNemar's exact
       test. Its bounds are the one-sided Clopper-Pearson bounds on ``pi`` translated the same
       way: ``psi * (1 - 2 * pi_lo)`` and ``psi * (1 - 2 * pi_hi)``.
    2. Tango's (1998) score test for the paired difference of proportions, with the variance
       from the maximum likelihood fit under the null and a continuity correction of one
       pair; its bounds invert it. With a margin, (1) alone ignores that ``psi`` is
       estimated (at the margin it can FAIL up to about 8% of the time at 95% confidence),
       and with no discordant pair at all it has nothing to say, while (2) does (two all-pass
       runs of 3 examples stay INCONCLUSIVE, of 200 they PASS a 0.05 margin). Summing the
       exact trinomial probabilities over every outcome, on a grid of n from 10 to 2,000,
       margins from 0 to 0.4 and discordance rates from 0 to 100%, the continuity-corrected
       score test's error rate at the margin stays below ``1 - confidence`` (at most 4.8% at
       95%); without the correction it reaches 8%.
    """
    from scipy import stats

    n = d.size
    wins = int(np.count_nonzero(d > 0))
    losses = int(np.count_nonzero(d < 0))
    discordant = wins + losses
    estimate = (wins - losses) / n
    alpha = 1.0 - confidence
    z = float(stats.norm.ppf(confidence))

    # (1) the exact binomial test on the discordant pairs, threshold from the observed psi.
    if discordant == 0:
        exact_fail, exact_pass = 1.0, (0.0 if margin > 0 else 1.0)
        exact_lower = exact_upper = 0.0
    else:
        psi = discordant / n
        threshold = (1 + margin / psi) / 2
        if threshold > 1:
            # Even if every discordant pair were a loss, the drop would be within the margin.
            exact_fail, exact_pass = 1.0, 0.0
        else:
            exact_fail = float(
                stats.binomtest(losses, discordant, threshold, alternative="greater").pvalue
            )
            exact_pass = float(
                stats.binomtest(losses, discordant, threshold, alternative="less").pvalue
            )
        pi_lo, pi_hi = _clopper_pearson(losses, discordant, alpha)
        exact_upper = psi * (1 - 2 * pi_lo)
        exact_lower = psi * (1 - 2 * pi_hi)

    # (2) Tango's score test, continuity-corrected.
    score = _tango_z(wins, losses, n, -margin)
    score_fail = float(stats.norm.cdf(score))
    score_pass = float(stats.norm.sf(score))
    score_upper = _tango_bound(wins, losses, n, -z, estimate, 1.0)
    score_lower = _tango_bound(wins, losses, n, z, estimate, -1.0)

    upper = max(exact_upper, score_upper)
    lower = min(exact_lower, score_lower)
    # The bounds are not symmetric: take the wider side as z standard errors and add the
    # power quantile's worth of the same error.
    half_width = max(upper - estimate, estimate - lower)
    effective_se = half_width / z
    mde = half_width + float(stats.norm.ppf(POWER)) * effective_se
    return Estimate(
        method="mcnemar",
        statistic="mean",
        estimate=estimate,
        lower=lower,
        upper=upper,
        p_fail=max(exact_fail, score_fail),
        p_pass=max(exact_pass, score_pass),
        standard_error=effective_se,
        mde=mde,
        n_needed=examples_needed(mde, n, margin, lambda _examples: 1.0),
        notes=(f"{wins} won, {losses} lost, {n - discordant} unchanged (discordant pairs decide)",),
    )


def _tango_z(wins: int, losses: int, n: int, delta0: float) -> float:
    """Tango's score statistic for ``H0: p_win - p_loss = delta0``, continuity-corrected.

    The variance of one pair's difference, ``p_win + p_loss - delta0^2``, is taken at the
    maximum likelihood ``p_loss = q`` under the null, the root in ``[max(0, -delta0),
    (1 - delta0) / 2]`` of ``2n q^2 - B q - C = 0`` with ``B = wins (1 - delta0) + losses
    (1 - 3 delta0) - 2 ties delta0`` and ``C = losses delta0 (1 - delta0)``.
    """
    ties = n - wins - losses
    b = wins * (1 - delta0) + losses * (1 - 3 * delta0) - 2 * ties * delta0
    c = losses * delta0 * (1 - delta0)
    q = (b + math.sqrt(max(b * b + 8 * n * c, 0.0))) / (4 * n)
    q = min(max(q, max(0.0, -delta0)), (1 - delta0) / 2)
    variance = 2 * q + delta0 - delta0 * delta0
    gap = (wins - losses) - n * delta0
    corrected = math.copysign(max(abs(gap) - 1.0, 0.0), gap)
    if corrected == 0:
        return 0.0
    if variance <= 0:
        return math.copysign(_LARGE, corrected)
    return corrected / math.sqrt(n * variance)


def _tango_bound(
    wins: int, losses: int, n: int, target: float, estimate: float, end: float
) -> float:
    """The ``delta0`` between ``estimate`` and ``end`` (+1 or -1) where the score is ``target``."""
    from scipy import optimize

    def distance(delta0: float) -> float:
        return _tango_z(wins, losses, n, delta0) - target

    if estimate == end or distance(end) * distance(estimate) > 0:
        return end
    return float(optimize.brentq(distance, estimate, end, xtol=1e-12))


def _clopper_pearson(successes: int, trials: int, alpha: float) -> tuple[float, float]:
    """One-sided exact bounds on a binomial proportion, each at level ``1 - alpha``."""
    from scipy import stats

    if trials == 0:
        return 0.0, 1.0
    lower = (
        0.0 if successes == 0 else float(stats.beta.ppf(alpha, successes, trials - successes + 1))
    )
    upper = (
        1.0
        if successes == trials
        else float(stats.beta.ppf(1 - alpha, successes + 1, trials - successes))
    )
    return lower, upper


# -- one run ---------------------------------------------------------------------------------


def describe_run(
    values: np.ndarray, codes: np.ndarray | None, *, confidence: float, kind: str
) -> RunSummary:
    """One run's center on the paired examples with one-sided bounds at ``confidence``.

    ``kind`` ``"mean"``: t bounds (cluster-robust with ``codes``); ``"proportion"``:
    Clopper-Pearson bounds on the pass rate; ``"median"``: distribution-free bounds from order
    statistics (they ignore clusters).
    """
    from scipy import stats

    n = values.size
    alpha = 1.0 - confidence
    if kind == "proportion":
        passed = int(np.count_nonzero(values == 1))
        lower, upper = _clopper_pearson(passed, n, alpha)
        return RunSummary(passed / n, lower, upper)
    if kind == "median":
        ordered = np.sort(values)
        center = float(np.median(ordered))
        # P(X_(j) <= median) = P(Binomial(n, 1/2) >= j): take the largest j with that >= c.
        j = int(stats.binom.ppf(alpha, n, 0.5))
        if stats.binom.cdf(j, n, 0.5) > alpha:
            j -= 1
        if j < 0:
            return RunSummary(center, None, None)
        return RunSummary(center, float(ordered[j]), float(ordered[n - 1 - j]))
    center = float(np.mean(values))
    clusters = _cluster_count(values, codes)
    if n < 2 or clusters < 2:
        return RunSummary(center, None, None)
    if np.ptp(values) == 0:
        return RunSummary(center, center, center)
    if codes is None:
        se = float(np.std(values, ddof=1)) / math.sqrt(n)
    else:
        sums = np.bincount(codes, weights=values - center, minlength=clusters)
        se = math.sqrt(clusters / (clusters - 1) * float(sums @ sums)) / n
    quantile = float(stats.t.ppf(confidence, clusters - 1))
    return RunSummary(center, center - quantile * se, center + quantile * se)


# -- several metrics -------------------------------------------------------------------------


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (``scipy.stats.false_discovery_control``)."""
    if len(p_values) < 2:
        return [float(p) for p in p_values]
    from scipy import stats

    adjusted = stats.false_discovery_control(np.asarray(p_values, dtype=np.float64), method="bh")
    return [float(p) for p in adjusted]


_ONE_EXAMPLE = "one paired example: its variability cannot be estimated"
_ONE_CLUSTER = "all paired examples are in one cluster: its variability cannot be estimated"
