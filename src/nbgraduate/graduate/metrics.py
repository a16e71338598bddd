"""Wire a pipeline's metric at conversion: one ``nbgraduate.record(...)`` after the results.

``nbgraduate gate`` pairs runs example by example, so a pipeline is only gateable once its
notebook records per-example values with their ids. Most legacy notebooks already compute
them and then aggregate (``accuracy = sum(correct) / len(correct)``, ``df["score"].mean()``,
``verdicts.count("PASS")``); this module finds such a collection in the converted notebook,
and the example ids behind it (an id-like key of the rows it was computed from, or a
dict keyed by id), and inserts the record call right after the top-level statement that
completes the collection. The result objects of common eval libraries (ragas ``evaluate``,
deepeval ``evaluate``, phoenix ``llm_classify``/``run_evals``, Inspect logs, Haystack's
``EvaluationRunResult``) are recognised
by the call that made them. When nothing is recognisable, :class:`MetricInstruction` says
in which cell, after which line, to add which line: before the notebook's own point-estimate
gate, after a loop that counts (``correct += 1``), else after the last statement.

Only what the notebook itself shows is trusted: a collection counts when the notebook
aggregates it (so its values are numbers or verdicts), ids when the rows carry an id-like key
(used by the notebook, or in the header of the dataset file it reads). Nothing is executed.
"""

from __future__ import annotations

import ast
import csv
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from nbgraduate.analysis.context import NotebookAnalysis
from nbgraduate.core import regex_cache

__all__ = [
    "MetricInstruction",
    "MetricWiring",
    "find_metric",
    "insert_record",
    "wire_metric",
]

#: Keys that name an example. ``*_id`` keys count too (``ticket_id``), see :func:`_id_like`.
_ID_KEYS = ("id", "example_id", "sample_id", "question_id", "qid", "uid", "uuid", "idx", "key")
_MEAN_FUNCTIONS = frozenset(
    {
        "sum",
        "mean",
        "fmean",
        "statistics.mean",
        "statistics.fmean",
        "numpy.mean",
        "numpy.nanmean",
        "numpy.average",
        "numpy.sum",
    }
)
_METHODS_THAT_AGGREGATE = frozenset({"mean", "sum", "average"})
_ARRAY_WRAPPERS = frozenset(
    {"list", "numpy.array", "numpy.asarray", "pandas.Series", "numpy.fromiter", "tuple"}
)
#: What a run costs, not how good it is: ``record_usage`` territory, never the gated metric.
_RESOURCE = regex_cache.compile(
    r"latenc|duration|elapsed|seconds|time|cost|price|token", re.IGNORECASE
)
_RECORD_IMPORT = "import nbgraduate"
#: How a reader of the pipeline recognises the inserted lines.
_MARK = "  # nbgraduate: per-example results for `nbgraduate run` and `gate`"


@dataclass(frozen=True, slots=True)
class MetricWiring:
    """Lines to insert after row ``after_row`` (1-based) of cell ``cell_index``."""

    name: str
    lines: tuple[str, ...]
    cell_index: int
    after_row: int
    found: str
    ids_note: str = ""

    @property
    def gateable(self) -> bool:
        """Whether the values carry ids (the gate pairs examples by id)."""
        return not self.ids_note.startswith("no ids")


@dataclass(frozen=True, slots=True)
class MetricInstruction:
    """Where to add the record call by hand, and the line to adapt."""

    cell_index: int | None
    after_row: int | None
    line: str
    reason: str

    def where(self) -> str:
        if self.cell_index is None:
            return "in the cell that computes the per-example results, after they are computed"
        return f"in cell {self.cell_index + 1}, after line {self.after_row}"


# --- what the notebook shows ----------------------------------------------------------------


@dataclass(slots=True)
class _Collection:
    """A name bound to per-example results, and how it was built."""

    name: str
    kind: str  # "list", "by-key", "records", "column"
    anchor: ast.stmt  # the top-level statement after which it is complete
    iterable: ast.expr | None = None  # what the values were computed over
    target: str | None = None  # the loop/comprehension variable over ``iterable``
    record_keys: tuple[str, ...] = ()  # for "records": the keys of each dict
    frame: str | None = None  # for "column": the DataFrame name
    column: str | None = None
    target_node: ast.expr | None = None  # the loop target as written (``output, row``)


@dataclass(slots=True)
class _Evidence:
    """The notebook aggregates a collection: how, and into which name."""

    subject: str  # collection name, or "frame[column]"
    how: str  # "direct", "values", "derived", "count", "compare"
    node: ast.AST
    into: str | None = None
    element: ast.expr | None = None  # for "derived": the per-element expression
    element_target: str | None = None
    constant: object = None  # for "count"/"compare"


@dataclass(slots=True)
class _Facts:
    collections: dict[str, list[_Collection]] = field(default_factory=dict)
    evidence: list[_Evidence] = field(default_factory=list)
    gated_names: set[str] = field(default_factory=set)
    #: element keys the notebook reads from the rows of each iterable name
    element_keys: dict[str, set[str]] = field(default_factory=dict)
    #: columns the notebook reads from each DataFrame name
    frame_columns: dict[str, set[str]] = field(default_factory=dict)


