"""Tests for the run store: one suite run against both backends (a real SQLite file in tmp_path
and a real PostgreSQL server, tests/postgres_server.py), real writer processes, real SIGKILL."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from nbgraduate.core.errors import NbgraduateError
from nbgraduate.runs.layout import StoreLocation
from nbgraduate.runs.object_backends import FsspecObjectArea, open_object_area, read_object
from nbgraduate.runs.objects import ObjectError
from nbgraduate.runs.records import MetricSeries, RunRecord, RunStatus
from nbgraduate.runs.store import (
    DuplicateRunError,
    RecordFileError,
    RunNotFoundError,
    RunStore,
    StoreError,
    default_store_root,
    load_record_file,
    open_store,
)
from nbgraduate.runs.store_postgres import POSTGRES_SCHEMA_VERSION, SCHEMA_NAME
from nbgraduate.runs.store_sqlite import DATABASE_FILENAME, SQLITE_SCHEMA_VERSION

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)

# Shared by the child processes: builds a minimal valid record, as the runner would.
CHILD_PRELUDE = """
import sys
from datetime import datetime, timezone
from pathlib import Path
from nbgraduate.runs.records import RunRecord, RunStatus
from nbgraduate.runs.store import open_store

def make(run_id, blob=""):
    now = datetime.now(timezone.utc)
    return RunRecord(
        run_id=run_id, pipeline="qa", python_version="3.11", platform="test",
        started_at=now, ended_at=now, duration_s=0.0, status=RunStatus.PASSED,
        parameters={"blob": blob},
    )
