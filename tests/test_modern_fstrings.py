"""The PEP 701 f-string rewrite, checked against Python's own tokenizer and parser.

Generated f-strings pair a Python 3.12 form with the form an older parser accepts (the nested
string's quote swapped); the rewrite of the first must parse to the second's AST, a form that
already parses must come back unchanged, and every token outside the f-string must stay at its
line and column. Forms no quote swap can fix (a backslash in a field, both quote characters)
must still parse, with placeholders. Hostile inputs must neither crash nor blow up.
"""

from __future__ import annotations

import ast
import io
import sys
import tokenize

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nbgraduate.notebook import modern_fstrings
from nbgraduate.notebook.modern_fstrings import parsable_rewrite, rewrites

# Generated text holds backslashes before any character: the parser's warning is not the subject.
pytestmark = pytest.mark.filterwarnings("ignore:invalid escape sequence")

PARSES = modern_fstrings.parses_with_flags(ast.PyCF_ONLY_AST, "<cell>")
OLD_PYTHON = sys.version_info < (3, 12)
BEFORE = "before = 1; value = "
AFTER = "; after = g(2, k=3)\nlast = after"


def _field_forms(outer: str) -> list[tuple[str, str | None]]:
    """``(3.12 form, older form or None when only a placeholder helps)`` of one field's
    expression, inside an f-string quoted with ``outer``."""
    same, other = outer[0], "'" if outer[0] == '"' else '"'
    single = len(outer) == 1
    nested_same = f"d[{same}k{same}]"
    nested_f = "f" + same + "<{y!r}>" + same
    return [
        ("x", "x"),
        ("x + 1", "x + 1"),
        (f"d[{other}k{other}]", f"d[{other}k{other}]"),
        (nested_same, f"d[{other}k{other}]" if single else nested_same),
        (nested_f, nested_f.replace(same, other) if single else nested_f),
        (
            f"{same}-{same}.join(xs)",
            f"{other}-{other}.join(xs)" if single else f"{same}-{same}.join(xs)",
        ),
        (f"{same}{other}{same} + z", None if single else f"{same}{other}{same} + z"),
        (" {1: x, 2: {3}}[k]", " {1: x, 2: {3}}[k]"),
        ('"\\n".join(xs)', None),
        ("f" + same + '{"\\n".join(y)}' + same, None),
        ("f" + same + "{y:\\t>3}" + same, None),
        ("x if '\\t' else y", None),
    ]


@st.composite
def fstrings(draw: st.DrawFn) -> tuple[str, str | None]:
    """A 3.12 f-string and its older form (``None`` when some field needs a placeholder)."""
    outer = draw(st.sampled_from(["'", '"', "'''", '"""']))
    prefix = draw(st.sampled_from(["f", "F", "rf", "fR"]))
    forms = _field_forms(outer)
    modern, legacy = [prefix + outer], [prefix + outer]
    for _ in range(draw(st.integers(1, 3))):
        modern.append(draw(st.sampled_from(["", "a ", "{{", "}}", " - "])))
        legacy.append(modern[-1])
        expression, older = draw(st.sampled_from(forms))
        suffix = draw(st.sampled_from(["", "!r", ":>10", ":{w}", "!s:^{w}"]))
        modern.append("{" + expression + suffix + "}")
        legacy.append(None if older is None else "{" + older + suffix + "}")
    modern.append(outer)
    legacy.append(outer)
    if any(part is None for part in legacy):
        return "".join(modern), None
    return "".join(modern), "".join(part for part in legacy if part is not None)


def _dump(source: str) -> str:
    return ast.dump(ast.parse(source))


def _assert_other_tokens_kept(original: str, rewritten: str, span: tuple[int, int]) -> None:
    """Every token of ``rewritten`` outside ``span`` (offsets of the f-string) is the
    original's text at the same line and column; every line keeps its length."""
    assert [len(line) for line in rewritten.split("\n")] == [
        len(line) for line in original.split("\n")
    ]
    line_starts = [0]
    for line in original.split("\n"):
        line_starts.append(line_starts[-1] + len(line) + 1)
    checked = 0
    for token in tokenize.generate_tokens(io.StringIO(rewritten).readline):
        if not token.string or token.type in (tokenize.NEWLINE, tokenize.NL):
            continue
        start = line_starts[token.start[0] - 1] + token.start[1]
        end = line_starts[token.end[0] - 1] + token.end[1]
        if end <= span[0] or start >= span[1]:
            assert original[start:end] == token.string, token
            checked += 1
    assert checked >= 17  # every token of BEFORE and AFTER


@settings(max_examples=300, deadline=None)
@given(fstrings())
def test_rewrite_gives_the_older_forms_ast_and_keeps_every_other_token(
    case: tuple[str, str | None],
) -> None:
    modern, legacy = case
    source = BEFORE + modern + AFTER
    span = (len(BEFORE), len(BEFORE) + len(modern))
    candidates = rewrites(source)
    assert candidates, source
    for candidate in candidates:
        assert len(candidate) == len(source)
    if legacy is not None:
        # A quote swap: the finest rewrite is exactly the older form.
        expected = BEFORE + legacy + AFTER
        assert candidates[0] == expected
        assert _dump(candidates[0]) == _dump(expected)
        if not OLD_PYTHON:
            assert _dump(source) == _dump(expected)  # the pairing itself is right
        if legacy == modern:
            assert candidates == [source]  # already legal: left as it is
    if OLD_PYTHON:
        rewritten = parsable_rewrite(source, PARSES)
        if PARSES(source):
            assert rewritten is None
            assert legacy == modern
        else:
            assert rewritten is not None, source
            _assert_other_tokens_kept(source, rewritten, span)
            statements = ast.parse(rewritten).body
            assert [type(node).__name__ for node in statements] == ["Assign"] * 4
            assert statements[2].col_offset == source.index("after")