def find_metric(
    context: NotebookAnalysis, pipeline_dir: Path, *, positional_ids: bool, root: Path
) -> MetricWiring | MetricInstruction | None:
    """What to wire in the (converted) notebook of ``context``: ``None`` when it already
    records a metric. ``pipeline_dir`` resolves the dataset paths whose header may name an
    id column (only files inside ``root`` are read); ``positional_ids`` allows ids that are
    positions (when nothing in the pipeline reorders or samples the rows between repeats)."""
    program = context.notebook.program
    if _already_records(program):
        return None
    qualified = {id(call.node): call.qualified_name for call in context.facts.calls}
    facts = _collect(program, qualified)
    headers = _dataset_headers(context, pipeline_dir, root)
    # What the notebook aggregates, then an eval library's result, then what only looks like
    # a judgement (``[a == b for ...]`` that nothing aggregates).
    wiring = _from_collections(context, facts, headers, positional_ids, evident=False)
    if wiring is None:
        wiring = _from_libraries(context, program, qualified, facts, headers, positional_ids)
    if wiring is None:
        wiring = _from_collections(context, facts, headers, positional_ids, evident=True)
    if wiring is not None:
        return wiring
    return _instruction(context, program, facts)


def insert_record(cells: list[dict], wiring: MetricWiring) -> None:
    """Insert ``wiring``'s lines into the JSON cells of a notebook document, in place."""
    cell = cells[wiring.cell_index]
    source = cell.get("source", "")
    text = "".join(source) if isinstance(source, list) else str(source)
    lines = text.split("\n")
    row = min(wiring.after_row, len(lines))
    lines[row:row] = [_RECORD_IMPORT + _MARK, *wiring.lines]
    new_text = "\n".join(lines)
    cell["source"] = new_text.splitlines(keepends=True) if isinstance(source, list) else new_text


# --- collecting collections and evidence ----------------------------------------------------


def _already_records(program: ast.Module) -> bool:
    for node in ast.walk(program):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "record"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "nbgraduate"
        ):
            return True
    return False


def _top_level(program: ast.Module) -> Iterator[tuple[ast.stmt, ast.stmt]]:
    """``(top-level statement, statement)`` for every statement outside functions and
    classes: blocks of ``with``, ``if``, ``try`` and loops belong to their top-level one."""

    def inner(anchor: ast.stmt, statements: list[ast.stmt]) -> Iterator[tuple[ast.stmt, ast.stmt]]:
        for statement in statements:
            yield anchor, statement
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            for name in ("body", "orelse", "finalbody"):
                yield from inner(anchor, getattr(statement, name, []) or [])
            for handler in getattr(statement, "handlers", []) or []:
                yield from inner(anchor, handler.body)

    for statement in program.body:
        yield from inner(statement, [statement])


def _collect(program: ast.Module, qualified: dict[int, str]) -> _Facts:
    facts = _Facts()
    empty_lists: dict[str, ast.stmt] = {}
    for anchor, statement in _top_level(program):
        if isinstance(statement, (ast.Assign, ast.AnnAssign)):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            value = statement.value
            if value is None or len(targets) != 1:
                continue
            target = targets[0]
            if isinstance(target, ast.Name):
                if isinstance(value, (ast.List, ast.Dict)) and not _elements(value):
                    empty_lists[target.id] = anchor
                    continue
                collection = _from_comprehension(target.id, value, anchor, qualified)
                if collection is not None:
                    facts.collections.setdefault(target.id, []).append(collection)
                    if _judges_each(_per_element(value, qualified)):
                        facts.evidence.append(_Evidence(target.id, "evident", statement))
            elif (
                isinstance(target, ast.Subscript)
                and isinstance(target.value, ast.Name)
                and _constant_str(target.slice) is not None
            ):
                frame, column = target.value.id, _constant_str(target.slice)
                assert column is not None
                facts.collections.setdefault(f"{frame}[{column!r}]", []).append(
                    _Collection(
                        f"{frame}[{column!r}]", "column", anchor, frame=frame, column=column
                    )
                )
                if _judges_each(value):  # df["correct"] = (df["answer"] == df["reference"])
                    facts.evidence.append(_Evidence(f"{frame}[{column!r}]", "evident", statement))
        elif isinstance(statement, ast.For) and isinstance(statement.target, (ast.Name, ast.Tuple)):
            for collection in _from_loop(statement, anchor, empty_lists):
                facts.collections.setdefault(collection.name, []).append(collection)
        elif isinstance(statement, ast.Assert):
            facts.gated_names |= {n.id for n in ast.walk(statement.test) if isinstance(n, ast.Name)}
    _collect_usage(program, facts)
    _collect_evidence(program, facts, qualified)
    return facts


def _per_element(value: ast.expr, qualified: dict[int, str]) -> ast.expr | None:
    """The per-example expression of a (wrapped) comprehension: its element, or its value."""
    while (
        isinstance(value, ast.Call)
        and qualified.get(id(value), _written(value.func)) in _ARRAY_WRAPPERS
        and len(value.args) == 1
    ):
        value = value.args[0]
    if isinstance(value, ast.DictComp):
        return value.value
    if isinstance(value, (ast.ListComp, ast.GeneratorExp)):
        return value.elt
    return None


def _judges_each(node: ast.expr | None) -> bool:
    """Whether ``node`` is a per-example judgement whatever the notebook does with it later:
    an equality or membership test (``answer == reference``, ``label in gold``), possibly as a
    number (``int(...)``, ``.astype(int)``). An ordering (``tokens > 500``) is more often a
    filter than a verdict, so it is not taken on its own."""
    while True:
        if isinstance(node, ast.Compare):
            return all(isinstance(op, (ast.Eq, ast.NotEq, ast.In, ast.NotIn)) for op in node.ops)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("int", "float", "bool")
            and len(node.args) == 1
        ):
            node = node.args[0]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "astype"
        ):
            node = node.func.value
        else:
            return False


def _elements(node: ast.List | ast.Dict) -> list:
    return node.elts if isinstance(node, ast.List) else node.keys


