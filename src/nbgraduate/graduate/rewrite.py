"""Rewrite one notebook cell through libcst, keeping its comments, formatting and IPython lines.

Only the converter imports this module (libcst costs ~0.5 s to import; the linter never pays it).
The converter plans edits at positions the linter found (cell rows and columns); this module
applies them. IPython escapes (``%matplotlib inline``, ``files = !ls``) are not Python, so each
such row is swapped for a unique placeholder statement before libcst parses the cell and swapped
back afterwards; rows keep their numbers, so the planned positions stay valid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from nbgraduate.core import regex_cache
from nbgraduate.notebook.ipython_syntax import translate_cell


@dataclass(frozen=True, slots=True)
class Span:
    """A node's extent in cell coordinates: rows from 1, columns from 1, end exclusive."""

    row: int
    column: int
    end_row: int
    end_column: int


@dataclass(slots=True)
class CellEdits:
    """Everything to change in one cell."""

    replace_expressions: dict[Span, str] = field(default_factory=dict)
    remove_statements: set[tuple[int, int]] = field(default_factory=set)
    add_keywords: dict[Span, list[tuple[str, str]]] = field(default_factory=dict)
    insert_after: dict[tuple[int, int], list[str]] = field(default_factory=dict)
    insert_before: dict[tuple[int, int], list[str]] = field(default_factory=dict)
    remove_escape_rows: set[int] = field(default_factory=set)
    #: ``row -> new line`` for IPython escape lines (``%run helper.py`` re-pointed).
    replace_escape_rows: dict[int, str] = field(default_factory=dict)
    prepend: list[str] = field(default_factory=list)
    #: ``(row, column) of NAME = literal -> type``: annotate it as ``NAME: type = literal``.
    annotate: dict[tuple[int, int], str] = field(default_factory=dict)

    def is_empty(self) -> bool:
        return not (
            self.replace_expressions
            or self.remove_statements
            or self.add_keywords
            or self.insert_after
            or self.insert_before
            or self.remove_escape_rows
            or self.replace_escape_rows
            or self.prepend
            or self.annotate
        )


class RewriteError(Exception):
    """A planned edit could not be applied; the converter refuses rather than guess."""


_PLACEHOLDER = "_nbgraduate_escape_{row}_"
_PLACEHOLDER_LINE = regex_cache.compile(r"^(?P<indent>[ \t]*)_nbgraduate_escape_(?P<row>\d+)_$")


def rewrite_cell(source: str, edits: CellEdits) -> str:
    """Apply ``edits`` to a code cell's source and return the new source."""
    if edits.is_empty():
        return source
    original_lines = source.split("\n")
    translated = translate_cell(0, source)
    escape_rows: dict[int, str] = {}
    cst_lines: list[str] = []
    for row, (original, python) in enumerate(
        zip(original_lines, translated.python_lines, strict=True), start=1
    ):
        if original == python:
            cst_lines.append(original)
            continue
        escape_rows[row] = original
        indent = _indent_of(python if python.strip() else _previous_indent(cst_lines))
        cst_lines.append(indent + _PLACEHOLDER.format(row=row))
    cst_source = "\n".join(cst_lines)

    try:
        module = cst.parse_module(cst_source)
    except cst.ParserSyntaxError as error:
        raise RewriteError(f"libcst cannot parse the cell: {error.message}") from None
    wrapper = MetadataWrapper(module)
    transformer = _Editor(edits)
    rewritten = wrapper.visit(transformer)
    missing = transformer.unapplied()
    if missing:
        raise RewriteError(f"could not apply {len(missing)} edit(s) at {sorted(missing)[:3]}")
    lines = rewritten.code.split("\n")
    restored = []
    for line in lines:
        match = _PLACEHOLDER_LINE.match(line)
        if match is None:
            restored.append(line)
            continue
        row = int(match.group("row"))
        restored.append(edits.replace_escape_rows.get(row, escape_rows[row]))
    text = "\n".join(restored)
    if edits.prepend:
        text = "\n".join(edits.prepend) + "\n" + text
    return _collapse_blank_runs(text)


def _indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _previous_indent(lines: list[str]) -> str:
    for line in reversed(lines):
        if line.strip():
            return _indent_of(line)
    return ""


def _collapse_blank_runs(text: str) -> str:
    """Removing statements can leave runs of blank lines; keep at most two, and no leading ones."""
    text = re.sub(r"\n{4,}", "\n\n\n", text)
    return text.lstrip("\n")


_LITERAL_TYPES = (
    "SimpleString",
    "ConcatenatedString",
    "FormattedString",
    "Integer",
    "Float",
    "Imaginary",
    "UnaryOperation",
    "List",
    "Tuple",
    "Dict",
    "Call",
    "BinaryOperation",
)


