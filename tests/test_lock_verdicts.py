"""NBG802's lock verdicts: a lock text the lock model accepted is not validated again while
the result cache remembers it, and everything else still goes through the model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_runner import unmeasured_environment
from lock_samples import MINIMAL_LOCK

from nbgraduate.core.errors import ConfigError
from nbgraduate.lint import lock_verdicts as verdicts_module
from nbgraduate.lint.lock_verdicts import MAX_LOCKS, LockVerdicts
from nbgraduate.lock import lockfile

LOCK = {**MINIMAL_LOCK, "datasets": [{"path": "data/qa.csv", "sha256": "1" * 64}]}
NOTEBOOK = json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


@pytest.fixture
def pipeline(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    directory = tmp_path / "evals" / "qa"
    (directory / "data").mkdir(parents=True)
    (directory / "judge.ipynb").write_text(NOTEBOOK, encoding="utf-8")
    (directory / "data" / "qa.csv").write_text("q,a\n", encoding="utf-8")
    write_lock(directory, LOCK)
    return directory


def write_lock(directory: Path, lock: dict) -> None:
    (directory / "nbgraduate.lock").write_text(json.dumps(lock), encoding="utf-8")


class CountingReads:
    """``read_lock`` that counts how often the lock model was asked."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        real = lockfile.read_lock

        def read_lock(pipeline_dir: Path):
            self.calls += 1
            return real(pipeline_dir)

        monkeypatch.setattr(lockfile, "read_lock", read_lock)


def verdict(cache: Path | None, pipeline: Path) -> str | None:
    verdicts = LockVerdicts(cache)
    problem = verdicts.problem(pipeline)
    verdicts.save()
    return problem


def test_an_accepted_lock_is_not_validated_again(
    pipeline: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = CountingReads(monkeypatch)
    cache = tmp_path / "cache"
    assert verdict(cache, pipeline) is None
    assert reads.calls == 1
    assert verdict(cache, pipeline) is None
    assert verdict(cache, pipeline) is None
    assert reads.calls == 1
    assert [path.name for path in cache.iterdir()] == ["locks-v1.json"]


def test_without_a_cache_every_lock_is_validated(
    pipeline: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = CountingReads(monkeypatch)
    assert verdict(None, pipeline) is None
    assert verdict(None, pipeline) is None
    assert reads.calls == 2
    assert sorted(path.name for path in tmp_path.iterdir()) == [".git", "evals"]


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda lock: {**lock, "schema_version": 99}, id="unknown schema"),
        pytest.param(lambda lock: {**lock, "notebook": "../judge.ipynb"}, id="notebook path"),
        pytest.param(lambda lock: {key: lock[key] for key in ("notebook",)}, id="fields missing"),
    ],
)
def test_an_edited_lock_gets_the_models_own_message(
    pipeline: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit
) -> None:
    cache = tmp_path / "cache"
    assert verdict(cache, pipeline) is None
    write_lock(pipeline, edit(LOCK))
    with pytest.raises(ConfigError) as caught:
        lockfile.read_lock(pipeline)
    reads = CountingReads(monkeypatch)
    assert verdict(cache, pipeline) == caught.value.message
    assert verdict(cache, pipeline) == caught.value.message
    assert reads.calls == 2  # a refused text is never remembered


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_a_remembered_lock_whose_dataset_now_leads_outside_is_reported(
    pipeline: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    assert verdict(cache, pipeline) is None
    outside = tmp_path.parent / f"{tmp_path.name}-outside.csv"
    outside.write_text("q,a\n", encoding="utf-8")
    (pipeline / "data" / "qa.csv").unlink()
    (pipeline / "data" / "qa.csv").symlink_to(outside)
    problem = verdict(cache, pipeline)
    assert problem is not None and "outside the repository" in problem


def test_entries_of_another_nbgraduate_are_ignored(
    pipeline: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    assert verdict(cache, pipeline) is None
    stored = cache / "locks-v1.json"
    document = json.loads(stored.read_text(encoding="utf-8"))
    stored.write_text(json.dumps({**document, "salt": "another"}), encoding="utf-8")
    reads = CountingReads(monkeypatch)
    assert verdict(cache, pipeline) is None
    assert reads.calls == 1


@pytest.mark.parametrize("damage", ["{not json", '{"salt": 1}', "[]"])
def test_damaged_entries_mean_asking_the_model(
    pipeline: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "locks-v1.json").write_text(damage, encoding="utf-8")
    reads = CountingReads(monkeypatch)
    assert verdict(cache, pipeline) is None
    assert reads.calls == 1
    assert verdict(cache, pipeline) is None
    assert reads.calls == 1


def test_the_entries_are_bounded(pipeline: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(verdicts_module, "MAX_LOCKS", 3)
    cache = tmp_path / "cache"
    for number in range(5):
        write_lock(pipeline, {**LOCK, "python_version": f"3.11.{number}"})
        assert verdict(cache, pipeline) is None
    stored = json.loads((cache / "locks-v1.json").read_text(encoding="utf-8"))
    assert len(stored["accepted"]) == 3
    assert MAX_LOCKS >= 100


# An exit handler, as lint leaves through ``os._exit`` when no one registered one.
_PROBE = """
import atexit, sys
atexit.register(lambda: print("pydantic" in sys.modules, file=sys.stderr))
from nbgraduate.cli import main
main()
"""


def test_a_lint_run_with_a_remembered_lock_does_not_import_the_lock_model(
    pipeline: Path, tmp_path: Path
) -> None:
    """The point of the verdicts: the pre-commit hook's lint of an unchanged pipeline never
    loads pydantic. ``--no-cache`` (and the first run) still does."""
    root = pipeline.parents[1]
    (root / "pyproject.toml").write_text(
        '[tool.nbgraduate]\neval-paths = ["evals/"]\n', encoding="utf-8"
    )
    (root / "CODEOWNERS").write_text("/evals/ @acme/evals\n", encoding="utf-8")
    (pipeline / "requirements.txt").write_text("openai==1.51.0\n", encoding="utf-8")
    environment = {**unmeasured_environment(), "NBGRADUATE_CACHE_DIR": str(tmp_path / "cache")}

    def lint(*options: str) -> tuple[str, bool]:
        completed = subprocess.run(
            [sys.executable, "-c", _PROBE, "lint", *options, "evals"],
            cwd=root,
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
        return completed.stdout, completed.stderr.strip().splitlines()[-1] == "True"

    first, first_imported = lint()
    second, second_imported = lint()
    uncached, uncached_imported = lint("--no-cache")
    assert first == second == uncached
    assert (first_imported, second_imported, uncached_imported) == (True, False, True)
