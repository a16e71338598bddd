"""Translate IPython cell syntax into plain Python, line for line, keeping what the escapes said.

Rules analyse Python; notebooks contain ``%pip install``, ``!ls``, ``files = !ls``, ``%%bash``
bodies and ``df?``. Each such line becomes a harmless Python line of the same row (so positions
still map 1:1), and the command itself is kept as a :class:`ShellCommand` for the install rules.
Lines inside triple-quoted strings, open brackets and backslash continuations are left alone:
a prompt that contains ``!important`` is text, and ``(a\\n %b)`` is a modulo.
"""

from __future__ import annotations

from nbgraduate.core import regex_cache
from nbgraduate.core.records import Record
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

_ASSIGNED_ESCAPE = regex_cache.compile(
    r"^(?P<target>[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)\s*=\s*(?P<escape>!|%)(?P<rest>.*)$"
)
# IPython's help syntax: ``?obj``, ``obj?``, ``obj.attr??``, ``%magic?``, ``items[0]?``; a call
# (``f(x)?``) is not help but a syntax error, as in IPython.
_HELP_TARGET = r"%{0,2}(?!\d)[\w*]+(?:\.(?!\d)[\w*]+|\[-?\d+\])*"
_HELP = regex_cache.compile(rf"^(?:\?{{1,2}}{_HELP_TARGET}|{_HELP_TARGET}\?{{1,2}})$")
# Prompts of pasted sessions, which IPython strips before running a cell: ``>>> `` and ``... ``
# (doctest), ``In [3]: `` and ``   ...: ``.
_CLASSIC_FIRST_PROMPT = regex_cache.compile(r"^\s*>>>(?:[ \t]|$)")
_CLASSIC_PROMPT = regex_cache.compile(r"^\s*(?:>>>|\.\.\.)[ \t]?")
_IPYTHON_PROMPT = regex_cache.compile(r"^(?:(?:\[nav\]|\[ins\])? ?In \[\d+\]: |\s*\.{3,}: ?)")
_MAGIC_NAME = regex_cache.compile(r"%{1,2}([\w.-]+)")


class TranslatedCell(Record):
    """A code cell as Python: one line per cell row, plus the escapes that were found."""

    _fields = ("python_lines", "column_shifts", "commands", "cell_magic", "is_python")
    __slots__ = _fields

    def __init__(
        self,
        python_lines: list[str],
        column_shifts: list[int],
        commands: list[ShellCommand] | None = None,
        cell_magic: str | None = None,
        is_python: bool = True,
    ) -> None:
        self.python_lines = python_lines
        self.column_shifts = column_shifts
        self.commands = [] if commands is None else commands
        self.cell_magic = cell_magic
        self.is_python = is_python


#: Whether the first line that is not blank from a position on may start with a prompt
#: (:func:`_may_start_prompt`): ``\s`` and ``str.isspace`` hold the same characters.
_PROMPT_AHEAD = regex_cache.compile(r"\s*[>.I\[]")

#: IPython's automagic: a cell of one line that starts with the name of an install magic runs
#: that magic (``pip install x`` is ``%pip install x``), unless the rest starts with ``=`` or
#: ``,`` (an assignment). IPython's prefilter applies it to one-line cells only: in a longer cell
#: the same line is a syntax error.
_AUTOMAGIC = regex_cache.compile(r"^(pip|conda|mamba|micromamba)(?:[ \t]+(?![=,])\S.*)?[ \t]*$")


def translate_cell(cell_index: int, source: str) -> TranslatedCell:
    """Translate one code cell; cheap when the cell holds no IPython syntax at all.

    First the cell is cleaned up as IPython cleans it before running it: the indentation
    common to all lines is removed (a pasted indented block runs) and so are the prompts of a
    pasted session (``>>> ``, ``In [3]: ``). Removed characters are column shifts, so findings
    still point at the cell's own text.
    """
    lines = source.split("\n")
    removed = _strip_paste_artifacts(lines)
    automagic = _automagic(cell_index, lines)
    if automagic is not None:
        return _shifted(automagic, removed) if any(removed) else automagic
    # Every escape holds one of ``%!?``: three substring tests spare most cells the search.
    if not ("%" in source or "!" in source or "?" in source):
        return TranslatedCell(lines, removed)
    if not _may_hold_escape("\n".join(lines) if any(removed) else source):
        return TranslatedCell(lines, removed)

    first_row = next((row for row, line in enumerate(lines) if line.strip()), 0)
    if lines[first_row].startswith("%%"):
        translated = _translate_cell_magic(cell_index, lines, first_row)
    else:
        translated = TranslatedCell([], [])
        _translate_lines(cell_index, lines, 0, translated)
    return _shifted(translated, removed) if any(removed) else translated


