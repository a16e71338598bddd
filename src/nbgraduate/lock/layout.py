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
    "inside_project",
    "is_pipeline_dir",
    "lock_path_problems",
    "locked_local_datasets",
    "locked_notebook_name",
    "not_a_pipeline",
    "pipeline_notebook",
    "project_root",
    "resolve_in_project",
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
    from nbgraduate.core.files import read_regular_text

    try:
        text = read_regular_text(pipeline_dir / LOCK_FILENAME, max_bytes=_MAX_LOCK_BYTES)
        document = json.loads(text)
    except (OSError, ValueError, RecursionError, MemoryError):
        return {}
    return document if isinstance(document, dict) else {}


def locked_notebook_name(pipeline_dir: Path) -> str | None:
    """The notebook file name the lock records, or ``None`` if the lock is missing, damaged or
    names anything but a plain ``.ipynb`` file name (``../x.ipynb``, ``/etc/passwd``)."""
    name = _lock_document(pipeline_dir).get("notebook")
    return name if isinstance(name, str) and is_plain_notebook_name(name) else None


def is_plain_notebook_name(name: str) -> bool:
    """A lock's ``notebook``: a file name in the pipeline directory, never a path."""
    return (
        name.endswith(".ipynb")
        and name not in (".", "..")
        and "/" not in name
        and "\\" not in name
        and "\0" not in name
        and os.path.basename(name) == name
    )


# --- containment: no path a lock names leads outside the repository ----------------------

#: What marks the repository a pipeline belongs to, most authoritative first.
_ROOT_MARKERS = (".git", "pyproject.toml")
_MAX_LOCK_BYTES = 16 * 1024 * 1024


def project_root(pipeline_dir: Path) -> Path:
    """The repository a pipeline belongs to: the nearest directory at or above it holding
    ``.git``, else one holding ``pyproject.toml``, else the pipeline's parent directory.

    Datasets may live beside or above the pipeline (``../data/golden.csv``), never above this.
    """
    here = Path(os.path.realpath(pipeline_dir))
    for marker in _ROOT_MARKERS:
        for directory in (here, *here.parents):
            if os.path.lexists(directory / marker):
                return directory
    return here.parent


def inside_project(path: Path, root: Path) -> bool:
    """Whether ``path``, with every symlink followed, lies inside ``root``."""
    return _inside(os.path.realpath(path), os.path.realpath(root))


def resolve_in_project(pipeline_dir: Path, location: str, root: Path | None = None) -> Path | None:
    """Where a path recorded relative to the pipeline (or absolute) points, or ``None`` when it
    leads outside the pipeline's repository (``../../etc/passwd``, ``/etc/passwd``, a symlink)."""
    path = Path(location) if os.path.isabs(location) else Path(pipeline_dir) / location
    return path if inside_project(path, root or project_root(pipeline_dir)) else None


def lock_path_problems(pipeline_dir: Path, lock: object) -> list[str]:
    """Why the paths of a lock (a :class:`~nbgraduate.lock.lockfile.PipelineLock`) may not be
    used: a notebook that is not a plain file name, a prompt outside the pipeline directory, a
    local dataset outside the repository. Empty when every path stays inside."""
    problems: list[str] = []
    notebook = getattr(lock, "notebook", "")
    root = project_root(pipeline_dir)
    if not is_plain_notebook_name(notebook):
        problems.append(f"notebook {notebook!r} is not a .ipynb file name in the pipeline folder")
    elif not inside_project(Path(pipeline_dir) / notebook, root):
        problems.append(f"notebook {notebook!r} leads outside the repository {root}")
    for prompt in getattr(lock, "prompts", ()):
        relative = os.path.normpath(prompt.path)
        if os.path.isabs(prompt.path) or relative.split(os.sep)[0] == "..":
            problems.append(f"prompt {prompt.path!r} is not inside the pipeline directory")
        elif not inside_project(Path(pipeline_dir) / prompt.path, root):
            problems.append(f"prompt {prompt.path!r} leads outside the repository {root}")
    for dataset in getattr(lock, "datasets", ()):
        if dataset.remote:
            continue
        if resolve_in_project(pipeline_dir, dataset.path, root) is None:
            problems.append(f"dataset {dataset.path!r} is outside the repository {root}")
    return problems


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
    if os.path.lexists(os.path.join(path, LOCK_FILENAME)):
        # Whatever it is (a FIFO, a directory, a link), reading the lock says what is wrong.
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
