"""Runs that outgrow one machine: the Dask cluster against the local pool, sharding, the stores.

Usage: ``python bench/bench_scaleout.py [--repeats 8] [--pause 2] [--examples 20000]
[--per-example-ms 0.5] [--records 1000] [--keep]``.

Everything is measured in this run, on this machine, through the real commands:

1. ``--repeats`` repeats of a pipeline whose cell sleeps ``--pause`` seconds: on a two-worker
   Dask cluster (a real ``dask scheduler`` and two ``dask worker --nthreads 1`` processes on
   127.0.0.1), on the local pool with 2 workers, and with 1 worker (targets: the cluster within
   1.15x of the local pool, both near 0.5x of one worker);
2. a ``--examples`` run whose cell spends ``--per-example-ms`` of CPU per example, on the same
   cluster with ``--shards 4`` against unsharded;
3. the run store: ``--records`` records written, then ``gate --candidate latest`` against
   one of them, on the embedded SQLite store and on a private PostgreSQL server (``initdb`` in
   a temp dir; skipped with the reason when no server binaries are installed).

Wall times of whole CLI commands include the interpreter's start-up and the lock check, as a
user sees them. Needs ``nbgraduate[dask]`` (and ``nbgraduate[postgres]`` for the last rows).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench_support import progress, scratch_directory, seconds

# The tests' helpers start the same real processes the tests use.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from dask_cluster import DaskCluster, dask_missing
from postgres_server import PostgresServer, find_binaries

_TIMEOUT_S = 1800

SLEEP_CELL = (
    "import time\nimport nbgraduate\ntime.sleep(pause)\nnbgraduate.record('slept', pause)\n"
)

GRADE_CELL = """\
import csv
import time
import nbgraduate

with open(dataset, encoding="utf-8") as handle:
    rows = nbgraduate.shard(list(csv.DictReader(handle)), key=lambda row: row["id"])
scores = []
for row in rows:
    started = time.process_time()
    while time.process_time() - started < per_example:
        pass
    scores.append(1.0 if int(row["answer"]) % 2 == 0 else 0.0)
