"""Dataset snapshots and ``nbgraduate gc``: the object area, what runs keep, and what gc removes.

The object area and the snapshot policy are exercised on real files; the run and gc tests
use the real CLI on a real kernel, in a git repository whose dataset git ignores.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from tiny_pipelines import EVEN_ANSWERS, cli, git, new_project, run_id_of, show, write_pipeline

from nbgraduate.lock.builder import compute_lock
from nbgraduate.runs.objects import LocalObjectArea, ObjectError, objects_for
from nbgraduate.runs.records import RECORD_SCHEMA_VERSION
from nbgraduate.runs.snapshots import (
    RunDataset,
    SnapshotPolicy,
    snapshot_datasets,
    snapshot_policy,
)
from nbgraduate.runs.store import load_record_file, open_store

GOLDEN = "id,answer\nq1,4\nq2,6\nq3,9\n"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- the object area ---------------------------------------------------------------------


def test_put_keeps_each_content_once_read_only_and_restores_it(tmp_path: Path) -> None:
    area = LocalObjectArea(tmp_path / "objects")
    source = tmp_path / "golden.csv"
    source.write_text(GOLDEN, encoding="utf-8")
    digest = sha256(GOLDEN.encode())
    first = area.put(source)
    second = area.put(source, sha256=digest)
    assert (first.sha256, first.size, first.added) == (digest, len(GOLDEN), True)
    assert (second.sha256, second.added) == (digest, False)
    stored = area.path_of(digest)
    assert stored == tmp_path / "objects" / "sha256" / digest[:2] / digest
    assert stored.read_text(encoding="utf-8") == GOLDEN
    assert not os.access(stored, os.W_OK) or os.geteuid() == 0
    assert oct(stored.stat().st_mode & 0o777) == oct(0o444)
    assert [info.sha256 for info in area.objects()] == [digest]
    # An edit in place does not reach the kept copy.
    source.write_text("id,answer\nq1,5\n", encoding="utf-8")
    area.restore(digest, tmp_path / "restored" / "golden.csv")
    assert (tmp_path / "restored" / "golden.csv").read_text(encoding="utf-8") == GOLDEN


def test_put_of_bytes_that_changed_since_their_digest_stores_nothing(tmp_path: Path) -> None:
    area = LocalObjectArea(tmp_path / "objects")
    source = tmp_path / "golden.csv"
    source.write_text(GOLDEN, encoding="utf-8")
    with pytest.raises(ObjectError, match="changed while it was being copied"):
        area.put(source, sha256="0" * 64)
    assert list(area.objects()) == []
    assert [p.name for p in (tmp_path / "objects" / "sha256").iterdir()] == []


def test_a_damaged_object_is_never_restored(tmp_path: Path) -> None:
    area = LocalObjectArea(tmp_path / "objects")
    source = tmp_path / "golden.csv"
    source.write_text(GOLDEN, encoding="utf-8")
    digest = area.put(source).sha256
    stored = area.path_of(digest)
    stored.chmod(0o644)
    stored.write_text("id,answer\nq1,7\n", encoding="utf-8")
    target = tmp_path / "out" / "golden.csv"
    with pytest.raises(ObjectError, match="damaged"):
        area.restore(digest, target)
    assert not target.exists()
    with pytest.raises(ObjectError, match="no such object"):
        area.restore("1" * 64, target)
    with pytest.raises(ValueError, match="not a sha256"):
        area.path_of("../../etc/passwd")


def test_remove_spares_an_object_put_again_since(tmp_path: Path) -> None:
    area = LocalObjectArea(tmp_path / "objects")
    source = tmp_path / "golden.csv"
    source.write_text(GOLDEN, encoding="utf-8")
    digest = area.put(source).sha256
    old = time.time() - 7200
    os.utime(area.path_of(digest), (old, old))
    assert area.remove(digest, touched_before=old - 1) is False
    assert area.remove(digest, touched_before=old + 1) is True
    assert not area.has(digest)
    assert not area.path_of(digest).parent.exists()
    assert area.remove(digest) is False


# --- what a run keeps --------------------------------------------------------------------


def test_policy_limit_and_opt_out_are_recorded_with_their_reason(tmp_path: Path) -> None:
    area = LocalObjectArea(tmp_path / "objects")
    small = tmp_path / "small.csv"
    small.write_text(GOLDEN, encoding="utf-8")
    large = tmp_path / "large.csv"
    large.write_bytes(b"id,answer\n" + b"q,1\n" * 300)
    datasets = [
        RunDataset("small.csv", small, sha256(small.read_bytes())),
        RunDataset("large.csv", large, sha256(large.read_bytes())),
        RunDataset("gone.csv", tmp_path / "gone.csv", None),
        RunDataset("hf://datasets/org/qa@" + "a" * 40, None, None, remote=True, pin="a" * 40),
        RunDataset("https://example.org/main/qa.csv", None, None, remote=True),
    ]
    limited = SnapshotPolicy(max_bytes=1000, limit_text="0.001 MB")
    small_kept, large_not, gone, pinned, unpinned = snapshot_datasets(datasets, area, limited)
    assert small_kept.kept and small_kept.note is None and area.has(small_kept.sha256 or "")
    assert not large_not.kept and large_not.size == large.stat().st_size
    assert large_not.note == (
        "not kept: 0.0 MB is over the snapshot limit of 0.001 MB (snapshot-max-mb)"
    )
    assert not gone.kept and gone.note == "missing when the run started"
    assert pinned.remote and pinned.revision == "a" * 40 and pinned.note is None
    assert unpinned.note == "remote and not pinned by a revision: cannot be restored"
    off = snapshot_datasets(datasets[:1], area, SnapshotPolicy(enabled=False))
    assert off[0].note == "snapshots are off (--no-snapshot)" and not off[0].kept


def test_policy_is_read_from_pyproject_and_checked(tmp_path: Path) -> None:
    from nbgraduate.core.errors import ConfigError
    from nbgraduate.lint.config import clear_caches

    assert snapshot_policy(tmp_path) == SnapshotPolicy()
    pyproject = tmp_path / "pyproject.toml"

    def configure(value: str) -> None:
        pyproject.write_text(f"[tool.nbgraduate]\nsnapshot-max-mb = {value}\n", encoding="utf-8")
        clear_caches()  # a new process would read the file afresh

    configure("2.5")
    assert snapshot_policy(tmp_path).max_bytes == 2_500_000
    assert snapshot_policy(tmp_path, enabled=False).enabled is False
    configure("0")
    assert snapshot_policy(tmp_path).enabled is False
    configure('"lots"')
    with pytest.raises(ConfigError, match="snapshot-max-mb must be a number of megabytes"):
        snapshot_policy(tmp_path)


def test_remote_pins_come_from_the_notebook_analysis(tmp_path: Path) -> None:
    pipeline = write_pipeline(
        tmp_path / "remote",
        "seed: int = 0  # seed",
        "import pandas as pd\n"
        "from datasets import load_dataset\n"
        f"pinned = load_dataset('org/golden-qa', revision='{'b' * 40}')\n"
        "moving = pd.read_csv('https://raw.githubusercontent.com/org/evals/main/golden.csv')\n"
        f"fixed = pd.read_csv('https://raw.githubusercontent.com/org/evals/{'c' * 40}/g.csv')\n",
    )
    pins = compute_lock(pipeline).remote_pins
    assert pins == {
        "org/golden-qa": "b" * 40,
        "https://raw.githubusercontent.com/org/evals/main/golden.csv": None,
        f"https://raw.githubusercontent.com/org/evals/{'c' * 40}/g.csv": (
            f"https://raw.githubusercontent.com/org/evals/{'c' * 40}/g.csv"
        ),
    }


# --- record versions ---------------------------------------------------------------------


def _version_1_record() -> dict[str, object]:
    now = datetime(2025, 1, 2, tzinfo=timezone.utc).isoformat()
    return {
        "schema_version": 1,
        "run_id": "old-run",
        "pipeline": "evals/qa",
        "dataset_digests": {"../../data/golden.csv": "a" * 64},
        "python_version": "3.11.7",
        "platform": "linux",
        "started_at": now,
        "ended_at": now,
        "duration_s": 1.0,
        "status": "passed",
    }


def test_version_1_records_read_from_a_store_and_a_file(tmp_path: Path) -> None:
    root = tmp_path / ".nbgraduate"
    with open_store(root):
        pass
    connection = sqlite3.connect(root / "runs.sqlite")
    with connection:
        connection.execute(
            "INSERT INTO runs (run_id, pipeline, kind, status, started_at, ended_at,"
            " duration_s, record_json) VALUES ('old-run', 'evals/qa', 'eval', 'passed',"
            " '2025-01-02', '2025-01-02', 1.0, ?)",
            (json.dumps(_version_1_record()),),
        )
    connection.close()
    with open_store(root, create=False) as store:
        record = store.get("old-run")
    assert record.schema_version == RECORD_SCHEMA_VERSION
    assert record.datasets == [] and record.dataset_digests == {"../../data/golden.csv": "a" * 64}
    exported = tmp_path / "old.json"
    exported.write_text(json.dumps(_version_1_record()), encoding="utf-8")
    assert load_record_file(exported).datasets == []


# --- real runs, and gc ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("git") is None:
        pytest.skip("needs git")
    root = new_project(tmp_path_factory.mktemp("snapshots") / "project")
    (root / "data" / "golden.csv").write_text(GOLDEN, encoding="utf-8")
    write_pipeline(
        root / "evals" / "qa",
        'dataset: str = "../../data/golden.csv"  # dataset\nseed: int = 0  # seed',
        EVEN_ANSWERS,
    )
    locked = cli(root, "lock", "evals/qa")
    assert locked.returncode == 0, locked.stderr
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "qa pipeline")
    return root


def test_runs_keep_each_edit_of_an_ignored_dataset_and_gc_removes_only_orphans(
    project: Path,
) -> None:
    first = cli(project, "run", "evals/qa")
    assert first.returncode == 0, first.stderr
    record = show(project, run_id_of(first))
    (kept,) = record.datasets
    original = sha256(GOLDEN.encode())
    assert (kept.path, kept.sha256, kept.kept, kept.size) == (
        "../../data/golden.csv",
        original,
        True,
        len(GOLDEN),
    )
    assert record.dataset_digests == {"../../data/golden.csv": original}
    assert record.schema_version == RECORD_SCHEMA_VERSION
    objects = objects_for(project / ".nbgraduate")

    # Edited in place: the next run keeps the new bytes too, and the old ones stay.
    edited = GOLDEN.replace("q3,9", "q3,8")
    (project / "data" / "golden.csv").write_text(edited, encoding="utf-8")
    second = cli(project, "run", "evals/qa", "--allow-drift")
    assert second.returncode == 0, second.stderr
    (changed,) = show(project, run_id_of(second)).datasets
    assert changed.kept and changed.sha256 == sha256(edited.encode())
    stored = {info.sha256 for info in objects.objects()}
    assert stored == {original, changed.sha256}

    opted_out = cli(project, "run", "evals/qa", "--allow-drift", "--no-snapshot")
    assert opted_out.returncode == 0, opted_out.stderr
    (not_kept,) = show(project, run_id_of(opted_out)).datasets
    assert not not_kept.kept and not_kept.note == "snapshots are off (--no-snapshot)"

    # An object no record references: left by a run that died before recording.
    orphan_source = project / "orphan.csv"
    orphan_source.write_text("id,answer\nz,1\n", encoding="utf-8")
    area = LocalObjectArea(project / ".nbgraduate" / "objects")
    orphan = area.put(orphan_source).sha256
    recent = cli(project, "gc")
    assert recent.returncode == 0, recent.stderr
    assert "2 snapshots (" in recent.stdout and "referenced by 2 runs" in recent.stdout
    assert "1 unreferenced snapshot kept within the last 3600 s spared" in recent.stdout
    assert "nothing to remove" in recent.stdout

    hours_ago = time.time() - 7200
    os.utime(area.path_of(orphan), (hours_ago, hours_ago))
    dry = cli(project, "gc")
    assert dry.returncode == 0, dry.stderr
    assert orphan[:16] in dry.stdout
    assert "would remove 1 unreferenced snapshot (14 B); run `nbgraduate gc --delete`" in dry.stdout
    assert area.has(orphan)
    deleted = cli(project, "gc", "--delete")
    assert deleted.returncode == 0, deleted.stderr
    assert "removed 1 unreferenced snapshot (14 B)" in deleted.stdout
    assert {info.sha256 for info in objects.objects()} == {original, changed.sha256}


def test_gc_of_a_store_with_an_unreadable_record_removes_nothing(tmp_path: Path) -> None:
    root = tmp_path / ".nbgraduate"
    with open_store(root):
        pass
    area = LocalObjectArea(root / "objects")
    source = tmp_path / "x.csv"
    source.write_text("id\n1\n", encoding="utf-8")
    digest = area.put(source).sha256
    os.utime(area.path_of(digest), (0, 0))
    connection = sqlite3.connect(root / "runs.sqlite")
    with connection:
        connection.execute(
            "INSERT INTO runs (run_id, pipeline, kind, status, started_at, ended_at,"
            " duration_s, record_json) VALUES ('bad', 'qa', 'eval', 'passed', 'x', 'x', 1.0,"
            " '{\"run_id\": 3}')"
        )
    connection.close()
    result = cli(tmp_path, "gc", "--delete", "--store", str(root))
    assert result.returncode == 2, result.stdout
    assert "run bad cannot be read" in result.stderr
    assert area.has(digest)
