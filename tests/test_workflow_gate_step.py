"""The workflow's "Gate against main" step decides INCONCLUSIVE explicitly: run here as the
runner runs it (bash -eo pipefail) in a real git repository whose run store holds a run at
origin/main and one at the pull request, against the real ``nbgraduate gate``.

An INCONCLUSIVE verdict (too few examples to rule out a loss of the margin: two identical runs
of 24 pass/fail examples at margin 0.1) is, with the template's ``GATE_INCONCLUSIVE: warn``, a
warning annotation naming the MDE and the examples needed, and a green step; with ``fail`` a
red one. A FAIL is always red, and so is a gate that cannot compare the runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from repo_builder import git, init_git
from typer.testing import CliRunner

from nbgraduate.cli.app import app
from nbgraduate.gate import GateOptions, run_gate
from nbgraduate.runs.records import MetricSeries, RunRecord, RunStatus
from nbgraduate.runs.store import open_store

RUNNER_BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"]
PIPELINE = "evals/qa"
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)


def record(run_id: str, commit: str, passed: list[int], hours: int, **fields: object) -> RunRecord:
    values = {
        "run_id": run_id,
        "pipeline": PIPELINE,
        "git_commit": commit,
        "contract_version": "1.0.0",
        "temperature": 0.0,
        "python_version": "3.12.3",
        "platform": "linux-x86_64",
        "started_at": T0 + timedelta(hours=hours),
        "ended_at": T0 + timedelta(hours=hours, minutes=5),
        "duration_s": 300.0,
        "status": RunStatus.PASSED,
        "metrics": [
            MetricSeries(
                name="correct",
                repeat=0,
                values=[float(v) for v in passed],
                ids=[f"q{i:03d}" for i in range(len(passed))],
            )
        ],
    }
    values.update(fields)
    return RunRecord(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def gate_step(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, str]]:
    """The gate step's script and the environment GitHub gives it, from `init`'s workflow."""
    root = tmp_path_factory.mktemp("rendered")
    (root / ".git").mkdir()
    result = CliRunner().invoke(app, ["init", "--root", str(root)])
    assert result.exit_code == 0, result.output
    workflow = yaml.safe_load((root / ".github" / "workflows" / "nbgraduate.yml").read_text())
    job = workflow["jobs"]["evaluate"]
    (step,) = [s for s in job["steps"] if s.get("name") == "Gate against main"]
    env = {**workflow["env"], **job.get("env", {}), **step.get("env", {})}
    return step["run"], {k: str(v) for k, v in env.items() if "${{" not in str(v)}


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, str, str]:
    """A pull request branch over origin/main: `evals/qa` exists on both, `evals/new` only on
    the branch. Returns (work tree, main's commit, the branch's commit)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    init_git(repo)
    (repo / ".gitignore").write_text(".nbgraduate/\n", encoding="utf-8")
    (repo / PIPELINE).mkdir(parents=True)
    (repo / PIPELINE / "nbgraduate.lock").write_text("{}\n", encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "main")
    main = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "update-ref", "refs/remotes/origin/main", main)
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "evals" / "new").mkdir()
    (repo / "evals" / "new" / "nbgraduate.lock").write_text("{}\n", encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "a new pipeline")
    return repo, main, git(repo, "rev-parse", "HEAD").strip()