def untranslated_rows(source: str) -> int | None:
    """The number of rows of a cell that :func:`translate_cell` returns as it is, told from its
    text without splitting it into lines; ``None`` when the cell may need translating.

    Most cells qualify, an empty cell among them (one empty row): their first line is not
    indented (no indentation is common to all lines), neither of their first two non-blank
    lines may start with a prompt, they are not an automagic ``pip install`` line and no line
    may be an escape.
    """
    if not source:
        return 1  # an empty cell is one empty row
    # A test of one character, rather than a function or regex call, decides for most cells.
    first = source[0]
    if first.isspace() or first in ">.I[":  # the first line may start with a prompt
        return None
    first_break = source.find("\n")
    if first_break in (-1, len(source) - 1):
        if _AUTOMAGIC.match(source[:first_break] if first_break != -1 else source):
            return None
        first_break = len(source)
    # The second line that is not blank may start with a prompt: the regex is needed only when
    # the line after the first is blank or indented.
    following = source[first_break + 1 : first_break + 2]
    if following.isspace():
        if _PROMPT_AHEAD.match(source, first_break + 1):
            return None
    elif following and following in ">.I[":
        return None
    if ("%" in source or "!" in source or "?" in source) and _may_hold_escape(source):
        return None
    return source.count("\n") + 1


def _may_hold_escape(text: str) -> bool:
    """Whether a line of ``text`` may be an IPython escape: a ``%``, ``!`` or ``?`` after its
    indentation, a ``?`` ending it (before a comment), or an ``= !`` or ``= %``.

    A cell holds few of those characters: they are found with ``str.find`` (``memchr``, in C)
    and only what surrounds each is looked at. A regex search for the same shapes tested every
    character of the cell, the prose of its long strings included.
    """
    for mark in "%!?":
        found = text.find(mark)
        while found != -1:
            before = text[text.rfind("\n", 0, found) + 1 : found].rstrip(" \t")
            if not before:
                return True
            if mark == "?":
                end = text.find("\n", found)
                after = text[found + 1 : end if end != -1 else len(text)].lstrip(" \t")
                if not after or after.startswith("#"):
                    return True
            elif before.endswith("="):
                return True
            found = text.find(mark, found + 1)
    return False


def _automagic(cell_index: int, lines: list[str]) -> TranslatedCell | None:
    """A one-line cell such as ``pip install x`` as IPython runs it: the ``%pip`` magic."""
    first = 0
    while first < len(lines) and not lines[first].strip():
        first += 1
    # One line after IPython drops the leading blank ones (a final newline adds no line).
    after = len(lines) - first - 1
    if after < 0 or after > 1 or (after == 1 and lines[-1]):
        return None
    line = lines[first]
    stripped = line.lstrip()
    match = _AUTOMAGIC.match(stripped)
    if match is None:
        return None
    python_lines = list(lines)
    python_lines[first] = "pass"
    indent = len(line) - len(stripped)
    command = ShellCommand(
        cell_index, first + 1, indent + 1, stripped.strip(), "line-magic", match.group(1)
    )
    return TranslatedCell(python_lines, [0] * len(lines), [command])


def _strip_paste_artifacts(lines: list[str]) -> list[int]:
    """Remove, in place, what IPython's clean-up removes; the characters removed per line."""
    removed = [0] * len(lines)
    _strip_prompts(lines, removed)
    margin = _common_indent(lines)
    if margin:
        for row, line in enumerate(lines):
            cut = len(margin) if line.startswith(margin) else len(line) - len(line.lstrip())
            lines[row] = line[cut:]
            removed[row] += cut
    return removed


