"""NBG802's question, "does this pipeline's lock read?", answered by the lock model once per text.

Validating a lock takes the lock model, and importing pydantic and building the model costs a
lint run about a tenth of a second: in the pre-commit hook, more than linting the staged
notebooks does. A lock's text changes only when someone re-locks, so the result cache's
directory (:mod:`nbgraduate.lint.cache`) keeps, under the SHA-256 of each text the model
accepted, the paths that text names. A later run that reads the same text checks those paths
again (a new symbolic link may make one lead outside the repository) and does not import the
model. A text the model refused is validated on every run, so its message is always the
model's own, and any doubt (the file changed while it was read, the entries cannot be read)
means asking the model. The entries carry the cache's code salt: another nbgraduate, or an
edited lock model, starts from none. Without a cache (``--no-cache``) every lock is validated.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from types import SimpleNamespace

from nbgraduate.core.small_digest import sha256
from nbgraduate.lock import LOCK_FILENAME

__all__ = ["LockVerdicts"]

#: Bumped when what an entry holds changes.
_FORMAT = 1
_FILENAME = f"locks-v{_FORMAT}.json"
#: Accepted lock texts kept, the most recently accepted last: a repository's pipelines, and
#: their re-locks.
MAX_LOCKS = 1024
#: As :func:`nbgraduate.lock.lockfile.read_lock` reads a lock (a larger one is its error).
_MAX_LOCK_BYTES = 16 * 1024 * 1024
#: The package whose code salt the entries carry, as the result cache names it.
_PACKAGE = Path(__file__).resolve().parents[1]


class LockVerdicts:
    """Whether each pipeline's lock reads, remembered in ``directory`` (``None``: never)."""

    def __init__(self, directory: Path | None) -> None:
        self._path = None if directory is None else directory / _FILENAME
        self._accepted: dict[str, dict[str, object]] | None = None
        self._changed = False

    def problem(self, pipeline_dir: Path) -> str | None:
        """``None`` when the lock in ``pipeline_dir`` reads; else why it does not, in the
        words of :func:`~nbgraduate.lock.lockfile.read_lock`'s error."""
        digest = None if self._path is None else _text_digest(pipeline_dir)
        if digest is not None:
            paths = self._entries().get(digest)
            if paths is not None and not _path_problems(pipeline_dir, paths):
                return None
        from nbgraduate.core.errors import ConfigError
        from nbgraduate.lock.lockfile import read_lock

        try:
            lock = read_lock(pipeline_dir)
        except ConfigError as error:
            return error.message
        # Remembered only when the text the model read is the one hashed before it.
        if digest is not None and _text_digest(pipeline_dir) == digest:
            self._remember(digest, lock)
        return None

    def save(self) -> None:
        """Write the entries back when this run added one; a failure only loses them."""
        if not self._changed or self._path is None or self._accepted is None:
            return
        from nbgraduate.core.atomic import write_bytes_atomic
        from nbgraduate.lint.cache import code_salt

        document = {"salt": code_salt(_PACKAGE), "accepted": self._accepted}
        with contextlib.suppress(OSError):
            self._path.parent.mkdir(parents=True, exist_ok=True)
            write_bytes_atomic(self._path, json.dumps(document).encode())
        self._changed = False

    def _entries(self) -> dict[str, dict[str, object]]:
        if self._accepted is None:
            self._accepted = _read_entries(self._path) if self._path is not None else {}
        return self._accepted

    def _remember(self, digest: str, lock: object) -> None:
        entries = self._entries()
        entries.pop(digest, None)
        entries[digest] = {
            "notebook": getattr(lock, "notebook", ""),
            "prompts": [prompt.path for prompt in getattr(lock, "prompts", ())],
            "datasets": [
                [dataset.path, bool(dataset.remote)] for dataset in getattr(lock, "datasets", ())
            ],
        }
        while len(entries) > MAX_LOCKS:
            del entries[next(iter(entries))]
        self._changed = True


def _text_digest(pipeline_dir: Path) -> str | None:
    """The SHA-256 of the lock's text as ``read_lock`` reads it; ``None`` when it cannot be
    read so (``read_lock`` then words why)."""
    from nbgraduate.core.files import read_regular_text

    try:
        text = read_regular_text(pipeline_dir / LOCK_FILENAME, max_bytes=_MAX_LOCK_BYTES)
    except (OSError, ValueError):
        return None
    return sha256(text.encode()).hexdigest()


def _path_problems(pipeline_dir: Path, paths: dict[str, object]) -> list[str]:
    """:func:`~nbgraduate.lock.layout.lock_path_problems` of the remembered paths."""
    from nbgraduate.lock.layout import lock_path_problems

    try:
        lock = SimpleNamespace(
            notebook=paths["notebook"],
            prompts=[SimpleNamespace(path=path) for path in paths["prompts"]],  # type: ignore[attr-defined]
            datasets=[
                SimpleNamespace(path=path, remote=remote)
                for path, remote in paths["datasets"]  # type: ignore[attr-defined]
            ],
        )
        return lock_path_problems(pipeline_dir, lock)
    except (KeyError, TypeError, ValueError):
        return ["the remembered entry is damaged"]  # asks the model


def _read_entries(path: Path) -> dict[str, dict[str, object]]:
    """The accepted texts remembered at ``path`` under this nbgraduate's code salt, else none."""
    from nbgraduate.lint.cache import code_salt

    try:
        with open(path, "rb") as handle:
            document = json.loads(handle.read())
    except (OSError, ValueError):
        return {}
    if not isinstance(document, dict) or document.get("salt") != code_salt(_PACKAGE):
        return {}
    accepted = document.get("accepted")
    return accepted if isinstance(accepted, dict) else {}
