"""``nbgraduate hook verify`` and ``hook guard`` on a repository with a graduated pipeline.

The repository is built once per module (``fixtures/legacy/rag_grounding_eval.ipynb``
converted with its judge pinned, under ``evals/``, with a baseline accepting the pipeline's one
legacy finding, NBG601) and copied for each test, which then stages a change and runs the
hook command the way pre-commit does: from the repository root, with the staged paths.
``tests/test_precommit.py`` runs the same hooks through pre-commit itself.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_output
from repo_builder import (
    DATASET,
    LEGACY,
    NOTEBOOK,
    PIPELINE,
    PROMPT,
    accept_current_findings,
    add_graduated_pipeline,
    git,
    init_git,
)
from typer.testing import CliRunner

from nbgraduate.cli.app import app

PYPROJECT = '[tool.nbgraduate]\neval-paths = ["evals/"]\n'

runner = CliRunner()


def build_graduated_repository(repo: Path) -> None:
    """A git repository with one graduated pipeline under evals/ and a baseline, committed."""
    (repo / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (repo / "CODEOWNERS").write_text("/evals/ @acme/evals\n", encoding="utf-8")
    add_graduated_pipeline(repo)
    assert accept_current_findings(repo) == ["NBG601"]
    init_git(repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "graduated pipeline")


@pytest.fixture(scope="module")
def graduated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("graduated") / "repo"
    repo.mkdir()
    build_graduated_repository(repo)
    return repo


@pytest.fixture
def repo(graduated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own copy of the repository, as the working directory."""
    copy = tmp_path / "repo"
    shutil.copytree(graduated, copy, symlinks=True)
    monkeypatch.chdir(copy)
    return copy


def hook(*args: str):
    return runner.invoke(app, ["hook", *args])


def edit_notebook(path: Path, change: Callable[[nbformat.NotebookNode], None]) -> None:
    notebook = nbformat.read(str(path), as_version=4)
    change(notebook)
    nbformat.write(notebook, str(path))


def cell_containing(notebook: nbformat.NotebookNode, text: str) -> nbformat.NotebookNode:
    (cell,) = [c for c in notebook.cells if c.cell_type == "code" and text in c.source]
    return cell


def relock(repo: Path) -> None:
    result = runner.invoke(app, ["lock", PIPELINE])
    assert result.exit_code == 0, result.output


# --- verify ------------------------------------------------------------------------------


def test_verify_passes_a_pipeline_that_matches_its_lock(repo: Path) -> None:
    result = hook("verify", NOTEBOOK, f"{PIPELINE}/nbgraduate.lock", "pyproject.toml")
    assert result.exit_code == 0, result.output
    assert result.output == ""


def test_verify_passes_a_change_that_was_relocked(repo: Path) -> None:
    (repo / PROMPT).write_text("Judge strictly.\n{question}\n{answer}\n", encoding="utf-8")
    relock(repo)
    result = hook("verify", PROMPT, f"{PIPELINE}/nbgraduate.lock", f"{PIPELINE}/CHANGELOG.md")
    assert result.exit_code == 0, result.output


def test_verify_blocks_a_prompt_changed_without_relocking(repo: Path) -> None:
    (repo / PROMPT).write_text("Judge strictly.\n{question}\n{answer}\n", encoding="utf-8")
    result = hook("verify", PROMPT)
    assert result.exit_code == 1
    assert "evals/rag_grounding_eval: 1 difference from nbgraduate.lock" in result.output
    assert "prompt prompts/grounding_prompt.txt changed: sha256" in result.output
    assert "re-lock with: nbgraduate lock evals/rag_grounding_eval" in result.output


def test_verify_blocks_a_locked_dataset_changed_outside_the_pipeline(repo: Path) -> None:
    with (repo / DATASET).open("a", encoding="utf-8") as handle:
        handle.write("rag-99,Q?,Context.,Answer.\n")
    result = hook("verify", DATASET)
    assert result.exit_code == 1
    assert "dataset ../data/rag_grounding.csv changed: sha256" in result.output
    assert "rows 24 -> 25" in result.output
    assert "re-lock with: nbgraduate lock evals/rag_grounding_eval" in result.output


