"""Rewrite Python 3.12 f-strings (PEP 701) so that an older running Python parses the cell.

Python 3.12 lets a replacement field hold anything an expression may hold: the outer quote
(``f"{row["answer"]}"``), backslashes (``f"{'\\n'.join(lines)}"``), comments, and line breaks
inside single-quoted f-strings. nbgraduate runs on Python 3.10 and 3.11 too, whose parser
rejects those cells; without this module such a cell is left out of the analysis and every
model id, dataset read and random draw in it goes unreported, so lint results would depend on
the Python that runs nbgraduate.

Only a cell that fails to parse is rewritten, and every rewrite keeps each line's length and
every other character where it was, so AST positions still point at the cell's own text:

- a nested string whose quote clashes with an enclosing f-string gets the other quote
  character (``row["answer"]`` becomes ``row['answer']``) when its text allows it;
- comments and line-continuation backslashes in a replacement field become spaces;
- a nested string that cannot be made legal (it holds a backslash, or both quote characters)
  becomes a same-length placeholder name (``'\\n'.join(x)`` becomes ``____.join(x)``), so the
  rest of the field (calls, model ids, draws) is still analysed;
- when that still does not parse, the whole replacement field becomes a placeholder, and a
  single-quoted f-string that spans lines becomes a parenthesised placeholder name.

The scan is a hand lexer over the cell text (string prefixes, triple quotes, nested brackets,
``{{``/``}}``, ``\\N{...}``, conversions and format specs); nothing is executed. It is linear in
the cell's length and gives up (the cell is then left out, as before) on unterminated strings and
on f-strings nested deeper than :data:`MAX_NESTING`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

#: F-strings (and format-spec fields) nested deeper than this are not rewritten: the running
#: Python's own parser refuses far shallower nesting, and the lexer recurses once per level.
MAX_NESTING = 50

#: Compared lower-cased: ``Rb"..."`` is a bytes literal too.
_STRING_PREFIXES = frozenset({"r", "u", "b", "br", "rb", "f", "fr", "rf"})
_PLACEHOLDER = "_"
_OPENERS = "([{"
_CLOSERS = ")]"


class _Unlexable(Exception):
    """The text is not a complete program even by Python 3.12's rules: nothing to rewrite."""


class _FieldUnfixable(Exception):
    """A replacement field that only a placeholder can make legal (the coarse rewrite)."""


# The lexer's nodes are plain classes with slots, filled in as the scan goes: they are never
# compared or hashed, and a dataclass would cost every ``nbgraduate lint`` start-up an exec of
# generated code per class.


class _StringToken:
    """A string literal: ``start`` is its prefix, ``end`` is one past the closing quote."""

    __slots__ = (
        "body_end",
        "body_start",
        "end",
        "fields",
        "has_backslash",
        "is_fstring",
        "quote",
        "start",
    )

    def __init__(
        self, start: int, end: int, body_start: int, body_end: int, quote: str, is_fstring: bool
    ) -> None:
        self.start = start
        self.end = end
        self.body_start = body_start
        self.body_end = body_end
        self.quote = quote
        self.is_fstring = is_fstring
        self.fields: list[_Field] = []
        #: A backslash in a literal part (escape sequences): illegal inside a 3.11 field.
        self.has_backslash = False


class _Field:
    """A replacement field ``{...}``: ``start`` is the ``{``, ``end`` one past its ``}``."""

    __slots__ = ("blanks", "end", "spec_fields", "spec_has_backslash", "start", "strings")

    def __init__(self, start: int, end: int) -> None:
        self.start = start
        self.end = end
        self.strings: list[_StringToken] = []
        #: Spans to blank: comments, and the backslashes of line continuations.
        self.blanks: list[tuple[int, int]] = []
        self.spec_fields: list[_Field] = []
        #: A backslash in the format spec: legal there, but not in a field nested in another one.
        self.spec_has_backslash = False


def parsable_rewrite(source: str, parses: Callable[[str], bool]) -> str | None:
    """``source`` with its PEP 701 f-strings rewritten so that ``parses`` accepts it, or ``None``.

    Returns ``None`` on Python 3.12 and later (whose parser needs no rewrite), when the source
    holds no f-string that needed rewriting, or when no rewrite parses.
    """
    if sys.version_info >= (3, 12) or "f" not in source.lower():
        return None
    candidates = rewrites(source)
    for candidate in candidates:
        if candidate != source and parses(candidate):
            return candidate
    return None


def rewrites(source: str) -> list[str]:
    """The rewrites of ``source`` to try, finest first (placeholders for nested strings, then
    for whole fields); empty when the source cannot be lexed."""
    try:
        tokens = _Lexer(source).top_level_fstrings()
    except (_Unlexable, RecursionError):
        return []
    if not tokens:
        return []
    results: list[str] = []
    for coarse in (False, True):
        rewriter = _Rewriter(source, coarse)
        for token in tokens:
            rewriter.top_level(token)
        candidate = rewriter.result()
        if candidate not in results:
            results.append(candidate)
    return results


