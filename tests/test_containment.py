"""Nothing outside the pipeline is touched: ``convert --force`` replaces only what it wrote, a
lock never leads a command outside the repository, special files are never opened, an
interrupted conversion leaves no half pipeline, and damaged stores or records fail safely.

Every test runs the real command line in a fresh interpreter on files in a temp directory.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from cli_runner import run_cli
from nbformat.v4 import new_code_cell, new_notebook

LEGACY = Path(__file__).resolve().parents[1] / "fixtures" / "legacy"
STEM = "rag_grounding_eval"
PIPELINE_FILES = ("requirements.txt", "nbgraduate.lock", "CONVERSION.md", "CHANGELOG.md")

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")


# --- helpers -------------------------------------------------------------------------------


def copy_legacy(directory: Path) -> Path:
    target = directory / "legacy"
    shutil.copytree(
        LEGACY, target, ignore=shutil.ignore_patterns("stand_in", "__pycache__", "README.md")
    )
    return target


def listing(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root`` with its bytes (``None`` for directories)."""
    return {
        str(path.relative_to(root)): (path.read_bytes() if path.is_file() else None)
        for path in sorted(root.rglob("*"))
    }


def one_error_line(result: subprocess.CompletedProcess[str], *, code: int = 2) -> str:
    assert result.returncode == code, (result.stdout, result.stderr)
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: "), line
    assert "Traceback" not in result.stderr
    return line


def write_pipeline(directory: Path, *cells: str) -> Path:
    """A hand-written pipeline: a ``parameters`` cell and ``cells``, locked by the real CLI."""
    parameters = new_code_cell("seed: int = 0  # seed")
    parameters.metadata["tags"] = ["parameters"]
    notebook = new_notebook(cells=[parameters, *(new_code_cell(cell) for cell in cells)])
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    directory.mkdir(parents=True)
    nbformat.write(notebook, str(directory / f"{directory.name}.ipynb"))
    (directory / "requirements.txt").write_text("", encoding="utf-8")
    locked = run_cli(directory.parent, "lock", directory.name)
    assert locked.returncode == 0, locked.stderr
    return directory


def tamper_lock(pipeline: Path, **changes: object) -> None:
    path = pipeline / "nbgraduate.lock"
    document = json.loads(path.read_text(encoding="utf-8"))
    document.update(changes)
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A repository (``.git`` marks its root) with one locked pipeline, ``evals/judge``."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "data" / "golden.csv").write_text("id,label\n1,pass\n", encoding="utf-8")
    write_pipeline(
        root / "evals" / "judge",
        'import pathlib\nrows = pathlib.Path("../../data/golden.csv").read_text()',
    )
    return root


# --- convert --force replaces only a pipeline nbgraduate wrote ------------------------------


def test_force_into_an_ancestor_of_the_source_is_refused_and_deletes_nothing(
    tmp_path: Path,
) -> None:
    legacy = copy_legacy(tmp_path)
    before = listing(tmp_path)

    result = run_cli(legacy, "convert", f"{STEM}.ipynb", "-o", str(tmp_path), "--force")

    line = one_error_line(result)
    assert "contains the notebook being converted" in line, line
    assert listing(tmp_path) == before


def test_force_refuses_a_directory_nbgraduate_did_not_write(tmp_path: Path) -> None:
    legacy = copy_legacy(tmp_path)
    other = tmp_path / "results"
    other.mkdir()
    (other / "scores.csv").write_text("a,b\n", encoding="utf-8")
    before = listing(tmp_path)

    result = run_cli(legacy, "convert", f"{STEM}.ipynb", "-o", str(other), "--force")

    line = one_error_line(result)
    assert "not a pipeline nbgraduate wrote" in line, line
    assert listing(tmp_path) == before


def test_symlinked_destination_is_refused_not_followed(tmp_path: Path) -> None:
    legacy = copy_legacy(tmp_path)
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real, target_is_directory=True)

    result = run_cli(legacy, "convert", f"{STEM}.ipynb", "-o", str(tmp_path / "link"))

    assert "symbolic link" in one_error_line(result)
    assert list(real.iterdir()) == []
    assert (tmp_path / "link").is_symlink()


