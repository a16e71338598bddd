"""``--shards N`` and ``nbgraduate.shard``: a stable split of the examples by id, merged back
into one record with every id once; scalars kept per shard; a shard that scores what another
scored, or records less, makes the run an infrastructure error, never a partial PASS.

Runs here use the local process pool (the cluster tests run shards on Dask workers).
"""

from __future__ import annotations

import json
import subprocess
import sys
from itertools import chain
from pathlib import Path

import pytest
from tiny_pipelines import cli, git, new_project, run_id_of, show, write_pipeline

import nbgraduate
from nbgraduate.runs.records import RunStatus
from nbgraduate.runs.sharding import SHARD_COUNT_ENV, SHARD_INDEX_ENV, shard_of

IDS = [f"q{number}" for number in range(200)]


@pytest.mark.parametrize("count", [1, 2, 3, 7])
def test_shards_partition_the_examples_keeping_their_order(count: int) -> None:
    parts = [nbgraduate.shard(IDS, index=index, count=count) for index in range(count)]
    assert sorted(chain.from_iterable(parts)) == sorted(IDS)
    assert sum(len(part) for part in parts) == len(IDS)
    for part in parts:
        assert part == [example for example in IDS if example in set(part)]
    if count > 1:
        assert all(part for part in parts)  # 200 ids: no shard is empty


def test_the_split_is_the_same_in_every_interpreter() -> None:
    # Python's own hash() of a str changes with PYTHONHASHSEED; the split must not.
    code = "from nbgraduate.runs.sharding import shard_of; print([shard_of(f'q{n}', 4) for n in range(50)])"
    seen = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert seen == {f"{[shard_of(f'q{n}', 4) for n in range(50)]}\n"}


def test_shard_reads_the_task_from_the_run_and_takes_ids_from_records(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = [{"id": example, "text": "..."} for example in IDS]
    assert nbgraduate.shard(rows) == rows  # not in a sharded run: everything
    monkeypatch.setenv(SHARD_INDEX_ENV, "1")
    monkeypatch.setenv(SHARD_COUNT_ENV, "3")
    picked = nbgraduate.shard(rows)
    assert [row["id"] for row in picked] == nbgraduate.shard(IDS, index=1, count=3)
    by_key = nbgraduate.shard(rows, key=lambda row: row["id"])
    assert by_key == picked
    with pytest.raises(TypeError, match="pass key="):
        nbgraduate.shard([object()])
    with pytest.raises(ValueError, match=r"index must be in 0\.\.2"):
        nbgraduate.shard(IDS, index=3)


PARAMETERS = "dataset: str = '../../data/qa.csv'\nseed: int = 0\nshard_index: int = 0\nshard_count: int = 1\n"

SCORE = (
    "import csv\n"
    "import nbgraduate\n"
    "with open(dataset, encoding='utf-8') as handle:\n"
    "    rows = list(csv.DictReader(handle))\n"
    "mine = nbgraduate.shard(rows, key=lambda row: row['id'])\n"
    "assert (shard_index, shard_count) != (0, 1) or len(mine) == len(rows)\n"
    "nbgraduate.record('correct', [int(r['answer']) % 2 == 0 for r in mine], ids=[r['id'] for r in mine])\n"
    "nbgraduate.record('examples', len(mine))\n"
)


def _project(root: Path, pipelines: dict[str, tuple[str, str]]) -> Path:
    project = new_project(root)
    rows = "".join(f"q{number},{number}\n" for number in range(30))
    (project / "data" / "qa.csv").write_text("id,answer\n" + rows, encoding="utf-8")
    for name, (parameters, cell) in pipelines.items():
        write_pipeline(project / "evals" / name, parameters, cell)
        locked = cli(project, "lock", f"evals/{name}")
        assert locked.returncode == 0, locked.stderr
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "pipelines")
    return project


def test_a_sharded_local_run_merges_its_shards_into_one_record(tmp_path: Path) -> None:
    project = _project(tmp_path / "p", {"even": (PARAMETERS, SCORE)})
    lock = json.loads((project / "evals" / "even" / "nbgraduate.lock").read_text())
    # Run-time parameters: not in the lock, so not something -p can set.
    assert [p["name"] for p in lock["parameters"]] == ["dataset", "seed"]
    refused = cli(project, "run", "evals/even", "-p", "shard_index=1")
    assert refused.returncode == 2 and "unknown parameter 'shard_index'" in refused.stderr

    result = cli(project, "run", "evals/even", "--shards", "3", "--workers", "2")
    assert result.returncode == 0, (result.stdout, result.stderr)
    record = show(project, run_id_of(result))
    assert record.status == RunStatus.PASSED and record.shards == 3 and record.cluster is None
    [correct] = [s for s in record.metrics if s.name == "correct"]
    assert sorted(correct.ids) == sorted(f"q{number}" for number in range(30))
    assert len(correct.values) == 30 and correct.shard is None
    scalars = sorted((s.shard, s.values[0]) for s in record.metrics if s.name == "examples")
    assert [shard for shard, _ in scalars] == [0, 1, 2] and sum(v for _, v in scalars) == 30
    assert "examples (shard 0): mean" in result.stdout  # never one mean over the shards
    assert "\r" not in result.stderr  # no progress line in a log
    assert sorted((t.shard, t.worker) for t in record.tasks) == [
        (0, "local"),
        (1, "local"),
        (2, "local"),
    ]
    assert [r.repeat for r in record.repeats] == [0]
    assert record.repeats[0].executed_notebook.endswith("repeat-0.shard-0.ipynb")


def test_shards_that_overlap_or_record_less_are_infrastructure_errors(tmp_path: Path) -> None:
    unsharded = SCORE.replace("nbgraduate.shard(rows, key=lambda row: row['id'])", "rows")
    unsharded = unsharded.replace("assert", "# assert")
    partial = SCORE + "if shard_index == 0:\n    nbgraduate.record('extra', 1.0)\n"
    failing = SCORE + "assert shard_index != 1, 'too many wrong on this part'\n"
    project = _project(
        tmp_path / "p",
        {
            "overlap": (PARAMETERS, unsharded),
            "partial": (PARAMETERS, partial),
            "failing": (PARAMETERS, failing),
            "plain": ("dataset: str = '../../data/qa.csv'\n", "print(dataset)\n"),
        },
    )
    overlap = cli(project, "run", "evals/overlap", "--shards", "2")
    assert overlap.returncode == 3, (overlap.stdout, overlap.stderr)
    assert "metric 'correct': example 'q0' was scored by shards 0 and 1" in overlap.stdout
    partial_run = cli(project, "run", "evals/partial", "--shards", "2")
    assert partial_run.returncode == 3, (partial_run.stdout, partial_run.stderr)
    assert "repeat 0: metric 'extra' missing from shard 1" in partial_run.stdout
    assert show(project, run_id_of(partial_run)).status == RunStatus.INFRASTRUCTURE_ERROR
    # An assert that stops one shard leaves the repeat without a verdict: not an eval failure.
    failing_run = cli(project, "run", "evals/failing", "--shards", "2")
    assert failing_run.returncode == 3, (failing_run.stdout, failing_run.stderr)
    assert "repeat 0: shard 1 eval-failed: cell 2: AssertionError" in failing_run.stdout
    # A pipeline that does not declare the shard parameters cannot be split.
    refused = cli(project, "run", "evals/plain", "--shards", "2")
    assert refused.returncode == 2
    assert "--shards 2 needs the pipeline to declare `shard_index: int = 0`" in refused.stderr
