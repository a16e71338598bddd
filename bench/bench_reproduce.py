"""Measure ``nbgraduate reproduce`` against the original ``nbgraduate run`` it re-runs.

Usage: ``python bench/bench_reproduce.py [--rounds N] [--rows N] [--work S] [--keep]``.

A git repository in a temp dir holds one pipeline reading an ignored CSV dataset (``--rows``
rows) whose cell burns ``--work`` seconds of CPU. Each round times ``nbgraduate run`` (the
original), edits the dataset in place and commits a notebook change, then times
``nbgraduate reproduce`` of that run: worktree, restore from the snapshot, environment check,
the re-run, the comparison. Both are wall times of the real commands, measured in this run on
this machine, so the ratio means the same on a laptop as on a CI runner.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench_support import progress, scratch_directory, seconds

_TIMEOUT_S = 900

CELL = """\
import csv
import time
import nbgraduate

with open(dataset, encoding="utf-8") as handle:
    rows = list(csv.DictReader(handle))
started = time.process_time()
while time.process_time() - started < work:
    pass
nbgraduate.record("even", [int(r["answer"]) % 2 == 0 for r in rows], ids=[r["id"] for r in rows])
"""


def _cli(root: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "nbgraduate", *args],
        cwd=root,
        capture_output=True,
        text=True,
        env=environment,
        timeout=_TIMEOUT_S,
        check=False,
    )
    return completed, time.perf_counter() - started


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def _project(root: Path, rows: int, work: float) -> None:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    _git(root, "init", "-q", "-b", "main")
    (root / ".gitignore").write_text("data/\n.nbgraduate/\n", encoding="utf-8")
    (root / "data").mkdir()
    _write_dataset(root, rows, offset=0)
    parameters = new_code_cell(
        f'dataset: str = "../../data/golden.csv"  # dataset\nwork: float = {work}  # CPU seconds'
    )
    parameters.metadata["tags"] = ["parameters"]
    notebook = new_notebook(cells=[parameters, new_code_cell(CELL)])
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    pipeline = root / "evals" / "bench"
    pipeline.mkdir(parents=True)
    nbformat.write(notebook, str(pipeline / "bench.ipynb"))
    (pipeline / "requirements.txt").write_text("", encoding="utf-8")
    _lock_and_commit(root, "bench pipeline")


def _write_dataset(root: Path, rows: int, offset: int) -> None:
    lines = ["id,answer"] + [f"q{i},{i + offset}" for i in range(rows)]
    (root / "data" / "golden.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _lock_and_commit(root: Path, message: str) -> None:
    locked, _ = _cli(root, "lock", "evals/bench")
    if locked.returncode != 0:
        raise SystemExit(f"lock failed: {locked.stderr}")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", message)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--work", type=float, default=2.0, help="CPU seconds the cell burns")
    parser.add_argument("--keep", action="store_true")
    arguments = parser.parse_args()
    load_before = os.getloadavg()[0]
    run_walls, reproduce_walls, run_records, overheads = [], [], [], []
    with scratch_directory("nbgraduate-bench-reproduce-", keep=arguments.keep) as root:
        _project(root, arguments.rows, arguments.work)
        _cli(root, "run", "evals/bench")  # untimed: bytecode caches, kernel spec lookups
        for round_number in range(arguments.rounds):
            progress(f"round {round_number + 1}/{arguments.rounds}: run")
            run, run_wall = _cli(root, "run", "evals/bench")
            if run.returncode != 0:
                raise SystemExit(f"run failed: {run.stdout}{run.stderr}")
            run_id = run.stdout.split()[1].rstrip(":")
            # The dataset is edited in place and the notebook changes: only the snapshot and
            # the commit can bring the run's inputs back.
            _write_dataset(root, arguments.rows, offset=round_number + 1)
            notebook = root / "evals" / "bench" / "bench.ipynb"
            notebook.write_text(
                notebook.read_text(encoding="utf-8").replace("% 2 == 0", "% 2 == 0 "),
                encoding="utf-8",
            )
            _lock_and_commit(root, f"round {round_number}")
            progress(f"round {round_number + 1}/{arguments.rounds}: reproduce {run_id}")
            reproduced, reproduce_wall = _cli(root, "reproduce", run_id, "--output-format", "json")
            if reproduced.returncode != 0:
                raise SystemExit(f"reproduce failed: {reproduced.stdout}{reproduced.stderr}")
            report = json.loads(reproduced.stdout)
            assert report["verdict"] == "identical", report
            run_walls.append(run_wall)
            reproduce_walls.append(reproduce_wall)
            run_records.append(report["original"]["duration_s"])
            overheads.append(reproduce_wall - report["reproduction"]["duration_s"])
    load_after = os.getloadavg()[0]
    print(
        f"nbgraduate reproduce vs run: {platform.python_version()}, {os.cpu_count()} CPUs,"
        f" load {load_before:.2f} -> {load_after:.2f}; {arguments.rounds} rounds,"
        f" {arguments.rows} rows, {arguments.work:g} s of CPU in the cell"
    )
    rows = [
        ("nbgraduate run (CLI wall)", run_walls),
        ("the run's recorded duration", run_records),
        ("nbgraduate reproduce (CLI wall)", reproduce_walls),
        ("reproduce beyond its own re-run", overheads),
    ]
    for label, values in rows:
        best, median = seconds(min(values)), seconds(statistics.median(values))
        print(f"  {label:<34} best {best:>9}  median {median:>9}")
    ratio_wall = statistics.median(r / o for r, o in zip(reproduce_walls, run_walls, strict=True))
    ratio_record = statistics.median(
        r / o for r, o in zip(reproduce_walls, run_records, strict=True)
    )
    print(f"  reproduce / run, wall against wall (median)       {ratio_wall:.2f}x")
    print(f"  reproduce / the original's recorded duration      {ratio_record:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
