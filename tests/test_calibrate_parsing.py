"""Tests of the verdict parsers a calibration declaration names."""

from __future__ import annotations

import math

import pytest

from nbgraduate.calibrate.parsing import make_parser, parse_score
from nbgraduate.calibrate.reference import CalibrationDeclaration, ParserSpec


def declaration(
    kind: str = "label", labels: tuple[str, ...] | None = ("pass", "fail"), **parser: str
) -> CalibrationDeclaration:
    return CalibrationDeclaration(
        prompt="prompts/judge.txt", kind=kind, parser=ParserSpec(**parser), labels=labels
    )


@pytest.mark.parametrize(
    ("answer", "verdict"),
    [
        ('{"verdict": "pass"}', "pass"),
        ('Sure!\n{"verdict": "FAIL", "reason": "wrong"}\nHope that helps.', "fail"),
        ('```json\n{"verdict": " Pass "}\n```', "pass"),
        ('{"verdict": "maybe"}', None),
        ('{"other": "pass"}', None),
        ('["pass"]', None),
        ("pass", None),
        ('{"verdict": true}', None),
    ],
)
def test_json_field_parser(answer: str, verdict: str | None) -> None:
    assert make_parser(declaration(json_field="verdict"))(answer) == verdict


def test_regex_parser_takes_the_first_group_or_the_whole_match() -> None:
    grouped = make_parser(declaration(regex=r"Verdict:\s*(\w+)"))
    assert grouped("Reasoning...\nVerdict: Fail") == "fail"
    assert grouped("no verdict here") is None
    whole = make_parser(declaration(regex=r"(?i)\bpass\b|\bfail\b"))
    assert whole("It is a FAIL.") == "fail"


def test_labels_without_a_declared_list_are_taken_as_written() -> None:
    parse = make_parser(declaration(labels=None, json_field="verdict"))
    assert parse('{"verdict": " Partially correct "}') == "Partially correct"
    assert parse('{"verdict": ""}') is None


def test_score_parser() -> None:
    parse = make_parser(declaration(kind="score", labels=None, regex=r"Score: (\S+)"))
    assert parse("Score: 4") == 4.0
    assert parse("Score: 3.5") == 3.5
    assert parse("Score: four") is None
    assert parse("Score: nan") is None
    json_scores = make_parser(declaration(kind="score", labels=None, json_field="score"))
    assert json_scores('{"score": 2}') == 2.0
    assert json_scores('{"score": "5"}') == 5.0
    assert json_scores('{"score": false}') is None


@pytest.mark.parametrize(
    ("raw", "value"),
    [(3, 3.0), (" 2.5 ", 2.5), ("inf", None), (True, None), ([1], None), (math.nan, None)],
)
def test_parse_score(raw: object, value: float | None) -> None:
    assert parse_score(raw) == value
