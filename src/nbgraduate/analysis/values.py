"""Follow a value back to the literal that defined it, across cells, dicts, defaults and env reads.

``create(model=JUDGE)`` in cell 5 is only a defect because cell 1 says ``JUDGE = "gpt-4o"``;
the fix belongs in cell 1, so findings point at the literal this module finds.
"""

from __future__ import annotations

import ast

from nbgraduate.analysis.facts import (
    Binding,
    Loop,
    ProgramFacts,
    Scope,
    dotted_name,
    parameter_defaults,
    qualify_name,
)
from nbgraduate.core.records import Record

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from typing import Literal

    ValueSource = Literal["literal", "env", "input"]

_ENV_GETTERS = frozenset(
    {
        "os.getenv",
        "os.environ.get",
        "getenv",
        "environ.get",
        "os.environ.setdefault",
        "google.colab.userdata.get",  # Colab's secrets, read like the environment
    }
)
_INPUT_CALLS = frozenset({"input", "getpass.getpass", "sys.stdin.readline"})
_MAX_DEPTH = 12


class ResolvedValue(Record):
    """One value an expression can take.

    ``node`` is where a human would change it: the literal for literal values, the environment
    read (``os.getenv("JUDGE")``) when the value comes from outside with no default.
    ``env_name`` names the variable when the value came through the environment, even when a
    default literal supplied it. ``source`` is ``"literal"``, ``"env"`` or ``"input"``.
    """

    _fields = ("value", "node", "source", "env_name")
    __slots__ = _fields

    def __init__(
        self,
        value: object,
        node: ast.AST,
        source: ValueSource = "literal",
        env_name: str | None = None,
    ) -> None:
        self.value = value
        self.node = node
        self.source = source
        self.env_name = env_name


def _unpacked_iterable(target: ast.expr, iterable: ast.expr, name: str) -> ast.expr | None:
    """What ``name`` walks in ``for i, name in enumerate(items)`` or ``for a, name in
    zip(xs, items)``: ``items``; ``None`` for other loops."""
    if not (isinstance(target, ast.Tuple) and isinstance(iterable, ast.Call)):
        return None
    if not isinstance(iterable.func, ast.Name) or iterable.keywords:
        return None
    names = [e.id if isinstance(e, ast.Name) else None for e in target.elts]
    if name not in names:
        return None
    position = names.index(name)
    if iterable.func.id == "enumerate" and len(names) == 2 and len(iterable.args) == 1:
        return iterable.args[0] if position == 1 else None
    if iterable.func.id == "zip" and len(iterable.args) == len(names):
        return iterable.args[position]
    return None


