"""Build the git repositories the hook and pre-commit tests commit into (not a test module).

``add_graduated_pipeline`` graduates ``fixtures/legacy/rag_grounding_eval.ipynb`` (judge
pinned) into ``evals/rag_grounding_eval/``, reading ``evals/data/rag_grounding.csv``;
``accept_current_findings`` writes a baseline of today's findings (the pipeline's NBG601
gate) and configures it in ``[tool.nbgraduate]``, the way a team adopts nbgraduate.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from nbgraduate.graduate.convert import ConversionOptions, convert_notebook
from nbgraduate.lint.baseline import write_baseline
from nbgraduate.lint.runner import LintRequest, run_lint

LEGACY = Path(__file__).resolve().parents[1] / "fixtures" / "legacy"
PIPELINE = "evals/rag_grounding_eval"
NOTEBOOK = f"{PIPELINE}/rag_grounding_eval.ipynb"
PROMPT = f"{PIPELINE}/prompts/grounding_prompt.txt"
DATASET = "evals/data/rag_grounding.csv"
BASELINE = "nbgraduate-baseline.json"


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    completed = subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True, timeout=120, env=env
    )
    return completed.stdout


def init_git(repo: Path) -> None:
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "Eval Tester")
    git(repo, "config", "user.email", "evals@example.com")
    git(repo, "config", "commit.gpgsign", "false")


def add_graduated_pipeline(repo: Path) -> None:
    (repo / "evals" / "data").mkdir(parents=True, exist_ok=True)
    shutil.copy(LEGACY / "data" / "rag_grounding.csv", repo / DATASET)
    source = repo / "evals" / "rag_grounding_eval.ipynb"
    shutil.copy(LEGACY / "rag_grounding_eval.ipynb", source)
    convert_notebook(source, ConversionOptions(pins={"gpt-4o": "gpt-4o-2024-08-06"}))
    source.unlink()


def accept_current_findings(repo: Path) -> list[str]:
    """Write the baseline of ``nbgraduate lint`` on the repository and configure it; returns
    the codes it accepted."""
    report = run_lint(LintRequest(paths=[repo], config_file=repo / "pyproject.toml"))
    write_baseline(repo / BASELINE, report.diagnostics, repo)
    with (repo / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write(f'baseline = "{BASELINE}"\n')
    return sorted(d.code for d in report.diagnostics)
