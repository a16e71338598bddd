"""Translate IPython cell syntax into plain Python, line for line, keeping what the escapes said.

Rules analyse Python; notebooks contain ``%pip install``, ``!ls``, ``files = !ls``, ``%%bash``
bodies and ``df?``. Each such line becomes a harmless Python line of the same row (so positions
still map 1:1), and the command itself is kept as a :class:`ShellCommand` for the install rules.
Lines inside triple-quoted strings, open brackets and backslash continuations are left alone:
a prompt that contains ``!important`` is text, and ``(a\\n %b)`` is a modulo.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from nbgraduate.notebook.model import CommandOrigin, ShellCommand

#: Cell magics whose body is Python that IPython runs (timed, captured, profiled).
PYTHON_BODY_CELL_MAGICS = frozenset(
    {"capture", "time", "timeit", "prun", "debug", "memit", "mprun", "px", "autoreload"}
)
#: Cell magics whose body is shell script: still checked for installs.
SHELL_CELL_MAGICS = frozenset({"bash", "sh", "script", "system"})
#: Line magics whose argument is Python code.
PYTHON_ARGUMENT_LINE_MAGICS = frozenset({"time", "timeit", "prun", "capture", "memit", "debug"})
#: Line magics that are shell commands in disguise: ``%pip install x`` runs ``pip install x``.
SHELL_LINE_MAGICS = frozenset({"pip", "conda", "mamba", "micromamba", "uv", "sx", "system", "sc"})

_ESCAPE_HINT = re.compile(r"^[ \t]*[%!?]|\?[ \t]*(?:#.*)?$|=[ \t]*[!%]", re.MULTILINE)
_ASSIGNED_ESCAPE = re.compile(
    r"^(?P<target>[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)\s*=\s*(?P<escape>!|%)(?P<rest>.*)$"
)
_HELP = re.compile(r"^\?{1,2}[\w.]+$|^[\w.]+(?:\([^()]*\))?\?{1,2}$|^%?[\w.]+\?{1,2}$")
_MAGIC_NAME = re.compile(r"%{1,2}([\w.-]+)")


@dataclass(slots=True)
class TranslatedCell:
    """A code cell as Python: one line per cell row, plus the escapes that were found."""

    python_lines: list[str]
    column_shifts: list[int]
    commands: list[ShellCommand] = field(default_factory=list)
    cell_magic: str | None = None
    is_python: bool = True


def translate_cell(cell_index: int, source: str) -> TranslatedCell:
    """Translate one code cell; cheap when the cell holds no IPython syntax at all."""
    lines = source.split("\n")
    if not _ESCAPE_HINT.search(source):
        return TranslatedCell(lines, [0] * len(lines))

    first = lines[0].lstrip()
    if first.startswith("%%"):
        return _translate_cell_magic(cell_index, lines)
    translated = TranslatedCell([], [])
    _translate_lines(cell_index, lines, 0, translated)
    return translated


def _translate_cell_magic(cell_index: int, lines: list[str]) -> TranslatedCell:
    header = lines[0].strip()
    match = _MAGIC_NAME.match(header)
    magic = match.group(1) if match else ""
    arguments = header[match.end() :].strip() if match else ""
    translated = TranslatedCell([""], [0], cell_magic=magic)
    if magic in PYTHON_BODY_CELL_MAGICS:
        _translate_lines(cell_index, lines[1:], 1, translated)
        return translated
    translated.is_python = False
    is_shell = magic in SHELL_CELL_MAGICS and (magic != "script" or _is_shell_script(arguments))
    for row, line in enumerate(lines[1:], start=2):
        translated.python_lines.append("")
        translated.column_shifts.append(0)
        text = line.strip()
        if is_shell and text and not text.startswith("#"):
            column = len(line) - len(line.lstrip()) + 1
            translated.commands.append(
                ShellCommand(cell_index, row, column, text, "cell-magic", magic)
            )
    return translated


def _is_shell_script(arguments: str) -> bool:
    return arguments.split()[:1] in (["bash"], ["sh"], ["zsh"])


@dataclass(slots=True)
class _ScanState:
    """What the previous lines left open: a triple-quoted string, brackets, a backslash."""

    triple_quote: str | None = None
    bracket_depth: int = 0
    continued: bool = False

    @property
    def mid_statement(self) -> bool:
        return self.triple_quote is not None or self.bracket_depth > 0 or self.continued


def _translate_lines(
    cell_index: int, lines: list[str], row_offset: int, out: TranslatedCell
) -> None:
    state = _ScanState()
    pending: _PendingCommand | None = None
    for position, line in enumerate(lines):
        row = row_offset + position + 1
        if pending is not None:
            # A backslash-continued escape line: its continuation belongs to the command.
            pending.extend(row, line)
            out.python_lines.append("")
            out.column_shifts.append(0)
            if not line.rstrip().endswith("\\"):
                out.commands.append(pending.finish())
                pending = None
            continue
        if state.mid_statement:
            out.python_lines.append(line)
            out.column_shifts.append(0)
            _advance(state, line)
            continue
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        escape = _classify_escape(stripped)
        if escape is None:
            out.python_lines.append(line)
            out.column_shifts.append(0)
            _advance(state, line)
            continue
        column = len(indent) + escape.text_column + 1
        if escape.python_rest is not None:
            out.python_lines.append(indent + escape.python_rest)
            out.column_shifts.append(len(stripped) - len(escape.python_rest))
            _advance(state, indent + escape.python_rest)
            continue
        out.python_lines.append(indent + escape.replacement)
        out.column_shifts.append(0)
        if escape.command is None:
            continue
        if escape.command.rstrip().endswith("\\"):
            pending = _PendingCommand(
                ShellCommand(
                    cell_index, row, column, escape.command.rstrip(), escape.origin, escape.magic
                )
            )
            continue
        out.commands.append(
            ShellCommand(cell_index, row, column, escape.command, escape.origin, escape.magic)
        )
    if pending is not None:
        out.commands.append(pending.finish())


@dataclass(slots=True)
class _PendingCommand:
    """A shell escape whose line ends in a backslash, gathering its continuation lines."""

    command: ShellCommand
    text: str = ""
    continuations: list[tuple[int, int, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.text = self.command.text

    def extend(self, row: int, line: str) -> None:
        self.text = self.text.rstrip().removesuffix("\\").rstrip() + " "
        stripped = line.strip()
        self.continuations.append((len(self.text), row, len(line) - len(line.lstrip()) + 1))
        self.text += stripped

    def finish(self) -> ShellCommand:
        from dataclasses import replace

        text = self.text.rstrip().removesuffix("\\").rstrip()
        return replace(self.command, text=text, continuations=tuple(self.continuations))


@dataclass(frozen=True, slots=True)
class _Escape:
    """An IPython escape line: the Python that replaces it and the command it carried."""

    replacement: str
    command: str | None
    text_column: int
    origin: CommandOrigin
    magic: str | None = None
    #: Set when the rest of the line is Python that IPython runs (``%time f()``).
    python_rest: str | None = None


def _classify_escape(stripped: str) -> _Escape | None:
    """Recognise an IPython escape at the start of a logical line; ``None`` for plain Python."""
    if stripped.startswith("!"):
        bangs = 2 if stripped.startswith("!!") else 1
        body = stripped[bangs:]
        text_column = bangs + len(body) - len(body.lstrip())
        return _Escape("pass", body.strip(), text_column, "shell")
    if stripped.startswith("%%"):
        # A cell magic below the first line is an error in IPython; treat it as inert.
        return _Escape("pass", None, 0, "line-magic")
    if stripped.startswith("%"):
        match = _MAGIC_NAME.match(stripped)
        if match is None:
            return None
        magic = match.group(1)
        argument = stripped[match.end() :].strip()
        if magic in PYTHON_ARGUMENT_LINE_MAGICS and argument:
            return _Escape("pass", None, 0, "line-magic", magic, python_rest=argument)
        return _Escape("pass", stripped[1:].strip(), 1, "line-magic", magic)
    assigned = _ASSIGNED_ESCAPE.match(stripped)
    if assigned is not None:
        rest = assigned.group("rest")
        is_shell = assigned.group("escape") == "!"
        magic_match = None if is_shell else _MAGIC_NAME.match("%" + rest)
        magic = magic_match.group(1) if magic_match else None
        command = rest.strip()
        if magic in ("sx", "system", "sc"):
            command = rest[len(magic) :].strip()
        return _Escape(
            f"{assigned.group('target')} = ...",
            command,
            assigned.start("escape") + 1,
            "shell" if is_shell else "line-magic",
            magic,
        )
    code = stripped.split("#", 1)[0].rstrip()
    if code and _HELP.match(code):
        return _Escape("pass", None, 0, "line-magic")
    return None


def _advance(state: _ScanState, line: str) -> None:
    """Update what the line leaves open; good enough for real notebooks, not a tokenizer."""
    index = 0
    length = len(line)
    state.continued = False
    while index < length:
        if state.triple_quote is not None:
            end = line.find(state.triple_quote, index)
            while end > 0 and _escaped(line, end):
                end = line.find(state.triple_quote, end + 1)
            if end == -1:
                return
            index = end + 3
            state.triple_quote = None
            continue
        char = line[index]
        if char == "#":
            return
        if char in "\"'":
            if line.startswith(char * 3, index):
                state.triple_quote = char * 3
                index += 3
                continue
            index = _skip_short_string(line, index + 1, char)
            continue
        if char in "([{":
            state.bracket_depth += 1
        elif char in ")]}":
            state.bracket_depth = max(0, state.bracket_depth - 1)
        elif char == "\\" and index == length - 1:
            state.continued = True
        index += 1


def _escaped(line: str, position: int) -> bool:
    backslashes = 0
    while position - backslashes - 1 >= 0 and line[position - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def _skip_short_string(line: str, index: int, quote: str) -> int:
    while index < len(line):
        char = line[index]
        if char == "\\":
            index += 2
            continue
        if char == quote:
            return index + 1
        index += 1
    return index
