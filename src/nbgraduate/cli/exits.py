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
    "error_boundary",
    "fail",
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
