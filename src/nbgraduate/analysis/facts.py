"""One pass over the notebook program that collects what every rule asks about.

Rules never walk the AST themselves: walking once and sharing the result keeps the linter
near the cost of parsing. The facts are plain lists in notebook order: imports, bindings,
calls, comparisons, string constants and the names each cell reads and defines.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator

from nbgraduate.core.records import Record

Scope = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | None

# The walk records tens of thousands of facts per notebook. They are records (values with
# slots, compared and hashed by their fields) rather than dataclasses: ``nbgraduate lint``
# loads this module on every run, and each dataclass costs start-up an ``exec`` of generated
# code (see :mod:`nbgraduate.core.records`). They are read-only by convention.
#
# The walk itself makes the commonest of them with ``_new(Class)`` and sets their slots, rather
# than calling ``Class(...)``: in CPython 3.11 calling a class runs its Python ``__init__`` from C,
# in a fresh interpreter frame, a fifth of what a record costs the walk (about 16 M instructions
# on the real corpus of 142 notebooks). The classes' ``__init__`` stays the way to make one
# anywhere else.
_new = object.__new__


class Binding(Record):
    """A value given to a name (``JUDGE = "gpt-4o"``) or to a key/attribute of one
    (``CONFIG["judge_model"] = ...``, ``cfg.model = ...``); ``key`` is ``None`` for the name."""

    _fields = ("name", "key", "value", "node", "line", "scope")
    __slots__ = _fields

    def __init__(
        self,
        name: str,
        key: str | None,
        value: ast.expr | None,
        node: ast.AST,
        line: int,
        scope: Scope,
    ) -> None:
        self.name = name
        self.key = key
        self.value = value
        self.node = node
        self.line = line
        self.scope = scope


class CallSite(Record):
    """A call with the dotted name it was written as and the name imports resolve it to."""

    _fields = (
        "node",
        "written_name",
        "qualified_name",
        "scope",
        "keywords",
        "has_star_kwargs",
        "star_kwargs",
    )
    #: ``method``: the last part of the written name (``create`` for
    #: ``client.chat.completions.create``); computed once, since every rule asks for it.
    #: ``line``: the call's first program line, kept in a slot rather than read off the node by
    #: a property: rules compare it with every other call's (tens of thousands of reads per
    #: notebook corpus), and an AST node's attribute is a dictionary lookup.
    __slots__ = (*_fields, "method", "line")

    def __init__(
        self,
        node: ast.Call,
        written_name: str,
        qualified_name: str,
        scope: Scope,
        keywords: dict[str, ast.expr],
        has_star_kwargs: bool,
        star_kwargs: list[ast.expr],
        method: str | None = None,
    ) -> None:
        self.node = node
        self.written_name = written_name
        self.qualified_name = qualified_name
        self.scope = scope
        self.keywords = keywords
        self.has_star_kwargs = has_star_kwargs
        self.star_kwargs = star_kwargs
        # ``method``, when given, is the written name's last part: the walk knows it already.
        self.method = written_name.rsplit(".", 1)[-1] if method is None else method
        self.line = node.lineno

    def argument(self, position: int, *names: str) -> ast.expr | None:
        """The argument given by keyword (any of ``names``) or else at ``position``."""
        for name in names:
            if name in self.keywords:
                return self.keywords[name]
        args = self.node.args
        if position < len(args) and not any(
            isinstance(a, ast.Starred) for a in args[: position + 1]
        ):
            return args[position]
        return None


class Comparison(Record):
    """An ordering comparison that decides something: an ``assert`` or an ``if`` that stops."""

    _fields = ("node", "gate")
    __slots__ = _fields

    def __init__(self, node: ast.Compare, gate: str) -> None:
        self.node = node
        self.gate = gate  # "assert" or "if-stop"


class NameUse(Record):
    """A module-level read or write of a name, for cross-cell order checks."""

    _fields = ("name", "node", "line")
    __slots__ = _fields

    def __init__(self, name: str, node: ast.AST, line: int) -> None:
        self.name = name
        self.node = node
        self.line = line


class StringConstant(Record):
    """A string literal with the name, keyword or dict key it was given to, if any.

    ``container`` is the name, keyword or key the enclosing list, tuple, set or dict literal was
    given to (``MODELS = {"fast": "gpt-4o-mini"}``: context ``fast``, container ``MODELS``);
    ``for m in [...]`` gives the loop variable's name to the iterated literal."""

    _fields = ("node", "context", "scope", "container")
    __slots__ = _fields

    def __init__(
        self,
        node: ast.Constant,
        context: str | None,
        scope: Scope,
        container: str | None = None,
    ) -> None:
        self.node = node
        self.context = context
        self.scope = scope
        self.container = container