def _strip_prompts(lines: list[str], removed: list[int]) -> None:
    # The first two non-blank lines decide; a cell's other lines are not looked at. A plain
    # loop that stops at the second: it runs for every code cell.
    content: list[str] = []
    for line in lines:
        if line and not line.isspace():  # ``line.strip()`` without the copy
            content.append(line)
            if len(content) == 2:
                break
    if not content:
        return
    # A test of the first character spares most cells the regexes.
    if not (_may_start_prompt(content[0]) or (len(content) > 1 and _may_start_prompt(content[1]))):
        return
    if _CLASSIC_FIRST_PROMPT.match(content[0]):
        prompt = _CLASSIC_PROMPT
    elif _IPYTHON_PROMPT.match(content[0]) or (
        len(content) > 1 and _IPYTHON_PROMPT.match(content[1])
    ):
        prompt = _IPYTHON_PROMPT
    else:
        return
    for row, line in enumerate(lines):
        match = prompt.match(line)
        if match:
            lines[row] = line[match.end() :]
            removed[row] += match.end()


def _may_start_prompt(line: str) -> bool:
    """Whether the (not blank) ``line`` may start with a prompt: every prompt starts with one
    of ``>.I[`` once the line's leading whitespace is removed."""
    first = line[0]
    if first.isspace():
        first = line.lstrip()[0]
    return first in ">.I["


def _common_indent(lines: list[str]) -> str:
    """The whitespace every non-blank line starts with (``textwrap.dedent``'s margin)."""
    margin: str | None = None
    for line in lines:
        if not line.strip():
            continue
        indent = line[: len(line) - len(line.lstrip())]
        if margin is None or indent.startswith(margin):
            margin = indent if margin is None else margin
        elif margin.startswith(indent):
            margin = indent
        else:
            margin = margin[: len(_shared_prefix(margin, indent))]
        if not margin:
            return ""
    return margin or ""


def _shared_prefix(first: str, second: str) -> str:
    size = 0
    while size < min(len(first), len(second)) and first[size] == second[size]:
        size += 1
    return first[:size]


def _shifted(translated: TranslatedCell, removed: list[int]) -> TranslatedCell:
    """``translated`` with the characters the clean-up removed added back to its columns."""
    translated.column_shifts = [
        shift + removed[row] for row, shift in enumerate(translated.column_shifts)
    ]
    translated.commands = [
        command.replace(
            column=command.column + removed[command.row - 1],
            continuations=tuple(
                (offset, row, column + removed[row - 1])
                for offset, row, column in command.continuations
            ),
        )
        for command in translated.commands
    ]
    return translated


def _translate_cell_magic(cell_index: int, lines: list[str], header_row: int) -> TranslatedCell:
    header = lines[header_row].strip()
    match = _MAGIC_NAME.match(header)
    magic = match.group(1) if match else ""
    arguments = header[match.end() :].strip() if match else ""
    translated = TranslatedCell([""] * (header_row + 1), [0] * (header_row + 1), cell_magic=magic)
    body = lines[header_row + 1 :]
    if magic in PYTHON_BODY_CELL_MAGICS:
        _translate_lines(cell_index, body, header_row + 1, translated)
        return translated
    translated.is_python = False
    is_shell = magic in SHELL_CELL_MAGICS and (magic != "script" or _is_shell_script(arguments))
    for row, line in enumerate(body, start=header_row + 2):
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


class _ScanState(Record):
    """What the previous lines left open: a triple-quoted string, brackets, a backslash."""

    _fields = ("triple_quote", "bracket_depth", "continued")
    __slots__ = _fields

    def __init__(
        self, triple_quote: str | None = None, bracket_depth: int = 0, continued: bool = False
    ) -> None:
        self.triple_quote = triple_quote
        self.bracket_depth = bracket_depth
        self.continued = continued

    @property
    def mid_statement(self) -> bool:
        return self.triple_quote is not None or self.bracket_depth > 0 or self.continued


