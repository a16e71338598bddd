"""The kernel's environment against the lock: ``run`` checks it, ``env`` builds it.

The built environment comes from a real package index on 127.0.0.1 (``package_index.py``):
the pipeline's own requirement is a tiny wheel built for the test, and ipykernel, its
dependencies and nbgraduate are this interpreter's installed distributions, repacked as wheels.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import nbformat
import pytest
from cli_runner import run_cli
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from package_index import PackageIndex

from nbgraduate.runs.environment import check_environment

SCORER = '''"""A scorer from the package index, for the environment test."""


def score(answer: str, reference: str) -> float:
    return 1.0 if answer.strip().lower() == reference.strip().lower() else 0.0
'''


def legacy_notebook(directory: Path, *imports: str) -> Path:
    """A small deterministic eval notebook that records a per-example metric."""
    cells = [
        new_markdown_cell("# Exact match"),
        new_code_cell("\n".join(["import nbgraduate", *imports])),
        new_code_cell(
            'rows = [("a1", "Paris", "paris"), ("a2", "Rome", "Milan"), ("a3", "Oslo", "oslo")]\n'
            "ids = [row[0] for row in rows]\n"
            "scores = [SCORE(row[1], row[2]) for row in rows]\n"
            'nbgraduate.record("exact_match", scores, ids=ids)\n'
            "print(sum(scores))"
        ),
    ]
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = directory / "exact_match.ipynb"
    nbformat.write(notebook, str(path))
    return path


def graduate(directory: Path, requirements: str, *imports: str, score: str) -> Path:
    """Convert the notebook, then pin ``requirements`` by hand and re-lock, as a user would."""
    source = legacy_notebook(directory, *imports)
    text = source.read_text(encoding="utf-8").replace("SCORE(", f"{score}(")
    source.write_text(text, encoding="utf-8")
    result = run_cli(directory, "convert", source.name)
    assert result.returncode in (0, 1), result.stderr
    pipeline = directory / "exact_match"
    (pipeline / "requirements.txt").write_text(requirements, encoding="utf-8")
    locked = run_cli(directory, "lock", "exact_match")
    assert locked.returncode == 0, locked.stderr
    return pipeline


def records(directory: Path) -> list[dict]:
    with sqlite3.connect(directory / ".nbgraduate" / "runs.sqlite") as connection:
        rows = connection.execute("SELECT record_json FROM runs").fetchall()
    return [json.loads(row[0]) for row in rows]


def test_check_compares_distributions_and_reports_modules_without_metadata() -> None:
    pins = {"pandas": "2.2.2", "numpy": "2.0.0", "local-scorer": "1.0", "gone": "3.1"}
    installed = {"pandas": "2.2.2", "numpy": "2.1.0"}
    check = check_environment(pins, installed, importable=lambda module: module == "local_scorer")
    assert check.drift == [
        "gone: locked 3.1, not installed",
        "numpy: locked 2.0.0, installed 2.1.0",
    ]
    assert len(check.reported) == 1 and check.reported[0].startswith("local-scorer: importable")


def test_run_refuses_an_environment_without_the_locked_versions(tmp_path: Path) -> None:
    pipeline = graduate(
        tmp_path,
        "nbformat==0.0.1\n",
        "import json",
        score="(lambda a, b: float(a.lower() == b.lower()))",
    )
    refused = run_cli(tmp_path, "run", "exact_match")
    assert refused.returncode == 2, refused.stdout + refused.stderr
    (line,) = refused.stderr.strip().splitlines()
    assert "nbformat: locked 0.0.1, installed " in line
    assert "nbgraduate env" in line and "--allow-drift" in line
    assert not (tmp_path / ".nbgraduate" / "runs.sqlite").exists()

    allowed = run_cli(tmp_path, "run", "exact_match", "--allow-drift")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert "environment drift: nbformat: locked 0.0.1" in allowed.stdout
    (record,) = records(tmp_path)
    assert record["reproducible"] is False
    assert record["environment_drift"][0].startswith("nbformat: locked 0.0.1, installed ")
    assert pipeline.is_dir()


def test_a_stand_in_module_without_metadata_is_reported_not_drift(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stand_in = tmp_path / "stand_in"
    (stand_in / "tiny_scorer").mkdir(parents=True)
    (stand_in / "tiny_scorer" / "__init__.py").write_text(SCORER, encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(stand_in))
    graduate(tmp_path, "tiny-scorer==1.0.0\n", "from tiny_scorer import score", score="score")

    result = run_cli(tmp_path, "run", "exact_match")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "not checked: tiny-scorer: importable as `tiny_scorer`" in result.stdout
    (record,) = records(tmp_path)
    assert record["reproducible"] is True and record["environment_drift"] == []
    assert record["environment_unchecked"][0].startswith("tiny-scorer: importable")


def test_env_builds_from_a_loopback_index_and_run_env_passes_in_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only the loopback index: no pip configuration of this machine (mirrors, find-links).
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    index = PackageIndex(tmp_path / "index")
    index.add_wheel("tiny-scorer", "1.0.0", modules={"tiny_scorer/__init__.py": SCORER})
    index.add_wheel("tiny-scorer", "0.9.0", modules={"tiny_scorer/__init__.py": "score = None\n"})
    index.add_installed("ipykernel")
    index.add_installed("nbgraduate")
    url = index.start()
    try:
        project = tmp_path / "project"
        project.mkdir()
        # Conversion resolves tiny-scorer (not installed here) from the index and locks it.
        monkeypatch.setenv("PIP_INDEX_URL", url)
        source = legacy_notebook(project, "from tiny_scorer import score")
        source.write_text(source.read_text().replace("SCORE(", "score("), encoding="utf-8")
        converted = run_cli(project, "convert", source.name)
        assert converted.returncode == 0, converted.stdout + converted.stderr
        pipeline = project / "exact_match"
        assert "tiny-scorer==1.0.0" in (pipeline / "requirements.txt").read_text()
        assert "--hash=sha256:" in (pipeline / "requirements.lock").read_text()
        # Not installed here: a plain run is refused.
        assert run_cli(project, "run", "exact_match").returncode == 2

        monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple/")  # --index-url wins
        built = run_cli(project, "env", "exact_match", "--index-url", url, timeout=600)
        assert built.returncode == 0, built.stdout + built.stderr
        description = json.loads(
            (project / ".nbgraduate" / "envs" / "exact_match" / "env.json").read_text()
        )
        assert description["kernel_name"] == "nbgraduate-exact-match"
        assert description["requirements"] == "requirements.lock"  # the hashed lock
        kernel = Path(description["path"]) / "share/jupyter/kernels/nbgraduate-exact-match"
        assert (kernel / "kernel.json").is_file()
        assert any("/simple/tiny-scorer/" in request for request in index.requests)

        ran = run_cli(project, "run", "exact_match", "--env", timeout=300)
        assert ran.returncode == 0, ran.stdout + ran.stderr
        (record,) = records(project)
        assert record["environment_drift"] == [] and record["reproducible"] is True
        assert record["packages"]["tiny-scorer"] == "1.0.0"
        (metric,) = record["metrics"]
        assert metric["values"] == [1.0, 0.0, 1.0] and metric["ids"] == ["a1", "a2", "a3"]
    finally:
        index.stop()
    assert os.environ.get("VIRTUAL_ENV", "") != str(tmp_path)