def run_step(
    step: tuple[str, dict[str, str]], repo: Path, **overrides: str
) -> subprocess.CompletedProcess[str]:
    script, env = step
    bin_dir = Path(sys.executable).parent  # `python` and `nbgraduate`, as setup-python's
    environment = {
        **env,
        **overrides,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(repo.parent),
        "GITHUB_STEP_SUMMARY": str(repo.parent / "summary.md"),
    }
    return subprocess.run(
        [*RUNNER_BASH, script],
        cwd=repo,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def store(repo: Path, *records: RunRecord) -> None:
    with open_store(repo / ".nbgraduate") as runs:
        for run in records:
            runs.add(run)


def annotations(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith("::")]


def identical(repo: tuple[Path, str, str], n: int) -> None:
    path, main, head = repo
    passed = [int(i % 4 != 0) for i in range(n)]
    store(path, record("base", main, passed, 0), record("cand", head, passed, 1))


def test_identical_small_runs_warn_with_the_mde_and_examples_needed(gate_step, repo) -> None:
    path = repo[0]
    identical(repo, 24)
    expected = run_gate(GateOptions("base", "cand", 0.1, 0.95, store=path / ".nbgraduate"))
    [metric] = expected.metrics
    assert metric.verdict.value == "INCONCLUSIVE"

    result = run_step(gate_step, path, GATE_MARGIN="0.1")
    assert gate_step[1]["GATE_INCONCLUSIVE"] == "warn"  # the template's explicit choice
    assert result.returncode == 0, result.stdout + result.stderr
    assert annotations(result.stdout) == [
        f"::warning title=gate INCONCLUSIVE::{PIPELINE}: correct is INCONCLUSIVE at margin 0.1:"
        f" 24 paired examples detect only a change of {metric.difference.mde:.4g} (the MDE);"
        f" about {metric.difference.n_needed} examples would decide the margin."
        " GATE_INCONCLUSIVE=warn: the check passes."
    ]
    report = (path / "gate.md").read_text(encoding="utf-8")
    assert "<!-- nbgraduate-gate -->" in report and "**INCONCLUSIVE**" in report
    assert "New pipeline `evals/new`: no baseline on main to gate against." in report
    summary = (path.parent / "summary.md").read_text(encoding="utf-8")
    assert summary == report  # the job summary gets the same report, once


def test_inconclusive_fails_the_check_when_the_workflow_says_so(gate_step, repo) -> None:
    identical(repo, 24)
    result = run_step(gate_step, repo[0], GATE_MARGIN="0.1", GATE_INCONCLUSIVE="fail")
    assert result.returncode == 1
    [line] = annotations(result.stdout)
    assert line.startswith(f"::error title=gate INCONCLUSIVE::{PIPELINE}: correct is INCONCLUSIVE")
    assert line.endswith("GATE_INCONCLUSIVE=fail: the check fails.")


def test_identical_runs_of_sixty_examples_pass_at_margin_a_tenth(gate_step, repo) -> None:
    identical(repo, 60)
    result = run_step(gate_step, repo[0], GATE_MARGIN="0.1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert annotations(result.stdout) == []
    assert "## nbgraduate gate: PASS" in (repo[0] / "gate.md").read_text(encoding="utf-8")


def test_a_regression_fails_whatever_the_inconclusive_policy(gate_step, repo) -> None:
    path, main, head = repo
    before = [1] * 60
    after = [0] * 20 + [1] * 40  # a third of the examples lost
    store(path, record("base", main, before, 0), record("cand", head, after, 1))
    result = run_step(gate_step, path, GATE_MARGIN="0.1")
    assert result.returncode == 1
    [line] = annotations(result.stdout)
    assert line.startswith(
        f"::error title=gate FAIL::{PIPELINE}: correct is worse than main by more than the"
        " margin 0.1 (difference -0.3333, upper bound"
    )


def test_a_gate_that_cannot_compare_the_runs_fails_and_says_where(gate_step, repo) -> None:
    path, main, head = repo
    passed = [1] * 60
    store(path, record("base", main, passed, 0), record("cand", head, passed, 1, temperature=0.7))
    result = run_step(gate_step, path, GATE_MARGIN="0.1")
    assert result.returncode == 1
    assert annotations(result.stdout) == [
        f"::error title=gate could not decide::{PIPELINE}: the gate exited 2 without a verdict;"
        " its message is above in this log"
    ]
    assert "temperature" in result.stderr  # the gate's own one-line reason, in the log


def test_an_unknown_inconclusive_policy_is_refused(gate_step, repo) -> None:
    result = run_step(gate_step, repo[0], GATE_INCONCLUSIVE="maybe")
    assert result.returncode == 2
    assert "GATE_INCONCLUSIVE is 'maybe'; use warn or fail" in result.stdout
