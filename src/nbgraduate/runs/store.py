"""The embedded run store: every run record in one SQLite file, artifacts as files beside it.

Layout under the store root (usually ``<project>/.nbgraduate``)::

    runs.sqlite          one row per run: indexed columns plus the full record JSON
    runs/<run_id>/       executed notebooks and other artifacts of that run

SQLite runs in WAL mode so readers (``nbgraduate runs``, the gate) never block a writer, and
every ``add`` is one ``BEGIN IMMEDIATE`` transaction, so several runner processes can record
at once and a process killed mid-write leaves every committed record intact.
"""

from __future__ import annotations

import builtins
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType

from pydantic import ValidationError

from nbgraduate.core.atomic import write_text_atomic
from nbgraduate.core.errors import FileError, NbgraduateError, one_line
from nbgraduate.runs.layout import ARTIFACTS_DIRNAME, STORE_DIRNAME, default_store_root
from nbgraduate.runs.records import (
    RECORD_SCHEMA_VERSION,
    RunRecord,
    migrate_record_data,
    parse_record_json,
    redacted,
)

__all__ = [
    "DATABASE_FILENAME",
    "STORE_DIRNAME",
    "STORE_SCHEMA_VERSION",
    "RecordFileError",
    "RunNotFoundError",
    "RunStore",
    "StoreError",
    "default_store_root",
    "load_record_file",
]

DATABASE_FILENAME = "runs.sqlite"
STORE_SCHEMA_VERSION = 1

# A writer holds the lock for one INSERT (milliseconds); waiting long before giving up costs
# nothing, while failing would lose the record of a run that may have taken an hour.
BUSY_TIMEOUT_S = 60.0

_AMBIGUOUS_SHOWN = 3


class StoreError(FileError):
    """The run store (or a record file exported from it) cannot be used; ``path`` names the file."""


class RecordFileError(StoreError):
    """A standalone run record file (from ``RunStore.export``) is unreadable or invalid."""