nbgraduate.record("correct", scores, ids=[row["id"] for row in rows])
"""


def _cli(root: Path, *args: str, ok: tuple[int, ...] = (0,)) -> float:
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
    wall = time.perf_counter() - started
    if completed.returncode != 0:
        raise SystemExit(
            f"nbgraduate {' '.join(args)} failed: {completed.stdout}{completed.stderr}"
        )
    return wall


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def _pipeline(root: Path, name: str, parameters: str, cell: str) -> None:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    first = new_code_cell(parameters)
    first.metadata["tags"] = ["parameters"]
    notebook = new_notebook(cells=[first, new_code_cell(cell)])
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    directory = root / "evals" / name
    directory.mkdir(parents=True)
    nbformat.write(notebook, str(directory / f"{name}.ipynb"))
    (directory / "requirements.txt").write_text("", encoding="utf-8")
    _cli(root, "lock", f"evals/{name}")


def _project(root: Path, arguments: argparse.Namespace) -> None:
    _git(root, "init", "-q", "-b", "main")
    (root / ".gitignore").write_text("data/\n.nbgraduate/\n", encoding="utf-8")
    (root / "data").mkdir()
    lines = ["id,answer"] + [f"q{i},{i}" for i in range(arguments.examples)]
    (root / "data" / "golden.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    _pipeline(root, "sleep", f"seed: int = 0\npause: float = {arguments.pause}\n", SLEEP_CELL)
    _pipeline(
        root,
        "grade",
        "dataset: str = '../../data/golden.csv'\n"
        f"per_example: float = {arguments.per_example_ms / 1000}\n"
        "shard_index: int = 0\nshard_count: int = 1\n",
        GRADE_CELL,
    )
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "bench pipelines")


def _record(run_id: str, when: datetime, examples: int, offset: float):
    from nbgraduate.runs.records import MetricSeries, RunRecord, RunStatus

    ids = [f"q{i}" for i in range(examples)]
    return RunRecord(
        run_id=run_id,
        pipeline="evals/bench",
        git_commit="0" * 40,
        lock_digest="sha256:" + "1" * 64,
        contract_version="1.0.0",
        python_version=platform.python_version(),
        platform=platform.platform(),
        started_at=when,
        ended_at=when + timedelta(seconds=3),
        duration_s=3.0,
        status=RunStatus.PASSED,
        metrics=[
            MetricSeries(
                name="correct",
                values=[float((i + int(offset)) % 3 != 0) for i in range(examples)],
                ids=ids,
            )
        ],
    )


def _store_rows(root: Path, store: str, records: int) -> tuple[float, float]:
    """Seconds to add ``records`` records one by one, and the wall time of ``gate latest``."""
    from nbgraduate.runs.store import open_store

    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    made = [_record(f"bench-{i:05d}", start + timedelta(minutes=i), 200, i) for i in range(records)]
    started = time.perf_counter()
    with open_store(store) as run_store:
        for record in made:
            run_store.add(record)
    written = time.perf_counter() - started
    gate = _cli(
        root,
        "gate",
        "--baseline",
        "bench-00000",
        "--candidate",
        "latest",
        "--pipeline",
        "evals/bench",
        "--margin",
        "0.05",
        "--confidence",
        "0.95",
        "--store",
        store,
        "--output-format",
        "json",
        ok=(0, 1),  # a verdict either way; the time is what is measured
    )
    return written, gate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=8)
    parser.add_argument("--pause", type=float, default=2.0, help="seconds the cell sleeps")
    parser.add_argument("--examples", type=int, default=20000)
    parser.add_argument("--per-example-ms", type=float, default=0.5)
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--keep", action="store_true")
    arguments = parser.parse_args()
    missing = dask_missing()
    if missing:
        raise SystemExit(f"needs a Dask cluster: {missing}")
    load_before = os.getloadavg()[0]
    rows: list[tuple[str, str, str]] = []
    with scratch_directory("nbgraduate-bench-scaleout-", keep=arguments.keep) as root:
        project = root / "project"
        project.mkdir()
        progress("project and pipelines")
        _project(project, arguments)
        cluster = DaskCluster(workers=2)
        progress("a dask scheduler and two workers on 127.0.0.1")
        cluster.start()
        try:
            repeats = str(arguments.repeats)
            # Untimed: bytecode caches, kernel spec lookups, each worker's first imports.
            _cli(project, "run", "evals/sleep", "--cluster", cluster.address, "--repeats", "2")
            progress(f"{repeats} repeats on the cluster")
            on_cluster = _cli(
                project, "run", "evals/sleep", "--cluster", cluster.address, "--repeats", repeats
            )
            progress(f"{repeats} repeats on the local pool, 2 workers")
            pool = _cli(project, "run", "evals/sleep", "--repeats", repeats, "--workers", "2")
            progress(f"{repeats} repeats with 1 worker")
            single = _cli(project, "run", "evals/sleep", "--repeats", repeats, "--workers", "1")
            what = f"{repeats} repeats x {arguments.pause:g} s sleep"
            rows += [
                (f"{what}, 1 local worker", seconds(single), ""),
                (f"{what}, local pool of 2", seconds(pool), f"{pool / single:.2f}x of 1 worker"),
                (
                    f"{what}, Dask cluster of 2",
                    seconds(on_cluster),
                    f"{on_cluster / pool:.2f}x of the pool (target <= 1.15x),"
                    f" {on_cluster / single:.2f}x of 1 worker (target ~0.5x)",
                ),
            ]
            examples = f"{arguments.examples:,} examples"
            progress(f"{examples} unsharded on the cluster")
            whole = _cli(project, "run", "evals/grade", "--cluster", cluster.address)
            progress(f"{examples}, 4 shards on the cluster")
            sharded = _cli(
                project, "run", "evals/grade", "--cluster", cluster.address, "--shards", "4"
            )
            rows += [
                (f"{examples}, unsharded, cluster of 2", seconds(whole), ""),
                (
                    f"{examples}, 4 shards, cluster of 2",
                    seconds(sharded),
                    f"{sharded / whole:.2f}x of unsharded",
                ),
            ]
        finally:
            cluster.stop()
        records = arguments.records
        progress(f"{records} records into SQLite")
        sqlite_write, sqlite_gate = _store_rows(project, str(root / "sqlite-store"), records)
        rows += [
            (
                f"{records} records written, SQLite",
                seconds(sqlite_write),
                f"{sqlite_write / records * 1000:.1f} ms a record",
            ),
            (f"gate latest among {records}, SQLite", seconds(sqlite_gate), ""),
        ]
        binaries, why_not = find_binaries()
        if binaries is None:
            rows.append(("PostgreSQL rows", "skipped", why_not))
        else:
            server = PostgresServer(binaries)
            progress(f"{records} records into PostgreSQL (a private server)")
            server.start()
            try:
                pg_write, pg_gate = _store_rows(project, server.new_database(), records)
            finally:
                server.stop()
            rows += [
                (
                    f"{records} records written, PostgreSQL",
                    seconds(pg_write),
                    f"{pg_write / records * 1000:.1f} ms a record,"
                    f" {pg_write / sqlite_write:.2f}x of SQLite",
                ),
                (
                    f"gate latest among {records}, PostgreSQL",
                    seconds(pg_gate),
                    f"{pg_gate / sqlite_gate:.2f}x of SQLite",
                ),
            ]
    load_after = os.getloadavg()[0]
    print(
        f"nbgraduate scale-out: Python {platform.python_version()}, {os.cpu_count()} CPUs,"
        f" load {load_before:.2f} -> {load_after:.2f}"
    )
    width = max(len(label) for label, _, _ in rows)
    for label, value, note in rows:
        print(f"  {label:<{width}}  {value:>9}  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