def _constant_str(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _from_comprehension(
    name: str, value: ast.expr, anchor: ast.stmt, qualified: dict[int, str]
) -> _Collection | None:
    while (
        isinstance(value, ast.Call)
        and qualified.get(id(value), _written(value.func)) in _ARRAY_WRAPPERS
        and len(value.args) == 1
    ):
        value = value.args[0]
    if not isinstance(value, (ast.ListComp, ast.GeneratorExp, ast.DictComp)):
        return None
    if len(value.generators) != 1:
        return None
    generator = value.generators[0]
    if generator.ifs or generator.is_async:  # a filter drops examples: not one per row
        return None
    target = generator.target
    if isinstance(target, ast.Name):
        loop_name: str | None = target.id
    elif isinstance(target, ast.Tuple) and all(isinstance(e, ast.Name) for e in target.elts):
        loop_name = None  # for output, row in zip(outputs, rows)
    else:
        return None
    if isinstance(value, ast.DictComp):
        return _Collection(name, "by-key", anchor, generator.iter, loop_name, target_node=target)
    element = value.elt
    if isinstance(element, ast.Dict) and all(_constant_str(k) for k in element.keys):
        if loop_name is None:
            return None
        keys = tuple(_constant_str(k) or "" for k in element.keys)
        return _Collection(name, "records", anchor, generator.iter, loop_name, keys)
    return _Collection(name, "list", anchor, generator.iter, loop_name, target_node=target)


def _from_loop(
    loop: ast.For, anchor: ast.stmt, empty: dict[str, ast.stmt]
) -> Iterator[_Collection]:
    """``results = []`` then ``for row in rows: ... results.append(x)``, once per example:
    the append is in the loop body itself (not under an ``if``) and nothing skips it."""
    if any(isinstance(node, (ast.Break, ast.Continue)) for node in _own_nodes(loop.body)):
        return
    loop_name = loop.target.id if isinstance(loop.target, ast.Name) else None
    if isinstance(loop.target, ast.Tuple):
        names = [e.id for e in loop.target.elts if isinstance(e, ast.Name)]
        loop_name = names[-1] if names else None
    appended: dict[str, int] = {}
    for node in _own_nodes(loop.body):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "append"
            and isinstance(node.func.value, ast.Name)
        ):
            appended[node.func.value.id] = appended.get(node.func.value.id, 0) + 1
    direct = {
        s.value.func.value.id
        for s in loop.body
        if isinstance(s, ast.Expr)
        and isinstance(s.value, ast.Call)
        and isinstance(s.value.func, ast.Attribute)
        and s.value.func.attr == "append"
        and isinstance(s.value.func.value, ast.Name)
    }
    for name, count in appended.items():
        if name in empty and count == 1 and name in direct:
            yield _Collection(name, "list", anchor, loop.iter, loop_name, target_node=loop.target)
    for statement in loop.body:  # results[row["id"]] = score
        if (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Subscript)
            and isinstance(statement.targets[0].value, ast.Name)
            and statement.targets[0].value.id in empty
        ):
            name = statement.targets[0].value.id
            yield _Collection(name, "by-key", anchor, loop.iter, loop_name)


def _own_nodes(statements: list[ast.stmt]) -> Iterator[ast.AST]:
    """Nodes of ``statements``, not descending into nested loops' bodies (their ``break``
    is theirs), functions or classes."""
    stack: list[ast.AST] = list(statements)
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, (ast.For, ast.While, ast.AsyncFor)):
            stack.append(node.iter if isinstance(node, (ast.For, ast.AsyncFor)) else node.test)
            continue
        stack.extend(ast.iter_child_nodes(node))


def _written(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_written(node.value)}.{node.attr}"
    return ""


def _collect_usage(program: ast.Module, facts: _Facts) -> None:
    """Which keys the notebook reads from the rows of each iterable, and which columns from
    each DataFrame: evidence of an id column."""
    loop_vars: dict[str, set[str]] = {}  # loop variable -> iterable names it walks
    for node in ast.walk(program):
        generators: list[tuple[ast.expr, ast.expr]] = []
        if isinstance(node, (ast.For, ast.AsyncFor)):
            generators.append((node.target, node.iter))
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            generators.extend((g.target, g.iter) for g in node.generators)
        for target, iterable in generators:
            for element, source in _bound_rows(target, iterable):
                loop_vars.setdefault(element, set()).add(source)
    for node in ast.walk(program):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            key = _constant_str(node.slice)
            if key is None:
                continue
            for source in loop_vars.get(node.value.id, ()):
                facts.element_keys.setdefault(source, set()).add(key)
            facts.frame_columns.setdefault(node.value.id, set()).add(key)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and isinstance(node.func.value, ast.Name)
            and node.args
            and _constant_str(node.args[0]) is not None
        ):
            for source in loop_vars.get(node.func.value.id, ()):
                facts.element_keys.setdefault(source, set()).add(_constant_str(node.args[0]) or "")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            for source in loop_vars.get(node.value.id, ()):  # itertuples: row.id
                facts.element_keys.setdefault(source, set()).add(node.attr)


def _iterable_name(iterable: ast.expr) -> str | None:
    """``rows`` for ``rows``, ``df.iterrows()``, ``df.itertuples()``, ``df.to_dict("records")``."""
    if isinstance(iterable, ast.Name):
        return iterable.id
    if (
        isinstance(iterable, ast.Call)
        and isinstance(iterable.func, ast.Attribute)
        and iterable.func.attr in ("iterrows", "itertuples", "to_dict")
        and isinstance(iterable.func.value, ast.Name)
    ):
        return iterable.func.value.id
    return None


