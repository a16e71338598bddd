"""``cli.lint_options``: the common ``lint`` command lines read without argparse give exactly
what the argparse parser gives, and everything else is left to that parser."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest

from nbgraduate.cli.lint_options import common_lint_options
from nbgraduate.cli.lint_parsers import parse

COMMON = [
    [],
    ["eval.ipynb"],
    ["a.ipynb", "b.ipynb", "notebooks/"],
    ["--output-format", "json", "-o", "report.json", "--exit-zero", "corpus"],
    ["corpus", "--output-format=sarif", "--output-file=out.sarif"],
    ["--select", "NBG1,NBG201", "--select", "NBG3", "--ignore=NBG101", "--extend-select", "NBG5"],
    ["--statistics", "--no-statistics", "--exit-zero", "--no-exit-zero", "x.py"],
    ["--force-exclude", "--no-cache", "--jobs", "3", "a.ipynb", "--jobs=12"],
    ["--config", "sub/pyproject.toml", "--baseline", "b.json", "--write-baseline", "w.json"],
    ["--output-format", "github", "a b.ipynb", "--output-format", "concise"],
    ["--jobs", "007", "--select=NBG1=x", "path=with=equals.ipynb"],
]

#: Forms left to argparse: help, errors, and everything unusual.
UNCOMMON = [
    ["--help"],
    ["--", "-odd.ipynb"],
    ["-"],
    [""],
    ["-oreport.json"],
    ["-o=report.json"],
    ["--output-format", "xml"],
    ["--output-format"],
    ["--jobs", "0"],
    ["--jobs", "-1"],
    ["--jobs", "two"],
    ["--jobs", "\u0663"],
    ["--select", "-NBG1"],
    ["--select="],
    ["--exit-zero=1"],
    ["--out", "x.json"],
    ["--unknown"],
    ["-x y.ipynb"],
    ["--config"],
]


@pytest.mark.parametrize("arguments", COMMON, ids=" ".join)
def test_common_command_lines_read_as_argparse_reads_them(arguments: list[str]) -> None:
    quick = common_lint_options(arguments)
    assert quick is not None
    assert vars(quick) == vars(parse("lint", arguments))


@pytest.mark.parametrize("arguments", UNCOMMON, ids=" ".join)
def test_uncommon_command_lines_are_left_to_argparse(arguments: list[str]) -> None:
    assert common_lint_options(arguments) is None


def test_random_command_lines_agree_with_argparse_or_are_left_to_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    tokens = [
        *("a.ipynb", "dir/", "x y", "", "-", "--", "=", "-1", "0", "1", "12", "json", "xml"),
        *("--output-format", "--output-format=json", "--output-format=", "-o", "-o=r.json"),
        *("--output-file", "--select", "--select=NBG1", "--extend-select", "--ignore", "--help"),
        *("--statistics", "--no-statistics", "--exit-zero", "--no-exit-zero", "--no-cache"),
        *("--force-exclude", "--no-force-exclude", "--config", "--baseline", "--jobs", "--jobs=2"),
        *("--write-baseline", "--jobs=0", "--no-cache=1", "-oout.json", "--exit", "NBG1,NBG2"),
    ]
    generator = random.Random(17)
    agreed = 0
    for _ in range(3000):
        arguments = generator.choices(tokens, k=generator.randrange(0, 7))
        quick = common_lint_options(arguments)
        try:
            parsed = parse("lint", arguments)
        except SystemExit:
            assert quick is None, arguments
            continue
        finally:
            capsys.readouterr()
        if quick is not None:
            assert vars(quick) == vars(parsed), arguments
            agreed += 1
    # The comparison is not vacuous: many random lines are common ones.
    assert agreed > 300


def test_a_common_lint_run_imports_no_argparse(tmp_path) -> None:  # type: ignore[no-untyped-def]
    code = (
        "import sys\n"
        "from nbgraduate.cli import lint\n"
        "status = lint.main('lint', ['--output-format', 'json', '--exit-zero', '--no-cache', '.'])\n"
        "print(status, 'argparse' in sys.modules)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert completed.stdout.splitlines()[-1] == "0 False"
