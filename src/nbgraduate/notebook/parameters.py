"""The parameters cell: typed ``name: type = default  # help`` lines, read and written.

papermill's ``--help-notebook`` reads exactly this shape, and ``nbgraduate run`` casts ``-p``
values by the declared type, so a pipeline's parameters are documented and validated in one
place. papermill skips lines with more than one ``=``; we never write one.
"""

from __future__ import annotations

import ast
import json
import math
from dataclasses import dataclass
from typing import Any

from nbgraduate.core.errors import UsageError

PARAMETERS_TAG = "parameters"
PARAMETER_TYPES = ("str", "int", "float", "bool", "list", "dict")
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
    meaningfully, so it is skipped.
    """
    try:
        module = ast.parse(source)
    except SyntaxError:
        return []
    lines = source.split("\n")
    parameters = []
    for statement in module.body:
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            name, value_node = statement.target.id, statement.value
            declared = (
                statement.annotation.id if isinstance(statement.annotation, ast.Name) else None
            )
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
        except (ValueError, SyntaxError, TypeError):
            continue
        kind = declared if declared in PARAMETER_TYPES else type_of(default)
        line = lines[(statement.end_lineno or statement.lineno) - 1]
        comment_at = _code_free(line).find("#")
        help_text = line[comment_at + 1 :].strip() if comment_at >= 0 else ""
        parameters.append(Parameter(name, kind, default, help_text))
    return parameters


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


def _code_free(line: str) -> str:
    """The line with string literals blanked, so a ``#`` inside a string is not a comment."""
    try:
        value_start = line.index("=")
    except ValueError:
        return line
    result, quote = list(line), None
    for index in range(value_start, len(line)):
        char = line[index]
        if quote is None and char in "\"'":
            quote = char
            result[index] = " "
        elif quote is not None:
            if char == quote and line[index - 1] != "\\":
                quote = None
            result[index] = " "
    return "".join(result)
