"""Exit codes every command shares, and the one way a command stops with an error line.

Plain standard library, no typer: ``nbgraduate lint`` (parsed with argparse, see
:mod:`nbgraduate.cli.lint`) goes through this boundary without importing typer. A
:class:`SystemExit` is what both typer (click) and argparse-based commands stop with.
"""

from __future__ import annotations

import functools
import sys

from nbgraduate.core.errors import NbgraduateError, printable

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeVar

    _Command = TypeVar("_Command", bound=Callable[..., object])

__all__ = [
    "EXIT_CLEAN",
    "EXIT_ERROR",
    "EXIT_FINDINGS",
    "EXIT_INFRASTRUCTURE",
    "StdoutGuard",
    "error_boundary",
    "fail",
    "write_stdout",
]

EXIT_CLEAN = 0
#: Findings, drift, a failed eval or a blocked commit: the input is fine, the answer is "no".
EXIT_FINDINGS = 1
#: Usage, configuration or unreadable input.
EXIT_ERROR = 2
#: Something outside the user's input failed (a kernel, an API, the network).
EXIT_INFRASTRUCTURE = 3


def fail(message: str, code: int = EXIT_ERROR) -> SystemExit:
    """Print ``error: message`` on stderr; raise the returned exit (``raise fail(...)``)."""
    error_line(message)
    return SystemExit(code)


def error_line(message: str) -> None:
    """``error: message`` on stderr (looked up at call time, so test runners capture it).

    A lone surrogate (an undecodable byte of a file name, a ``\\ud800`` escape quoted from a
    file) is written as an escape: stderr may be strict UTF-8, and a traceback there would
    replace the one line the user needs.
    """
    sys.stderr.write(f"error: {printable(message)}\n")
    sys.stderr.flush()


def error_boundary(command: _Command) -> _Command:
    """Register ``command`` through this: an :class:`NbgraduateError` it raises becomes one
    ``error:`` line per line of its message and the error's own exit code, so commands never
    catch errors just to print them (typer reads the wrapped signature)."""

    @functools.wraps(command)
    def guarded(*args: object, **kwargs: object) -> object:
        try:
            return command(*args, **kwargs)
        except NbgraduateError as error:
            from nbgraduate.knowledge.secrets import redact

            # An error may quote user input (a bad `-p token=...` value, a line of a file):
            # no secret leaves through it beyond its first four characters.
            lines = redact(str(error)).splitlines() or [type(error).__name__]
            for line in lines[:-1]:
                error_line(line)
            raise fail(lines[-1], error.exit_code) from None

    return guarded  # type: ignore[return-value]


def write_stdout(text: str, *, what: str = "the output") -> None:
    """``text`` on standard output, flushed. A reader that stops early (``| head``) ends it
    quietly; a device that refuses it (a full disk, ``> /dev/full``) is one error line and
    :data:`EXIT_ERROR`, not a traceback. Either way standard output is then pointed at the
    null device, so the exit's own flush of what is still buffered cannot fail again."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        silence_stdout()
    except OSError as error:
        silence_stdout()
        raise fail(f"cannot write {what} to standard output: {error.strerror or error}") from None


def silence_stdout() -> None:
    """Point standard output at the null device (after a write to it failed)."""
    import os

    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError):  # no file descriptor to point elsewhere
        pass


class StdoutGuard:
    """Around the typer application: a write to standard output that fails ends the command
    as :func:`write_stdout` does, however deep in click or a command it was made.

    click turns a closed pipe into exit code 1 itself; a refused write (``> /dev/full``)
    would be a traceback. It is told from any other ``OSError`` by the frame that raised it:
    standard output (or its byte buffer) is one of that frame's local values, as in
    ``click.echo``. Any other error passes through unchanged.
    """

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, error: BaseException | None, traceback: object) -> bool:
        if not isinstance(error, OSError) or not _raised_writing_stdout(error):
            return False
        silence_stdout()
        if isinstance(error, BrokenPipeError):
            raise SystemExit(EXIT_FINDINGS)  # what click does with a closed pipe
        raise fail(
            f"cannot write the output to standard output: {error.strerror or error}"
        ) from None


def _raised_writing_stdout(error: OSError) -> bool:
    frame_traceback = error.__traceback__
    if frame_traceback is None:
        return False
    while frame_traceback.tb_next is not None:
        frame_traceback = frame_traceback.tb_next
    stdout = sys.stdout
    streams = {id(stdout), id(getattr(stdout, "buffer", None))}
    for value in frame_traceback.tb_frame.f_locals.values():
        if id(value) in streams or id(getattr(value, "buffer", None)) in streams:
            return True
    return False
