"""Write files so readers see either the old content or the new, never a half-written file."""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

__all__ = ["write_bytes_atomic", "write_text_atomic"]


def write_text_atomic(path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8") -> None:
    """Replace ``path`` with ``text``, encoded as given, exactly (no newline translation).

    Notebooks and lock files are rewritten in place by fixes and the converter; an interrupted
    plain ``write_text`` would leave the user's notebook truncated.
    """
    write_bytes_atomic(path, text.encode(encoding))


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes, *, durable: bool = True) -> None:
    """Replace ``path`` with ``data`` via a temporary file in the same directory and ``os.replace``.

    The temporary file lives next to the target because ``os.replace`` is only atomic within
    one file system. An existing file keeps its permission bits (a fix must not make a
    script non-executable); a new file gets the usual ``0o666`` minus the umask. A symlink
    is followed, so the link stays a link and its target gets the new content.

    ``durable=False`` skips the two ``fsync`` calls: still atomic for every reader, but a
    crash may lose the new file. For caches, where a lost entry is only a miss and an fsync
    per entry would cost more than the work the entry saves.
    """
    target = Path(os.path.realpath(path))
    if target.exists() and not target.is_file():
        # A device, FIFO or socket (``-o /dev/stdout``, ``-o /dev/null``): replacing it would
        # destroy it, and there is no half-written file to protect against; write through.
        with open(target, "wb") as stream:
            stream.write(data)
        return
    mode = _mode_for(target)
    fd, temp_name = _create_temporary(target)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(temp_name, mode)
        os.replace(temp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    if durable:
        _fsync_directory(target.parent)


#: As ``tempfile.mkstemp`` opens its file: exclusively created, never through a symlink.
_TEMPORARY_FLAGS = (
    os.O_RDWR
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


def _create_temporary(target: Path) -> tuple[int, str]:
    """A new ``.NAME.RANDOM.tmp`` file beside ``target``, mode 0o600: ``tempfile.mkstemp``'s
    contract without importing tempfile (with random, shutil and compressors), which cost more
    than a lint run answered from the cache spends writing its report."""
    for _ in range(100):
        name = os.path.join(target.parent, f".{target.name}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(name, _TEMPORARY_FLAGS, 0o600), name
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {target}")


def _mode_for(target: Path) -> int:
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        # mkstemp creates 0o600 files; a new notebook should get the permissions any other
        # editor would give it. Reading the umask means setting it, so restore it at once.
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_directory(directory: Path) -> None:
    # Persist the rename itself; without this a crash can still lose the new directory entry.
    # Not possible on Windows (directories cannot be opened), where the rename is durable enough.
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
