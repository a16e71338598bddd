"""End-to-end tests of the ``nbgraduate`` command line, on notebooks built in a temp dir."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import jsonschema
import nbformat
import pytest
from cli_runner import run_cli
from click.testing import Result
from nbformat.notebooknode import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from typer.testing import CliRunner

from nbgraduate import __version__
from nbgraduate.cli.app import app
from nbgraduate.lint import config as lint_config
from nbgraduate.lint.rules import ALL_CODES

SARIF_SCHEMA_PATH = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"

# A small eval notebook with exactly three findings, at positions these tests spell out.
JUDGE_SOURCE = 'import random\nJUDGE_MODEL = "gpt-4o"\nscores = random.random()'
CALL_SOURCE = (
    "from openai import OpenAI\n"
    "client = OpenAI()\n"
    "reply = client.chat.completions.create(model=JUDGE_MODEL, messages=[])"
)
CLEAN_SOURCE = 'JUDGE_MODEL = "gpt-4o-2024-08-06"\nprint(JUDGE_MODEL)'
#: (cell, row, column, code) of every finding in the eval notebook, in report order.
EVAL_FINDINGS = [(2, 2, 15, "NBG101"), (2, 3, 10, "NBG301"), (3, 3, 9, "NBG103")]
#: The text each finding points at, as it is spelled inside the raw ``.ipynb`` JSON.
RAW_SPANS = {
    "NBG101": '\\"gpt-4o\\"',
    "NBG301": "random.random",
    "NBG103": "client.chat.completions.create",
}

CONCISE_LINE = re.compile(r"^(?P<path>[^:]+):cell (\d+):(\d+):(\d+): (NBG\d{3}) (.+)$")
SCRIPT_LINE = re.compile(r"^(?P<path>[^:]+):(\d+):(\d+): (NBG\d{3}) (.+)$")

runner = CliRunner()


# --- building inputs -----------------------------------------------------------------------


def code(source: str, cell_id: str = "") -> NotebookNode:
    cell = new_code_cell(source)
    cell.id = cell_id
    return cell


def markdown(source: str, cell_id: str = "") -> NotebookNode:
    cell = new_markdown_cell(source)
    cell.id = cell_id
    return cell


def write_notebook(path: Path, *cells: NotebookNode) -> Path:
    """Write a v4 notebook; cells without an explicit id get a stable one from their position."""
    notebook = new_notebook()
    for index, cell in enumerate(cells, start=1):
        if not cell.id:
            cell.id = f"cell-{index}"
    notebook.cells = list(cells)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, str(path))
    return path


def write_eval_notebook(path: Path) -> Path:
    """The notebook whose findings are :data:`EVAL_FINDINGS`."""
    return write_notebook(
        path,
        markdown("# Judge eval", "intro"),
        code(JUDGE_SOURCE, "judge-setup"),
        code(CALL_SOURCE, "judge-call"),
    )


def write_clean_notebook(path: Path) -> Path:
    return write_notebook(path, markdown("# Clean", "intro"), code(CLEAN_SOURCE, "pinned"))


def write_pyproject(directory: Path, body: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "pyproject.toml"
    path.write_text(body, encoding="utf-8")
    return path


def raw_line_of(path: Path, needle: str) -> tuple[int, str]:
    """The 1-based line of the file as stored that holds ``needle`` (exactly one must)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    hits = [(number, line) for number, line in enumerate(lines, start=1) if needle in line]
    assert len(hits) == 1, f"{needle!r} is on lines {[n for n, _ in hits]} of {path}"
    return hits[0]


def fake_key() -> str:
    # Built at run time so no key-shaped literal lives in the repository.
    return "sk-" + "proj-" + "Ab3" * 16


# --- running the CLI -----------------------------------------------------------------------


def invoke(*args: str) -> Result:
    """The Typer app in this process; the caller has already chdir-ed into the project."""
    return runner.invoke(app, list(args), catch_exceptions=False)


def concise_findings(stdout: str) -> list[tuple[str, int, int, int, str]]:
    """``(path, cell, row, column, code)`` of every notebook line of a concise report."""
    found = []
    for line in stdout.splitlines():
        match = CONCISE_LINE.match(line)
        if match:
            path, cell, row, column, rule_code, _ = match.groups()
            found.append((path, int(cell), int(row), int(column), rule_code))
    return found


def codes_in(stdout: str) -> list[str]:
    return [finding[4] for finding in concise_findings(stdout)] + [
        match.group(4) for line in stdout.splitlines() if (match := SCRIPT_LINE.match(line))
    ]


def assert_one_error_line(stderr: str, *fragments: str) -> None:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: "), stderr
    for fragment in fragments:
        assert fragment in lines[0], stderr
    assert "Traceback" not in stderr


@pytest.fixture(autouse=True)
def _no_gitlab_project_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI_PROJECT_DIR", raising=False)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project directory that is also the working directory."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- version and help ----------------------------------------------------------------------


def test_version_in_a_subprocess(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "--version")
    assert result.returncode == 0
    assert result.stdout == f"nbgraduate {__version__}\n"
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--help"], ["Usage:", "--version", "lint", "rule"]),
        (
            ["lint", "--help"],
            ["Usage:", "--output-format", "--select", "--baseline", "--exit-zero", "Exit codes"],
        ),
        (["rule", "--help"], ["Usage:", "--all", "--output-format"]),
    ],
)
def test_help(project: Path, args: list[str], expected: list[str]) -> None:
    result = invoke(*args)
    assert result.exit_code == 0
    for fragment in expected:
        assert fragment in result.stdout


# --- exit codes and one-line errors ----------------------------------------------------------