def _bound_rows(target: ast.expr, iterable: ast.expr) -> list[tuple[str, str]]:
    """``(loop variable, rows name)`` pairs a loop binds: ``row`` to ``rows`` for ``for row in
    rows`` and ``df.iterrows()``; each name to its sequence for ``zip``; the item for
    ``enumerate``."""
    if isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Name):
        if iterable.func.id == "zip" and isinstance(target, ast.Tuple):
            return [
                (element.id, argument.id)
                for element, argument in zip(target.elts, iterable.args, strict=False)
                if isinstance(element, ast.Name) and isinstance(argument, ast.Name)
            ]
        if (
            iterable.func.id == "enumerate"
            and iterable.args
            and isinstance(target, ast.Tuple)
            and len(target.elts) == 2
        ):
            return _bound_rows(target.elts[1], iterable.args[0])
    source = _iterable_name(iterable)
    if source is None:
        return []
    return [(element, source) for element in _element_names(target)]


def _element_names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple) and target.elts and isinstance(target.elts[-1], ast.Name):
        return [target.elts[-1].id]  # for index, row in df.iterrows()
    return []


def _collect_evidence(program: ast.Module, facts: _Facts, qualified: dict[int, str]) -> None:
    parents: dict[int, ast.AST] = {}
    for node in ast.walk(program):
        for child in ast.iter_child_nodes(node):
            parents[id(child)] = node
    for node in ast.walk(program):
        evidence = _evidence_of(node, qualified)
        if evidence is not None:
            evidence.into = _assigned_name(node, parents)
            facts.evidence.append(evidence)
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
            evidence = _sorted_by_verdict(node)
            if evidence is not None:
                facts.evidence.append(evidence)


def _evidence_of(node: ast.AST, qualified: dict[int, str]) -> _Evidence | None:
    if not isinstance(node, ast.Call):
        return None
    function = qualified.get(id(node), _written(node.func))
    if function in _MEAN_FUNCTIONS and len(node.args) >= 1:
        argument = node.args[0]
        if isinstance(argument, ast.Name):
            return _Evidence(argument.id, "direct", node)
        if (
            isinstance(argument, ast.Call)
            and isinstance(argument.func, ast.Attribute)
            and argument.func.attr == "values"
            and isinstance(argument.func.value, ast.Name)
            and not argument.args
        ):
            return _Evidence(argument.func.value.id, "values", node)
        if isinstance(argument, (ast.GeneratorExp, ast.ListComp)) and len(argument.generators) == 1:
            generator = argument.generators[0]
            if not isinstance(generator.target, ast.Name) or generator.ifs:
                return None
            how, owner = "derived", generator.iter
            if (
                isinstance(owner, ast.Call)
                and isinstance(owner.func, ast.Attribute)
                and owner.func.attr == "values"
                and not owner.args
            ):
                how, owner = "derived-values", owner.func.value
            if isinstance(owner, ast.Name):
                return _Evidence(
                    owner.id, how, node, element=argument.elt, element_target=generator.target.id
                )
        column = _frame_column(argument)
        if column is not None:
            return _Evidence(column, "direct", node)
        return None
    if not isinstance(node.func, ast.Attribute):
        return None
    method, owner = node.func.attr, node.func.value
    if method in _METHODS_THAT_AGGREGATE and not node.args:
        if isinstance(owner, ast.Name):
            return _Evidence(owner.id, "direct", node)
        column = _frame_column(owner)
        if column is not None:
            return _Evidence(column, "direct", node)
        if (
            isinstance(owner, ast.Compare)
            and len(owner.ops) == 1
            and isinstance(owner.ops[0], ast.Eq)
            and isinstance(owner.comparators[0], ast.Constant)
        ):
            column = _frame_column(owner.left)
            if column is not None:
                return _Evidence(column, "compare", node, constant=owner.comparators[0].value)
    if (
        method == "count"
        and isinstance(owner, ast.Name)
        and len(node.args) == 1
        and isinstance(node.args[0], ast.Constant)
    ):
        return _Evidence(owner.id, "count", node, constant=node.args[0].value)
    return None


def _sorted_by_verdict(node: ast.ListComp | ast.SetComp | ast.GeneratorExp) -> _Evidence | None:
    """``[key for key, verdict in verdicts.items() if verdict != "GROUNDED"]``: the values of
    ``verdicts`` are verdicts, and the constant names the good one (counted like
    ``verdicts.count("GROUNDED")``)."""
    if len(node.generators) != 1:
        return None
    generator = node.generators[0]
    owner, target = generator.iter, generator.target
    value_name: str | None = None
    if (
        isinstance(owner, ast.Call)
        and isinstance(owner.func, ast.Attribute)
        and owner.func.attr in ("items", "values")
        and not owner.args
    ):
        if owner.func.attr == "items" and isinstance(target, ast.Tuple) and len(target.elts) == 2:
            value = target.elts[1]
            value_name = value.id if isinstance(value, ast.Name) else None
        elif owner.func.attr == "values" and isinstance(target, ast.Name):
            value_name = target.id
        owner = owner.func.value
    if value_name is None or not isinstance(owner, ast.Name):
        return None
    for test in [*generator.ifs, node.elt]:
        if (
            isinstance(test, ast.Compare)
            and len(test.ops) == 1
            and isinstance(test.ops[0], (ast.Eq, ast.NotEq))
            and isinstance(test.left, ast.Name)
            and test.left.id == value_name
            and _constant_str(test.comparators[0]) is not None
        ):
            return _Evidence(owner.id, "count", node, constant=_constant_str(test.comparators[0]))
    return None


def _frame_column(node: ast.AST) -> str | None:
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        column = _constant_str(node.slice)
        if column is not None:
            return f"{node.value.id}[{column!r}]"
    return None


def _assigned_name(node: ast.AST, parents: dict[int, ast.AST]) -> str | None:
    current: ast.AST | None = node
    while current is not None:
        parent = parents.get(id(current))
        if isinstance(parent, (ast.Assign, ast.AnnAssign)):
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
            if len(targets) == 1 and isinstance(targets[0], ast.Name):
                return targets[0].id
            return None
        if isinstance(parent, (ast.stmt, ast.Lambda, ast.comprehension)) or parent is None:
            return None
        current = parent
    return None


