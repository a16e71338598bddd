"""Time ``nbgraduate gate`` on 100,000 paired examples: BCa bootstrap and paired t, in one run.

Usage: ``python bench/bench_gate.py [--examples N] [--resamples B] [--repeat R] [--check]``.

Two runs with ``--examples`` paired examples are written to a run store in a temp dir, and
``run_gate`` is timed end to end (reading both records from the store, pairing by id, the
test, the verdict) for three gates:

* the paired t gate on a continuous metric;
* the BCa bootstrap gate (``--resamples``) on a graded metric (judge scores 1-5, so the
  differences take 9 values): resampled as multinomial counts of the distinct values;
* the BCa bootstrap gate on the continuous metric (every difference distinct): resampled by
  index, which draws examples x resamples random indices (10^9 by default).

One untimed warm-up gate first imports numpy and scipy. Beside the wall time (the target)
each row shows the process's CPU time per gate (best run): on a machine shared with other
jobs the wall time grows with the load, the CPU time much less, and CPU over wall shows how
much of both cores the resampling got. The script reports; it only gates with ``--check``
(exit 1 when a target is missed).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench_support import progress, seconds

#: The bootstrap gate on 100,000 examples with 10,000 resamples.
BOOTSTRAP_TARGET_S = 2.0
#: The t gate on 100,000 examples ("well under" this).
T_TARGET_S = 0.5

_DEFAULT_EXAMPLES = 100_000
_DEFAULT_RESAMPLES = 10_000
_DEFAULT_REPEAT = 3
_MARGIN = 0.02
_CONFIDENCE = 0.95


def _records(examples: int, seed: int) -> tuple[object, object]:
    import numpy as np

    from nbgraduate.runs.records import MetricSeries, RunRecord, RunStatus

    rng = np.random.default_rng(seed)
    ids = [f"example-{index:06d}" for index in range(examples)]
    quality = rng.normal(0.7, 0.15, examples)
    baseline_score = quality + rng.normal(0, 0.05, examples)
    candidate_score = quality + rng.normal(0.002, 0.05, examples)
    baseline_grade = np.clip(np.rint(1 + 4 * quality + rng.normal(0, 0.6, examples)), 1, 5)
    candidate_grade = np.clip(np.rint(1 + 4 * quality + rng.normal(0, 0.6, examples)), 1, 5)
    started = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)

    def record(run_id: str, score: np.ndarray, grade: np.ndarray, offset: int) -> RunRecord:
        moment = started + timedelta(hours=offset)
        return RunRecord(
            run_id=run_id,
            pipeline="bench",
            python_version=platform.python_version(),
            platform=platform.platform(),
            started_at=moment,
            ended_at=moment,
            duration_s=0.0,
            status=RunStatus.PASSED,
            metrics=[
                MetricSeries(name="similarity", values=score.tolist(), ids=ids),
                MetricSeries(name="judge_grade", values=grade.tolist(), ids=ids),
            ],
        )

    return record("bench-baseline", baseline_score, baseline_grade, 0), record(
        "bench-candidate", candidate_score, candidate_grade, 1
    )


def _time_gate(store: Path, metric: str, method: str, resamples: int, repeat: int):
    """``(wall seconds, CPU seconds)`` per run, and the last report."""
    from nbgraduate.gate import GateOptions, run_gate

    options = GateOptions(
        baseline="bench-baseline",
        candidate="bench-candidate",
        margin=_MARGIN,
        confidence=_CONFIDENCE,
        metrics=(metric,),
        method=method,  # type: ignore[arg-type]
        store=store,
        n_resamples=resamples,
    )
    samples = []
    cpu = []
    report = None
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        report = run_gate(options)
        samples.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return samples, cpu, report


def _machine() -> str:
    import numpy
    import scipy

    cpus = os.cpu_count() or 1
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cpus
    load = f", load {os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else ""
    return (
        f"{cpus} CPUs ({usable} usable{load}), {platform.python_implementation()}"
        f" {platform.python_version()}, numpy {numpy.__version__}, scipy {scipy.__version__}"
    )


def _row(label: str, best: str = "", median: str = "", cpu: str = "", target: str = "") -> str:
    return f"{label:<58} {best:>9} {median:>9} {cpu:>9}  {target}".rstrip()


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=_DEFAULT_EXAMPLES)
    parser.add_argument("--resamples", type=int, default=_DEFAULT_RESAMPLES)
    parser.add_argument("--repeat", type=int, default=_DEFAULT_REPEAT, help="timed runs (3)")
    parser.add_argument("--seed", type=int, default=0, help="data seed (0)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    machine = _machine()
    from nbgraduate.runs.store import open_store

    with tempfile.TemporaryDirectory(prefix="nbgraduate-bench-gate-") as workdir:
        store = Path(workdir) / ".nbgraduate"
        progress(f"writing two runs of {args.examples:,} examples to {store}")
        baseline, candidate = _records(args.examples, args.seed)
        with open_store(store) as run_store:
            run_store.add(baseline)  # type: ignore[arg-type]
            run_store.add(candidate)  # type: ignore[arg-type]
        progress("warm-up gate (imports numpy and scipy)")
        _time_gate(store, "similarity", "t", args.resamples, 1)
        gates = [
            ("t gate, continuous metric", "similarity", "t", T_TARGET_S),
            (
                f"bootstrap gate, graded metric, {args.resamples:,} resamples",
                "judge_grade",
                "bootstrap",
                BOOTSTRAP_TARGET_S,
            ),
            (
                f"bootstrap gate, continuous metric, {args.resamples:,} resamples",
                "similarity",
                "bootstrap",
                BOOTSTRAP_TARGET_S,
            ),
        ]
        rows = []
        missed = []
        for label, metric, method, target in gates:
            progress(f"{label}: {args.repeat} runs")
            samples, cpu, report = _time_gate(store, metric, method, args.resamples, args.repeat)
            best, median = min(samples), statistics.median(samples)
            passed = best < target
            if not passed:
                missed.append(label)
            verdict = "PASS" if passed else "FAIL"
            rows.append(
                _row(
                    label,
                    seconds(best),
                    seconds(median),
                    seconds(min(cpu)),
                    f"< {seconds(target)} {verdict}",
                )
            )
            result = report.metrics[0]  # type: ignore[union-attr]
            estimate = result.difference
            rows.append(
                f"    gate verdict {result.verdict.value}, difference {estimate.estimate:.5f}"
                f" [{estimate.lower:.5f}, {estimate.upper:.5f}], n {result.n:,}"
            )
    lines = [
        f"nbgraduate gate bench: {args.examples:,} paired examples; {machine}"
        f" at the start, {os.getloadavg()[0]:.2f} at the end",
        "",
        _row(
            "measurement (run_gate end to end, from the store)", "best", "median", "CPU", "target"
        ),
        "-" * 102,
        *rows,
        "",
        "verdict: "
        + ("all targets met" if not missed else f"MISSED {', '.join(missed)}")
        + ("; gated (--check)" if args.check else "; report only; --check gates"),
    ]
    print("\n".join(lines))
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
