"""Turn the paths given on the command line into the notebooks and scripts to lint."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from nbgraduate.core.errors import InputFileError
from nbgraduate.core.records import Record
from nbgraduate.lint.config import LintSettings
from nbgraduate.lint.ignore_patterns import IgnorePatterns, compile_patterns
from nbgraduate.lock import LOCK_FILENAME
from nbgraduate.lock.layout import LEGACY_DIRNAME, in_legacy_folder

__all__ = ["DEFAULT_SKIP_DIRS", "LINTABLE_SUFFIXES", "discover"]

LINTABLE_SUFFIXES = (".ipynb", ".py")

# Tool caches, environments and build output: never eval notebooks the user wrote, and
# walking them (a virtualenv holds thousands of .py files) would dominate the run time.
DEFAULT_SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "__pycache__",
        ".ipynb_checkpoints",
        "node_modules",
        "site-packages",
        "build",
        "dist",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".nbgraduate",
    }
)


def discover(
    paths: Sequence[Path],
    settings_for: Callable[[Path], LintSettings],
    *,
    force_exclude: bool,
    on_error: Callable[[InputFileError], None] | None = None,
) -> list[Path]:
    """The files to lint under ``paths``, sorted and without duplicates.

    Directories are walked for ``*.ipynb`` and ``*.py``, skipping :data:`DEFAULT_SKIP_DIRS`,
    hidden directories, a pipeline's ``legacy/`` folder (the notebook it was graduated from,
    kept by ``convert --move-source``), the settings' ``exclude`` patterns and, when
    ``respect_gitignore`` is on, whatever ``.gitignore`` files (nested ones included) and
    ``.git/info/exclude`` ignore. A file named explicitly is always kept, whatever its suffix,
    unless ``force_exclude`` is set: pre-commit passes every staged file by name, and the user's
    ``exclude`` must still win then. ``settings_for`` is asked once per directory, so nested
    configs apply to their own subtree.

    A missing path raises :class:`InputFileError`. A directory that cannot be read raises
    too, unless ``on_error`` is given, in which case it is reported there and skipped.
    """
    found: dict[str, Path] = {}
    for given in paths:
        absolute = os.path.abspath(given)
        if os.path.isdir(absolute):
            if force_exclude and _explicitly_excluded(absolute, settings_for, is_dir=True):
                continue
            _walk(Path(given), absolute, settings_for, found, on_error)
        elif os.path.exists(absolute):
            if force_exclude and _explicitly_excluded(absolute, settings_for, is_dir=False):
                continue
            found.setdefault(absolute, Path(given))
        else:
            raise InputFileError(given, "No such file or directory")
    return sorted(found.values())


def _explicitly_excluded(
    absolute: str, settings_for: Callable[[Path], LintSettings], *, is_dir: bool
) -> bool:
    """Whether a walk from the project root would have skipped this path by name or pattern.

    ``.gitignore`` is not consulted: a file passed by name is tracked, and git itself
    ignores ``.gitignore`` for tracked files.
    """
    if in_legacy_folder(os.path.join(absolute, "-") if is_dir else absolute):
        return True
    settings = settings_for(Path(absolute))
    exclude = _exclude_rules(settings)
    if exclude is not None and exclude.verdict(absolute, is_dir=is_dir):
        return True
    root = os.path.abspath(settings.project_root).rstrip(os.sep) + os.sep
    current = absolute if is_dir else os.path.dirname(absolute)
    while current.startswith(root):
        if _skipped_by_name(os.path.basename(current)):
            return True
        if exclude is not None and exclude.verdict(current, is_dir=True):
            return True
        current = os.path.dirname(current)
    return False


def _is_legacy_folder(parent: str, name: str) -> bool:
    return name == LEGACY_DIRNAME and os.path.isfile(os.path.join(parent, LOCK_FILENAME))


def _skipped_by_name(directory_name: str) -> bool:
    return directory_name.startswith(".") or directory_name in DEFAULT_SKIP_DIRS


class _Rules(Record):
    """Gitignore-style patterns and the directory they are relative to.

    Used for each ``.gitignore`` (and ``info/exclude``) and for the settings' ``exclude``.
    ``match_outside`` lets unanchored ``exclude`` patterns still match a path outside the
    project root (given by ``--config``); a ``.gitignore`` never reaches outside its directory.
    """

    _fields = ("base", "patterns", "match_outside")
    __slots__ = _fields

    def __init__(
        self,
        base: str,
        patterns: IgnorePatterns,
        match_outside: bool = False,
    ) -> None:
        self.base = base
        self.patterns = patterns
        self.match_outside = match_outside

    def _relative(self, absolute: str) -> str | None:
        prefix = self.base.rstrip(os.sep) + os.sep
        if absolute.startswith(prefix):
            return absolute[len(prefix) :].replace(os.sep, "/")
        if self.match_outside and absolute != self.base:
            return os.path.splitdrive(absolute)[1].lstrip(os.sep).replace(os.sep, "/")
        return None

    def verdict(self, absolute: str, *, is_dir: bool) -> bool | None:
        """True if ignored, False if re-included by a ``!`` pattern, None if no pattern matches.

        Within one file the last matching pattern decides.
        """
        relative = self._relative(absolute)
        if relative is None:
            return None
        return self.patterns.verdict(relative + "/" if is_dir else relative)

    def sparing(self, directory: str) -> _Rules:
        """These rules without the patterns that match ``directory`` (or one of its parents).

        Used for a directory the user named explicitly: patterns that would exclude it as a
        whole would otherwise exclude everything below it, but patterns aimed at files
        inside it (``*.draft.ipynb``) must still apply.
        """
        relative = self._relative(directory)
        if not relative:
            return self
        kept = self.patterns.without_matching(relative + "/")
        if kept is self.patterns:
            return self
        return _Rules(self.base, kept, self.match_outside)


def _gitignored(ignore_files: tuple[_Rules, ...], absolute: str, *, is_dir: bool) -> bool:
    # The deepest file with a matching pattern decides, as in git.
    for ignore_file in reversed(ignore_files):
        verdict = ignore_file.verdict(absolute, is_dir=is_dir)
        if verdict is not None:
            return verdict
    return False


def _exclude_rules(settings: LintSettings) -> _Rules | None:
    if not settings.exclude:
        return None
    root = os.path.abspath(settings.project_root)
    return _Rules(root, compile_patterns(settings.exclude), match_outside=True)


def _walk(
    given: Path,
    absolute: str,
    settings_for: Callable[[Path], LintSettings],
    found: dict[str, Path],
    on_error: Callable[[InputFileError], None] | None,
) -> None:
    """Add the lintable files below the explicitly named directory ``absolute`` to ``found``."""
    root_settings = settings_for(Path(absolute))
    root_exclude = _exclude_rules(root_settings)
    # Each stack entry: the directory as the user would spell it, its absolute form, the
    # ignore files in force there (shallowest first), and the exclude rules of the settings
    # it inherits (keyed so a nested config switches to its own rules).
    stack: list[tuple[Path, str, tuple[_Rules, ...], object, _Rules | None]] = [
        (
            given,
            absolute,
            tuple(rules.sparing(absolute) for rules in _enclosing_ignore_files(absolute)),
            _exclude_key(root_settings),
            root_exclude.sparing(absolute) if root_exclude is not None else None,
        )
    ]
    while stack:
        shown, directory, ignore_files, exclude_key, exclude = stack.pop()
        settings = settings_for(Path(directory))
        if _exclude_key(settings) != exclude_key:
            exclude_key, exclude = _exclude_key(settings), _exclude_rules(settings)
        if settings.respect_gitignore:
            own = _read_ignore_file(os.path.join(directory, ".gitignore"), directory)
            if own is not None:
                ignore_files = (*ignore_files, own)
        try:
            with os.scandir(directory) as entries:
                children = list(entries)
        except OSError as exc:
            error = InputFileError(shown, exc.strerror or str(exc))
            if on_error is None:
                raise error from exc
            on_error(error)
            continue
        for entry in children:
            child = os.path.join(directory, entry.name)
            try:
                # Symlinked directories are not followed: they can loop, or lead out of the repo.
                is_dir = entry.is_dir(follow_symlinks=False)
                is_file = not is_dir and entry.is_file()
            except OSError:
                continue
            if is_dir:
                if _skipped_by_name(entry.name) or _is_legacy_folder(directory, entry.name):
                    continue
            elif not (is_file and entry.name.endswith(LINTABLE_SUFFIXES)):
                continue
            if exclude is not None and exclude.verdict(child, is_dir=is_dir):
                continue
            if settings.respect_gitignore and _gitignored(ignore_files, child, is_dir=is_dir):
                continue
            if is_dir:
                stack.append((shown / entry.name, child, ignore_files, exclude_key, exclude))
            else:
                found.setdefault(child, shown / entry.name)


def _exclude_key(settings: LintSettings) -> object:
    return (settings.project_root, settings.exclude)


def _enclosing_ignore_files(directory: str) -> tuple[_Rules, ...]:
    """Ignore files above ``directory`` that still apply to it, up to the enclosing git repo.

    Outside a git repository (no ``.git`` above) only the ``.gitignore`` files inside the
    walked tree count: a stray ``~/.gitignore`` is not this project's.
    """
    ancestors: list[str] = []
    current = os.path.dirname(directory)
    repo_root = directory if os.path.exists(os.path.join(directory, ".git")) else None
    while repo_root is None:
        ancestors.append(current)
        if os.path.exists(os.path.join(current, ".git")):
            repo_root = current
            break
        parent = os.path.dirname(current)
        if parent == current:
            return ()
        current = parent
    files: list[_Rules] = []
    info_exclude = _read_ignore_file(os.path.join(repo_root, ".git", "info", "exclude"), repo_root)
    if info_exclude is not None:
        files.append(info_exclude)
    for ancestor in reversed(ancestors):
        ignore_file = _read_ignore_file(os.path.join(ancestor, ".gitignore"), ancestor)
        if ignore_file is not None:
            files.append(ignore_file)
    return tuple(files)


def _read_ignore_file(path: str, base: str) -> _Rules | None:
    from nbgraduate.core.files import read_regular

    try:
        # Never a FIFO or device: a `.gitignore` that is one would block or flood the walk.
        lines = tuple(read_regular(path).decode("utf-8", "replace").splitlines())
    except OSError:
        # Missing is the common case; an unreadable one is treated as git does: as absent.
        return None
    return _Rules(base, compile_patterns(lines))
