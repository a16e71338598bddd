"""Every rule's documented bad examples must trigger it and its good examples must not."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbgraduate.lint.linter import ModelPolicyConfig, lint_notebook, policy_for
from nbgraduate.notebook.reader import notebook_from_text
from nbgraduate.rules import ALL_RULES
from nbgraduate.rules.base import Example, Rule


def _cases(kind: str) -> list[tuple[type[Rule], int, Example]]:
    return [
        pytest.param(rule, index, example, id=f"{rule.code}-{kind}-{index}")
        for rule in ALL_RULES
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
