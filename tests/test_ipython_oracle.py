"""IPython's own ``InteractiveShell.transform_cell`` as the oracle of our IPython-syntax
translation: the static transforms (``TransformerManager``) plus the prefilter IPython applies to
one-line cells (automagic: ``pip install x`` runs ``%pip``).

Ours stays (it is many times faster and keeps every row where it was, so findings point at the
cell's own lines); IPython defines what the syntax means. For every code cell of the real
corpus, and for a list of constructs people write, the two translations must agree: both parse
or both fail, and every line ours leaves as Python is the line IPython runs (after IPython's
clean-up: leading blank lines dropped, common indentation and pasted prompts removed).
"""

from __future__ import annotations

import ast
import json
import warnings
from collections.abc import Iterator

import pytest
from corpus_dir import CORPUS, needs_corpus

from nbgraduate.notebook.ipython_syntax import (
    PYTHON_BODY_CELL_MAGICS,
    TranslatedCell,
    translate_cell,
)


class _Oracle:
    """One IPython shell, made on first use, its profile in a temporary directory and its
    history in memory, so the test writes nothing outside its own temp space."""

    def __init__(self) -> None:
        self._shell = None

    def transform_cell(self, source: str) -> str:
        if self._shell is None:
            import os
            import tempfile

            from IPython.core.interactiveshell import InteractiveShell
            from traitlets.config import Config

            config = Config()
            config.HistoryManager.hist_file = ":memory:"
            before = os.environ.get("IPYTHONDIR")
            os.environ["IPYTHONDIR"] = tempfile.mkdtemp(prefix="nbg-ipython-")
            try:
                self._shell = InteractiveShell(config=config)
            finally:
                if before is None:
                    del os.environ["IPYTHONDIR"]
                else:
                    os.environ["IPYTHONDIR"] = before
        return self._shell.transform_cell(source)


ORACLE = _Oracle()

CONSTRUCTS = [
    "%pip install -q openai\nimport openai",
    "files = !ls *.py\nprint(files)",
    "x, y = !ls",
    "result = %sx ls",
    "x = %time f()",
    "%time x = 1",
    "if True:\n    !ls\n    x = 1",
    "for i in range(3):\n    %time f(i)",
    "df.head?",
    "?df",
    "df??",
    "items[0]?",
    "print(x)?",  # a call is not help syntax: a syntax error in both
    "%matplotlib inline\nimport numpy",
    "s = '''\n!not a command\n'''",
    "print('a')  # !ls",
    "!pip install x \\\n  y",
    "x = \\\n!ls",
    "%%time\nx = 1\n%ls",
    "%%capture cap\nprint(1)",
    "%%bash\npip install datasets",
    "\n\n%%bash\nls",
    "  x = 1\n  y = 2",
    "\t!ls",
    ">>> x = 1\n>>> y = x + 1",
    "In [1]: x = 1\n   ...: y = 2",
    "x = 5 % 3\ny = a !=b",
    "d = {'a': 1,\n     'b': 2}\n!echo hi",
    "x = [1,\n!ls\n]",  # an escape inside brackets: a syntax error in both
    "a = 1; !ls",
    "lambda: !ls",
    "await f()",
    "pip install -q openai",  # automagic: a one-line cell runs %pip
    "\n  conda install -y numpy\n",
    "pip install openai\nimport openai",  # a syntax error in both: automagic is one-line only
    "pip = 3",
]


