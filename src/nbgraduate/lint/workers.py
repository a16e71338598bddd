"""Lint many files on every core: forked workers that start warm, the parent among them.

A process pool made the parent wait idle while its workers re-walked the parent's heap (the
garbage collector touching every inherited object copies its page), took jobs and results
through pickles in chunks, and tore a whole interpreter down at exit: about a sixth more CPU
than linting the files in one process. Here the parent forks ``workers - 1`` children after
the rules are imported and the heap is frozen for the collector; the jobs are already in every
child's memory. Each process, the parent included, takes the next file (largest first, so the
last ones are short) from a shared counter, and each child sends its results back once, in one
pickle, then leaves without the interpreter's clean-up. A child that dies leaves its files to
the parent.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import struct
from collections.abc import Callable, Sequence

from nbgraduate.lint.jobs import FileJob, FileResult

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from typing import BinaryIO

__all__ = ["can_fork", "lint_in_workers"]

Linter = Callable[[FileJob], FileResult]

#: The claim counter's token: the index of the next file to claim.
_COUNTER = struct.Struct("=q")


def can_fork() -> bool:
    """Whether this platform forks (not Windows); elsewhere a process pool does the work."""
    return hasattr(os, "fork")


def lint_in_workers(jobs: Sequence[FileJob], workers: int, lint: Linter) -> list[FileResult]:
    """``[lint(job) for job in jobs]`` on ``workers`` processes (this one included), in order."""
    order = _largest_first(jobs)
    # The shared counter is a token in a pipe: whoever reads it holds it, and writes back the
    # next value. One pipe does the work of a shared integer and a lock, without importing
    # ``multiprocessing`` (about 10 ms before the first fork, while the other core waits).
    token_read, token_write = os.pipe()
    os.write(token_write, _COUNTER.pack(0))

    def next_index() -> int | None:
        # The token is written whole (8 bytes, far below PIPE_BUF), so it is read whole.
        (taken,) = _COUNTER.unpack(os.read(token_read, _COUNTER.size))
        os.write(token_write, _COUNTER.pack(taken + 1))
        return order[taken] if taken < len(order) else None

    results: list[FileResult | None] = [None] * len(jobs)
    children: list[tuple[int, BinaryIO]] = []  # (pid, read end of its pipe), not yet collected
    # The children's collector leaves the inherited heap alone (and unshared). The command
    # line froze its own heap after its imports and keeps it frozen; a caller that had frozen
    # nothing (a library use, a test) gets its collector back as it was once the children end.
    caller_froze = gc.get_freeze_count() > 0
    gc.freeze()
    try:
        for _ in range(min(workers, len(jobs)) - 1):
            read_end, write_end = os.pipe()
            try:
                pid = os.fork()
            except OSError:  # no more processes or memory: the ones there are do the work
                os.close(read_end)
                os.close(write_end)
                break
            if pid == 0:  # the child: lint, report, leave
                os.close(read_end)
                _child(write_end, next_index, jobs, lint)
            os.close(write_end)
            children.append((pid, os.fdopen(read_end, "rb")))
        while (index := next_index()) is not None:
            results[index] = lint(jobs[index])
        while children:
            pid, source = children[0]
            reported = _collected(source)
            children.pop(0)
            os.waitpid(pid, 0)
            for index, result in reported:
                results[index] = result
    finally:
        for pid, source in children:  # interrupted: stop the children that are left
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
                os.waitpid(pid, 0)
            source.close()
        if not caller_froze:
            gc.unfreeze()
        os.close(token_read)
        os.close(token_write)
    # Files a child claimed but never reported (it died): linted here.
    return [lint(jobs[i]) if result is None else result for i, result in enumerate(results)]


def _largest_first(jobs: Sequence[FileJob]) -> list[int]:
    def size(index: int) -> int:
        try:
            return os.stat(jobs[index].path).st_size
        except OSError:
            return 0

    return sorted(range(len(jobs)), key=size, reverse=True)


def _child(
    write_end: int,
    next_index: Callable[[], int | None],
    jobs: Sequence[FileJob],
    lint: Linter,
) -> None:
    """Lint claimed files, send ``[(index, result), ...]`` and exit without clean-up (atexit
    handlers and buffered output belong to the parent)."""
    status = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C ends a child quietly
        done = []
        while (index := next_index()) is not None:
            done.append((index, lint(jobs[index])))
        with os.fdopen(write_end, "wb") as out:
            pickle.dump(done, out, protocol=pickle.HIGHEST_PROTOCOL)
        status = 0
    finally:
        os._exit(status)


def _collected(source: BinaryIO) -> list[tuple[int, FileResult]]:
    """What a child sent; nothing when it died before sending all of it."""
    with source:
        data = source.read()
    try:
        return pickle.loads(data)
    except Exception:  # a truncated pickle raises several types
        return []
