"""The frozen calibration set of a pipeline: ``calibration/reference.jsonl`` and its declaration.

Layout inside a pipeline directory::

    calibration/calibration.toml    how to call and read the judge (the declaration)
    calibration/reference.jsonl     one example per line: id, input, reference verdict

``calibration.toml``::

    prompt = "prompts/judge_prompt.txt"   # the judge prompt template; one of the lock's prompts
    kind = "label"                        # "label" (categorical verdicts) or "score" (numbers)
    labels = ["pass", "fail"]             # optional, labels only: the allowed verdicts
    system = "prompts/system_prompt.txt"  # optional: a system message, also a locked prompt
    max_tokens = 64                       # optional: only when the lock pins no max_tokens
    judge = "gpt-4o-2024-08-06"           # optional: which judge, when the lock has several

    [parser]                              # exactly one of:
    regex = "Verdict: (\\w+)"             #   the first group (or the whole match) of a search
    json_field = "verdict"                #   a top-level field of the JSON object answered

Everything here is read and validated once; any problem is a one-line :class:`ConfigError`
naming the file (and line, for the reference set).
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from nbgraduate.core.atomic import write_text_atomic
from nbgraduate.core.errors import ConfigError
from nbgraduate.lock.digests import file_sha256
from nbgraduate.lock.layout import CALIBRATION_DIRNAME, calibration_dir

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = [
    "CALIBRATION_DIRNAME",
    "DECLARATION_FILENAME",
    "REFERENCE_FILENAME",
    "CalibrationDeclaration",
    "CalibrationSet",
    "ParserSpec",
    "ReferenceExample",
    "Verdict",
    "load_calibration_set",
    "read_declaration",
    "read_reference",
    "write_reference",
]

DECLARATION_FILENAME = "calibration.toml"
REFERENCE_FILENAME = "reference.jsonl"

#: A judge's verdict: a label, or a numeric score.
Verdict = str | float
Kind = Literal["label", "score"]

_DECLARATION_KEYS = frozenset(
    {"prompt", "kind", "labels", "system", "max_tokens", "judge", "parser"}
)
_PARSER_KEYS = frozenset({"regex", "json_field"})
_EXAMPLE_KEYS = ("id", "input", "reference")


@dataclass(frozen=True, slots=True)
class ParserSpec:
    """How a verdict is read from the judge's answer: a regex or a JSON field, never both."""

    regex: str | None = None
    json_field: str | None = None


@dataclass(frozen=True, slots=True)
class CalibrationDeclaration:
    """``calibration/calibration.toml``, validated."""

    prompt: str
    kind: Kind
    parser: ParserSpec
    labels: tuple[str, ...] | None = None
    system: str | None = None
    max_tokens: int | None = None
    judge: str | None = None

    def canonical_label(self, text: str) -> str | None:
        """The declared spelling of ``text`` (case and surrounding space ignored), or ``None``
        when labels are declared and ``text`` is not one of them. Without declared labels the
        stripped text itself is the label."""
        stripped = text.strip()
        if self.labels is None:
            return stripped or None
        folded = stripped.casefold()
        return next((label for label in self.labels if label.casefold() == folded), None)


@dataclass(frozen=True, slots=True)
class ReferenceExample:
    """One line of ``reference.jsonl``: the judge input and the verdict it should get."""

    id: str
    input: str | dict[str, str]
    reference: Verdict
    line: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class CalibrationSet:
    """The declaration, the examples in file order, and the reference file's digest."""

    declaration: CalibrationDeclaration
    examples: tuple[ReferenceExample, ...]
    reference_sha256: str

    def by_id(self) -> dict[str, ReferenceExample]:
        return {example.id: example for example in self.examples}


def load_calibration_set(pipeline_dir: Path) -> CalibrationSet:
    """Read and validate the declaration and the reference set of ``pipeline_dir``."""
    declaration = read_declaration(pipeline_dir)
    path = calibration_dir(pipeline_dir) / REFERENCE_FILENAME
    examples = read_reference(path, declaration)
    return CalibrationSet(declaration, tuple(examples), file_sha256(path))


