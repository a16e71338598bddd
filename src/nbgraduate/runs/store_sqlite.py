"""The embedded run store: one SQLite file in ``<project>/.nbgraduate``, files beside it.

Layout under the store root::

    runs.sqlite          runs, artifacts (one row per stored file) and objects tables
    runs/<run_id>/       executed notebooks and other files of that run (the default)
    objects/             content-addressed objects (``RunStore.objects``)

SQLite runs in WAL mode so readers (``nbgraduate runs``, the gate) never block a writer, and
every ``add`` is one ``BEGIN IMMEDIATE`` transaction, so several runner processes can record
at once and a process killed mid-write leaves every committed record intact.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from nbgraduate.runs.layout import StoreLocation
from nbgraduate.runs.store_base import (
    DuplicateRunError,
    RunStore,
    StoreError,
    refuse_newer_schema,
)

__all__ = ["BUSY_TIMEOUT_S", "DATABASE_FILENAME", "SQLITE_SCHEMA_VERSION", "SqliteRunStore"]

DATABASE_FILENAME = "runs.sqlite"
SQLITE_SCHEMA_VERSION = 3

# A writer holds the lock for one INSERT (milliseconds); waiting long before giving up costs
# nothing, while failing would lose the record of a run that may have taken an hour.
BUSY_TIMEOUT_S = 60.0


def _migrate_to_1(connection: sqlite3.Connection) -> None:
    connection.execute(
        """
        CREATE TABLE IF NOT EXISTS runs (
            run_id TEXT PRIMARY KEY,
            pipeline TEXT NOT NULL,
            kind TEXT NOT NULL,
            status TEXT NOT NULL,
            started_at TEXT NOT NULL,
            ended_at TEXT NOT NULL,
            duration_s REAL NOT NULL,
            git_commit TEXT,
            lock_digest TEXT,
            contract_version TEXT,
            record_json TEXT NOT NULL
        )
        """
    )
    connection.execute(
        "CREATE INDEX IF NOT EXISTS runs_by_pipeline ON runs (pipeline, kind, started_at)"
    )
    connection.execute("CREATE INDEX IF NOT EXISTS runs_by_commit ON runs (git_commit)")
    connection.execute("CREATE INDEX IF NOT EXISTS runs_by_start ON runs (started_at)")


def _migrate_to_2(connection: sqlite3.Connection) -> None:
    # Files of a run by digest, and content-addressed bytes kept in the database.
    connection.execute(
        """
        CREATE TABLE IF NOT EXISTS artifacts (
            run_id TEXT NOT NULL,
            name TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            size INTEGER NOT NULL,
            location TEXT NOT NULL,
            PRIMARY KEY (run_id, name)
        )
        """
    )
    connection.execute("CREATE INDEX IF NOT EXISTS artifacts_by_sha256 ON artifacts (sha256)")
    connection.execute(
        """
        CREATE TABLE IF NOT EXISTS objects (
            sha256 TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            touched_at REAL NOT NULL,
            content BLOB NOT NULL
        )
        """
    )


def _migrate_to_3(connection: sqlite3.Connection) -> None:
    # What ``nbgraduate gate`` decided, for the dashboard's verdicts over time.
    connection.execute(
        """
        CREATE TABLE IF NOT EXISTS gate_decisions (
            decision_id TEXT PRIMARY KEY,
            pipeline TEXT NOT NULL,
            decided_at TEXT NOT NULL,
            decision_json TEXT NOT NULL
        )
        """
    )
    connection.execute(
        "CREATE INDEX IF NOT EXISTS gate_decisions_by_pipeline"
        " ON gate_decisions (pipeline, decided_at)"
    )


# _MIGRATIONS[n] takes a store at schema n - 1 to schema n. A schema change adds one function
# here and bumps SQLITE_SCHEMA_VERSION; records themselves are JSON validated by RunRecord, so
# most record changes need no store migration at all.
_MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    1: _migrate_to_1,
    2: _migrate_to_2,
    3: _migrate_to_3,
}


class SqliteRunStore(RunStore):
    """The store in ``<root>/runs.sqlite``; opening creates it (unless ``create=False``) and
    brings an older schema up to date."""

    _insertion_order = "rowid"

    def __init__(self, location: StoreLocation | str | os.PathLike[str], *, create: bool = True):
        if not isinstance(location, StoreLocation):
            location = StoreLocation(root=Path(location))
        assert location.root is not None
        self.location = location
        self.database_path = location.root / DATABASE_FILENAME
        if not create and not self.database_path.is_file():
            raise StoreError(self.database_path, "no run store here (nothing has been run yet)")
        try:
            location.root.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            reason = error.strerror or str(error)
            raise StoreError(location.root, f"cannot create the run store: {reason}") from None
        self._connection = self._open()
        if create:
            self._refuse_damaged()

    @property
    def display(self) -> str:
        return str(self.database_path)

    def close(self) -> None:
        self._connection.close()

    def integrity_problems(self) -> list[str]:
        """What ``PRAGMA integrity_check`` finds wrong with the database (empty when sound)."""
        with self._translate_errors():
            rows = self._connection.execute("PRAGMA integrity_check").fetchall()
        problems = [str(row[0]) for row in rows]
        return [] if problems == ["ok"] else problems

    def _refuse_damaged(self) -> None:
        """A writer refuses a store that fails ``PRAGMA quick_check``: appending to a damaged
        b-tree can spread the damage over records that are still intact."""
        try:
            rows = self._connection.execute("PRAGMA quick_check").fetchall()
        except sqlite3.DatabaseError as error:
            self._connection.close()
            raise StoreError(self.database_path, _database_reason(error)) from None
        problems = [str(row[0]) for row in rows]
        if problems != ["ok"]:
            self._connection.close()
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise StoreError(
                self.database_path,
                f"the run store is damaged ({problems[0][:200]}{more}); nothing is written to"
                " it: move it aside to start a new one, or repair it with sqlite3's .recover",
            )

    # -- the backend interface --------------------------------------------------------------

    def _execute(self, sql: str, parameters: tuple[Any, ...] | list[Any] = ()) -> Any:
        return self._connection.execute(sql, parameters)

    @contextmanager
    def _write_transaction(self) -> Iterator[None]:
        with _immediate(self._connection):
            yield

    @contextmanager
    def _translate_errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.IntegrityError as error:
            if "UNIQUE" in str(error) or "PRIMARY KEY" in str(error):
                raise DuplicateRunError(self.database_path, str(error)) from None
            raise StoreError(self.database_path, _database_reason(error)) from None
        except sqlite3.Error as error:
            raise StoreError(self.database_path, _database_reason(error)) from None

    # -- opening ------------------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        try:
            # isolation_level=None: transactions are begun explicitly (BEGIN IMMEDIATE), never
            # implicitly by the sqlite3 module.
            connection = sqlite3.connect(
                self.database_path, timeout=BUSY_TIMEOUT_S, isolation_level=None
            )
        except sqlite3.Error as error:
            raise StoreError(self.database_path, f"cannot open: {error}") from None
        try:
            # The first statement reads the file header: a file that is not SQLite fails here.
            _enable_wal(connection)
            # FULL, not NORMAL: in WAL mode NORMAL survives a killed process but can lose the
            # last commits on power loss. A record documents a run that took minutes and cost
            # money, and a gate may compare against it; one fsync per run is free by contrast.
            connection.execute("PRAGMA synchronous=FULL")
            self._migrate(connection)
        except sqlite3.DatabaseError as error:
            connection.close()
            raise StoreError(self.database_path, _database_reason(error)) from None
        except BaseException:
            connection.close()
            raise
        return connection

    def _migrate(self, connection: sqlite3.Connection) -> None:
        version = _user_version(connection)
        if version == SQLITE_SCHEMA_VERSION:
            return
        refuse_newer_schema(self.database_path, version, SQLITE_SCHEMA_VERSION)
        with _immediate(connection):
            # Re-read under the write lock: another process may have migrated meanwhile.
            version = _user_version(connection)
            refuse_newer_schema(self.database_path, version, SQLITE_SCHEMA_VERSION)
            for target in range(version + 1, SQLITE_SCHEMA_VERSION + 1):
                _MIGRATIONS[target](connection)
            connection.execute(f"PRAGMA user_version = {SQLITE_SCHEMA_VERSION:d}")


@contextmanager
def _immediate(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    # IMMEDIATE takes the write lock up front (waiting up to the busy timeout). A deferred
    # transaction that later upgrades from read to write gets SQLITE_BUSY at once in WAL mode,
    # without waiting, when another writer got in first.
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
        connection.execute("COMMIT")
    except BaseException:
        # SQLite rolls some failures back by itself; a second ROLLBACK would mask the error.
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise


def _enable_wal(connection: sqlite3.Connection) -> None:
    # Switching a new database to WAL needs an exclusive lock, and SQLite reports a competing
    # switch as "database is locked" at once, without its busy handler: several runners
    # creating the store at the same moment would fail. So wait here as the handler would.
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    delay = 0.001
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL").fetchone()
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def _user_version(connection: sqlite3.Connection) -> int:
    return int(connection.execute("PRAGMA user_version").fetchone()[0])


def _database_reason(error: sqlite3.Error) -> str:
    text = str(error)
    if "file is not a database" in text or "malformed" in text:
        return f"not a readable run store ({text}); move it aside to start a new one"
    if "locked" in text or "busy" in text:
        return f"{text} (another nbgraduate process held it for over {BUSY_TIMEOUT_S:g} s)"
    return text
