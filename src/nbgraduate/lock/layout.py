"""What a graduated pipeline directory looks like on disk, answered without the lock model.

The hooks and the repository rules ask these questions for every staged file or every
directory under an eval path, so this module imports only the standard library: pydantic
is loaded only when a lock is really read.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from nbgraduate.lock import LOCK_FILENAME

__all__ = [
    "CALIBRATION_DIRNAME",
    "GRADUATION_MARKERS",
    "LEGACY_DIRNAME",
    "LOCK_FILENAME",
    "calibration_dir",
    "calibration_files",
    "enclosing_pipeline",
    "graduated_sources",
    "in_legacy_folder",
    "is_pipeline_dir",
    "locked_local_datasets",
    "locked_notebook_name",
    "not_a_pipeline",
    "pipeline_notebook",
]

#: Files and directories ``nbgraduate convert`` writes next to the pipeline notebook. A
#: directory holding a notebook and any of these is a pipeline directory (NBG802), whether
#: or not it (still) has its lock.
GRADUATION_MARKERS = (LOCK_FILENAME, "CONVERSION.md", "prompts", "requirements.txt")
#: Where ``nbgraduate convert --move-source`` keeps the notebook a pipeline graduated from
#: (``evals/judge/legacy/judge.ipynb``): history for reviewers, skipped by lint and the guard.
LEGACY_DIRNAME = "legacy"
#: The judge's frozen reference set and its declaration (``nbgraduate calibrate``); the lock
#: records every file in it like a dataset.
CALIBRATION_DIRNAME = "calibration"


def calibration_dir(pipeline_dir: Path) -> Path:
    return pipeline_dir / CALIBRATION_DIRNAME


def calibration_files(pipeline_dir: Path) -> list[Path]:
    """Every file under ``calibration/`` (sorted, hidden files skipped): what the lock records."""
    directory = calibration_dir(pipeline_dir)
    if not directory.is_dir():
        return []
    return [
        path
        for path in sorted(directory.rglob("*"))
        if path.is_file() and not path.name.startswith(".")
    ]


def _notebooks(directory: Path) -> list[str]:
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    return sorted(
        name
        for name in names
        if name.endswith(".ipynb") and not name.startswith(".") and (directory / name).is_file()
    )


def _lock_document(pipeline_dir: Path) -> dict:
    try:
        document = json.loads((pipeline_dir / LOCK_FILENAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return document if isinstance(document, dict) else {}


def locked_notebook_name(pipeline_dir: Path) -> str | None:
    """The notebook file name the lock records, or ``None`` if the lock is missing or damaged."""
    name = _lock_document(pipeline_dir).get("notebook")
    return name if isinstance(name, str) and name else None


def locked_local_datasets(pipeline_dir: Path, *, digested_only: bool = False) -> frozenset[str]:
    """Local dataset paths (relative to the directory) the lock records; empty when the lock is
    missing or damaged. ``digested_only`` keeps those recorded with a sha256.

    Read from the JSON as written, not through :class:`~nbgraduate.lock.lockfile.PipelineLock`:
    the linter and the hooks ask this on every commit, and the lock model costs them pydantic's
    import. Whether the lock is valid is ``verify``'s question, which does use the model.
    """
    datasets = _lock_document(pipeline_dir).get("datasets")
    if not isinstance(datasets, list):
        return frozenset()
    return frozenset(
        entry["path"]
        for entry in datasets
        if isinstance(entry, dict)
        and isinstance(entry.get("path"), str)
        and not entry.get("remote")
        and (entry.get("sha256") or not digested_only)
    )


def is_pipeline_dir(directory: Path) -> bool:
    """A notebook plus at least one of :data:`GRADUATION_MARKERS`."""
    if not _notebooks(directory):
        return False
    return any((directory / marker).exists() for marker in GRADUATION_MARKERS)


def pipeline_notebook(pipeline_dir: Path) -> Path | None:
    """The pipeline's notebook: the one its lock names, else the only ``.ipynb`` there.

    A directory with several notebooks and no readable lock has no pipeline notebook.
    """
    named = locked_notebook_name(pipeline_dir)
    if named is not None and (pipeline_dir / named).is_file():
        return pipeline_dir / named
    notebooks = _notebooks(pipeline_dir)
    return pipeline_dir / notebooks[0] if len(notebooks) == 1 else None


def enclosing_pipeline(path: Path, *, stop_at: Path) -> Path | None:
    """The nearest directory at or above ``path`` (a file or directory, existing or not) that
    holds an ``nbgraduate.lock``, looking no higher than ``stop_at``."""
    stop = os.path.abspath(stop_at)
    current = os.path.abspath(path)
    if not os.path.isdir(current):
        current = os.path.dirname(current)
    while True:
        if os.path.isfile(os.path.join(current, LOCK_FILENAME)):
            return Path(current)
        if current == stop:
            return None
        parent = os.path.dirname(current)
        if parent == current or not _inside(parent, stop):
            return None
        current = parent


def _inside(path: str, root: str) -> bool:
    try:
        return os.path.commonpath([path, root]) == root
    except ValueError:  # different drives on Windows
        return False


def in_legacy_folder(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` lies in the ``legacy/`` folder of a pipeline directory (one holding
    ``nbgraduate.lock``): the source ``convert --move-source`` kept, not a notebook to check."""
    current = os.path.dirname(os.path.abspath(path))
    while True:
        parent = os.path.dirname(current)
        if parent == current:
            return False
        if os.path.basename(current) == LEGACY_DIRNAME and os.path.isfile(
            os.path.join(parent, LOCK_FILENAME)
        ):
            return True
        current = parent