# --- datasets: which columns each file has --------------------------------------------------


def _dataset_headers(
    context: NotebookAnalysis, pipeline_dir: Path, root: Path
) -> list[tuple[int, set[str]]]:
    """``(line of the read, columns)`` of each local tabular dataset the notebook reads, when
    it lies inside ``root`` (the repository: nothing outside it is read)."""
    headers = []
    inside = Path(os.path.realpath(root))
    for read in context.dataset_reads:
        if read.kind != "local" or read.download:
            continue
        path = Path(os.path.realpath(os.path.join(pipeline_dir, read.path)))
        if not path.is_relative_to(inside):
            continue
        columns = _header(path)
        if columns:
            headers.append((read.call.node.lineno, columns))
    return headers


def _header(path: Path) -> set[str]:
    suffix = path.suffix.lower()
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            if suffix in (".csv", ".tsv"):
                first = next(csv.reader(handle, delimiter="\t" if suffix == ".tsv" else ","), [])
                return {cell.strip() for cell in first}
            if suffix in (".jsonl", ".ndjson"):
                line = handle.readline(1_000_000)
                document = json.loads(line) if line.strip() else None
                return set(document) if isinstance(document, dict) else set()
    except (OSError, UnicodeDecodeError, ValueError, csv.Error):
        return set()
    return set()


def _id_like(key: str) -> bool:
    lowered = key.lower()
    return lowered in _ID_KEYS or lowered.endswith("_id")


def _id_key(
    source: str,
    facts: _Facts,
    headers: list[tuple[int, set[str]]],
    keys: set[str],
    defined_at: ast.stmt | None,
    program: ast.Module | None = None,
) -> str | None:
    """The id key of the rows of ``source``: one the notebook reads from them, else one of the
    dataset those rows come from (the read in the statements that build ``source``, or in
    those that build the frame it was derived from, ``sample = df.sample(25)``; else the only
    dataset whose columns include every key the notebook reads from them)."""
    used = [key for key in sorted(keys) if _id_like(key)]
    if used:
        return min(used, key=lambda key: (key.lower() not in _ID_KEYS, len(key)))
    candidates: list[set[str]] = []
    statement, seen = defined_at, {source}
    while statement is not None and not candidates:
        start, end = statement.lineno, getattr(statement, "end_lineno", statement.lineno)
        candidates = [columns for line, columns in headers if start <= line <= (end or start)]
        parent = _derived_from(statement) if program is not None else None
        if parent is None or parent in seen or program is None:
            break
        seen.add(parent)
        statement = _definition(program, parent)
    if not candidates and keys:
        candidates = [columns for _, columns in headers if keys <= columns]
    if len(candidates) != 1:
        return None
    ids = sorted(
        (c for c in candidates[0] if _id_like(c)),
        key=lambda key: (key.lower() not in _ID_KEYS, len(key)),
    )
    return ids[0] if ids else None


def _frame_collections(facts: _Facts, frame: str) -> list[_Collection]:
    """The columns the notebook assigns to DataFrame ``frame`` (they are not in its data)."""
    return [
        c
        for versions in facts.collections.values()
        for c in versions
        if c.kind == "column" and c.frame == frame
    ]