class Loop(Record):
    """A ``for`` loop or a comprehension's ``for``: what it iterates, and the program lines
    its body (or the whole comprehension) spans.

    ``comprehension_target`` and ``scope``: a comprehension's loop variable and scope; the name
    holds an element of ``iterable`` on the comprehension's lines only (it does not leak, so it
    is no binding)."""

    _fields = ("iterable", "first_line", "last_line", "comprehension_target", "scope")
    __slots__ = _fields

    def __init__(
        self,
        iterable: ast.expr,
        first_line: int,
        last_line: int,
        comprehension_target: str | None = None,
        scope: Scope = None,
    ) -> None:
        self.iterable = iterable
        self.first_line = first_line
        self.last_line = last_line
        self.comprehension_target = comprehension_target
        self.scope = scope


class ProgramFacts:
    """Everything collected in the single pass, in notebook order."""

    __slots__ = (
        "bindings",
        "calls",
        "classes",
        "comparisons",
        "functions",
        "imports",
        "loops",
        "module_loads",
        "module_stores",
        "star_imports",
        "statement_calls",
        "strings",
    )

    def __init__(self) -> None:
        self.imports: dict[str, str] = {}
        self.star_imports: list[str] = []
        self.bindings: dict[str, list[Binding]] = {}
        self.calls: list[CallSite] = []
        self.comparisons: list[Comparison] = []
        self.strings: list[StringConstant] = []
        self.functions: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]] = {}
        self.classes: dict[str, list[ast.ClassDef]] = {}
        self.module_loads: list[NameUse] = []
        self.module_stores: list[NameUse] = []
        self.loops: list[Loop] = []
        #: ``id`` of each call that is a whole expression statement: its value is discarded,
        #: or shown as the cell's output when it ends the cell (``Image.open("chart.png")``).
        self.statement_calls: set[int] = set()

    def bindings_of(self, name: str, key: str | None = None) -> Iterator[Binding]:
        for binding in self.bindings.get(name, ()):
            if binding.key == key:
                yield binding


def collect_facts(module: ast.Module) -> ProgramFacts:
    """Walk the program once and return its facts."""
    collector = _Collector()
    handlers = _HANDLERS
    for statement in module.body:
        handlers[type(statement)](collector, statement, None, None, None)
    return collector.facts


_STOPPING_CALLS = frozenset(
    {"sys.exit", "exit", "quit", "os._exit", "pytest.fail", "pytest.exit", "SystemExit"}
)


def dotted_name(node: ast.expr) -> str | None:
    """``a.b.c`` for attribute chains over a name; ``a().b`` gives ``a.b`` (call results kept)."""
    node_type = type(node)
    if node_type is ast.Name:  # most calls are of a bare name: no list to build
        return node.id  # type: ignore[attr-defined]
    parts: list[str] = []
    while True:
        # ``type(...) is`` rather than ``isinstance``: the parser makes no subclasses, and this
        # runs for every call and assignment target of a notebook.
        if node_type is ast.Attribute:
            parts.append(node.attr)  # type: ignore[attr-defined]
            node = node.value  # type: ignore[attr-defined]
        elif node_type is ast.Call:
            node = node.func  # type: ignore[attr-defined]
        elif node_type is ast.Subscript:
            node = node.value  # type: ignore[attr-defined]
        elif node_type is ast.Name:
            parts.append(node.id)  # type: ignore[attr-defined]
            return ".".join(reversed(parts))
        else:
            return ".".join(reversed(parts)) if parts else None
        node_type = type(node)