class _Editor(cst.CSTTransformer):
    """Applies :class:`CellEdits`, matching nodes by their exact position in the cell."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, edits: CellEdits) -> None:
        super().__init__()
        self.pending_expressions = dict(edits.replace_expressions)
        self.pending_removals = set(edits.remove_statements)
        self.pending_keywords = dict(edits.add_keywords)
        self.pending_inserts = dict(edits.insert_after)
        self.pending_inserts_before = dict(edits.insert_before)
        self.pending_escape_removals = set(edits.remove_escape_rows)
        self.pending_annotations = dict(edits.annotate)

    def _span(self, node: cst.CSTNode) -> Span:
        code_range = self.get_metadata(PositionProvider, node)
        return Span(
            code_range.start.line,
            code_range.start.column + 1,
            code_range.end.line,
            code_range.end.column + 1,
        )

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode):
        if isinstance(original_node, cst.BaseExpression):
            return self._leave_expression(original_node, updated_node)
        if isinstance(original_node, cst.BaseSmallStatement):
            return self._leave_small_statement(original_node, updated_node)
        if isinstance(original_node, cst.SimpleStatementLine):
            return self._leave_statement_line(original_node, updated_node)
        return updated_node

    def _leave_expression(self, original_node: cst.BaseExpression, updated_node: cst.CSTNode):
        if type(original_node).__name__ not in _LITERAL_TYPES:
            return updated_node
        span = self._span(original_node)
        replacement = self.pending_expressions.pop(span, None)
        if replacement is not None:
            return cst.parse_expression(replacement)
        keywords = (
            self.pending_keywords.pop(span, None) if isinstance(updated_node, cst.Call) else None
        )
        if keywords:
            return _with_keywords(updated_node, keywords)
        return updated_node

    def _leave_small_statement(
        self, original_node: cst.BaseSmallStatement, updated_node: cst.CSTNode
    ):
        span = self._span(original_node)
        if (span.row, span.column) in self.pending_removals:
            self.pending_removals.discard((span.row, span.column))
            return cst.RemovalSentinel.REMOVE
        if _is_placeholder(original_node) and span.row in self.pending_escape_removals:
            self.pending_escape_removals.discard(span.row)
            return cst.RemovalSentinel.REMOVE
        annotation = self.pending_annotations.pop((span.row, span.column), None)
        if annotation is not None and isinstance(updated_node, cst.Assign):
            return cst.AnnAssign(
                target=updated_node.targets[0].target,
                annotation=cst.Annotation(
                    cst.Name(annotation), whitespace_before_indicator=cst.SimpleWhitespace("")
                ),
                value=updated_node.value,
                semicolon=updated_node.semicolon,
            )
        return updated_node

    def _leave_statement_line(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.CSTNode
    ):
        span = self._span(original_node)
        inserts = self.pending_inserts.pop((span.row, span.column), None) or []
        before = self.pending_inserts_before.pop((span.row, span.column), None) or []
        if not inserts and not before:
            return updated_node
        new_after = [cst.parse_statement(code) for code in inserts]
        new_before = [cst.parse_statement(code) for code in before]
        if before and not isinstance(updated_node, cst.RemovalSentinel):
            # The statement's leading comments and blank lines stay above the inserted code.
            new_before[0] = new_before[0].with_changes(leading_lines=updated_node.leading_lines)
            updated_node = updated_node.with_changes(leading_lines=())
        if isinstance(updated_node, cst.RemovalSentinel):
            return cst.FlattenSentinel([*new_before, *new_after])
        return cst.FlattenSentinel([*new_before, updated_node, *new_after])

    def unapplied(self) -> set[tuple[int, int]]:
        left = {(span.row, span.column) for span in self.pending_expressions}
        left |= set(self.pending_removals)
        left |= {(span.row, span.column) for span in self.pending_keywords}
        left |= set(self.pending_inserts)
        left |= set(self.pending_inserts_before)
        left |= {(row, 1) for row in self.pending_escape_removals}
        left |= set(self.pending_annotations)
        return left


def _is_placeholder(node: cst.CSTNode) -> bool:
    return (
        isinstance(node, cst.Expr)
        and isinstance(node.value, cst.Name)
        and node.value.value.startswith("_nbgraduate_escape_")
    )


def _with_keywords(call: cst.Call, keywords: list[tuple[str, str]]) -> cst.Call:
    arguments = list(call.args)
    if arguments and arguments[-1].comma is cst.MaybeSentinel.DEFAULT:
        arguments[-1] = arguments[-1].with_changes(
            comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        )
    for index, (name, code) in enumerate(keywords):
        # An empty name appends a positional argument (``default_rng()`` → ``default_rng(seed)``).
        argument = (
            cst.Arg(
                keyword=cst.Name(name),
                value=cst.parse_expression(code),
                equal=cst.AssignEqual(
                    whitespace_before=cst.SimpleWhitespace(""),
                    whitespace_after=cst.SimpleWhitespace(""),
                ),
            )
            if name
            else cst.Arg(value=cst.parse_expression(code))
        )
        if index < len(keywords) - 1:
            argument = argument.with_changes(
                comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            )
        arguments.append(argument)
    return call.with_changes(args=arguments)