def test_clean_notebook_exits_0(tmp_path: Path) -> None:
    write_clean_notebook(tmp_path / "clean.ipynb")
    result = run_cli(tmp_path, "lint", "clean.ipynb")
    assert (result.returncode, result.stdout, result.stderr) == (0, "All checks passed!\n", "")


def test_findings_exit_1(tmp_path: Path) -> None:
    write_eval_notebook(tmp_path / "eval.ipynb")
    result = run_cli(tmp_path, "lint", "eval.ipynb")
    assert result.returncode == 1
    assert result.stderr == ""
    assert [finding[1:] for finding in concise_findings(result.stdout)] == EVAL_FINDINGS


def test_unknown_selector_exits_2_with_one_line(tmp_path: Path) -> None:
    write_eval_notebook(tmp_path / "eval.ipynb")
    result = run_cli(tmp_path, "lint", "--select", "NBG999", "eval.ipynb")
    assert result.returncode == 2
    assert result.stdout == ""
    assert_one_error_line(result.stderr, "NBG999")


def test_unknown_config_key_exits_2_naming_the_file(tmp_path: Path) -> None:
    write_pyproject(tmp_path, '[tool.nbgraduate]\nselct = ["NBG1"]\n')
    write_eval_notebook(tmp_path / "eval.ipynb")
    result = run_cli(tmp_path, "lint", "eval.ipynb")
    assert result.returncode == 2
    assert result.stdout == ""
    assert_one_error_line(result.stderr, "pyproject.toml", "selct")


def test_bad_toml_exits_2_naming_the_file(tmp_path: Path) -> None:
    write_pyproject(tmp_path, "[tool.nbgraduate\nselect = \n")
    write_eval_notebook(tmp_path / "sub" / "eval.ipynb")
    result = run_cli(tmp_path / "sub", "lint", "eval.ipynb")
    assert result.returncode == 2
    assert result.stdout == ""
    assert_one_error_line(result.stderr, "pyproject.toml", "invalid TOML", "line 1")


def test_unreadable_inputs_exit_2_and_other_files_are_still_reported(tmp_path: Path) -> None:
    write_eval_notebook(tmp_path / "eval.ipynb")
    (tmp_path / "broken.ipynb").write_text("{not json", encoding="utf-8")
    (tmp_path / "latin1.py").write_bytes(b"x = '\xe9'\n")
    result = run_cli(tmp_path, "lint", "eval.ipynb", "broken.ipynb", "latin1.py", "missing.ipynb")
    assert result.returncode == 2
    assert [finding[1:] for finding in concise_findings(result.stdout)] == EVAL_FINDINGS
    assert result.stdout.splitlines()[-1] == "Found 3 errors. 3 files could not be read."
    errors = result.stderr.splitlines()
    assert [line.split(":")[1].strip() for line in errors] == [
        "broken.ipynb",
        "latin1.py",
        "missing.ipynb",
    ]
    assert all(line.startswith("error: ") for line in errors)
    assert "No such file or directory" in errors[2]
    assert "Traceback" not in result.stderr


def test_unreadable_file_found_by_a_directory_walk_exits_2(project: Path) -> None:
    write_eval_notebook(project / "evals" / "eval.ipynb")
    (project / "evals" / "broken.ipynb").write_text("", encoding="utf-8")
    result = invoke("lint", "evals")
    assert result.exit_code == 2
    assert len(concise_findings(result.stdout)) == 3
    assert_one_error_line(result.stderr, os.path.join("evals", "broken.ipynb"), "empty file")


