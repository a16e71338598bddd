"""``nbgraduate runs show|export`` name runs as ``gate`` does (``latest``, ``latest@ref``), and
``nbgraduate run`` on a folder that is not a pipeline says what it is and what to do."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cli_runner import run_cli

from nbgraduate.runs.records import MetricSeries, RunRecord, RunStatus
from nbgraduate.runs.store import load_record_file, open_store

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def make_record(run_id: str, pipeline: str, hours: int, commit: str | None = None) -> RunRecord:
    moment = T0 + timedelta(hours=hours)
    return RunRecord(
        run_id=run_id,
        pipeline=pipeline,
        git_commit=commit,
        python_version="3.11.7",
        platform="linux",
        started_at=moment,
        ended_at=moment + timedelta(minutes=1),
        duration_s=60.0,
        status=RunStatus.PASSED,
        metrics=[MetricSeries(name="correct", values=[1.0, 0.0], ids=["a", "b"])],
    )


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, str, str]:
    """A git repository with two commits and a run store holding runs at each."""
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "eval.txt").write_text("v1\n")
    git(tmp_path, "add", "eval.txt")
    git(tmp_path, "commit", "-q", "-m", "v1")
    first = git(tmp_path, "rev-parse", "HEAD")
    (tmp_path / "eval.txt").write_text("v2\n")
    git(tmp_path, "commit", "-q", "-am", "v2")
    second = git(tmp_path, "rev-parse", "HEAD")
    with open_store(tmp_path / ".nbgraduate") as store:
        store.add(make_record("qa-at-v1", "evals/qa", 0, first))
        store.add(make_record("other-at-v1", "evals/other", 1, first))
        store.add(make_record("qa-at-v2", "evals/qa", 2, second))
        store.add(make_record("other-at-v2", "evals/other", 3, second))
    return tmp_path, first, second


def shown(cwd: Path, *args: str) -> str:
    result = run_cli(cwd, "runs", "show", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["run_id"]


def test_runs_show_takes_latest_like_the_gate(project: tuple[Path, str, str]) -> None:
    root, _first, _second = project
    assert shown(root, "latest") == "other-at-v2"
    assert shown(root, "latest", "--pipeline", "evals/qa") == "qa-at-v2"
    assert shown(root, "latest@HEAD~1", "--pipeline", "evals/qa") == "qa-at-v1"
    assert shown(root, "latest@HEAD~1") == "other-at-v1"
    assert shown(root, "qa-at-v1") == "qa-at-v1"
    ambiguous = run_cli(root, "runs", "show", "qa-at")
    assert ambiguous.returncode == 2 and "ambiguous" in ambiguous.stderr


def test_runs_show_latest_errors_name_what_is_missing(project: tuple[Path, str, str]) -> None:
    root, _first, _second = project
    missing = run_cli(root, "runs", "show", "latest", "--pipeline", "evals/none")
    assert missing.returncode == 2
    assert "no run of pipeline 'evals/none'" in missing.stderr
    unknown = run_cli(root, "runs", "show", "latest@no-such-branch")
    assert unknown.returncode == 2
    assert "unknown git ref 'no-such-branch'" in unknown.stderr


def test_runs_export_latest_writes_a_record_file_the_gate_reads(
    project: tuple[Path, str, str],
) -> None:
    root, _first, _second = project
    result = run_cli(root, "runs", "export", "latest", "--pipeline", "evals/qa", "-o", "qa.json")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "exported qa-at-v2 to qa.json\n"
    assert load_record_file(root / "qa.json").run_id == "qa-at-v2"
    at_ref = run_cli(root, "runs", "export", "latest@main~1", "-o", "old.json")
    assert at_ref.returncode == 0, at_ref.stderr
    assert load_record_file(root / "old.json").run_id == "other-at-v1"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            "evals",
            "evals: not a pipeline directory (no nbgraduate.lock); it holds pipelines: evals/judge",
        ),
        ("evals/data", "evals/data: not a pipeline directory: no nbgraduate.lock and no notebook"),
        (
            "evals/judge.ipynb",
            "evals/judge.ipynb: a notebook, not a pipeline; run its pipeline: nbgraduate run"
            " evals/judge",
        ),
        (
            "scratch",
            "scratch: not a pipeline directory (no nbgraduate.lock): graduate a notebook with"
            " `nbgraduate convert scratch/idea.ipynb`, or lock a pipeline you wrote with"
            " `nbgraduate lock scratch`",
        ),
        (
            "scratch/idea.ipynb",
            "scratch/idea.ipynb: a notebook, not a pipeline; graduate it first: nbgraduate"
            " convert scratch/idea.ipynb",
        ),
        ("nowhere", "nowhere: no such pipeline directory"),
    ],
)
def test_run_on_what_is_not_a_pipeline_says_so(tmp_path: Path, given: str, expected: str) -> None:
    for name in ("evals/judge/judge.ipynb", "evals/judge.ipynb", "scratch/idea.ipynb"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}", encoding="utf-8")
    (tmp_path / "evals" / "judge" / "nbgraduate.lock").write_text("{}", encoding="utf-8")
    (tmp_path / "evals" / "data").mkdir()
    result = run_cli(tmp_path, "run", given)
    assert result.returncode == 2
    assert result.stderr == f"error: {expected}\n"
    assert not (tmp_path / ".nbgraduate").exists()


def test_runs_show_links_a_reproduction_and_its_original_both_ways(
    project: tuple[Path, str, str],
) -> None:
    from nbgraduate.runs.records import CiRun, Reproduction

    root, first, _second = project
    again = make_record("qa-again", "evals/qa", 5, first).model_copy(
        update={
            "reproduction": Reproduction(of="qa-at-v1", verdict="identical"),
            "ci": CiRun(server_url="https://github.com", repository="acme/evals", run_id="77"),
        }
    )
    with open_store(root / ".nbgraduate") as store:
        store.add(again)
    original = run_cli(root, "runs", "show", "qa-at-v1")
    assert original.returncode == 0, original.stderr
    assert json.loads(original.stdout)["run_id"] == "qa-at-v1"
    assert original.stderr == "reproduced by: qa-again (identical)\n"
    reproduction = run_cli(root, "runs", "show", "qa-again")
    assert reproduction.returncode == 0, reproduction.stderr
    assert json.loads(reproduction.stdout)["reproduction"]["of"] == "qa-at-v1"
    assert reproduction.stderr == (
        "reproduces: qa-at-v1 (identical)\nCI run: https://github.com/acme/evals/actions/runs/77\n"
    )
    listed = run_cli(root, "runs")
    assert listed.returncode == 0, listed.stderr
    (line,) = [line for line in listed.stdout.splitlines() if line.startswith("qa-again")]
    assert line.endswith("reproduces qa-at-v1: identical")