def test_batch_name_collision_is_refused_not_overwritten(tmp_path: Path) -> None:
    legacy = copy_legacy(tmp_path)
    batch = tmp_path / "batch"
    for version in ("v1", "v2"):
        (batch / version).mkdir(parents=True)
        shutil.copy(legacy / f"{STEM}.ipynb", batch / version / "judge.ipynb")
    shutil.copytree(legacy / "data", batch / "data")
    for version in ("v1", "v2"):
        shutil.copytree(legacy / "data", batch / version / "data")

    result = run_cli(tmp_path, "convert", "batch", "-o", "out")

    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "0 converted, 1 need a human, 1 refused" in result.stdout
    (line,) = result.stderr.splitlines()
    assert "v2" in line and "already the pipeline of" in line, line
    assert json.loads((tmp_path / "out" / "judge" / "nbgraduate.lock").read_text())["notebook"]


# --- a lock never leads outside the repository ----------------------------------------------


@pytest.mark.parametrize("notebook", ["../outside/x.ipynb", "/etc/passwd", "../../../x.ipynb"])
def test_lock_naming_a_notebook_outside_is_refused_by_verify_lock_and_run(
    project: Path, notebook: str
) -> None:
    outside = project.parent / "outside"
    outside.mkdir()
    marker = project.parent / "executed.flag"
    escapee = new_notebook(cells=[new_code_cell(f"open({str(marker)!r}, 'w').close()")])
    nbformat.write(escapee, str(outside / "x.ipynb"))
    pipeline = project / "evals" / "judge"
    tamper_lock(pipeline, notebook=notebook)

    for command in (("verify",), ("lock",), ("run",), ("run", "--allow-drift")):
        result = run_cli(pipeline.parent, *command, "judge")
        line = one_error_line(result)
        assert "nbgraduate.lock" in line and "notebook" in line, (command, line)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("field", "entry"),
    [
        ("datasets", {"path": "../../../outside.csv", "sha256": "a" * 64}),
        ("datasets", {"path": "/etc/passwd", "sha256": "a" * 64}),
        ("prompts", {"path": "../../data/golden.csv", "sha256": "a" * 64}),
    ],
)
def test_lock_naming_a_file_outside_is_refused(project: Path, field: str, entry: dict) -> None:
    pipeline = project / "evals" / "judge"
    tamper_lock(pipeline, **{field: [entry]})
    line = one_error_line(run_cli(pipeline.parent, "verify", "judge"))
    assert "invalid lock" in line and entry["path"] in line, line


def test_dataset_read_outside_the_repository_is_not_read_or_locked(project: Path) -> None:
    secret = project.parent / "private.csv"
    secret.write_text("salary\n1\n", encoding="utf-8")
    pipeline = project / "evals" / "outsider"
    parameters = new_code_cell("seed: int = 0  # seed")
    parameters.metadata["tags"] = ["parameters"]
    reader = new_code_cell(f"rows = open({str(secret)!r}).read()")
    pipeline.mkdir()
    nbformat.write(new_notebook(cells=[parameters, reader]), str(pipeline / "outsider.ipynb"))

    result = run_cli(pipeline.parent, "lock", "outsider")

    assert result.returncode == 0, result.stderr
    assert "outside the repository" in result.stderr
    lock = json.loads((pipeline / "nbgraduate.lock").read_text(encoding="utf-8"))
    assert [d["path"] for d in lock["datasets"]] == []
    assert run_cli(pipeline.parent, "verify", "outsider").returncode == 0


def test_dataset_above_the_pipeline_inside_the_repository_is_locked(project: Path) -> None:
    lock = json.loads((project / "evals/judge/nbgraduate.lock").read_text(encoding="utf-8"))
    assert [d["path"] for d in lock["datasets"]] == ["../../data/golden.csv"]
    assert lock["datasets"][0]["sha256"]


# --- strict lock validation -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"schema_version": 99}, "schema_version 99"),
        ({"schema_version": 0}, "schema_version 0"),
        ({"contract_version": "1.0"}, "contract_version"),
        ({"contract_version": "1" * 100_000 + ".0.0"}, "contract_version"),
        ({"kernel_name": "k" * 5000}, "kernel_name"),
        ({"datasets": [{"path": "x", "size": -1}]}, "size"),
    ],
)
def test_lock_is_validated_strictly(project: Path, changes: dict, expected: str) -> None:
    pipeline = project / "evals" / "judge"
    tamper_lock(pipeline, **changes)
    for command in ("verify", "lock"):
        line = one_error_line(run_cli(pipeline.parent, command, "judge"))
        assert expected in line and len(line) < 600, line


