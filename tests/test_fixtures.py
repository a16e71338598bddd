"""End-to-end: the real CLI on the fixture notebooks in ``fixtures/notebooks``, findings pinned.

Every expectation below is what the linter should report, written out in full.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "notebooks"
BAD_INPUTS = FIXTURES / "bad"

#: ``(code, cell, row, column)``; ``cell`` is ``None`` and ``row`` the file line for ``.py``.
Located = tuple[str, int | None, int, int]

EXPECTED: dict[str, list[Located]] = {
    "legacy_judge_eval.ipynb": [
        ("NBG401", 2, 1, 14),  # %pip install openai
        ("NBG401", 2, 1, 21),  # ... pandas
        ("NBG101", 3, 6, 15),  # JUDGE_MODEL = "gpt-4o", used as model= in cell 8
        ("NBG201", 5, 1, 18),  # pd.read_csv("data/golden.csv")
        ("NBG302", 5, 2, 10),  # df.sample(n=50)
        ("NBG301", 5, 4, 1),  # random.shuffle(examples)
        ("NBG701", 6, 1, 1),  # In [4] after In [7]
        ("NBG103", 8, 3, 16),  # client.chat.completions.create without temperature
        ("NBG601", 9, 1, 8),  # assert accuracy >= 0.8
    ],
    "clean_pipeline.ipynb": [],
    "magics_and_shell.ipynb": [
        ("NBG401", 2, 1, 17),  # %pip install -U openai
        ("NBG401", 3, 1, 14),  # !pip install tiktoken>=0.7
        ("NBG301", 5, 2, 10),  # random.sample in a %%capture body
        ("NBG201", 6, 2, 19),  # pd.read_json in a %%time body
        ("NBG401", 7, 3, 13),  # %%bash: pip install datasets
        ("NBG301", 10, 5, 15),  # %time order = np.random.permutation(...)
        ("NBG401", 12, 2, 5),  # `    pandas` on the line after `!pip install ... \`
    ],
    "syntax_error.ipynb": [
        ("NBG401", 2, 1, 14),  # %pip install openai
        ("NBG101", 2, 5, 15),  # JUDGE_MODEL = "gpt-4o"
        ("NBG703", 3, 1, 10),  # def score(rows:  -- the unclosed "("
        ("NBG201", 4, 1, 18),  # pd.read_csv("data/eval.csv")
        ("NBG601", 5, 1, 8),  # assert df["pass"].mean() >= 0.9
    ],
    "v3_notebook.ipynb": [
        ("NBG101", 2, 4, 9),  # MODEL = "gpt-4"
        ("NBG301", 4, 1, 12),  # random.choice(questions)
        ("NBG701", 5, 1, 1),  # prompt_number 2 after 3
    ],
    "percent_script.py": [
        ("NBG702", None, 32, 1),  # JUDGE_MODEL reassigned after the parameters cell
        ("NBG101", None, 32, 15),  # ... to the alias "gpt-4o"
    ],
    "plain_script.py": [
        ("NBG202", None, 9, 24),  # load_dataset("acme/support-golden") without revision
        ("NBG103", None, 13, 13),  # client.messages.create without temperature
        ("NBG102", None, 14, 15),  # model=os.environ["JUDGE_MODEL"]
    ],
    "secrets_in_outputs.ipynb": [
        ("NBG501", 2, 5, 19),  # OPENAI_API_KEY = "<fake key>"
        ("NBG502", 3, 1, 1),  # fake HF token in the saved stream output
    ],
    "cross_cell_constants.ipynb": [
        ("NBG101", 2, 7, 9),  # JUDGE = "gpt-4o", used as model=JUDGE in cell 6
        # GOLDEN = "data/golden.csv" is digest-checked in cell 10: no NBG201.
        ("NBG402", 3, 1, 14),  # git+https://...@main
        ("NBG101", 4, 1, 26),  # CONFIG["judge_model"]
        ("NBG701", 4, 2, 18),  # len(rows), rows defined in cell 9
        ("NBG101", 5, 6, 25),  # def judge(answer, model="gpt-4-turbo")
        ("NBG101", 7, 3, 32),  # os.getenv("JUDGE", "gpt-4o") -> ChatOpenAI(model_name=...)
        ("NBG101", 8, 10, 11),  # GEval(model="gpt-4o")
        ("NBG101", 8, 12, 32),  # model_graded_qa(model="openai/gpt-4o")
        # Bedrock's dated id passes; the gpt-4o-mini line carries `noqa: NBG101`.
        ("NBG202", 9, 1, 22),  # raw.githubusercontent.com/.../main/...
        ("NBG202", 9, 2, 27),  # s3://acme-evals/latest.parquet
        ("NBG201", 9, 3, 21),  # /Users/alice/... read without digest
        ("NBG203", 9, 3, 21),  # /Users/alice/... is machine-local
        ("NBG301", 9, 4, 7),  # np.random.default_rng()
    ],
}

GOOD_FIXTURES = sorted(EXPECTED)

#: Each bad input and a word its one-line error must contain.
BAD_REASONS = {
    "corrupt.ipynb": "invalid JSON",
    "truncated.ipynb": "invalid JSON",
    "empty.ipynb": "empty",
    "binary.ipynb": "binary",
    "not_a_notebook.ipynb": "not a Jupyter notebook",
    "latin1.py": "UTF-8",
}


@dataclass(frozen=True)
class LintRun:
    exit_code: int
    stdout: str
    stderr: str


@cache
def run_lint(*arguments: str) -> LintRun:
    """Run the installed CLI as users do; cached because the fixtures never change."""
    completed = subprocess.run(
        [sys.executable, "-m", "nbgraduate", "lint", *arguments],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=FIXTURES.parent.parent,
        check=False,
    )
    return LintRun(completed.returncode, completed.stdout, completed.stderr)


def lint_json(*paths: Path) -> LintRun:
    return run_lint("--output-format", "json", *(str(path) for path in paths))


def located(findings: list[dict]) -> list[Located]:
    return [(f["code"], f["cell"], f["location"]["row"], f["location"]["column"]) for f in findings]


def findings_of(fixture: str) -> list[dict]:
    return json.loads(lint_json(FIXTURES / fixture).stdout)


# --- good fixtures ----------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", GOOD_FIXTURES)
def test_fixture_findings_are_exactly_the_expected_ones(fixture: str) -> None:
    actual = located(findings_of(fixture))
    assert Counter(actual) == Counter(EXPECTED[fixture])


@pytest.mark.parametrize("fixture", GOOD_FIXTURES)
def test_exit_code_and_quiet_stderr(fixture: str) -> None:
    run = lint_json(FIXTURES / fixture)
    assert run.exit_code == (1 if EXPECTED[fixture] else 0)
    assert run.stderr == ""


def test_clean_pipeline_concise_report_says_all_passed() -> None:
    run = run_lint(str(FIXTURES / "clean_pipeline.ipynb"))
    assert (run.exit_code, run.stdout.strip()) == (0, "All checks passed!")


def test_noqa_comment_is_what_silences_the_mini_model(tmp_path: Path) -> None:
    source = (FIXTURES / "cross_cell_constants.ipynb").read_text(encoding="utf-8")
    assert source.count("  # noqa: NBG101") == 1
    unsuppressed = tmp_path / "cross_cell_constants.ipynb"
    unsuppressed.write_text(source.replace("  # noqa: NBG101", ""), encoding="utf-8")
    findings = located(json.loads(lint_json(unsuppressed).stdout))
    assert ("NBG101", 8, 20, 11) in findings


def test_percent_script_counts_cells_as_jupytext_does() -> None:
    (shadowed,) = [f for f in findings_of("percent_script.py") if f["code"] == "NBG702"]
    assert "(cell 2)" in shadowed["message"]


# --- secrets ----------------------------------------------------------------------------------

# Shapes, not keys: the fake keys are read from the fixture at test time.
_FAKE_KEY_SHAPES = (r"sk-proj-[A-Za-z0-9]{32,}", r"hf_[A-Za-z0-9]{30,}")
_PREFIXES = ("sk-proj-", "hf_")


def _fake_keys() -> list[str]:
    text = (FIXTURES / "secrets_in_outputs.ipynb").read_text(encoding="utf-8")
    keys = [key for shape in _FAKE_KEY_SHAPES for key in re.findall(shape, text)]
    assert len(keys) == 2, "the fixture holds one fake key in code and one in an output"
    return keys


def _leaks(text: str, key: str) -> list[str]:
    """Pieces of ``key`` in ``text`` beyond the four-character preview."""
    body = key[next(len(p) for p in _PREFIXES if key.startswith(p)) :]
    pieces = [key[:5]] + [body[i : i + 6] for i in range(len(body) - 5)]
    return [piece for piece in pieces if piece in text]


def _without_rule_docs(sarif_text: str) -> str:
    # The rule documentation embedded in SARIF has its own (different) example key that
    # shares the "sk-proj-" prefix; only the results may be checked for our keys.
    sarif = json.loads(sarif_text)
    for run in sarif["runs"]:
        run["tool"]["driver"].pop("rules", None)
    return json.dumps(sarif, ensure_ascii=False)


@pytest.mark.parametrize("output_format", ["concise", "full", "json", "sarif", "github", "gitlab"])
def test_reports_show_at_most_four_characters_of_a_key(output_format: str) -> None:
    run = run_lint("--output-format", output_format, str(FIXTURES / "secrets_in_outputs.ipynb"))
    assert run.exit_code == 1
    text = run.stdout + run.stderr
    if output_format == "sarif":
        text = _without_rule_docs(run.stdout) + run.stderr
    for key in _fake_keys():
        assert _leaks(text, key) == []
    if output_format in ("concise", "full", "json"):
        for key in _fake_keys():
            assert key[:4] + "…" in text


def test_baseline_file_holds_no_key(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    run = run_lint("--write-baseline", str(baseline), str(FIXTURES / "secrets_in_outputs.ipynb"))
    assert run.exit_code == 0
    written = baseline.read_text(encoding="utf-8")
    assert "NBG501" in written and "NBG502" in written
    for key in _fake_keys():
        assert _leaks(written, key) == []


# --- bad inputs -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(BAD_REASONS))
def test_bad_input_is_one_error_line_and_exit_2(name: str) -> None:
    path = BAD_INPUTS / name
    run = lint_json(path)
    assert run.exit_code == 2
    assert json.loads(run.stdout) == []
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith(f"error: {path}: ")
    assert BAD_REASONS[name] in lines[0]
    assert "Traceback" not in run.stderr


def test_bad_inputs_do_not_hide_findings_of_good_ones() -> None:
    good = FIXTURES / "legacy_judge_eval.ipynb"
    bad = [BAD_INPUTS / name for name in sorted(BAD_REASONS)]
    run = lint_json(bad[0], good, *bad[1:])
    assert run.exit_code == 2
    assert Counter(located(json.loads(run.stdout))) == Counter(EXPECTED["legacy_judge_eval.ipynb"])
    lines = run.stderr.splitlines()
    assert len(lines) == len(bad)
    for path in bad:
        assert sum(line.startswith(f"error: {path}: ") for line in lines) == 1
    assert "Traceback" not in run.stderr


def test_bad_directory_walk_reports_every_bad_file() -> None:
    run = run_lint("--output-format", "concise", str(BAD_INPUTS))
    assert run.exit_code == 2
    assert len(run.stderr.splitlines()) == len(BAD_REASONS)
    assert "6 files could not be read" in run.stdout
    assert "All checks passed" not in run.stdout


# --- linting is read-only ---------------------------------------------------------------------


def _snapshot() -> dict[Path, tuple[bytes, int]]:
    return {
        path: (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(FIXTURES.rglob("*"))
        if path.is_file()
    }


def test_linting_never_modifies_fixture_files(tmp_path: Path) -> None:
    # bad/ is excluded from directory walks by the project config, so it is named explicitly.
    every_input = (str(FIXTURES), str(BAD_INPUTS))
    before = _snapshot()
    assert len(before) == len(GOOD_FIXTURES) + len(BAD_REASONS) + 1  # + README.md
    for output_format in ("concise", "full", "json", "sarif", "github", "gitlab"):
        report = tmp_path / f"report.{output_format}"
        run = run_lint("--output-format", output_format, "-o", str(report), *every_input)
        assert run.exit_code == 2, run.stderr
        assert report.stat().st_size > 0
    run = run_lint("--write-baseline", str(tmp_path / "baseline.json"), *every_input)
    assert run.exit_code == 2, run.stderr
    assert _snapshot() == before