def test_unreadable_input_in_sarif_and_github(project: Path) -> None:
    write_eval_notebook(project / "eval.ipynb")
    (project / "broken.ipynb").write_text("{", encoding="utf-8")
    sarif = invoke("lint", "--output-format", "sarif", "eval.ipynb", "broken.ipynb")
    assert sarif.exit_code == 2
    document = json.loads(sarif.stdout)
    schema = json.loads(SARIF_SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(schema).validate(document)
    invocation = document["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    [notification] = invocation["toolExecutionNotifications"]
    location = notification["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location["uri"] == "broken.ipynb"
    assert len(document["runs"][0]["results"]) == 3
    assert_one_error_line(sarif.stderr, "broken.ipynb")

    github = invoke("lint", "--output-format", "github", "eval.ipynb", "broken.ipynb")
    assert github.exit_code == 2
    commands = github.stdout.splitlines()
    assert len(commands) == 4
    assert commands[-1].startswith(
        f"::error title=nbgraduate,file={(project / 'broken.ipynb').resolve()}::broken.ipynb: "
    )


def test_exit_zero_with_findings(project: Path) -> None:
    write_eval_notebook(project / "eval.ipynb")
    result = invoke("lint", "--exit-zero", "eval.ipynb")
    assert result.exit_code == 0
    assert len(concise_findings(result.stdout)) == 3
    assert result.stdout.endswith("Found 3 errors.\n")


def test_exit_zero_still_exits_2_on_unreadable_input(tmp_path: Path) -> None:
    write_eval_notebook(tmp_path / "eval.ipynb")
    (tmp_path / "broken.ipynb").write_text("[]", encoding="utf-8")
    result = run_cli(tmp_path, "lint", "--exit-zero", "eval.ipynb", "broken.ipynb")
    assert result.returncode == 2
    assert len(concise_findings(result.stdout)) == 3
    assert_one_error_line(result.stderr, "broken.ipynb")


def test_exit_zero_does_not_hide_a_usage_error(project: Path) -> None:
    write_eval_notebook(project / "eval.ipynb")
    result = invoke("lint", "--exit-zero", "--ignore", "NBG9", "eval.ipynb")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert_one_error_line(result.stderr, "NBG9")


# --- output formats ------------------------------------------------------------------------


def test_concise_lines(project: Path) -> None:
    write_eval_notebook(project / "eval.ipynb")
    result = invoke("lint", "eval.ipynb")
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "eval.ipynb:cell 2:2:15: NBG101 judge model id 'gpt-4o' floats: 'gpt-4o' is an alias"
        " that OpenAI moves to newer snapshots; pin a dated snapshot such as gpt-4o-2024-08-06"
    )
    assert concise_findings(result.stdout) == [
        ("eval.ipynb", *finding) for finding in EVAL_FINDINGS
    ]
    assert lines[-1] == "Found 3 errors."
    assert len(lines) == 4


def test_concise_path_is_relative_to_cwd_for_nested_files(project: Path) -> None:
    write_eval_notebook(project / "evals" / "judge" / "eval.ipynb")
    result = invoke("lint")
    paths = {finding[0] for finding in concise_findings(result.stdout)}
    assert paths == {os.path.join("evals", "judge", "eval.ipynb")}


def test_full_shows_source_line_and_caret(project: Path) -> None:
    write_eval_notebook(project / "eval.ipynb")
    result = invoke("lint", "--output-format", "full", "eval.ipynb")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    header = lines.index(next(line for line in lines if line.startswith("eval.ipynb:cell 2:2:15")))
    assert lines[header + 1 : header + 5] == [
        "  |",
        '2 | JUDGE_MODEL = "gpt-4o"',
        "  |               ^^^^^^^^ NBG101",
        "  |",
    ]
    assert "3 | reply = client.chat.completions.create(model=JUDGE_MODEL, messages=[])" in lines
    assert "  |         " + "^" * len("client.chat.completions.create") + " NBG103" in lines
    assert lines[-1] == "Found 3 errors."


def test_json_fields(project: Path) -> None:
    write_eval_notebook(project / "eval.ipynb")
    result = invoke("lint", "--output-format", "json", "eval.ipynb")
    assert result.exit_code == 1
    findings = json.loads(result.stdout)
    assert [
        (f["cell"], f["location"]["row"], f["location"]["column"], f["code"]) for f in findings
    ] == (EVAL_FINDINGS)
    first = findings[0]
    assert first["cell"] == 2
    assert first["cell_id"] == "judge-setup"
    assert first["code"] == "NBG101"
    assert first["name"] == "floating-model-id"
    assert "'gpt-4o'" in first["message"]
    assert first["severity"] == "error"
    assert first["filename"] == "eval.ipynb"
    assert first["location"] == {"row": 2, "column": 15}
    assert first["end_location"] == {"row": 2, "column": 23}
    assert first["url"].startswith("https://")
    assert first["url"].endswith("#nbg101-floating-model-id")
    assert [f["cell_id"] for f in findings] == ["judge-setup", "judge-setup", "judge-call"]
    assert [f["name"] for f in findings] == [
        "floating-model-id",
        "unseeded-global-rng",
        "unset-sampling-parameters",
    ]


def test_sarif_is_valid_and_regions_are_raw_file_lines(project: Path) -> None:
    notebook = write_eval_notebook(project / "eval.ipynb")
    result = invoke("lint", "--output-format", "sarif", "eval.ipynb")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    schema = json.loads(SARIF_SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    ).validate(document)

    run = document["runs"][0]
    assert {rule["id"] for rule in run["tool"]["driver"]["rules"]} == set(ALL_CODES)
    results = run["results"]
    assert [r["ruleId"] for r in results] == [finding[3] for finding in EVAL_FINDINGS]
    for sarif_result in results:
        location = sarif_result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == "eval.ipynb"
        region = location["region"]
        span = RAW_SPANS[sarif_result["ruleId"]]
        line_number, line = raw_line_of(notebook, span)
        assert region["startLine"] == line_number
        assert line[region["startColumn"] - 1 : region["endColumn"] - 1] == span
    assert results[0]["properties"]["cell"] == 2
    assert results[0]["properties"]["cellId"] == "judge-setup"


def test_github_annotation_lines_are_raw_file_lines(project: Path) -> None:
    notebook = write_eval_notebook(project / "eval.ipynb")
    result = invoke("lint", "--output-format", "github", "eval.ipynb")
    assert result.exit_code == 1
    commands = result.stdout.splitlines()
    assert len(commands) == 3
    pattern = re.compile(r"^::error title=nbgraduate \((NBG\d{3})\),file=([^,]+),line=(\d+),")
    for command, (cell, row, column, rule_code) in zip(commands, EVAL_FINDINGS, strict=True):
        match = pattern.match(command)
        assert match, command
        assert match.group(1) == rule_code
        assert match.group(2) == str(notebook.resolve())
        assert int(match.group(3)) == raw_line_of(notebook, RAW_SPANS[rule_code])[0]
        assert f"::eval.ipynb:cell {cell}:{row}:{column}: {rule_code} " in command


def test_gitlab_code_quality_structure(project: Path) -> None:
    notebook = write_eval_notebook(project / "eval.ipynb")
    result = invoke("lint", "--output-format", "gitlab", "eval.ipynb")
    assert result.exit_code == 1
    issues = json.loads(result.stdout)
    assert isinstance(issues, list)
    assert len(issues) == 3
    for issue, (_, _, _, rule_code) in zip(issues, EVAL_FINDINGS, strict=True):
        assert set(issue) == {"check_name", "description", "severity", "fingerprint", "location"}
        assert issue["check_name"] == rule_code
        assert issue["description"].startswith(f"{rule_code}: ")
        assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert re.fullmatch(r"[0-9a-f]{32}", issue["fingerprint"])
        assert issue["location"]["path"] == "eval.ipynb"
        begin = issue["location"]["positions"]["begin"]
        assert begin["line"] == raw_line_of(notebook, RAW_SPANS[rule_code])[0]
        assert isinstance(begin["column"], int)
    assert len({issue["fingerprint"] for issue in issues}) == 3


def test_statistics(project: Path) -> None:
    write_eval_notebook(project / "a.ipynb")
    write_notebook(
        project / "b.ipynb", code('JUDGE_MODEL = "gpt-4o"\nCANDIDATE_MODEL = "gpt-4-turbo"')
    )
    result = invoke("lint", "--statistics", "a.ipynb", "b.ipynb")
    assert result.exit_code == 1
    assert result.stdout == (
        "3  NBG101  floating-model-id\n"
        "1  NBG103  unset-sampling-parameters\n"
        "1  NBG301  unseeded-global-rng\n"
        "Found 5 errors.\n"
    )
    as_json = invoke("lint", "--statistics", "--output-format", "json", "a.ipynb", "b.ipynb")
    assert json.loads(as_json.stdout) == [
        {"code": "NBG101", "name": "floating-model-id", "count": 3},
        {"code": "NBG103", "name": "unset-sampling-parameters", "count": 1},
        {"code": "NBG301", "name": "unseeded-global-rng", "count": 1},
    ]


@pytest.mark.parametrize("output_format", ["concise", "json", "sarif"])
def test_output_file_is_written_atomically_and_stdout_is_empty(
    project: Path, output_format: str
) -> None:
    write_eval_notebook(project / "eval.ipynb")
    report = project / "reports" / "lint.out"
    report.parent.mkdir()
    report.write_text("stale report\n", encoding="utf-8")
    inode_before = report.stat().st_ino
    expected = invoke("lint", "--output-format", output_format, "eval.ipynb").stdout

    result = invoke("lint", "--output-format", output_format, "-o", str(report), "eval.ipynb")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == ""
    assert report.read_text(encoding="utf-8") == expected
    # Replaced by a rename, not rewritten in place, and no temporary file left behind.
    assert report.stat().st_ino != inode_before
    assert sorted(path.name for path in report.parent.iterdir()) == ["lint.out"]


def test_output_file_in_a_missing_directory_is_a_one_line_error(tmp_path: Path) -> None:
    write_eval_notebook(tmp_path / "eval.ipynb")
    result = run_cli(tmp_path, "lint", "-o", "nowhere/report.txt", "eval.ipynb")
    assert result.returncode == 2
    assert result.stdout == ""
    assert_one_error_line(result.stderr, "nowhere/report.txt")


# --- scripts -------------------------------------------------------------------------------


def test_plain_script_positions_are_file_lines(project: Path) -> None:
    (project / "judge.py").write_text(
        'import random\n\nJUDGE_MODEL = "gpt-4o"\nscores = random.random()\n', encoding="utf-8"
    )
    result = invoke("lint", "judge.py")
    assert result.exit_code == 1
    located = [line.split(": ", 1)[0] for line in result.stdout.splitlines()[:-1]]
    assert located == ["judge.py:3:15", "judge.py:4:10"]
    assert codes_in(result.stdout) == ["NBG101", "NBG301"]
    findings = json.loads(invoke("lint", "--output-format", "json", "judge.py").stdout)
    assert [(f["cell"], f["location"]["row"]) for f in findings] == [(None, 3), (None, 4)]


def test_percent_script_positions_are_file_lines(project: Path) -> None:
    script = project / "judge_percent.py"
    script.write_text(
        "# %% [markdown]\n"
        "# Judge eval\n"
        "\n"
        "# %%\n"
        "import random\n"
        "\n"
        "# %%\n"
        'JUDGE_MODEL = "gpt-4o"\n'
        "scores = random.random()\n",
        encoding="utf-8",
    )
    result = invoke("lint", "judge_percent.py")
    assert result.exit_code == 1
    located = [line.split(": ", 1)[0] for line in result.stdout.splitlines()[:-1]]
    assert located == ["judge_percent.py:8:15", "judge_percent.py:9:10"]
    sarif = json.loads(invoke("lint", "--output-format", "sarif", "judge_percent.py").stdout)
    regions = [r["locations"][0]["physicalLocation"]["region"] for r in sarif["runs"][0]["results"]]
    assert [(region["startLine"], region["startColumn"]) for region in regions] == [
        (8, 15),
        (9, 10),
    ]
    github = invoke("lint", "--output-format", "github", "judge_percent.py").stdout
    assert [int(m) for m in re.findall(r",line=(\d+),", github)] == [8, 9]


# --- configuration -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "expected_codes"),
    [
        ('select = ["NBG1"]', ["NBG101", "NBG103"]),
        ('ignore = ["NBG103"]', ["NBG101", "NBG301"]),
        ('select = ["NBG103"]\nextend-select = ["NBG301"]', ["NBG301", "NBG103"]),
        ('ignore = ["NBG1"]\nextend-select = ["NBG101"]', ["NBG101", "NBG301"]),
    ],
)
def test_selection_from_pyproject_found_upwards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, table: str, expected_codes: list[str]
) -> None:
    write_pyproject(tmp_path, f"[tool.nbgraduate]\n{table}\n")
    nested = tmp_path / "evals" / "judge"
    write_eval_notebook(nested / "eval.ipynb")
    monkeypatch.chdir(nested)
    result = invoke("lint")
    assert codes_in(result.stdout) == expected_codes
    assert result.exit_code == 1