# --- the declaration ----------------------------------------------------------------------


def read_declaration(pipeline_dir: Path) -> CalibrationDeclaration:
    """``calibration/calibration.toml`` as a :class:`CalibrationDeclaration`."""
    path = calibration_dir(pipeline_dir) / DECLARATION_FILENAME
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(
            path, "no calibration declaration; see `nbgraduate calibrate --help`"
        ) from None
    except OSError as error:
        raise ConfigError(path, f"cannot read: {error.strerror or error}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(path, f"not valid TOML: {error}") from None
    return parse_declaration(data, path)


def parse_declaration(data: Mapping[str, Any], path: str | Path) -> CalibrationDeclaration:
    """Validate the TOML table of a declaration; ``path`` only names it in errors."""
    unknown = sorted(set(data) - _DECLARATION_KEYS)
    if unknown:
        allowed = ", ".join(sorted(_DECLARATION_KEYS))
        raise ConfigError(path, f"unknown key {unknown[0]!r} (allowed: {allowed})")
    prompt = _prompt_path(data, "prompt", path, required=True)
    assert prompt is not None
    kind = data.get("kind")
    if kind not in ("label", "score"):
        raise ConfigError(path, f'kind must be "label" or "score", got {kind!r}')
    labels = _labels(data.get("labels"), kind, path)
    max_tokens = data.get("max_tokens")
    if max_tokens is not None and (
        not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1
    ):
        raise ConfigError(path, f"max_tokens must be a positive integer, got {max_tokens!r}")
    judge = data.get("judge")
    if judge is not None and (not isinstance(judge, str) or not judge.strip()):
        raise ConfigError(path, f"judge must be a model id string, got {judge!r}")
    return CalibrationDeclaration(
        prompt=prompt,
        kind=kind,
        parser=_parser(data.get("parser"), path),
        labels=labels,
        system=_prompt_path(data, "system", path, required=False),
        max_tokens=max_tokens,
        judge=judge,
    )


def _prompt_path(
    data: Mapping[str, Any], key: str, path: str | Path, *, required: bool
) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(
            path, f'{key} must name a prompt file such as "prompts/judge.txt", got {value!r}'
        )
    normalised = value.strip().replace("\\", "/")
    while normalised.startswith("./"):
        normalised = normalised[2:]
    if normalised.startswith("/") or ".." in normalised.split("/"):
        raise ConfigError(path, f"{key} must be a path inside the pipeline directory: {value!r}")
    return normalised


def _labels(value: object, kind: str, path: str | Path) -> tuple[str, ...] | None:
    if value is None:
        return None
    if kind != "label":
        raise ConfigError(path, 'labels only apply to kind = "label"')
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(label, str) and label.strip() for label in value)
    ):
        raise ConfigError(path, f"labels must be a non-empty list of strings, got {value!r}")
    labels = tuple(label.strip() for label in value)
    seen: set[str] = set()
    for label in labels:
        if label.casefold() in seen:
            raise ConfigError(path, f"label {label!r} is declared twice (labels ignore case)")
        seen.add(label.casefold())
    return labels


def _parser(value: object, path: str | Path) -> ParserSpec:
    if not isinstance(value, dict):
        raise ConfigError(path, 'missing [parser] table: give regex = "..." or json_field = "..."')
    unknown = sorted(set(value) - _PARSER_KEYS)
    if unknown:
        raise ConfigError(path, f"[parser]: unknown key {unknown[0]!r} (use regex or json_field)")
    regex, json_field = value.get("regex"), value.get("json_field")
    if (regex is None) == (json_field is None):
        raise ConfigError(path, "[parser] needs exactly one of regex and json_field")
    if regex is not None:
        if not isinstance(regex, str) or not regex:
            raise ConfigError(path, f"[parser] regex must be a non-empty string, got {regex!r}")
        try:
            re.compile(regex)
        except re.error as error:
            raise ConfigError(path, f"[parser] regex does not compile: {error}") from None
    if json_field is not None and (not isinstance(json_field, str) or not json_field.strip()):
        raise ConfigError(
            path, f"[parser] json_field must be a non-empty string, got {json_field!r}"
        )
    return ParserSpec(regex=regex, json_field=json_field.strip() if json_field else None)


