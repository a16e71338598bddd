"""Paired BCa bootstrap of the mean or median difference, resampling examples or clusters.

The interval is computed here with numpy rather than by ``scipy.stats.bootstrap``: scipy's BCa
takes its acceleration from a full jackknife, ``n`` re-evaluations of the statistic on
``n - 1`` examples each, which is O(n^2) (hours for 100,000 examples). The jackknife here is
O(n) for the mean (leave-one-out sums) and O(n log n) for the median (leave-one-out order
statistics), and the rest follows Efron & Tibshirani (1993, ch. 14) as scipy does: bias
correction ``z0`` from the share of resamples below the estimate, acceleration ``a`` from the
jackknife's skewness, adjusted percentiles ``Phi(z0 + (z0 + z) / (1 - a (z0 + z)))``.

Resampling is exact in distribution and picks the cheaper of two ways per metric:

* few distinct units (pass/fail or graded scores, averaged over a few repeats): a resample is
  a multinomial draw of how often each distinct value occurs, O(distinct values) per resample;
* otherwise: units drawn by index, in batches, in threads for large data. Resamples come in
  chunks, each with its own seed spawned from the gate's seed, so the result does not depend
  on the number of threads.

For the mean, the units are split into groups of 4,096 consecutive units, and a resample is
drawn in two exact steps: how many of its ``n`` draws fall in each group (a multinomial over
the groups' shares of the units), then, per group, that many indices uniform on the group's
units. Given the counts, draws uniform over all units that fall in one group are uniform over
that group, so the resample has the bootstrap's distribution. The point is speed: a group's
values (32 KiB) stay in a core's L1 cache while thousands of indices gather from them, and an
index into 4,096 units is 12 bits of a 16-bit word, taken by a mask, with no division and no
rejection (only the last, smaller group needs the rejection method described next). This
draws half the random bits and gathers about twice as fast as indices over all units.

Indices are drawn exactly uniformly from raw 32-bit words: a word ``w`` below
``units * (2**32 // units)`` gives ``w // (2**32 // units)``, a word at or above it is drawn
again. That is the textbook rejection method, done in a handful of vectorised passes over
``uint32`` arrays (half the random bits and half the memory of numpy's default ``int64``
indices); numpy's ``Generator.integers`` does the same per value with a call per value.

With clusters, whole clusters are resampled (the cluster bootstrap) and the jackknife leaves
out one cluster at a time. Degenerate data (every difference equal, one example, one cluster)
never reach this module's arithmetic: see :mod:`nbgraduate.gate.statistics`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from nbgraduate.gate.statistics import POWER, Estimate, constant_difference, undecidable

__all__ = ["BootstrapDistribution", "bca_bounds", "bca_p_values", "bootstrap_bca", "resample"]

#: Resamples per independently seeded chunk (threads take whole chunks).
_CHUNK = 256
#: Indices drawn per batch: large enough to amortise numpy's call overhead, small enough that
#: the batch's words, indices and gathered values (16 bytes per index) stay in a core's L2
#: cache next to the data. One row of 100,000 indices is one batch.
_BATCH_ELEMENTS = 1 << 17
_WORD = 1 << 32
#: Units per group of the mean's grouped resampling (see the module docstring): a power of two
#: whose float64 values fit a core's L1 data cache.
_GROUP_UNITS = 1 << 12
_SHORT_WORD = 1 << 16
#: Multinomial resampling costs O(classes) binomial draws per resample, index resampling
#: O(units) cheap integer draws; the multinomial wins below about units / 16 classes.
_MULTINOMIAL_RATIO = 16
_MULTINOMIAL_MAX_CLASSES = 1024
#: Below this many drawn indices in total, threads cost more than they save.
_THREADED_ELEMENTS = 20_000_000
_MAX_THREADS = 8

ChunkSampler = Callable[[np.random.Generator, int], np.ndarray]


@dataclass(frozen=True)
class BootstrapDistribution:
    """The statistic on the data, its sorted bootstrap replicates, and the BCa constants."""

    estimate: float
    replicates: np.ndarray
    z0: float
    acceleration: float


def bootstrap_bca(
    d: np.ndarray,
    codes: np.ndarray | None,
    *,
    statistic: str,
    confidence: float,
    margin: float,
    n_resamples: int,
    seed: np.random.SeedSequence,
) -> Estimate:
    """BCa bounds and p-values for the mean or median of ``d`` (clusters: ``codes``)."""
    from scipy import special

    n = d.size
    clusters = None if codes is None else int(codes.max()) + 1
    point = float(np.mean(d)) if statistic == "mean" else float(np.median(d))
    if n < 2:
        return undecidable("bootstrap", statistic, point, "one paired example: cannot resample")
    if clusters is not None and clusters < 2:
        return undecidable(
            "bootstrap", statistic, point, "all paired examples are in one cluster", clusters
        )
    if np.ptp(d) == 0:
        return constant_difference("bootstrap", statistic, point, n, margin, clusters)
    distribution = resample(d, codes, statistic=statistic, n_resamples=n_resamples, seed=seed)
    lower, upper = bca_bounds(distribution, confidence)
    p_fail, p_pass = bca_p_values(distribution, -margin)
    standard_error = float(np.std(distribution.replicates, ddof=1))
    # The MDE is the wider side of the BCa interval (skewed data make one side longer) plus
    # the power quantile's worth of standard errors.
    spread = (upper - lower) / 2 + float(special.ndtri(POWER)) * standard_error
    skew = abs((upper - distribution.estimate) - (distribution.estimate - lower)) / 2
    notes: list[str] = []
    if standard_error == 0:
        notes.append(f"every resample's {statistic} is {distribution.estimate:g}")
    return Estimate(
        method="bootstrap",
        statistic=statistic,
        estimate=distribution.estimate,
        lower=lower,
        upper=upper,
        p_fail=p_fail,
        p_pass=p_pass,
        standard_error=standard_error,
        mde=spread + skew,
        n_needed=_examples_needed(n, margin, spread, skew),
        clusters=clusters,
        notes=tuple(notes),
    )


def _examples_needed(n: int, margin: float, spread: float, skew: float) -> int | None:
    """Examples at which the MDE reaches ``margin``, the MDE being ``spread + skew`` at ``n``.

    The symmetric part shrinks like 1/sqrt(n) but the interval's asymmetry, which comes from
    the skewness of the mean, like 1/n: with ``x = sqrt(n / n')``, solve
    ``spread * x + skew * x^2 = margin``. Scaling everything by 1/sqrt(n) would promise 80%
    power at a sample size where skewed data give about 73%.
    """
    if margin <= 0:
        return None
    if skew > 0:
        x = (math.sqrt(spread * spread + 4 * skew * margin) - spread) / (2 * skew)
    elif spread > 0:
        x = margin / spread
    else:
        return n
    return max(2, math.ceil(n / (x * x)))


def bca_bounds(distribution: BootstrapDistribution, confidence: float) -> tuple[float, float]:
    """One-sided BCa lower and upper bounds, each at ``confidence``."""
    from scipy import special

    z = float(special.ndtri(confidence))
    replicates = distribution.replicates
    lower_level = _bca_level(distribution.z0, distribution.acceleration, -z)
    upper_level = _bca_level(distribution.z0, distribution.acceleration, z)
    return float(np.quantile(replicates, lower_level)), float(np.quantile(replicates, upper_level))


def bca_p_values(distribution: BootstrapDistribution, threshold: float) -> tuple[float, float]:
    """``(p_fail, p_pass)``: the BCa interval inverted at ``threshold`` (``-margin``).

    ``p_fail`` is ``1 - c*`` for the confidence ``c*`` at which the upper bound reaches the
    threshold, so ``p_fail < 1 - c`` exactly when the upper bound at ``c`` is below it; the
    PASS test is the mirror image and ``p_pass = 1 - p_fail``. The bootstrap CDF is the one
    ``np.quantile``'s linear interpolation implies, and it is kept within half a resample of
    0 and 1, so the smallest p-value is about ``0.5 / resamples``.
    """
    from scipy import special

    replicates = distribution.replicates
    if replicates[0] == replicates[-1]:
        # Every resample gave the same value (a median of discrete scores): the bounds are that
        # value, so the tests are decided by where it lies.
        value = float(replicates[0])
        return (0.0 if value < threshold else 1.0), (0.0 if value > threshold else 1.0)
    count = replicates.size
    share = _share_below(replicates, threshold)
    share = min(max(share, 0.5 / count), 1 - 0.5 / count)
    z0, acceleration = distribution.z0, distribution.acceleration
    w = float(special.ndtri(share)) - z0
    denominator = 1 + acceleration * w
    if denominator <= 0:
        # Beyond the range the BCa percentiles can reach for any confidence.
        p_fail = 1.0 if acceleration > 0 else 0.0
    else:
        p_fail = float(special.ndtr(z0 - w / denominator))
    return p_fail, 1.0 - p_fail


def resample(
    d: np.ndarray,
    codes: np.ndarray | None,
    *,
    statistic: str,
    n_resamples: int,
    seed: np.random.SeedSequence,
) -> BootstrapDistribution:
    """The bootstrap distribution of the mean/median of ``d``, with ``z0`` and acceleration."""
    from scipy import special

    if statistic == "mean":
        estimate, sampler, units, jackknife = _mean_plan(d, codes)
    else:
        estimate, sampler, units, jackknife = _median_plan(d, codes)
    replicates = np.sort(_run_chunks(sampler, n_resamples, seed, units))
    below = np.count_nonzero(replicates < estimate)
    equal = np.count_nonzero(replicates == estimate)
    share = (below + 0.5 * equal) / replicates.size
    share = min(max(share, 0.5 / replicates.size), 1 - 0.5 / replicates.size)
    return BootstrapDistribution(
        estimate=estimate,
        replicates=replicates,
        z0=float(special.ndtri(share)),
        acceleration=_acceleration(jackknife),
    )


# -- the statistic's plans: estimate, chunk sampler, units per resample, jackknife ------------


def _mean_plan(
    d: np.ndarray, codes: np.ndarray | None
) -> tuple[float, ChunkSampler, int, np.ndarray]:
    if codes is None:
        sums, sizes = d, np.ones(d.size)
    else:
        sums = np.bincount(codes, weights=d)
        sizes = np.bincount(codes).astype(np.float64)
    units = sums.size
    total_sum, total_size = float(np.sum(sums)), float(np.sum(sizes))
    # Leave-one-unit-out means in O(units).
    jackknife = (total_sum - sums) / (total_size - sizes)
    if codes is None:
        # Every unit has size 1: the distinct sums are the classes (a 1-D sort, much cheaper
        # than the row-wise unique of (sum, size) pairs).
        values, multiplicity = np.unique(sums, return_counts=True)
        classes = np.column_stack([values, np.ones(values.size)])
    else:
        classes, multiplicity = np.unique(
            np.column_stack([sums, sizes]), axis=0, return_counts=True
        )
    if _use_multinomial(classes.shape[0], units):
        class_sums, class_sizes = classes[:, 0], classes[:, 1]
        probabilities = multiplicity / units
        estimate = float(multiplicity @ class_sums) / float(multiplicity @ class_sizes)

        def by_counts(generator: np.random.Generator, count: int) -> np.ndarray:
            drawn = generator.multinomial(units, probabilities, size=count).astype(np.float64)
            return (drawn @ class_sums) / (drawn @ class_sizes)

        return estimate, by_counts, len(multiplicity), jackknife

    estimate = total_sum / total_size
    same_size = codes is None
    groups = [(start, min(start + _GROUP_UNITS, units)) for start in range(0, units, _GROUP_UNITS)]
    shares = np.array([stop - start for start, stop in groups], dtype=np.float64) / units

    def by_index(generator: np.random.Generator, count: int) -> np.ndarray:
        # How many of each resample's draws fall in each group, then the draws in each group.
        per_group = generator.multinomial(units, shares, size=count)
        totals = np.zeros(count)
        drawn_sizes = None if same_size else np.zeros(count)
        # Indices and gathered values go to buffers reused by every batch: the allocator hands
        # a freed megabyte back to the system, and faulting fresh pages in for each batch cost
        # as much again as the gathering.
        index_buffer = np.empty(0, dtype=np.intp)
        value_buffer = np.empty(0)
        for group, (start, stop) in enumerate(groups):
            rows = max(1, _BATCH_ELEMENTS // (stop - start))
            for first in range(0, count, rows):
                last = min(count, first + rows)
                counts = per_group[first:last, group]
                drawn = int(counts.sum())
                if drawn == 0:
                    continue
                if drawn > index_buffer.size:
                    index_buffer = np.empty(drawn + drawn // 8, dtype=np.intp)
                    value_buffer = np.empty(index_buffer.size)
                indices = _draw_group_indices(
                    generator, stop - start, drawn, out=index_buffer[:drawn]
                )
                taken = _gather(sums[start:stop], indices, value_buffer[:drawn])
                _add_segment_sums(totals[first:last], taken, counts)
                if drawn_sizes is not None:
                    taken = _gather(sizes[start:stop], indices, value_buffer[:drawn])
                    _add_segment_sums(drawn_sizes[first:last], taken, counts)
        return totals / units if drawn_sizes is None else totals / drawn_sizes

    return estimate, by_index, units, jackknife


def _median_plan(
    d: np.ndarray, codes: np.ndarray | None
) -> tuple[float, ChunkSampler, int, np.ndarray]:
    order = np.argsort(d, kind="stable")
    ordered = d[order]
    n = d.size
    if codes is None:
        values, multiplicity = np.unique(d, return_counts=True)
        estimate = float(_median_from_counts(multiplicity[np.newaxis, :], values)[0])
        jackknife = _leave_one_out_medians(ordered)
        if _use_multinomial(values.size, n):
            probabilities = multiplicity / n

            def by_counts(generator: np.random.Generator, count: int) -> np.ndarray:
                drawn = generator.multinomial(n, probabilities, size=count)
                return _median_from_counts(drawn, values)

            return estimate, by_counts, values.size, jackknife

        def by_index(generator: np.random.Generator, count: int) -> np.ndarray:
            out = np.empty(count)
            rows = max(1, _BATCH_ELEMENTS // n)
            gathered = np.empty((min(rows, count), n))
            for start in range(0, count, rows):
                stop = min(count, start + rows)
                drawn = _draw_indices(generator, n, (stop - start, n))
                part = _gather(d, drawn, gathered[: stop - start])
                out[start:stop] = np.median(part, axis=1, overwrite_input=True)
            return out

        return estimate, by_index, n, jackknife

    clusters = int(codes.max()) + 1
    ordered_codes = codes[order]
    estimate = float(_median_from_counts(np.ones((1, n), dtype=np.int64), ordered)[0])
    jackknife = _leave_one_cluster_out_medians(ordered, ordered_codes, clusters)

    def by_cluster(generator: np.random.Generator, count: int) -> np.ndarray:
        out = np.empty(count)
        rows = max(1, _BATCH_ELEMENTS // max(n, clusters))
        for start in range(0, count, rows):
            stop = min(count, start + rows)
            batch = stop - start
            drawn = _draw_indices(generator, clusters, (batch, clusters))
            offsets = (np.arange(batch) * clusters)[:, np.newaxis]
            times = np.bincount((drawn + offsets).ravel(), minlength=batch * clusters)
            weights = times.reshape(batch, clusters)[:, ordered_codes]
            out[start:stop] = _median_from_counts(weights, ordered)
        return out

    return estimate, by_cluster, max(n, clusters), jackknife


def _draw_indices(generator: np.random.Generator, units: int, shape: tuple[int, int]) -> np.ndarray:
    """A ``uint32`` array of ``shape`` of independent indices, each uniform on ``[0, units)``.

    Rejection sampling on raw 32-bit words: with ``span = 2**32 // units``, a word below
    ``units * span`` is uniform on that range, so ``word // span`` is uniform on the units;
    the rare words at or above it (fewer than ``units / 2**32`` of them) are drawn again, in
    order, from the same generator, so a seed always gives the same indices.
    """
    if units == 1:
        return np.zeros(shape, dtype=np.uint32)
    count = shape[0] * shape[1]
    words = _raw_words(generator, count)
    span = _WORD // units
    limit = units * span
    if limit < _WORD and int(words.max()) >= limit:
        rejected = np.flatnonzero(words >= limit)
        while rejected.size:
            again = _raw_words(generator, rejected.size)
            words[rejected] = again
            rejected = rejected[again >= limit]
    np.floor_divide(words, np.uint32(span), out=words)
    return words.reshape(shape)


def _draw_group_indices(
    generator: np.random.Generator, units: int, count: int, out: np.ndarray | None = None
) -> np.ndarray:
    """``count`` independent indices uniform on ``[0, units)``, ``units <= 2**16``, as ``intp``
    (in ``out`` when given, ``count`` long).

    Four indices per 64-bit output: a 16-bit word masked to its low bits when ``units`` is a
    power of two (exactly uniform), else the rejection method of :func:`_draw_indices` on
    16-bit words. ``intp`` because ``np.take`` converts any other index type first, which
    costs more than the gather itself.
    """
    if out is None:
        out = np.empty(count, dtype=np.intp)
    words = generator.bit_generator.random_raw((count + 3) // 4).view(np.uint16)[:count]
    if units & (units - 1) == 0:
        np.bitwise_and(words, np.uint16(units - 1), out=words)
        out[...] = words
        return out
    span = _SHORT_WORD // units
    limit = units * span
    if count and int(words.max()) >= limit:
        rejected = np.flatnonzero(words >= limit)
        while rejected.size:
            again = generator.bit_generator.random_raw((rejected.size + 3) // 4)
            again = again.view(np.uint16)[: rejected.size]
            words[rejected] = again
            rejected = rejected[again >= limit]
    np.floor_divide(words, np.uint16(span), out=words)
    out[...] = words
    return out


def _add_segment_sums(totals: np.ndarray, values: np.ndarray, counts: np.ndarray) -> None:
    """Add to ``totals[row]`` the sum of the next ``counts[row]`` of ``values``."""
    starts = np.cumsum(counts) - counts
    if counts.all():
        totals += np.add.reduceat(values, starts)
        return
    # reduceat gives a row with no values the next value instead of 0: only rows with some.
    some = counts > 0
    totals[some] += np.add.reduceat(values, starts[some])


def _raw_words(generator: np.random.Generator, count: int) -> np.ndarray:
    """``count`` uniform ``uint32`` words: both halves of the bit generator's 64-bit outputs."""
    raw = generator.bit_generator.random_raw((count + 1) // 2)
    return raw.view(np.uint32)[:count]


def _gather(values: np.ndarray, indices: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``values[indices]`` into ``out``. ``mode="wrap"`` is a no-op on in-range indices and,
    unlike the default ``"raise"``, writes into ``out`` without an intermediate copy."""
    return np.take(values, indices, out=out, mode="wrap")


def _use_multinomial(classes: int, units: int) -> bool:
    return classes <= _MULTINOMIAL_MAX_CLASSES and classes * _MULTINOMIAL_RATIO <= units


def _median_from_counts(counts: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per row, the median of ``values`` (sorted) each taken ``counts[row, k]`` times."""
    cumulative = np.cumsum(counts, axis=1)
    total = cumulative[:, -1]
    low_rank = (total + 1) // 2  # 1-based ranks of the two middle values (equal when odd)
    high_rank = total // 2 + 1
    low = np.count_nonzero(cumulative < low_rank[:, np.newaxis], axis=1)
    high = np.count_nonzero(cumulative < high_rank[:, np.newaxis], axis=1)
    return (values[low] + values[high]) / 2


def _leave_one_out_medians(ordered: np.ndarray) -> np.ndarray:
    """The median without each example, in sorted order, O(n)."""
    n = ordered.size
    position = np.arange(n)
    remaining = n - 1
    low_rank = (remaining - 1) // 2  # 0-based ranks among the remaining n - 1
    high_rank = remaining // 2
    # Leaving out position p shifts every rank at or above p up by one.
    low = low_rank + (position <= low_rank)
    high = high_rank + (position <= high_rank)
    return (ordered[low] + ordered[high]) / 2


def _leave_one_cluster_out_medians(
    ordered: np.ndarray, ordered_codes: np.ndarray, clusters: int
) -> np.ndarray:
    """The median without each cluster, O(n log n): the k-th remaining value is found from the
    sorted positions of the left-out cluster's examples."""
    n = ordered.size
    positions_by_cluster = np.argsort(ordered_codes, kind="stable")
    sizes = np.bincount(ordered_codes, minlength=clusters)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    medians = np.empty(clusters)
    for cluster in range(clusters):
        left_out = positions_by_cluster[starts[cluster] : starts[cluster] + sizes[cluster]]
        remaining = n - left_out.size
        # Position of the k-th remaining value: k plus the left-out positions before it.
        # left_out[i] - i is non-decreasing, so a binary search finds how many precede it.
        shifted = left_out - np.arange(left_out.size)
        ranks = np.array([(remaining - 1) // 2, remaining // 2])
        found = ranks + np.searchsorted(shifted, ranks, side="right")
        medians[cluster] = (ordered[found[0]] + ordered[found[1]]) / 2
    return medians


def _acceleration(jackknife: np.ndarray) -> float:
    deviations = np.mean(jackknife) - jackknife
    spread = float(deviations @ deviations)
    if spread == 0:
        return 0.0
    return float(np.sum(deviations**3)) / (6 * spread**1.5)


def _bca_level(z0: float, acceleration: float, z: float) -> float:
    from scipy import special

    shifted = z0 + z
    denominator = 1 - acceleration * shifted
    if denominator <= 0:
        return 1.0 if acceleration > 0 else 0.0
    return float(special.ndtr(z0 + shifted / denominator))


def _share_below(replicates: np.ndarray, threshold: float) -> float:
    """The level ``q`` at which ``np.quantile(replicates, q)`` (linear) reaches ``threshold``."""
    count = replicates.size
    below = int(np.searchsorted(replicates, threshold, side="left"))
    if below == 0:
        return 0.0
    if below == count:
        return 1.0
    low, high = replicates[below - 1], replicates[below]
    return (below - 1 + float((threshold - low) / (high - low))) / (count - 1)


def _run_chunks(
    sampler: ChunkSampler, n_resamples: int, seed: np.random.SeedSequence, units: int
) -> np.ndarray:
    sizes = [min(_CHUNK, n_resamples - start) for start in range(0, n_resamples, _CHUNK)]
    # Derived, not ``seed.spawn()``: spawning mutates the parent, and the same seed must give
    # the same resamples however often it is used.
    seeds = [
        np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, chunk))
        for chunk in range(len(sizes))
    ]

    def run(chunk: int) -> np.ndarray:
        return sampler(np.random.default_rng(seeds[chunk]), sizes[chunk])

    threads = min(_MAX_THREADS, os.cpu_count() or 1, len(sizes))
    if threads > 1 and units * n_resamples >= _THREADED_ELEMENTS:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            parts = list(pool.map(run, range(len(sizes))))
    else:
        parts = [run(chunk) for chunk in range(len(sizes))]
    return np.concatenate(parts)
