"""Time ``nbgraduate lint`` on pathological lines, each at n and 2n, and print the growth.

Each case is one notebook whose cost used to grow with the square of the findings on one line
(or of the line's length, or of the calls in a cell): thousands of tokens on one line, a 10 MB
literal line with findings on it, a 2,000-package ``%pip install`` and a cell of 3,000 LLM
calls. A linear implementation doubles its time when the input doubles (ratio about 2); a
quadratic one quadruples it. Each lint runs in its own process, so its peak memory (max RSS)
is measured too.

    python bench/bench_pathological.py            # n as in the issue: 2,000 tokens, 10 MB
    python bench/bench_pathological.py --scale 0.25   # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench_support import progress, scratch_directory, seconds

# Assembled at run time, so no key-shaped literal sits in this file.
_KEY = "sk-" + "proj-" + "Zq8rT2vB9mK4pL7wX3nC6yH1"


def _notebook(path: Path, *sources: str) -> Path:
    cells = [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": f"c{index}",
            "metadata": {},
            "outputs": [],
            "source": source,
        }
        for index, source in enumerate(sources)
    ]
    document = {
        "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def tokens_on_one_line(directory: Path, n: int) -> Path:
    """n findings on one line: machine-local paths (NBG203) and keys (NBG501), alternating."""
    items = [
        f'"/home/alice/data_{index}.csv"' if index % 2 else f'"{_KEY}{index:08d}x"'
        for index in range(n)
    ]
    return _notebook(directory / f"tokens_{n}.ipynb", f"values = [{', '.join(items)}]")


def long_literal_line(directory: Path, megabytes: float) -> Path:
    """One line holding a literal of ``megabytes`` MB, with 20 findings after it."""
    size = int(megabytes * 1_000_000)
    findings = ", ".join(f'"/home/alice/{index}.csv"' for index in range(20))
    line = f'blob = "{"a" * size}"; paths = [{findings}]'
    return _notebook(directory / f"literal_{megabytes:g}mb.ipynb", line)


def pip_install(directory: Path, n: int) -> Path:
    """One ``%pip install`` of n unpinned packages (NBG401 each)."""
    packages = " ".join(f"package-{index}" for index in range(n))
    return _notebook(directory / f"pip_{n}.ipynb", f"%pip install {packages}")


def llm_calls(directory: Path, n: int) -> Path:
    """One cell of n chat requests, each result kept in its own variable (the model references
    checked for being handed to a judge)."""
    lines = ["from openai import OpenAI", "client = OpenAI()"]
    lines += [
        f'r{index} = client.chat.completions.create(model="gpt-4o", messages=m)'
        for index in range(n)
    ]
    return _notebook(directory / f"calls_{n}.ipynb", "\n".join(lines))


# Runs the real entry point and reports the process's own peak RSS (KiB on Linux) last. The
# report is an exit handler: ``lint`` leaves without the interpreter's tear-down (so a
# ``finally`` never runs) unless a handler is registered, and then it runs them.
_MEASURED = (
    "import atexit, resource, runpy, sys\n"
    "def report():\n"
    "    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    "    print(f'peak-rss-kib {rss}', file=sys.stderr)\n"
    "atexit.register(report)\n"
    "sys.argv = ['nbgraduate', *sys.argv[1:]]\n"
    "runpy.run_module('nbgraduate', run_name='__main__')\n"
)


def lint_once(path: Path, timeout: float) -> tuple[float, float, int]:
    """Wall time, peak RSS in MB and exit code of one ``nbgraduate lint`` process; a lint
    still running after ``timeout`` seconds is stopped and reported as exit -1."""
    # The result cache would answer a repeated run from disk; this measures the linting.
    environment = {**os.environ, "NBGRADUATE_NO_CACHE": "1"}
    started = time.perf_counter()
    try:
        result = subprocess.run(
            [sys.executable, "-c", _MEASURED, "lint", "--output-format", "json", str(path)],
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
            env=environment,
        )
    except subprocess.TimeoutExpired:
        return time.perf_counter() - started, float("nan"), -1
    elapsed = time.perf_counter() - started
    peaks = [line.split()[1] for line in result.stderr.splitlines() if line.startswith("peak-rss")]
    return elapsed, int(peaks[-1]) / 1024 if peaks else float("nan"), result.returncode


CASES: list[tuple[str, Callable[[Path, float], Path], float]] = [
    ("tokens on one line", lambda d, n: tokens_on_one_line(d, int(n)), 2000),
    ("MB literal line", long_literal_line, 10),
    ("packages in one %pip install", lambda d, n: pip_install(d, int(n)), 2000),
    ("LLM calls in one cell", lambda d, n: llm_calls(d, int(n)), 3000),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every n by this")
    parser.add_argument("--keep", action="store_true", help="keep the generated notebooks")
    parser.add_argument(
        "--timeout", type=float, default=1800, help="stop one lint after this many seconds"
    )
    options = parser.parse_args()
    header = f"{'case':<30} {'n':>7} {'time':>9} {'2n':>7} {'time':>9} {'ratio':>6}"
    print(f"{header} {'peak RSS':>9} exit", flush=True)
    with scratch_directory("nbg-pathological-", keep=options.keep) as directory:
        for name, build, n in CASES:
            n = n * options.scale
            timings = []
            for size in (n / 2, n):
                size = int(size) if size >= 1 else size
                progress(f"{name}: {size:g}")
                path = build(directory, size)
                elapsed, peak_mb, code = lint_once(path, options.timeout)
                timings.append((size, elapsed, peak_mb, code))
            (small, small_s, _m, _c), (large, large_s, peak_mb, code) = timings
            print(
                f"{name:<30} {small:>7g} {seconds(small_s):>9} {large:>7g} "
                f"{seconds(large_s):>9} {large_s / small_s:>6.2f} {peak_mb:>6.0f} MB {code:>4}",
                flush=True,
            )
    print("ratio = time(2n) / time(n): about 2 is linear, about 4 is quadratic; exit -1: stopped")


if __name__ == "__main__":
    main()
