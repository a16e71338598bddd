"""Follow a value through the notebook's own functions and classes to the literals that set it.

``def ask(temperature=0.7): client.chat.completions.create(temperature=temperature)`` sets the
temperature where ``ask`` is defined or called, not in the request; ``self.temperature`` in a
method comes from the class body or from ``__init__`` and the calls that construct the class.
The value resolver stops at a parameter; this module goes on to every call site.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from nbgraduate.analysis.facts import CallSite, Scope
from nbgraduate.analysis.values import ResolvedValue, ValueResolver

_MAX_DEPTH = 4

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


class CallFlow:
    """Where the values reaching an expression are written: literals, defaults, call sites."""

    def __init__(self, values: ValueResolver) -> None:
        self.values = values
        self.facts = values.facts
        self._classes: dict[int, ast.ClassDef] | None = None
        #: Calls by written name and by method, gathered on the first question: asked once per
        #: parameter, a scan of every call made a notebook of many helpers cost calls squared.
        self._by_written: dict[str, list[CallSite]] | None = None
        self._by_method: dict[str, list[CallSite]] = {}

    def sources(self, expression: ast.expr | None, scope: Scope) -> list[ResolvedValue]:
        """Every value ``expression`` can take, through parameters and ``self`` attributes."""
        return self._sources(expression, scope, 0)

    def _sources(
        self, expression: ast.expr | None, scope: Scope, depth: int
    ) -> list[ResolvedValue]:
        if expression is None or depth > _MAX_DEPTH:
            return []
        found = list(self.values.resolve(expression, scope))
        function = scope if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)) else None
        if isinstance(expression, ast.Name) and function is not None:
            if _parameter_index(function, expression.id) is not None:
                found += self._arguments(function, expression.id, depth)
        elif (
            isinstance(expression, ast.Attribute)
            and isinstance(expression.value, ast.Name)
            and expression.value.id == "self"
            and function is not None
        ):
            found += self._attribute(function, expression.attr, depth)
        return _unique(found)

    # -- parameters -------------------------------------------------------------------------
    def _arguments(self, function: FunctionNode, parameter: str, depth: int) -> list[ResolvedValue]:
        """Values passed for ``parameter`` at every call of ``function`` (or of its class)."""
        found: list[ResolvedValue] = []
        for call, skip in self.calls_of(function):
            argument = call.keywords.get(parameter)
            if argument is None:
                index = _parameter_index(function, parameter)
                if index is not None and index >= skip:
                    position = index - skip
                    args = call.node.args
                    if position < len(args) and not any(
                        isinstance(a, ast.Starred) for a in args[: position + 1]
                    ):
                        argument = args[position]
            if argument is not None:
                found += self._sources(argument, call.scope, depth + 1)
        return found

    def calls_of(self, function: FunctionNode) -> Iterator[tuple[CallSite, int]]:
        """Calls of a notebook function, with how many leading parameters they do not pass
        (``self`` for methods and constructors)."""
        by_written = self._by_written
        if by_written is None:
            by_written = self._index()
        owner = self.class_of(function)
        if owner is None:
            for call in by_written.get(function.name, ()):
                yield call, 0
            return
        if function.name == "__init__":
            for call in self._by_method.get(owner.name, ()):
                yield call, 1
            return
        for call in self._by_method.get(function.name, ()):
            if "." in call.written_name:
                yield call, 1

    def _index(self) -> dict[str, list[CallSite]]:
        by_written: dict[str, list[CallSite]] = {}
        by_method = self._by_method
        for call in self.facts.calls:
            by_written.setdefault(call.written_name, []).append(call)
            by_method.setdefault(call.method, []).append(call)
        self._by_written = by_written
        return by_written

    # -- self attributes --------------------------------------------------------------------
    def _attribute(self, method: FunctionNode, attribute: str, depth: int) -> list[ResolvedValue]:
        owner = self.class_of(method)
        if owner is None:
            return []
        found: list[ResolvedValue] = []
        # ``temperature: float = 0.7`` in the class body (dataclasses, pydantic, weave.Model):
        # the default, and the keyword every construction of the class passes.
        for statement in owner.body:
            target, value = _class_attribute(statement)
            if target == attribute:
                if value is not None:
                    found += self.values.resolve(value, None)
                for call in self.facts.calls:
                    if call.method == owner.name and attribute in call.keywords:
                        found += self._sources(call.keywords[attribute], call.scope, depth + 1)
        # ``self.temperature = temperature`` in any method, followed into that method.
        for binding in self.facts.bindings_of("self", attribute):
            scope = binding.scope
            if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
                self.class_of(scope) is owner
            ):
                found += self._sources(binding.value, scope, depth + 1)
        return found

    def class_of(self, function: FunctionNode) -> ast.ClassDef | None:
        """The class whose body defines ``function``, if any."""
        if self._classes is None:
            self._classes = {
                id(statement): node
                for nodes in self.facts.classes.values()
                for node in nodes
                for statement in node.body
                if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef))
            }
        return self._classes.get(id(function))


def _parameter_index(function: FunctionNode, name: str) -> int | None:
    positional = [*function.args.posonlyargs, *function.args.args]
    for index, parameter in enumerate(positional):
        if parameter.arg == name:
            return index
    if any(parameter.arg == name for parameter in function.args.kwonlyargs):
        return 10**6  # keyword-only: never positional
    return None


def _class_attribute(statement: ast.stmt) -> tuple[str | None, ast.expr | None]:
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        return statement.target.id, statement.value
    if (
        isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Name)
    ):
        return statement.targets[0].id, statement.value
    return None, None


def _unique(values: list[ResolvedValue]) -> list[ResolvedValue]:
    seen: set[int] = set()
    unique = []
    for value in values:
        if id(value.node) not in seen:
            seen.add(id(value.node))
            unique.append(value)
    return unique
