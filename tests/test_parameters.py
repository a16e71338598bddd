"""The parameters cell read with Python's tokenizer, checked against papermill's own reading.

papermill's ``PythonTranslator.inspect`` is what ``papermill --help-notebook`` shows, so for
every line papermill reads correctly, our name, help text and declared type must be its.
"""

from __future__ import annotations

import pytest
from nbformat.v4 import new_code_cell
from papermill.translators import PythonTranslator

from nbgraduate.notebook.parameters import Parameter, parse_parameters_cell, render_parameters_cell

CELLS = [
    'judge_model: str = "gpt-4o-2024-08-06"  # judge model id',
    'path: str = "C:\\\\data\\\\"  # where the golden set lives',
    "temperature: float = 0.0  # judge temperature\nseed: int = 7  #seed used for sampling  ",
    'url: str = "https://example.org/data.csv"  # dataset URL',
    "n = 5  # type: int how many examples",
    "threshold = 0.8  #type:float",
    'name: "str" = "x"  # a quoted annotation',
    "labels: list = [\n    'pass',  # first\n    'fail',\n]  # the verdict labels",
    "flag: bool = True",
    "options: dict = {'a': 1}  # model options",
]


def papermill_reading(source: str) -> list[tuple[str, str, str]]:
    return [
        (parameter.name, parameter.inferred_type_name, parameter.help)
        for parameter in PythonTranslator.inspect(new_code_cell(source))
    ]


@pytest.mark.parametrize("source", CELLS)
def test_help_and_declared_type_are_what_papermill_shows(source: str) -> None:
    ours = parse_parameters_cell(source)
    expected = papermill_reading(source)
    assert [(p.name, p.help) for p in ours] == [(name, help) for name, _, help in expected]
    for parameter, (_, declared, _) in zip(ours, expected, strict=True):
        if declared != "None":
            assert parameter.type == declared


def test_a_windows_path_keeps_its_help() -> None:
    [parameter] = parse_parameters_cell('path: str = "C:\\\\data\\\\"  # where ...')
    assert parameter == Parameter("path", "str", "C:\\data\\", "where ...")


def test_a_hash_inside_a_string_is_not_a_comment() -> None:
    # papermill's regex splits this one at the first '#'; the tokenizer does not.
    [parameter] = parse_parameters_cell('url: str = "https://e.org/#section"  # the page')
    assert (parameter.default, parameter.help) == ("https://e.org/#section", "the page")


def test_undeclared_types_come_from_the_default() -> None:
    parsed = parse_parameters_cell(
        "a = 1\nb = 'x'\nc = [1]\nd = None\ne = compute()\nf: Path = 'p'"
    )
    assert [(p.name, p.type) for p in parsed] == [
        ("a", "int"),
        ("b", "str"),
        ("c", "list"),
        ("d", "str"),
        ("f", "str"),
    ]


@pytest.mark.parametrize("source", ["x = (", "x = 1\0", "x = " + "(" * 200 + "1" + ")" * 200])
def test_an_unreadable_cell_has_no_parameters(source: str) -> None:
    assert isinstance(parse_parameters_cell(source), list)


def test_what_we_write_reads_back_the_same_in_papermill_and_here() -> None:
    parameters = [
        Parameter("judge_model", "str", "gpt-4o-2024-08-06", "judge model id"),
        Parameter("data_dir", "str", "C:\\data\\", "where the data lives"),
        Parameter("sample_size", "int", 200, "examples per run"),
        Parameter("labels", "list", ["pass", "fail"], "verdict labels"),
    ]
    source = render_parameters_cell(parameters)
    assert parse_parameters_cell(source) == parameters
    assert papermill_reading(source) == [(p.name, p.type, p.help) for p in parameters]