def test_verify_sees_a_staged_deletion_pre_commit_does_not_pass(repo: Path) -> None:
    git(repo, "rm", "-q", PROMPT)
    result = hook("verify")
    assert result.exit_code == 1
    assert "prompt prompts/grounding_prompt.txt is no longer read" in result.output


def test_verify_ignores_files_outside_pipelines(repo: Path) -> None:
    (repo / "README.md").write_text("# evals\n", encoding="utf-8")
    result = hook("verify", "README.md", "pyproject.toml")
    assert result.exit_code == 0
    assert result.output == ""


def test_verify_blocks_a_lock_that_does_not_parse(repo: Path) -> None:
    (repo / PIPELINE / "nbgraduate.lock").write_text("<<<<<<< HEAD\n", encoding="utf-8")
    result = hook("verify", f"{PIPELINE}/nbgraduate.lock")
    assert result.exit_code == 1
    assert "evals/rag_grounding_eval: cannot verify:" in result.output
    assert "invalid lock" in result.output
    assert "re-lock with: nbgraduate lock evals/rag_grounding_eval" in result.output


def test_verify_notes_but_does_not_block_the_hook_interpreters_python(repo: Path) -> None:
    lock = repo / PIPELINE / "nbgraduate.lock"
    document = json.loads(lock.read_text(encoding="utf-8"))
    document["python_version"] = "2.7.18"
    lock.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    result = hook("verify", f"{PIPELINE}/nbgraduate.lock")
    assert result.exit_code == 0, result.output
    assert "note: evals/rag_grounding_eval: python 2.7 ->" in result.output


# --- guard -------------------------------------------------------------------------------


def test_guard_passes_the_graduated_notebook_with_its_baselined_finding(repo: Path) -> None:
    result = hook("guard", NOTEBOOK)
    assert result.exit_code == 0, result.output
    assert result.output == ""


def test_guard_blocks_an_ad_hoc_notebook_under_an_eval_path(repo: Path) -> None:
    shutil.copy(LEGACY / "support_judge.ipynb", repo / "evals" / "support_judge.ipynb")
    result = hook("guard", "evals/support_judge.ipynb")
    assert result.exit_code == 1
    assert "evals/support_judge.ipynb: not part of a graduated pipeline" in result.output
    assert "graduate it: nbgraduate convert evals/support_judge.ipynb" in result.output


def test_guard_blocks_a_second_notebook_inside_a_pipeline_directory(repo: Path) -> None:
    shutil.copy(repo / NOTEBOOK, repo / PIPELINE / "scratch.ipynb")
    result = hook("guard", f"{PIPELINE}/scratch.ipynb", NOTEBOOK)
    assert result.exit_code == 1
    assert f"graduate it: nbgraduate convert {PIPELINE}/scratch.ipynb" in result.output
    assert f"{NOTEBOOK}:" not in result.output


def test_guard_ignores_notebooks_outside_the_eval_paths(repo: Path) -> None:
    (repo / "scratch").mkdir()
    shutil.copy(LEGACY / "support_judge.ipynb", repo / "scratch" / "support_judge.ipynb")
    result = hook("guard", "scratch/support_judge.ipynb")
    assert result.exit_code == 0
    assert result.output == ""


def test_guard_skips_excluded_scratch_space_inside_an_eval_path(repo: Path) -> None:
    (repo / "pyproject.toml").write_text(
        PYPROJECT + 'exclude = ["evals/scratch/"]\nbaseline = "nbgraduate-baseline.json"\n',
        encoding="utf-8",
    )
    (repo / "evals" / "scratch").mkdir()
    shutil.copy(LEGACY / "support_judge.ipynb", repo / "evals" / "scratch" / "idea.ipynb")
    result = hook("guard", "evals/scratch/idea.ipynb")
    assert result.exit_code == 0, result.output


