"""Tests for reading install lines and classifying how well each requirement is pinned."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from nbgraduate.knowledge.install_commands import InstallRequirement, parse_install_line
from nbgraduate.lint.linter import FileJob, lint_file
from nbgraduate.lint.rules import ALL_CODES

SHA = "0123456789abcdef" * 2 + "01234567"  # a full 40-hex commit id


def summary(line: str) -> list[tuple[str, str, str]]:
    return [(r.tool, r.spec, r.kind) for r in parse_install_line(line)]


def only(line: str) -> InstallRequirement:
    requirements = parse_install_line(line)
    assert len(requirements) == 1, requirements
    return requirements[0]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "%pip install -U openai pandas>=2",
            [("pip", "openai", "floating"), ("pip", "pandas>=2", "floating")],
        ),
        ('!pip install -q "openai==1.30.1"', [("pip", "openai==1.30.1", "exact")]),
        ("!python -m pip install x", [("pip", "x", "floating")]),
        ("!python3 -m pip install x==1.0", [("pip", "x==1.0", "exact")]),
        ("!{sys.executable} -m pip install x", [("pip", "x", "floating")]),
        ('!"{sys.executable}" -m pip install "x==2"', [("pip", "x==2", "exact")]),
        ("!uv pip install x", [("uv", "x", "floating")]),
        ("%uv pip install x===1.0", [("uv", "x===1.0", "exact")]),
        ("!uv --quiet pip install --system x==1", [("uv", "x==1", "exact")]),
        ("%conda install -y numpy=1.26", [("conda", "numpy=1.26", "floating")]),
        ("!conda install -c conda-forge numpy", [("conda", "numpy", "floating")]),
        ("!mamba install x", [("mamba", "x", "floating")]),
        ("%micromamba install -y x=1.2.3", [("mamba", "x=1.2.3", "exact")]),
        ("pip install x", [("pip", "x", "floating")]),
        ("  pip3 install x==1", [("pip", "x==1", "exact")]),
        ("%pip install -r requirements.txt", [("pip", "requirements.txt", "requirements-file")]),
        ("!pip install -e .", [("pip", ".", "local")]),
        ('!pip install -e ".[dev]"', [("pip", ".[dev]", "local")]),
        (
            "!pip install ./dist/x-1.0-py3-none-any.whl",
            [("pip", "./dist/x-1.0-py3-none-any.whl", "local")],
        ),
        ("!pip install x.whl", [("pip", "x.whl", "local")]),
        ("!pip install file:///tmp/x", [("pip", "file:///tmp/x", "local")]),
        ("!!pip install x==1", [("pip", "x==1", "exact")]),
        ("out = !pip install x==1", [("pip", "x==1", "exact")]),
        ("%time !pip install x==1", [("pip", "x==1", "exact")]),
        ("%sx pip install x", [("pip", "x", "floating")]),
        ("!sudo -H pip install x==1", [("pip", "x==1", "exact")]),
        ("!PIP_NO_CACHE_DIR=1 pip install x", [("pip", "x", "floating")]),
        ("!pip -q install x==1", [("pip", "x==1", "exact")]),
    ],
)
def test_tools_and_kinds(line: str, expected: list[tuple[str, str, str]]) -> None:
    assert summary(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "!ls",
        "%time x",
        "!pip list",
        "!pip freeze",
        "!pip uninstall -y x",
        "!pip show x",
        "!pip download x",
        "!pip install",
        "!conda list",
        "!apt-get install -y git",
        "%%bash",
        "%matplotlib inline",
        "# !pip install x",
        "x = 1",
        'print("pip install x")',
        "!python -c 'import pip'",
        "!uv add x",
    ],
)
def test_lines_that_install_nothing(line: str) -> None:
    assert parse_install_line(line) == []


@pytest.mark.parametrize(
    ("spec", "kind", "reason_part"),
    [
        ("openai", "floating", "no version pin"),
        ("openai[datalib]", "floating", "no version pin"),
        ("pandas>=2", "floating", "'pandas>=2' allows any newer release"),
        ("pandas~=2.1", "floating", "compatible"),
        ("pandas<3", "floating", "below the bound"),
        ("pandas>=2,<3", "floating", "range"),
        ("pandas!=2.0", "floating", "pins none"),
        ("pandas==2.*", "floating", "wildcard"),
        ("pandas==2.2.1", "exact", ""),
        ("pandas===2.2.1", "exact", ""),
        ("openai[datalib]==1.30.1", "exact", ""),
        ("torch==2.3.0+cu121", "exact", ""),
        ("pandas>=2,==2.2.1", "exact", ""),
        ("numpy=1.26", "floating", "pin with '=='"),
    ],
)
def test_pip_specifiers(spec: str, kind: str, reason_part: str) -> None:
    requirement = only(f"!pip install '{spec}'")
    assert requirement.kind == kind
    assert reason_part in requirement.reason
    if kind == "exact":
        assert requirement.reason == ""


def test_upgrade_flag_makes_unpinned_requirements_float() -> None:
    openai, pinned = parse_install_line("%pip install -U openai anthropic==0.30.0")
    assert openai.reason == "'-U openai' upgrades to whatever is newest"
    assert (pinned.kind, pinned.reason) == ("exact", "")


@pytest.mark.parametrize(
    ("line", "flag"),
    [
        ("!pip install --upgrade openai", "--upgrade"),
        ("!pip install -qU openai", "-U"),
        ("!pip install openai --upgrade --quiet", "--upgrade"),
        ("!uv pip install -P openai openai", "--upgrade-package openai"),
    ],
)
def test_upgrade_spellings(line: str, flag: str) -> None:
    assert only(line).reason == f"'{flag} openai' upgrades to whatever is newest"


def test_constraints_file_is_mentioned_for_unpinned_requirements() -> None:
    requirement = only("!pip install -c constraints.txt openai")
    assert requirement.kind == "floating"
    assert "constraints.txt" in requirement.reason


@pytest.mark.parametrize(
    ("spec", "kind", "reason_part"),
    [
        ("git+https://github.com/org/repo.git@main", "vcs-floating", "git ref 'main' is a branch"),
        ("git+https://github.com/org/repo.git", "vcs-floating", "no git ref"),
        ("git+https://github.com/org/repo.git@v1.2.0#egg=repo", "vcs-floating", "is a tag"),
        ("git+https://github.com/org/repo.git@abc1234", "vcs-floating", "abbreviated sha"),
        (f"git+https://github.com/org/repo.git@{SHA}", "vcs-pinned", ""),
        (f"git+https://github.com/org/repo.git@{SHA}#subdirectory=pkg", "vcs-pinned", ""),
        (f"git+ssh://git@github.com/org/repo.git@{SHA}", "vcs-pinned", ""),
        ("git+ssh://git@github.com/org/repo.git", "vcs-floating", "no git ref"),
        (f"pkg @ git+https://github.com/org/repo@{SHA}", "vcs-pinned", ""),
        ("pkg @ git+https://github.com/org/repo@main", "vcs-floating", "branch"),
        (f"hg+https://hg.example.org/repo@{SHA}", "vcs-pinned", ""),
        ("svn+https://svn.example.org/repo/trunk@1234", "vcs-pinned", ""),
        ("bzr+https://bzr.example.org/repo@42", "vcs-floating", "bzr ref"),
        ("https://github.com/org/repo/archive/main.zip", "vcs-floating", "'main' is a branch"),
        (
            "https://github.com/org/repo/archive/refs/heads/dev-x.tar.gz",
            "vcs-floating",
            "'dev-x' is a branch",
        ),
        (f"https://github.com/org/repo/archive/{SHA}.zip", "vcs-pinned", ""),
        ("https://github.com/org/repo/archive/v1.0.tar.gz", "vcs-floating", "tag"),
        (f"https://codeload.github.com/org/repo/zip/{SHA}", "vcs-pinned", ""),
        ("https://github.com/org/repo/tarball/main", "vcs-floating", "branch"),
        (
            "https://gitlab.com/group/repo/-/archive/main/repo-main.tar.gz",
            "vcs-floating",
            "branch",
        ),
        (f"https://gitlab.com/group/repo/-/archive/{SHA}/repo-{SHA}.zip", "vcs-pinned", ""),
        ("https://example.org/pkg-1.0-py3-none-any.whl", "exact", ""),
        ("https://example.org/download/latest", "floating", "direct URL"),
        ("https://example.org/download/latest#sha256=" + "ab" * 32, "exact", ""),
    ],
)
def test_urls(spec: str, kind: str, reason_part: str) -> None:
    requirement = only(f'!pip install "{spec}"')
    assert requirement.spec == spec
    assert requirement.kind == kind
    assert reason_part in requirement.reason


def test_editable_vcs_checkout_is_classified_by_its_ref() -> None:
    requirement = only(f"!pip install -e git+https://github.com/o/r.git@{SHA}#egg=r")
    assert requirement.kind == "vcs-pinned"


@pytest.mark.parametrize(
    ("spec", "kind"),
    [
        ("numpy", "floating"),
        ("numpy=1.26", "floating"),
        ("numpy=1.26.4", "exact"),
        ("numpy==1.26.4", "exact"),
        ("numpy==1.26", "exact"),  # '==' is an exact match in conda, unlike the fuzzy '='
        ("numpy=1.26=py311h0", "exact"),
        ("numpy=1.26.4=py311h0", "exact"),
        ("numpy=1.26.*", "floating"),
        ("numpy>=1.26", "floating"),
        ("numpy>=1.26,<2", "floating"),
        ("numpy 1.26.4", "exact"),
        ("numpy 1.26.4 py311h0", "exact"),
        ("numpy >=1.26", "floating"),
        ("conda-forge::numpy=1.26.4", "exact"),
        ("conda-forge/label/dev::numpy", "floating"),
        ("numpy[version='1.26.4']", "exact"),
        ("numpy[version='>=1.26']", "floating"),
        ("python=3.11", "floating"),
        ("./pkg-1.0-0.tar.bz2", "local"),
    ],
)
def test_conda_specs(spec: str, kind: str) -> None:
    requirement = only(f'!conda install -y "{spec}"')
    assert (requirement.tool, requirement.spec, requirement.kind) == ("conda", spec, kind)


def test_conda_prefix_match_reason() -> None:
    requirement = only("%conda install numpy=1.26")
    assert requirement.reason == "'numpy=1.26' is a prefix match: conda installs the newest 1.26.*"


def test_conda_update_and_files() -> None:
    assert (
        only("!conda update -y numpy").reason == "'conda update numpy' moves to whatever is newest"
    )
    assert summary("!conda install --file requirements.txt") == [
        ("conda", "requirements.txt", "requirements-file")
    ]
    assert summary("!mamba env update -n base -f environment.yml") == [
        ("mamba", "environment.yml", "requirements-file")
    ]


@pytest.mark.parametrize(
    "line",
    [
        "!pip install torch==2.3.0 --index-url https://download.pytorch.org/whl/cu121",
        "!pip install torch==2.3.0 --index-url=https://download.pytorch.org/whl/cu121",
        "!pip install -i https://pypi.example.org/simple torch==2.3.0",
        "!pip install --extra-index-url https://x.example.org torch==2.3.0",
        "!pip install -f https://x.example.org/links torch==2.3.0",
        "!pip install --find-links ./wheels torch==2.3.0",
        "!pip install --target /tmp/site torch==2.3.0",
        "!pip install -t /tmp/site torch==2.3.0",
        "!uv pip install --python 3.11 torch==2.3.0",
        "!uv pip install -p 3.11 torch==2.3.0",
        "!pip install -c constraints.txt torch==2.3.0",
        "!pip install torch==2.3.0 > /dev/null 2>&1",
        "!pip install torch==2.3.0 2>/dev/null | tail -n 1",
        "!pip install torch==2.3.0  # pin matches the paper",
        "!pip install torch==2.3.0 &> log.txt",
    ],
)
def test_option_values_and_redirections_are_not_requirements(line: str) -> None:
    assert [(spec, kind) for _, spec, kind in summary(line)] == [("torch==2.3.0", "exact")]


@pytest.mark.parametrize(
    "line",
    [
        "!conda install -c conda-forge -n eval -y numpy==1.26.4",
        "!conda install --channel conda-forge --name eval numpy==1.26.4",
        "!conda install -p /opt/env numpy==1.26.4",
        "!conda install -cconda-forge numpy==1.26.4",
    ],
)
def test_conda_option_values_are_not_requirements(line: str) -> None:
    assert summary(line) == [("conda", "numpy==1.26.4", "exact")]


def test_several_commands_on_one_line() -> None:
    line = "!cd /tmp && pip install a==1; pip install b || conda install c | cat"
    assert summary(line) == [
        ("pip", "a==1", "exact"),
        ("pip", "b", "floating"),
        ("conda", "c", "floating"),
    ]


def test_environment_marker_is_kept_in_spec_but_not_in_classification() -> None:
    requirement = only("""!pip install "pkg==1; python_version<'3.11'" """)
    assert requirement.spec == "pkg==1; python_version<'3.11'"
    assert requirement.kind == "exact"
    floating = only("""!pip install "pkg>=1; python_version<'3.11'" """)
    assert floating.reason == "'pkg>=1' allows any newer release"


def test_interpolated_requirements_cannot_be_checked() -> None:
    assert only("!pip install {packages}").kind == "floating"
    assert "run time" in only("!pip install $PACKAGES").reason
    assert "run time" in only('!pip install {" ".join(deps)}').reason
    assert only("!pip install openai=={OPENAI_VERSION}").kind == "exact"


@pytest.mark.parametrize(
    "line",
    [
        "%pip install -U openai pandas>=2",
        "!pip install -q \"openai==1.30.1\" 'anthropic>=0.30'",
        "!pip install --index-url https://x.example.org torch -e ./lib -r reqs.txt",
        f'!pip install "pkg @ git+https://github.com/org/repo@{SHA}"',
        "%conda install -y 'numpy=1.26' conda-forge::scipy",
        "!pip install -rrequirements.txt --requirement=dev.txt -e.",
    ],
)
def test_column_and_length_point_at_the_requirement(line: str) -> None:
    requirements = parse_install_line(line)
    assert requirements
    for requirement in requirements:
        assert (
            line[requirement.column : requirement.column + requirement.length] == requirement.spec
        )


def test_quoted_requirement_span_excludes_the_quotes() -> None:
    line = '!pip install -q "openai==1.30.1"'
    requirement = only(line)
    assert requirement.column == line.index("openai")
    assert requirement.length == len("openai==1.30.1")


def test_attached_option_values_are_located() -> None:
    line = "!pip install -rrequirements.txt --requirement=dev.txt -e."
    assert [(r.spec, r.kind, r.column) for r in parse_install_line(line)] == [
        ("requirements.txt", "requirements-file", line.index("requirements.txt")),
        ("dev.txt", "requirements-file", line.index("dev.txt")),
        (".", "local", len(line) - 1),
    ]


def test_requirements_file_reason_names_the_file() -> None:
    assert "requirements.txt" in only("%pip install -r requirements.txt").reason


@pytest.mark.parametrize(
    ("spec", "shown"),
    [("pandas==latest", "'latest'"), ("pandas==1.0abc", "'1.0abc'"), ("pandas!=2.0.x", "'2.0.x'")],
)
def test_an_invalid_version_is_not_a_pin(spec: str, shown: str) -> None:
    requirement = only(f"%pip install {spec}")
    assert requirement.kind == "floating"
    assert (
        requirement.reason == f"pip will reject '{spec}': {shown} is not a valid version (PEP 440)"
    )


@pytest.mark.parametrize("operator", ["==", ">="])
def test_a_huge_version_is_classified_without_a_traceback(operator: str) -> None:
    for digits in (5_000, 100_000):
        requirement = only(f"%pip install pandas{operator}1{'0' * digits}")
        assert requirement.kind == "floating"
        assert "pip will reject" in requirement.reason
        assert len(requirement.reason) < 200


def test_parsing_grows_linearly_with_the_number_of_packages() -> None:
    import time

    def seconds(count: int) -> float:
        line = "%pip install " + " ".join(f"pkg{i}>=1.{i} 'extra{i}[a]==2'" for i in range(count))
        start = time.process_time()  # CPU time: other processes' load barely moves it
        assert len(parse_install_line(line)) == 2 * count
        return time.process_time() - start

    seconds(200)  # warm up packaging's parser
    pairs = [(seconds(1_000), seconds(2_000)) for _ in range(3)]  # interleaved against bursts
    small, large = min(p[0] for p in pairs), min(p[1] for p in pairs)
    assert large < 4 * small + 0.05, (small, large)


def test_nbg401_says_an_invalid_version_is_not_a_pin(tmp_path: Path) -> None:
    path = tmp_path / "eval.ipynb"
    cell = nbformat.v4.new_code_cell("%pip install pandas==latest openai==1.51.0")
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    [diagnostic] = lint_file(FileJob(path=path, display_path="e", codes=ALL_CODES)).diagnostics
    assert diagnostic.code == "NBG401"
    assert "'latest' is not a valid version (PEP 440)" in diagnostic.message
