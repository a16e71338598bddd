"""How many converted pipelines of the real corpus got a metric wired, and how many an instruction.

Usage: ``python bench/bench_metric_wiring.py [--corpus DIR] [--details]``.

Every notebook of ``../shared/corpus/`` (or ``NBGRADUATE_CORPUS``) is converted into a scratch
directory with the package index unreachable, exactly as ``nbgraduate convert`` does it, and
the conversion's metric is counted: an ``nbgraduate.record(...)`` call wired after the
notebook's per-example results (with example ids, or without: then the gate cannot pair it),
an instruction saying in which cell and after which line to add one, or nothing because the
notebook records already. Refused conversions are counted apart. It reports; it gates nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from pathlib import Path

from bench_support import progress, scratch_directory

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = Path(os.environ.get("NBGRADUATE_CORPUS") or REPO_ROOT.parent / "shared" / "corpus")
#: A package index nothing listens on: conversion pins from the environment or lists.
OFFLINE_INDEX = "http://127.0.0.1:9/simple/"


#: Where an instruction puts the call, by the reason it gives.
PLACEMENTS = (
    "before the notebook's point-estimate gate",
    "after a loop that counts",
    "after the last statement",
    "no code at all",
)


def _placement(reason: str) -> str:
    if reason.startswith("the notebook gates on"):
        return PLACEMENTS[0]
    if "counts examples in the loop" in reason:
        return PLACEMENTS[1]
    if reason == "the notebook has no code":
        return PLACEMENTS[3]
    return PLACEMENTS[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--details", action="store_true", help="one line per notebook")
    parser.add_argument("--keep", action="store_true", help="keep the converted pipelines")
    arguments = parser.parse_args(argv)
    notebooks = sorted(arguments.corpus.glob("*.ipynb"))
    if not notebooks:
        print(f"no notebooks in {arguments.corpus}", file=sys.stderr)
        return 2

    from nbgraduate.graduate.convert import convert_notebook
    from nbgraduate.graduate.metrics import MetricInstruction, MetricWiring
    from nbgraduate.graduate.result import ConversionOptions, ConversionRefused

    os.environ["PIP_INDEX_URL"] = OFFLINE_INDEX
    counts: Counter[str] = Counter()
    with scratch_directory("bench-metric-", keep=arguments.keep) as workdir:
        for number, source in enumerate(notebooks, start=1):
            if number % 20 == 0:
                progress(f"{number}/{len(notebooks)} converted")
            try:
                result = convert_notebook(
                    source, ConversionOptions(output_dir=workdir / source.stem)
                )
            except ConversionRefused as refused:
                counts["refused"] += 1
                detail = f"refused: {refused.reason}"
            else:
                metric = result.metric
                if isinstance(metric, MetricWiring):
                    kind = "wired with ids" if metric.gateable else "wired without ids"
                    detail = f"{kind}: {' / '.join(metric.lines)}"
                elif isinstance(metric, MetricInstruction):
                    kind = "instruction"
                    detail = f"instruction {metric.where()}: {metric.reason}"
                    counts[f"instruction: {_placement(metric.reason)}"] += 1
                else:
                    kind = "records already"
                    detail = kind
                counts[kind] += 1
            if arguments.details:
                print(f"{source.name}: {detail}")
    converted = len(notebooks) - counts["refused"]
    wired = counts["wired with ids"] + counts["wired without ids"]
    print(f"corpus: {arguments.corpus} ({len(notebooks)} notebooks)")
    print(f"converted pipelines: {converted} (refused: {counts['refused']})")
    print(f"metric wired: {wired} ({counts['wired with ids']} with example ids, gateable)")
    print(f"instruction (cell and line to add): {counts['instruction']}")
    for placement in PLACEMENTS:
        print(f"  {placement}: {counts[f'instruction: {placement}']}")
    print(f"records already: {counts['records already']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