def test_guard_without_eval_paths_has_nothing_to_guard(repo: Path) -> None:
    (repo / "pyproject.toml").write_text("[tool.nbgraduate]\n", encoding="utf-8")
    shutil.copy(LEGACY / "support_judge.ipynb", repo / "evals" / "support_judge.ipynb")
    result = hook("guard", "evals/support_judge.ipynb")
    assert result.exit_code == 0
    assert "no `eval-paths` in [tool.nbgraduate]; nothing to guard" in result.output


def _install_magic(notebook: nbformat.NotebookNode) -> None:
    notebook.cells.insert(2, new_code_cell("%pip install openai==1.51.0"))


def _saved_outputs(notebook: nbformat.NotebookNode) -> None:
    cell = cell_containing(notebook, "examples = list(")
    cell.execution_count = 4
    cell.outputs = [new_output("stream", name="stdout", text="24 examples\n")]


def _reassigned_parameter(notebook: nbformat.NotebookNode) -> None:
    notebook.cells.insert(3, new_code_cell("temperature = 0.7"))


def _model_literal(notebook: nbformat.NotebookNode) -> None:
    cell = cell_containing(notebook, "def grade(")
    cell.source = cell.source.replace('model=CONFIG["judge_model"]', 'model="gpt-4o-2024-08-06"')


def _temperature_literal(notebook: nbformat.NotebookNode) -> None:
    cell = cell_containing(notebook, "def grade(")
    cell.source = cell.source.replace("temperature=temperature", "temperature=0.2")


def _dataset_literal(notebook: nbformat.NotebookNode) -> None:
    cell = cell_containing(notebook, "examples = list(")
    cell.source = cell.source.replace('open(CONFIG["dataset"]', 'open("../data/rag_grounding.csv"')


def _untagged_parameters(notebook: nbformat.NotebookNode) -> None:
    for cell in notebook.cells:
        cell.metadata.pop("tags", None)


def _new_lint_finding(notebook: nbformat.NotebookNode) -> None:
    notebook.cells.append(new_code_cell("import random\nrandom.shuffle(examples)"))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            _install_magic,
            [
                "cell 3, line 1: install command `%pip install openai==1.51.0`",
                "requirements.txt pins its dependencies",
            ],
            id="install-magic",
        ),
        pytest.param(
            _saved_outputs,
            [
                "cell 5: saved outputs or execution counts",
                f"clear them: jupyter nbconvert --clear-output --inplace {NOTEBOOK}",
            ],
            id="saved-outputs",
        ),
        pytest.param(
            _reassigned_parameter,
            [
                "cell 4, line 1: parameter 'temperature' from the parameters cell (cell 2) is"
                " reassigned here",
                "(NBG702); delete the reassignment",
            ],
            id="reassigned-parameter",
        ),
        pytest.param(
            _model_literal,
            [
                "cell 6, line 3: judge model id 'gpt-4o-2024-08-06' is a literal outside"
                " the parameters cell; declare it in the parameters cell",
            ],
            id="model-id-literal",
        ),
        pytest.param(
            _temperature_literal,
            ["temperature 0.2 is a literal outside the parameters cell"],
            id="temperature-literal",
        ),
        pytest.param(
            _dataset_literal,
            ["dataset '../data/rag_grounding.csv' is a literal outside the parameters cell"],
            id="dataset-path-literal",
        ),
        pytest.param(
            _untagged_parameters,
            ["no cell is tagged `parameters`", "tag the cell that declares the parameters"],
            id="untagged-parameters",
        ),
        pytest.param(
            _new_lint_finding,
            ["NBG301", "(new since the baseline; see `nbgraduate rule NBG301`)"],
            id="lint-finding-beyond-baseline",
        ),
    ],
)
def test_guard_blocks_a_pipeline_notebook_that_regains_an_ad_hoc_pattern(
    repo: Path, change: Callable[[nbformat.NotebookNode], None], expected: list[str]
) -> None:
    edit_notebook(repo / NOTEBOOK, change)
    result = hook("guard", NOTEBOOK)
    assert result.exit_code == 1, result.output
    assert f"{NOTEBOOK}: graduated pipeline notebook regained ad-hoc patterns" in result.output
    for text in expected:
        assert text in result.output
    assert "NBG601" not in result.output  # the baselined finding stays accepted
    assert result.output.endswith("nbgraduate-guard: blocked 1 notebook under the eval paths\n")


