"""Where the run store lives: names, paths and the store's location, so that callers on a hot
path (starting a kernel early in ``nbgraduate run``) find it without importing the store and its
record model."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

STORE_DIRNAME = ".nbgraduate"
ARTIFACTS_DIRNAME = "runs"

_PROJECT_MARKERS = (".git", "pyproject.toml")
_POSTGRES_SCHEMES = ("postgresql", "postgres")

__all__ = [
    "ARTIFACTS_DIRNAME",
    "STORE_DIRNAME",
    "StoreLocation",
    "default_store_root",
    "is_postgres_url",
    "redact_url",
]


def default_store_root(start: str | os.PathLike[str]) -> Path:
    """``.nbgraduate`` in the nearest project directory at or above ``start``.

    A project directory holds ``.git`` (a directory, or a file in worktrees and submodules)
    or ``pyproject.toml``. Without one, the store goes in the current directory.
    """
    here = Path(os.path.abspath(start))
    if here.is_file():
        here = here.parent
    for directory in (here, *here.parents):
        if any((directory / marker).exists() for marker in _PROJECT_MARKERS):
            return directory / STORE_DIRNAME
    return Path.cwd() / STORE_DIRNAME


def is_postgres_url(text: str) -> bool:
    """Whether ``text`` names a PostgreSQL database (``postgresql://`` or ``postgres://``)."""
    scheme, separator, _ = text.partition("://")
    return bool(separator) and scheme.lower() in _POSTGRES_SCHEMES


def redact_url(url: str) -> str:
    """``url`` with its password cut to its first 4 characters (it may end up in a message).

    Query parameters named ``password`` are cut the same way: libpq reads them too.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.split("://", 1)[0] + "://..."
    netloc = parts.netloc
    if parts.password is not None:
        user_info, _, host = netloc.rpartition("@")
        user = user_info.split(":", 1)[0]
        netloc = f"{user}:{_shortened(parts.password)}@{host}"
    query = "&".join(
        f"{key}={_shortened(value)}" if key.lower() == "password" else pair
        for pair in parts.query.split("&")
        if pair
        for key, _, value in [pair.partition("=")]
    )
    # Put together by hand: urlunsplit drops the empty host of "postgresql:///db?host=/sock".
    text = f"{parts.scheme}://{netloc}{parts.path}"
    return text + (f"?{query}" if query else "") + (f"#{parts.fragment}" if parts.fragment else "")


def _shortened(secret: str) -> str:
    return secret[:4] + "..." if secret else secret


@dataclass(frozen=True)
class StoreLocation:
    """Where runs are recorded: a directory with an SQLite file, or a PostgreSQL URL.

    ``artifacts`` says where executed notebooks and other files of a run go: ``None`` for the
    store's default (files under ``runs/<run_id>/`` beside an SQLite store; the database for
    PostgreSQL), ``"database"``, or a directory or fsspec URL (content-addressed by sha256).
    """

    root: Path | None = None
    url: str | None = None
    artifacts: str | None = None

    def __post_init__(self) -> None:
        if (self.root is None) == (self.url is None):
            raise ValueError("a store location is either a directory or a URL")

    @property
    def is_postgres(self) -> bool:
        return self.url is not None

    @property
    def display(self) -> str:
        """How messages name the store (a URL's password is cut to 4 characters)."""
        return str(self.root) if self.url is None else redact_url(self.url)

    @property
    def keeps_run_directories(self) -> bool:
        """Whether a run's files stay in ``<root>/runs/<run_id>/`` (the embedded default)."""
        return self.root is not None and self.artifacts is None

    def make_work_directory(self, run_id: str) -> Path:
        """Create the directory a run writes its files to while it executes.

        The embedded store's run directory, which is also where they are kept; for any other
        artifact area a fresh private scratch directory, removed once the files are stored.
        """
        if self.keeps_run_directories:
            assert self.root is not None
            directory = self.root / ARTIFACTS_DIRNAME / run_id
            directory.mkdir(parents=True, exist_ok=True)
            return directory
        return Path(tempfile.mkdtemp(prefix=f"nbgraduate-run-{run_id}-"))
