"""Read a user's file only when it is a regular file: never block on a FIFO or read a device.

``open(path).read()`` on a named pipe waits forever for a writer, and on ``/dev/zero`` it
fills memory; both are one ``mkfifo`` or one tampered path away for any tool that reads paths
it was given or found in a lock. Every reader of such paths goes through :func:`read_regular`.
"""

from __future__ import annotations

import contextlib
import os
import stat

__all__ = ["NotARegularFile", "file_kind", "read_regular", "read_regular_text"]

# O_NONBLOCK makes opening a FIFO return at once instead of waiting for a writer; O_NOCTTY keeps
# a terminal device from becoming our controlling terminal. Neither changes reading a file.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
_OPEN_FLAGS |= getattr(os, "O_BINARY", 0)


class NotARegularFile(OSError):
    """The path exists but is a directory, FIFO, socket or device; ``str()`` says which."""


def file_kind(mode: int) -> str:
    """What a ``st_mode`` is, in the words an error message uses."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISREG(mode):
        return "a regular file"
    return "not a regular file"


def read_regular(path: str | os.PathLike[str], *, max_bytes: int | None = None) -> bytes:
    """The bytes of ``path``, which must be a regular file (symlinks to one are followed).

    Raises :class:`NotARegularFile` for anything else, before reading a byte, and for a file
    larger than ``max_bytes``; any other :class:`OSError` (missing, no permission) as ``open``
    raises it.
    """
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except IsADirectoryError:
        raise NotARegularFile(f"is {file_kind(stat.S_IFDIR)}, not a file") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotARegularFile(f"is {file_kind(info.st_mode)}, not a regular file")
        if max_bytes is not None and info.st_size > max_bytes:
            raise NotARegularFile(
                f"is {info.st_size:,} bytes, more than the {max_bytes:,} bytes accepted"
            )
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        with os.fdopen(fd, "rb") as handle:
            fd = -1  # the file object owns it now
            if max_bytes is None:
                data = handle.read()
            else:
                # A read of ``max_bytes + 1`` allocates that much (256 MB for a notebook) before
                # reading; ask for the size seen, then for the rest if the file has grown since.
                limit = max_bytes + 1
                data = handle.read(min(info.st_size + 1, limit))
                if len(data) > info.st_size:
                    data += handle.read(limit - len(data))
    finally:
        if fd != -1:
            with contextlib.suppress(OSError):
                os.close(fd)
    if max_bytes is not None and len(data) > max_bytes:
        raise NotARegularFile(f"is more than the {max_bytes:,} bytes accepted")
    return data


def read_regular_text(path: str | os.PathLike[str], *, max_bytes: int | None = None) -> str:
    """:func:`read_regular` decoded as UTF-8 (a BOM is dropped); ``UnicodeDecodeError`` as usual."""
    return read_regular(path, max_bytes=max_bytes).decode("utf-8-sig")
