"""Find every model or judge id the notebook uses, resolved to where it is defined."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Literal

from nbgraduate.analysis import catalog
from nbgraduate.analysis.facts import CallSite
from nbgraduate.analysis.values import ResolvedValue, ValueResolver

ModelRole = Literal["judge", "candidate"]

#: Names of variables, keywords and dict keys that hold a model id (``JUDGE_MODEL``, ``llm``).
MODEL_NAME_PATTERN = re.compile(
    r"(?i)^(?:[a-z0-9]+_)*(?:model|judge|grader|llm|engine|evaluator|critic)(?:_?(?:id|name))?$"
)
_JUDGE_WORDS = re.compile(r"(?i)judge|grader|evaluator|critic|scorer|rater")
_HEX_SHA = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True, slots=True)
class ModelReference:
    """A model id as used: its resolved value, its role, and the call that uses it (if any)."""

    value: ResolvedValue
    role: ModelRole
    call: CallSite | None
    revision: str | None

    @property
    def model_id(self) -> str | None:
        return self.value.value if isinstance(self.value.value, str) else None


def find_model_references(values: ValueResolver) -> list[ModelReference]:
    """All model ids, each once at its defining node (calls first, then named constants)."""
    references: list[ModelReference] = []
    seen: set[int] = set()
    for call in values.facts.calls:
        for keyword_name, expression in _model_arguments(call):
            if _is_dataset_download(call, values):
                continue
            role = _role(call, keyword_name, expression)
            revision = _revision(call, values)
            for value in values.resolve(expression, call.scope):
                if value.source == "literal" and not isinstance(value.value, str):
                    continue
                if id(value.node) in seen:
                    continue
                seen.add(id(value.node))
                references.append(ModelReference(value, role, call, revision))
    for constant in values.facts.strings:
        if id(constant.node) in seen or constant.context is None:
            continue
        if not MODEL_NAME_PATTERN.match(constant.context):
            continue
        seen.add(id(constant.node))
        role: ModelRole = "judge" if _JUDGE_WORDS.search(constant.context) else "candidate"
        references.append(
            ModelReference(ResolvedValue(constant.node.value, constant.node), role, None, None)
        )
    return references


def _model_arguments(call: CallSite) -> list[tuple[str | None, object]]:
    arguments: list[tuple[str | None, object]] = [
        (name, expression)
        for name, expression in call.keywords.items()
        if name in catalog.MODEL_KEYWORDS
    ]
    if arguments or not call.node.args:
        return arguments
    method = call.method
    if (
        method in catalog.MODEL_FIRST_ARGUMENT
        or call.written_name in catalog.MODEL_FIRST_ARGUMENT
        or call.qualified_name in catalog.MODEL_FIRST_ARGUMENT
    ):
        if method in ("completion", "acompletion") and not call.qualified_name.startswith(
            "litellm"
        ):
            return arguments
        if method == "get_model" and "inspect_ai" not in call.qualified_name:
            return arguments
        arguments.append((None, call.node.args[0]))
    return arguments


def _is_dataset_download(call: CallSite, values: ValueResolver) -> bool:
    repo_type = call.keywords.get("repo_type")
    if repo_type is None:
        return False
    return any(v.value == "dataset" for v in values.resolve(repo_type, call.scope))


def _role(call: CallSite, keyword_name: str | None, expression: object) -> ModelRole:
    if call.method in catalog.JUDGE_CALLS or call.written_name in catalog.JUDGE_CALLS:
        return "judge"
    if keyword_name and _JUDGE_WORDS.search(keyword_name):
        return "judge"
    name = getattr(expression, "id", None) or getattr(expression, "attr", None)
    if isinstance(expression, ast.Subscript) and isinstance(expression.slice, ast.Constant):
        name = expression.slice.value  # ``CONFIG["judge_model"]``
    if isinstance(name, str) and _JUDGE_WORDS.search(name):
        return "judge"
    # ``def judge(...): client.chat.completions.create(model="gpt-4o", ...)``
    function_name = getattr(call.scope, "name", None)
    if isinstance(function_name, str) and _JUDGE_WORDS.search(function_name):
        return "judge"
    return "candidate"


def _revision(call: CallSite, values: ValueResolver) -> str | None:
    expression = call.keywords.get("revision") or call.keywords.get("code_revision")
    for value in values.strings(expression, call.scope):
        return str(value.value)
    return None


def is_commit_sha(text: str | None) -> bool:
    return bool(text) and bool(_HEX_SHA.match(text or ""))
