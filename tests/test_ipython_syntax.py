"""IPython syntax becomes line-for-line Python, and the commands it carried are kept."""

from __future__ import annotations

import ast

import pytest

from nbgraduate.notebook.ipython_syntax import translate_cell, untranslated_rows


def _python(source: str) -> str:
    translated = translate_cell(0, source)
    text = "\n".join(translated.python_lines)
    ast.parse(text)
    assert len(translated.python_lines) == len(source.split("\n"))
    return text


def test_plain_python_is_untouched() -> None:
    source = "x = 1\nif x:\n    y = x % 2\n"
    translated = translate_cell(0, source)
    assert translated.python_lines == source.split("\n")
    assert translated.commands == []


@pytest.mark.parametrize(
    ("source", "command", "origin", "column"),
    [
        ("%pip install openai pandas", "pip install openai pandas", "line-magic", 2),
        ("!pip install -q openai", "pip install -q openai", "shell", 2),
        ("!! ls -la", "ls -la", "shell", 4),
        ("files = !ls data", "ls data", "shell", 10),
        ("    %conda install numpy", "conda install numpy", "line-magic", 6),
    ],
)
def test_escapes_become_commands(source: str, command: str, origin: str, column: int) -> None:
    translated = translate_cell(3, source)
    if not source.startswith(" "):
        _python(source)
    [found] = translated.commands
    assert (found.text, found.origin, found.column, found.cell_index, found.row) == (
        command,
        origin,
        column,
        3,
        1,
    )
    assert source[found.column - 1 :].startswith(command.split()[0])


def test_assigned_shell_output_still_binds_the_name() -> None:
    assert _python("files = !ls\nprint(files)") == "files = ...\nprint(files)"


def test_time_magic_keeps_its_python_and_the_column_shift() -> None:
    translated = translate_cell(0, "%time result = evaluate(rows)")
    assert translated.python_lines == ["result = evaluate(rows)"]
    assert translated.column_shifts == [6]


@pytest.mark.parametrize("magic", ["capture", "time", "timeit"])
def test_python_body_cell_magics(magic: str) -> None:
    translated = translate_cell(0, f"%%{magic}\nimport random\nrandom.shuffle(x)")
    assert translated.is_python and translated.cell_magic == magic
    assert translated.python_lines == ["", "import random", "random.shuffle(x)"]


def test_bash_cell_body_is_shell_and_checked_for_installs() -> None:
    translated = translate_cell(0, "%%bash\n# comment\npip install datasets\n  uv pip install x")
    assert not translated.is_python
    assert [(c.row, c.column, c.text) for c in translated.commands] == [
        (3, 1, "pip install datasets"),
        (4, 3, "uv pip install x"),
    ]


def test_other_cell_magics_are_inert() -> None:
    translated = translate_cell(0, "%%writefile helper.py\nimport random\nrandom.random()")
    assert not translated.is_python and translated.commands == []


@pytest.mark.parametrize("source", ["df?", "df.head??", "?print", "np.random.seed?  # look"])
def test_help_syntax(source: str) -> None:
    assert _python(source).strip() == "pass"


def test_lines_inside_strings_brackets_and_continuations_are_python() -> None:
    source = (
        'PROMPT = """Rules:\n'
        "!important: answer briefly\n"
        "%s of the answers\n"
        '"""\n'
        "total = (a\n"
        "    % b)\n"
        "flag = a \\\n"
        "    !=b"
    )
    translated = translate_cell(0, source)
    assert translated.commands == []
    assert "\n".join(translated.python_lines) == source


def test_backslash_continued_command_is_joined() -> None:
    translated = translate_cell(0, "!pip install openai \\\n    pandas\nx = 1")
    [command] = translated.commands
    assert command.text == "pip install openai pandas"
    assert translated.python_lines == ["pass", "", "x = 1"]


@pytest.mark.parametrize(
    ("source", "row", "column", "command"),
    [
        ("pip install -U openai", 1, 1, "pip install -U openai"),
        ("\n\nconda install -y numpy\n", 3, 1, "conda install -y numpy"),
        ("    pip install datasets", 1, 5, "pip install datasets"),
    ],
)
def test_a_one_line_install_cell_is_automagic(
    source: str, row: int, column: int, command: str
) -> None:
    translated = translate_cell(0, source)
    assert [(c.row, c.column, c.text, c.origin) for c in translated.commands] == [
        (row, column, command, "line-magic")
    ]
    _python(source)


@pytest.mark.parametrize(
    "source",
    ["pip install x\nimport x", "pip install x\n\n", "pip = 3", "pip, x = 1, 2", "pipx install x"],
)
def test_automagic_needs_a_one_line_cell_that_is_not_an_assignment(source: str) -> None:
    assert translate_cell(0, source).commands == []


def test_lint_reads_a_bare_pip_cell_as_ipython_runs_it(tmp_path) -> None:
    import nbformat

    from nbgraduate.knowledge.model_policy import ModelPolicyConfig, policy_for
    from nbgraduate.lint.linter import lint_notebook
    from nbgraduate.lint.rules import ALL_CODES
    from nbgraduate.notebook.reader import read_notebook

    path = tmp_path / "eval.ipynb"
    cells = [
        nbformat.v4.new_code_cell("pip install openai"),
        nbformat.v4.new_code_cell("pip install pandas\nimport pandas"),
    ]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    findings = lint_notebook(read_notebook(path), set(ALL_CODES), policy_for(ModelPolicyConfig()))
    # The one-line cell is %pip (an unpinned install); in the two-line cell IPython does not
    # apply automagic, so the line is the syntax error it is when the cell runs.
    assert sorted(
        (f.code, f.start.cell_index) for f in findings if f.code in ("NBG401", "NBG703")
    ) == [
        ("NBG401", 0),
        ("NBG703", 1),
    ]


@pytest.mark.parametrize(
    "source",
    ["", "x = 1", "x = 1\n", "x = 1\ny = 2", "x\n>>> y", "x\n\n  ...: y", "x\n \n.5", "x\n[1]"],
)
def test_untranslated_rows_counts_the_rows_translate_cell_keeps(source: str) -> None:
    """A cell told plain from its text is one that translation returns as it is."""
    rows = untranslated_rows(source)
    if rows is not None:
        translated = translate_cell(0, source)
        assert translated.python_lines == source.split("\n")
        assert not any(translated.column_shifts) and translated.commands == []
        assert rows == len(translated.python_lines)