def test_guard_names_every_regression_once(repo: Path) -> None:
    def regress(notebook: nbformat.NotebookNode) -> None:
        notebook.cells.insert(2, new_code_cell('%pip install openai\njudge_model = "gpt-4o"'))

    edit_notebook(repo / NOTEBOOK, regress)
    output = hook("guard", NOTEBOOK).output
    problems = [line for line in output.splitlines() if line.startswith("  - ")]
    assert [p.split(":")[0] for p in problems] == ["  - cell 3, line 1"] + [
        "  - cell 3, line 2"
    ] * 3
    # The unpinned install is one problem (install command), not also an NBG401 finding.
    assert "NBG401" not in output
    assert "NBG702" in problems[1] and "literal" in problems[2] and "NBG101" in problems[3]


def test_guard_passes_a_parameter_default_changed_in_the_parameters_cell(repo: Path) -> None:
    def change_default(notebook: nbformat.NotebookNode) -> None:
        cell = cell_containing(notebook, "max_tokens: int = 4")
        cell.source = cell.source.replace("max_tokens: int = 4", "max_tokens: int = 8")

    edit_notebook(repo / NOTEBOOK, change_default)
    result = hook("guard", NOTEBOOK)
    assert result.exit_code == 0, result.output


# --- the lifecycle: the source a pipeline came from, legacy/, the pipeline's own baseline --

SOURCE = "evals/rag_grounding_eval.ipynb"


def test_guard_passes_the_unchanged_source_a_pipeline_was_graduated_from(repo: Path) -> None:
    shutil.copy(LEGACY / "rag_grounding_eval.ipynb", repo / SOURCE)
    result = hook("guard", SOURCE)
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"note: {SOURCE}: the legacy notebook {PIPELINE}/ was graduated from; archive or delete"
        " it once the pipeline is reviewed\n"
    )


def test_guard_passes_the_source_with_its_outputs_cleared(repo: Path) -> None:
    shutil.copy(LEGACY / "rag_grounding_eval.ipynb", repo / SOURCE)

    def clear(notebook: nbformat.NotebookNode) -> None:
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None

    edit_notebook(repo / SOURCE, clear)
    assert hook("guard", SOURCE).exit_code == 0


def test_guard_blocks_the_source_once_it_changed_after_graduation(repo: Path) -> None:
    shutil.copy(LEGACY / "rag_grounding_eval.ipynb", repo / SOURCE)
    edit_notebook(repo / SOURCE, lambda nb: nb.cells.append(new_code_cell("print('more')")))
    result = hook("guard", SOURCE)
    assert result.exit_code == 1
    assert f"{SOURCE}: changed since it was graduated into {PIPELINE}/" in result.output
    assert f"nbgraduate lock {PIPELINE}" in result.output
    assert f"nbgraduate convert {SOURCE} --force" in result.output


def test_guard_finds_a_pipeline_converted_elsewhere_under_the_eval_path(repo: Path) -> None:
    source = repo / "evals" / "judge_v2.ipynb"
    shutil.copy(LEGACY / "rag_grounding_eval.ipynb", source)
    result = runner.invoke(app, ["convert", str(source), "-o", "evals/judges/v2"])
    assert result.exit_code in (0, 1), result.output
    assert hook("guard", "evals/judge_v2.ipynb").exit_code == 0