_PIECES = [*"f\"'{}[]()#\\\n:!=x r+,", 'f"', "f'", 'f"""', "'''", "\\n", "d[", "]"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=30).map("".join))
def test_any_text_keeps_its_shape_and_legal_text_its_meaning(source: str) -> None:
    line_breaks = [index for index, char in enumerate(source) if char == "\n"]
    candidates = rewrites(source)
    for candidate in candidates:
        assert len(candidate) == len(source)
        assert [index for index, char in enumerate(candidate) if char == "\n"] == line_breaks
    if PARSES(source):
        for candidate in candidates:
            assert candidate == source or _dump(candidate) == _dump(source)


LEGAL_EVERYWHERE = [
    'f"{x!r:>{width}} {y=} {z:%H:%M}"',
    "f'''{d[\"k\"]} {f\"{v}\"}'''",
    'f"""{d["k"] + d[\'j\']}"""',
    'rf"\\{x}\\d{{2}}"',
    'f"\\N{BULLET} {x}"',
    'f"{x}" "plain" f"{y}"',
    'f"""{(a +\n  b)}\n"""',
    "f'{a!r}' if f\"{b}\" else rb'\\x00'",
    "# f\"{comment}\"\ns = 'it''s'",
    'f"{lambda_:{w}.{p}}"',
]


@pytest.mark.parametrize("source", LEGAL_EVERYWHERE)
def test_source_the_running_python_parses_is_left_as_it_is(source: str) -> None:
    assert PARSES(source)
    assert all(candidate == source for candidate in rewrites(source))
    assert parsable_rewrite(source, PARSES) is None


MULTI_LINE = [
    # (3.12 source, what the finest parsable rewrite must be)
    (
        'x = f"""{a  # the first\n + b}"""\ny = 1',
        'x = f"""{a' + " " * 13 + '\n + b}"""\ny = 1',
    ),
    ('x = f"{a +\n b}"; y = 1', "x = (" + "_" * 5 + "\n   ); y = 1"),
    ('x = f"""{a \\\n + b}"""', 'x = f"""{a  \n + b}"""'),
    ("x = f'''{\"\\n\".join(\n  rows)}'''", "x = f'''{____.join(\n  rows)}'''"),
    ('x = f"{v if "\\n" "b" else w}"', 'x = f"{' + "_" * 20 + '}"'),
    ('x = f"""{f"{a\n}"}"""', 'x = f"""{' + "_" * 4 + '\n  }"""'),
]


@pytest.mark.parametrize(("source", "expected"), MULTI_LINE)
@pytest.mark.skipif(not OLD_PYTHON, reason="Python 3.12 parses these; nothing is rewritten")
def test_comments_continuations_and_line_breaks_in_fields(source: str, expected: str) -> None:
    assert not PARSES(source)
    assert parsable_rewrite(source, PARSES) == expected


@pytest.mark.skipif(not OLD_PYTHON, reason="Python 3.12 parses it; nothing is rewritten")
def test_a_cell_broken_for_another_reason_is_not_rewritten() -> None:
    source = 'x = f"{row["answer"]}"\ndef broken(:\n    pass'
    assert rewrites(source)[0].startswith("x = f\"{row['answer']}\"")
    assert parsable_rewrite(source, PARSES) is None


HOSTILE = [
    'f"{x',
    'f"{row["a',
    "f'''{x",
    '"abc',
    'f"{x:{',
    'f"\\N{',
    'f"}"',
    'f"{}"',
    'f"{x!}"',
    "f'{'",
    'f"{' + "{" * 10_000 + "}" * 10_000 + '}"',
    'f"{' + "[" * 10_000 + "]" * 10_000 + '}"',
    'f"' + "{{" * 10_000 + '"',
    'f"{' * 10_000 + "x" + '}"' * 10_000,
    'f"{x:{' * 10_000 + "}" * 10_001 + '"',
    'f"{x}' + '"' * 10_000,
    'f"{"' * 5_000,
    "\n".join(['f"{d["k"]}" + \'unterminated'] * 2_000),
]


@pytest.mark.parametrize("source", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_sources_neither_crash_nor_parse_by_accident(source: str) -> None:
    for candidate in rewrites(source):
        assert len(candidate) == len(source)
    rewritten = parsable_rewrite(source, PARSES)
    assert rewritten is None or PARSES(rewritten)


def _lines_run(source: str) -> int:
    """Python lines executed rewriting ``source``: a count of work, not a time."""
    lines = 0

    def trace(_frame: object, event: str, _arg: object) -> object:
        nonlocal lines
        if event == "line":
            lines += 1
        return trace

    previous = sys.gettrace()  # coverage's tracer, in CI: put back afterwards
    sys.settrace(trace)
    try:
        rewrites(source)
    finally:
        sys.settrace(previous)
    return lines


@pytest.mark.parametrize(
    "unit",
    [
        'print(f"{row["a"]} {"\\n".join(xs)} {f"{y}"}")\n',
        'x = f"""{' + 'f"{' * 20 + "y" + '}"' * 20 + '}"""\n',
        'x = f"{' + "[" * 50 + "]" * 50 + '}"\n',
        'x = f"""{a # c\n+ b}""" + f"{{{{{y:{w}}}}}}"\n',
    ],
)
def test_work_grows_linearly_with_the_cell(unit: str) -> None:
    small, large = _lines_run(unit * 200), _lines_run(unit * 1_600)
    assert small > 1_000  # the units are rewritten, not given up on
    assert large < 10 * small  # eight times the text; a quadratic scan would be 64 times
