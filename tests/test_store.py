"""Tests for the run store: real SQLite files in tmp_path, real writer processes, real SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from nbgraduate.core.errors import NbgraduateError
from nbgraduate.runs.records import MetricSeries, RunRecord, RunStatus
from nbgraduate.runs.store import (
    DATABASE_FILENAME,
    STORE_SCHEMA_VERSION,
    RecordFileError,
    RunNotFoundError,
    RunStore,
    StoreError,
    default_store_root,
    load_record_file,
)

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)

# Shared by the child processes: builds a minimal valid record, as the runner would.
CHILD_PRELUDE = """
import sys
from datetime import datetime, timezone
from pathlib import Path
from nbgraduate.runs.records import RunRecord, RunStatus
from nbgraduate.runs.store import RunStore

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


@pytest.fixture
def store(tmp_path: Path):
    with RunStore(tmp_path / ".nbgraduate") as opened:
        yield opened


def stored_ids(root: Path) -> set[str]:
    with RunStore(root) as reopened:
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
    RunStore(root).close()

    connection = sqlite3.connect(root / DATABASE_FILENAME)
    try:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("PRAGMA user_version").fetchone()[0] == STORE_SCHEMA_VERSION
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
        RunStore(root)

    message = str(caught.value)
    assert str(database) in message
    assert "\n" not in message
    assert isinstance(caught.value, NbgraduateError)


def test_damaged_pages_are_a_store_error_not_a_sqlite_exception(tmp_path: Path) -> None:
    root = tmp_path / ".nbgraduate"
    with RunStore(root) as store:
        for index in range(40):
            store.add(make_record(f"run-{index:03d}"))
    database = root / DATABASE_FILENAME
    assert not (root / f"{DATABASE_FILENAME}-wal").exists()  # checkpointed on close
    size = database.stat().st_size
    with database.open("r+b") as handle:
        handle.seek(4096)  # keep the header page, wreck the table and index pages
        handle.write(b"\xff" * (size - 4096))

    with pytest.raises(StoreError) as caught, RunStore(root) as damaged:
        damaged.list()
    assert str(database) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_store_written_by_a_newer_schema_is_refused(tmp_path: Path) -> None:
    root = tmp_path / ".nbgraduate"
    RunStore(root).close()
    connection = sqlite3.connect(root / DATABASE_FILENAME)
    connection.execute(f"PRAGMA user_version = {STORE_SCHEMA_VERSION + 1}")
    connection.close()

    with pytest.raises(StoreError, match="newer nbgraduate"):
        RunStore(root)


def test_open_without_create_does_not_make_a_store(tmp_path: Path) -> None:
    root = tmp_path / ".nbgraduate"
    with pytest.raises(StoreError, match="no run store"):
        RunStore(root, create=False)
    assert not root.exists()


# -- add, get, list, latest -----------------------------------------------------------------


def test_added_record_reads_back_equal(store: RunStore) -> None:
    record = make_record("20250301-120000-abcdef")
    store.add(record)
    assert store.get("20250301-120000-abcdef") == record


def test_adding_a_run_id_twice_is_an_error_and_keeps_the_first(store: RunStore) -> None:
    store.add(make_record("run-1", pipeline="first"))
    with pytest.raises(StoreError, match="already recorded"):
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


def test_artifact_dir_is_created_under_runs(store: RunStore) -> None:
    directory = store.artifact_dir("run-7")
    assert directory == store.root / "runs" / "run-7"
    assert directory.is_dir()
    assert store.artifact_dir("run-7") == directory  # idempotent


@pytest.mark.parametrize("run_id", ["", ".", "..", "../escape", "a/b", "a\\b", " padded"])
def test_run_ids_that_are_not_one_path_component_are_refused(store: RunStore, run_id: str) -> None:
    with pytest.raises(ValueError, match="invalid run id"):
        store.artifact_dir(run_id)
    with pytest.raises(ValueError, match="invalid run id"):
        store.add(make_record(run_id))
    assert not (store.root.parent / "escape").exists()


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
    with RunStore(tmp_path / "other-machine") as other:
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

WRITER = """
import time
root, writer, count, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
print("ready", flush=True)
while not go.exists():
    time.sleep(0.002)
# All writers open the (not yet existing) store at once, then add as fast as they can.
with RunStore(root) as store:
    for index in range(count):
        store.add(make(f"{writer}-{index:03d}"))
"""


def test_concurrent_writers_from_several_processes_all_land(tmp_path: Path) -> None:
    root = tmp_path / ".nbgraduate"
    go = tmp_path / "go"
    writers, per_writer = 6, 30
    children = [
        run_child(WRITER, str(root), f"w{number}", str(per_writer), str(go))
        for number in range(writers)
    ]
    for child in children:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
    go.touch()

    for child in children:
        _, stderr = child.communicate(timeout=120)
        assert child.returncode == 0, stderr

    expected = {f"w{n}-{i:03d}" for n in range(writers) for i in range(per_writer)}
    assert stored_ids(root) == expected
    with RunStore(root) as store:
        assert store.integrity_problems() == []


ENDLESS_WRITER = """
store = RunStore(sys.argv[1])
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

    with RunStore(root) as reopened:
        assert reopened.integrity_problems() == []
        stored = {record.run_id for record in reopened.list()}
        assert set(reported) <= stored
        # Nothing beyond the one add that may have committed just before the kill.
        assert len(stored - set(reported)) <= 1
        reopened.add(make_record("after-the-kill"))
        assert reopened.get("after-the-kill").run_id == "after-the-kill"


HALF_WRITER = """
import sqlite3, time
store = RunStore(sys.argv[1])
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

    with RunStore(root) as reopened:
        assert reopened.integrity_problems() == []
        assert [record.run_id for record in reopened.list()] == ["committed"]
        # The killed writer's lock is gone: a new write does not wait for it.
        started = time.monotonic()
        reopened.add(make_record("next"))
        assert time.monotonic() - started < 5