class RunNotFoundError(NbgraduateError):
    """No run, or more than one run, matches the run id (or id prefix) the user gave."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        self.message = one_line(message)
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


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


# Migration hook: _MIGRATIONS[n] takes a store at schema n - 1 to schema n. A schema change adds
# one function here and bumps STORE_SCHEMA_VERSION; records themselves are JSON validated by
# RunRecord, so most record changes need no store migration at all.
_MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _migrate_to_1}


class RunStore:
    """The runs of one project: ``add`` a record, look runs up, export them.

    Opening creates the root directory and the database when missing (unless
    ``create=False``) and brings an older schema up to date. Use it as a context manager, or
    call :meth:`close`, to release the database handle.
    """

    def __init__(self, root: str | os.PathLike[str], *, create: bool = True) -> None:
        self.root = Path(root)
        self.database_path = self.root / DATABASE_FILENAME
        if not create and not self.database_path.is_file():
            raise StoreError(self.database_path, "no run store here (nothing has been run yet)")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(
                self.root, f"cannot create the run store: {_os_reason(error)}"
            ) from None
        self._connection = self._open()
        if create:
            self._refuse_damaged()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._connection.close()

    # -- writing -----------------------------------------------------------------------------

    def add(self, record: RunRecord) -> None:
        """Commit ``record`` in one transaction; a run id that is already stored is an error.

        Records are provenance: replacing one silently would rewrite history that a gate
        decision may already rest on.
        """
        _check_run_id(record.run_id)
        record = redacted(record)
        row = (
            record.run_id,
            record.pipeline,
            record.kind,
            record.status.value,
            _sortable_time(record.started_at),
            _sortable_time(record.ended_at),
            record.duration_s,
            record.git_commit,
            record.lock_digest,
            record.contract_version,
            record.model_dump_json(),
        )
        with self._translate_errors(), _immediate(self._connection) as connection:
            try:
                connection.execute(
                    "INSERT INTO runs (run_id, pipeline, kind, status, started_at, ended_at,"
                    " duration_s, git_commit, lock_digest, contract_version, record_json)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    row,
                )
            except sqlite3.IntegrityError:
                raise StoreError(
                    self.database_path, f"run {record.run_id} is already recorded"
                ) from None

    def artifact_dir(self, run_id: str) -> Path:
        """``runs/<run_id>/`` under the store root, created if missing."""
        _check_run_id(run_id)
        directory = self.root / ARTIFACTS_DIRNAME / run_id
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(directory, f"cannot create: {_os_reason(error)}") from None
        return directory

    # -- reading -----------------------------------------------------------------------------

    def get(self, run_id: str) -> RunRecord:
        """The run with this id, or the only run whose id starts with it."""
        if not run_id:
            raise RunNotFoundError("empty run id")
        with self._translate_errors():
            exact = self._connection.execute(
                "SELECT run_id, record_json FROM runs WHERE run_id = ?", (run_id,)
            ).fetchone()
            if exact is not None:
                return self._parse_row(exact)
            # A range on the primary key uses its index; U+10FFFF sorts after every
            # character, and SQLite compares UTF-8 bytes, which preserves code point order.
            matches = self._connection.execute(
                "SELECT run_id, record_json FROM runs WHERE run_id >= ? AND run_id < ?"
                " ORDER BY run_id LIMIT ?",
                (run_id, run_id + "\U0010ffff", _AMBIGUOUS_SHOWN + 1),
            ).fetchall()
        if not matches:
            raise RunNotFoundError(f"no run {run_id!r} in {self.database_path}")
        if len(matches) > 1:
            shown = ", ".join(match[0] for match in matches[:_AMBIGUOUS_SHOWN])
            more = ", ..." if len(matches) > _AMBIGUOUS_SHOWN else ""
            raise RunNotFoundError(
                f"run id prefix {run_id!r} is ambiguous: it matches {shown}{more};"
                " give more characters"
            )
        return self._parse_row(matches[0])

    def list(
        self,
        pipeline: str | None = None,
        kind: str | None = None,
        limit: int | None = None,
    ) -> builtins.list[RunRecord]:
        """Stored runs, newest (by start time) first, optionally filtered and limited."""
        if limit is not None and limit < 0:
            raise ValueError(f"limit must be zero or more, got {limit}")
        where, parameters = _filters(pipeline, kind)
        # LIMIT -1 is SQLite's "no limit".
        parameters.append(-1 if limit is None else limit)
        with self._translate_errors():
            rows = self._connection.execute(
                f"SELECT run_id, record_json FROM runs{where}"
                " ORDER BY started_at DESC, rowid DESC LIMIT ?",
                parameters,
            ).fetchall()
        return [self._parse_row(row) for row in rows]

    def latest(
        self, pipeline: str, *, git_ref_commit: str | None = None, kind: str = "eval"
    ) -> RunRecord | None:
        """The newest run of ``pipeline`` (at commit ``git_ref_commit`` when given), if any.

        ``git_ref_commit`` is compared exactly: resolve a branch or short sha to the full
        commit before calling.
        """
        query = "SELECT run_id, record_json FROM runs WHERE pipeline = ? AND kind = ?"
        parameters: builtins.list[object] = [pipeline, kind]
        if git_ref_commit is not None:
            query += " AND git_commit = ?"
            parameters.append(git_ref_commit)
        query += " ORDER BY started_at DESC, rowid DESC LIMIT 1"
        with self._translate_errors():
            row = self._connection.execute(query, parameters).fetchone()
        return None if row is None else self._parse_row(row)

    def export(self, run_id: str, path: str | os.PathLike[str]) -> RunRecord:
        """Write the run (id or unique prefix) to ``path`` as standalone JSON; returns it.

        The file carries the record's schema version and nothing store-specific, so
        :func:`load_record_file` reads it back on any machine.
        """
        record = self.get(run_id)
        text = json.dumps(record.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
        try:
            write_text_atomic(path, text)
        except OSError as error:
            raise RecordFileError(path, f"cannot write: {_os_reason(error)}") from None
        return record

    def list_readable(
        self, pipeline: str | None = None, kind: str | None = None
    ) -> tuple[builtins.list[RunRecord], builtins.list[str]]:
        """Like :meth:`list`, but a record that cannot be read is skipped and named in the
        second list (one line each) instead of failing the whole listing: a dashboard of a
        hundred runs should not go dark because one row was damaged."""
        where, parameters = _filters(pipeline, kind)
        with self._translate_errors():
            rows = self._connection.execute(
                f"SELECT run_id, record_json FROM runs{where} ORDER BY started_at DESC, rowid DESC",
                parameters,
            ).fetchall()
        records: builtins.list[RunRecord] = []
        problems: builtins.list[str] = []
        for row in rows:
            try:
                records.append(self._parse_row(row))
            except StoreError as error:
                problems.append(error.message)
        return records, problems

    def integrity_problems(self) -> builtins.list[str]:
        """What ``PRAGMA integrity_check`` finds wrong with the database (empty when sound)."""
        with self._translate_errors():
            rows = self._connection.execute("PRAGMA integrity_check").fetchall()
        problems = [str(row[0]) for row in rows]
        return [] if problems == ["ok"] else problems

    # -- internals ---------------------------------------------------------------------------

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

    def _migrate(self, connection: sqlite3.Connection) -> None:
        version = _user_version(connection)
        if version == STORE_SCHEMA_VERSION:
            return
        self._refuse_newer(version)
        with _immediate(connection):
            # Re-read under the write lock: another process may have migrated meanwhile.
            version = _user_version(connection)
            self._refuse_newer(version)
            for target in range(version + 1, STORE_SCHEMA_VERSION + 1):
                _MIGRATIONS[target](connection)
            connection.execute(f"PRAGMA user_version = {STORE_SCHEMA_VERSION:d}")

    def _refuse_newer(self, version: int) -> None:
        if version > STORE_SCHEMA_VERSION:
            raise StoreError(
                self.database_path,
                f"written by a newer nbgraduate (store schema {version}; this version reads"
                f" up to {STORE_SCHEMA_VERSION}); upgrade nbgraduate",
            )

    @contextmanager
    def _translate_errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as error:
            raise StoreError(self.database_path, _database_reason(error)) from None

    def _parse_row(self, row: tuple[str, str]) -> RunRecord:
        run_id, record_json = row
        try:
            # Redacted on read too: a store written before secrets were masked shows none.
            return redacted(parse_record_json(record_json))
        except ValidationError as error:
            raise StoreError(
                self.database_path, f"run {run_id} cannot be read: {_first_problem(error)}"
            ) from None
        except ValueError as error:
            raise StoreError(
                self.database_path, f"run {run_id} cannot be read: not JSON ({error})"
            ) from None


def _filters(pipeline: str | None, kind: str | None) -> tuple[str, list[object]]:
    conditions: list[str] = []
    parameters: list[object] = []
    if pipeline is not None:
        conditions.append("pipeline = ?")
        parameters.append(pipeline)
    if kind is not None:
        conditions.append("kind = ?")
        parameters.append(kind)
    return (f" WHERE {' AND '.join(conditions)}" if conditions else ""), parameters


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


def _sortable_time(moment: datetime) -> str:
    # One fixed-width UTC form, so text order is time order whatever offset the runner used.
    # A naive datetime is taken as local time, as datetime.astimezone does.
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _check_run_id(run_id: str) -> None:
    # The id names a directory under runs/; it must stay one plain path component.
    if (
        not run_id
        or run_id in {".", ".."}
        or any(character in run_id for character in "/\\\0")
        or run_id != run_id.strip()
    ):
        raise ValueError(f"invalid run id {run_id!r}: it must be one plain path component")


def _database_reason(error: sqlite3.Error) -> str:
    text = str(error)
    if "file is not a database" in text or "malformed" in text:
        return f"not a readable run store ({text}); move it aside to start a new one"
    if "locked" in text or "busy" in text:
        return f"{text} (another nbgraduate process held it for over {BUSY_TIMEOUT_S:g} s)"
    return text


def _os_reason(error: OSError) -> str:
    return error.strerror or str(error)


def _first_problem(error: ValidationError) -> str:
    problems = error.errors()
    first = problems[0]
    where = ".".join(str(part) for part in first.get("loc", ())) or "record"
    more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
    return f"{where}: {first.get('msg')}{more}"


def load_record_file(path: str | os.PathLike[str]) -> RunRecord:
    """Read a record written by :meth:`RunStore.export`; a one-line error when it cannot."""
    from nbgraduate.core.files import NotARegularFile, read_regular_text

    try:
        text = read_regular_text(path, max_bytes=1 << 30)
    except FileNotFoundError:
        raise RecordFileError(path, "no such file") from None
    except NotARegularFile as error:
        raise RecordFileError(path, f"cannot read: {error}") from None
    except UnicodeDecodeError:
        raise RecordFileError(path, "not a run record (not UTF-8 text)") from None
    except OSError as error:
        raise RecordFileError(path, f"cannot read: {_os_reason(error)}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise RecordFileError(
            path, f"not valid JSON (line {error.lineno} column {error.colno}: {error.msg})"
        ) from None
    except RecursionError:
        raise RecordFileError(path, "not a run record (nested too deeply)") from None
    if not isinstance(data, dict):
        raise RecordFileError(path, "not a run record (expected a JSON object)")
    version = data.get("schema_version")
    if isinstance(version, int) and version > RECORD_SCHEMA_VERSION:
        raise RecordFileError(
            path,
            f"written by a newer nbgraduate (record schema {version}; this version reads up"
            f" to {RECORD_SCHEMA_VERSION}); upgrade nbgraduate",
        )
    try:
        return redacted(RunRecord.model_validate(migrate_record_data(data)))
    except ValidationError as error:
        raise RecordFileError(path, f"invalid run record: {_first_problem(error)}") from None
