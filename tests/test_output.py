"""Tests for nbgraduate.lint.output: golden text for human formats, structure and schema for CI ones."""

from __future__ import annotations

import enum
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema
import pytest

from nbgraduate import __version__
from nbgraduate.lint.diagnostics import Diagnostic, InputError, LintReport, Severity
from nbgraduate.lint.output import OUTPUT_FORMATS, render
from nbgraduate.lint.output._common import ordered
from nbgraduate.lint.rules.base import Example, Rule

SARIF_SCHEMA_PATH = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


class UnpinnedJudge(Rule):
    """Flags a judge model named by a floating alias instead of a dated snapshot."""

    code = "TST001"
    name = "unpinned-judge"
    summary = "Judge model is not pinned to a snapshot"
    rationale = """
        A floating alias such as ``gpt-4o`` is silently upgraded by the provider, so the same
        notebook scores differently next month.
    """
    bad = (Example('judge = "gpt-4o"\n'),)
    good = (Example('judge = "gpt-4o-2024-08-06"\n'),)


class UnseededShuffle(Rule):
    """Flags ``random.shuffle`` called before any seed is set."""

    code = "TST002"
    name = "unseeded-shuffle"
    summary = "Shuffle without a seed"
    rationale = "The sample order changes on every run."
    severity = Severity.WARNING
    bad = (Example("random.shuffle(xs)\n"),)
    good = (Example("random.seed(0)\nrandom.shuffle(xs)\n"),)


class NeverFires(Rule):
    """A rule with no findings in these tests; SARIF must still describe it."""

    code = "TST000"
    name = "never-fires"
    summary = "Never fires"
    rationale = "It exists so that the rules table is more than the rules that fired."
    bad = (Example("x = 1\n"),)
    good = (Example("x = 2\n"),)


RULES = (UnseededShuffle, UnpinnedJudge, NeverFires)


def notebook_finding(**changes: Any) -> Diagnostic:
    """A TST001 finding in cell 3, stored on line 41 of the ``.ipynb`` JSON."""
    values: dict[str, Any] = {
        "path": "evals/judge.ipynb",
        "code": "TST001",
        "name": "unpinned-judge",
        "message": 'Judge model "gpt-4o" is not pinned',
        "severity": Severity.ERROR,
        "cell": 3,
        "cell_id": "a1b2c3",
        "row": 2,
        "column": 9,
        "end_row": 2,
        "end_column": 17,
        "file_line": 41,
        "file_column": 14,
        "file_end_line": 41,
        "file_end_column": 24,
        "source_line": 'judge = "gpt-4o"',
        "url": UnpinnedJudge.url(),
    }
    values.update(changes)
    return Diagnostic(**values)


def script_finding(**changes: Any) -> Diagnostic:
    """A TST002 warning in a plain ``.py`` file, where rows are file lines."""
    values: dict[str, Any] = {
        "path": "run_eval.py",
        "code": "TST002",
        "name": "unseeded-shuffle",
        "message": "random.shuffle() called without a seed",
        "severity": Severity.WARNING,
        "cell": None,
        "cell_id": None,
        "row": 7,
        "column": 1,
        "end_row": 7,
        "end_column": 19,
        "file_line": 7,
        "file_column": 1,
        "file_end_line": 7,
        "file_end_column": 19,
        "source_line": "random.shuffle(xs)",
        "url": UnseededShuffle.url(),
    }
    values.update(changes)
    return Diagnostic(**values)


def unicode_finding() -> Diagnostic:
    """A finding in a path with a space and accents, on a line with wide CJK characters."""
    return notebook_finding(
        path="my evals/données.ipynb",
        message="Modèle « gpt-4o » non épinglé",
        cell=1,
        cell_id="c-1",
        row=1,
        column=31,
        end_row=1,
        end_column=39,
        file_line=12,
        file_column=40,
        file_end_line=12,
        file_end_column=50,
        source_line='résultats = judge("日本", model="gpt-4o")',
    )


def mixed_report() -> LintReport:
    """Three findings given out of order, to check every format sorts them."""
    return LintReport(
        diagnostics=[script_finding(), unicode_finding(), notebook_finding()], files_checked=3
    )


@pytest.fixture(autouse=True)
def _in_tmp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Paths are shown relative to the working directory, so pin it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CI_PROJECT_DIR", raising=False)
    return tmp_path


# --- concise ---------------------------------------------------------------------------------


