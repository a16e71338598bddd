"""Forked lint workers: every file's result, in order, whatever process linted it."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from nbgraduate.lint import workers
from nbgraduate.lint.diagnostics import InputError
from nbgraduate.lint.jobs import FileJob, FileResult

pytestmark = pytest.mark.skipif(not workers.can_fork(), reason="the platform does not fork")


def _jobs(tmp_path: Path, count: int) -> list[FileJob]:
    jobs = []
    for index in range(count):
        path = tmp_path / f"eval_{index:02d}.py"
        path.write_text("x = 1\n" * (index % 7 + 1), encoding="utf-8")
        jobs.append(FileJob(path=path, display_path=path.name, codes=frozenset()))
    return jobs


def _linted_by(job: FileJob) -> FileResult:
    """A result that says which process made it."""
    return FileResult([], InputError(job.display_path, str(os.getpid())))


def test_every_file_is_linted_once_in_job_order_by_several_processes(tmp_path: Path) -> None:
    jobs = _jobs(tmp_path, 40)
    markers = tmp_path / "linting"
    markers.mkdir()

    def lint(job: FileJob) -> FileResult:
        # Each process waits until another one lints too; else the first to start could take
        # every file of such quick jobs before the others have forked.
        (markers / str(os.getpid())).touch()
        for _ in range(1000):
            if len(list(markers.iterdir())) > 1:
                break
            time.sleep(0.01)
        return _linted_by(job)

    results = workers.lint_in_workers(jobs, 3, lint)
    assert [result.error.path for result in results if result.error] == [
        job.display_path for job in jobs
    ]
    assert len({result.error.reason for result in results if result.error}) > 1


def test_files_of_a_worker_that_dies_are_linted_by_the_parent(tmp_path: Path) -> None:
    parent = os.getpid()
    jobs = _jobs(tmp_path, 30)

    def dies_in_a_child(job: FileJob) -> FileResult:
        if os.getpid() != parent:
            os._exit(3)  # a crash that no exception handler sees
        return _linted_by(job)

    results = workers.lint_in_workers(jobs, 2, dies_in_a_child)
    assert [result.error.path for result in results if result.error] == [
        job.display_path for job in jobs
    ]
    assert {result.error.reason for result in results if result.error} == {str(parent)}


def test_when_no_process_can_be_forked_this_one_lints_every_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", refuse)
    jobs = _jobs(tmp_path, 10)
    results = workers.lint_in_workers(jobs, 4, _linted_by)
    assert [result.error.path for result in results if result.error] == [
        job.display_path for job in jobs
    ]
    assert {result.error.reason for result in results if result.error} == {str(os.getpid())}


def test_a_caller_that_froze_nothing_gets_its_collector_back(tmp_path: Path) -> None:
    import gc

    gc.unfreeze()
    workers.lint_in_workers(_jobs(tmp_path, 6), 2, lambda job: FileResult([], None))
    assert gc.get_freeze_count() == 0


def test_a_caller_that_froze_its_heap_keeps_it_frozen(tmp_path: Path) -> None:
    import gc

    gc.freeze()
    try:
        assert gc.get_freeze_count() > 0
        workers.lint_in_workers(_jobs(tmp_path, 6), 2, lambda job: FileResult([], None))
        assert gc.get_freeze_count() > 0  # not unfrozen (objects freed meanwhile may leave)
    finally:
        gc.unfreeze()
