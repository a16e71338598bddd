"""The command line's root without typer: ``--version``, ``--help`` and ``lint``/``rule`` start
light, and print what the typer application would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import typer
from cli_runner import run_cli, unmeasured_environment
from nbformat.v4 import new_code_cell, new_notebook
from typer.testing import CliRunner

from nbgraduate import __version__
from nbgraduate.cli.app import _use_listed_summaries, app
from nbgraduate.cli.commands import COMMAND_SUMMARIES

#: Nothing on the paths of ``--version``, ``--help`` and ``lint`` may import these: typer,
#: its click and its shell completion, the GitHub client and the ``email`` package it uses.
NEVER_AT_START_UP = ("typer", "click", "shellingham", "email", "nbgraduate.github")


def write_notebook(path: Path) -> None:
    notebook = new_notebook(cells=[new_code_cell('JUDGE_MODEL = "gpt-4o"\nprint(JUDGE_MODEL)')])
    nbformat.write(notebook, path)


def imported_modules(cwd: Path, *args: str) -> set[str]:
    """Every module ``nbgraduate ARGS`` imports, from ``-X importtime`` (the real entry)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "nbgraduate", *args],
        cwd=cwd,
        env=unmeasured_environment(),  # coverage's own imports (tomllib) are not ours
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    return {
        line.rsplit("|", 1)[1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "self [us]" not in line
    }


def forbidden(modules: set[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes))


@pytest.mark.parametrize(
    "args",
    [
        ["--version"],
        ["--help"],
        ["lint", "eval.ipynb"],
        ["rule", "NBG101"],
        ["hook", "verify", "eval.ipynb"],
        ["hook", "guard", "eval.ipynb"],
    ],
    ids=["version", "help", "lint", "rule", "hook verify", "hook guard"],
)
def test_start_up_does_not_import_typer_or_the_github_client(
    tmp_path: Path, args: list[str]
) -> None:
    write_notebook(tmp_path / "eval.ipynb")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True, timeout=60)  # for hooks
    modules = imported_modules(tmp_path, *args)
    assert "nbgraduate.cli.root" in modules  # the probe sees the package's imports
    assert forbidden(modules, NEVER_AT_START_UP) == []


@pytest.mark.parametrize("args", [["gate", "--help"], ["runs", "--help"]], ids=" ".join)
def test_typer_commands_do_not_import_the_github_client(tmp_path: Path, args: list[str]) -> None:
    """Every typer command builds ``comment``'s options at start-up, which must not import the
    GitHub client or its HTTP stack."""
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True, timeout=60)
    modules = imported_modules(tmp_path, *args)
    assert "nbgraduate.cli.app" in modules  # the probe sees the typer application
    assert forbidden(modules, ("nbgraduate.github.client", "nbgraduate.core.http", "httpx")) == []


@pytest.mark.parametrize("args", [["--version"], ["--help"]], ids=["version", "help"])
def test_version_and_help_load_neither_linter_nor_model_policy(
    tmp_path: Path, args: list[str]
) -> None:
    modules = imported_modules(tmp_path, *args)
    assert forbidden(modules, ("nbgraduate.lint", "nbgraduate.knowledge", "tomllib")) == []