def test_deeply_nested_lock_is_one_line_for_every_command(project: Path) -> None:
    pipeline = project / "evals" / "judge"
    (pipeline / "nbgraduate.lock").write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    for command in ("verify", "lock", "run"):
        assert "nbgraduate.lock" in one_error_line(run_cli(pipeline.parent, command, "judge"))
    linted = run_cli(pipeline.parent, "lint", "judge")
    assert linted.returncode in (0, 1), linted.stderr
    assert "Traceback" not in linted.stderr


def test_lock_that_is_not_utf8_or_a_directory_is_one_line(project: Path) -> None:
    pipeline = project / "evals" / "judge"
    lock = pipeline / "nbgraduate.lock"
    lock.write_bytes(b'{"notebook": "\xff\xfe"}')
    assert "not UTF-8" in one_error_line(run_cli(pipeline.parent, "verify", "judge"))
    lock.unlink()
    lock.mkdir()
    assert "a directory" in one_error_line(run_cli(pipeline.parent, "verify", "judge"))


@needs_fifo
def test_lock_that_is_a_fifo_or_a_device_is_never_opened(project: Path) -> None:
    pipeline = project / "evals" / "judge"
    lock = pipeline / "nbgraduate.lock"
    lock.unlink()
    os.mkfifo(lock)
    for command in ("verify", "lock", "run"):
        line = one_error_line(run_cli(pipeline.parent, command, "judge", timeout=30))
        assert "FIFO" in line, line
    lock.unlink()
    lock.symlink_to("/dev/zero")
    assert "device" in one_error_line(run_cli(pipeline.parent, "verify", "judge", timeout=30))