def graduated_sources(
    notebook: str | os.PathLike[str], *, search_under: str | os.PathLike[str]
) -> list[tuple[Path, str]]:
    """The pipelines whose lock says they were graduated from ``notebook`` (``graduated_from``),
    each with the digest of the notebook it recorded: the default pipeline directory beside the
    notebook first, then any pipeline under ``search_under`` (``convert -o`` puts it anywhere).
    """
    target = os.path.normcase(os.path.abspath(notebook))
    found: list[tuple[Path, str]] = []
    seen: set[str] = set()

    def consider(directory: str) -> None:
        if directory in seen:
            return
        seen.add(directory)
        recorded = _lock_document(Path(directory)).get("graduated_from")
        if not isinstance(recorded, dict):
            return
        source, digest = recorded.get("path"), recorded.get("notebook_digest")
        if not isinstance(source, str) or not isinstance(digest, str):
            return
        where = os.path.normcase(os.path.abspath(os.path.join(directory, source)))
        if where == target:
            found.append((Path(directory), digest))

    beside = os.path.splitext(os.path.abspath(notebook))[0]
    if os.path.isfile(os.path.join(beside, LOCK_FILENAME)):
        consider(beside)
    for directory, subdirectories, files in os.walk(os.path.abspath(search_under)):
        # Hidden folders (.git, .venv, .nbgraduate) hold no pipelines worth the walk.
        subdirectories[:] = [name for name in subdirectories if not name.startswith(".")]
        if LOCK_FILENAME in files:
            consider(directory)
    return found


def not_a_pipeline(path: str | os.PathLike[str]) -> str | None:
    """Why ``path`` is not a pipeline directory ``run`` can execute, with what to do instead;
    ``None`` when it holds an ``nbgraduate.lock``."""
    import shlex

    shown = shlex.quote(os.fspath(path))
    if os.path.isfile(path):
        if not os.fspath(path).endswith(".ipynb"):
            return "not a pipeline directory"
        beside = os.path.splitext(os.fspath(path))[0]
        if os.path.isfile(os.path.join(beside, LOCK_FILENAME)):
            pipeline = shlex.quote(beside)
            return f"a notebook, not a pipeline; run its pipeline: nbgraduate run {pipeline}"
        return f"a notebook, not a pipeline; graduate it first: nbgraduate convert {shown}"
    if not os.path.isdir(path):
        return "no such pipeline directory"
    if os.path.isfile(os.path.join(path, LOCK_FILENAME)):
        return None
    inside = sorted(
        os.path.join(os.fspath(path), name)
        for name in _subdirectories(path)
        if os.path.isfile(os.path.join(path, name, LOCK_FILENAME))
    )
    if inside:
        listed = ", ".join(inside[:5]) + (f" (+{len(inside) - 5} more)" if len(inside) > 5 else "")
        return f"not a pipeline directory (no {LOCK_FILENAME}); it holds pipelines: {listed}"
    notebooks = _notebooks(Path(path))
    if notebooks:
        example = shlex.quote(os.path.join(os.fspath(path), notebooks[0]))
        return (
            f"not a pipeline directory (no {LOCK_FILENAME}): graduate a notebook with"
            f" `nbgraduate convert {example}`, or lock a pipeline you wrote with"
            f" `nbgraduate lock {shown}`"
        )
    return f"not a pipeline directory: no {LOCK_FILENAME} and no notebook"


def _subdirectories(path: str | os.PathLike[str]) -> list[str]:
    try:
        return [entry.name for entry in os.scandir(path) if entry.is_dir(follow_symlinks=False)]
    except OSError:
        return []
