"""A team's shared run store in PostgreSQL, end to end through the real command line.

``run``, ``runs``, ``gate`` (``latest``, ``latest@ref``), ``report`` and ``runs push`` against a
real PostgreSQL server (tests/postgres_server.py), with the store named by ``--store``, by
``NBGRADUATE_STORE`` and by ``[tool.nbgraduate] store``. The same commands against the embedded
SQLite store are covered by test_run.py, test_gate_cli.py and test_report.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from nbgraduate.runs.layout import StoreLocation
from nbgraduate.runs.push import push_runs
from nbgraduate.runs.records import RunRecord, RunStatus
from nbgraduate.runs.store import StoreError, open_store

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

CLI_TIMEOUT_S = 180
PIPELINE = "evals/quality"


def nbgraduate(cwd: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    import os

    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("NBGRADUATE_")
    }
    environment["NBGRADUATE_CACHE_DIR"] = str(cwd / ".lint-cache")
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "nbgraduate", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=environment,
        timeout=CLI_TIMEOUT_S,
        check=False,
    )


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def run_id_of(result: Any) -> str:
    assert result.returncode == 0, (result.stdout, result.stderr)
    return result.stdout.split()[1].rstrip(":")


def make_project(root: Path) -> Path:
    """A git repository with one locked pipeline that records a per-example score."""
    pipeline = root / PIPELINE
    pipeline.mkdir(parents=True)
    parameters = new_code_cell("seed: int = 0  # seed")
    parameters.metadata["tags"] = ["parameters"]
    notebook = new_notebook(
        cells=[
            parameters,
            new_code_cell(
                "import nbgraduate\n"
                "ids = [f'q{i:02d}' for i in range(30)]\n"
                "nbgraduate.record('quality', [0.5 + (i % 5) / 10 for i in range(30)], ids=ids)"
            ),
        ]
    )
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(notebook, str(pipeline / "quality.ipynb"))
    (root / "pyproject.toml").write_text("[project]\nname = 'evals'\n", encoding="utf-8")
    locked = nbgraduate(root, "lock", PIPELINE)
    assert locked.returncode == 0, locked.stderr
    (root / ".gitignore").write_text(".nbgraduate/\n.lint-cache/\n", encoding="utf-8")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "v1")
    return root


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, postgres_server: Any) -> Any:
    """One project and one database; two runs recorded into it, at two commits."""
    url = postgres_server.new_database()
    root = make_project(tmp_path_factory.mktemp("shared"))
    first = run_id_of(nbgraduate(root, "run", PIPELINE, "--store", url))
    (root / "NOTES.md").write_text("a change that leaves the eval as it was\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "v2")
    second = run_id_of(nbgraduate(root, "run", PIPELINE, env={"NBGRADUATE_STORE": url}))
    yield root, url, first, second
    postgres_server.drop_database(url)


def test_runs_go_to_the_database_and_nothing_to_the_project(shared: Any) -> None:
    root, url, first, second = shared
    assert not (root / ".nbgraduate").exists()
    listing = nbgraduate(root, "runs", "--store", url)
    assert listing.returncode == 0, listing.stderr
    assert [line.split()[0] for line in listing.stdout.splitlines()] == [second, first]
    shown = nbgraduate(root, "runs", "show", first[:18], env={"NBGRADUATE_STORE": url})
    record = RunRecord.model_validate_json(shown.stdout)
    assert record.status is RunStatus.PASSED
    assert record.pipeline == PIPELINE
    assert record.git_commit == git(root, "rev-parse", "HEAD~1")


def test_the_executed_notebook_is_kept_in_the_database(shared: Any, tmp_path: Path) -> None:
    root, url, first, _ = shared
    files = nbgraduate(root, "runs", "files", first, "--store", url)
    assert files.returncode == 0, files.stderr
    where = {row[0]: row[-1] for row in map(str.split, files.stdout.splitlines())}
    assert where["repeat-0.ipynb"] == "database"
    assert where["repeat-0.metrics.jsonl"] == "database"

    out = tmp_path / "executed.ipynb"
    fetched = nbgraduate(
        root, "runs", "files", first, "repeat-0.ipynb", "-o", str(out), "--store", url
    )
    assert fetched.returncode == 0, fetched.stderr
    executed = nbformat.read(str(out), as_version=4)
    assert executed.cells[-1].execution_count is not None


def test_gate_latest_against_latest_at_the_previous_commit(shared: Any) -> None:
    root, url, first, second = shared
    result = nbgraduate(
        root,
        "gate",
        "--baseline",
        "latest@HEAD~1",
        "--candidate",
        "latest",
        "--pipeline",
        PIPELINE,
        "--margin",
        "0.05",
        "--confidence",
        "0.95",
        "--output-format",
        "json",
        "--store",
        url,
    )
    assert result.returncode == 0, (result.stdout, result.stderr)
    report = json.loads(result.stdout)
    assert (report["baseline"]["run_id"], report["candidate"]["run_id"]) == (first, second)
    assert [metric["verdict"] for metric in report["metrics"]] == ["PASS"]


def test_report_reads_the_database_named_in_pyproject(shared: Any, tmp_path: Path) -> None:
    _, url, first, _ = shared
    project = tmp_path / "reader"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        f'[tool.nbgraduate]\nstore = "{url}"\n', encoding="utf-8"
    )
    result = nbgraduate(project, "report", "-o", str(tmp_path / "site"))
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert PIPELINE in page
    listing = nbgraduate(project, "runs")
    assert first in listing.stdout


def test_a_ci_job_runs_on_sqlite_and_pushes_its_run_idempotently(
    shared: Any, postgres_url: str, tmp_path: Path
) -> None:
    root, _, _, _ = shared
    local_run = run_id_of(nbgraduate(root, "run", PIPELINE))
    assert (root / ".nbgraduate" / "runs.sqlite").is_file()

    pushed = nbgraduate(root, "runs", "push", local_run[:20], "--to", postgres_url)
    assert pushed.returncode == 0, pushed.stderr
    assert pushed.stdout.startswith(f"{local_run}: copied (")
    again = nbgraduate(root, "runs", "push", local_run, "--to", postgres_url)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith(f"{local_run}: already there (")

    with open_store(root / ".nbgraduate") as local, open_store(postgres_url) as team:
        assert team.get(local_run) == local.get(local_run)
        assert [r.run_id for r in team.list()] == [local_run]
        assert [(r.name, r.sha256) for r in team.artifacts(local_run)] == [
            (r.name, r.sha256) for r in local.artifacts(local_run)
        ]
        assert team.read_artifact(local_run, "repeat-0.ipynb") == local.read_artifact(
            local_run, "repeat-0.ipynb"
        )
        assert {r.location for r in team.artifacts(local_run)} == {"database"}


def test_push_refuses_to_replace_a_different_run_with_the_same_id(
    tmp_path: Path, postgres_url: str
) -> None:
    from test_store import make_record

    with open_store(tmp_path / ".nbgraduate") as local, open_store(postgres_url) as team:
        local.add(make_record("run-1"), artifacts={"repeat-0.ipynb": b"ours"})
        team.add(make_record("run-1", pipeline="someone-else"))
        with pytest.raises(StoreError, match="already stored there with different content"):
            push_runs(local, team, ["run-1"])
        assert team.get("run-1").pipeline == "someone-else"


def test_push_into_a_directory_artifact_area(tmp_path: Path, postgres_url: str) -> None:
    from test_store import make_record

    area = tmp_path / "bucket"
    destination = StoreLocation(url=postgres_url, artifacts=str(area))
    with open_store(tmp_path / ".nbgraduate") as local, open_store(destination) as team:
        local.add(make_record("run-1"), artifacts={"repeat-0.ipynb": b"executed"})
        (result,) = push_runs(local, team, ["run-1"])
        assert (result.outcome, result.files) == ("copied", 1)
        (ref,) = team.artifacts("run-1")
        assert ref.location == str(area)
        assert (area / "sha256" / ref.sha256[:2] / ref.sha256).read_bytes() == b"executed"


def test_gc_never_removes_the_files_of_runs_kept_in_the_database(
    shared: Any, tmp_path: Path
) -> None:
    root, url, first, _ = shared
    with open_store(url) as team:
        stray = tmp_path / "stray.csv"
        stray.write_bytes(b"a snapshot no run references")
        unreferenced = team.objects.put(stray).sha256
    collected = nbgraduate(root, "gc", "--delete", "--grace", "0", "--store", url)
    assert collected.returncode == 0, collected.stderr
    assert "removed 1 unreferenced" in collected.stdout
    with open_store(url) as team:
        assert not team.objects.has(unreferenced)
        notebook = team.read_artifact(first, "repeat-0.ipynb")
    assert nbformat.reads(notebook.decode(), as_version=4).cells