def test_concise_lists_findings_in_order_with_cells_only_for_notebooks() -> None:
    assert render(mixed_report(), "concise", rules=RULES) == (
        'evals/judge.ipynb:cell 3:2:9: TST001 Judge model "gpt-4o" is not pinned\n'
        "my evals/données.ipynb:cell 1:1:31: TST001 Modèle « gpt-4o » non épinglé\n"
        "run_eval.py:7:1: TST002 random.shuffle() called without a seed\n"
        "Found 3 errors.\n"
    )


def test_concise_uses_singular_for_one_finding() -> None:
    report = LintReport(diagnostics=[script_finding()])
    assert render(report, "concise", rules=RULES) == (
        "run_eval.py:7:1: TST002 random.shuffle() called without a seed\nFound 1 error.\n"
    )


def test_concise_passes_an_empty_report() -> None:
    assert render(LintReport(files_checked=4), "concise", rules=RULES) == "All checks passed!\n"


def test_concise_keeps_input_errors_off_stdout_but_counts_them() -> None:
    report = LintReport(errors=[InputError("broken.ipynb", "not valid JSON")])
    text = render(report, "concise", rules=RULES)
    assert text == "Found 0 errors. 1 file could not be read.\n"
    assert "not valid JSON" not in text


def test_concise_shows_absolute_paths_relative_to_the_working_directory(tmp_path: Path) -> None:
    report = LintReport(diagnostics=[script_finding(path=str(tmp_path / "sub" / "run.py"))])
    assert render(report, "concise", rules=RULES).startswith("sub/run.py:7:1: TST002 ")


# --- full ------------------------------------------------------------------------------------


def test_full_underlines_the_span_under_the_source_line() -> None:
    report = LintReport(diagnostics=[script_finding(), notebook_finding()])
    assert render(report, "full", rules=RULES) == (
        'evals/judge.ipynb:cell 3:2:9: TST001 Judge model "gpt-4o" is not pinned\n'
        "  |\n"
        '2 | judge = "gpt-4o"\n'
        "  |         ^^^^^^^^ TST001\n"
        "  |\n"
        "\n"
        "run_eval.py:7:1: TST002 random.shuffle() called without a seed\n"
        "  |\n"
        "7 | random.shuffle(xs)\n"
        "  | ^^^^^^^^^^^^^^^^^^ TST002\n"
        "  |\n"
        "\n"
        "Found 2 errors.\n"
    )


def test_full_aligns_the_caret_after_wide_characters() -> None:
    report = LintReport(diagnostics=[unicode_finding()])
    assert render(report, "full", rules=RULES) == (
        "my evals/données.ipynb:cell 1:1:31: TST001 Modèle « gpt-4o » non épinglé\n"
        "  |\n"
        '1 | résultats = judge("日本", model="gpt-4o")\n'
        "  |                                 ^^^^^^^^ TST001\n"
        "  |\n"
        "\n"
        "Found 1 error.\n"
    )


def test_full_expands_tabs_and_marks_multiline_spans_to_the_end_of_the_row() -> None:
    finding = script_finding(
        row=12,
        column=2,
        end_row=14,
        end_column=3,
        source_line="\tcall(\n",
    )
    assert render(LintReport(diagnostics=[finding]), "full", rules=RULES) == (
        "run_eval.py:12:2: TST002 random.shuffle() called without a seed\n"
        "   |\n"
        "12 |     call(\n"
        "   |     ^^^^^ TST002\n"
        "   |\n"
        "\n"
        "Found 1 error.\n"
    )


def test_full_omits_the_snippet_when_there_is_no_source_line() -> None:
    finding = notebook_finding(source_line="", row=1, column=1, end_row=1, end_column=1)
    assert render(LintReport(diagnostics=[finding]), "full", rules=RULES) == (
        'evals/judge.ipynb:cell 3:1:1: TST001 Judge model "gpt-4o" is not pinned\n'
        "\n"
        "Found 1 error.\n"
    )


# --- statistics ------------------------------------------------------------------------------


def statistics_report() -> LintReport:
    shuffles = [script_finding(row=row) for row in range(1, 13)]
    short = notebook_finding(code="TST9", name="short-code")
    return LintReport(diagnostics=[short, notebook_finding(), *shuffles])


@pytest.mark.parametrize("output_format", ["concise", "full"])
def test_statistics_table_sorts_by_count_then_code(output_format: str) -> None:
    text = render(statistics_report(), output_format, rules=RULES, statistics=True)
    assert text == (
        "12  TST002  unseeded-shuffle\n"
        " 1  TST001  unpinned-judge\n"
        " 1  TST9    short-code\n"
        "Found 14 errors.\n"
    )


