"""Gitignore-style patterns (``.gitignore``, ``exclude``, ``per-file-ignores``), matched without
importing pathspec when every pattern is a plain name or path.

Importing pathspec and building its pattern objects costs ``nbgraduate lint .`` about 10 ms, in
every CI job and pre-commit run of a git repository, more than linting a notebook. Most
``.gitignore`` files of eval repositories list only plain names and paths: ``.env``,
``__pycache__/``, ``*.pyc``, ``/outputs``, ``data/raw/``. For those this module compiles the
very regular expressions pathspec's gitwildmatch patterns compile for them and matches them the
way ``GitIgnoreSpec`` does, so the verdicts are the same by construction
(``tests/test_ignore_patterns.py`` compares them). A path part may hold single ``*``
(``*.pyc``, ``.coverage.*``); any other line (``?``, ``[...]``, ``**``, a part that is only
``*`` or dots, ``!`` negations, escapes, spaces) hands the whole file to pathspec.
"""

from __future__ import annotations

import os
import posixpath
import re
from functools import lru_cache

from nbgraduate.core import regex_cache

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    import pathspec

__all__ = ["IgnorePatterns", "compile_patterns"]

#: The characters of a pattern matched without pathspec: names, ``/`` and ``*`` (any characters
#: but ``/``); no other glob character, backslash, space or ``!``. :func:`_expression` rules
#: out the rest.
_PLAIN = regex_cache.compile(r"[A-Za-z0-9_.+@~,=%*/-]+")
#: The separators pathspec turns into ``/`` before matching (``pathspec.util.NORMALIZE_PATH_SEPS``).
_SEPARATORS = tuple(sep for sep in (os.sep, os.altsep) if sep and sep != posixpath.sep)


class IgnorePatterns:
    """The compiled lines of one ignore file or pattern list."""

    __slots__ = ()

    def verdict(self, path: str) -> bool | None:
        """True if ``path`` is ignored, False if a ``!`` pattern re-includes it, None if no
        pattern matches; a directory is given with a trailing ``/``."""
        raise NotImplementedError

    def matches(self, path: str) -> bool:
        """Whether ``path`` is ignored (``GitIgnoreSpec.match_file``)."""
        return bool(self.verdict(path))

    def without_matching(self, directory: str) -> IgnorePatterns:
        """These patterns without those that match ``directory`` (given with a trailing ``/``)."""
        raise NotImplementedError


@lru_cache(maxsize=1024)
def compile_patterns(lines: tuple[str, ...]) -> IgnorePatterns:
    """The patterns of ``lines``, matched by pathspec only when a line is not plain."""
    expressions = []
    for line in lines:
        if not line or line.startswith("#"):
            continue  # blank lines and comments match nothing
        expression = _expression(line) if _PLAIN.fullmatch(line) else None
        if expression is None:
            return _PathspecPatterns(_gitignore_spec(lines))
        expressions.append(expression)
    return _PlainPatterns(tuple(expressions))


def _expression(line: str) -> re.Pattern[str] | None:
    """The expression pathspec's ``GitWildMatchPattern`` builds for a plain pattern, or
    ``None`` when the pattern is not plain.

    A pattern with no ``/`` but a trailing one matches a whole path component at any depth; one
    with a ``/`` at the start or inside is anchored at the ignore file's directory. Either is
    followed by the end of the path or a ``/`` (only a ``/`` for a directory pattern).
    """
    directory = line.endswith("/")
    body = line[:-1] if directory else line
    anchored = "/" in body
    parts = (body[1:] if body.startswith("/") else body).split("/")
    if not all(_is_plain(part) for part in parts):
        return None
    path = "/".join("[^/]*".join(map(re.escape, part.split("*"))) for part in parts)
    start = "^" if anchored else "^(?:.+/)?"
    end = "(?P<ps_d>/)" if directory else "(?:(?P<ps_d>/)|$)"
    return regex_cache.compile(f"{start}{path}{end}")


def _is_plain(part: str) -> bool:
    # ``**`` spans directories and a part that is only ``*`` matches differently (pathspec
    # special-cases both); an empty part or one of dots and stars is left to pathspec too.
    return "**" not in part and bool(part.replace("*", "").strip("."))


class _PlainPatterns(IgnorePatterns):
    """Plain patterns: none negates, so a path is ignored when any of them matches."""

    __slots__ = ("_expressions",)

    def __init__(self, expressions: tuple[re.Pattern[str], ...]) -> None:
        self._expressions = expressions

    def verdict(self, path: str) -> bool | None:
        # ``pathspec.util.normalize_file``, which ``check_file`` applies first.
        for sep in _SEPARATORS:
            path = path.replace(sep, "/")
        if path.startswith("/"):
            path = path[1:]
        elif path.startswith("./"):
            path = path[2:]
        for expression in self._expressions:
            if expression.match(path):
                return True
        return None

    def without_matching(self, directory: str) -> IgnorePatterns:
        # As pathspec's ``Pattern.match_file``: no normalisation.
        kept = tuple(e for e in self._expressions if e.match(directory) is None)
        return self if len(kept) == len(self._expressions) else _PlainPatterns(kept)


class _PathspecPatterns(IgnorePatterns):
    __slots__ = ("_spec",)

    def __init__(self, spec: pathspec.GitIgnoreSpec) -> None:
        self._spec = spec

    def verdict(self, path: str) -> bool | None:
        # Within one file the last matching pattern decides, which ``check_file`` does.
        return self._spec.check_file(path).include

    def without_matching(self, directory: str) -> IgnorePatterns:
        kept = [p for p in self._spec.patterns if p.match_file(directory) is None]
        if len(kept) == len(self._spec.patterns):
            return self
        return _PathspecPatterns(type(self._spec)(kept))


def _gitignore_spec(lines: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    # Imported here: only a pattern that is not a plain name needs it.
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(lines)
