"""Small real pipelines in real git repositories, for the snapshot and reproduce tests.

Not a test module. A project holds ``data/`` (ignored by git, as data in a bucket mount or a
shared folder often is) and pipelines under ``evals/`` whose notebooks read from it; every
nbgraduate command runs through the real entry point in a fresh interpreter.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from nbgraduate.runs.records import RunRecord
from nbgraduate.runs.store import open_store

CLI_TIMEOUT_S = 240


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        [
            "git",
            "-c",
            "user.name=nbgraduate tests",
            "-c",
            "user.email=tests@example.invalid",
            "-c",
            "commit.gpgsign=false",
            *args,
        ],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout


def cli(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m nbgraduate ARGS`` in ``cwd`` (GitLab's CI_PROJECT_DIR dropped)."""
    environment = {key: value for key, value in os.environ.items() if key != "CI_PROJECT_DIR"}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "nbgraduate", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=environment,
        timeout=CLI_TIMEOUT_S,
        check=False,
    )


def new_project(root: Path) -> Path:
    """A git repository with ``data/`` and ``.nbgraduate/`` ignored, nothing committed yet."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    (root / ".gitignore").write_text("data/\n.nbgraduate/\n", encoding="utf-8")
    (root / "data").mkdir(exist_ok=True)
    return root


def write_pipeline(directory: Path, parameters: str, *cells: str, requirements: str = "") -> Path:
    """A pipeline notebook (``parameters`` cell, then ``cells``) and its requirements.txt."""
    parameters_cell = new_code_cell(parameters)
    parameters_cell.metadata["tags"] = ["parameters"]
    notebook = new_notebook(cells=[parameters_cell, *(new_code_cell(cell) for cell in cells)])
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    directory.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, str(directory / f"{directory.name}.ipynb"))
    (directory / "requirements.txt").write_text(requirements, encoding="utf-8")
    return directory


#: Reads ``dataset`` (CSV of ``id,answer``) and records whether each answer is even.
EVEN_ANSWERS = (
    "import csv\n"
    "import nbgraduate\n"
    "with open(dataset, encoding='utf-8') as handle:\n"
    "    rows = list(csv.DictReader(handle))\n"
    "scores = [1.0 if int(row['answer']) % 2 == 0 else 0.0 for row in rows]\n"
    "nbgraduate.record('correct', scores, ids=[row['id'] for row in rows])\n"
)


def run_id_of(result: subprocess.CompletedProcess[str]) -> str:
    match = re.match(r"run (\S+): ", result.stdout)
    assert match, (result.stdout, result.stderr)
    return match[1]


def show(project: Path, run_id: str) -> RunRecord:
    """The stored record of ``run_id`` in ``project``'s store (read in this process: a
    ``runs show`` subprocess per record would cost a second each)."""
    with open_store(project / ".nbgraduate", create=False) as store:
        return store.get(run_id)