def qualify_name(imports: dict[str, str], written: str) -> str:
    """Resolve the first part of a dotted name through imports: with ``import numpy as np``,
    ``np.random.seed`` is ``numpy.random.seed``."""
    head, _, rest = written.partition(".")
    imported = imports.get(head)
    if imported is None:
        return written
    return f"{imported}.{rest}" if rest else imported


def unaliased(call: CallSite) -> CallSite:
    """The call as if written with the name it was imported as: after ``from smart_open import
    open as sopen``, ``sopen(url)`` is an ``open`` call; after ``from pandas import read_csv as
    rc``, ``rc(path)`` a ``read_csv`` call (rules that look at ``method`` see through the alias)."""
    written = call.written_name
    if "." in written or call.qualified_name == written:
        return call
    imported = call.qualified_name.rsplit(".", 1)[-1]
    if imported == written:
        return call
    return call.replace(written_name=imported)


def parameter_defaults(
    function: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda,
) -> list[tuple[ast.arg, ast.expr]]:
    """Pairs of (parameter, default value) for every parameter that has a default."""
    arguments = function.args
    positional = [*arguments.posonlyargs, *arguments.args]
    with_defaults = positional[len(positional) - len(arguments.defaults) :]
    pairs = list(zip(with_defaults, arguments.defaults, strict=True))
    pairs += [
        (parameter, default)
        for parameter, default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True)
        if default is not None
    ]
    return pairs