def test_guard_and_lint_skip_a_pipelines_legacy_folder(repo: Path) -> None:
    legacy = repo / PIPELINE / "legacy"
    legacy.mkdir()
    shutil.copy(LEGACY / "support_judge.ipynb", legacy / "support_judge.ipynb")
    staged = f"{PIPELINE}/legacy/support_judge.ipynb"
    assert hook("guard", staged).output == ""
    linted = runner.invoke(app, ["lint", "--force-exclude", staged])
    assert linted.exit_code == 0, linted.output
    # Outside a pipeline directory a folder named legacy/ is nothing special.
    (repo / "evals" / "legacy").mkdir()
    shutil.copy(LEGACY / "support_judge.ipynb", repo / "evals" / "legacy" / "x.ipynb")
    assert hook("guard", "evals/legacy/x.ipynb").exit_code == 1


def test_guard_accepts_what_the_pipeline_had_when_last_locked_and_blocks_what_is_new(
    repo: Path,
) -> None:
    edit_notebook(repo / NOTEBOOK, _temperature_literal)
    assert hook("guard", NOTEBOOK).exit_code == 1
    relock(repo)  # the human accepts the pipeline as it is now
    assert hook("guard", NOTEBOOK).exit_code == 0
    edit_notebook(repo / NOTEBOOK, _model_literal)
    result = hook("guard", NOTEBOOK)
    assert result.exit_code == 1
    problems = [line for line in result.output.splitlines() if line.startswith("  - ")]
    assert len(problems) == 1 and "model id 'gpt-4o-2024-08-06'" in problems[0], problems
    assert "new since nbgraduate.baseline.json" in result.output


def test_guard_never_accepts_saved_outputs_even_after_locking(repo: Path) -> None:
    edit_notebook(repo / NOTEBOOK, _saved_outputs)
    relock(repo)
    result = hook("guard", NOTEBOOK)
    assert result.exit_code == 1
    assert "saved outputs or execution counts" in result.output


def test_guard_on_a_pipeline_without_its_own_baseline_says_how_to_record_one(
    repo: Path,
) -> None:
    (repo / PIPELINE / "nbgraduate.baseline.json").unlink()
    edit_notebook(repo / NOTEBOOK, _temperature_literal)
    result = hook("guard", NOTEBOOK)
    assert result.exit_code == 1
    assert f"`nbgraduate lock {PIPELINE}` records its current findings" in result.output


def test_guard_blocks_a_damaged_pipeline_baseline(repo: Path) -> None:
    (repo / PIPELINE / "nbgraduate.baseline.json").write_text("{", encoding="utf-8")
    result = hook("guard", NOTEBOOK)
    assert result.exit_code == 2
    assert "nbgraduate.baseline.json" in result.output


# --- the command line, parsed without typer ------------------------------------------------


def run_entry(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nbgraduate", "hook", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_hook_help_lists_both_hooks(tmp_path: Path) -> None:
    result = run_entry(tmp_path, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: nbgraduate hook [OPTIONS] COMMAND [ARGS]...")
    assert "  verify  " in result.stdout and "  guard   " in result.stdout
    verify_help = run_entry(tmp_path, "verify", "--help")
    assert verify_help.returncode == 0
    assert verify_help.stdout.startswith("Usage: nbgraduate hook verify [OPTIONS] [FILES]...")
    guard_help = run_entry(tmp_path, "guard", "--help")
    assert "--config PATH" in guard_help.stdout


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("nope",), "error: no such command 'nope' (commands: verify, guard)"),
        (("guard", "--config"), "error: argument --config: expected one argument"),
        (("verify", "--bogus"), "error: unrecognized arguments: --bogus"),
    ],
)
def test_hook_usage_errors_are_one_line_and_exit_2(
    tmp_path: Path, args: tuple[str, ...], error: str
) -> None:
    result = run_entry(tmp_path, *args)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == error
    assert result.stderr.startswith("Usage: nbgraduate hook")
    assert "Traceback" not in result.stderr