@needs_fifo
def test_lint_never_opens_a_fifo_given_explicitly(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.ipynb")
    notebook = new_notebook(cells=[new_code_cell("import random\nx = random.random()")])
    nbformat.write(notebook, str(tmp_path / "real.ipynb"))

    result = run_cli(tmp_path, "lint", "pipe.ipynb", "real.ipynb", timeout=30)

    assert result.returncode == 2, result.stderr
    assert "real.ipynb:cell 1:2" in result.stdout
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: pipe.ipynb:") and "FIFO" in line, line


@needs_fifo
def test_lint_never_opens_a_gitignore_that_is_a_fifo(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    os.mkfifo(tmp_path / ".gitignore")
    notebook = new_notebook(cells=[new_code_cell("import random\nx = random.random()")])
    nbformat.write(notebook, str(tmp_path / "real.ipynb"))

    result = run_cli(tmp_path, "lint", ".", timeout=30)

    assert result.returncode == 1, result.stderr
    assert "real.ipynb:cell 1:2" in result.stdout


# --- an interrupted conversion leaves no pipeline or a complete one --------------------------


def _start_convert(cwd: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "nbgraduate", "convert", *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _assert_complete_or_absent(pipeline: Path) -> None:
    if not pipeline.exists():
        return
    for name in (*PIPELINE_FILES, f"{STEM}.ipynb"):
        assert (pipeline / name).is_file(), f"half a pipeline: {name} missing"
    json.loads((pipeline / "nbgraduate.lock").read_text(encoding="utf-8"))


def _kill_when(process: subprocess.Popen, ready, signal_number: int, deadline_s: float) -> None:
    """Send the signal the moment ``ready()`` holds (polled every millisecond), or at the
    deadline: a real kill at a chosen point of a real conversion."""
    deadline = time.monotonic() + deadline_s
    while process.poll() is None and not ready() and time.monotonic() < deadline:
        time.sleep(0.001)
    if process.poll() is None:
        process.send_signal(signal_number)
    process.wait(timeout=60)


@pytest.mark.parametrize("signal_number", [signal.SIGKILL, signal.SIGINT])
def test_interrupted_convert_leaves_no_half_pipeline_and_the_next_run_cleans_up(
    tmp_path: Path, signal_number: int
) -> None:
    legacy = copy_legacy(tmp_path)
    pipeline = legacy / STEM
    started = time.monotonic()
    first = run_cli(legacy, "convert", f"{STEM}.ipynb")
    duration = time.monotonic() - started
    assert first.returncode == 1, first.stderr

    def staging_exists() -> bool:
        return any(name.startswith(f".{STEM}.") for name in os.listdir(legacy))

    def pipeline_exists() -> bool:
        return pipeline.exists()

    # Kill when the staging directory appears, the moment the new pipeline appears, and at
    # times spread over a whole conversion; odd steps replace an existing pipeline.
    moments = [
        (staging_exists, True),
        (staging_exists, False),
        (pipeline_exists, True),
        *((lambda: False, step % 2 == 0) for step in range(3)),
    ]
    for step, (ready, fresh) in enumerate(moments):
        if fresh:
            shutil.rmtree(pipeline, ignore_errors=True)
        process = _start_convert(legacy, f"{STEM}.ipynb", "--force")
        waited = duration * (0.4 + 0.2 * step) if step >= 3 else duration * 3
        _kill_when(process, ready, signal_number, waited)
        _assert_complete_or_absent(pipeline)

    final = run_cli(legacy, "convert", f"{STEM}.ipynb", "--force")

    assert final.returncode == 1, final.stderr
    _assert_complete_or_absent(pipeline)
    assert pipeline.is_dir()
    assert not [p.name for p in legacy.iterdir() if p.name.startswith(".")]


def test_leftover_of_a_dead_conversion_is_restored_when_the_pipeline_is_gone(
    tmp_path: Path,
) -> None:
    legacy = copy_legacy(tmp_path)
    assert run_cli(legacy, "convert", f"{STEM}.ipynb").returncode == 1
    pipeline = legacy / STEM
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    retired = legacy / f".{STEM}.nbgraduate-replaced-{dead.stdout.strip()}-abc123"
    os.replace(pipeline, retired)

    result = run_cli(legacy, "convert", f"{STEM}.ipynb")

    # The old pipeline came back, so the conversion (without --force) is refused over it.
    assert "already exists" in one_error_line(result)
    assert (pipeline / "nbgraduate.lock").is_file()
    assert not retired.exists()


# --- damaged run stores and records ---------------------------------------------------------


def _store_with_records(root: Path, count: int) -> Path:
    from datetime import datetime, timezone

    from nbgraduate.runs.records import MetricSeries, RunRecord, RunStatus
    from nbgraduate.runs.store import open_store

    store_root = root / ".nbgraduate"
    now = datetime.now(timezone.utc)
    with open_store(store_root) as store:
        for index in range(count):
            store.add(
                RunRecord(
                    run_id=f"run-{index:03d}",
                    pipeline="evals/judge",
                    python_version="3.12",
                    platform="test",
                    started_at=now,
                    ended_at=now,
                    duration_s=1.0,
                    status=RunStatus.PASSED,
                    metrics=[MetricSeries(name="score", values=[0.5] * 400)],
                )
            )
    return store_root


def test_run_refuses_to_write_into_a_store_that_fails_quick_check(project: Path) -> None:
    store_root = _store_with_records(project, 60)
    database = store_root / "runs.sqlite"
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    data = bytearray(database.read_bytes())
    # Scribble over a b-tree page in the middle: the header still says SQLite.
    middle = (len(data) // page_size // 2) * page_size
    data[middle + 8 : middle + page_size - 8] = b"\x17" * (page_size - 16)
    database.write_bytes(bytes(data))

    result = run_cli(project / "evals", "run", "judge")

    line = one_error_line(result)
    assert "runs.sqlite" in line and "damaged" in line, line
    assert not (store_root / "runs").exists() or not any((store_root / "runs").iterdir())


def test_report_skips_an_unreadable_record_with_a_warning(tmp_path: Path) -> None:
    store_root = _store_with_records(tmp_path, 3)
    with sqlite3.connect(store_root / "runs.sqlite") as connection:
        connection.execute("UPDATE runs SET record_json = '{' WHERE run_id = 'run-001'")

    result = run_cli(tmp_path, "report", "--store", str(store_root), "-o", "out")

    assert result.returncode == 0, result.stderr
    (warning,) = result.stderr.splitlines()
    assert warning.startswith("warning: ") and "run-001" in warning, warning
    page = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "run-000" in page and "run-002" in page and "run-001" not in page