def _key_of(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


class _Collector:
    """The walk. Each node goes straight to the handler for its type, looked up in
    ``_HANDLERS`` by the code that holds the node (no generic ``visit`` in between), and every
    handler takes the same arguments: the node, its scope, and the ``context`` and ``container``
    a string constant below it would be given to (see :class:`StringConstant`)."""

    __slots__ = (
        "bindings",
        "calls",
        "facts",
        "imports",
        "module_loads",
        "module_stores",
        "strings",
    )

    def __init__(self) -> None:
        facts = self.facts = ProgramFacts()
        # The facts' containers, one attribute read away instead of two.
        self.bindings = facts.bindings
        self.calls = facts.calls
        self.imports = facts.imports
        self.module_loads = facts.module_loads
        self.module_stores = facts.module_stores
        self.strings = facts.strings

    def visit(
        self,
        node: ast.AST,
        scope: Scope,
        context: str | None = None,
        container: str | None = None,
    ) -> None:
        _HANDLERS[type(node)](self, node, scope, context, container)

    # -- bindings ---------------------------------------------------------------------------
    def _bind(self, target: ast.expr, value: ast.expr | None, node: ast.AST, scope: Scope) -> None:
        target_type = type(target)
        if target_type is ast.Name:
            name = target.id  # type: ignore[attr-defined]
            line = target.lineno
            binding = _new(Binding)
            binding.name, binding.key, binding.value = name, None, value
            binding.node, binding.line, binding.scope = node, line, scope
            bindings = self.bindings.get(name)
            if bindings is None:
                self.bindings[name] = [binding]
            else:
                bindings.append(binding)
            if scope is None:
                use = _new(NameUse)
                use.name, use.node, use.line = name, target, line
                self.module_stores.append(use)
        elif target_type is ast.Tuple or target_type is ast.List:
            elements = target.elts  # type: ignore[attr-defined]
            values: list[ast.expr | None]
            value_type = type(value)
            if (value_type is ast.Tuple or value_type is ast.List) and len(
                value.elts  # type: ignore[union-attr]
            ) == len(elements):
                values = value.elts  # type: ignore[union-attr]
            else:
                values = [None] * len(elements)
            for element, element_value in zip(elements, values, strict=True):
                self._bind(element, element_value, node, scope)
        elif target_type is ast.Starred:
            self._bind(target.value, None, node, scope)  # type: ignore[attr-defined]
        elif target_type is ast.Subscript:
            base = dotted_name(target.value)  # type: ignore[attr-defined]
            key = _key_of(target.slice)  # type: ignore[attr-defined]
            if base is not None and key is not None:
                self.bindings.setdefault(base, []).append(
                    Binding(base, key, value, node, target.lineno, scope)
                )
        elif target_type is ast.Attribute:
            base = dotted_name(target.value)  # type: ignore[attr-defined]
            if base is not None:
                self.bindings.setdefault(base, []).append(
                    Binding(base, target.attr, value, node, target.lineno, scope)  # type: ignore[attr-defined]
                )

    def _bind_name(self, name: str, node: ast.AST, scope: Scope) -> None:
        line = getattr(node, "lineno", 0)
        binding = _new(Binding)
        binding.name, binding.key, binding.value = name, None, None
        binding.node, binding.line, binding.scope = node, line, scope
        self.bindings.setdefault(name, []).append(binding)
        if scope is None:
            use = _new(NameUse)
            use.name, use.node, use.line = name, node, line
            self.module_stores.append(use)

    # -- the commonest nodes ----------------------------------------------------------------
    def visit_Name(
        self, node: ast.Name, scope: Scope, context: str | None, container: str | None
    ) -> None:
        if scope is None and type(node.ctx) is ast.Load:
            use = _new(NameUse)
            use.name, use.node, use.line = node.id, node, node.lineno
            self.module_loads.append(use)

    def visit_Constant(
        self, node: ast.Constant, scope: Scope, context: str | None, container: str | None
    ) -> None:
        if isinstance(node.value, str):
            string = _new(StringConstant)
            string.node, string.context = node, context
            string.scope, string.container = scope, container
            self.strings.append(string)

    def visit_Attribute(
        self, node: ast.Attribute, scope: Scope, context: str | None, container: str | None
    ) -> None:
        # ``client.chat.completions.create``: only the chain's base holds anything to visit.
        value = node.value
        while type(value) is ast.Attribute:
            value = value.value  # type: ignore[attr-defined]
        value_type = type(value)
        if value_type is ast.Name:
            if scope is None:
                use = _new(NameUse)
                use.name, use.node, use.line = value.id, value, value.lineno  # type: ignore[attr-defined]
                self.module_loads.append(use)
        else:
            _HANDLERS[value_type](self, value, scope, None, None)

    def visit_Call(
        self, node: ast.Call, scope: Scope, context: str | None, container: str | None
    ) -> None:
        function = node.func
        # ``client.chat.completions.create``: the written name is read off the attribute chain on
        # the way to its base (``client``), the only part of the callee that holds anything to
        # visit; a base that is a bare name, the commonest, is noted here rather than dispatched.
        # The method (``create``) is the chain's last attribute, so the call site need not split
        # the written name again; and that base name is the head imports qualify (the
        # :func:`qualify_name` of ``np.random.seed`` looks up ``np``), so neither is the written
        # name split to qualify it: the walk does this for every call of the notebook.
        imports = self.imports
        base = function
        base_type = type(base)
        method: str | None
        qualified: str | None
        if base_type is ast.Name:
            method = written = head = base.id  # type: ignore[attr-defined]
            imported = imports.get(head)
            qualified = written if imported is None else imported
        elif base_type is ast.Attribute:
            method = tail = base.attr  # type: ignore[attr-defined]
            base = base.value  # type: ignore[attr-defined]
            base_type = type(base)
            while base_type is ast.Attribute:
                tail = f"{base.attr}.{tail}"  # type: ignore[attr-defined]
                base = base.value  # type: ignore[attr-defined]
                base_type = type(base)
            if base_type is ast.Name:
                head = base.id  # type: ignore[attr-defined]
                written = f"{head}.{tail}"
                imported = imports.get(head)
                qualified = written if imported is None else f"{imported}.{tail}"
            else:  # ``make().chat.create``: the call results kept
                written = dotted_name(function)
                qualified = None if written is None else qualify_name(imports, written)
        else:
            written = dotted_name(function)
            qualified = None if written is None else qualify_name(imports, written)
            method = None
        keywords: dict[str, ast.expr] = {}
        star_kwargs: list[ast.expr] = []
        for keyword in node.keywords:
            if keyword.arg is None:
                star_kwargs.append(keyword.value)
            else:
                keywords[keyword.arg] = keyword.value
        if written is not None:
            site = _new(CallSite)
            site.node, site.written_name, site.qualified_name = node, written, qualified
            site.scope, site.keywords = scope, keywords
            site.has_star_kwargs, site.star_kwargs = bool(star_kwargs), star_kwargs
            site.method = written.rsplit(".", 1)[-1] if method is None else method
            site.line = node.lineno
            self.calls.append(site)
        handlers = _HANDLERS
        module_loads = self.module_loads if scope is None else None
        if base_type is ast.Name:
            if module_loads is not None:
                use = _new(NameUse)
                use.name, use.node, use.line = head, base, base.lineno  # type: ignore[attr-defined]
                module_loads.append(use)
        else:
            handlers[base_type](self, base, scope, None, None)
        # An argument that is a bare name is read (``f(x)``), one that is a literal may be a
        # string constant (``f("x")``): both, the commonest arguments, are noted without a
        # dispatch too.
        for argument in node.args:
            argument_type = type(argument)
            if argument_type is ast.Name:
                if module_loads is not None:
                    use = _new(NameUse)
                    use.name, use.node, use.line = argument.id, argument, argument.lineno  # type: ignore[attr-defined]
                    module_loads.append(use)
            elif argument_type is ast.Constant:
                if isinstance(argument.value, str):  # type: ignore[attr-defined]
                    string = _new(StringConstant)
                    string.node, string.context = argument, None
                    string.scope, string.container = scope, None
                    self.strings.append(string)
            else:
                handlers[argument_type](self, argument, scope, None, None)
        for keyword in node.keywords:
            value = keyword.value
            value_type = type(value)
            if value_type is ast.Name:
                if module_loads is not None:
                    use = _new(NameUse)
                    use.name, use.node, use.line = value.id, value, value.lineno  # type: ignore[attr-defined]
                    module_loads.append(use)
            elif value_type is ast.Constant:
                if isinstance(value.value, str):  # type: ignore[attr-defined]
                    string = _new(StringConstant)
                    string.node, string.context = value, keyword.arg
                    string.scope, string.container = scope, None
                    self.strings.append(string)
            else:
                handlers[value_type](self, value, scope, keyword.arg, None)

    def visit_List(
        self,
        node: ast.List | ast.Tuple | ast.Set,
        scope: Scope,
        context: str | None,
        container: str | None,
    ) -> None:
        # ``MODELS = ["gpt-4o", ...]``: every element was given to ``MODELS``.
        outer = context or container
        handlers = _HANDLERS
        for element in node.elts:
            handlers[type(element)](self, element, scope, outer, outer)

    visit_Tuple = visit_List
    visit_Set = visit_List

    def visit_Dict(
        self, node: ast.Dict, scope: Scope, context: str | None, container: str | None
    ) -> None:
        container = context or container
        handlers = _HANDLERS
        strings = self.strings
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None:  # ``{**defaults, ...}``
                handlers[type(value)](self, value, scope, None, container)
            elif type(key) is ast.Constant:
                # The commonest key, a string (``{"model": ...}``): noted and given to its
                # value here, without a dispatch or a call of :func:`_key_of`.
                key_text = key.value
                if isinstance(key_text, str):
                    string = _new(StringConstant)
                    string.node, string.context = key, None
                    string.scope, string.container = scope, container
                    strings.append(string)
                else:
                    key_text = None
                handlers[type(value)](self, value, scope, key_text, container)
            else:
                handlers[type(key)](self, key, scope, None, container)
                handlers[type(value)](self, value, scope, None, container)

    def _leaf(
        self, node: ast.AST, scope: Scope, context: str | None, container: str | None
    ) -> None:
        """Load/Store contexts and operators: nodes that carry nothing a rule asks about."""

    def generic_visit(
        self, node: ast.AST, scope: Scope, context: str | None = None, container: str | None = None
    ) -> None:
        handlers = _HANDLERS
        for field_name in _CHILD_FIELDS[type(node)]:
            value = getattr(node, field_name, None)
            if type(value) is list:
                for item in value:
                    if isinstance(item, ast.AST):
                        handlers[type(item)](self, item, scope, None, None)
            elif isinstance(value, ast.AST):
                handlers[type(value)](self, value, scope, None, None)

    # Common expressions visited field by field without generic_visit's loop over ``_fields``.
    def visit_Subscript(
        self, node: ast.Subscript, scope: Scope, context: str | None, container: str | None
    ) -> None:
        value = node.value
        _HANDLERS[type(value)](self, value, scope, None, None)
        value = node.slice
        _HANDLERS[type(value)](self, value, scope, None, None)

    def visit_BinOp(
        self, node: ast.BinOp, scope: Scope, context: str | None, container: str | None
    ) -> None:
        value = node.left
        _HANDLERS[type(value)](self, value, scope, None, None)
        value = node.right
        _HANDLERS[type(value)](self, value, scope, None, None)

    def visit_Compare(
        self, node: ast.Compare, scope: Scope, context: str | None, container: str | None
    ) -> None:
        handlers = _HANDLERS
        value = node.left
        handlers[type(value)](self, value, scope, None, None)
        for comparator in node.comparators:
            handlers[type(comparator)](self, comparator, scope, None, None)

    def visit_JoinedStr(
        self, node: ast.JoinedStr, scope: Scope, context: str | None, container: str | None
    ) -> None:
        handlers = _HANDLERS
        for value in node.values:
            handlers[type(value)](self, value, scope, None, None)

    def visit_FormattedValue(
        self, node: ast.FormattedValue, scope: Scope, context: str | None, container: str | None
    ) -> None:
        value = node.value
        _HANDLERS[type(value)](self, value, scope, None, None)
        if node.format_spec is not None:
            self.visit(node.format_spec, scope)

    def visit_Return(
        self, node: ast.Return, scope: Scope, context: str | None, container: str | None
    ) -> None:
        value = node.value
        if value is not None:
            _HANDLERS[type(value)](self, value, scope, None, None)

    def visit_Expr(
        self, node: ast.Expr, scope: Scope, context: str | None, container: str | None
    ) -> None:
        value = node.value
        value_type = type(value)
        if value_type is ast.Call:
            self.facts.statement_calls.add(id(value))
        _HANDLERS[value_type](self, value, scope, None, None)

    # -- statements -------------------------------------------------------------------------
    def visit_Import(
        self, node: ast.Import, scope: Scope, context: str | None, container: str | None
    ) -> None:
        for alias in node.names:
            local = alias.asname or alias.name.split(".", 1)[0]
            self.imports[local] = alias.name if alias.asname else local
            self._bind_name(local, node, scope)

    def visit_ImportFrom(
        self, node: ast.ImportFrom, scope: Scope, context: str | None, container: str | None
    ) -> None:
        module = ("." * node.level) + (node.module or "")
        for alias in node.names:
            if alias.name == "*":
                self.facts.star_imports.append(module)
                continue
            local = alias.asname or alias.name
            self.imports[local] = f"{module}.{alias.name}"
            self._bind_name(local, node, scope)

    def visit_Assign(
        self, node: ast.Assign, scope: Scope, context: str | None, container: str | None
    ) -> None:
        value = node.value
        targets = node.targets
        target = targets[0]
        if type(target) is ast.Name and len(targets) == 1:
            # ``x = ...``, most assignments: :meth:`_context_of` and :meth:`_bind` inlined.
            name = target.id
            _HANDLERS[type(value)](self, value, scope, name, None)
            line = target.lineno
            binding = _new(Binding)
            binding.name, binding.key, binding.value = name, None, value
            binding.node, binding.line, binding.scope = node, line, scope
            bindings = self.bindings.get(name)
            if bindings is None:
                self.bindings[name] = [binding]
            else:
                bindings.append(binding)
            if scope is None:
                use = _new(NameUse)
                use.name, use.node, use.line = name, target, line
                self.module_stores.append(use)
            return
        _HANDLERS[type(value)](self, value, scope, self._context_of(target), None)
        for target in targets:
            if type(target) is not ast.Name:  # a plain name reads nothing
                self._visit_target(target, scope)
            self._bind(target, value, node, scope)

    def visit_AnnAssign(
        self, node: ast.AnnAssign, scope: Scope, context: str | None, container: str | None
    ) -> None:
        if node.value is not None:
            self.visit(node.value, scope, self._context_of(node.target))
        self._visit_target(node.target, scope)
        self._bind(node.target, node.value, node, scope)

    def visit_AugAssign(
        self, node: ast.AugAssign, scope: Scope, context: str | None, container: str | None
    ) -> None:
        self.visit(node.value, scope)
        if isinstance(node.target, ast.Name) and scope is None:
            self.module_loads.append(NameUse(node.target.id, node.target, node.lineno))
        self._visit_target(node.target, scope)
        self._bind(node.target, None, node, scope)

    def visit_NamedExpr(
        self, node: ast.NamedExpr, scope: Scope, context: str | None, container: str | None
    ) -> None:
        self.visit(node.value, scope, node.target.id)
        self._bind(node.target, node.value, node, scope)

    def _visit_target(self, target: ast.expr, scope: Scope) -> None:
        """Visit what an assignment target reads (``a[i].b = ...`` reads ``a`` and ``i``)."""
        target_type = type(target)
        if target_type is ast.Attribute:
            self.visit(target.value, scope)  # type: ignore[attr-defined]
        elif target_type is ast.Subscript:
            self.visit(target.value, scope)  # type: ignore[attr-defined]
            self.visit(target.slice, scope)  # type: ignore[attr-defined]
        elif target_type is ast.Tuple or target_type is ast.List:
            for element in target.elts:  # type: ignore[attr-defined]
                self._visit_target(element, scope)
        elif target_type is ast.Starred:
            self._visit_target(target.value, scope)  # type: ignore[attr-defined]

    @staticmethod
    def _context_of(target: ast.expr) -> str | None:
        target_type = type(target)
        if target_type is ast.Name:
            return target.id  # type: ignore[attr-defined]
        if target_type is ast.Attribute:
            return target.attr  # type: ignore[attr-defined]
        if target_type is ast.Subscript:
            return _key_of(target.slice)  # type: ignore[attr-defined]
        return None

    def visit_For(
        self, node: ast.For | ast.AsyncFor, scope: Scope, context: str | None, container: str | None
    ) -> None:
        # ``for model in ["gpt-4o", "o3-mini"]``: the literals are given to ``model``.
        target = node.target.id if isinstance(node.target, ast.Name) else None
        self.facts.loops.append(Loop(node.iter, node.lineno, node.end_lineno or node.lineno))
        self.visit(node.iter, scope, target)
        self._visit_target(node.target, scope)
        self._bind(node.target, None, node, scope)
        handlers = _HANDLERS
        for statement in node.body:
            handlers[type(statement)](self, statement, scope, None, None)
        for statement in node.orelse:
            handlers[type(statement)](self, statement, scope, None, None)

    visit_AsyncFor = visit_For

    def visit_ListComp(
        self,
        node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp,
        scope: Scope,
        context: str | None,
        container: str | None,
    ) -> None:
        last = node.end_lineno or node.lineno
        for generator in node.generators:
            target = generator.target.id if isinstance(generator.target, ast.Name) else None
            self.facts.loops.append(Loop(generator.iter, node.lineno, last, target, scope))
        self.generic_visit(node, scope)

    visit_SetComp = visit_ListComp
    visit_GeneratorExp = visit_ListComp
    visit_DictComp = visit_ListComp

    def visit_comprehension(
        self, node: ast.comprehension, scope: Scope, context: str | None, container: str | None
    ) -> None:
        target = node.target.id if isinstance(node.target, ast.Name) else None
        self.visit(node.target, scope)
        self.visit(node.iter, scope, target)
        for condition in node.ifs:
            self.visit(condition, scope)

    def visit_With(
        self,
        node: ast.With | ast.AsyncWith,
        scope: Scope,
        context: str | None,
        container: str | None,
    ) -> None:
        for item in node.items:
            self.visit(item.context_expr, scope)
            if item.optional_vars is not None:
                self._bind(item.optional_vars, None, node, scope)
        handlers = _HANDLERS
        for statement in node.body:
            handlers[type(statement)](self, statement, scope, None, None)

    visit_AsyncWith = visit_With

    def visit_ExceptHandler(
        self, node: ast.ExceptHandler, scope: Scope, context: str | None, container: str | None
    ) -> None:
        if node.type is not None:
            self.visit(node.type, scope)
        if node.name:
            self._bind_name(node.name, node, scope)
        handlers = _HANDLERS
        for statement in node.body:
            handlers[type(statement)](self, statement, scope, None, None)

    def visit_FunctionDef(
        self,
        node: ast.FunctionDef | ast.AsyncFunctionDef,
        scope: Scope,
        context: str | None,
        container: str | None,
    ) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator, scope)
        for parameter, default in parameter_defaults(node):
            self.visit(default, scope, parameter.arg)
        self._bind_name(node.name, node, scope)
        self.facts.functions.setdefault(node.name, []).append(node)
        handlers = _HANDLERS
        for statement in node.body:
            handlers[type(statement)](self, statement, node, None, None)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(
        self, node: ast.Lambda, scope: Scope, context: str | None, container: str | None
    ) -> None:
        self.visit(node.body, node)

    def visit_ClassDef(
        self, node: ast.ClassDef, scope: Scope, context: str | None, container: str | None
    ) -> None:
        for expression in (*node.decorator_list, *node.bases, *(k.value for k in node.keywords)):
            self.visit(expression, scope)
        self._bind_name(node.name, node, scope)
        self.facts.classes.setdefault(node.name, []).append(node)
        handlers = _HANDLERS
        for statement in node.body:
            handlers[type(statement)](self, statement, scope, None, None)

    def visit_Global(
        self, node: ast.Global, scope: Scope, context: str | None, container: str | None
    ) -> None:
        return

    def visit_Assert(
        self, node: ast.Assert, scope: Scope, context: str | None, container: str | None
    ) -> None:
        self._note_comparisons(node.test, "assert")
        self.generic_visit(node, scope)

    def visit_If(
        self, node: ast.If, scope: Scope, context: str | None, container: str | None
    ) -> None:
        test = node.test
        for statement in node.body:
            if self._stops(statement):
                self._note_comparisons(test, "if-stop")
                break
        # The fields one by one, without generic_visit's loop over them.
        handlers = _HANDLERS
        handlers[type(test)](self, test, scope, None, None)
        for statement in node.body:
            handlers[type(statement)](self, statement, scope, None, None)
        for statement in node.orelse:
            handlers[type(statement)](self, statement, scope, None, None)

    def _note_comparisons(self, test: ast.expr, gate: str) -> None:
        for node in ast.walk(test):
            if isinstance(node, ast.Compare) and any(
                isinstance(op, (ast.Lt, ast.LtE, ast.Gt, ast.GtE)) for op in node.ops
            ):
                self.facts.comparisons.append(Comparison(node, gate))

    def _stops(self, statement: ast.stmt) -> bool:
        if isinstance(statement, ast.Raise):
            return True
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
            name = dotted_name(statement.value.func)
            return name is not None and self.qualify(name) in _STOPPING_CALLS
        return False

    def qualify(self, written: str) -> str:
        """Resolve a dotted name through the imports seen so far."""
        return qualify_name(self.imports, written)


