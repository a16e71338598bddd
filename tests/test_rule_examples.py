"""Every rule's documented bad examples must trigger it and its good examples must not.

Notebook rules' examples are notebook text; repository rules' examples are repository sketches
(``==> path <==`` files), written to a temporary directory and checked there.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from nbgraduate.knowledge.model_policy import ModelPolicyConfig, policy_for
from nbgraduate.lint.config import load_settings
from nbgraduate.lint.linter import lint_notebook
from nbgraduate.lint.repository import lint_repository
from nbgraduate.lint.rules import ALL_CODES, ALL_RULES
from nbgraduate.lint.rules.base import (
    EXAMPLE_NOTEBOOK,
    Example,
    Rule,
    example_files,
    repository_sketch,
)
from nbgraduate.lint.runner import LintRequest, run_lint
from nbgraduate.notebook.reader import notebook_from_text


def _cases(kind: str, scope: str = "notebook") -> list[tuple[type[Rule], int, Example]]:
    return [
        pytest.param(rule, index, example, id=f"{rule.code}-{kind}-{index}")
        for rule in ALL_RULES
        if rule.scope == scope
        for index, example in enumerate(getattr(rule, kind))
    ]


def _codes(example: Example, rule: type[Rule], root: Path) -> list[str]:
    if example.files:
        return _codes_in_repository(example, rule, root)
    suffix = ".ipynb" if example.source.lstrip().startswith("{") else ".py"
    notebook = notebook_from_text(Path(f"example{suffix}"), example.source)
    findings = lint_notebook(notebook, {rule.code}, policy_for(ModelPolicyConfig()))
    return [finding.code for finding in findings]


def _git(root: Path, *arguments: str) -> None:
    subprocess.run(["git", *arguments], cwd=root, check=True, capture_output=True, timeout=60)


def _codes_in_repository(example: Example, rule: type[Rule], root: Path) -> list[str]:
    """Build the example's files for real (a git repository when a file has a git state),
    write the notebook beside them, and lint it as ``nbgraduate lint`` does."""
    files = example_files(example.files)
    states = {path: state for path, _, state in files}
    uses_git = any(states.values())
    for path, content, _ in files:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(content, encoding="utf-8")
    if uses_git:
        if shutil.which("git") is None:
            pytest.skip("this example needs git")
        _git(root, "init", "-q", "-b", "main")
        _git(root, "config", "user.email", "examples@example.com")
        _git(root, "config", "user.name", "Rule examples")
        ignored = [path for path, state in states.items() if state == "ignored"]
        (root / ".gitignore").write_text("".join(f"/{p}\n" for p in ignored), encoding="utf-8")
        committed = [p for p, s in states.items() if s in ("committed", "modified")]
        _git(root, "add", ".gitignore", *committed)
        _git(root, "commit", "-q", "--no-verify", "-m", "example data")
        for path, state in states.items():
            if state == "modified":
                with (root / path).open("a", encoding="utf-8") as handle:
                    handle.write("changed after the commit\n")
            elif state == "staged":
                _git(root, "add", path)
    suffix = ".ipynb" if example.source.lstrip().startswith("{") else ".py"
    notebook = (root / EXAMPLE_NOTEBOOK).with_suffix(suffix)
    notebook.write_text(example.source, encoding="utf-8")
    report = run_lint(LintRequest(paths=[notebook], select=[rule.code], jobs=1))
    assert not report.errors, report.errors
    return [diagnostic.code for diagnostic in report.diagnostics]


@pytest.mark.parametrize(("rule", "index", "example"), _cases("bad"))
def test_bad_example_is_reported(
    rule: type[Rule], index: int, example: Example, tmp_path: Path
) -> None:
    assert rule.code in _codes(example, rule, tmp_path), example.source


@pytest.mark.parametrize(("rule", "index", "example"), _cases("good"))
def test_good_example_is_clean(
    rule: type[Rule], index: int, example: Example, tmp_path: Path
) -> None:
    assert _codes(example, rule, tmp_path) == [], example.source


def _repository_codes(example: Example, rule: type[Rule], root: Path) -> list[str]:
    for relative, content in repository_sketch(example.source).items():
        path = root / relative
        if relative.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    (root / ".git").mkdir()  # the sketch is a repository: CODEOWNERS patterns start here
    settings = load_settings(root, known_codes=ALL_CODES)
    return [d.code for d in lint_repository(settings, [root], codes={rule.code})]


@pytest.mark.parametrize(("rule", "index", "example"), _cases("bad", "repository"))
def test_repository_bad_example_is_reported(
    rule: type[Rule], index: int, example: Example, tmp_path: Path
) -> None:
    assert rule.code in _repository_codes(example, rule, tmp_path), example.source


@pytest.mark.parametrize(("rule", "index", "example"), _cases("good", "repository"))
def test_repository_good_example_is_clean(
    rule: type[Rule], index: int, example: Example, tmp_path: Path
) -> None:
    assert _repository_codes(example, rule, tmp_path) == [], example.source


def test_every_rule_has_a_known_scope() -> None:
    assert {rule.scope for rule in ALL_RULES} <= {"notebook", "repository"}
    assert _cases("bad", "repository"), "the repository-rule examples must be collected"


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.code)
def test_rule_is_fully_documented(rule: type[Rule]) -> None:
    assert rule.bad and rule.good, "a rule without examples is untested"
    assert rule.code.startswith("NBG") and len(rule.code) == 6
    assert rule.name == rule.name.lower() and " " not in rule.name
    assert rule.what_it_does() and rule.rationale.strip() and rule.summary
    documentation = rule.documentation()
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead"):
        assert heading in documentation


def test_codes_and_names_are_unique() -> None:
    assert len({rule.code for rule in ALL_RULES}) == len(ALL_RULES)
    assert len({rule.name for rule in ALL_RULES}) == len(ALL_RULES)
