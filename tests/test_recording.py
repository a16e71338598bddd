"""Tests for ``nbgraduate.record``: what a notebook writes inside a run, and nothing outside one."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from cli_runner import unmeasured_environment

from nbgraduate.runs.recording import (
    RECORD_FILE_ENV,
    REPEAT_ENV,
    RecordingError,
    read_recorded,
    record,
    record_usage,
)
from nbgraduate.runs.records import MetricSeries


class FakeArray:
    """Quacks like a numpy array or pandas Series: only ``tolist``, as the module relies on."""

    def __init__(self, items: Any) -> None:
        self.items = items

    def tolist(self) -> Any:
        return self.items


@pytest.fixture
def record_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "recorded.jsonl"
    monkeypatch.setenv(RECORD_FILE_ENV, str(path))
    monkeypatch.setenv(REPEAT_ENV, "0")
    return path


@pytest.fixture
def outside_a_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(RECORD_FILE_ENV, raising=False)
    monkeypatch.delenv(REPEAT_ENV, raising=False)


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# -- in a real kernel-like subprocess -------------------------------------------------------

NOTEBOOK_CODE = """
import sys
from nbgraduate.runs.recording import record, record_usage
record("accuracy", [1, 0, True], ids=["q1", "q2", "q3"], clusters=["d1", "d1", "d2"])
record("latency_s", 0.25)
record_usage(prompt_tokens=100, completion_tokens=20, cost_usd=0.01)
record_usage(prompt_tokens=50, cost_usd=0.005)
heavy = sorted(m for m in ("pydantic", "numpy", "pandas", "sqlite3") if m in sys.modules)
print("imported:", heavy)
"""


def run_notebook_code(cwd: Path, env_changes: dict[str, str | None]) -> subprocess.CompletedProcess:
    env = unmeasured_environment()  # what the recorder imports, not what coverage does
    for name, value in env_changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run(
        [sys.executable, "-c", NOTEBOOK_CODE],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_inside_a_run_every_call_appends_one_line(tmp_path: Path) -> None:
    path = tmp_path / "run" / "recorded.jsonl"
    path.parent.mkdir()
    done = run_notebook_code(tmp_path, {RECORD_FILE_ENV: str(path), REPEAT_ENV: "2"})
    assert done.returncode == 0, done.stderr

    written = lines(path)
    assert [entry["type"] for entry in written] == ["metric", "metric", "usage", "usage"]
    assert written[0] == {
        "type": "metric",
        "name": "accuracy",
        "values": [1.0, 0.0, 1.0],
        "ids": ["q1", "q2", "q3"],
        "clusters": ["d1", "d1", "d2"],
        "repeat": 2,
    }
    # The recorder runs inside the user's kernel: it must stay light.
    assert "imported: []" in done.stdout

    metrics, usage = read_recorded(path)
    assert metrics == [
        MetricSeries(
            name="accuracy",
            repeat=2,
            values=[1.0, 0.0, 1.0],
            ids=["q1", "q2", "q3"],
            clusters=["d1", "d1", "d2"],
        ),
        MetricSeries(name="latency_s", repeat=2, values=[0.25]),
    ]
    assert usage == pytest.approx(
        {"prompt_tokens": 150, "completion_tokens": 20, "cost_usd": 0.015}
    )


def test_outside_a_run_nothing_is_written_or_printed(tmp_path: Path) -> None:
    done = run_notebook_code(tmp_path, {RECORD_FILE_ENV: None, REPEAT_ENV: None})
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout == "imported: []\n"
    assert list(tmp_path.iterdir()) == []


def test_empty_record_file_variable_counts_as_outside_a_run(tmp_path: Path) -> None:
    done = run_notebook_code(tmp_path, {RECORD_FILE_ENV: "", REPEAT_ENV: None})
    assert done.returncode == 0, done.stderr
    assert list(tmp_path.iterdir()) == []


# -- accepted values ------------------------------------------------------------------------


def test_array_likes_scalars_and_booleans_become_floats(record_file: Path) -> None:
    record("per_example", FakeArray([1, 0.5, False]), ids=FakeArray(["a", "b", "c"]))
    record("numpy_scalar", FakeArray(0.75))
    record("tuple", (True, False))
    record("fraction", Fraction(1, 4))
    record("int_ids", [0.1, 0.2], ids=[10, 11])

    written = {entry["name"]: entry for entry in lines(record_file)}
    assert written["per_example"]["values"] == [1.0, 0.5, 0.0]
    assert written["per_example"]["ids"] == ["a", "b", "c"]
    assert written["numpy_scalar"]["values"] == [0.75]
    assert written["numpy_scalar"]["ids"] is None
    assert written["tuple"]["values"] == [1.0, 0.0]
    assert written["fraction"]["values"] == [0.25]
    assert written["int_ids"]["ids"] == ["10", "11"]


def test_list_of_array_scalars_is_accepted(record_file: Path) -> None:
    record("scores", [FakeArray(0.5), FakeArray(True)], ids=[FakeArray(7), "eight"])
    assert lines(record_file)[0]["values"] == [0.5, 1.0]
    assert lines(record_file)[0]["ids"] == ["7", "eight"]


# -- rejected values (also outside a run, where the author is looking) -----------------------


@pytest.mark.parametrize(
    ("values", "ids", "clusters", "message"),
    [
        ([1.0, float("nan")], None, None, r"values\[1\] is nan"),
        ([float("inf")], None, None, "finite"),
        (["0.9"], None, None, r"values\[0\] is '0.9', not a number"),
        ([None, 1.0], None, None, "not a number"),
        ([1 + 2j], None, None, "not a number"),
        (FakeArray([[1.0, 2.0]]), None, None, "not a number"),
        ([], None, None, "no values"),
        ("0.9", None, None, "not a number"),
        ([1.0, 0.0], ["q1"], None, "1 given for 2 values"),
        ([1.0, 0.0], ["q1", "q1"], None, "'q1' appears more than once"),
        ([1.0, 0.0], [1, "1"], None, "'1' appears more than once"),
        ([1.0], [1.5], None, "use str or int"),
        ([1.0], [None], None, "use str or int"),
        ([1.0], [True], None, "use str or int"),
        ([1.0, 0.0], ["a", "b"], ["d1"], "clusters: 1 given for 2 values"),
    ],
)
def test_invalid_input_is_a_clear_value_error(
    outside_a_run: None, values: Any, ids: Any, clusters: Any, message: str
) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        record("accuracy", values, ids=ids, clusters=clusters)
    assert "record('accuracy')" in str(caught.value)


@pytest.mark.parametrize("name", ["", "   ", None, 3])
def test_metric_name_must_be_a_non_empty_string(outside_a_run: None, name: Any) -> None:
    with pytest.raises(ValueError, match="metric name"):
        record(name, 1.0)


def test_invalid_values_write_nothing_inside_a_run(record_file: Path) -> None:
    with pytest.raises(ValueError):
        record("accuracy", [1.0, float("nan")])
    assert not record_file.exists()


def test_usage_must_be_finite_and_not_negative(record_file: Path) -> None:
    with pytest.raises(ValueError, match="cost_usd"):
        record_usage(cost_usd=float("nan"))
    with pytest.raises(ValueError, match="negative"):
        record_usage(prompt_tokens=-1)
    with pytest.raises(ValueError, match="not a number"):
        record_usage(prompt_tokens="many")
    assert not record_file.exists()


def test_recording_a_metric_twice_in_one_repeat_is_refused(
    record_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record("accuracy", 1.0, ids=["q1"])
    with pytest.raises(ValueError, match="already recorded"):
        record("accuracy", 0.0, ids=["q2"])
    monkeypatch.setenv(REPEAT_ENV, "1")
    record("accuracy", 0.0, ids=["q2"])
    assert [(e["name"], e["repeat"]) for e in lines(record_file)] == [
        ("accuracy", 0),
        ("accuracy", 1),
    ]


def test_a_bad_repeat_index_is_not_silently_zero(
    record_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(REPEAT_ENV, "second")
    with pytest.raises(RuntimeError, match=REPEAT_ENV):
        record("accuracy", 1.0)
    assert not record_file.exists()


def test_repeat_defaults_to_zero_when_unset(
    record_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(REPEAT_ENV)
    record("accuracy", 1.0)
    assert lines(record_file)[0]["repeat"] == 0


# -- reading back ---------------------------------------------------------------------------


def test_truncated_last_line_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "recorded.jsonl"
    complete = [
        {
            "type": "metric",
            "name": "a",
            "values": [1.0],
            "ids": None,
            "clusters": None,
            "repeat": 0,
        },
        {"type": "usage", "counters": {"cost_usd": 0.5}, "repeat": 0},
    ]
    text = "".join(json.dumps(entry) + "\n" for entry in complete)
    path.write_text(text + '{"type": "metric", "name": "b", "val', encoding="utf-8")

    metrics, usage = read_recorded(path)

    assert [series.name for series in metrics] == ["a"]
    assert usage == {"cost_usd": 0.5}


def test_last_line_without_newline_is_incomplete_even_if_it_parses(tmp_path: Path) -> None:
    path = tmp_path / "recorded.jsonl"
    path.write_text('{"type": "usage", "counters": {"cost_usd": 1.0}, "repeat": 0}')
    assert read_recorded(path) == ([], {})


def test_missing_record_file_means_nothing_recorded(tmp_path: Path) -> None:
    assert read_recorded(tmp_path / "never-written.jsonl") == ([], {})


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not JSON"),
        ('["metric"]', "not a metric, usage or served-model record"),
        ('{"type": "score", "name": "a"}', "not a metric, usage or served-model record"),
        ('{"type": "served", "model": 3}', "invalid served model"),
        ('{"type": "metric", "name": "a", "values": ["x"], "repeat": 0}', "invalid metric"),
        ('{"type": "usage", "counters": {"cost_usd": "free"}, "repeat": 0}', "not a number"),
    ],
)
def test_a_bad_line_in_the_middle_is_a_recording_error(
    tmp_path: Path, line: str, message: str
) -> None:
    path = tmp_path / "recorded.jsonl"
    good = '{"type": "usage", "counters": {"cost_usd": 1.0}, "repeat": 0}'
    path.write_text(f"{good}\n{line}\n{good}\n", encoding="utf-8")
    with pytest.raises(RecordingError, match=message) as caught:
        read_recorded(path)
    assert f"{path}:2" in str(caught.value)


def test_duplicate_metric_in_the_file_is_a_recording_error(tmp_path: Path) -> None:
    path = tmp_path / "recorded.jsonl"
    entry = {"type": "metric", "name": "a", "values": [1.0], "repeat": 0}
    path.write_text(json.dumps(entry) + "\n" + json.dumps(entry) + "\n", encoding="utf-8")
    with pytest.raises(RecordingError, match="recorded twice"):
        read_recorded(path)


def test_round_trip_through_the_writer(record_file: Path) -> None:
    record("accuracy", [0.5, 1.0], ids=["q1", "q2"])
    record_usage(prompt_tokens=3)
    record_usage(prompt_tokens=4, cost_usd=0.25)

    metrics, usage = read_recorded(record_file)

    assert metrics == [MetricSeries(name="accuracy", values=[0.5, 1.0], ids=["q1", "q2"])]
    assert usage == {"prompt_tokens": 7.0, "cost_usd": 0.25}


def test_served_models_are_kept_once_per_distinct_answer(record_file: Path) -> None:
    from types import SimpleNamespace

    from nbgraduate.runs.recording import read_recording, record_served
    from nbgraduate.runs.records import ServedModel

    completion = SimpleNamespace(model="gpt-4o-2024-08-06", system_fingerprint="fp_1")
    for _ in range(3):
        record_served(completion, requested="gpt-4o-2024-08-06")
    record_served({"model": "gpt-4o-2024-08-06", "system_fingerprint": "fp_2"})
    record_served(model="claude-3-5-sonnet-20241022")
    assert len(lines(record_file)) == 3
    assert read_recording(record_file).served == [
        ServedModel(
            model="gpt-4o-2024-08-06", system_fingerprint="fp_1", requested="gpt-4o-2024-08-06"
        ),
        ServedModel(model="gpt-4o-2024-08-06", system_fingerprint="fp_2"),
        ServedModel(model="claude-3-5-sonnet-20241022"),
    ]
    with pytest.raises(ValueError, match="no model or system_fingerprint"):
        record_served(SimpleNamespace())
    with pytest.raises(ValueError, match="model is 5, not a string"):
        record_served(model=5)  # type: ignore[arg-type]