def _derived_from(statement: ast.stmt) -> str | None:
    """``df`` for ``sample = df.sample(n=25)``, ``top = df[:10]``, ``rows = df.head().copy()``."""
    if not isinstance(statement, ast.Assign):
        return None
    node: ast.expr = statement.value
    while isinstance(node, (ast.Call, ast.Subscript, ast.Attribute)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


# --- choosing and spelling out the record call ----------------------------------------------


def _from_collections(
    context: NotebookAnalysis,
    facts: _Facts,
    headers: list[tuple[int, set[str]]],
    positional_ids: bool,
    *,
    evident: bool,
) -> MetricWiring | None:
    """The first collection the evidence makes a metric of: aggregated ones, or (``evident``)
    those built from per-example equality tests."""
    chosen: list[tuple[int, int, _Evidence, _Collection]] = []
    for evidence in facts.evidence:
        if (evidence.how == "evident") != evident:
            continue
        versions = facts.collections.get(evidence.subject)
        if not versions:
            continue
        collection = versions[-1]
        if collection.anchor.lineno > evidence.node.lineno:  # type: ignore[attr-defined]
            collection = next(
                (c for c in reversed(versions) if c.anchor.lineno <= evidence.node.lineno),  # type: ignore[attr-defined]
                collection,
            )
        # What the notebook gates on first; earlier lines first.
        rank = 0 if evidence.into in facts.gated_names else 1
        chosen.append((rank, evidence.node.lineno, evidence, collection))  # type: ignore[attr-defined]
    for _rank, _line, evidence, collection in sorted(chosen, key=lambda item: item[:2]):
        wiring = _spell(context, facts, headers, positional_ids, evidence, collection)
        if wiring is not None:
            return wiring
    return None


def _definition(program: ast.Module, name: str) -> ast.stmt | None:
    for anchor, statement in _top_level(program):
        if isinstance(statement, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in statement.targets
        ):
            return anchor
        if isinstance(statement, ast.With) and any(
            isinstance(item.optional_vars, ast.Name) and item.optional_vars.id == name
            for item in statement.items
        ):
            return anchor
    return None


def _spell(
    context: NotebookAnalysis,
    facts: _Facts,
    headers: list[tuple[int, set[str]]],
    positional_ids: bool,
    evidence: _Evidence,
    collection: _Collection,
) -> MetricWiring | None:
    program = context.notebook.program
    name = collection.name
    values: str | None = None
    ids: str | None = None
    ids_note = ""
    metric = _metric_name(evidence.into or name)
    if collection.kind == "column":
        frame, column = collection.frame or "", collection.column or ""
        values = f"{frame}[{column!r}]"
        if evidence.how == "compare":
            values = f"({values} == {evidence.constant!r})"
        elif evidence.how not in ("direct", "evident"):
            return None
        metric = _metric_name(evidence.into or column)
        assigned = {c.column for c in _frame_collections(facts, frame)}
        key = _id_key(
            frame,
            facts,
            headers,
            facts.frame_columns.get(frame, set()) - assigned,
            _definition(program, frame),
            program,
        )
        if key is not None:
            ids, ids_note = f"{frame}[{key!r}]", f"ids from the `{key}` column of `{frame}`"
        found = f"the `{column}` column of DataFrame `{frame}`"
    elif collection.kind == "by-key":
        if evidence.how == "derived-values" and evidence.element is not None:
            element = _rename(evidence.element, evidence.element_target or "", "value")
            values = f"[{element} for value in {name}.values()]"
        elif evidence.how in ("values", "direct", "evident"):
            values = f"list({name}.values())"
        elif evidence.how == "count":
            values = f"[value == {evidence.constant!r} for value in {name}.values()]"
            metric = _metric_name(str(evidence.constant).lower())
        else:
            return None
        ids = f"list({name}.keys())"
        ids_note = f"ids are the keys of `{name}`"
        found = f"dict `{name}` of per-example results"
    elif collection.kind == "records":
        if evidence.how != "derived" or evidence.element is None:
            return None
        element = _rename(evidence.element, evidence.element_target or "", "example")
        values = f"[{element} for example in {name}]"
        key = next((k for k in collection.record_keys if _id_like(k)), None)
        if key is not None:
            ids = f"[example[{key!r}] for example in {name}]"
            ids_note = f"ids from the `{key}` key of each record"
        found = f"list `{name}` of per-example records"
        if evidence.into is None:
            metric = _metric_name(_subscript_key(evidence.element) or name)
    else:  # "list"
        if evidence.how in ("direct", "evident"):
            values = name
        elif evidence.how == "count":
            values = f"[verdict == {evidence.constant!r} for verdict in {name}]"
        elif evidence.how == "derived" and evidence.element is not None:
            element = _rename(evidence.element, evidence.element_target or "", "value")
            values = f"[{element} for value in {name}]"
        else:
            return None
        source = _rows_behind(collection, facts)
        if source is not None:
            key = _id_key(
                source,
                facts,
                headers,
                facts.element_keys.get(source, set()),
                _definition(program, source),
            )
            if key is not None:
                ids = _ids_of(collection, source, key)
                ids_note = f"ids from the `{key}` of each row of `{source}`"
        found = f"list `{name}` (one value per row of `{source or '...'}`)"
    if values is None or _RESOURCE.search(f"{metric} {name}"):
        return None
    if ids is None and positional_ids:
        ids = f"list(range(len({name if collection.kind != 'column' else values})))"
        ids_note = (
            "ids are positions: the data has no id column; they pair examples while the locked"
            " dataset keeps its order"
        )
    elif ids is None:
        ids_note = (
            "no ids: the data has no id column and the pipeline samples or shuffles by `seed`,"
            " so positions do not name examples; add ids=... to gate this metric"
        )
    call = f"nbgraduate.record({metric!r}, {values}"
    call += f", ids={ids})" if ids is not None else ")"
    end = context.end_position(collection.anchor)
    return MetricWiring(metric, (call,), end.cell_index, end.row, found, ids_note)


def _rows_behind(collection: _Collection, facts: _Facts) -> str | None:
    """The name of the rows ``collection`` was computed from, one value per row: through
    lists that are themselves one value per row (``scores = [f(v) for v in verdicts]`` where
    ``verdicts = [judge(row) for row in rows]``) up to the rows the data was read into."""
    source = _iterable_name(collection.iterable) if collection.iterable is not None else None
    if source is None and collection.iterable is not None and collection.target_node is not None:
        # zip(outputs, rows): the sequence whose items the notebook reads keys from
        bound = [name for _, name in _bound_rows(collection.target_node, collection.iterable)]
        source = next((name for name in bound if facts.element_keys.get(name)), None)
    for _ in range(4):
        if source is None or facts.element_keys.get(source):
            return source
        versions = [c for c in facts.collections.get(source, []) if c.kind == "list"]
        if len(versions) != 1 or versions[0].iterable is None:
            return source
        source = _iterable_name(versions[0].iterable)
    return source


def _ids_of(collection: _Collection, source: str, key: str) -> str:
    iterable, target = collection.iterable, collection.target_node
    if iterable is not None and target is not None and _iterable_name(iterable) != source:
        # Walk the same loop again (zip, enumerate) and take the id of each row it pairs.
        element = next(
            (name for name, rows in _bound_rows(target, iterable) if rows == source), None
        )
        if element is not None:
            names = (
                ", ".join(ast.unparse(e) for e in target.elts)
                if isinstance(target, ast.Tuple)
                else ast.unparse(target)
            )
            return f"[{element}[{key!r}] for {names} in {ast.unparse(iterable)}]"
    if (
        isinstance(iterable, ast.Call)
        and isinstance(iterable.func, ast.Attribute)
        and iterable.func.attr in ("iterrows", "itertuples")
    ):
        return f"{source}[{key!r}]"
    return f"[row[{key!r}] for row in {source}]"


def _rename(expression: ast.expr, old: str, new: str) -> str:
    class Renamer(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.Name:
            return ast.Name(new, node.ctx) if node.id == old else node

    return ast.unparse(Renamer().visit(_copy(expression)))


def _copy(node: ast.expr) -> ast.expr:
    return ast.parse(ast.unparse(node), mode="eval").body


def _subscript_key(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Subscript):
        return _constant_str(node.slice)
    return None


def _metric_name(name: str) -> str:
    cleaned = re.sub(r"[^0-9A-Za-z_]+", "_", name).strip("_") or "score"
    if cleaned.endswith("ies") and len(cleaned) > 4:
        cleaned = cleaned[:-3] + "y"  # latencies, accuracies
    elif cleaned.endswith("s") and not cleaned.endswith(("ss", "us", "is")) and len(cleaned) > 3:
        cleaned = cleaned[:-1]
    return cleaned


# --- eval libraries' result objects ---------------------------------------------------------

_LIBRARY_CALLS = {
    "ragas.evaluate": "ragas",
    "ragas.evaluation.evaluate": "ragas",
    "deepeval.evaluate": "deepeval",
    "deepeval.evaluate.evaluate": "deepeval",
    "phoenix.evals.llm_classify": "phoenix-classify",
    "phoenix.experimental.evals.llm_classify": "phoenix-classify",
    "phoenix.evals.run_evals": "phoenix-run-evals",
    "phoenix.experimental.evals.run_evals": "phoenix-run-evals",
    "inspect_ai.eval": "inspect-eval",
    "inspect_ai.log.read_eval_log": "inspect-log",
    "haystack.evaluation.EvaluationRunResult": "haystack",
    "haystack.evaluation.eval_run_result.EvaluationRunResult": "haystack",
}


def _from_libraries(
    context: NotebookAnalysis,
    program: ast.Module,
    qualified: dict[int, str],
    facts: _Facts,
    headers: list[tuple[int, set[str]]],
    positional_ids: bool,
) -> MetricWiring | None:
    for anchor, statement in _top_level(program):
        if not isinstance(statement, ast.Assign) or len(statement.targets) != 1:
            continue
        call = statement.value
        if isinstance(call, ast.Await):
            call = call.value
        if not isinstance(call, ast.Call):
            continue
        library = _LIBRARY_CALLS.get(qualified.get(id(call), ""))
        if library is None:
            continue
        target = statement.targets[0]
        lines = _library_lines(library, target, call, facts, headers, positional_ids, program)
        if lines is None:
            continue
        metric, found, body = lines
        end = context.end_position(anchor)
        return MetricWiring(metric, body, end.cell_index, end.row, found, "")
    return None


def _keyword(call: ast.Call, name: str, position: int | None = None) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    if position is not None and position < len(call.args):
        return call.args[position]
    return None


def _library_lines(
    library: str,
    target: ast.expr,
    call: ast.Call,
    facts: _Facts,
    headers: list[tuple[int, set[str]]],
    positional_ids: bool,
    program: ast.Module,
) -> tuple[str, str, tuple[str, ...]] | None:
    names = (
        [target.id]
        if isinstance(target, ast.Name)
        else [e.id for e in target.elts if isinstance(e, ast.Name)]
        if isinstance(target, (ast.Tuple, ast.List))
        else []
    )
    if not names:
        return None
    result = names[0]
    if library == "ragas" and isinstance(target, ast.Name):
        metrics = _keyword(call, "metrics", 1)
        if isinstance(metrics, (ast.List, ast.Tuple)) and all(
            isinstance(element, (ast.Name, ast.Attribute)) for element in metrics.elts
        ):
            # The metric objects the notebook passed: their names are the frame's columns.
            columns = f"[_metric.name for _metric in {ast.unparse(metrics)}]"
        else:  # built inline (AnswerRelevancy()): not evaluated twice; the score columns
            columns = "_per_sample.select_dtypes('number').columns"
        return (
            "ragas",
            f"the ragas result `{result}` (one score per sample and metric)",
            (
                f"_per_sample = {result}.to_pandas()",
                f"for _name in {columns}:",
                "    _scores = _per_sample[_name].dropna()  # a failed judgement is NaN",
                "    nbgraduate.record(_name, _scores, ids=list(_scores.index))",
            ),
        )
    if library == "deepeval" and isinstance(target, ast.Name):
        cases = f'getattr({result}, "test_results", {result})'
        return (
            "deepeval_success",
            f"the deepeval result `{result}` (pass/fail per test case)",
            (
                f'nbgraduate.record("deepeval_success", [case.success for case in {cases}],'
                f" ids=[case.name for case in {cases}])",
            ),
        )
    if library == "phoenix-classify" and isinstance(target, ast.Name):
        rails = _keyword(call, "rails", 3)
        frame = _keyword(call, "dataframe", 0)
        if rails is None:
            return None
        first = ast.unparse(rails.elts[0]) if isinstance(rails, ast.List) and rails.elts else None
        positive = first or f"{ast.unparse(rails)}[0]"
        label = _constant_str(rails.elts[0]) if isinstance(rails, ast.List) and rails.elts else None
        metric = _metric_name(f"label_{label}" if label else "label_first_rail")
        ids = f"list({result}.index)"
        if isinstance(frame, ast.Name):
            key = _id_key(
                frame.id,
                facts,
                headers,
                facts.frame_columns.get(frame.id, set()),
                _definition(program, frame.id),
            )
            if key is not None:
                ids = f"{frame.id}.loc[{result}.index, {key!r}]"
        return (
            metric,
            f"the phoenix llm_classify frame `{result}` (label per row)",
            (f"nbgraduate.record({metric!r}, {result}['label'] == {positive}, ids={ids})",),
        )
    if library == "phoenix-run-evals":
        evaluators = _keyword(call, "evaluators", 1)
        if not isinstance(evaluators, (ast.List, ast.Tuple)):
            return None
        frames = "[" + ", ".join(names) + "]" if len(names) > 1 else result
        return (
            "phoenix",
            f"the phoenix run_evals frames `{', '.join(names)}` (score per row and evaluator)",
            (
                f"for _evaluator, _frame in zip({ast.unparse(evaluators)}, {frames}):",
                '    _scores = _frame["score"].dropna()  # a failed judgement has no score',
                "    nbgraduate.record(type(_evaluator).__name__, _scores,"
                " ids=list(_scores.index))",
            ),
        )
    if library == "haystack":
        results = _keyword(call, "results", 2)
        if results is None:
            return None
        return (
            "haystack",
            "the Haystack evaluators' `individual_scores` behind `EvaluationRunResult`",
            (
                f"for _name, _output in {ast.unparse(results)}.items():",
                "    _scored = [(_index, _score) for _index, _score in"
                ' enumerate(_output["individual_scores"]) if _score is not None and'
                " _score == _score]  # a failed judgement is None or NaN",
                "    nbgraduate.record(_name, [_score for _, _score in _scored],"
                " ids=[_index for _index, _ in _scored])",
            ),
        )
    if library in ("inspect-eval", "inspect-log") and isinstance(target, ast.Name):
        log = f"{result}[0]" if library == "inspect-eval" else result
        return (
            "inspect_score",
            f"the Inspect log `{log}` (score per sample)",
            (
                "from inspect_ai.scorer import value_to_float",
                'nbgraduate.record("inspect_score", [value_to_float()(next(iter('
                f"sample.scores.values())).value) for sample in {log}.samples],"
                f' ids=[f"{{sample.id}}#{{sample.epoch}}" for sample in {log}.samples])',
            ),
        )
    return None


# --- nothing recognisable: say where ----------------------------------------------------------


def _instruction(
    context: NotebookAnalysis, program: ast.Module, facts: _Facts
) -> MetricInstruction:
    """Before the notebook's gate (``assert accuracy >= ...``) if it has one, else after the
    last top-level statement."""
    line = 'nbgraduate.record("accuracy", per_example_scores, ids=example_ids)'
    for statement in program.body:
        if isinstance(statement, ast.Assert):
            # The value gated on: the compared name (`accuracy >= THRESHOLD`), not a constant.
            test = statement.test
            names = [n.id for n in ast.walk(test) if isinstance(n, ast.Name)]
            if isinstance(test, ast.Compare) and isinstance(test.left, ast.Name):
                names.insert(0, test.left.id)
            names = [n for n in names if not n.isupper()] or ["accuracy"]
            position = context.position(statement)
            metric = _metric_name(names[0])
            line = f'nbgraduate.record("{metric}", per_example_values, ids=example_ids)'
            return MetricInstruction(
                position.cell_index,
                max(position.row - 1, 0),
                line,
                f"the notebook gates on `{ast.unparse(statement.test)}`, a point estimate;"
                " record the per-example values behind it",
            )
    counted = _counting_loop(program)
    if counted is not None:
        loop, counter = counted
        end = context.end_position(loop)
        return MetricInstruction(
            end.cell_index,
            end.row,
            f'nbgraduate.record("{_metric_name(counter)}", per_example_values, ids=example_ids)',
            f"`{counter}` counts examples in the loop that ends there; append one value per"
            " example (and its id) in that loop instead, then record them",
        )
    if program.body:
        end = context.end_position(program.body[-1])
        return MetricInstruction(
            end.cell_index, end.row, line, "no per-example results were recognised"
        )
    return MetricInstruction(None, None, line, "the notebook has no code")


def _counting_loop(program: ast.Module) -> tuple[ast.stmt, str] | None:
    """The first top-level loop that counts (``correct += 1``), and the counter's name."""
    for anchor, statement in _top_level(program):
        if (
            isinstance(anchor, (ast.For, ast.AsyncFor, ast.While))
            and statement is not anchor
            and isinstance(statement, ast.AugAssign)
            and isinstance(statement.op, ast.Add)
            and isinstance(statement.target, ast.Name)
            and isinstance(statement.value, ast.Constant)
            and statement.value.value == 1
        ):
            return anchor, statement.target.id
    return None


# --- the hook conversion calls ----------------------------------------------------------------


def wire_metric(
    document: dict, notebook_path: Path, model_policy: object, root: Path
) -> MetricWiring | MetricInstruction | None:
    """Find the pipeline notebook's per-example results (``document`` is its JSON, about to be
    written to ``notebook_path``) and insert the record call into ``document``; returns what
    was wired, the instruction for a human, or ``None`` when the notebook records already.
    Dataset headers (for an id column) are read only inside ``root``."""
    from nbgraduate.lock.builder import SAMPLING_NAMES
    from nbgraduate.notebook.parameters import PARAMETERS_TAG, parse_parameters_cell
    from nbgraduate.notebook.reader import notebook_from_text

    notebook = notebook_from_text(notebook_path, json.dumps(document))
    if notebook.syntax_errors:
        return None
    parameters_cell = next(
        (c for c in notebook.cells if c.cell_type == "code" and PARAMETERS_TAG in c.tags), None
    )
    names = (
        {p.name for p in parse_parameters_cell(parameters_cell.source)}
        if parameters_cell
        else set()
    )
    # Repeats run with seed, seed+1...: where the rows are sampled or shuffled by the seed, a
    # position names another example in each repeat, so positions are ids only without one.
    positional = not names & set(SAMPLING_NAMES["seed"])
    context = NotebookAnalysis(notebook, model_policy)  # type: ignore[arg-type]
    found = find_metric(context, notebook_path.parent, positional_ids=positional, root=root)
    if isinstance(found, MetricWiring):
        insert_record(document["cells"], found)
    return found
