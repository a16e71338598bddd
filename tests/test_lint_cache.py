"""The lint result cache: hits are served, every key part invalidates, concurrent runs are safe.

Most tests *tamper* with the cache: they rewrite each stored entry so that its findings carry a
sentinel message no rule produces. A run that prints the sentinel read the cache; a run after
a change that must invalidate the entry shows no sentinel, so the file was linted again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from cli_runner import run_cli
from nbformat.v4 import new_code_cell, new_notebook

import nbgraduate.lint.cache as lint_cache
from nbgraduate.core.git_state import GitState
from nbgraduate.lint import config as lint_config
from nbgraduate.lint.cache import LintCache, code_salt, prune
from nbgraduate.lint.runner import LintRequest, run_lint

SENTINEL = "served from the cache"
SOURCE = 'import random\nJUDGE_MODEL = "gpt-4o"\nscore = random.random()\n'


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("NBGRADUATE_CACHE_DIR", str(directory))
    lint_config.clear_caches()
    return directory


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text("[tool.nbgraduate]\n", encoding="utf-8")
    write(root / "eval.ipynb", SOURCE)
    monkeypatch.chdir(root)
    lint_config.clear_caches()
    return root


def write(path: Path, source: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(new_notebook(cells=[new_code_cell(source)]), path)
    return path


def entries(directory: Path) -> list[Path]:
    return sorted((directory / "lint-v2").glob("*.json"))


def tamper(directory: Path) -> int:
    """Give every stored finding the sentinel message; how many entries were changed."""
    changed = 0
    for entry in entries(directory):
        data = json.loads(entry.read_text(encoding="utf-8"))
        message = lint_cache._DIAGNOSTIC_FIELDS.index("message")
        for row in data["diagnostics"]:
            row[message] = SENTINEL
        entry.write_text(json.dumps(data), encoding="utf-8")
        changed += 1
    return changed


def lint(*paths: str, select: list[str] | None = None, cache: bool = True) -> list[str]:
    lint_config.clear_caches()
    request = LintRequest(paths=[Path(p) for p in paths] or [Path(".")], select=select, cache=cache)
    report = run_lint(request)
    assert not report.errors, report.errors
    return [f"{d.code} {d.message}" for d in report.diagnostics]


def served(messages: list[str]) -> bool:
    return any(SENTINEL in message for message in messages)


# -- hits ---------------------------------------------------------------------------------------


def test_a_second_run_is_served_from_the_cache(project: Path, cache_dir: Path) -> None:
    first = lint("eval.ipynb")
    assert {m.split()[0] for m in first} == {"NBG101", "NBG301"}
    assert len(entries(cache_dir)) == 1
    assert lint("eval.ipynb") == first  # a plain hit gives the same findings
    assert tamper(cache_dir) == 1
    assert served(lint("eval.ipynb"))


def test_the_command_line_uses_the_cache_and_no_cache_bypasses_it(
    project: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_cli(project, "lint", "eval.ipynb").returncode == 1
    tamper(cache_dir)
    assert SENTINEL in run_cli(project, "lint", "eval.ipynb").stdout
    assert SENTINEL not in run_cli(project, "lint", "--no-cache", "eval.ipynb").stdout
    monkeypatch.setenv("NBGRADUATE_NO_CACHE", "1")
    assert SENTINEL not in run_cli(project, "lint", "eval.ipynb").stdout


def test_no_cache_neither_reads_nor_writes(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NBGRADUATE_CACHE_DIR")
    assert run_cli(project, "lint", "--no-cache", "eval.ipynb").returncode == 1
    monkeypatch.setenv("NBGRADUATE_NO_CACHE", "1")
    assert run_cli(project, "lint", "eval.ipynb").returncode == 1
    assert not (project / ".nbgraduate").exists()


def test_a_run_served_from_the_cache_does_not_import_the_linter(
    project: Path, cache_dir: Path
) -> None:
    assert run_cli(project, "lint", "eval.ipynb").returncode == 1
    warm = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "nbgraduate", "lint", "eval.ipynb"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert warm.returncode == 1
    assert "NBG101" in warm.stdout
    imported = {
        line.rsplit("|", 1)[1].strip()
        for line in warm.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "nbgraduate.lint.cache" in imported
    heavy = (
        "nbgraduate.lint.rules",
        "nbgraduate.lint.linter",
        "nbgraduate.lint.jobs",
        "nbgraduate.analysis",
        "nbgraduate.notebook",
        "nbgraduate.knowledge",  # the model policy included
        "nbgraduate.core.git_state",  # not a git repository: no git state to read
    )
    assert sorted(m for m in imported if m.startswith(heavy)) == []


def test_lint_writes_nothing_but_its_cache_in_the_project(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NBGRADUATE_CACHE_DIR")
    write(project / "sub" / "other.ipynb", "x = 1\n")
    before = {p for p in project.rglob("*")}
    assert run_cli(project / "sub", "lint", ".", "../eval.ipynb").returncode == 1
    added = {p for p in project.rglob("*")} - before
    cache = project / ".nbgraduate" / "cache"
    assert added and all(p == project / ".nbgraduate" or cache in (p, *p.parents) for p in added)
    assert (cache / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"
    assert len(entries(cache)) == 2


def test_an_entry_that_does_not_parse_is_a_miss_and_is_replaced(
    project: Path, cache_dir: Path
) -> None:
    expected = lint("eval.ipynb")
    [entry] = entries(cache_dir)
    entry.write_text('{"key": "', encoding="utf-8")
    assert lint("eval.ipynb") == expected
    assert json.loads(entry.read_text(encoding="utf-8"))["diagnostics"]


def test_an_entry_of_another_key_is_a_miss(project: Path, cache_dir: Path) -> None:
    lint("eval.ipynb")
    tamper(cache_dir)
    [entry] = entries(cache_dir)
    data = json.loads(entry.read_text(encoding="utf-8"))
    data["key"] = "0" * 64
    entry.write_text(json.dumps(data), encoding="utf-8")
    assert not served(lint("eval.ipynb"))


# -- every part of the key invalidates ------------------------------------------------------------


def test_an_edited_notebook_is_linted_again(project: Path, cache_dir: Path) -> None:
    lint("eval.ipynb")
    tamper(cache_dir)
    notebook = project / "eval.ipynb"
    stat = notebook.stat()
    # Same size, same modification time: only the content tells.
    text = notebook.read_text(encoding="utf-8")
    assert text.count("gpt-4o") == 1
    notebook.write_text(text.replace("gpt-4o", "gpt-4x"), encoding="utf-8")
    os.utime(notebook, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert notebook.stat().st_size == stat.st_size
    messages = lint("eval.ipynb")
    assert not served(messages)
    assert any("gpt-4x" in message for message in messages)


def test_changed_settings_lint_again(project: Path, cache_dir: Path) -> None:
    lint("eval.ipynb")
    tamper(cache_dir)
    assert [m.split()[0] for m in lint("eval.ipynb", select=["NBG1"])] == ["NBG101"]
    (project / "pyproject.toml").write_text(
        '[tool.nbgraduate]\nignore = ["NBG301"]\n', encoding="utf-8"
    )
    messages = lint("eval.ipynb")
    assert not served(messages)
    assert [m.split()[0] for m in messages] == ["NBG101"]


def test_changed_model_policy_configuration_lints_again(project: Path, cache_dir: Path) -> None:
    lint("eval.ipynb")
    tamper(cache_dir)
    (project / "pyproject.toml").write_text(
        '[tool.nbgraduate]\n[tool.nbgraduate.models]\npinned = ["gpt-4o"]\n', encoding="utf-8"
    )
    messages = lint("eval.ipynb")
    assert not served(messages)
    assert [m.split()[0] for m in messages] == ["NBG301"]


def test_file_positions_are_computed_for_the_formats_that_print_them(
    project: Path, cache_dir: Path
) -> None:
    (project / "judge.py").write_text('JUDGE_MODEL = "gpt-4o"\n', encoding="utf-8")
    lint_config.clear_caches()
    request = LintRequest(paths=[Path(".")], file_positions=False, cache=True)
    without = {d.path: d for d in run_lint(request).diagnostics if d.code == "NBG101"}
    assert (without["eval.ipynb"].file_line, without["eval.ipynb"].file_column) == (0, 0)
    assert without["judge.py"].file_line == without["judge.py"].row == 1
    # A format that prints file lines is never served the entries written without them.
    sarif = run_cli(project, "lint", "--output-format", "sarif", "eval.ipynb").stdout
    fresh = run_cli(project, "lint", "--no-cache", "--output-format", "sarif", "eval.ipynb").stdout
    assert sarif == fresh
    assert '"startLine": 0' not in sarif


def test_another_path_is_another_entry(project: Path, cache_dir: Path) -> None:
    lint("eval.ipynb")
    tamper(cache_dir)
    (project / "copy.ipynb").write_bytes((project / "eval.ipynb").read_bytes())
    assert not served(lint("copy.ipynb"))


def test_another_nbgraduate_version_lints_again(
    project: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lint("eval.ipynb")
    tamper(cache_dir)
    monkeypatch.setattr(lint_cache, "__version__", "999.0.0")
    code_salt.cache_clear()
    try:
        assert not served(lint("eval.ipynb"))
    finally:
        monkeypatch.undo()
        code_salt.cache_clear()


def test_the_salt_follows_model_policy_data_and_source_files(tmp_path: Path) -> None:
    package = tmp_path / "nbgraduate"
    (package / "knowledge").mkdir(parents=True)
    policy = package / "knowledge" / "model_policy.toml"
    policy.write_text("[providers]\n", encoding="utf-8")
    rule = package / "rule.py"
    rule.write_text("CODE = 1\n", encoding="utf-8")
    salts = [code_salt(package)]
    code_salt.cache_clear()
    policy.write_text("[providers]\nopenai = {}\n", encoding="utf-8")
    salts.append(code_salt(package))
    code_salt.cache_clear()
    rule.write_text("CODE = 22\n", encoding="utf-8")
    salts.append(code_salt(package))
    code_salt.cache_clear()
    assert len(set(salts)) == 3


def test_the_salt_ignores_the_layers_above_lint(tmp_path: Path) -> None:
    package = tmp_path / "nbgraduate"
    for folder in ("lint", "cli", "graduate"):
        (package / folder).mkdir(parents=True)
        (package / folder / "module.py").write_text("VALUE = 1\n", encoding="utf-8")
    salt = code_salt(package)
    code_salt.cache_clear()
    for folder in ("cli", "graduate"):
        (package / folder / "module.py").write_text("VALUE = 22\n", encoding="utf-8")
        (package / folder / "added.py").write_text("", encoding="utf-8")
    assert code_salt(package) == salt
    code_salt.cache_clear()
    (package / "lint" / "module.py").write_text("VALUE = 22\n", encoding="utf-8")
    assert code_salt(package) != salt
    code_salt.cache_clear()


def test_the_layers_left_out_of_the_salt_are_those_above_lint() -> None:
    import nbgraduate
    from nbgraduate.lint.cache import _ABOVE_LINT

    layers = [
        line.split(". ", 1)[1].split(":", 1)[0]
        for line in (nbgraduate.__doc__ or "").splitlines()
        if line[:1].isdigit() and ". " in line
    ]
    folders = [folder.strip() for layer in layers for folder in layer.split(",")]
    assert set(folders[folders.index("lint") + 1 :]) == _ABOVE_LINT


def test_every_job_field_is_part_of_the_key(project: Path, cache_dir: Path) -> None:
    import hashlib

    from nbgraduate.lint.jobs import FileJob
    from nbgraduate.lint.rules import ALL_CODES
    from nbgraduate.lint.runner import FilePlan, _plan_for, load_settings

    path = project / "eval.ipynb"
    plan = _plan_for(path, load_settings(path, known_codes=ALL_CODES))
    # The cache keys a plan; a field added to the job must be added to the plan, and so to the key.
    fields = set(FilePlan._fields)
    assert fields == set(FileJob._fields)
    job = plan.job()
    assert all(getattr(job, name) == getattr(plan, name) for name in fields - {"policy"})
    assert (job.policy.pinned, job.policy.floating, job.policy.providers_json) == plan.policy
    cache = LintCache(cache_dir, project)
    content = path.read_bytes()
    digest = hashlib.sha256(content).digest()
    base = cache.key(plan, digest)
    assert cache.key(plan, digest) == base
    assert cache.key(plan, hashlib.sha256(content + b" ").digest()) != base
    pinned, floating, providers = plan.policy
    changed = {
        "path": Path("elsewhere.ipynb"),
        "display_path": "elsewhere.ipynb",
        "codes": plan.codes - {"NBG101"},
        "locked_datasets": frozenset({"data/x.csv"}),
        "policy": (("gpt-4o",), floating, providers),
        "file_positions": not plan.file_positions,
    }
    assert set(changed) | {"git_state"} == fields
    for name, value in changed.items():
        assert cache.key(plan.replace(**{name: value}), digest) != base, name
    assert cache.key(plan.replace(policy=(pinned, ("o1",), providers)), digest) != base
    assert cache.key(plan.replace(policy=(pinned, floating, "[{}]")), digest) != base

    def state(digest: str) -> GitState:
        return GitState(str(project), frozenset({"eval.ipynb"}), frozenset(), frozenset(), digest)

    with_state = cache.key(plan.replace(git_state=state("a")), digest)
    assert with_state != base
    assert cache.key(plan.replace(git_state=state("a")), digest) == with_state
    assert cache.key(plan.replace(git_state=state("b")), digest) != with_state


# -- the stat index: unchanged files are not read ---------------------------------------------


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files the cache reads to hash them."""
    from nbgraduate.core import files

    read: list[str] = []
    original = files.read_regular

    def counting(path: str | os.PathLike[str], **options: object) -> bytes:
        if str(path).endswith(".ipynb"):  # not the .gitignore files a walk reads
            read.append(os.path.basename(path))
        return original(path, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(files, "read_regular", counting)
    return read


def later(monkeypatch: pytest.MonkeyPatch, seconds: float = 60) -> None:
    """Runs from now on start ``seconds`` later: every file is older than the racy margin."""
    now = time.time_ns() + int(seconds * 1e9)
    monkeypatch.setattr(lint_cache.time, "time_ns", lambda: now)


def test_an_unchanged_file_is_not_read_again(
    project: Path, cache_dir: Path, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    later(monkeypatch)
    first = lint("eval.ipynb")
    assert reads == ["eval.ipynb"]
    [index] = (cache_dir / "lint-v2").glob("index-*.index")
    written = index.stat().st_mtime_ns
    assert lint("eval.ipynb") == first
    assert reads == ["eval.ipynb"]
    assert index.stat().st_mtime_ns == written  # nothing changed, nothing written
    tamper(cache_dir)
    assert served(lint("eval.ipynb"))


def test_a_racy_entry_is_read_again_until_it_is_old_enough(
    project: Path, cache_dir: Path, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Written just now: the file could change again within its timestamp's granularity.
    lint("eval.ipynb")
    lint("eval.ipynb")
    assert reads == ["eval.ipynb", "eval.ipynb"]
    later(monkeypatch)
    lint("eval.ipynb")  # hashed again, now remembered as old enough
    lint("eval.ipynb")
    assert reads == ["eval.ipynb"] * 3


def test_restored_size_and_mtime_do_not_hide_an_edit_from_the_stat_index(
    project: Path, cache_dir: Path, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    later(monkeypatch)
    lint("eval.ipynb")
    tamper(cache_dir)
    assert served(lint("eval.ipynb"))
    notebook = project / "eval.ipynb"
    stat = notebook.stat()
    text = notebook.read_text(encoding="utf-8")
    notebook.write_text(text.replace("gpt-4o", "gpt-4x"), encoding="utf-8")
    os.utime(notebook, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (notebook.stat().st_size, notebook.stat().st_mtime_ns) == (
        stat.st_size,
        stat.st_mtime_ns,
    )
    # The write and utime moved the ctime, which no program can set back.
    assert notebook.stat().st_ctime_ns != stat.st_ctime_ns
    messages = lint("eval.ipynb")
    assert not served(messages)
    assert any("gpt-4x" in message for message in messages)


@pytest.mark.parametrize("part", ["size", "mtime", "ctime", "inode"])
def test_every_stat_part_and_the_racy_guard_decide_trust(part: str) -> None:
    hashed_at = 100 * 10**9
    seen = (10, 50 * 10**9, 60 * 10**9, 7)
    remembered = [*seen, "00" * 32, hashed_at]
    assert lint_cache._trusted(remembered, seen)
    other = list(seen)
    other[["size", "mtime", "ctime", "inode"].index(part)] += 1
    assert not lint_cache._trusted(remembered, tuple(other))  # type: ignore[arg-type]
    # Modified within the racy margin before the run that hashed it started: not trusted.
    racy = hashed_at - lint_cache._RACY_NS + 1
    if part in ("mtime", "ctime"):
        changed = list(seen)
        changed[["size", "mtime", "ctime", "inode"].index(part)] = racy
        assert not lint_cache._trusted([*changed, "00" * 32, hashed_at], tuple(changed))  # type: ignore[arg-type]


def test_a_damaged_index_only_costs_a_read(
    project: Path, cache_dir: Path, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    later(monkeypatch)
    expected = lint("eval.ipynb")
    [index] = (cache_dir / "lint-v2").glob("index-*.index")
    for damaged in ('{"format": 2, "files": {', '{"format": 2, "files": []}', "[]"):
        index.write_text(damaged, encoding="utf-8")
        assert lint("eval.ipynb") == expected
    data = json.loads(index.read_text(encoding="utf-8"))
    [entry] = data["files"].values()
    entry[4] = "not hex"
    index.write_text(json.dumps(data), encoding="utf-8")
    assert lint("eval.ipynb") == expected
    assert len(reads) == 5


@pytest.mark.skipif(sys.platform != "linux", reason="needs file names that are not UTF-8")
def test_a_file_name_that_is_not_utf8_does_not_stop_the_index(
    project: Path, cache_dir: Path, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project / os.fsdecode(b"caf\xe9.ipynb"), SOURCE)
    later(monkeypatch)
    lint(".")
    assert sorted(reads) == sorted(["eval.ipynb", os.fsdecode(b"caf\xe9.ipynb")])
    lint(".")
    # eval.ipynb is remembered; the other name cannot be stored in the JSON index.
    assert sorted(reads) == sorted(["eval.ipynb", *[os.fsdecode(b"caf\xe9.ipynb")] * 2])


def test_a_file_edited_while_it_is_linted_is_not_stored(
    project: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nbgraduate.lint import runner

    original = runner._run_jobs

    def editing(jobs: list, workers: int | None) -> list:  # type: ignore[type-arg]
        results = original(jobs, workers)
        write(project / "eval.ipynb", SOURCE.replace("gpt-4o", "gpt-4x"))
        return results

    monkeypatch.setattr(runner, "_run_jobs", editing)
    lint("eval.ipynb")
    assert entries(cache_dir) == []
    monkeypatch.setattr(runner, "_run_jobs", original)
    assert any("gpt-4x" in message for message in lint("eval.ipynb"))


# -- bounded, and safe under concurrent runs ---------------------------------------------------------


def test_prune_keeps_the_newest_entries_within_the_bounds(tmp_path: Path) -> None:
    directory = tmp_path / "lint-v2"
    directory.mkdir()
    for index in range(30):
        entry = directory / f"{index:02d}.json"
        entry.write_text("x" * 100, encoding="utf-8")
        os.utime(entry, (1_000_000 + index, 1_000_000 + index))
    (directory / "not-an-entry.txt").write_text("kept", encoding="utf-8")
    assert prune(directory, max_entries=10, max_bytes=10**9) == 22
    assert sorted(p.name for p in directory.glob("*.json")) == [f"{i}.json" for i in range(22, 30)]
    assert prune(directory, max_entries=100, max_bytes=500) == 4
    assert len(list(directory.glob("*.json"))) == 4
    assert (directory / "not-an-entry.txt").exists()


def test_concurrent_runs_share_one_cache_safely(project: Path, cache_dir: Path) -> None:
    for index in range(12):
        write(project / f"nb_{index:02d}.ipynb", SOURCE.replace("gpt-4o", f"gpt-4o-{index}"))
    expected = run_cli(project, "lint", "--no-cache", "--output-format", "json", ".").stdout
    env = {**os.environ, "NBGRADUATE_CACHE_DIR": str(cache_dir)}
    argv = [sys.executable, "-m", "nbgraduate", "lint", "--output-format", "json", "."]
    started = time.monotonic()
    runs = [
        subprocess.Popen(argv, cwd=project, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert time.monotonic() - started < 300
    assert [run.returncode for run in runs] == [1] * 4
    assert outputs == [expected] * 4
    stored = entries(cache_dir)
    assert len(stored) == 13
    for entry in stored:
        json.loads(entry.read_text(encoding="utf-8"))
    assert not list((cache_dir / "lint-v2").glob(".*.tmp"))
    tamper(cache_dir)
    served_again = run_cli(project, "lint", "--output-format", "json", ".").stdout
    assert served_again.count(SENTINEL) == expected.count('"message"')