"""


def make_record(
    run_id: str,
    *,
    pipeline: str = "qa",
    kind: str = "eval",
    started_at: datetime = T0,
    git_commit: str | None = None,
) -> RunRecord:
    return RunRecord(
        run_id=run_id,
        kind=kind,  # type: ignore[arg-type]
        pipeline=pipeline,
        git_commit=git_commit,
        lock_digest="sha256:" + "0" * 64,
        python_version="3.11.7",
        platform="linux-x86_64",
        started_at=started_at,
        ended_at=started_at + timedelta(seconds=5),
        duration_s=5.0,
        status=RunStatus.PASSED,
        metrics=[MetricSeries(name="accuracy", values=[1.0, 0.0], ids=["q1", "q2"])],
        usage={"prompt_tokens": 120.0},
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> StoreLocation:
    """Each shared test runs once per backend: an SQLite directory, a PostgreSQL database."""
    if request.param == "sqlite":
        return StoreLocation(root=tmp_path / ".nbgraduate")
    return StoreLocation(url=request.getfixturevalue("postgres_url"))


@pytest.fixture
def store(location: StoreLocation):
    with open_store(location) as opened:
        yield opened


def target(location: StoreLocation) -> str:
    """How a child process (or the command line) names the store."""
    return location.url or str(location.root)


def stored_ids(location: StoreLocation | Path) -> set[str]:
    with open_store(location) as reopened:
        return {record.run_id for record in reopened.list()}


def run_child(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD_PRELUDE + script, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


# -- opening -------------------------------------------------------------------------------


def test_new_store_is_wal_at_current_schema_with_indexed_columns(tmp_path: Path) -> None:
    root = tmp_path / ".nbgraduate"
    open_store(root).close()

    connection = sqlite3.connect(root / DATABASE_FILENAME)
    try:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SQLITE_SCHEMA_VERSION
        columns = {row[1] for row in connection.execute("PRAGMA table_info(runs)")}
        indexed = {
            row[2]
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'runs'"
            )
            for row in connection.execute(f"PRAGMA index_info({name})")
        }
    finally:
        connection.close()
    assert {
        "run_id",
        "pipeline",
        "kind",
        "status",
        "started_at",
        "ended_at",
        "duration_s",
        "git_commit",
        "lock_digest",
        "contract_version",
        "record_json",
    } <= columns
    assert {"run_id", "pipeline", "kind", "started_at", "git_commit"} <= indexed


def test_file_that_is_not_sqlite_is_a_one_line_store_error(tmp_path: Path) -> None:
    root = tmp_path / ".nbgraduate"
    root.mkdir()
    database = root / DATABASE_FILENAME
    database.write_bytes(b"these are not the pages you are looking for\n" * 200)

    with pytest.raises(StoreError) as caught:
        open_store(root)

    message = str(caught.value)
    assert str(database) in message
    assert "\n" not in message
    assert isinstance(caught.value, NbgraduateError)


def test_damaged_pages_are_a_store_error_not_a_sqlite_exception(tmp_path: Path) -> None:
    root = tmp_path / ".nbgraduate"
    with open_store(root) as store:
        for index in range(40):
            store.add(make_record(f"run-{index:03d}"))
    database = root / DATABASE_FILENAME
    assert not (root / f"{DATABASE_FILENAME}-wal").exists()  # checkpointed on close
    size = database.stat().st_size
    with database.open("r+b") as handle:
        handle.seek(4096)  # keep the header page, wreck the table and index pages
        handle.write(b"\xff" * (size - 4096))

    with pytest.raises(StoreError) as caught, open_store(root) as damaged:
        damaged.list()
    assert str(database) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_store_written_by_a_newer_schema_is_refused(tmp_path: Path) -> None:
    root = tmp_path / ".nbgraduate"
    open_store(root).close()
    connection = sqlite3.connect(root / DATABASE_FILENAME)
    connection.execute(f"PRAGMA user_version = {SQLITE_SCHEMA_VERSION + 1}")
    connection.close()

    with pytest.raises(StoreError, match="newer nbgraduate"):
        open_store(root)


def test_open_without_create_does_not_make_a_store(tmp_path: Path) -> None:
    root = tmp_path / ".nbgraduate"
    with pytest.raises(StoreError, match="no run store"):
        open_store(root, create=False)
    assert not root.exists()


def test_postgres_store_newer_than_the_client_is_refused_in_one_line(postgres_url: str) -> None:
    import psycopg

    open_store(postgres_url).close()
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(
            f"UPDATE {SCHEMA_NAME}.store_schema SET version = %s", (POSTGRES_SCHEMA_VERSION + 1,)
        )

    with pytest.raises(StoreError) as caught:
        open_store(postgres_url)
    message = str(caught.value)
    assert "newer nbgraduate" in message
    assert f"store schema {POSTGRES_SCHEMA_VERSION + 1}" in message
    assert "\n" not in message


def test_postgres_reader_does_not_create_a_store(postgres_url: str) -> None:
    import psycopg

    with pytest.raises(StoreError, match="no run store in this database"):
        open_store(postgres_url, create=False)
    with psycopg.connect(postgres_url) as connection:
        found = connection.execute(
            "SELECT 1 FROM pg_namespace WHERE nspname = %s", (SCHEMA_NAME,)
        ).fetchone()
    assert found is None


def test_unreachable_postgres_is_one_line_and_never_shows_the_password(tmp_path: Path) -> None:
    url = f"postgresql://nbg:hunter2secret@/postgres?host={tmp_path}&connect_timeout=2"
    with pytest.raises(StoreError) as caught:
        open_store(url)
    message = str(caught.value)
    assert "cannot connect" in message
    assert "hunter2secret" not in message
    assert "hunt..." in message
    assert "\n" not in message


def test_sqlite_store_of_schema_1_is_migrated_and_keeps_its_runs(tmp_path: Path) -> None:
    root = tmp_path / ".nbgraduate"
    root.mkdir()
    record = make_record("old-run")
    connection = sqlite3.connect(root / DATABASE_FILENAME)
    connection.execute(
        "CREATE TABLE runs (run_id TEXT PRIMARY KEY, pipeline TEXT NOT NULL, kind TEXT NOT NULL,"
        " status TEXT NOT NULL, started_at TEXT NOT NULL, ended_at TEXT NOT NULL, duration_s"
        " REAL NOT NULL, git_commit TEXT, lock_digest TEXT, contract_version TEXT, record_json"
        " TEXT NOT NULL)"
    )
    connection.execute(
        "INSERT INTO runs VALUES ('old-run', 'qa', 'eval', 'passed', ?, ?, 5, NULL, NULL, NULL, ?)",
        (T0.isoformat(), T0.isoformat(), record.model_dump_json()),
    )
    connection.execute("PRAGMA user_version = 1")
    connection.commit()
    connection.close()
    # Its run directory predates artifact rows: the files are listed from it.
    (root / "runs" / "old-run").mkdir(parents=True)
    (root / "runs" / "old-run" / "repeat-0.ipynb").write_bytes(b'{"cells": []}')

    with open_store(root) as store:
        assert store.get("old-run") == record
        assert [ref.name for ref in store.artifacts("old-run")] == ["repeat-0.ipynb"]
        assert store.read_artifact("old-run", "repeat-0.ipynb") == b'{"cells": []}'
    connection = sqlite3.connect(root / DATABASE_FILENAME)
    assert connection.execute("PRAGMA user_version").fetchone()[0] == SQLITE_SCHEMA_VERSION
    connection.close()


@pytest.mark.parametrize("schema_version", [1, "current"])
def test_a_key_stored_unmasked_is_masked_when_read(tmp_path: Path, schema_version) -> None:
    """Rows a store holds from before secrets were masked on write (or written by another
    tool) are masked on read, whether the row is in the current record schema or an older
    one: the current-schema path tests the stored text, the older one the migrated record."""
    key = "sk-" + "proj-" + "Zq8rT2vB9mK4pL7wX3nC6yH1" * 2
    root = tmp_path / ".nbgraduate"
    with open_store(root) as store:
        store.add(make_record("clean"))
    data = json.loads(make_record("leaky").model_dump_json())
    data["status_detail"] = f"auth failed for {key}"
    if schema_version == 1:
        data["schema_version"] = 1
    connection = sqlite3.connect(root / DATABASE_FILENAME)
    connection.execute(
        "INSERT INTO runs (run_id, pipeline, kind, status, started_at, ended_at, duration_s,"
        " record_json) VALUES ('leaky', 'qa', 'eval', 'passed', ?, ?, 5, ?)",
        (T0.isoformat(), T0.isoformat(), json.dumps(data)),
    )
    connection.commit()
    connection.close()

    with open_store(root) as store:
        read = store.get("leaky")
        listed = {record.run_id: record for record in store.list()}
    assert read.status_detail is not None and "sk-p" in read.status_detail
    assert key not in read.model_dump_json()
    assert key not in listed["leaky"].model_dump_json()
    assert listed["clean"] == make_record("clean")


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda text: text, id="as written"),
        pytest.param(lambda text: text.replace('"qa"', '"qa\\ud800"', 1), id="lone surrogate"),
        pytest.param(lambda text: text.replace("[0.5, 1.0]", "[NaN, -Infinity]"), id="NaN"),
        pytest.param(lambda text: text.replace("[0.5, 1.0]", "[5e-324, 0.1e1]"), id="floats"),
        pytest.param(lambda text: "\ufeff" + text, id="byte order mark"),
        pytest.param(lambda text: text + " x", id="trailing text"),
        pytest.param(lambda text: text[:-3], id="cut short"),
    ],
)
def test_a_stored_row_reads_as_json_parses_it(tmp_path: Path, edit) -> None:
    """Rows are parsed by pydantic-core's faster parser with :mod:`json` behind it: a row
    reads back exactly as ``json.loads`` of its text does, values and errors alike, including
    what only :mod:`json` accepts (a lone surrogate escape) and what both refuse."""
    root = tmp_path / ".nbgraduate"
    with open_store(root):
        pass
    data = json.loads(make_record("row").model_dump_json())
    data["metrics"] = [{"name": "accuracy", "values": [0.5, 1.0], "ids": ["q1", "q2"]}]
    text = edit(json.dumps(data))
    connection = sqlite3.connect(root / DATABASE_FILENAME)
    connection.execute(
        "INSERT INTO runs (run_id, pipeline, kind, status, started_at, ended_at, duration_s,"
        " record_json) VALUES ('row', 'qa', 'eval', 'passed', ?, ?, 5, ?)",
        (T0.isoformat(), T0.isoformat(), text),
    )
    connection.commit()
    connection.close()
    try:
        expected = RunRecord.model_validate(json.loads(text))
    except ValueError as error:
        with open_store(root) as store, pytest.raises(StoreError) as caught:
            store.get("row")
        assert f"not JSON ({error})" in str(caught.value)
        return
    with open_store(root) as store:
        read = store.get("row")
    assert repr(read) == repr(expected)
    assert [value.hex() for value in read.metrics[0].values] == [
        value.hex() for value in expected.metrics[0].values
    ]


# -- artifacts ------------------------------------------------------------------------------


def test_artifacts_are_stored_with_the_record_and_read_back_by_digest(store: RunStore) -> None:
    notebook = b'{"cells": [], "nbformat": 4}'
    refs = store.add(
        make_record("run-a"), artifacts={"repeat-0.ipynb": notebook, "logs/kernel.log": b"ok\n"}
    )

    assert {ref.name for ref in refs} == {"repeat-0.ipynb", "logs/kernel.log"}
    listed = store.artifacts("run-a")
    assert [ref.name for ref in listed] == ["logs/kernel.log", "repeat-0.ipynb"]
    by_name = {ref.name: ref for ref in listed}
    assert by_name["repeat-0.ipynb"].sha256 == hashlib.sha256(notebook).hexdigest()
    assert by_name["repeat-0.ipynb"].size == len(notebook)
    assert store.read_artifact("run-a", "repeat-0.ipynb") == notebook
    # An embedded store keeps a run's files in its run directory, a database in itself.
    expected = "run-directory" if store.root is not None else "database"
    assert {ref.location for ref in listed} == {expected}
    with pytest.raises(StoreError, match=r"has no file 'missing\.ipynb'"):
        store.read_artifact("run-a", "missing.ipynb")


def test_a_duplicate_run_keeps_the_first_runs_files(store: RunStore) -> None:
    store.add(make_record("run-a"), artifacts={"repeat-0.ipynb": b"first"})
    with pytest.raises(DuplicateRunError):
        store.add(make_record("run-a"), artifacts={"repeat-0.ipynb": b"second"})
    assert store.read_artifact("run-a", "repeat-0.ipynb") == b"first"


@pytest.mark.parametrize("name", ["../escape.ipynb", "/abs.ipynb", "a/../../b", "", "a\\b"])
def test_artifact_names_stay_inside_the_run(store: RunStore, name: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="invalid artifact name"):
        store.add(make_record("run-a"), artifacts={name: b"x"})
    assert not store.has("run-a")
    assert not (tmp_path / "escape.ipynb").exists()


def test_a_file_changed_after_recording_is_caught_when_read(tmp_path: Path) -> None:
    root = tmp_path / ".nbgraduate"
    with open_store(root) as store:
        store.add(make_record("run-a"), artifacts={"repeat-0.ipynb": b"as executed"})
        (root / "runs" / "run-a" / "repeat-0.ipynb").write_bytes(b"edited later")
        with pytest.raises(StoreError, match="changed since run run-a recorded it"):
            store.read_artifact("run-a", "repeat-0.ipynb")


@pytest.mark.parametrize("area", ["directory", "memory"])
def test_artifacts_go_to_a_configured_directory_or_fsspec_url(
    location: StoreLocation, tmp_path: Path, area: str
) -> None:
    import uuid

    artifacts = (
        str(tmp_path / "area") if area == "directory" else f"memory://nbg-{uuid.uuid4().hex}"
    )
    configured = dataclasses.replace(location, artifacts=artifacts)
    notebook = b'{"cells": ["executed"]}'
    digest = hashlib.sha256(notebook).hexdigest()

    with open_store(configured) as store:
        store.add(make_record("run-a"), artifacts={"repeat-0.ipynb": notebook})
        (ref,) = store.artifacts("run-a")
        assert (ref.location, ref.sha256) == (artifacts, digest)
        assert digests_in(store.objects) == [digest]
    if area == "directory":
        assert (tmp_path / "area" / "sha256" / digest[:2] / digest).read_bytes() == notebook
    # Any reader finds the bytes from the row alone, whatever its own configuration.
    with open_store(dataclasses.replace(location, artifacts=None)) as reader:
        assert reader.read_artifact("run-a", "repeat-0.ipynb") == notebook
        assert digests_in(reader.objects) == []
    assert digests_in(open_object_area(artifacts)) == [digest]


def digests_in(area: Any) -> list[str]:
    return sorted(info.sha256 for info in area.objects())


def test_object_area_stores_content_once_and_verifies_it(store: RunStore, tmp_path: Path) -> None:
    # The store's object area (a directory beside SQLite, a table in PostgreSQL) keeps the
    # promises of runs.objects.ObjectArea whatever its backend.
    area = store.objects
    v1, v2 = tmp_path / "v1.csv", tmp_path / "v2.csv"
    v1.write_bytes(b"dataset v1")
    v2.write_bytes(b"dataset v2")
    first = area.put(v1)
    assert (first.size, first.added) == (10, True)
    again = area.put(v1, sha256=first.sha256)
    assert (again.sha256, again.added) == (first.sha256, False)
    second = area.put(v2)
    assert digests_in(area) == sorted([first.sha256, second.sha256])
    area.restore(first.sha256, tmp_path / "back" / "v1.csv")
    assert (tmp_path / "back" / "v1.csv").read_bytes() == b"dataset v1"
    assert area.has(second.sha256)
    assert area.remove(second.sha256, touched_before=0.0) is False  # touched since
    assert area.remove(second.sha256) is True
    assert area.remove(second.sha256) is False
    assert digests_in(area) == [first.sha256]
    with pytest.raises(ObjectError, match="no such object"):
        area.restore("0" * 64, tmp_path / "nothing")
    v1.write_bytes(b"edited in place")
    with pytest.raises(ObjectError, match="changed while it was being copied"):
        area.put(v1, sha256=hashlib.sha256(b"something else").hexdigest())


def test_damaged_objects_are_never_handed_out(location: StoreLocation, tmp_path: Path) -> None:
    import uuid

    source = tmp_path / "rows.csv"
    source.write_bytes(b"golden rows")
    memory = FsspecObjectArea(f"memory://nbg-{uuid.uuid4().hex}")
    digest = memory.put(source).sha256
    memory._fs.pipe_file(memory._path(digest), b"other rows")
    with pytest.raises(ObjectError, match="damaged"):
        memory.restore(digest, tmp_path / "out.csv")
    assert not (tmp_path / "out.csv").exists()

    with open_store(dataclasses.replace(location, artifacts="database")) as store:
        area = store.objects
        digest = area.put(source).sha256
        with store._write_transaction():
            store._execute("UPDATE objects SET content = ? WHERE sha256 = ?", (b"x", digest))
        with pytest.raises(ObjectError, match="damaged"):
            read_object(area, digest)


# -- add, get, list, latest -----------------------------------------------------------------


def test_added_record_reads_back_equal(store: RunStore) -> None:
    record = make_record("20250301-120000-abcdef")
    store.add(record)
    assert store.get("20250301-120000-abcdef") == record


def test_adding_a_run_id_twice_is_an_error_and_keeps_the_first(store: RunStore) -> None:
    store.add(make_record("run-1", pipeline="first"))
    with pytest.raises(DuplicateRunError, match="already recorded"):
        store.add(make_record("run-1", pipeline="second"))
    assert store.get("run-1").pipeline == "first"
    # The failed add rolled back: the connection is usable for the next one.
    store.add(make_record("run-2"))
    assert store.get("run-2").run_id == "run-2"


def test_unique_prefix_finds_the_run(store: RunStore) -> None:
    for run_id in ("abc123", "abc456", "abd789"):
        store.add(make_record(run_id))
    assert store.get("abc1").run_id == "abc123"
    assert store.get("abd").run_id == "abd789"


def test_ambiguous_prefix_names_the_candidates(store: RunStore) -> None:
    for run_id in ("abc123", "abc456", "abd789"):
        store.add(make_record(run_id))
    with pytest.raises(RunNotFoundError) as caught:
        store.get("abc")
    message = str(caught.value)
    assert "ambiguous" in message
    assert "abc123" in message
    assert "abc456" in message
    assert "abd789" not in message
    assert "\n" not in message


def test_missing_run_is_run_not_found(store: RunStore) -> None:
    store.add(make_record("abc123"))
    with pytest.raises(RunNotFoundError, match="no run 'zzz'"):
        store.get("zzz")
    with pytest.raises(RunNotFoundError):
        store.get("")


def test_exact_id_wins_over_longer_ids_it_prefixes(store: RunStore) -> None:
    store.add(make_record("run1"))
    store.add(make_record("run10"))
    assert store.get("run1").run_id == "run1"


def test_prefix_is_literal_not_a_pattern(store: RunStore) -> None:
    store.add(make_record("abc"))
    store.add(make_record("ABD"))
    for pattern in ("a_", "a%", "a*", "a?", "a[b]"):
        with pytest.raises(RunNotFoundError):
            store.get(pattern)
    # Case matters: LIKE would find both and call "ab" ambiguous.
    assert store.get("ab").run_id == "abc"


def test_list_is_newest_first_across_utc_offsets(store: RunStore) -> None:
    plus_two = timezone(timedelta(hours=2))
    # 12:30+02:00 is 10:30 UTC: older than 11:00 UTC although its wall-clock text sorts later.
    store.add(make_record("middle", started_at=datetime(2025, 3, 1, 12, 30, tzinfo=plus_two)))
    store.add(make_record("newest", started_at=datetime(2025, 3, 1, 11, 0, tzinfo=timezone.utc)))
    store.add(make_record("oldest", started_at=datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)))

    assert [record.run_id for record in store.list()] == ["newest", "middle", "oldest"]


def test_list_filters_and_limits(store: RunStore) -> None:
    for index in range(5):
        store.add(make_record(f"qa-{index}", started_at=T0 + timedelta(minutes=index)))
    store.add(make_record("cal-0", kind="calibration"))
    store.add(make_record("rag-0", pipeline="rag"))

    assert [r.run_id for r in store.list(pipeline="qa", kind="eval", limit=2)] == ["qa-4", "qa-3"]
    assert [r.run_id for r in store.list(kind="calibration")] == ["cal-0"]
    assert [r.run_id for r in store.list(pipeline="rag")] == ["rag-0"]
    assert len(store.list()) == 7
    assert store.list(limit=0) == []
    with pytest.raises(ValueError, match="limit"):
        store.list(limit=-1)


def test_latest_run_of_a_pipeline_at_a_commit(store: RunStore) -> None:
    store.add(make_record("old-a", git_commit="a" * 40, started_at=T0))
    store.add(make_record("new-b", git_commit="b" * 40, started_at=T0 + timedelta(hours=1)))
    store.add(make_record("cal", kind="calibration", started_at=T0 + timedelta(hours=2)))
    store.add(make_record("other", pipeline="rag", started_at=T0 + timedelta(hours=3)))

    assert store.latest("qa").run_id == "new-b"
    assert store.latest("qa", git_ref_commit="a" * 40).run_id == "old-a"
    assert store.latest("qa", git_ref_commit="c" * 40) is None
    assert store.latest("qa", kind="calibration").run_id == "cal"
    assert store.latest("missing") is None


@pytest.mark.parametrize("run_id", ["", ".", "..", "../escape", "a/b", "a\\b", " padded"])
def test_run_ids_that_are_not_one_path_component_are_refused(
    store: RunStore, run_id: str, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="invalid run id"):
        store.add(make_record(run_id), artifacts={"repeat-0.ipynb": b"{}"})
    assert not (tmp_path / "escape").exists()
    assert store.list() == []


# -- export and load ------------------------------------------------------------------------


def test_export_and_load_round_trip_to_another_store(tmp_path: Path, store: RunStore) -> None:
    record = make_record("20250301-abcdef", git_commit="f" * 40)
    store.add(record)
    exported = tmp_path / "elsewhere" / "run.json"
    exported.parent.mkdir()

    assert store.export("20250301", exported) == record

    data = json.loads(exported.read_text(encoding="utf-8"))
    assert data["run_id"] == "20250301-abcdef"
    assert data["schema_version"] == record.schema_version
    loaded = load_record_file(exported)
    assert loaded == record
    with open_store(tmp_path / "other-machine") as other:
        other.add(loaded)
        assert other.get("20250301-abcdef") == record


def test_export_of_a_missing_run_writes_nothing(tmp_path: Path, store: RunStore) -> None:
    with pytest.raises(RunNotFoundError):
        store.export("nope", tmp_path / "run.json")
    assert not (tmp_path / "run.json").exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'{"run_id": ', "not valid JSON"),
        (b"[1, 2]", "expected a JSON object"),
        (b'{"run_id": "x"}', "invalid run record"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b'{"schema_version": 99, "run_id": "x"}', "newer nbgraduate"),
    ],
)
def test_bad_record_files_are_one_line_errors(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "run.json"
    path.write_bytes(content)
    with pytest.raises(RecordFileError) as caught:
        load_record_file(path)
    message = str(caught.value)
    assert expected in message
    assert str(path) in message
    assert "\n" not in message


def test_missing_record_file_is_a_record_file_error(tmp_path: Path) -> None:
    with pytest.raises(RecordFileError, match="no such file"):
        load_record_file(tmp_path / "absent.json")


# -- default root ---------------------------------------------------------------------------


def test_default_root_is_the_nearest_project_directory(tmp_path: Path) -> None:
    outer = tmp_path / "repo"
    (outer / ".git").mkdir(parents=True)
    inner = outer / "packages" / "evals"
    (inner / "notebooks").mkdir(parents=True)
    (inner / "pyproject.toml").write_text("[project]\nname = 'evals'\n")
    notebook = inner / "notebooks" / "qa.ipynb"
    notebook.write_text("{}")

    assert default_store_root(inner / "notebooks") == inner / ".nbgraduate"
    assert default_store_root(notebook) == inner / ".nbgraduate"
    assert default_store_root(outer / "packages") == outer / ".nbgraduate"


def test_git_file_of_a_worktree_marks_a_project(tmp_path: Path) -> None:
    (tmp_path / "wt").mkdir()
    (tmp_path / "wt" / ".git").write_text("gitdir: /elsewhere\n")
    assert default_store_root(tmp_path / "wt") == tmp_path / "wt" / ".nbgraduate"


def test_default_root_without_a_project_is_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    markers = [d for d in (lonely, *lonely.parents) if (d / ".git").exists()]
    markers += [d for d in (lonely, *lonely.parents) if (d / "pyproject.toml").exists()]
    if markers:
        pytest.skip(f"tmp_path lies inside a project: {markers[0]}")
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    assert default_store_root(lonely) == work / ".nbgraduate"


# -- several processes ----------------------------------------------------------------------


def _write_runs(location: StoreLocation, writer: str, count: int, go: Any) -> None:
    # In a forked child: wait for the others, then open the (maybe not yet created) store and
    # add as fast as possible. Nothing of the parent's store connections is inherited.
    go.wait(60)
    with open_store(location) as store:
        for index in range(count):
            now = datetime.now(timezone.utc)
            store.add(
                make_record(f"{writer}-{index:03d}", started_at=now),
                artifacts={"repeat-0.ipynb": f"{writer} {index}".encode()},
            )


def test_twenty_concurrent_writers_neither_lose_nor_duplicate_a_record(
    location: StoreLocation,
) -> None:
    # Twenty CI jobs recording at once into a store none of them has created yet. Forked
    # processes: each is its own process with its own connection, without paying twenty
    # interpreter start-ups on a two-core CI machine.
    context = multiprocessing.get_context("fork")
    go = context.Event()
    writers, per_writer = 20, 8
    children = [
        context.Process(target=_write_runs, args=(location, f"w{number}", per_writer, go))
        for number in range(writers)
    ]
    for child in children:
        child.start()
    go.set()
    for child in children:
        child.join(120)
        assert child.exitcode == 0

    expected = {f"w{n}-{i:03d}" for n in range(writers) for i in range(per_writer)}
    with open_store(location) as store:
        records = store.list()
        assert store.integrity_problems() == []
        assert store.read_artifact("w7-003", "repeat-0.ipynb") == b"w7 3"
    assert len(records) == len(expected)  # no duplicates
    assert {record.run_id for record in records} == expected  # nothing lost


ENDLESS_WRITER = """
store = open_store(sys.argv[1])
index = 0
while True:
    run_id = f"kill-{index:05d}"
    store.add(make(run_id, blob="x" * 50_000))
    print(run_id, flush=True)
    index += 1
