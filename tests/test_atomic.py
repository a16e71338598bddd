"""Tests for atomic file writes: content, permissions, symlinks and cleanup on failure."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from nbgraduate.core import atomic
from nbgraduate.core.atomic import write_bytes_atomic, write_text_atomic


def test_creates_a_new_file_with_exact_text(tmp_path: Path) -> None:
    target = tmp_path / "eval.py"
    write_text_atomic(target, "x = 1\r\ny = 'é'\n")
    assert target.read_bytes() == "x = 1\r\ny = 'é'\n".encode()


def test_new_file_gets_umask_permissions_not_mkstemp_ones(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_bytes_atomic(tmp_path / "new.json", b"{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o644


def test_replaces_existing_file_and_keeps_its_permissions(tmp_path: Path) -> None:
    target = tmp_path / "run_eval.py"
    target.write_text("old\n")
    target.chmod(0o751)

    write_text_atomic(target, "new\n")

    assert target.read_text() == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o751


def test_leaves_no_temporary_files_behind(tmp_path: Path) -> None:
    write_bytes_atomic(tmp_path / "a.ipynb", b"{}")
    write_bytes_atomic(tmp_path / "a.ipynb", b"{ }")
    assert [p.name for p in tmp_path.iterdir()] == ["a.ipynb"]


def test_failure_keeps_old_content_and_removes_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "notebook.ipynb"
    target.write_bytes(b"original")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(atomic.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_bytes_atomic(target, b"half-written")

    assert target.read_bytes() == b"original"
    assert [p.name for p in tmp_path.iterdir()] == ["notebook.ipynb"]


def test_symlink_stays_a_link_and_its_target_is_updated(tmp_path: Path) -> None:
    real = tmp_path / "real.py"
    real.write_text("old\n")
    link = tmp_path / "link.py"
    link.symlink_to(real)

    write_text_atomic(link, "new\n")

    assert link.is_symlink()
    assert real.read_text() == "new\n"


def test_missing_directory_raises_without_creating_anything(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_text_atomic(tmp_path / "missing" / "x.py", "x")
    assert list(tmp_path.iterdir()) == []


def test_a_device_target_is_written_through_not_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    import threading

    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    write_text_atomic(fifo, "report\n")
    reader.join(timeout=10)
    assert received == [b"report\n"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_taken_temporary_name_is_never_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another writer's temporary file (or a planted symlink) at the first name drawn: the
    # write must create its own file, not open that one.
    target = tmp_path / "report.json"
    taken = tmp_path / f".report.json.{'00' * 6}.tmp"
    taken.symlink_to(tmp_path / "elsewhere")
    draws = iter([b"\0" * 6, b"\1" * 6])
    monkeypatch.setattr(atomic.os, "urandom", lambda size: next(draws))
    write_bytes_atomic(target, b"{}")
    assert target.read_bytes() == b"{}"
    assert taken.is_symlink() and not (tmp_path / "elsewhere").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [taken.name, "report.json"]