def parses_with_flags(flags: int, filename: str) -> Callable[[str], bool]:
    """A ``parses`` predicate for :func:`parsable_rewrite` that compiles with ``flags``."""

    def parses(candidate: str) -> bool:
        try:
            compile(candidate, filename, "exec", flags)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False
        return True

    return parses


# -- lexing (Python 3.12 rules) -------------------------------------------------------------------


class _Lexer:
    def __init__(self, source: str) -> None:
        self.source = source
        self.length = len(source)

    def top_level_fstrings(self) -> list[_StringToken]:
        """Every f-string of the program's own code (not those nested in other f-strings)."""
        source, found, position = self.source, [], 0
        while position < self.length:
            char = source[position]
            if char == "#":
                position = self._line_end(position)
            elif char in "'\"":
                position = self._string(position, position, "").end  # no prefix: not an f-string
            elif char.isalnum() or char == "_":
                word_end = self._word_end(position)
                prefix = source[position:word_end]
                if (
                    word_end < self.length
                    and source[word_end] in "'\""
                    and prefix.lower() in _STRING_PREFIXES
                ):
                    token = self._string(position, word_end, prefix.lower())
                    position = token.end
                    if token.is_fstring:
                        found.append(token)
                    continue
                position = word_end
            else:
                position += 1
        return found

    def _word_end(self, position: int) -> int:
        source, length = self.source, self.length
        while position < length and (source[position].isalnum() or source[position] == "_"):
            position += 1
        return position

    def _line_end(self, position: int) -> int:
        end = self.source.find("\n", position)
        return self.length if end < 0 else end

    def _string(self, start: int, quote_at: int, prefix: str, depth: int = 0) -> _StringToken:
        source = self.source
        quote = source[quote_at]
        if source.startswith(quote * 3, quote_at):
            quote *= 3
        body_start = quote_at + len(quote)
        if "f" in prefix:
            if depth > MAX_NESTING:
                raise _Unlexable
            return self._fstring(start, body_start, quote, "r" in prefix, depth)
        # A raw string's backslash, too, keeps the next character from ending the string.
        position = body_start
        while True:
            if position >= self.length:
                raise _Unlexable
            char = source[position]
            if char == "\\":
                position += 2
                continue
            if char == "\n" and len(quote) == 1:
                raise _Unlexable
            if source.startswith(quote, position):
                break
            position += 1
        token = _StringToken(start, position + len(quote), body_start, position, quote, False)
        token.has_backslash = "\\" in source[body_start:position]
        return token

    def _fstring(
        self, start: int, body_start: int, quote: str, raw: bool, depth: int
    ) -> _StringToken:
        source, length = self.source, self.length
        token = _StringToken(start, -1, body_start, -1, quote, True)
        position = body_start
        while True:
            if position >= length:
                raise _Unlexable
            char = source[position]
            if char == "\\":
                token.has_backslash = True
                following = source[position + 1 : position + 2]
                if not raw and following == "N" and source.startswith("{", position + 2):
                    close = source.find("}", position + 3)
                    position = length if close < 0 else close + 1
                elif following in ("{", "}"):
                    position += 1
                else:
                    position += 2
                continue
            if char == "\n" and len(quote) == 1:
                raise _Unlexable
            if source.startswith(quote, position):
                token.body_end = position
                token.end = position + len(quote)
                return token
            if char == "{":
                if source.startswith("{", position + 1):
                    position += 2
                    continue
                replacement = self._field(position, depth, quote)
                token.fields.append(replacement)
                position = replacement.end
                continue
            if char == "}" and source.startswith("}", position + 1):
                position += 2
                continue
            position += 1

    def _field(self, start: int, depth: int, quote: str) -> _Field:
        """One replacement field from its ``{``: expression, conversion and format spec; the
        ``quote`` of its f-string ends the format spec (an error) but not the expression."""
        source, length = self.source, self.length
        replacement = _Field(start, -1)
        position, brackets = start + 1, 0
        while True:
            if position >= length:
                raise _Unlexable
            char = source[position]
            if char in _OPENERS:
                brackets += 1
            elif char in _CLOSERS:
                brackets -= 1
            elif char == "}":
                if brackets == 0:
                    replacement.end = position + 1
                    return replacement
                brackets -= 1
            elif char == "#":
                line_end = self._line_end(position)
                replacement.blanks.append((position, line_end))
                position = line_end
                continue
            elif char == "\\":
                replacement.blanks.append((position, position + 1))
            elif char in "'\"":
                token = self._string(position, position, "", depth + 1)
                replacement.strings.append(token)
                position = token.end
                continue
            elif char.isalnum() or char == "_":
                word_end = self._word_end(position)
                prefix = source[position:word_end].lower()
                if word_end < length and source[word_end] in "'\"" and prefix in _STRING_PREFIXES:
                    token = self._string(position, word_end, prefix, depth + 1)
                    replacement.strings.append(token)
                    position = token.end
                else:
                    position = word_end
                continue
            elif brackets == 0 and char == ":":
                return self._format_spec(replacement, position + 1, depth, quote)
            position += 1

    def _format_spec(self, replacement: _Field, position: int, depth: int, quote: str) -> _Field:
        source, length = self.source, self.length
        while True:
            if position >= length or source.startswith(quote, position):
                raise _Unlexable
            char = source[position]
            if char == "}":
                replacement.end = position + 1
                return replacement
            if char == "{":
                if depth > MAX_NESTING:
                    raise _Unlexable
                nested = self._field(position, depth + 1, quote)
                replacement.spec_fields.append(nested)
                position = nested.end
                continue
            if char == "\\":
                replacement.spec_has_backslash = True
                position += 2
                continue
            position += 1