def test_cli_selectors_layer_on_the_pyproject(project: Path) -> None:
    write_pyproject(project, '[tool.nbgraduate]\nselect = ["NBG1"]\n')
    write_eval_notebook(project / "eval.ipynb")
    assert codes_in(invoke("lint", "--ignore", "NBG103").stdout) == ["NBG101"]
    assert codes_in(invoke("lint", "--extend-select", "NBG301").stdout) == [
        "NBG101",
        "NBG301",
        "NBG103",
    ]
    assert codes_in(invoke("lint", "--select", "NBG301,NBG103").stdout) == ["NBG301", "NBG103"]


def test_per_file_ignores(project: Path) -> None:
    write_pyproject(
        project, '[tool.nbgraduate]\n[tool.nbgraduate.per-file-ignores]\n"legacy/*" = ["NBG101"]\n'
    )
    write_eval_notebook(project / "legacy" / "old.ipynb")
    write_eval_notebook(project / "current" / "new.ipynb")
    result = invoke("lint")
    by_path: dict[str, list[str]] = {}
    for path, *_, rule_code in concise_findings(result.stdout):
        by_path.setdefault(path, []).append(rule_code)
    assert by_path == {
        os.path.join("current", "new.ipynb"): ["NBG101", "NBG301", "NBG103"],
        os.path.join("legacy", "old.ipynb"): ["NBG301", "NBG103"],
    }


