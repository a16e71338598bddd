"""The ``.gitignore`` line ``init`` adds: ``.nbgraduate/``, the run store and lint cache.

Run records, the SQLite store and the lint cache are local state; committed, they would turn
every eval run into a merge conflict. They travel between machines as ``runs export`` files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from nbgraduate.core.errors import ConfigError

__all__ = ["STORE_DIR", "PlannedGitignore", "plan_gitignore"]

#: The directory, at the project root, that holds the run store and the lint cache.
STORE_DIR = ".nbgraduate"
_LINES = (
    "# nbgraduate's run store and lint cache: local state (added by `nbgraduate init`)",
    f"{STORE_DIR}/",
)


@dataclass(slots=True)
class PlannedGitignore:
    path: Path
    before: str | None
    after: str | None
    summary: str
    warnings: list[str] = field(default_factory=list)


def plan_gitignore(repository: Path, project: Path) -> PlannedGitignore:
    """Append ``.nbgraduate/`` to the work tree's ``.gitignore`` unless a ``.gitignore`` from
    the root down to ``project`` already decides about ``project/.nbgraduate`` (git's rule: the
    deepest file with a matching pattern, its last matching pattern, wins). A negated pattern
    that keeps the store tracked is the user's decision: reported, not overridden."""
    from pathspec import GitIgnoreSpec

    path = repository / ".gitignore"
    before = _read(path)
    store = project / STORE_DIR / "runs.sqlite"
    decided: tuple[Path, int, str, bool] | None = None
    for directory in _directories(repository, project):
        text = before if directory == repository else _read(directory / ".gitignore")
        if text is None:
            continue
        lines = text.splitlines()
        result = GitIgnoreSpec.from_lines(lines).check_file(store.relative_to(directory).as_posix())
        if result.index is not None:
            decided = (directory, result.index, lines[result.index], bool(result.include))
    shown_store = f"{(project / STORE_DIR).relative_to(repository).as_posix()}/"
    if decided is not None and decided[3]:
        return PlannedGitignore(path, before, before, f"already ignores {shown_store}")
    if decided is not None:
        directory, index, pattern, _ = decided
        where = (directory / ".gitignore").relative_to(repository).as_posix()
        return PlannedGitignore(
            path,
            before,
            before,
            f"{shown_store} left tracked",
            [
                f"{where} line {index + 1} (`{pattern.strip()}`) keeps {shown_store} tracked on"
                " purpose; not overriding it (it holds local run records and caches)"
            ],
        )
    block = "\n".join(_LINES) + "\n"
    if before is None or not before.strip():
        after = block
    else:
        after = (before if before.endswith("\n") else before + "\n") + "\n" + block
    return PlannedGitignore(path, before, after, f"added `{STORE_DIR}/` (run store, lint cache)")


def _directories(repository: Path, project: Path) -> list[Path]:
    """The repository root, then each directory down to ``project``."""
    relative = project.relative_to(repository)
    return [
        repository,
        *(repository / Path(*relative.parts[: i + 1]) for i in range(len(relative.parts))),
    ]


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(path, getattr(error, "strerror", None) or str(error)) from None
