"""The exceptions nbgraduate raises, grouped so callers can catch them by meaning."""

from __future__ import annotations

import os

__all__ = [
    "ConfigError",
    "FileError",
    "InputFileError",
    "NbgraduateError",
    "UsageError",
    "one_line",
    "printable",
]


def one_line(text: str) -> str:
    # Messages end up as single lines on stderr and in CI logs; a stray newline from an
    # underlying library (TOML, JSON, OS) would split one error into several log entries.
    return " ".join(text.split())


def printable(text: str) -> str:
    """``text`` as UTF-8 can carry it: a file name's undecodable bytes (held as lone
    surrogates) become ``\\xff``-style escapes, any other lone surrogate ``\\udc00``."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


class NbgraduateError(Exception):
    """Base of every error nbgraduate raises on purpose; ``exit_code`` is what the CLI returns.

    Catching this (and not ``Exception``) lets a caller tell "the user's input or setup is
    wrong" apart from a bug in nbgraduate.
    """

    exit_code: int = 2


class UsageError(NbgraduateError):
    """The command line is wrong: a bad flag value or an unknown rule code or selector."""

    exit_code = 2


class FileError(NbgraduateError):
    """Something about one file is wrong; ``str()`` is the one line ``path: message``.

    The path is kept separately so editors and the CLI can point at the offending file.
    """

    exit_code = 2

    def __init__(self, path: str | os.PathLike[str], message: str) -> None:
        self.path = os.fspath(path)
        self.message = one_line(message)
        super().__init__(self.path, self.message)

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ConfigError(FileError):
    """A configuration or state file (``pyproject.toml``, a baseline) cannot be used."""


class InputFileError(FileError):
    """A path to lint cannot be read as a notebook or script (missing, unreadable, bad JSON)."""

    @property
    def reason(self) -> str:
        return self.message