def test_exclude_and_force_exclude(project: Path) -> None:
    write_pyproject(project, '[tool.nbgraduate]\nexclude = ["scratch/"]\n')
    write_eval_notebook(project / "scratch" / "draft.ipynb")
    write_clean_notebook(project / "evals" / "clean.ipynb")
    walked = invoke("lint")
    assert (walked.exit_code, walked.stdout) == (0, "All checks passed!\n")

    draft = os.path.join("scratch", "draft.ipynb")
    explicit = invoke("lint", draft)
    assert explicit.exit_code == 1
    assert {finding[0] for finding in concise_findings(explicit.stdout)} == {draft}

    forced = invoke("lint", "--force-exclude", draft, os.path.join("evals", "clean.ipynb"))
    assert (forced.exit_code, forced.stdout) == (0, "All checks passed!\n")


def test_gitignore_is_respected_on_a_directory_walk(project: Path) -> None:
    (project / ".gitignore").write_text("ignored.ipynb\noutputs/\n", encoding="utf-8")
    write_eval_notebook(project / "ignored.ipynb")
    write_eval_notebook(project / "outputs" / "run.ipynb")
    write_eval_notebook(project / "kept.ipynb")
    result = invoke("lint", ".")
    assert {finding[0] for finding in concise_findings(result.stdout)} == {"kept.ipynb"}
    assert len(concise_findings(result.stdout)) == 3


def test_model_policy_from_pyproject(project: Path) -> None:
    source = 'JUDGE_MODEL = "gpt-4o"\nCANDIDATE_MODEL = "my-internal-judge"\n'
    write_notebook(project / "evals" / "models.ipynb", code(source))
    before = invoke("lint", "--select", "NBG101")
    assert [finding[2] for finding in concise_findings(before.stdout)] == [1]
    assert "'gpt-4o'" in before.stdout

    write_pyproject(
        project,
        "[tool.nbgraduate]\n"
        "[tool.nbgraduate.models]\n"
        'pinned = ["gpt-4o"]\n'
        'floating = ["my-internal-*"]\n',
    )
    # A new `nbgraduate` process would read the edited file; this one caches per directory.
    lint_config.clear_caches()
    after = invoke("lint", "--select", "NBG101")
    assert after.exit_code == 1
    findings = concise_findings(after.stdout)
    assert [(finding[2], finding[3], finding[4]) for finding in findings] == [(2, 19, "NBG101")]
    assert "'my-internal-judge'" in after.stdout
    assert "'gpt-4o'" not in after.stdout


def test_azure_deployment_floats_until_the_project_declares_it_pinned(project: Path) -> None:
    """An Azure OpenAI client's ``model=`` is a deployment: a name the policy does not know is
    reported as one, and stops being reported once ``[tool.nbgraduate.models]`` pins it."""
    source = (
        "from openai import AzureOpenAI\n"
        'client = AzureOpenAI(api_version="2024-06-01", azure_endpoint="https://x.example")\n'
        'r = client.chat.completions.create(model="eval-judge", messages=[], temperature=0)\n'
        'plain = OpenAI().chat.completions.create(model="eval-judge", messages=[], temperature=0)\n'
        "from langchain_openai import AzureChatOpenAI\n"
        'judge = AzureChatOpenAI(azure_deployment="eval-judge", temperature=0)\n'
    )
    write_notebook(project / "evals" / "azure.ipynb", code(source))
    before = invoke("lint", "--select", "NBG101")
    findings = concise_findings(before.stdout)
    assert [(finding[2], finding[3]) for finding in findings] == [(3, 42), (6, 42)]
    assert "'eval-judge' is a deployment name" in before.stdout

    write_pyproject(
        project, '[tool.nbgraduate]\n[tool.nbgraduate.models]\npinned = ["eval-judge"]\n'
    )
    lint_config.clear_caches()
    after = invoke("lint", "--select", "NBG101")
    assert after.exit_code == 0, after.stdout
    assert concise_findings(after.stdout) == []