def test_statistics_of_an_empty_report_is_just_the_summary() -> None:
    assert render(LintReport(), "concise", rules=RULES, statistics=True) == "All checks passed!\n"


def test_json_statistics_are_counts_per_rule() -> None:
    rows = json.loads(render(statistics_report(), "json", rules=RULES, statistics=True))
    assert rows == [
        {"code": "TST002", "count": 12, "name": "unseeded-shuffle"},
        {"code": "TST001", "count": 1, "name": "unpinned-judge"},
        {"code": "TST9", "count": 1, "name": "short-code"},
    ]


# --- json ------------------------------------------------------------------------------------


def test_json_objects_match_ruffs_fields_plus_ours() -> None:
    text = render(mixed_report(), "json", rules=RULES)
    entries = json.loads(text)
    assert [entry["filename"] for entry in entries] == [
        "evals/judge.ipynb",
        "my evals/données.ipynb",
        "run_eval.py",
    ]
    assert entries[0] == {
        "cell": 3,
        "cell_id": "a1b2c3",
        "code": "TST001",
        "end_location": {"column": 17, "row": 2},
        "filename": "evals/judge.ipynb",
        "fix": None,
        "location": {"column": 9, "row": 2},
        "message": 'Judge model "gpt-4o" is not pinned',
        "name": "unpinned-judge",
        "noqa_row": 2,
        "severity": "error",
        "url": UnpinnedJudge.url(),
    }
    assert entries[2]["cell"] is None
    assert entries[2]["cell_id"] is None
    assert entries[2]["severity"] == "warning"
    assert '\n  {\n    "cell": 3,' in text  # indent 2, keys sorted like ruff's
    assert "données" in text  # real UTF-8, not \u escapes


@pytest.mark.parametrize(
    "text",
    [
        'quotes " and \\ backslashes',
        "controls \x00\x07\x1f\t\n\r and DEL \x7f",
        "line separators \u2028\u2029, accents données, emoji \U0001f600",
        "a lone surrogate \ud800 as Python strings allow",
        "",
    ],
)
def test_json_is_what_json_dumps_writes(text: str) -> None:
    from nbgraduate.lint.output.json import _as_json, render_json

    findings = [
        notebook_finding().replace(message=text, cell_id=text or None, path=f"{text}.ipynb"),
        script_finding().replace(name=text, url=text, row=10**20, end_column=0),
        unicode_finding(),
        # Not the declared types: written as json.dumps writes them (true, not 1).
        unicode_finding().replace(column=True, cell=False),  # type: ignore[arg-type]
    ]
    report = LintReport(diagnostics=findings)
    expected = json.dumps(
        [_as_json(d) for d in ordered(report)], indent=2, sort_keys=True, ensure_ascii=False
    )
    assert render_json(report) == expected + "\n"


class _Tag(str, enum.Enum):
    SAMPLED = "sampled \u00e9"


class _Table(dict):
    pass


@pytest.mark.parametrize(
    "value",
    [
        {},
        [],
        "",
        {"empty": [], "also": {}, "nested": [[], [{}], [[[]]]]},
        {"text": 'quotes " \\ \x00\x1f\t\n \u2028 données \U0001f600 \ud800', "n": -(10**20)},
        [None, True, False, 0, 1.5, -0.0, float("nan"), float("inf"), (1, (2, 3))],
        {1: "int key", None: [2], False: {"x": ()}, 2.5: "float key"},
        {"enum": _Tag.SAMPLED, "in list": [_Tag.SAMPLED], "subclass": _Table(a=[_Table()])},
        [{"deep": [{"x": {"y": [1, {"z": "w"}]}}]}],
    ],
)
def test_indented_json_is_what_json_dumps_writes(value: object) -> None:
    from nbgraduate.lint.output._indented import dumps_indented

    assert dumps_indented(value) == json.dumps(value, indent=2, ensure_ascii=False)


def test_json_of_an_empty_report_is_an_empty_array() -> None:
    assert render(LintReport(), "json", rules=RULES) == "[]\n"


# --- sarif -----------------------------------------------------------------------------------

URI_CHARACTERS = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+$")


def sarif(report: LintReport) -> dict[str, Any]:
    document = json.loads(render(report, "sarif", rules=RULES))
    schema = json.loads(SARIF_SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )
    validator.validate(document)
    for uri in re.findall(r'"uri": "([^"]*)"', json.dumps(document)):
        assert URI_CHARACTERS.match(uri), uri
    return document