"""


def test_sigkill_mid_writing_keeps_every_committed_record(tmp_path: Path) -> None:
    root = tmp_path / ".nbgraduate"
    child = run_child(ENDLESS_WRITER, str(root))
    assert child.stdout is not None
    reported: list[str] = []
    deadline = time.monotonic() + 60
    while len(reported) < 40 and time.monotonic() < deadline:
        line = child.stdout.readline()
        if not line:
            break
        reported.append(line.strip())
    assert len(reported) >= 40, child.stderr.read() if child.stderr else ""

    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    # Read through the same text stream: lines its buffer already holds count too (communicate
    # reads the pipe's descriptor directly and would miss them).
    reported += child.stdout.read().split()
    assert child.returncode == -signal.SIGKILL

    with open_store(root) as reopened:
        assert reopened.integrity_problems() == []
        stored = {record.run_id for record in reopened.list()}
        assert set(reported) <= stored
        # Nothing beyond the one add that may have committed just before the kill.
        assert len(stored - set(reported)) <= 1
        reopened.add(make_record("after-the-kill"))
        assert reopened.get("after-the-kill").run_id == "after-the-kill"


HALF_WRITER = """
import sqlite3, time
store = open_store(sys.argv[1])
store.add(make("committed"))
connection = sqlite3.connect(store.database_path, isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
connection.execute(
    "INSERT INTO runs (run_id, pipeline, kind, status, started_at, ended_at, duration_s,"
    " record_json) VALUES ('half', 'qa', 'eval', 'passed', 'x', 'x', 0, '{}')"
)
print("inside the transaction", flush=True)
time.sleep(600)
"""


def test_process_killed_inside_a_transaction_leaves_an_openable_store(tmp_path: Path) -> None:
    root = tmp_path / ".nbgraduate"
    child = run_child(HALF_WRITER, str(root))
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "inside the transaction"

    os.kill(child.pid, signal.SIGKILL)
    child.communicate(timeout=30)

    with open_store(root) as reopened:
        assert reopened.integrity_problems() == []
        assert [record.run_id for record in reopened.list()] == ["committed"]
        # The killed writer's lock is gone: a new write does not wait for it.
        started = time.monotonic()
        reopened.add(make_record("next"))
        assert time.monotonic() - started < 5