# --- suppression ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("comment", "expected_codes"),
    [
        ("# noqa: NBG101", ["NBG301", "NBG103"]),
        ("# noqa", ["NBG301", "NBG103"]),
        ("# nbgraduate: noqa: NBG101", ["NBG301", "NBG103"]),
        ("# noqa: NBG1", ["NBG301", "NBG103"]),
        ("# noqa: NBG301", ["NBG101", "NBG301", "NBG103"]),
        ("# nbgraduate: noqa: NBG103", ["NBG101", "NBG301", "NBG103"]),
        ("# noqa:NBG101", ["NBG301", "NBG103"]),
        ("# noqa: NBG301, NBG101", ["NBG301", "NBG103"]),
        ("# NOQA: NBG101", ["NBG301", "NBG103"]),
        ("# NOQA", ["NBG301", "NBG103"]),
    ],
)
def test_line_noqa(project: Path, comment: str, expected_codes: list[str]) -> None:
    judge = JUDGE_SOURCE.replace('"gpt-4o"', f'"gpt-4o"  {comment}')
    write_notebook(project / "eval.ipynb", code(judge), code(CALL_SOURCE))
    assert codes_in(invoke("lint", "eval.ipynb").stdout) == expected_codes


@pytest.mark.parametrize("cell_kind", ["markdown", "code"])
def test_file_level_noqa(project: Path, cell_kind: str) -> None:
    directive = "# nbgraduate: noqa-file: NBG1"
    first = markdown(f"# Judge eval\n\n{directive}") if cell_kind == "markdown" else code(directive)
    write_notebook(project / "eval.ipynb", first, code(JUDGE_SOURCE), code(CALL_SOURCE))
    result = invoke("lint", "eval.ipynb")
    assert codes_in(result.stdout) == ["NBG301"]
    assert result.exit_code == 1


def test_file_level_noqa_for_another_prefix_does_not_suppress(project: Path) -> None:
    write_notebook(
        project / "eval.ipynb",
        markdown("# nbgraduate: noqa-file: NBG2"),
        code(JUDGE_SOURCE),
        code(CALL_SOURCE),
    )
    assert codes_in(invoke("lint", "eval.ipynb").stdout) == ["NBG101", "NBG301", "NBG103"]


# --- baseline ------------------------------------------------------------------------------


def test_baseline_round_trip_survives_moved_cells_and_reports_new_findings(
    project: Path,
) -> None:
    notebook = write_eval_notebook(project / "eval.ipynb")
    written = invoke("lint", "--write-baseline", "b.json", "eval.ipynb")
    assert written.exit_code == 0
    assert re.fullmatch(r"Wrote 3 findings to (baseline )?b\.json\n", written.stdout)
    recorded = json.loads((project / "b.json").read_text(encoding="utf-8"))
    assert sorted(entry["code"] for entry in recorded["findings"]) == ["NBG101", "NBG103", "NBG301"]

    again = invoke("lint", "--baseline", "b.json", "eval.ipynb")
    assert (again.exit_code, again.stdout) == (0, "All checks passed!\n")

    # A new cell on top shifts every finding to another cell number and raw line.
    write_notebook(
        notebook,
        markdown("## Setup notes", "notes"),
        code('print("starting")', "banner"),
        markdown("# Judge eval", "intro"),
        code(JUDGE_SOURCE, "judge-setup"),
        code(CALL_SOURCE, "judge-call"),
    )
    moved = invoke("lint", "--baseline", "b.json", "eval.ipynb")
    assert (moved.exit_code, moved.stdout) == (0, "All checks passed!\n")
    assert len(concise_findings(invoke("lint", "eval.ipynb").stdout)) == 3

    nb = nbformat.read(str(notebook), as_version=4)
    nb.cells.append(code('CANDIDATE_MODEL = "gpt-4-turbo"', "candidate"))
    nbformat.write(nb, str(notebook))
    new = invoke("lint", "--baseline", "b.json", "eval.ipynb")
    assert new.exit_code == 1
    assert concise_findings(new.stdout) == [("eval.ipynb", 6, 1, 19, "NBG101")]
    assert "'gpt-4-turbo'" in new.stdout
    assert new.stdout.splitlines()[-1] == "Found 1 error."


def test_baseline_works_from_another_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_eval_notebook(tmp_path / "evals" / "eval.ipynb")
    monkeypatch.chdir(tmp_path)
    assert invoke("lint", "--write-baseline", "b.json").exit_code == 0
    monkeypatch.chdir(tmp_path / "evals")
    result = invoke("lint", "--baseline", os.path.join("..", "b.json"))
    assert (result.exit_code, result.stdout) == (0, "All checks passed!\n")


@pytest.mark.parametrize(
    "content",
    ["{not json", '{"tool": "ruff", "version": 1, "findings": []}', '{"tool": "nbgraduate"}'],
)
def test_corrupt_baseline_is_a_one_line_error(tmp_path: Path, content: str) -> None:
    write_eval_notebook(tmp_path / "eval.ipynb")
    (tmp_path / "b.json").write_text(content, encoding="utf-8")
    result = run_cli(tmp_path, "lint", "--baseline", "b.json", "eval.ipynb")
    assert result.returncode == 2
    assert result.stdout == ""
    assert_one_error_line(result.stderr, "b.json")


def test_missing_baseline_is_a_one_line_error(project: Path) -> None:
    write_eval_notebook(project / "eval.ipynb")
    result = invoke("lint", "--baseline", "absent.json", "eval.ipynb")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert_one_error_line(result.stderr, "absent.json")


# --- rule ----------------------------------------------------------------------------------


def test_rule_prints_the_documentation_headings(project: Path) -> None:
    result = invoke("rule", "NBG101")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "# NBG101: floating-model-id"
    headings = [line for line in lines if line.startswith("## ")]
    assert headings == ["## What it does", "## Why is this bad?", "## Example", "## Use instead"]
    assert invoke("rule", "nbg101").stdout == result.stdout


