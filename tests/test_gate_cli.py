"""The ``nbgraduate gate`` command: exit codes, formats, step summary, and the Markdown golden.

The golden is ``tests/data/gate_summary.md``; after an intended change of the report, rewrite
it with ``NBGRADUATE_UPDATE_GOLDEN=1 pytest tests/test_gate_cli.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from nbgraduate.cli.gate import register
from nbgraduate.gate import GateOptions, render, run_gate
from nbgraduate.runs.records import ModelUse, RunRecord
from nbgraduate.runs.store import load_record_file, open_store

DATA = Path(__file__).parent / "data"
GOLDEN = DATA / "gate_summary.md"
BASELINE_FILE = DATA / "gate_baseline.json"
CANDIDATE_FILE = DATA / "gate_candidate.json"
WORKFLOW_URL = "https://github.com/acme/evals/actions/runs/4242"
GITHUB_ENV = {
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "acme/evals",
    "GITHUB_RUN_ID": "4242",
}
runner = CliRunner()


def make_app() -> typer.Typer:
    # The lead wires ``register`` into nbgraduate's app; a fresh app with a root callback
    # behaves the same (``gate`` stays a subcommand).
    app = typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False)

    @app.callback()
    def _root() -> None:
        """nbgraduate"""

    register(app)
    return app


def golden_records() -> tuple[RunRecord, RunRecord]:
    """The fixed pair of records behind the golden Markdown (``runs export`` files).

    240 support tickets, three metrics: ``correct`` (pass/fail) regressed, 24 tickets lost and
    2 won, a FAIL at a 0.03 margin; ``helpfulness`` (a 1-5 judge score with one decimal) moved
    by +0.009, a PASS; ``latency_s`` (lower is better) rose by 0.047 s with too much noise to
    call, INCONCLUSIVE with a sample size to reach.
    """
    return load_record_file(BASELINE_FILE), load_record_file(CANDIDATE_FILE)


@pytest.fixture
def golden_store(tmp_path: Path) -> Path:
    root = tmp_path / ".nbgraduate"
    with open_store(root) as store:
        for run in golden_records():
            store.add(run)
    return root


def golden_arguments(store: Path, *extra: str) -> list[str]:
    return [
        "gate",
        "--baseline",
        "20250301T120000Z-b45e1a",
        "--candidate",
        "20250301T150000Z-c0ffee",
        "--margin",
        "0.03",
        "--confidence",
        "0.95",
        "--lower-is-better",
        "latency_s",
        "--store",
        str(store),
        *extra,
    ]


def invoke(arguments: list[str], env: dict[str, str] | None = None):
    clean = {name: None for name in ("GITHUB_STEP_SUMMARY", *GITHUB_ENV)}
    return runner.invoke(make_app(), arguments, env={**clean, **(env or {})})


# -- the golden Markdown -------------------------------------------------------------------------


def test_markdown_summary_matches_the_golden_file(golden_store: Path) -> None:
    result = invoke(golden_arguments(golden_store, "--output-format", "markdown"), GITHUB_ENV)
    if os.environ.get("NBGRADUATE_UPDATE_GOLDEN"):
        GOLDEN.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == GOLDEN.read_text(encoding="utf-8")
    assert result.stdout.startswith("<!-- nbgraduate-gate -->\n")
    assert f"[workflow run]({WORKFLOW_URL})" in result.stdout
    assert result.exit_code == 1


def test_golden_report_verdicts(golden_store: Path) -> None:
    report = run_gate(
        GateOptions(
            "20250301T120000Z-b45e1a",
            "20250301T150000Z-c0ffee",
            0.03,
            0.95,
            lower_is_better=("latency_s",),
            store=golden_store,
        )
    )
    verdicts = {metric.name: metric.verdict.value for metric in report.metrics}
    assert verdicts == {"correct": "FAIL", "helpfulness": "PASS", "latency_s": "INCONCLUSIVE"}
    assert [metric.difference.method for metric in report.metrics] == ["mcnemar", "t", "t"]


# -- exit codes and output formats -------------------------------------------------------------


def test_exit_code_1_and_text_report_on_fail(golden_store: Path) -> None:
    result = invoke(golden_arguments(golden_store))
    assert result.exit_code == 1
    assert result.stdout.startswith("nbgraduate gate: FAIL (1 PASS, 1 FAIL, 1 INCONCLUSIVE)")
    assert "about " in result.stdout and "paired examples would decide the margin" in result.stdout


def test_exit_code_0_when_every_metric_passes(golden_store: Path) -> None:
    result = invoke(golden_arguments(golden_store, "--metric", "helpfulness"))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("nbgraduate gate: PASS (1 PASS)")


def test_inconclusive_policy(golden_store: Path) -> None:
    strict = invoke(golden_arguments(golden_store, "--metric", "latency_s,helpfulness"))
    assert strict.exit_code == 1
    lenient = invoke(
        golden_arguments(
            golden_store, "--metric", "latency_s,helpfulness", "--inconclusive", "pass"
        )
    )
    assert lenient.exit_code == 0
    assert "allowed by --inconclusive pass" in lenient.stdout


def test_json_output(golden_store: Path) -> None:
    result = invoke(golden_arguments(golden_store, "--output-format", "json"), GITHUB_ENV)
    payload = json.loads(result.stdout)
    assert payload["verdict"] == "FAIL" and payload["exit_code"] == result.exit_code == 1
    assert payload["workflow_run_url"] == WORKFLOW_URL
    assert payload["benjamini_hochberg"] is True
    correct = payload["metrics"][0]
    assert correct["name"] == "correct" and correct["method"] == "mcnemar"
    assert correct["difference"]["upper"] < -0.03
    assert payload["metrics"][2]["lower_is_better"] is True


def test_usage_and_input_errors_exit_2_with_one_line(golden_store: Path, tmp_path: Path) -> None:
    missing_margin = invoke(["gate", "--baseline", "a", "--candidate", "b", "--confidence", "0.9"])
    assert missing_margin.exit_code == 2
    bad_confidence = invoke(
        ["gate", "--baseline", "a", "--candidate", "b", "--margin", "0.1", "--confidence", "95"]
    )
    assert bad_confidence.exit_code == 2
    assert bad_confidence.stderr.strip().splitlines() == [
        "error: --confidence must be between 0.5 and 1 (e.g. 0.95), got 95"
    ]
    no_run = invoke(
        [
            "gate",
            "--baseline",
            "nope",
            "--candidate",
            "20250301T150000Z",
            "--margin",
            "0.1",
            "--confidence",
            "0.9",
            "--store",
            str(golden_store),
        ]
    )
    assert no_run.exit_code == 2
    assert no_run.stderr.startswith("error: no run 'nope' in ")
    assert len(no_run.stderr.strip().splitlines()) == 1
    no_store = invoke(
        [
            "gate",
            "--baseline",
            "a",
            "--candidate",
            "b",
            "--margin",
            "0.1",
            "--confidence",
            "0.9",
            "--store",
            str(tmp_path / "none"),
        ]
    )
    assert no_store.exit_code == 2 and "no run store here" in no_store.stderr


def test_contract_refusal_prints_one_line_per_difference(tmp_path: Path) -> None:
    root = tmp_path / ".nbgraduate"
    base, cand = golden_records()
    cand = cand.model_copy(
        update={
            "temperature": 0.3,
            "models": [ModelUse(model_id="gpt-4.1-2025-04-14", role="judge", pinned=True)],
        }
    )
    with open_store(root) as store:
        store.add(base)
        store.add(cand)
    result = invoke(golden_arguments(root))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: eval contracts differ: judge model: baseline gpt-4o-2024-08-06, candidate"
        " gpt-4.1-2025-04-14",
        "error: eval contracts differ: temperature: baseline 0, candidate 0.3",
        "error: the scores are not comparable; pass --allow-contract-change to gate anyway",
    ]
    allowed = invoke(
        golden_arguments(root, "--allow-contract-change", "--output-format", "markdown")
    )
    assert allowed.exit_code == 1
    assert "> [!WARNING]\n> - eval contract differs: judge model:" in allowed.stdout


# -- GitHub Actions ----------------------------------------------------------------------------


def test_markdown_is_appended_to_the_step_summary_whatever_the_format(
    golden_store: Path, tmp_path: Path
) -> None:
    summary = tmp_path / "step_summary.md"
    summary.write_text("## Earlier step\n", encoding="utf-8")
    env = {**GITHUB_ENV, "GITHUB_STEP_SUMMARY": str(summary)}
    result = invoke(golden_arguments(golden_store, "--output-format", "json"), env)
    assert result.exit_code == 1
    json.loads(result.stdout)  # stdout keeps the chosen format
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("## Earlier step\n")
    assert text == "## Earlier step\n\n" + GOLDEN.read_text(encoding="utf-8")


def test_an_unwritable_step_summary_warns_but_keeps_the_verdict(
    golden_store: Path, tmp_path: Path
) -> None:
    env = {"GITHUB_STEP_SUMMARY": str(tmp_path / "missing-dir" / "summary.md")}
    result = invoke(golden_arguments(golden_store), env)
    assert result.exit_code == 1
    assert "warning: cannot append to $GITHUB_STEP_SUMMARY" in result.stderr


def test_no_workflow_link_outside_github(golden_store: Path) -> None:
    result = invoke(golden_arguments(golden_store, "--output-format", "markdown"))
    assert "workflow run" not in result.stdout
    assert "`20250301T120000Z-b45e1a`" in result.stdout


def test_each_run_links_to_the_ci_run_that_made_it(tmp_path: Path) -> None:
    """The PR comment (the Markdown), the text and the JSON name each run's own CI run, as
    the run recorded it, beside the workflow run that made the decision."""
    from nbgraduate.runs.records import CiRun

    baseline, candidate = golden_records()
    candidate = candidate.model_copy(
        update={
            "ci": CiRun(
                server_url="https://github.com",
                repository="acme/evals",
                run_id="4100",
                run_attempt="3",
            )
        }
    )
    root = tmp_path / ".nbgraduate"
    with open_store(root) as store:
        store.add(baseline)
        store.add(candidate)
    candidate_ci = "https://github.com/acme/evals/actions/runs/4100/attempts/3"
    markdown = invoke(golden_arguments(root, "--output-format", "markdown"), GITHUB_ENV).stdout
    (line,) = [line for line in markdown.splitlines() if line.startswith("- Candidate ")]
    assert line.endswith(f" · [CI run]({candidate_ci})")
    (line,) = [line for line in markdown.splitlines() if line.startswith("- Baseline ")]
    assert "CI run" not in line  # recorded outside CI
    assert f"[workflow run]({WORKFLOW_URL})" in markdown
    text = invoke(golden_arguments(root)).stdout
    assert f"  CI run {candidate_ci}\n" in text
    payload = json.loads(invoke(golden_arguments(root, "--output-format", "json")).stdout)
    assert payload["candidate"]["ci_run_url"] == candidate_ci
    assert payload["baseline"]["ci_run_url"] is None


def test_ci_run_is_recorded_only_in_github_shape() -> None:
    from nbgraduate.runs.records import CiRun

    assert CiRun.from_environment({}) is None
    assert CiRun.from_environment({**GITHUB_ENV, "GITHUB_RUN_ATTEMPT": "2"}).url == (  # type: ignore[union-attr]
        f"{WORKFLOW_URL}/attempts/2"
    )
    # A link built from a hand-set variable could not be a javascript: URL or end a Markdown
    # link early: no CI run is recorded rather than a wrong one.
    for name, value in (
        ("GITHUB_SERVER_URL", "javascript:alert(1)//"),
        ("GITHUB_REPOSITORY", "acme/evals) [x](https://evil.invalid"),
        ("GITHUB_RUN_ID", "42 "),
    ):
        assert CiRun.from_environment({**GITHUB_ENV, name: value + "x"}) is None


# -- the command itself ------------------------------------------------------------------------


def test_help_documents_the_options_and_exit_codes() -> None:
    result = invoke(["gate", "--help"])
    assert result.exit_code == 0
    for text in (
        "--baseline",
        "--candidate",
        "--margin",
        "--confidence",
        "--metric",
        "--method",
        "--lower-is-better",
        "--id-tolerance",
        "--allow-contract-change",
        "--inconclusive",
        "--output-format",
        "--store",
        "--pipeline",
        "latest@",
        "Exit codes",
        "Benjamini-Hochberg",
    ):
        assert text in result.stdout, text


def test_importing_the_command_does_not_import_numpy_or_scipy() -> None:
    code = (
        "import sys, typer, nbgraduate.cli.gate as c; c.register(typer.Typer());"
        " print(sorted(m for m in ('numpy', 'scipy', 'nbgraduate.gate') if m in sys.modules))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert output.strip() == "[]"


def test_render_rejects_an_unknown_format(golden_store: Path) -> None:
    report = run_gate(
        GateOptions(
            "20250301T120000Z-b45e1a",
            "20250301T150000Z-c0ffee",
            0.03,
            0.95,
            store=golden_store,
        )
    )
    with pytest.raises(ValueError, match="unknown output format"):
        render(report, "html")
