"""Derived data kept beside the package's bytecode, trusted and written as ``.pyc`` files are.

A lint process recomputes some things from the same inputs every time (the programs of its
regular expressions, the parsed model policy). A later process can load them instead, from a
``marshal`` file in the ``__pycache__`` directory the interpreter uses for the same package
(under ``sys.pycache_prefix`` when one is set). Each file starts with a header that names
everything its content depends on; a file with another header, or one that does not load,
is ignored and replaced. Files are written as bytecode is: never when
``sys.dont_write_bytecode`` is set, atomically (readers see the old file or the new one), and
never as an error (a read-only installation only recomputes).
"""

from __future__ import annotations

import marshal
import os
import sys

__all__ = ["cache_path", "load", "store"]


def cache_path(source_directory: str, name: str) -> str | None:
    """``<source_directory>/__pycache__/<name>.<cache tag>.marshal``, where the interpreter
    puts that directory's bytecode; None for an interpreter that keeps no bytecode."""
    tag = sys.implementation.cache_tag
    if tag is None:
        return None
    source_directory = os.path.abspath(source_directory)
    prefix = getattr(sys, "pycache_prefix", None)
    if prefix:  # as importlib does: the absolute path under the prefix, without its drive
        tail = os.path.splitdrive(source_directory)[1]
        directory = os.path.join(prefix, tail.lstrip(os.sep + (os.altsep or "")))
    else:
        directory = os.path.join(source_directory, "__pycache__")
    return os.path.join(directory, f"{name}.{tag}.marshal")


def load(path: str | None, header: tuple) -> object | None:
    """What :func:`store` wrote at ``path`` under ``header``; None when the file is missing,
    unreadable, damaged, or written under another header."""
    if path is None:
        return None
    try:
        with open(path, "rb") as file:
            stored_header, payload = marshal.loads(file.read())
    except Exception:  # missing, unreadable, truncated, not marshal, not a pair
        return None
    return payload if stored_header == header else None


def store(path: str | None, header: tuple, payload: object) -> bool:
    """Write ``payload`` under ``header`` at ``path`` unless bytecode is not to be written;
    whether it was written (never an error: the next process recomputes)."""
    if path is None or sys.dont_write_bytecode:
        return False
    from nbgraduate.core.atomic import write_bytes_atomic

    try:
        data = marshal.dumps((header, payload))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        # Not fsynced: a file lost in a crash is only recomputed.
        write_bytes_atomic(path, data, durable=False)
    except Exception:  # read-only, full, gone, or a value marshal cannot write
        return False
    return True
