"""The run store: every run record, and the files of each run, behind one interface.

``open_store`` opens the embedded SQLite store (a directory, the default
``<project>/.nbgraduate``) or a PostgreSQL database (a ``postgresql://`` URL); both behave the
same (``runs.store_base`` holds that shared behaviour, ``runs.store_sqlite`` and
``runs.store_postgres`` the backends).
"""

from __future__ import annotations

import os
from pathlib import Path

from nbgraduate.runs.layout import STORE_DIRNAME, StoreLocation, default_store_root, is_postgres_url
from nbgraduate.runs.store_base import (
    DATABASE_AREA,
    RUN_DIRECTORY,
    ArtifactRef,
    DuplicateRunError,
    RecordFileError,
    RunNotFoundError,
    RunStore,
    StoreError,
    load_record_file,
)

__all__ = [
    "DATABASE_AREA",
    "RUN_DIRECTORY",
    "STORE_DIRNAME",
    "ArtifactRef",
    "DuplicateRunError",
    "RecordFileError",
    "RunNotFoundError",
    "RunStore",
    "StoreError",
    "default_store_root",
    "load_record_file",
    "open_store",
]


def open_store(
    location: StoreLocation | str | os.PathLike[str], *, create: bool = True
) -> RunStore:
    """Open the store at ``location`` (a :class:`StoreLocation`, a directory, or a
    ``postgresql://`` URL), creating it when missing unless ``create=False``.

    ``create=False`` is for readers (``runs``, ``gate``, ``report``): an embedded store that
    does not exist yet is an error rather than an empty new directory.
    """
    if not isinstance(location, StoreLocation):
        text = os.fspath(location)
        location = (
            StoreLocation(url=text) if is_postgres_url(text) else StoreLocation(root=Path(text))
        )
    if location.is_postgres:
        from nbgraduate.runs.store_postgres import PostgresRunStore

        return PostgresRunStore(location, create=create)
    from nbgraduate.runs.store_sqlite import SqliteRunStore

    return SqliteRunStore(location, create=create)
