"""The rule codes read from file names are the registry's codes."""

from __future__ import annotations

from nbgraduate.lint.rule_codes import known_rule_codes
from nbgraduate.lint.rules import ALL_CODES, ALL_RULES


def test_file_names_give_every_registered_code() -> None:
    assert known_rule_codes() == ALL_CODES
    assert len(ALL_RULES) == len(known_rule_codes())
