"""Tests of the calibration set, its declaration, and how examples fill the judge prompt."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from nbgraduate.calibrate.judge import PinnedJudge, fill_template, judge_messages, placeholders
from nbgraduate.calibrate.reference import (
    CalibrationDeclaration,
    ParserSpec,
    ReferenceExample,
    parse_declaration,
    read_reference,
    write_reference,
)
from nbgraduate.core.errors import ConfigError

LABELS = CalibrationDeclaration(
    prompt="prompts/judge.txt",
    kind="label",
    parser=ParserSpec(json_field="verdict"),
    labels=("pass", "fail"),
)
SCORES = CalibrationDeclaration(
    prompt="prompts/judge.txt", kind="score", parser=ParserSpec(regex=r"(\d+)")
)


def test_a_full_declaration() -> None:
    parsed = parse_declaration(
        {
            "prompt": "./prompts/judge.txt",
            "kind": "label",
            "labels": ["Pass", "Fail"],
            "system": "prompts/system.txt",
            "max_tokens": 16,
            "judge": "gpt-4o-2024-08-06",
            "parser": {"regex": "Verdict: (\\w+)"},
        },
        "calibration.toml",
    )
    assert parsed.prompt == "prompts/judge.txt"
    assert parsed.labels == ("Pass", "Fail")
    assert parsed.canonical_label(" pass ") == "Pass"
    assert parsed.canonical_label("maybe") is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "label", "parser": {"regex": "x"}}, "prompt must name a prompt file"),
        (
            {"prompt": "../elsewhere.txt", "kind": "label", "parser": {"regex": "x"}},
            "must be a path inside the pipeline directory",
        ),
        (
            {"prompt": "p.txt", "kind": "score", "labels": ["a"], "parser": {"regex": "x"}},
            'labels only apply to kind = "label"',
        ),
        (
            {"prompt": "p.txt", "kind": "label", "labels": ["a", "A"], "parser": {"regex": "x"}},
            "label 'A' is declared twice",
        ),
        (
            {"prompt": "p.txt", "kind": "label", "max_tokens": 0, "parser": {"regex": "x"}},
            "max_tokens must be a positive integer",
        ),
        (
            {"prompt": "p.txt", "kind": "label", "parser": {"regex": "x", "flags": "i"}},
            "[parser]: unknown key 'flags'",
        ),
    ],
)
def test_declaration_errors(data: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_declaration(data, "calibration.toml")


def write_lines(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows) + "\n", encoding="utf-8")
    return path


def test_reference_examples_are_validated_per_line(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "reference.jsonl",
        [
            {"id": 1, "input": "plain text", "reference": "PASS"},
            {"id": "two", "input": {"question": "q", "passages": ["a", "b"]}, "reference": "fail"},
        ],
    )
    first, second = read_reference(path, LABELS)
    assert (first.id, first.input, first.reference) == ("1", "plain text", "pass")
    assert second.input == {"question": "q", "passages": '["a", "b"]'}


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"id": "a", "input": "x"}, "line 1: missing reference"),
        ({"id": "a", "input": "x", "reference": "maybe"}, "not a declared label"),
        ({"id": "", "input": "x", "reference": "pass"}, "id must be a non-empty string"),
        ({"id": "a", "input": 3, "reference": "pass"}, "input must be a string or an object"),
        ([1, 2], "expected a JSON object"),
    ],
)
def test_reference_errors(tmp_path: Path, row: object, message: str) -> None:
    path = write_lines(tmp_path / "reference.jsonl", [row])
    with pytest.raises(ConfigError, match=message):
        read_reference(path, LABELS)


def test_score_references_must_be_numbers(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "reference.jsonl", [{"id": "a", "input": "x", "reference": "4"}])
    with pytest.raises(ConfigError, match="reference must be a number"):
        read_reference(path, SCORES)


def test_an_empty_reference_set_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "reference.jsonl"
    path.write_text("\n\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="the reference set is empty"):
        read_reference(path, LABELS)


def test_write_reference_changes_only_what_changed(tmp_path: Path) -> None:
    path = tmp_path / "reference.jsonl"
    original = (
        '{"id": "a", "note": "kept", "input": "x", "reference": 4}\n'
        '{"id":"b","input":"y","reference":2}\n'
    )
    path.write_text(original, encoding="utf-8")
    assert write_reference(path, {"a": 5.0, "b": 2.0}) == 1
    lines = path.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0]) == {"id": "a", "note": "kept", "input": "x", "reference": 5}
    assert list(json.loads(lines[0])) == ["id", "note", "input", "reference"]
    assert lines[1] == '{"id":"b","input":"y","reference":2}'


# --- filling the judge prompt -------------------------------------------------------------


def judge(template: str, system: str | None = None) -> PinnedJudge:
    return PinnedJudge(
        model_id="m", prompt_path="prompts/judge.txt", prompt_template=template, system_text=system
    )


def example(value: str | dict[str, str]) -> ReferenceExample:
    return ReferenceExample(id="a", input=value, reference="pass")


def test_placeholders_follow_str_format_and_leave_other_braces() -> None:
    template = 'Q: {question} A: {answer} again {question} {{literal}} {"json": 1} {0}'
    assert placeholders(template) == ["question", "answer"]
    filled = fill_template(template, {"question": "why?", "answer": "{because}"})
    assert filled == 'Q: why? A: {because} again why? {literal} {"json": 1} {0}'


def test_a_string_input_fills_the_only_placeholder_or_follows_the_instruction() -> None:
    (message,) = judge_messages(judge("Grade: {text}"), example("hello"))
    assert message == {"role": "user", "content": "Grade: hello"}
    system, user = judge_messages(judge("Grade this answer.\n", system="Be fair."), example("hi"))
    assert system == {"role": "system", "content": "Be fair."}
    assert user["content"] == "Grade this answer.\n\nhi"


def test_inputs_that_do_not_fit_the_template_are_errors() -> None:
    with pytest.raises(ValueError, match="placeholders question, answer"):
        judge_messages(judge("{question} {answer}"), example("text"))
    with pytest.raises(ValueError, match="no field for placeholder"):
        judge_messages(judge("{question} {answer}"), example({"question": "q"}))
    with pytest.raises(ValueError, match=r"has no \{placeholders\}"):
        judge_messages(judge("Grade."), example({"question": "q"}))