class ValueResolver:
    """Resolves expressions to the literal values they can hold, in notebook order."""

    def __init__(self, facts: ProgramFacts) -> None:
        self.facts = facts
        self._comprehension_loops: dict[str, list[Loop]] | None = None

    def resolve(self, expression: ast.expr | None, scope: Scope = None) -> list[ResolvedValue]:
        """Every value ``expression`` can take that we can see; empty when unknown."""
        if expression is None:
            return []
        return self._resolve(expression, scope, expression_line(expression), 0, frozenset())

    def strings(self, expression: ast.expr | None, scope: Scope = None) -> list[ResolvedValue]:
        return [r for r in self.resolve(expression, scope) if isinstance(r.value, str)]

    def follow(self, expression: ast.expr | None, scope: Scope = None) -> ast.expr | None:
        """Follow name-to-name assignments to the expression finally bound
        (``client = OpenAI()`` then ``c = client``: ``c`` → the ``OpenAI()`` call)."""
        hops = 0
        while isinstance(expression, ast.Name) and hops < _MAX_DEPTH:
            binding = self._binding_before(expression.id, None, expression_line(expression), scope)
            if binding is None:
                return None
            expression, scope = binding.value, binding.scope
            hops += 1
        return expression

    def resolve_call(self, expression: ast.expr | None, scope: Scope = None) -> ast.Call | None:
        """The call an expression was bound to (``client = OpenAI()`` → the ``OpenAI()`` call)."""
        found = self.follow(expression, scope)
        return found if isinstance(found, ast.Call) else None

    def resolve_dict(self, expression: ast.expr | None, scope: Scope = None) -> ast.Dict | None:
        """The dict literal an expression names (``**params``, ``generation_config=cfg``)."""
        found = self.follow(expression, scope)
        return found if isinstance(found, ast.Dict) else None

    def dict_keys(
        self, expression: ast.expr | None, scope: Scope = None, depth: int = 0
    ) -> set[str] | None:
        """Keys a dict-like argument certainly has; ``None`` when we cannot tell."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(expression, ast.Call):
            name = dotted_name(expression.func) or ""
            functions = self.facts.functions.get(name)
            if functions:
                # ``build_kwargs(model=m)``: the notebook's own function; its keywords are its
                # parameters, the keys are those of the dicts it returns.
                return self._returned_keys(functions[-1], depth)
            if expression.keywords and all(k.arg for k in expression.keywords):
                return {k.arg for k in expression.keywords if k.arg}
            if name.endswith("dict") and not expression.args:
                return set()
            return None
        found = self.resolve_dict(expression, scope)
        if found is None:
            if isinstance(expression, ast.Name):
                call = self.resolve_call(expression, scope)
                if call is not None:
                    return self.dict_keys(call, scope, depth + 1)
            return None
        keys = {
            k.value for k in found.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)
        }
        for key, value in zip(found.keys, found.values, strict=True):
            if key is None:  # ``{**base, "model": m}``: base's keys too, when base is known
                inner = self.dict_keys(value, scope, depth + 1) if value is not found else None
                if inner is None:
                    return None
                keys |= inner
        return keys

    def _returned_keys(
        self, function: ast.FunctionDef | ast.AsyncFunctionDef, depth: int
    ) -> set[str] | None:
        """Keys every dict ``function`` returns has; ``None`` when a return is unknown."""
        returned = [
            node.value
            for node in ast.walk(function)
            if isinstance(node, ast.Return) and node.value is not None
        ]
        if not returned:
            return None
        keys: set[str] | None = None
        for value in returned:
            found = self.dict_keys(value, function, depth + 1)
            if found is None:
                return None
            keys = found if keys is None else keys & found
        return keys

    def binding_before(self, name: str, line: int, scope: Scope = None) -> Binding | None:
        """The binding of the plain name ``name`` in effect at ``line`` (see ``follow``)."""
        return self._binding_before(name, None, line, scope)

    # -- internals --------------------------------------------------------------------------
    def _resolve(
        self, node: ast.expr, scope: Scope, line: int, depth: int, seen: frozenset[int]
    ) -> list[ResolvedValue]:
        if depth > _MAX_DEPTH or id(node) in seen:
            return []
        seen = seen | {id(node)}
        if isinstance(node, ast.Constant):
            return [ResolvedValue(node.value, node)]
        if isinstance(node, ast.Name):
            return self._resolve_name(node.id, None, scope, line, depth, seen)
        if isinstance(node, ast.Subscript):
            key = _constant_key(node.slice)
            if key is None and isinstance(node.slice, ast.Constant):
                return self._resolve_index(node, scope, line, depth, seen)
            if key is None:
                if _is_argv(node.value):
                    return [ResolvedValue(None, node, "input")]
                return []
            env = self._environ_subscript(node, key)
            if env is not None:
                return env
            return self._resolve_member(node.value, key, scope, line, depth, seen)
        if isinstance(node, ast.Attribute):
            base = dotted_name(node.value)
            if base is not None and base.split(".")[0] in ("args", "opts", "options", "cli_args"):
                return [ResolvedValue(None, node, "input")]
            return self._resolve_member(node.value, node.attr, scope, line, depth, seen)
        if isinstance(node, ast.Call):
            return self._resolve_call_value(node, scope, line, depth, seen)
        if isinstance(node, ast.IfExp):
            return self._resolve(node.body, scope, line, depth + 1, seen) + self._resolve(
                node.orelse, scope, line, depth + 1, seen
            )
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            results: list[ResolvedValue] = []
            for value in node.values:
                results += self._resolve(value, scope, line, depth + 1, seen)
            return results
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = self._resolve(node.left, scope, line, depth + 1, seen)
            right = self._resolve(node.right, scope, line, depth + 1, seen)
            if len(left) == 1 and len(right) == 1:
                a, b = left[0].value, right[0].value
                if isinstance(a, str) and isinstance(b, str):
                    return [ResolvedValue(a + b, node)]
            return []
        return []

    def _resolve_name(
        self, name: str, key: str | None, scope: Scope, line: int, depth: int, seen: frozenset[int]
    ) -> list[ResolvedValue]:
        if scope is not None and not isinstance(scope, ast.Lambda):
            for parameter, default in parameter_defaults(scope):
                if parameter.arg == name and key is None:
                    return self._resolve(default, None, line, depth + 1, seen)
            if any(p.arg == name for p in (*scope.args.args, *scope.args.kwonlyargs)):
                return []
        if key is None:
            loop = self._comprehension_over(name, scope, line)
            if loop is not None:
                return self._elements(loop.iterable, scope, line, depth, seen)
        binding = self._binding_before(name, key, line, scope)
        if binding is None:
            return []
        if binding.value is None:
            if key is None and isinstance(binding.node, (ast.For, ast.AsyncFor)):
                return self._resolve_loop_item(binding, name, depth, seen)
            return []
        return self._resolve(binding.value, binding.scope, binding.line, depth + 1, seen)

    def _comprehension_over(self, name: str, scope: Scope, line: int) -> Loop | None:
        """The comprehension whose loop variable ``name`` is at ``line`` (innermost first)."""
        if self._comprehension_loops is None:
            self._comprehension_loops = {}
            for loop in self.facts.loops:
                if loop.comprehension_target is not None:
                    self._comprehension_loops.setdefault(loop.comprehension_target, []).append(loop)
        found = None
        for loop in self._comprehension_loops.get(name, ()):
            if (
                loop.scope is scope
                and loop.first_line <= line <= loop.last_line
                and (
                    found is None
                    or loop.last_line - loop.first_line <= found.last_line - found.first_line
                )
            ):
                found = loop
        return found

    def _resolve_loop_item(
        self, binding: Binding, name: str, depth: int, seen: frozenset[int]
    ) -> list[ResolvedValue]:
        """``for model in ["gpt-4o", "o3-mini"]`` (or a list bound to a name): every element."""
        loop = binding.node
        if not isinstance(loop, (ast.For, ast.AsyncFor)):
            return []
        if isinstance(loop.target, ast.Name) and loop.target.id == name:
            return self._elements(loop.iter, binding.scope, binding.line, depth, seen)
        iterated = _unpacked_iterable(loop.target, loop.iter, name)
        if iterated is None:
            return self._unpacked_rows(loop, name, binding, depth, seen)
        return self._elements(iterated, binding.scope, binding.line, depth, seen)

    def _unpacked_rows(
        self,
        loop: ast.For | ast.AsyncFor,
        name: str,
        binding: Binding,
        depth: int,
        seen: frozenset[int],
    ) -> list[ResolvedValue]:
        """``for name, url in FILES`` over a list of tuple literals (the ``url`` of each row),
        or ``for name, url in URLS.items()`` over a dict literal (its keys or values)."""
        target = loop.target
        if not isinstance(target, ast.Tuple):
            return []
        names = [e.id if isinstance(e, ast.Name) else None for e in target.elts]
        if name not in names:
            return []
        position = names.index(name)
        scope, line = binding.scope, binding.line
        iterable = loop.iter
        if isinstance(iterable, ast.Call):
            func = iterable.func
            if not (isinstance(func, ast.Attribute) and func.attr == "items") or iterable.args:
                return []
            table = self.follow(func.value, scope)
            if not isinstance(table, ast.Dict) or len(names) != 2:
                return []
            parts = table.values if position == 1 else table.keys
            return [
                v
                for part in parts
                if part is not None
                for v in self._resolve(part, scope, line, depth + 1, seen)
            ]
        rows = self.follow(iterable, scope)
        if not isinstance(rows, (ast.List, ast.Tuple, ast.Set)):
            return []
        results: list[ResolvedValue] = []
        for row in rows.elts:
            if isinstance(row, (ast.Tuple, ast.List)) and len(row.elts) == len(names):
                results += self._resolve(row.elts[position], scope, line, depth + 1, seen)
        return results

    def _elements(
        self, iterable: ast.expr | None, scope: Scope, line: int, depth: int, seen: frozenset[int]
    ) -> list[ResolvedValue]:
        """Every element of a list, tuple or set literal, or of one bound to a name."""
        hops = 0
        while isinstance(iterable, ast.Name) and hops < _MAX_DEPTH:
            found = self._binding_before(iterable.id, None, line, scope)
            if found is None or found.value is None:
                return []
            iterable, scope, line = found.value, found.scope, found.line
            hops += 1
        if not isinstance(iterable, (ast.List, ast.Tuple, ast.Set)):
            return []
        results: list[ResolvedValue] = []
        for element in iterable.elts:
            results += self._resolve(element, scope, line, depth + 1, seen)
        return results

    def _resolve_index(
        self, node: ast.Subscript, scope: Scope, line: int, depth: int, seen: frozenset[int]
    ) -> list[ResolvedValue]:
        """``MODELS[0]`` for a list or tuple literal bound to ``MODELS``."""
        index = node.slice.value if isinstance(node.slice, ast.Constant) else None
        if not isinstance(index, int) or isinstance(index, bool):
            return []
        container = self.follow(node.value, scope)
        if isinstance(container, (ast.List, ast.Tuple)) and -len(container.elts) <= index < len(
            container.elts
        ):
            return self._resolve(container.elts[index], scope, line, depth + 1, seen)
        return []

    def _resolve_member(
        self, base: ast.expr, key: str, scope: Scope, line: int, depth: int, seen: frozenset[int]
    ) -> list[ResolvedValue]:
        base_name = dotted_name(base)
        if base_name is not None:
            assigned = self._binding_before(base_name, key, line, scope)
            if assigned is not None and assigned.value is not None:
                return self._resolve(assigned.value, assigned.scope, assigned.line, depth + 1, seen)
        container = base
        hops = 0
        while isinstance(container, ast.Name) and hops < _MAX_DEPTH:
            binding = self._binding_before(container.id, None, line, scope)
            if binding is None or binding.value is None:
                return []
            container, scope, line = binding.value, binding.scope, binding.line
            hops += 1
        if isinstance(container, ast.Dict):
            for dict_key, value in zip(container.keys, container.values, strict=True):
                if dict_key is not None and _constant_key(dict_key) == key:
                    return self._resolve(value, scope, line, depth + 1, seen)
        if isinstance(container, ast.Call):
            for keyword in container.keywords:
                if keyword.arg == key:
                    return self._resolve(keyword.value, scope, line, depth + 1, seen)
        return []

    def _resolve_call_value(
        self, node: ast.Call, scope: Scope, line: int, depth: int, seen: frozenset[int]
    ) -> list[ResolvedValue]:
        name = dotted_name(node.func) or ""
        qualified = self.qualify(name)
        if qualified in _ENV_GETTERS or name in _ENV_GETTERS:
            env_name = _constant_key(node.args[0]) if node.args else None
            default = node.args[1] if len(node.args) > 1 else None
            for keyword in node.keywords:
                if keyword.arg in ("default", "value"):
                    default = keyword.value
            if default is None or (isinstance(default, ast.Constant) and default.value is None):
                return [ResolvedValue(None, node, "env", env_name)]
            defaults = self._resolve(default, scope, line, depth + 1, seen)
            return [
                ResolvedValue(value.value, value.node, value.source, env_name) for value in defaults
            ]
        if qualified in _INPUT_CALLS or name in _INPUT_CALLS:
            return [ResolvedValue(None, node, "input")]
        if name.endswith(".get") and node.args:
            key = _constant_key(node.args[0])
            if key is not None:
                base = node.func.value if isinstance(node.func, ast.Attribute) else None
                found = (
                    self._resolve_member(base, key, scope, line, depth + 1, seen) if base else []
                )
                if found:
                    return found
                if len(node.args) > 1:
                    return self._resolve(node.args[1], scope, line, depth + 1, seen)
        if name in ("str", "Path", "pathlib.Path") and len(node.args) == 1:
            return self._resolve(node.args[0], scope, line, depth + 1, seen)
        return []

    def _environ_subscript(self, node: ast.Subscript, key: str) -> list[ResolvedValue] | None:
        base = dotted_name(node.value)
        if base is not None and self.qualify(base) in ("os.environ", "environ"):
            return [ResolvedValue(None, node, "env", key)]
        return None

    def qualify(self, written: str) -> str:
        """Resolve a dotted name through the notebook's imports."""
        return qualify_name(self.facts.imports, written)

    def _binding_before(
        self, name: str, key: str | None, line: int, scope: Scope
    ) -> Binding | None:
        """The binding in effect at ``line``: the latest one before it in the same scope, else the
        latest module-level one before it, else (for names read inside functions that run later)
        the last module-level one anywhere.

        "Latest" is latest in notebook order, so the bindings are scanned from the last one back,
        stopping at the first that answers, rather than filtered into lists: a name bound in
        many cells is looked up thousands of times."""
        bindings = self.facts.bindings.get(name)
        if not bindings:
            return None
        if scope is not None:
            bound_in_scope = False
            for binding in reversed(bindings):
                if binding.scope is scope and binding.key == key:
                    if binding.line < line:
                        return binding
                    bound_in_scope = True
            if bound_in_scope:
                return None
        last_module_level: Binding | None = None
        for binding in reversed(bindings):
            if binding.scope is None and binding.key == key:
                if binding.line < line:
                    return binding
                if last_module_level is None:
                    last_module_level = binding
        return last_module_level if scope is not None else None


def expression_line(node: ast.AST) -> int:
    return getattr(node, "lineno", 0)


def _constant_key(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _is_argv(node: ast.expr) -> bool:
    return dotted_name(node) in ("sys.argv", "argv")
