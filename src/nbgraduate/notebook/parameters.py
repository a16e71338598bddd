"""The parameters cell: typed ``name: type = default  # help`` lines, read and written.

papermill's ``--help-notebook`` reads exactly this shape, and ``nbgraduate run`` casts ``-p``
values by the declared type, so a pipeline's parameters are documented and validated in one
place. papermill skips lines with more than one ``=``; we never write one.
"""

from __future__ import annotations

import ast
import io
import json
import math
import re
import tokenize
from dataclasses import dataclass
from typing import Any

from nbgraduate.core import regex_cache
from nbgraduate.core.errors import UsageError

PARAMETERS_TAG = "parameters"
#: Run-time parameters ``nbgraduate run --shards N`` injects into each task: which part of the
#: examples this task scores. They say how a run was split, not what it measures, so the lock
#: and the eval contract leave them out.
SHARD_PARAMETERS = ("shard_index", "shard_count")
PARAMETER_TYPES = ("str", "int", "float", "bool", "list", "dict")
# papermill's own split of a parameter comment: ``# type: int the help``.
_TYPE_COMMENT = regex_cache.compile(r"\s*type:\s*(?P<type>\S*)\s*(?P<help>.*)", re.DOTALL)
_HEADER = (
    "# Parameters: `nbgraduate run -p NAME=VALUE` (or papermill) injects values after this cell."
)


@dataclass(frozen=True, slots=True)
class Parameter:
    """One pipeline parameter."""

    name: str
    type: str
    default: Any
    help: str = ""

    def line(self) -> str:
        value = _literal(self.default)
        comment = self.help.replace("=", "-").replace("\n", " ").strip()
        text = f"{self.name}: {self.type} = {value}"
        return f"{text}  # {comment}" if comment else text


def type_of(value: object) -> str:
    """The declared type for a literal default."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, dict):
        return "dict"
    return "str"


def render_parameters_cell(parameters: list[Parameter]) -> str:
    return "\n".join([_HEADER, *(parameter.line() for parameter in parameters)])


def parse_parameters_cell(source: str) -> list[Parameter]:
    """Parameters declared in a parameters cell: annotated or plain literal assignments.

    A value that is not a literal (``x = compute()``) is not a parameter papermill can inject
    meaningfully, so it is skipped. Help text and declared types are read as papermill's
    ``--help-notebook`` shows them: the comment on the statement's last line is the help, a
    leading ``type: T`` in it declares the type, and an annotation (``x: int``, ``x: "int"``)
    wins over that. Comments are found by Python's own tokenizer, so a ``#`` inside a string
    (``"C:\\data\\"``, ``"#fragment"``) is never taken for one.
    """
    try:
        module = ast.parse(source)
        comments = _comments_by_line(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError, tokenize.TokenError):
        return []
    parameters = []
    for statement in module.body:
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            name, value_node = statement.target.id, statement.value
            declared = _annotation_name(statement.annotation)
        elif (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
        ):
            name, value_node, declared = statement.targets[0].id, statement.value, None
        else:
            continue
        if value_node is None:
            continue
        try:
            default = ast.literal_eval(value_node)
        except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError):
            continue
        type_comment, help_text = _help(comments.get(statement.end_lineno or statement.lineno))
        declared = declared or type_comment
        kind = declared if declared in PARAMETER_TYPES else type_of(default)
        parameters.append(Parameter(name, kind, default, help_text))
    return parameters


def _comments_by_line(source: str) -> dict[int, str]:
    """``line number -> comment text`` (after the ``#``), from the tokenizer."""
    comments = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = token.string[1:]
    return comments


def _annotation_name(annotation: ast.expr) -> str | None:
    if isinstance(annotation, ast.Name):
        return annotation.id
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        return annotation.value.strip()  # ``x: "int" = 1``, which papermill also reads
    return None


def _help(comment: str | None) -> tuple[str | None, str]:
    """``(type from a "type: T" comment, help)``, split the way papermill splits them."""
    if comment is None:
        return None, ""
    match = _TYPE_COMMENT.match(comment)
    if match is None:
        return None, comment.strip()
    return match.group("type") or None, match.group("help").strip()


def cast_value(parameter: Parameter, text: str) -> Any:
    """Cast a ``-p name=value`` string to the parameter's declared type, or raise UsageError."""
    from pydantic import TypeAdapter, ValidationError

    python_type: Any = {
        "str": str,
        "int": int,
        "float": float,
        "bool": bool,
        "list": list,
        "dict": dict,
    }[parameter.type]
    raw: Any = text
    if parameter.type in ("list", "dict"):
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as error:
            raise UsageError(
                f"parameter {parameter.name}: expected JSON for a {parameter.type}, "
                f"got {text!r} ({error.msg})"
            ) from None
    try:
        value = TypeAdapter(python_type).validate_python(raw, strict=False)
    except ValidationError as error:
        reason = error.errors()[0].get("msg", "invalid value")
        raise UsageError(
            f"parameter {parameter.name}: {text!r} is not a valid {parameter.type} ({reason})"
        ) from None
    if isinstance(value, float) and not math.isfinite(value):
        raise UsageError(f"parameter {parameter.name}: {text!r} is not a finite number")
    return value


def _literal(value: object) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)