# -- rewriting (the running Python's rules) -------------------------------------------------------


class _Rewriter:
    """Edits one copy of the source character by character, with an undo log so a nested
    string or field that fails half-way is put back before its placeholder is written."""

    def __init__(self, source: str, coarse: bool) -> None:
        self.source = source
        self.text = list(source)
        self.coarse = coarse
        self._undo: list[tuple[int, str]] = []

    def result(self) -> str:
        return "".join(self.text)

    def top_level(self, token: _StringToken) -> None:
        if len(token.quote) == 1 and "\n" in self.source[token.start : token.end]:
            # A single-quoted string cannot span lines before 3.12: no string can stand here.
            self._fill_name(token.start, token.end)
            self._set(token.start, "(")
            self._set(token.end - 1, ")")
            return
        for replacement in token.fields:
            mark = len(self._undo)
            try:
                self._field(replacement, (token.quote,))
            except _FieldUnfixable:
                self._rollback(mark)
                self._fill_name(replacement.start + 1, replacement.end - 1)

    def _field(self, replacement: _Field, chain: tuple[str, ...]) -> None:
        if replacement.spec_has_backslash and len(chain) > 1:
            raise _FieldUnfixable  # inside another field, where no backslash may stand
        for start, end in replacement.blanks:
            for index in range(start, end):
                self._set(index, " ")
        for nested in replacement.strings:
            mark = len(self._undo)
            if not self._nested_string(nested, chain):
                self._rollback(mark)
                if self.coarse:
                    raise _FieldUnfixable
                self._fill_name(nested.start, nested.end)
        for spec_field in replacement.spec_fields:
            self._field(spec_field, chain)

    def _nested_string(self, token: _StringToken, chain: tuple[str, ...]) -> bool:
        """Make a string inside a replacement field legal for the running Python: its quote
        must not end any enclosing f-string and it may hold no backslash or line break;
        ``False`` when it cannot be."""
        if token.has_backslash:
            return False
        if len(token.quote) == 1 and "\n" in self.source[token.start : token.end]:
            return False
        quote = _usable_quote(self.source, token, chain)
        if quote is None:
            return False
        if quote != token.quote:
            for offset in range(len(quote)):
                self._set(token.body_start - len(quote) + offset, quote[0])
                self._set(token.body_end + offset, quote[0])
        inner_chain = (*chain, quote)
        for replacement in token.fields:
            try:
                self._field(replacement, inner_chain)
            except _FieldUnfixable:
                return False
        return True

    def _fill_name(self, start: int, end: int) -> None:
        """Turn ``source[start:end]`` into a placeholder name: underscores up to the first line
        break, spaces after it (legal inside brackets, and a replacement field is bracketed)."""
        source = self.source
        line_break = source.find("\n", start, end)
        name_end = end if line_break < 0 else line_break
        for index in range(start, end):
            if source[index] != "\n":
                self._set(index, _PLACEHOLDER if index < name_end else " ")

    def _set(self, index: int, char: str) -> None:
        self._undo.append((index, self.text[index]))
        self.text[index] = char

    def _rollback(self, mark: int) -> None:
        undo, text = self._undo, self.text
        while len(undo) > mark:
            index, char = undo.pop()
            text[index] = char


def _usable_quote(source: str, token: _StringToken, chain: tuple[str, ...]) -> str | None:
    """The token's own quote when no enclosing f-string forbids it, else the other quote
    character of the same length when the token's text allows it, else ``None``."""
    own = token.quote
    other = ("'" if own[0] == '"' else '"') * len(own)
    literal_text = _literal_text(source, token)
    for quote in (own, other):
        if quote != own and quote[0] in literal_text:
            continue
        if not any(_forbids(enclosing, quote, literal_text) for enclosing in chain):
            return quote
    return None


def _literal_text(source: str, token: _StringToken) -> str:
    """The token's text outside its replacement fields (those are checked on their own)."""
    pieces, position = [], token.body_start
    for replacement in token.fields:
        pieces.append(source[position : replacement.start])
        position = replacement.end
    pieces.append(source[position : token.body_end])
    return "".join(pieces)


def _forbids(enclosing: str, quote: str, literal_text: str) -> bool:
    if enclosing[0] != quote[0]:
        return enclosing in literal_text
    # A single-quoted f-string ends at any of its quote characters, a triple-quoted one only at
    # three of them: a single-quoted string of that character is legal inside it.
    return len(enclosing) == 1 or len(quote) == 3 or enclosing in literal_text
