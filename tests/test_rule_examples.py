"""Every rule's documented bad examples must trigger it and its good examples must not.

Notebook rules' examples are notebook text; repository rules' examples are repository sketches
(``==> path <==`` files), written to a temporary directory and checked there.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nbgraduate.knowledge.model_policy import ModelPolicyConfig, policy_for
from nbgraduate.lint.config import clear_caches, load_settings
from nbgraduate.lint.linter import lint_notebook
from nbgraduate.lint.repository import lint_repository
from nbgraduate.lint.rules import ALL_CODES, ALL_RULES
from nbgraduate.lint.rules.base import Example, Rule, repository_sketch
from nbgraduate.notebook.reader import notebook_from_text


def _cases(kind: str, scope: str = "notebook") -> list[tuple[type[Rule], int, Example]]:
    return [
        pytest.param(rule, index, example, id=f"{rule.code}-{kind}-{index}")
        for rule in ALL_RULES
        if rule.scope == scope
        for index, example in enumerate(getattr(rule, kind))
    ]


def _codes(example: Example, rule: type[Rule]) -> list[str]:
    suffix = ".ipynb" if example.source.lstrip().startswith("{") else ".py"
    notebook = notebook_from_text(Path(f"example{suffix}"), example.source)
    findings = lint_notebook(notebook, {rule.code}, policy_for(ModelPolicyConfig()))
    return [finding.code for finding in findings]


@pytest.mark.parametrize(("rule", "index", "example"), _cases("bad"))
def test_bad_example_is_reported(rule: type[Rule], index: int, example: Example) -> None:
    assert rule.code in _codes(example, rule), example.source


@pytest.mark.parametrize(("rule", "index", "example"), _cases("good"))
def test_good_example_is_clean(rule: type[Rule], index: int, example: Example) -> None:
    assert _codes(example, rule) == [], example.source


def _repository_codes(example: Example, rule: type[Rule], root: Path) -> list[str]:
    for relative, content in repository_sketch(example.source).items():
        path = root / relative
        if relative.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    (root / ".git").mkdir()  # the sketch is a repository: CODEOWNERS patterns start here
    clear_caches()
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