def _translate_lines(
    cell_index: int, lines: list[str], row_offset: int, out: TranslatedCell
) -> None:
    state = _ScanState()
    pending: _PendingCommand | None = None
    previous = ""
    # Every escape holds a ``%``, ``!`` or ``?``: past the last line holding one (and past a
    # command's continuation lines) every line is Python, taken as it is without scanning it
    # for what it leaves open (a ``%pip install`` on top of a long cell is the common case).
    text = "\n".join(lines)
    last_mark = max(text.rfind("%"), text.rfind("!"), text.rfind("?"))
    last_escape = text.count("\n", 0, last_mark) if last_mark >= 0 else -1
    for position, line in enumerate(lines):
        if position > last_escape and pending is None:
            out.python_lines.extend(lines[position:])
            out.column_shifts.extend([0] * (len(lines) - position))
            break
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
            escape = _continued_assignment(state, previous, line)
            if escape is not None:
                # ``x = \`` then ``!ls``: one logical line, ``x = !ls``, as IPython reads it.
                indent = line[: len(line) - len(line.lstrip())]
                out.python_lines.append(indent + escape.replacement)
                out.column_shifts.append(0)
                column = len(indent) + escape.text_column + 1
                out.commands.append(
                    ShellCommand(cell_index, row, column, escape.command or "", escape.origin)
                )
                state.continued = False
                previous = line
                continue
            out.python_lines.append(line)
            out.column_shifts.append(0)
            _advance(state, line)
            previous = line
            continue
        previous = line
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


_CONTINUED_ASSIGNMENT = regex_cache.compile(
    r"^\s*[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*\\$"
)


def _continued_assignment(state: _ScanState, previous: str, line: str) -> _Escape | None:
    """``!cmd`` or ``%magic`` continuing ``target = \\`` from the line before."""
    stripped = line.lstrip()
    if not (state.continued and state.bracket_depth == 0 and state.triple_quote is None):
        return None
    if not _CONTINUED_ASSIGNMENT.match(previous) or stripped[:1] not in ("!", "%"):
        return None
    if stripped.startswith("%%"):
        return None
    is_shell = stripped.startswith("!")
    body = stripped[1:]
    text_column = 1 + len(body) - len(body.lstrip())
    return _Escape("...", body.strip(), text_column, "shell" if is_shell else "line-magic")


class _PendingCommand(Record):
    """A shell escape whose line ends in a backslash, gathering its continuation lines."""

    _fields = ("command", "text", "continuations")
    __slots__ = _fields

    def __init__(
        self,
        command: ShellCommand,
        text: str = "",
        continuations: list[tuple[int, int, int]] | None = None,
    ) -> None:
        self.command = command
        self.text = command.text
        self.continuations = [] if continuations is None else continuations

    def extend(self, row: int, line: str) -> None:
        self.text = self.text.rstrip().removesuffix("\\").rstrip() + " "
        stripped = line.strip()
        self.continuations.append((len(self.text), row, len(line) - len(line.lstrip()) + 1))
        self.text += stripped

    def finish(self) -> ShellCommand:
        text = self.text.rstrip().removesuffix("\\").rstrip()
        return self.command.replace(text=text, continuations=tuple(self.continuations))


class _Escape(Record):
    """An IPython escape line: the Python that replaces it and the command it carried."""

    _fields = ("replacement", "command", "text_column", "origin", "magic", "python_rest")
    __slots__ = _fields

    def __init__(
        self,
        replacement: str,
        command: str | None,
        text_column: int,
        origin: CommandOrigin,
        magic: str | None = None,
        #: Set when the rest of the line is Python that IPython runs (``%time f()``).
        python_rest: str | None = None,
    ) -> None:
        self.replacement = replacement
        self.command = command
        self.text_column = text_column
        self.origin = origin
        self.magic = magic
        self.python_rest = python_rest


def _classify_escape(stripped: str) -> _Escape | None:
    """Recognise an IPython escape at the start of a logical line; ``None`` for plain Python."""
    if not ("%" in stripped or "!" in stripped or "?" in stripped):
        return None  # every escape holds one of them: most lines need none of the regexes
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


# What can open or close something, or continue the line; other characters are skipped in C.
_SIGNIFICANT = regex_cache.compile(r"[\"'()\[\]{}#\\]")


def _advance(state: _ScanState, line: str) -> None:
    """Update what the line leaves open; good enough for real notebooks, not a tokenizer."""
    index = 0
    length = len(line)
    state.continued = False
    next_significant = _SIGNIFICANT.search
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
        found = next_significant(line, index)
        if found is None:
            return
        index = found.start()
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
