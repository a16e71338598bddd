"""Compiled regular expressions kept on disk, as the interpreter keeps bytecode.

``re.compile`` parses and compiles in pure Python, and lint compiles about two hundred
patterns (secret shapes, model ids, install commands, the rules' own): about 40 ms of a cold
``nbgraduate lint`` of one notebook (135 ms), paid again by every process, and by every
forked worker for the patterns compiled at first use. What the compiler produces is only
arguments to ``_sre.compile`` (the flags, a list of ints, the group names), so they are kept
in one ``marshal`` file in the package's ``__pycache__``, and a later process builds each
pattern from them directly, with no parsing.

The file is keyed like bytecode: its name carries ``sys.implementation.cache_tag`` and its
header the interpreter's version, ``_sre.MAGIC``, ``_sre.CODESIZE`` and nbgraduate's version;
a file that does not match, or does not load, is ignored and replaced. It is written as
bytecode is: never when ``sys.dont_write_bytecode`` is set, once per process and only by the
process that loaded this module (not a forked worker), only when something new was compiled,
atomically (a temporary file, then ``os.replace``), and never as an error. Any surprise from
the interpreter's internal compiler (a missing function, a changed signature, a pattern not
equal to what ``re.compile`` returns) turns the table off for the rest of the process, which
then compiles as ``re.compile`` does.
"""

from __future__ import annotations

import _sre
import os
import re
import sys

from nbgraduate.core import pycache

__all__ = ["RegexTable", "compile", "save"]

#: A table holds at most this many patterns (lint uses about two hundred); past it, a save
#: keeps only the patterns its process used.
MAX_ENTRIES = 1024

#: ``(is bytes, pattern, flags)``: a str and a bytes pattern of the same text differ, and the
#: flag comes first so that they are never compared.
_Key = tuple

#: What ``_sre.compile`` takes after the pattern: (flags, code, groups - 1, groupindex,
#: indexgroup).
_Program = tuple

_FORMAT = 1


def _header() -> tuple:
    """Everything a compiled program depends on besides its pattern and flags."""
    return (
        _FORMAT,
        sys.implementation.cache_tag,
        sys.hexversion,
        _sre.MAGIC,
        _sre.CODESIZE,
        # The package root is always imported before its modules; importing it by name here
        # would close a cycle (the root's recording API reaches the knowledge modules that
        # compile through this one).
        sys.modules["nbgraduate"].__version__,
    )


def _stdlib_compiler() -> tuple:
    """The interpreter's own parser and code generator (``re._parser`` and ``re._compiler``
    from 3.11, ``sre_parse`` and ``sre_compile`` before)."""
    if sys.version_info >= (3, 11):
        from re import _compiler, _parser
    else:  # pragma: no cover - Python 3.10
        import sre_compile as _compiler
        import sre_parse as _parser
    return _parser.parse, _compiler._code


def _default_path() -> str | None:
    """``nbgraduate/__pycache__/regex.<cache_tag>.marshal``, where the package's bytecode goes."""
    return pycache.cache_path(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "regex")


class RegexTable:
    """Compiled programs by ``(is bytes, pattern, flags)``, loaded from and saved to ``path``."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        #: The process that may save: a forked worker inherits the table but never writes it.
        self.owner = os.getpid()
        self.enabled = True
        self._programs: dict[_Key, _Program] | None = None  # loaded at the first compile
        self._used: set[_Key] = set()
        self._new = False
        self._saved = False
        self._registered = False

    def compile(self, pattern: str | bytes, flags: int | re.RegexFlag = 0) -> re.Pattern:
        """``re.compile(pattern, flags)``, built from the table when it holds the pattern."""
        if isinstance(flags, re.RegexFlag):
            flags = flags.value
        if (
            not self.enabled
            or type(flags) is not int
            or flags & re.DEBUG.value  # prints as it compiles: leave it to re
            or type(pattern) not in (str, bytes)
        ):
            return re.compile(pattern, flags)
        programs = self._programs if self._programs is not None else self._load()
        key = (type(pattern) is bytes, pattern, flags)
        program = programs.get(key)
        if program is not None:
            try:
                compiled = _sre.compile(pattern, *program)
            except Exception:  # a damaged entry: compile it again below
                del programs[key]
            else:
                self._used.add(key)
                return compiled
        return self._compile_new(key, pattern, flags)

    def _compile_new(self, key: _Key, pattern: str | bytes, flags: int) -> re.Pattern:
        expected = re.compile(pattern, flags)  # its errors are the caller's, as usual
        try:
            parse, generate = _stdlib_compiler()
            parsed = parse(pattern, flags)
            code = generate(parsed, flags)
            groupindex = dict(parsed.state.groupdict)
            indexgroup: list[str | None] = [None] * parsed.state.groups
            for name, index in groupindex.items():
                indexgroup[index] = name
            program = (
                flags | parsed.state.flags,
                [int(op) for op in code],  # opcodes are named int subclasses
                parsed.state.groups - 1,
                groupindex,
                tuple(indexgroup),
            )
            compiled = _sre.compile(pattern, *program)
            same = (
                compiled == expected
                and compiled.groups == expected.groups
                and compiled.groupindex == expected.groupindex
            )
        except Exception:
            same = False
        if not same:
            self.enabled = False
            return expected
        self._programs[key] = program  # type: ignore[index]
        self._used.add(key)
        self._new = True
        if not (self._registered or self._saved) and os.getpid() == self.owner:
            import atexit

            # Saved at exit unless the command saves first (``nbgraduate lint`` does, so that
            # its exit stays the fast one that skips the interpreter's tear-down).
            atexit.register(self.save)
            self._registered = True
        return compiled

    def _load(self) -> dict[_Key, _Program]:
        """The programs saved by an earlier process; none when the file is missing, damaged,
        or written by another interpreter or version."""
        programs = pycache.load(self.path, _header())
        if type(programs) is not dict or len(programs) > MAX_ENTRIES:
            programs = {}
        self._programs = programs
        return programs

    def save(self) -> None:
        """Write the table if this process compiled something new (once; never an error)."""
        if self._registered:
            import atexit

            atexit.unregister(self.save)
            self._registered = False
        if (
            self._saved
            or not self._new
            or self.path is None
            or sys.dont_write_bytecode
            or os.getpid() != self.owner
        ):
            return
        self._saved = True
        programs = self._programs or {}
        if len(programs) > MAX_ENTRIES:
            programs = {key: programs[key] for key in self._used if key in programs}
        pycache.store(self.path, _header(), programs)


#: The table of this installation, beside the package's bytecode.
TABLE = RegexTable(_default_path())


def compile(pattern: str | bytes, flags: int | re.RegexFlag = 0) -> re.Pattern:
    """``re.compile(pattern, flags)``, from the package's table of compiled programs."""
    return TABLE.compile(pattern, flags)


def save() -> None:
    """Write the package's table now if this process added to it (a command's last step)."""
    TABLE.save()