def _node_types() -> list[type]:
    """Every node class the parser can make: ``ast.AST``'s subclasses, all the way down."""
    found: list[type] = []
    pending = [ast.AST]
    while pending:
        node_type = pending.pop()
        found.append(node_type)
        pending.extend(node_type.__subclasses__())
    return found


# Load/Store contexts and operators are nodes too, but carry nothing a rule asks about.
_LEAF_BASES = (ast.expr_context, ast.operator, ast.boolop, ast.cmpop, ast.unaryop)

# Fields that hold a leaf node (a context or an operator, which the walk skips anyway) or a
# plain value, never a node worth visiting; generic_visit leaves them out, per node type.
_NOT_CHILDREN = frozenset(
    {
        "ctx",
        "op",
        "ops",
        "attr",
        "arg",
        "module",
        "level",
        "kind",
        "type_comment",
        "is_async",
        "conversion",
        "simple",
    }
)

_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}
_HANDLERS: dict[type, Callable[[_Collector, ast.AST, Scope, str | None, str | None], None]] = {}
for _node_type in _node_types():
    _CHILD_FIELDS[_node_type] = tuple(
        name for name in getattr(_node_type, "_fields", ()) if name not in _NOT_CHILDREN
    )
    _HANDLERS[_node_type] = getattr(
        _Collector,
        f"visit_{_node_type.__name__}",
        _Collector._leaf if issubclass(_node_type, _LEAF_BASES) else _Collector.generic_visit,
    )
del _node_type