def test_rule_all_json_lists_every_code(project: Path) -> None:
    result = invoke("rule", "--all", "--output-format", "json")
    assert result.exit_code == 0
    rules = json.loads(result.stdout)
    assert [entry["code"] for entry in rules] == sorted(ALL_CODES)
    for entry in rules:
        assert set(entry) == {"code", "name", "summary", "severity", "url", "explanation"}
        assert entry["explanation"].startswith(f"# {entry['code']}: {entry['name']}")
        assert "## Use instead" in entry["explanation"]
    single = json.loads(invoke("rule", "NBG301", "--output-format", "json").stdout)
    assert single["code"] == "NBG301"
    assert single["name"] == "unseeded-global-rng"


def test_rule_all_text_documents_every_code(project: Path) -> None:
    result = invoke("rule", "--all")
    titles = [line for line in result.stdout.splitlines() if re.match(r"^# NBG\d{3}: ", line)]
    assert [title[2:8] for title in titles] == sorted(ALL_CODES)


def test_unknown_rule_exits_2(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "rule", "NBG999")
    assert result.returncode == 2
    assert result.stdout == ""
    assert_one_error_line(result.stderr, "NBG999")


@pytest.mark.parametrize("args", [["rule"], ["rule", "NBG101", "--all"]])
def test_rule_needs_exactly_one_of_code_or_all(project: Path, args: list[str]) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    assert_one_error_line(result.stderr, "--all")


# --- secrets -------------------------------------------------------------------------------


def write_leaky_notebook(path: Path, key: str) -> Path:
    leak = code(f'from openai import OpenAI\nclient = OpenAI(api_key="{key}")', "client")
    printed = code("import os\nprint(os.environ)", "env-dump")
    printed.execution_count = 1
    printed.outputs = [new_output("stream", name="stdout", text=f"{{'OPENAI_API_KEY': '{key}'}}\n")]
    return write_notebook(path, markdown("# Leaky", "intro"), leak, printed)


def without_rule_documentation(sarif_text: str) -> str:
    # The rule descriptors carry the rules' own docs, whose examples are fake key *shapes*
    # ("sk-proj-Qx7..."); they are not the user's key, so the prefix check skips them.
    document = json.loads(sarif_text)
    for run in document["runs"]:
        run["tool"]["driver"]["rules"] = []
    return json.dumps(document, ensure_ascii=False)


@pytest.mark.parametrize("output_format", ["concise", "full", "json", "sarif", "github", "gitlab"])
def test_no_output_format_shows_more_than_four_characters_of_a_key(
    project: Path, output_format: str
) -> None:
    key = fake_key()
    write_leaky_notebook(project / "leaky.ipynb", key)
    result = invoke("lint", "--output-format", output_format, "leaky.ipynb")
    assert result.exit_code == 1
    findings_text = result.stdout
    if output_format == "sarif":
        findings_text = without_rule_documentation(result.stdout)
    everything = result.stdout + result.stderr
    assert key not in everything
    assert key[4:16] not in everything
    assert "Ab3Ab3" not in everything
    assert key[:5] not in findings_text
    assert key[:5] not in result.stderr
    assert "NBG501" in result.stdout
    assert "NBG502" in result.stdout


@pytest.mark.parametrize(
    ("template", "quoting_code"),
    [
        (
            'import pandas as pd\ndf = pd.read_csv("https://example.com/eval.csv?token={key}")',
            "NBG202",
        ),
        ("!pip install git+https://{key}@github.com/org/evalkit.git", "NBG402"),
    ],
    ids=["dataset-url-token", "vcs-install-token"],
)
@pytest.mark.parametrize("output_format", ["concise", "json", "github", "gitlab"])
def test_a_key_inside_a_url_is_not_quoted_by_other_rules(
    project: Path, template: str, quoting_code: str, output_format: str
) -> None:
    key = fake_key()
    write_notebook(project / "leaky.ipynb", code(template.format(key=key)))
    result = invoke("lint", "--output-format", output_format, "leaky.ipynb")
    assert "NBG501" in result.stdout
    assert quoting_code in result.stdout
    assert key not in result.stdout
    assert key[:5] not in result.stdout


def test_full_caret_is_under_the_span_when_a_secret_precedes_it(project: Path) -> None:
    key = fake_key()
    source = f'reply = OpenAI(api_key="{key}").chat.completions.create(model="gpt-4o")'
    write_notebook(project / "eval.ipynb", code(source))
    result = invoke("lint", "--output-format", "full", "--select", "NBG101", "eval.ipynb")
    lines = result.stdout.splitlines()
    assert lines[0].startswith("eval.ipynb:cell 1:1:")
    shown = lines[2].split(" | ", 1)[1]
    carets = lines[3].split(" | ", 1)[1]
    assert key not in shown
    assert carets.index("^") == shown.index('"gpt-4o"')
    assert carets.count("^") == len('"gpt-4o"')


def test_baseline_does_not_accept_a_different_key_on_the_same_line(project: Path) -> None:
    old_key = fake_key()
    new_key = "sk-" + "proj-" + "Zq9" * 16
    notebook = project / "keys.ipynb"
    write_notebook(notebook, code(f'OPENAI_API_KEY = "{old_key}"', "keys"))
    assert invoke("lint", "--write-baseline", "b.json", "keys.ipynb").exit_code == 0
    write_notebook(notebook, code(f'OPENAI_API_KEY = "{new_key}"', "keys"))
    result = invoke("lint", "--baseline", "b.json", "keys.ipynb")
    assert result.exit_code == 1
    assert codes_in(result.stdout) == ["NBG501"]


