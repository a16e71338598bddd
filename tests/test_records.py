"""``core.records``: the value classes of a lint run compare, hash, copy and pickle as the
frozen dataclasses they replace did."""

from __future__ import annotations

import pickle

import pytest

from nbgraduate.core.records import Record
from nbgraduate.lint.diagnostics import Diagnostic, InputError, LintReport, Severity


def finding(**changes: object) -> Diagnostic:
    values: dict[str, object] = {
        "path": "eval.ipynb",
        "code": "NBG101",
        "name": "floating-model-id",
        "message": "floating model id",
        "severity": Severity.ERROR,
        "cell": 2,
        "cell_id": "abc",
        "row": 3,
        "column": 5,
        "end_row": 3,
        "end_column": 12,
        "file_line": 40,
        "file_column": 9,
        "file_end_line": 40,
        "file_end_column": 16,
        "source_line": "model = 'gpt-4o'",
        "url": "https://example.invalid/NBG101",
    }
    values.update(changes)
    return Diagnostic(**values)  # type: ignore[arg-type]


def test_equal_fields_are_equal_records_of_one_class() -> None:
    assert finding() == finding()
    assert hash(finding()) == hash(finding())
    assert finding() != finding(row=4)
    assert finding(line_fingerprint="x") != finding()
    assert InputError("a", "b") == InputError("a", "b")
    # Another class with the same values is another value, as for dataclasses.
    assert InputError("a", "b") != ("a", "b")
    assert len({finding(), finding(), finding(column=6)}) == 2


def test_replace_copies_with_changes_and_refuses_unknown_fields() -> None:
    original = finding()
    moved = original.replace(cell=7, row=12)
    assert (moved.cell, moved.row, moved.column) == (7, 12, 5)
    assert original.row == 3
    with pytest.raises(TypeError, match="no field 'line'"):
        original.replace(line=1)


def test_repr_names_every_field_in_order() -> None:
    assert repr(InputError("a.ipynb", "not JSON")) == (
        "InputError(path='a.ipynb', reason='not JSON')"
    )
    assert repr(finding()).startswith("Diagnostic(path='eval.ipynb', code='NBG101', name=")
    assert str(InputError("a.ipynb", "not JSON")) == "a.ipynb: not JSON"


def test_records_pickle_as_workers_send_them() -> None:
    report = LintReport([finding()], [InputError("b.ipynb", "unreadable")], files_checked=2)
    assert pickle.loads(pickle.dumps(report)) == report
    assert pickle.loads(pickle.dumps(finding())) == finding()


def test_a_report_is_filled_in_place_and_not_hashable() -> None:
    report = LintReport()
    report.diagnostics.append(finding())
    assert LintReport().diagnostics == []
    with pytest.raises(TypeError):
        hash(report)


def test_records_have_no_instance_dictionary() -> None:
    class Point(Record):
        _fields = ("x", "y")
        __slots__ = _fields

        def __init__(self, x: int, y: int) -> None:
            self.x = x
            self.y = y

    point = Point(1, 2)
    assert not hasattr(point, "__dict__")
    assert point.replace(y=3) == Point(1, 3)
