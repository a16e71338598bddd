"""Digest checks: where the notebook stops unless a file's bytes hash to a recorded value.

A check versions a dataset when all of this holds:

- it *stops* the notebook on a mismatch: an ``assert``, or an ``if`` whose branch raises or exits;
- one side *computes* a digest of the file's bytes: ``hashlib.sha256/sha512/md5/new(...)``,
  ``hashlib.file_digest``, a hasher fed by ``.update(...)``, or a function the notebook defines
  that hashes (``sha256_of(PATH)``), following names across cells and ``with open(...) as f``;
- the other side is the *expected* digest: a hex literal, a constant or config-dict entry holding
  one, or a value read from another file (a ``.sha256`` sidecar) but never from the same file;
- it comes before the data is used (the caller compares lines).

A check written inside a function the notebook defines (``verify(path, expected)``, or a
``return digest == expected`` predicate used in an ``assert``) counts at each call, with the
call's arguments in place of the parameters. A digest computed and only printed, or compared
without stopping, checks nothing.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from nbgraduate.analysis.facts import Scope, dotted_name, qualify_name
from nbgraduate.analysis.path_values import normalise_path, path_values
from nbgraduate.analysis.values import ValueResolver
from nbgraduate.core import regex_cache
from nbgraduate.core.records import Record

__all__ = ["DigestCheck", "find_digest_checks"]

_HEX_DIGEST = regex_cache.compile(
    r"^(?:(?:sha\d+|md5|blake2[bs]|sha3_\d+)[:=-])?[0-9a-fA-F]{32,128}$"
)
_HASH_METHODS = frozenset({"hexdigest", "digest", "file_digest"})
_HASH_MODULES = ("hashlib.", "zlib.crc32", "xxhash.", "blake3.")
_STOPPING_CALLS = frozenset(
    {"sys.exit", "exit", "quit", "os._exit", "pytest.fail", "pytest.exit", "SystemExit"}
)
_MAX_DEPTH = 8

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
#: A parameter's value at a call: the argument expression and the scope it is read in.
Environment = dict[str, tuple[ast.expr, Scope]]
#: What one check covers: paths, ids of the calls that read the hashed bytes, line (0: gate's).
_Covered = tuple[frozenset[str], frozenset[int], int]


class DigestCheck(Record):
    """The normalised paths (or URLs) whose bytes a check covers, from program ``line`` on.

    ``hashing_calls`` holds the ids of the calls that read the bytes being hashed
    (``open(PATH, "rb")``): those reads are the check itself, not a use of the data.
    """

    _fields = ("paths", "line", "node", "hashing_calls")
    __slots__ = _fields

    def __init__(
        self,
        paths: frozenset[str],
        line: int,
        node: ast.AST,
        hashing_calls: frozenset[int] = frozenset(),
    ) -> None:
        self.paths = paths
        self.line = line
        self.node = node
        self.hashing_calls = hashing_calls


def find_digest_checks(program: ast.Module, values: ValueResolver) -> list[DigestCheck]:
    """Every digest check of the program, in program order (empty for most notebooks)."""
    finder = _Finder(program, values)
    if not finder.hashes_anything():
        return []
    checks = sorted(finder.checks(), key=lambda check: check.line)
    if not checks:
        return []
    hashing = finder.hashing_reads()
    return [check.replace(hashing_calls=check.hashing_calls | hashing) for check in checks]


class _Finder:
    def __init__(self, program: ast.Module, values: ValueResolver) -> None:
        self.program = program
        self.values = values
        self.functions: dict[str, list[FunctionNode]] = values.facts.functions
        self._hashing: dict[int, bool] = {}

    def hashes_anything(self) -> bool:
        """Cheap first look: no hashing call anywhere means no digest check at all."""
        imports = self.values.facts.imports
        # Each name once: a notebook calls few names many times (``print``, ``df.head``).
        for written in {call.written_name for call in self.values.facts.calls}:
            if written.rsplit(".", 1)[-1] in _HASH_METHODS:
                return True
            if qualify_name(imports, written).startswith(_HASH_MODULES):
                return True
        return False

    def _is_hashing_name(self, written: str) -> bool:
        qualified = qualify_name(self.values.facts.imports, written)
        return qualified.startswith(_HASH_MODULES) or written.rsplit(".", 1)[-1] in _HASH_METHODS

    def hashing_reads(self) -> frozenset[int]:
        """Ids of calls whose bytes only feed a hash: ``open(P, "rb")`` inside
        ``hashlib.sha256(...)``, or in ``with open(P, "rb") as f`` when ``f`` is only hashed."""
        found: set[int] = set()
        hashing_nodes: list[ast.Call] = [
            call.node for call in self.values.facts.calls if self._is_hashing_call(call.node)
        ]
        inside: set[int] = set()
        for node in hashing_nodes:
            for child in ast.walk(node):
                inside.add(id(child))
                if isinstance(child, ast.Call) and child is not node:
                    found.add(id(child))
        for functions in self.functions.values():
            for function in functions:
                if self._function_hashes(function):
                    found.update(id(n) for n in ast.walk(function) if isinstance(n, ast.Call))
        for statement in ast.walk(self.program):
            if not isinstance(statement, (ast.With, ast.AsyncWith)):
                continue
            for item in statement.items:
                target = item.optional_vars
                if not isinstance(target, ast.Name):
                    continue
                uses = [
                    n
                    for body in statement.body
                    for n in ast.walk(body)
                    if isinstance(n, ast.Name) and n.id == target.id
                ]
                if uses and all(id(use) in inside for use in uses):
                    found.add(id(item.context_expr))
        return frozenset(found)

    def _is_hashing_call(self, node: ast.Call) -> bool:
        name = dotted_name(node.func) or ""
        qualified = qualify_name(self.values.facts.imports, name)
        return qualified.startswith(_HASH_MODULES) or (
            name.endswith((".update", "file_digest")) and bool(node.args)
        )

    # -- gates ----------------------------------------------------------------------------------
    def checks(self) -> Iterator[DigestCheck]:
        for gate, test, scope in self._gates():
            for paths, calls, env_line in self._verified_by(test, scope):
                yield DigestCheck(paths, env_line or gate.lineno, gate, frozenset(calls))

    def _gates(self) -> Iterator[tuple[ast.stmt, ast.expr, Scope]]:
        """``assert`` statements and stopping ``if`` statements, with their enclosing function."""
        pending: list[tuple[ast.AST, Scope]] = [
            (statement, None) for statement in self.program.body
        ]
        while pending:
            node, scope = pending.pop()
            if isinstance(node, ast.Assert) or (
                isinstance(node, ast.If)
                and any(self._stops(statement) for statement in (*node.body, *node.orelse))
            ):
                yield node, node.test, scope
            inner = node if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else scope
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    pending.append((child, inner))

    def _stops(self, statement: ast.stmt) -> bool:
        if isinstance(statement, ast.Raise):
            return True
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
            name = dotted_name(statement.value.func) or ""
            return qualify_name(self.values.facts.imports, name) in _STOPPING_CALLS
        return False

    def _verified_by(self, test: ast.expr, scope: Scope) -> Iterator[_Covered]:
        """``(paths, hashing calls, line)`` for each way ``test`` checks a digest. ``line`` is 0
        for the gate's own line, or the line of the call giving a function's check its
        arguments."""
        for environment, line in self._environments(scope):
            for node in ast.walk(test):
                if isinstance(node, ast.Compare):
                    paths, calls = self._compare(node, scope, environment)
                    if paths:
                        yield paths, calls, line
                elif isinstance(node, ast.Call):
                    for paths, calls in self._predicate_call(node, scope, environment):
                        yield paths, calls, line

    def _environments(self, scope: Scope) -> list[tuple[Environment, int]]:
        """Module level: one empty environment. In a function: one per call of it, binding its
        parameters to that call's arguments, counted from the call's line."""
        if scope is None or isinstance(scope, ast.Lambda):
            return [({}, 0)]
        return list(self._calls_of(scope))

    def _calls_of(self, function: FunctionNode) -> Iterator[tuple[Environment, int]]:
        for call in self.values.facts.calls:
            if call.written_name != function.name:
                continue
            yield _bind_arguments(function, call.node, call.scope), call.line

    # -- one comparison -------------------------------------------------------------------------
    def _compare(
        self, compare: ast.Compare, scope: Scope, environment: Environment
    ) -> tuple[frozenset[str], frozenset[int]]:
        if not all(isinstance(op, (ast.Eq, ast.NotEq, ast.Is, ast.IsNot)) for op in compare.ops):
            return frozenset(), frozenset()
        sides = [compare.left, *compare.comparators]
        hashed = [self._hashed_paths(side, scope, environment) for side in sides]
        computed = [found for found in hashed if found is not None]
        covered: set[str] = set()
        calls: set[int] = set()
        for side, found in zip(sides, hashed, strict=True):
            if found is not None:
                continue
            for computed_paths, computed_calls in computed:
                if computed_paths and self._is_expected(side, scope, environment, computed_paths):
                    covered |= computed_paths
                    calls |= computed_calls
        return frozenset(covered), frozenset(calls)

    def _predicate_call(
        self, call: ast.Call, scope: Scope, environment: Environment
    ) -> Iterator[tuple[frozenset[str], frozenset[int]]]:
        """``assert verify(PATH, DIGEST)`` where ``verify`` returns ``digest == expected``."""
        name = call.func.id if isinstance(call.func, ast.Name) else None
        for function in self.functions.get(name or "", ()):
            inner = _bind_arguments(function, call, scope, environment)
            for node in ast.walk(function):
                if isinstance(node, ast.Return) and isinstance(node.value, ast.Compare):
                    paths, calls = self._compare(node.value, function, inner)
                    if paths:
                        yield paths, calls

    # -- sides ----------------------------------------------------------------------------------
    def _hashed_paths(
        self, side: ast.expr, scope: Scope, environment: Environment
    ) -> tuple[frozenset[str], frozenset[int]] | None:
        """The paths whose digest ``side`` computes, and the calls that read them; ``None``
        when it computes no digest."""
        expressions = self._expand(side, scope, environment)
        if not any(self._is_hashing(expression) for expression, _ in expressions):
            return None
        paths: set[str] = set()
        calls: set[int] = set()
        for expression, expression_scope in expressions:
            for node in ast.walk(expression):
                if isinstance(node, ast.Call):
                    calls.add(id(node))
                if isinstance(node, (ast.Constant, ast.Name, ast.BinOp, ast.JoinedStr, ast.Call)):
                    for value in path_values(node, expression_scope, self.values):
                        paths.add(normalise_path(str(value.value)))
        return frozenset(paths), frozenset(calls)

    def _is_expected(
        self,
        side: ast.expr,
        scope: Scope,
        environment: Environment,
        hashed: frozenset[str],
    ) -> bool:
        """Whether ``side`` is a recorded digest, not one derived from the hashed file itself."""
        if isinstance(side, ast.Name) and side.id in environment:
            argument, argument_scope = environment[side.id]
            return self._is_expected(argument, argument_scope, {}, hashed)
        literal = self.values.strings(side, scope)
        if literal:
            return all(_HEX_DIGEST.match(str(v.value)) for v in literal)
        if self._is_digest_table_lookup(side, scope):
            return True
        expressions = self._expand(side, scope, environment)
        mentioned: set[str] = set()
        for expression, expression_scope in expressions:
            for node in ast.walk(expression):
                if isinstance(node, (ast.Constant, ast.Name, ast.BinOp, ast.JoinedStr)):
                    for value in path_values(node, expression_scope, self.values):
                        mentioned.add(normalise_path(str(value.value)))
        files = {path for path in mentioned if "." in path.rsplit("/", 1)[-1] or "/" in path}
        return bool(files) and not (files & hashed)

    def _is_digest_table_lookup(self, side: ast.expr, scope: Scope) -> bool:
        """``DIGESTS[name]`` or ``DIGESTS.get(name)`` over a dict of hex digest literals."""
        base: ast.expr | None = None
        if isinstance(side, ast.Subscript):
            base = side.value
        elif (
            isinstance(side, ast.Call)
            and isinstance(side.func, ast.Attribute)
            and side.func.attr == "get"
        ):
            base = side.func.value
        table = self.values.resolve_dict(base, scope) if base is not None else None
        if table is None or not table.values:
            return False
        return all(
            self.values.strings(value, scope)
            and all(_HEX_DIGEST.match(str(v.value)) for v in self.values.strings(value, scope))
            for value in table.values
        )

    def _expand(
        self, side: ast.expr, scope: Scope, environment: Environment
    ) -> list[tuple[ast.expr, Scope]]:
        """``side`` and every expression it is built from: names followed to what they were
        bound to (``with open(P) as f`` binds ``f`` to ``open(P)``), hashers to their
        ``.update(...)`` arguments, parameters to the call's arguments."""
        found: list[tuple[ast.expr, Scope]] = []
        pending: list[tuple[ast.expr, Scope, Environment, int]] = [(side, scope, environment, 0)]
        seen: set[int] = set()
        while pending and len(found) < 200:
            expression, expression_scope, env, depth = pending.pop()
            if id(expression) in seen or depth > _MAX_DEPTH:
                continue
            seen.add(id(expression))
            found.append((expression, expression_scope))
            for node in ast.walk(expression):
                if not isinstance(node, ast.Name):
                    continue
                if node.id in env:
                    argument, argument_scope = env[node.id]
                    pending.append((argument, argument_scope, {}, depth + 1))
                    continue
                for bound, bound_scope in self._bound_values(node, expression_scope):
                    pending.append((bound, bound_scope, env, depth + 1))
            if isinstance(expression, ast.Call) and isinstance(expression.func, ast.Name):
                for function in self.functions.get(expression.func.id, ()):
                    inner = _bind_arguments(function, expression, expression_scope, env)
                    for argument, argument_scope in inner.values():
                        pending.append((argument, argument_scope, {}, depth + 1))
        return found

    def _bound_values(self, name: ast.Name, scope: Scope) -> Iterator[tuple[ast.expr, Scope]]:
        line = getattr(name, "lineno", 0)
        binding = self.values.binding_before(name.id, line + 1, scope)
        if binding is None:
            return
        if binding.value is not None:
            yield binding.value, binding.scope
        elif isinstance(binding.node, (ast.With, ast.AsyncWith)):
            for item in binding.node.items:
                if item.optional_vars is not None and any(
                    isinstance(n, ast.Name) and n.id == name.id
                    for n in ast.walk(item.optional_vars)
                ):
                    yield item.context_expr, binding.scope
        elif isinstance(binding.node, (ast.For, ast.AsyncFor)):
            yield binding.node.iter, binding.scope
        for call in self.values.facts.calls:
            if call.written_name == f"{name.id}.update" and call.scope is scope:
                yield from ((argument, scope) for argument in call.node.args)

    def _is_hashing(self, expression: ast.expr) -> bool:
        for node in ast.walk(expression):
            if not isinstance(node, ast.Call):
                continue
            name = dotted_name(node.func) or ""
            qualified = qualify_name(self.values.facts.imports, name)
            if qualified.startswith(_HASH_MODULES) or name.rsplit(".", 1)[-1] in _HASH_METHODS:
                return True
            if isinstance(node.func, ast.Name) and any(
                self._function_hashes(function) for function in self.functions.get(name, ())
            ):
                return True
        return False

    def _function_hashes(self, function: FunctionNode) -> bool:
        """Whether a notebook function returns a digest it computes (``sha256_of(path)``)."""
        key = id(function)
        if key not in self._hashing:
            self._hashing[key] = False  # recursion guard
            self._hashing[key] = any(
                isinstance(node, ast.Return)
                and node.value is not None
                and any(
                    self._is_hashing(expression)
                    for expression, _ in self._expand(node.value, function, {})
                )
                for node in ast.walk(function)
            )
        return self._hashing[key]


def _bind_arguments(
    function: FunctionNode,
    call: ast.Call,
    call_scope: Scope,
    environment: Environment | None = None,
) -> Environment:
    """Each parameter of ``function`` bound to the argument ``call`` gives it (or its default)."""
    arguments = function.args
    positional = [*arguments.posonlyargs, *arguments.args]
    bound: Environment = {}
    environment = environment or {}

    def value(expression: ast.expr) -> tuple[ast.expr, Scope]:
        if isinstance(expression, ast.Name) and expression.id in environment:
            return environment[expression.id]
        return expression, call_scope

    for parameter, argument in zip(positional, call.args, strict=False):
        if isinstance(argument, ast.Starred):
            break
        bound[parameter.arg] = value(argument)
    names = {p.arg for p in (*positional, *arguments.kwonlyargs)}
    for keyword in call.keywords:
        if keyword.arg in names:
            bound[keyword.arg] = value(keyword.value)
    defaults = positional[len(positional) - len(arguments.defaults) :]
    for parameter, default in zip(defaults, arguments.defaults, strict=True):
        bound.setdefault(parameter.arg, (default, None))
    for parameter, default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True):
        if default is not None:
            bound.setdefault(parameter.arg, (default, None))
    return bound
