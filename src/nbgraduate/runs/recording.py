"""``nbgraduate.record``: how a notebook hands its metrics, usage and served models to its run.

The runner sets :data:`RECORD_FILE_ENV` to a JSONL file and :data:`REPEAT_ENV` to the repeat
index before it executes the notebook; every call appends one line there, flushed and fsynced,
so a kernel that dies later still leaves what it recorded. Outside a run nothing is written,
but values are still validated, so a mistake shows up in the notebook where it was made and
not first in CI. This module is imported inside the kernel: it uses only the standard library
(``numpy`` and ``pandas`` values are recognised by their ``tolist`` method).
"""

from __future__ import annotations

import json
import math
import numbers
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from nbgraduate.core.errors import NbgraduateError

if TYPE_CHECKING:
    from nbgraduate.runs.records import MetricSeries, ServedModel

__all__ = [
    "RECORD_FILE_ENV",
    "REPEAT_ENV",
    "Recording",
    "RecordingError",
    "read_recorded",
    "read_recording",
    "record",
    "record_served",
    "record_usage",
]

RECORD_FILE_ENV = "NBGRADUATE_RECORD_FILE"
REPEAT_ENV = "NBGRADUATE_REPEAT"

# (record file, repeat, metric name) already written by this process: recording a metric
# twice is almost always `record(...)` called inside a per-example loop, which would keep only
# one example's score. Keyed by file so a new run (a new file) starts afresh.
_recorded_here: set[tuple[str, int, str]] = set()
# (record file, repeat, requested, model, fingerprint) already written: a notebook reports
# every response, and one line per distinct answer is all the record keeps.
_served_here: set[tuple[str, int, str | None, str | None, str | None]] = set()


class RecordingError(NbgraduateError):
    """A run's record file cannot be read back (a line in the middle is not a record)."""

    exit_code = 2


def record(name: str, values: Any, *, ids: Any = None, clusters: Any = None) -> None:
    """Record metric ``name`` for this repeat of the run.

    ``values`` is one number or a sequence of them (list, tuple, numpy array, pandas Series);
    booleans count as 0/1. ``ids`` name the example behind each value, so runs can be paired
    example by example; ``clusters`` group examples that are not independent. Both must have
    one entry per value. Record each metric once per repeat, with all its values.
    """
    _check_name(name, "metric name")
    label = f"record({name!r})"
    value_list = _as_values(values, label)
    id_list = _as_labels(ids, f"{label}: ids", len(value_list), unique=True)
    cluster_list = _as_labels(clusters, f"{label}: clusters", len(value_list), unique=False)
    path = _record_file()
    if path is None:
        return
    repeat = _repeat()
    key = (os.path.abspath(path), repeat, name)
    if key in _recorded_here:
        raise ValueError(
            f"{label}: already recorded in this repeat; collect all values (with ids) and"
            " call record once"
        )
    _append(
        path,
        {
            "type": "metric",
            "name": name,
            "values": value_list,
            "ids": id_list,
            "clusters": cluster_list,
            "repeat": repeat,
        },
    )
    _recorded_here.add(key)


def record_usage(**counters: float) -> None:
    """Add to the run's usage counters, e.g. ``prompt_tokens=..., cost_usd=...``.

    Calls add up: record usage per request or once at the end, as is convenient.
    """
    checked: dict[str, float] = {}
    for name, value in counters.items():
        number = _as_number(value, f"record_usage({name}=...)")
        if number < 0:
            raise ValueError(f"record_usage({name}=...): {value!r} is negative")
        checked[name] = number
    path = _record_file()
    if path is None or not checked:
        return
    _append(path, {"type": "usage", "counters": checked, "repeat": _repeat()})


def record_served(
    response: Any = None,
    *,
    model: str | None = None,
    system_fingerprint: str | None = None,
    requested: str | None = None,
) -> None:
    """Record which model and backend a provider says answered, for the run's record.

    Pass the response (an OpenAI-compatible ``ChatCompletion``, or its JSON as a dict: its
    ``model`` and ``system_fingerprint`` are read) or name them; ``requested`` is the model id
    the notebook asked for. Call it for every response: each distinct answer is kept once.
    ``nbgraduate reproduce`` reports both, old and new, so a backend change behind a pinned
    model id shows.
    """
    if response is not None:
        model = model if model is not None else _field(response, "model")
        if system_fingerprint is None:
            system_fingerprint = _field(response, "system_fingerprint")
    for name, value in (
        ("model", model),
        ("system_fingerprint", system_fingerprint),
        ("requested", requested),
    ):
        if value is not None and not isinstance(value, str):
            raise ValueError(f"record_served: {name} is {value!r}, not a string")
    if model is None and system_fingerprint is None:
        raise ValueError("record_served: no model or system_fingerprint to record")
    path = _record_file()
    if path is None:
        return
    repeat = _repeat()
    key = (os.path.abspath(path), repeat, requested, model, system_fingerprint)
    if key in _served_here:
        return
    _append(
        path,
        {
            "type": "served",
            "model": model,
            "system_fingerprint": system_fingerprint,
            "requested": requested,
            "repeat": repeat,
        },
    )
    _served_here.add(key)


def _field(response: Any, name: str) -> Any:
    if isinstance(response, Mapping):
        return response.get(name)
    return getattr(response, name, None)


class Recording:
    """Everything one repeat recorded: metrics, summed usage, and the distinct served models."""

    __slots__ = ("metrics", "served", "usage")

    def __init__(
        self, metrics: list[MetricSeries], usage: dict[str, float], served: list[ServedModel]
    ) -> None:
        self.metrics = metrics
        self.usage = usage
        self.served = served