def test_root_help_is_the_typer_applications_help(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    fast = subprocess.run(
        [sys.executable, "-m", "nbgraduate", "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "80"},
        check=True,
        timeout=60,
    )
    typer_help = CliRunner().invoke(app, ["--help"])
    assert typer_help.exit_code == 0
    assert fast.stdout == typer_help.stdout
    listed = [
        line.split()[0]
        for line in fast.stdout.split("Commands:\n", 1)[1].splitlines()
        if line.strip()
    ]
    assert listed == list(COMMAND_SUMMARIES)


def test_version_without_typer_is_unchanged(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "--version")
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        f"nbgraduate {__version__}\n",
        "",
    )


def test_a_command_without_a_summary_fails_loudly() -> None:
    application = typer.Typer()
    application.command("lint")(lambda: None)
    application.command("unlisted")(lambda: None)
    with pytest.raises(RuntimeError, match="'unlisted' has no line"):
        _use_listed_summaries(application)


def test_lint_usage_error_is_one_error_line_and_exit_2(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "lint", "--jobs", "0", "eval.ipynb")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == "error: argument --jobs: 0 is below 1"
    assert result.stderr.startswith("Usage: nbgraduate lint [OPTIONS] [PATH]...")
    assert "Traceback" not in result.stderr


def test_lint_options_may_follow_the_paths(tmp_path: Path) -> None:
    write_notebook(tmp_path / "a.ipynb")
    write_notebook(tmp_path / "b.ipynb")
    result = run_cli(
        tmp_path, "lint", "a.ipynb", "--select", "NBG101", "b.ipynb", "--output-format", "json"
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout.count('"code": "NBG101"') == 2


def test_lint_through_the_typer_application_is_the_same_parser(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_notebook(tmp_path / "eval.ipynb")
    monkeypatch.chdir(tmp_path)
    direct = run_cli(tmp_path, "lint", "--select", "NBG1", "-o", "direct.txt", "eval.ipynb")
    forwarded = CliRunner().invoke(
        app, ["lint", "--select", "NBG1", "-o", "forwarded.txt", "eval.ipynb"]
    )
    assert forwarded.exit_code == direct.returncode == 1
    assert (tmp_path / "forwarded.txt").read_text() == (tmp_path / "direct.txt").read_text()
    usage = CliRunner().invoke(app, ["lint", "--jobs", "0"])
    assert usage.exit_code == 2
    assert "error: argument --jobs: 0 is below 1" in usage.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_a_report_standard_output_refuses_is_one_error_line(tmp_path: Path) -> None:
    """``> /dev/full`` (a full disk): one ``error:`` line and exit 2, not a traceback."""
    write_notebook(tmp_path / "eval.ipynb")
    with open("/dev/full", "w") as full:
        result = run_with_stdout(tmp_path, ("lint", "--no-cache", "eval.ipynb"), full)
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        "error: cannot write the report to standard output: No space left on device\n"
    )


def test_a_reader_that_stops_early_ends_lint_quietly(tmp_path: Path) -> None:
    """``nbgraduate lint | head -1`` on a long report: no traceback and no complaint about the
    closed pipe; the exit code is still the findings' one."""
    for index in range(400):
        write_notebook(tmp_path / f"eval_{index}.ipynb")
    process = subprocess.Popen(
        [sys.executable, "-m", "nbgraduate", "lint", "--no-cache", "--jobs", "1", "."],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()
    process.stdout.close()  # the reader goes away with most of the report unread
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 1
    assert stderr == ""


ROOT_AND_TYPER_OUTPUTS = [
    ("--version",),
    ("--help",),
    ("rule", "NBG101"),
    ("rule", "NBG101", "--output-format", "json"),
    ("gate", "--help"),
    ("runs", "--help"),
    ("lint", "--help"),
    ("hook", "--help"),
    ("hook", "verify", "--help"),
]


def run_with_stdout(
    cwd: Path, arguments: tuple[str, ...], stdout: object
) -> subprocess.CompletedProcess[str]:
    """``nbgraduate ARGUMENTS`` with standard output on ``stdout`` (a file or descriptor)."""
    return subprocess.run(
        [sys.executable, "-m", "nbgraduate", *arguments],
        cwd=cwd,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("arguments", ROOT_AND_TYPER_OUTPUTS, ids=" ".join)
def test_any_command_standard_output_refuses_is_one_error_line(
    tmp_path: Path, arguments: tuple[str, ...]
) -> None:
    """Not only lint's report: ``--version``, ``--help``, ``rule`` and the typer commands'
    output to a full disk end with one ``error:`` line and exit 2."""
    with open("/dev/full", "w") as full:
        result = run_with_stdout(tmp_path, arguments, full)
    assert result.returncode == 2, result.stderr
    assert result.stderr.endswith(" to standard output: No space left on device\n"), result.stderr
    assert result.stderr.startswith("error: cannot write ")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("arguments", ROOT_AND_TYPER_OUTPUTS, ids=" ".join)
def test_any_command_to_a_closed_pipe_ends_quietly(
    tmp_path: Path, arguments: tuple[str, ...]
) -> None:
    """A pipe whose reader is already gone (``| head -0``): no traceback, nothing on stderr."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = run_with_stdout(tmp_path, arguments, write_end)
    finally:
        os.close(write_end)
    assert result.stderr == ""
    assert result.returncode in (0, 1)