def test_masked_key_preview_is_four_characters(project: Path) -> None:
    key = fake_key()
    write_leaky_notebook(project / "leaky.ipynb", key)
    result = invoke("lint", "leaky.ipynb")
    codes = codes_in(result.stdout)
    assert "NBG501" in codes
    assert "NBG502" in codes
    assert f"({key[:4]}…)" in result.stdout


def test_baseline_and_statistics_do_not_store_the_key(project: Path) -> None:
    key = fake_key()
    write_leaky_notebook(project / "leaky.ipynb", key)
    written = invoke("lint", "--write-baseline", "b.json", "leaky.ipynb")
    stats = invoke("lint", "--statistics", "leaky.ipynb")
    for text in (
        (project / "b.json").read_text(encoding="utf-8"),
        written.stdout + written.stderr,
        stats.stdout + stats.stderr,
    ):
        assert key[:5] not in text
        assert key not in text


# --- safety and scale ----------------------------------------------------------------------


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(path.relative_to(root)): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_lint_never_writes_to_its_inputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inputs = tmp_path / "repo"
    write_pyproject(inputs, '[tool.nbgraduate]\nextend-exclude = ["nothing/"]\n')
    write_eval_notebook(inputs / "eval.ipynb")
    write_leaky_notebook(inputs / "leaky.ipynb", fake_key())
    (inputs / "judge.py").write_text('JUDGE_MODEL = "gpt-4o"\n', encoding="utf-8")
    (inputs / ".gitignore").write_text("*.log\n", encoding="utf-8")
    # Old mtimes, so a rewrite within the same clock tick would still show.
    for path in inputs.rglob("*"):
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    before = snapshot(inputs)
    reports = tmp_path / "reports"
    reports.mkdir()
    monkeypatch.chdir(inputs)
    for output_format in ("concise", "full", "json", "sarif", "github", "gitlab"):
        assert invoke("lint", "--output-format", output_format).exit_code == 1
    assert invoke("lint", "--statistics", ".").exit_code == 1
    baseline = str(reports / "b.json")
    assert invoke("lint", "--write-baseline", baseline).exit_code == 0
    assert invoke("lint", "--baseline", baseline, "eval.ipynb", "judge.py").exit_code == 0
    assert snapshot(inputs) == before


def test_many_files_in_parallel_match_a_single_job(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import concurrent.futures

    model_ids = ["gpt-4o", "gpt-4o-2024-08-06", "gpt-4-turbo", "claude-3-5-sonnet-latest"]
    for index in range(36):
        model_id = model_ids[index % len(model_ids)]
        cells = [code(f'JUDGE_MODEL = "{model_id}"', "judge")]
        if index % 3 == 0:
            cells.append(code("import random\nsample = random.random()", "sample"))
        write_notebook(
            project / "evals" / f"batch_{index // 10}" / f"eval_{index:02d}.ipynb", *cells
        )

    from nbgraduate.lint import workers

    pools: list[int] = []
    real_pool = concurrent.futures.ProcessPoolExecutor
    real_workers = workers.lint_in_workers

    class CountingPool(real_pool):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pools.append(kwargs.get("max_workers") or 0)
            super().__init__(*args, **kwargs)

    def counting_workers(jobs: Any, count: int, lint: Any) -> Any:
        pools.append(count)
        return real_workers(jobs, count, lint)

    # Forked workers where the platform forks, a process pool elsewhere: either counts.
    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", CountingPool)
    monkeypatch.setattr(workers, "lint_in_workers", counting_workers)
    # Without the cache: the second run must lint, not read the first run's results.
    serial = invoke("lint", "--no-cache", "--jobs", "1", "--output-format", "json", "evals")
    assert pools == []
    parallel = invoke("lint", "--no-cache", "--jobs", "3", "--output-format", "json", "evals")
    assert pools == [3]

    assert parallel.exit_code == serial.exit_code == 1
    assert parallel.stdout == serial.stdout
    findings = json.loads(parallel.stdout)
    files_with_findings = {finding["filename"] for finding in findings}
    # 27 of 36 files float (three ids in four); every third file also draws unseeded.
    assert len(files_with_findings) == 27 + 3
    assert sum(finding["code"] == "NBG101" for finding in findings) == 27
    assert sum(finding["code"] == "NBG301" for finding in findings) == 12


def test_many_files_in_a_subprocess_match_a_single_job(tmp_path: Path) -> None:
    for index in range(30):
        write_notebook(
            tmp_path / f"eval_{index:02d}.ipynb",
            code(f'JUDGE_MODEL = "gpt-4o"  # run {index}\nimport random\nx = random.random()'),
        )
    (tmp_path / "eval_broken.ipynb").write_text("{", encoding="utf-8")
    (tmp_path / "empty.py").write_text("", encoding="utf-8")
    serial = run_cli(tmp_path, "lint", "--jobs", "1", ".")
    parallel = run_cli(tmp_path, "lint", "--jobs", "4", ".")
    assert parallel.returncode == serial.returncode == 2
    assert parallel.stdout == serial.stdout
    assert parallel.stderr == serial.stderr
    assert [line.split(":")[1].strip() for line in parallel.stderr.splitlines()] == [
        "empty.py",
        "eval_broken.ipynb",
    ]
    assert parallel.stdout.splitlines()[-1] == "Found 60 errors. 2 files could not be read."
    paths = sorted({finding[0] for finding in concise_findings(parallel.stdout)})
    assert paths == [f"eval_{index:02d}.ipynb" for index in range(30)]
