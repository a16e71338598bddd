"""Tests for file discovery over real trees with pyproject excludes and nested .gitignore files."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from nbgraduate.core.errors import InputFileError
from nbgraduate.lint.config import LintSettings, load_settings
from nbgraduate.lint.discovery import discover

KNOWN = frozenset({"NBG101", "NBG203"})


def touch(root: Path, *relative: str) -> None:
    for name in relative:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")


def settings_for(path: Path) -> LintSettings:
    return load_settings(path, known_codes=KNOWN)


def run(root: Path, *paths: Path, force_exclude: bool = False) -> list[str]:
    found = discover(list(paths) or [root], settings_for, force_exclude=force_exclude)
    return [p.relative_to(root).as_posix() for p in found]


def configure(root: Path, body: str) -> None:
    (root / "pyproject.toml").write_text(textwrap.dedent(body), encoding="utf-8")


def test_walks_for_notebooks_and_scripts_sorted(tmp_path: Path) -> None:
    touch(tmp_path, "z.py", "a.ipynb", "sub/b.py", "sub/deeper/c.ipynb", "notes.md", "data.json")
    assert run(tmp_path) == ["a.ipynb", "sub/b.py", "sub/deeper/c.ipynb", "z.py"]


def test_skips_default_and_hidden_directories(tmp_path: Path) -> None:
    touch(
        tmp_path,
        "keep.py",
        ".venv/lib/x.py",
        "venv/y.py",
        "node_modules/pkg/z.py",
        ".ipynb_checkpoints/a-checkpoint.ipynb",
        "__pycache__/m.py",
        "build/gen.py",
        "dist/gen.py",
        ".nbgraduate/cache.py",
        ".hidden/secret.py",
        "pkg/site-packages/lib.py",
    )
    assert run(tmp_path) == ["keep.py"]


def test_respects_nested_gitignores_relative_to_their_directory(tmp_path: Path) -> None:
    touch(
        tmp_path,
        "top.py",
        "scratch.py",
        "nb/a.ipynb",
        "nb/tmp_a.ipynb",
        "nb/out/result.py",
        "nb/keep/out/result.py",
        "other/tmp_b.ipynb",
        "other/out/result.py",
    )
    (tmp_path / ".gitignore").write_text("scratch.py\n")
    # Rules in nb/.gitignore apply only below nb/, and "/out/" is anchored to nb/.
    (tmp_path / "nb" / ".gitignore").write_text("tmp_*\n/out/\n")

    assert run(tmp_path) == [
        "nb/a.ipynb",
        "nb/keep/out/result.py",
        "other/out/result.py",
        "other/tmp_b.ipynb",
        "top.py",
    ]


def test_deeper_gitignore_can_reinclude(tmp_path: Path) -> None:
    touch(tmp_path, "a/x.log.py", "a/b/y.log.py")
    (tmp_path / ".gitignore").write_text("*.log.py\n")
    (tmp_path / "a" / "b" / ".gitignore").write_text("!y.log.py\n")
    assert run(tmp_path) == ["a/b/y.log.py"]


def test_git_info_exclude_and_parent_gitignore_apply_to_a_subdirectory(tmp_path: Path) -> None:
    touch(tmp_path, "nb/a.py", "nb/private.py", "nb/wip/w.py", "nb/sub/.gitkeep")
    (tmp_path / ".git" / "info").mkdir(parents=True)
    (tmp_path / ".git" / "info" / "exclude").write_text("private.py\n")
    (tmp_path / ".gitignore").write_text("wip/\n")

    found = discover([tmp_path / "nb"], settings_for, force_exclude=False)

    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["nb/a.py"]


def test_gitignore_can_be_turned_off(tmp_path: Path) -> None:
    configure(tmp_path, "[tool.nbgraduate]\nrespect-gitignore = false\n")
    touch(tmp_path, "ignored.py", "sub/also.py")
    (tmp_path / ".gitignore").write_text("ignored.py\n")
    (tmp_path / "sub" / ".gitignore").write_text("*\n")
    assert run(tmp_path) == ["ignored.py", "sub/also.py"]


def test_settings_excludes_are_relative_to_the_config(tmp_path: Path) -> None:
    configure(
        tmp_path,
        """
        [tool.nbgraduate]
        exclude = ["/generated/"]
        extend-exclude = ["*_draft.ipynb"]
        """,
    )
    touch(tmp_path, "generated/g.py", "src/generated/kept.py", "a_draft.ipynb", "sub/b_draft.ipynb")
    assert run(tmp_path) == ["src/generated/kept.py"]


def test_nested_config_applies_to_its_own_subtree(tmp_path: Path) -> None:
    configure(tmp_path, '[tool.nbgraduate]\nexclude = ["old_*.py"]\n')
    touch(tmp_path, "old_a.py", "pkg/old_b.py", "pkg/new.py")
    (tmp_path / "pkg" / "pyproject.toml").write_text('[tool.nbgraduate]\nexclude = ["new.py"]\n')
    assert run(tmp_path) == ["pkg/old_b.py"]


def test_explicit_files_are_kept_unless_force_exclude(tmp_path: Path) -> None:
    configure(tmp_path, '[tool.nbgraduate]\nexclude = ["legacy/"]\n')
    touch(tmp_path, "legacy/old.py", "build/gen.py", "fresh.py")
    (tmp_path / ".gitignore").write_text("fresh.py\n")
    explicit = [
        tmp_path / "legacy" / "old.py",
        tmp_path / "build" / "gen.py",
        tmp_path / "fresh.py",
    ]

    assert run(tmp_path, *explicit) == ["build/gen.py", "fresh.py", "legacy/old.py"]
    # Pre-commit: exclude patterns and default skips still apply; .gitignore does not,
    # because files passed by name are tracked.
    assert run(tmp_path, *explicit, force_exclude=True) == ["fresh.py"]


def test_force_exclude_applies_to_explicit_directories(tmp_path: Path) -> None:
    configure(tmp_path, '[tool.nbgraduate]\nexclude = ["legacy/"]\n')
    touch(tmp_path, "legacy/old.py")
    assert run(tmp_path, tmp_path / "legacy") == ["legacy/old.py"]
    assert run(tmp_path, tmp_path / "legacy", force_exclude=True) == []


def test_explicit_default_skip_directory_is_walked(tmp_path: Path) -> None:
    touch(tmp_path, "build/gen.py")
    assert run(tmp_path, tmp_path / "build") == ["build/gen.py"]


def test_explicit_gitignored_directory_is_walked_but_inner_patterns_apply(
    tmp_path: Path,
) -> None:
    configure(tmp_path, '[tool.nbgraduate]\nexclude = ["legacy/", "*_draft.ipynb"]\n')
    touch(tmp_path, "scratch/a.ipynb", "scratch/tmp.py", "legacy/b_draft.ipynb", "legacy/c.py")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("scratch/\ntmp.py\n")

    assert run(tmp_path) == []
    assert run(tmp_path, tmp_path / "scratch", tmp_path / "legacy") == [
        "legacy/c.py",
        "scratch/a.ipynb",
    ]


def test_overlapping_paths_are_deduplicated(tmp_path: Path) -> None:
    touch(tmp_path, "nb/a.ipynb", "nb/b.py")
    found = run(tmp_path, tmp_path, tmp_path / "nb", tmp_path / "nb" / "a.ipynb")
    assert found == ["nb/a.ipynb", "nb/b.py"]


def test_relative_paths_are_returned_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    touch(tmp_path, "nb/a.ipynb")
    monkeypatch.chdir(tmp_path)
    assert discover([Path("nb"), Path(".")], settings_for, force_exclude=False) == [
        Path("nb/a.ipynb")
    ]


def test_missing_path_is_an_input_file_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.ipynb"
    with pytest.raises(InputFileError) as caught:
        discover([missing], settings_for, force_exclude=False)
    assert str(caught.value) == f"{missing}: No such file or directory"
    assert caught.value.exit_code == 2


def test_unreadable_directory_is_reported_to_on_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    touch(tmp_path, "ok.py", "locked/x.py")
    real_scandir = os.scandir
    locked = str(tmp_path / "locked")

    def scandir(path: str) -> object:
        # chmod cannot lock out root, so deny the read the way the OS would.
        if path == locked:
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    errors: list[InputFileError] = []

    found = discover([tmp_path], settings_for, force_exclude=False, on_error=errors.append)

    assert [p.name for p in found] == ["ok.py"]
    assert [str(e) for e in errors] == [f"{tmp_path / 'locked'}: Permission denied"]
    with pytest.raises(InputFileError, match="Permission denied"):
        discover([tmp_path], settings_for, force_exclude=False)


def test_symlinked_directories_are_not_followed(tmp_path: Path) -> None:
    touch(tmp_path, "real/a.py")
    (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)
    assert run(tmp_path) == ["real/a.py"]


def test_a_pipelines_legacy_folder_is_skipped_unless_named(tmp_path: Path) -> None:
    touch(tmp_path, "evals/judge/judge.ipynb", "evals/judge/nbgraduate.lock")
    touch(tmp_path, "evals/judge/legacy/judge.ipynb", "evals/other/legacy/kept.ipynb")
    legacy = tmp_path / "evals" / "judge" / "legacy"
    assert run(tmp_path) == [
        "evals/judge/judge.ipynb",
        "evals/other/legacy/kept.ipynb",  # no lock beside it: not a pipeline's legacy folder
    ]
    assert run(tmp_path, legacy) == ["evals/judge/legacy/judge.ipynb"]
    assert run(tmp_path, legacy / "judge.ipynb") == ["evals/judge/legacy/judge.ipynb"]
    # pre-commit passes staged files by name: still skipped.
    assert run(tmp_path, legacy / "judge.ipynb", force_exclude=True) == []
    assert run(tmp_path, legacy, force_exclude=True) == []