def test_sarif_is_valid_and_describes_every_rule() -> None:
    run = sarif(mixed_report())["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "nbgraduate"
    assert driver["version"] == __version__
    assert [rule["id"] for rule in driver["rules"]] == ["TST000", "TST001", "TST002"]
    judge = driver["rules"][1]
    assert judge["name"] == "unpinned-judge"
    assert judge["shortDescription"] == {"text": "Judge model is not pinned to a snapshot"}
    assert judge["fullDescription"]["text"].startswith("A floating alias such as ``gpt-4o``")
    assert judge["help"] == {
        "text": UnpinnedJudge.documentation(),
        "markdown": UnpinnedJudge.documentation(),
    }
    assert judge["helpUri"] == UnpinnedJudge.url()
    assert judge["defaultConfiguration"] == {"level": "error"}
    assert driver["rules"][2]["defaultConfiguration"] == {"level": "warning"}
    assert "reproducibility" in judge["properties"]["tags"]


def test_sarif_results_point_at_the_real_lines_of_the_file(tmp_path: Path) -> None:
    run = sarif(mixed_report())["runs"][0]
    results = run["results"]
    assert [(r["ruleId"], r["ruleIndex"], r["level"]) for r in results] == [
        ("TST001", 1, "error"),
        ("TST001", 1, "error"),
        ("TST002", 2, "warning"),
    ]
    notebook = results[0]
    assert notebook["message"] == {"text": 'Judge model "gpt-4o" is not pinned'}
    physical = notebook["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {
        "uri": "evals/judge.ipynb",
        "uriBaseId": "%SRCROOT%",
    }
    assert physical["region"] == {
        "startLine": 41,
        "startColumn": 14,
        "endLine": 41,
        "endColumn": 24,
    }
    assert notebook["locations"][0]["logicalLocations"][0]["name"] == "cell 3"
    assert notebook["properties"]["cell"] == 3
    assert notebook["properties"]["cellId"] == "a1b2c3"
    script = results[2]
    assert "logicalLocations" not in script["locations"][0]
    assert "cell" not in script["properties"]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.as_uri() + "/"
    assert run["invocations"] == [{"executionSuccessful": True}]


def test_sarif_percent_encodes_spaces_and_unicode_in_paths() -> None:
    result = sarif(mixed_report())["runs"][0]["results"][1]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "my%20evals/donn%C3%A9es.ipynb"
    assert unquote(uri) == "my evals/données.ipynb"
    assert result["message"]["text"] == "Modèle « gpt-4o » non épinglé"


def test_sarif_uses_an_absolute_file_uri_outside_the_working_directory(tmp_path: Path) -> None:
    outside = tmp_path.parent / "elsewhere" / "a b.ipynb"
    result = sarif(LintReport(diagnostics=[notebook_finding(path=str(outside))]))["runs"][0][
        "results"
    ][0]
    artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": outside.as_uri()}
    assert "%20" in artifact["uri"]


def test_sarif_reports_unreadable_files_as_notifications() -> None:
    report = mixed_report()
    report.errors.append(InputError("bad dir/broken.ipynb", "not valid JSON"))
    invocation = sarif(report)["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    [notification] = invocation["toolExecutionNotifications"]
    assert notification["level"] == "error"
    assert notification["message"]["text"] == "bad dir/broken.ipynb: not valid JSON"
    artifact = notification["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": "bad%20dir/broken.ipynb", "uriBaseId": "%SRCROOT%"}


def test_sarif_of_an_empty_report_is_valid() -> None:
    run = sarif(LintReport())["runs"][0]
    assert run["results"] == []
    assert len(run["tool"]["driver"]["rules"]) == 3


def test_sarif_fingerprints_are_stable_and_tell_twins_apart() -> None:
    twins = LintReport(diagnostics=[notebook_finding(), notebook_finding(row=5, file_line=60)])
    moved = LintReport(
        diagnostics=[notebook_finding(file_line=90), notebook_finding(row=5, file_line=99)]
    )

    def keys(report: LintReport) -> list[str]:
        return [
            r["partialFingerprints"]["nbgraduate/v1"] for r in sarif(report)["runs"][0]["results"]
        ]

    first, second = keys(twins)
    assert first != second
    assert keys(twins) == [first, second]
    assert keys(moved) == [first, second]  # moving lines does not make findings "new"


# --- github ----------------------------------------------------------------------------------


def test_github_annotates_the_raw_file_lines(tmp_path: Path) -> None:
    assert render(mixed_report(), "github", rules=RULES) == (
        f"::error title=nbgraduate (TST001),file={tmp_path}/evals/judge.ipynb,"
        "line=41,col=14,endLine=41,endColumn=24::"
        'evals/judge.ipynb:cell 3:2:9: TST001 Judge model "gpt-4o" is not pinned\n'
        f"::error title=nbgraduate (TST001),file={tmp_path}/my evals/données.ipynb,"
        "line=12,col=40,endLine=12,endColumn=50::"
        "my evals/données.ipynb:cell 1:1:31: TST001 Modèle « gpt-4o » non épinglé\n"
        f"::warning title=nbgraduate (TST002),file={tmp_path}/run_eval.py,"
        "line=7,col=1,endLine=7,endColumn=19::"
        "run_eval.py:7:1: TST002 random.shuffle() called without a seed\n"
    )


def test_github_escapes_data_and_properties(tmp_path: Path) -> None:
    finding = script_finding(path="a,b: c.py", message="100% sure,\r\nreally: yes")
    report = LintReport(diagnostics=[finding], errors=[InputError("x.ipynb", "line 1\nline 2")])
    assert render(report, "github", rules=RULES) == (
        f"::warning title=nbgraduate (TST002),file={tmp_path}/a%2Cb%3A c.py,"
        "line=7,col=1,endLine=7,endColumn=19::"
        "a,b: c.py:7:1: TST002 100%25 sure,%0D%0Areally: yes\n"
        f"::error title=nbgraduate,file={tmp_path}/x.ipynb::x.ipynb: line 1%0Aline 2\n"
    )


def test_github_prints_nothing_for_a_clean_run() -> None:
    assert render(LintReport(), "github", rules=RULES) == ""


# --- gitlab ----------------------------------------------------------------------------------


def test_gitlab_issues_use_raw_positions_and_gitlab_severities() -> None:
    issues = json.loads(render(mixed_report(), "gitlab", rules=RULES))
    assert [issue["location"]["path"] for issue in issues] == [
        "evals/judge.ipynb",
        "my evals/données.ipynb",
        "run_eval.py",
    ]
    first = issues[0]
    assert set(first) == {"check_name", "description", "severity", "fingerprint", "location"}
    assert first["check_name"] == "TST001"
    assert first["description"] == 'TST001: Judge model "gpt-4o" is not pinned'
    assert first["location"]["positions"] == {
        "begin": {"line": 41, "column": 14},
        "end": {"line": 41, "column": 24},
    }
    assert [issue["severity"] for issue in issues] == ["major", "major", "minor"]
    assert all(re.fullmatch(r"[0-9a-f]{32}", issue["fingerprint"]) for issue in issues)


def test_gitlab_paths_are_relative_to_the_project_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = LintReport(diagnostics=[notebook_finding(path="repo/evals/judge.ipynb")])
    [issue] = json.loads(render(report, "gitlab", rules=RULES))
    assert issue["location"]["path"] == "repo/evals/judge.ipynb"
    monkeypatch.setenv("CI_PROJECT_DIR", str(tmp_path / "repo"))
    [issue] = json.loads(render(report, "gitlab", rules=RULES))
    assert issue["location"]["path"] == "evals/judge.ipynb"


def test_gitlab_fingerprints_differ_for_identical_findings_and_are_stable() -> None:
    report = LintReport(diagnostics=[notebook_finding(), notebook_finding(row=5, file_line=60)])
    first = [issue["fingerprint"] for issue in json.loads(render(report, "gitlab", rules=RULES))]
    again = [issue["fingerprint"] for issue in json.loads(render(report, "gitlab", rules=RULES))]
    assert first[0] != first[1]
    assert first == again


def test_gitlab_of_an_empty_report_is_an_empty_array() -> None:
    assert render(LintReport(), "gitlab", rules=RULES) == "[]\n"


# --- render ----------------------------------------------------------------------------------


@pytest.mark.parametrize("output_format", OUTPUT_FORMATS)
def test_every_format_renders_text_ending_in_a_newline(output_format: str) -> None:
    text = render(mixed_report(), output_format, rules=RULES)
    assert text.endswith("\n")
    assert "TST001" in text


def test_unknown_format_is_rejected_with_the_choices() -> None:
    with pytest.raises(ValueError, match="concise, full, json, sarif, github, gitlab"):
        render(LintReport(), "xml", rules=RULES)


def test_importing_output_does_not_import_the_formats() -> None:
    code = (
        "import sys, nbgraduate.lint.output\n"
        "print(sorted(m for m in sys.modules if m.startswith('nbgraduate.lint.output.')))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == "[]"