def parses(code: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences in real notebooks
            ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def disagreements(source: str) -> list[str]:
    """How our translation of one cell differs from IPython's; empty when they agree."""
    ours = translate_cell(0, source)
    try:
        theirs = ORACLE.transform_cell(source)
    except Exception as error:  # IPython's own failure on broken input is a parse failure
        theirs = f"<IPython failed: {type(error).__name__}>\x00"
    ours_parse, theirs_parse = parses("\n".join(ours.python_lines)), parses(theirs)
    if ours_parse != theirs_parse:
        return [f"ours {'parses' if ours_parse else 'fails'}, IPython's {theirs}"]
    if not ours.is_python or not theirs_parse:
        return []  # a shell or other non-Python cell magic, or a cell neither can run
    lines, our_lines = source.split("\n"), ours.python_lines
    if ours.cell_magic is not None:
        # IPython passes a cell magic's body as a string; its Python is the body's translation.
        header = next(row for row, line in enumerate(lines) if line.strip())
        if ours.cell_magic not in PYTHON_BODY_CELL_MAGICS:
            return []
        body = lines[header + 1 :]
        theirs = ORACLE.transform_cell("\n".join(body))
        lines, our_lines = body, our_lines[header + 1 :]
    their_lines = theirs.split("\n")
    # IPython drops leading blank lines before anything else; a backslash-continued escape
    # becomes one line there, so rows are compared only while both keep the same rows.
    lead = next((row for row, line in enumerate(lines) if line.strip()), len(lines))
    problems = []
    for offset, ours_line in enumerate(our_lines[lead:]):
        if offset >= len(their_lines):
            break
        their_line = their_lines[offset]
        if "get_ipython(" in their_line:
            if lines[lead + offset].rstrip().endswith("\\"):
                break  # IPython joined the continuation lines of this escape
            continue  # an IPython escape: ours has its own harmless Python for it
        # A line IPython runs as it is must be the line ours gives (the clean-up may have
        # removed indentation from both differently, so compare without it).
        if their_line.strip() != ours_line.strip():
            problems.append(
                f"row {lead + offset + 1}: ours {ours_line!r}, IPython's {their_line!r}"
            )
    return problems


@pytest.mark.parametrize("source", CONSTRUCTS)
def test_constructs_translate_as_ipython_runs_them(source: str) -> None:
    assert disagreements(source) == []


def corpus_cells() -> Iterator[tuple[str, int, str]]:
    for path in sorted(CORPUS.glob("*.ipynb")):
        try:
            notebook = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for index, cell in enumerate(notebook.get("cells") or []):
            if not isinstance(cell, dict) or cell.get("cell_type") != "code":
                continue
            source = cell.get("source", "")
            if isinstance(source, list):
                source = "".join(part for part in source if isinstance(part, str))
            if isinstance(source, str):
                yield path.name, index, source


@needs_corpus
def test_every_corpus_cell_translates_as_ipython_runs_it() -> None:
    checked, problems = 0, []
    for name, index, source in corpus_cells():
        checked += 1
        problems += [f"{name} cell {index + 1}: {p}" for p in disagreements(source)]
    assert checked > 1000, f"only {checked} code cells in {CORPUS}"
    assert problems == [], "\n".join(problems[:20])


def test_the_oracle_catches_a_wrong_translation(monkeypatch: pytest.MonkeyPatch) -> None:
    # The comparison must be able to fail: a translation that keeps pasted prompts fails to
    # parse where IPython's runs, and one that changes a Python line differs from IPython's.
    import test_ipython_oracle as oracle

    def keeps_prompts(_index: int, source: str) -> TranslatedCell:
        lines = source.split("\n")
        return TranslatedCell(lines, [0] * len(lines))

    monkeypatch.setattr(oracle, "translate_cell", keeps_prompts)
    assert disagreements(">>> x = 1") != []

    def renames(_index: int, source: str) -> TranslatedCell:
        lines = source.replace("y", "z").split("\n")
        return TranslatedCell(lines, [0] * len(lines))

    monkeypatch.setattr(oracle, "translate_cell", renames)
    assert disagreements("x = 1\nz = y") != []


def test_paste_clean_up_keeps_columns_on_the_cell_text() -> None:
    translated = translate_cell(0, ">>> x = 1\n>>> !pip install openai")
    assert translated.python_lines == ["x = 1", "pass"]
    [command] = translated.commands
    assert (command.row, command.column, command.text) == (2, 6, "pip install openai")
    assert translated.column_shifts == [4, 4]


def test_an_indented_cell_is_dedented_like_ipython() -> None:
    translated = translate_cell(0, "    for i in x:\n        %time f(i)\n")
    assert translated.python_lines == ["for i in x:", "    f(i)", ""]
    assert translated.column_shifts[:2] == [4, 10]  # f(i) is at column 14 of the cell line


def test_an_assignment_continued_into_an_escape_is_one_command() -> None:
    translated = translate_cell(0, "files = \\\n  !ls data")
    assert parses("\n".join(translated.python_lines))
    [command] = translated.commands
    assert (command.row, command.column, command.text) == (2, 4, "ls data")