def read_recorded(path: str | os.PathLike[str]) -> tuple[list[MetricSeries], dict[str, float]]:
    """The metrics and summed usage a run recorded in ``path`` (see :func:`read_recording`)."""
    recording = read_recording(path)
    return recording.metrics, recording.usage


def read_recording(path: str | os.PathLike[str]) -> Recording:
    """The metrics, summed usage and served models a run recorded in ``path`` (missing
    file: nothing).

    A last line without its newline is a write cut short by a dying kernel and is ignored;
    any other line that is not a record is a :class:`RecordingError`.
    """
    from pydantic import ValidationError

    from nbgraduate.runs.records import MetricSeries, ServedModel

    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        return Recording([], {}, [])
    except (OSError, UnicodeDecodeError) as error:
        raise RecordingError(f"{os.fspath(path)}: cannot read: {error}") from None
    lines = text.split("\n")
    # Every complete line ends with "\n"; whatever follows the last one is incomplete.
    lines.pop()
    metrics: list[MetricSeries] = []
    usage: dict[str, float] = {}
    served: list[ServedModel] = []
    seen: set[tuple[int, str]] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{os.fspath(path)}:{number}"
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as error:
            raise RecordingError(f"{where}: not JSON ({error.msg})") from None
        kind = entry.get("type") if isinstance(entry, dict) else None
        if kind == "metric":
            fields = {key: value for key, value in entry.items() if key != "type"}
            try:
                series = MetricSeries.model_validate(fields)
            except ValidationError as error:
                first = error.errors()[0]
                field = ".".join(str(part) for part in first.get("loc", ()))
                raise RecordingError(f"{where}: invalid metric: {field}: {first['msg']}") from None
            if (series.repeat, series.name) in seen:
                raise RecordingError(
                    f"{where}: metric {series.name!r} recorded twice in repeat {series.repeat}"
                )
            seen.add((series.repeat, series.name))
            metrics.append(series)
        elif kind == "usage" and isinstance(entry.get("counters"), Mapping):
            for name, value in entry["counters"].items():
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise RecordingError(f"{where}: usage {name!r} is not a number")
                usage[name] = usage.get(name, 0.0) + float(value)
        elif kind == "served":
            fields = {k: entry.get(k) for k in ("model", "system_fingerprint", "requested")}
            try:
                answer = ServedModel.model_validate(fields)
            except ValidationError:
                raise RecordingError(f"{where}: invalid served model") from None
            if answer not in served:
                served.append(answer)
        else:
            raise RecordingError(f"{where}: not a metric, usage or served-model record")
    return Recording(metrics, usage, served)


def _record_file() -> str | None:
    return os.environ.get(RECORD_FILE_ENV) or None


def _repeat() -> int:
    raw = os.environ.get(REPEAT_ENV, "").strip()
    if not raw:
        return 0
    try:
        repeat = int(raw)
    except ValueError:
        repeat = -1
    if repeat < 0:
        # Only the runner sets this; guessing 0 would merge every repeat into one.
        raise RuntimeError(f"{REPEAT_ENV}={raw!r} is not a repeat index (0, 1, ...)")
    return repeat


def _append(path: str, entry: dict[str, Any]) -> None:
    line = (json.dumps(entry, allow_nan=False, ensure_ascii=False) + "\n").encode("utf-8")
    # One write() on an O_APPEND descriptor: lines from threads or processes never interleave.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        written = 0
        while written < len(line):
            written += os.write(fd, line[written:])
        os.fsync(fd)
    finally:
        os.close(fd)


def _check_name(name: object, what: str) -> None:
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{what} must be a non-empty string, got {name!r}")


def _plain(value: Any) -> Any:
    # numpy arrays and scalars, pandas Series and Index: tolist() gives plain Python values.
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return value.tolist()
    return value


def _as_sequence(value: Any) -> tuple[bool, Any]:
    """``(True, items)`` for a list-like ``value``, ``(False, value)`` for a single value."""
    value = _plain(value)
    if isinstance(value, (list, tuple, range)):
        return True, list(value)
    return False, value


def _as_values(values: Any, label: str) -> list[float]:
    is_sequence, items = _as_sequence(values)
    if not is_sequence:
        items = [items]
    if not items:
        raise ValueError(f"{label}: no values; an eval that scored nothing has nothing to gate")
    return [_as_number(item, f"{label}: values[{index}]") for index, item in enumerate(items)]


def _as_number(value: Any, label: str) -> float:
    value = _plain(value)
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    # numbers.Number takes in Decimal and Fraction; complex numbers have no order to gate on.
    if not isinstance(value, numbers.Number) or (
        isinstance(value, numbers.Complex) and not isinstance(value, numbers.Real)
    ):
        raise ValueError(f"{label} is {value!r}, not a number")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{label} is {number!r}; only finite numbers can be recorded")
    return number


def _as_labels(labels: Any, label: str, count: int, *, unique: bool) -> list[str] | None:
    if labels is None:
        return None
    is_sequence, items = _as_sequence(labels)
    if not is_sequence:
        items = [items]
    if len(items) != count:
        raise ValueError(f"{label}: {len(items)} given for {count} values; give one per value")
    texts: list[str] = []
    for index, item in enumerate(items):
        item = _plain(item)
        # Only str and int: a float or an object's default repr would not spell the same
        # example the same way in the next run, and pairing runs would silently fail.
        if isinstance(item, bool) or not isinstance(item, (str, numbers.Integral)):
            raise ValueError(f"{label}[{index}] is {item!r}; use str or int")
        texts.append(str(item))
    if unique:
        seen: set[str] = set()
        for text in texts:
            if text in seen:
                raise ValueError(f"{label}: {text!r} appears more than once; ids must be unique")
            seen.add(text)
    return texts