# --- the reference set --------------------------------------------------------------------


def read_reference(path: Path, declaration: CalibrationDeclaration) -> list[ReferenceExample]:
    """The examples of ``reference.jsonl`` in file order; blank lines are skipped."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, "no reference set (one JSON object per line)") from None
    except UnicodeDecodeError:
        raise ConfigError(path, "not UTF-8 text") from None
    except OSError as error:
        raise ConfigError(path, f"cannot read: {error.strerror or error}") from None
    examples: list[ReferenceExample] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        example = _example(line, number, path, declaration)
        if example.id in seen:
            raise ConfigError(
                path, f"line {number}: id {example.id!r} already used on line {seen[example.id]}"
            )
        seen[example.id] = number
        examples.append(example)
    if not examples:
        raise ConfigError(path, "the reference set is empty")
    return examples


def _example(
    line: str, number: int, path: Path, declaration: CalibrationDeclaration
) -> ReferenceExample:
    where = f"line {number}"
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        raise ConfigError(path, f"{where}: not valid JSON ({error.msg})") from None
    if not isinstance(data, dict):
        raise ConfigError(path, f"{where}: expected a JSON object with id, input and reference")
    missing = [key for key in _EXAMPLE_KEYS if key not in data]
    if missing:
        raise ConfigError(path, f"{where}: missing {', '.join(missing)}")
    example_id = data["id"]
    if isinstance(example_id, bool) or not isinstance(example_id, (str, int)) or example_id == "":
        raise ConfigError(path, f"{where}: id must be a non-empty string or an integer")
    return ReferenceExample(
        id=str(example_id),
        input=_input(data["input"], where, path),
        reference=_reference_verdict(data["reference"], where, path, declaration),
        line=number,
    )


def _input(value: object, where: str, path: Path) -> str | dict[str, str]:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and value:
        # Non-string values (numbers, lists of passages) are inserted as JSON text.
        return {
            str(name): item if isinstance(item, str) else json.dumps(item, ensure_ascii=False)
            for name, item in value.items()
        }
    raise ConfigError(
        path, f"{where}: input must be a string or an object of prompt fields, got {value!r}"
    )


def _reference_verdict(
    value: object, where: str, path: Path, declaration: CalibrationDeclaration
) -> Verdict:
    if declaration.kind == "score":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(path, f"{where}: reference must be a number (kind = score)")
        if not math.isfinite(value):
            raise ConfigError(path, f"{where}: reference must be a finite number")
        return float(value)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(path, f"{where}: reference must be a label string (kind = label)")
    label = declaration.canonical_label(value)
    if label is None:
        allowed = ", ".join(declaration.labels or ())
        raise ConfigError(path, f"{where}: reference {value!r} is not a declared label ({allowed})")
    return label


def write_reference(path: Path, verdicts: Mapping[str, Verdict]) -> int:
    """Replace the reference verdict of every example in ``verdicts``; returns how many changed.

    Lines whose verdict does not change are kept byte for byte (so the diff shows only real
    changes); changed lines keep every other field and its order. The file is replaced
    atomically.
    """
    text = path.read_text(encoding="utf-8")
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines()
    changed = 0
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        data = json.loads(line)
        example_id = str(data["id"])
        if example_id not in verdicts:
            continue
        new_value = _json_verdict(verdicts[example_id])
        old_value = data["reference"]
        if old_value == new_value and type(old_value) is type(new_value):
            continue
        data["reference"] = new_value
        lines[index] = json.dumps(data, ensure_ascii=False)
        changed += 1
    write_text_atomic(path, newline.join(lines) + newline)
    return changed


def _json_verdict(verdict: Verdict) -> str | int | float:
    # 4.0 parsed from "4" is written back as 4, so an unchanged integer score stays unchanged.
    if isinstance(verdict, float) and verdict.is_integer():
        return int(verdict)
    return verdict
