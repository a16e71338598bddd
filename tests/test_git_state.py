"""Git state read once per lint run: what git says about each file, and one digest of it all."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from repo_builder import git, init_git

from nbgraduate.core import git_state
from nbgraduate.core.git_state import read_git_state
from nbgraduate.lint.config import clear_caches
from nbgraduate.lint.runner import LintRequest, run_lint

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """Files in every state: committed, staged, modified, untracked (alone and in a new
    folder), ignored, a staged rename, and a committed file with a space in its name."""
    init_git(tmp_path)
    data = tmp_path / "data"
    data.mkdir()
    for name in ("committed.csv", "modified.csv", "old name.csv", "with space.csv"):
        (data / name).write_text("a,b\n", encoding="utf-8")
    (tmp_path / ".gitignore").write_text("data/ignored.csv\n", encoding="utf-8")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "data")
    (data / "modified.csv").write_text("a,b\nc,d\n", encoding="utf-8")
    (data / "staged.csv").write_text("a,b\n", encoding="utf-8")
    git(tmp_path, "add", "data/staged.csv")
    git(tmp_path, "mv", "data/old name.csv", "data/renamed.csv")
    (data / "untracked.csv").write_text("a,b\n", encoding="utf-8")
    (data / "ignored.csv").write_text("a,b\n", encoding="utf-8")
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "rows.jsonl").write_text("{}\n", encoding="utf-8")
    return tmp_path


def test_each_file_gets_what_git_says_about_it(repository: Path) -> None:
    state = read_git_state(repository)
    assert state is not None
    data = repository / "data"
    assert state.status_of(data / "committed.csv") == "versioned"
    assert state.status_of(data / "with space.csv") == "versioned"
    assert state.status_of(data / "staged.csv") == "versioned"
    assert state.status_of(data / "renamed.csv") == "versioned"
    assert state.status_of(data / "modified.csv") == "modified"
    assert state.status_of(data / "untracked.csv") == "untracked"
    assert state.status_of(repository / "new" / "rows.jsonl") == "untracked"
    assert state.status_of(data / "ignored.csv") == "ignored"
    assert state.status_of(data / "missing.csv") == "absent"
    assert state.status_of(repository.parent / "elsewhere.csv") == "outside"


def test_staging_a_file_versions_it_and_changes_the_cache_key(repository: Path) -> None:
    before = read_git_state(repository)
    assert before is not None and before.digest == read_git_state(repository).digest
    git(repository, "add", "data/modified.csv")
    after = read_git_state(repository)
    assert after is not None
    assert after.status_of(repository / "data" / "modified.csv") == "versioned"
    assert after.digest != before.digest


def test_reading_git_state_never_writes_the_index(repository: Path) -> None:
    index = repository / ".git" / "index"
    (repository / "data" / "committed.csv").touch()  # stale stat data: git would refresh it
    before = index.stat().st_mtime_ns, index.read_bytes()
    assert read_git_state(repository) is not None
    assert (index.stat().st_mtime_ns, index.read_bytes()) == before


def test_not_a_repository(tmp_path: Path) -> None:
    assert read_git_state(tmp_path) is None


def test_lint_reads_git_state_once_per_run(
    repository: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Path] = []

    def counting(root: Path):
        calls.append(root)
        return read_git_state(root)

    monkeypatch.setattr(git_state, "read_git_state", counting)
    for index in range(3):
        (repository / f"eval_{index}.py").write_text(
            f'import pandas as pd\ndf = pd.read_csv("data/untracked.csv")\nn = {index}\n',
            encoding="utf-8",
        )
    (repository / "committed_reader.py").write_text(
        'import pandas as pd\ndf = pd.read_csv("data/committed.csv")\n', encoding="utf-8"
    )
    clear_caches()
    report = run_lint(LintRequest(paths=[repository], select=["NBG201"], jobs=1))
    assert calls == [repository]
    assert sorted(Path(d.path).name for d in report.diagnostics) == [
        "eval_0.py",
        "eval_1.py",
        "eval_2.py",
    ]
    assert all("(untracked: git does not track it)" in d.message for d in report.diagnostics)


def test_git_is_not_asked_when_no_rule_needs_it(
    repository: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Path] = []
    monkeypatch.setattr(git_state, "read_git_state", lambda root: calls.append(root))
    (repository / "eval.py").write_text('JUDGE = "gpt-4o"\n', encoding="utf-8")
    clear_caches()
    run_lint(LintRequest(paths=[repository / "eval.py"], select=["NBG101"], jobs=1))
    assert calls == []
