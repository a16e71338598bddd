"""The shared run store: a PostgreSQL database, through psycopg 3 (``nbgraduate[postgres]``).

Its tables live in their own schema, ``nbgraduate``, so they sit beside a team's other tables
without clashing: ``runs`` (one row per run, as in SQLite, plus a ``seq`` identity that orders
runs started at the same instant), ``artifacts`` and ``objects`` (the bytes of executed
notebooks, unless ``artifacts`` names another area), ``gate_decisions`` (what ``gate``
decided) and ``store_schema`` (the schema version).
Run ids and start times use the ``"C"`` collation, so they compare by code point exactly as
SQLite compares them, whatever the database's locale.

Many CI jobs write at once: each ``add`` is one transaction and the run id is the primary key,
so a record is stored exactly once or refused. Migrations run under a transaction-scoped
advisory lock, so the first jobs to meet a new nbgraduate version migrate once, in turn.
psycopg is imported only when such a store is opened.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from nbgraduate.core.errors import one_line
from nbgraduate.runs.layout import StoreLocation
from nbgraduate.runs.store_base import DuplicateRunError, RunStore, StoreError, refuse_newer_schema

__all__ = ["POSTGRES_SCHEMA_VERSION", "SCHEMA_NAME", "PostgresRunStore"]

SCHEMA_NAME = "nbgraduate"
POSTGRES_SCHEMA_VERSION = 2

# pg_advisory_xact_lock key for migrations: "nbgrad" in ASCII, an arbitrary fixed number.
_MIGRATION_LOCK = 0x6E6267726164
_CONNECT_TIMEOUT_S = 15


def _migrate_to_1(execute: Any) -> None:
    execute(
        """
        CREATE TABLE runs (
            seq BIGINT GENERATED ALWAYS AS IDENTITY,
            run_id TEXT COLLATE "C" PRIMARY KEY,
            pipeline TEXT NOT NULL,
            kind TEXT NOT NULL,
            status TEXT NOT NULL,
            started_at TEXT COLLATE "C" NOT NULL,
            ended_at TEXT NOT NULL,
            duration_s DOUBLE PRECISION NOT NULL,
            git_commit TEXT,
            lock_digest TEXT,
            contract_version TEXT,
            record_json TEXT NOT NULL
        )
        """
    )
    execute("CREATE INDEX runs_by_pipeline ON runs (pipeline, kind, started_at)")
    execute("CREATE INDEX runs_by_commit ON runs (git_commit)")
    execute("CREATE INDEX runs_by_start ON runs (started_at)")
    execute(
        """
        CREATE TABLE artifacts (
            run_id TEXT COLLATE "C" NOT NULL,
            name TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            size BIGINT NOT NULL,
            location TEXT NOT NULL,
            PRIMARY KEY (run_id, name)
        )
        """
    )
    execute("CREATE INDEX artifacts_by_sha256 ON artifacts (sha256)")
    execute(
        """
        CREATE TABLE objects (
            sha256 TEXT PRIMARY KEY,
            size BIGINT NOT NULL,
            touched_at DOUBLE PRECISION NOT NULL,
            content BYTEA NOT NULL
        )
        """
    )


def _migrate_to_2(execute: Any) -> None:
    # What ``nbgraduate gate`` decided, for the dashboard's verdicts over time.
    execute(
        """
        CREATE TABLE gate_decisions (
            seq BIGINT GENERATED ALWAYS AS IDENTITY,
            decision_id TEXT COLLATE "C" PRIMARY KEY,
            pipeline TEXT NOT NULL,
            decided_at TEXT COLLATE "C" NOT NULL,
            decision_json TEXT NOT NULL
        )
        """
    )
    execute("CREATE INDEX gate_decisions_by_pipeline ON gate_decisions (pipeline, decided_at)")


# _MIGRATIONS[n] takes the schema from n - 1 to n; versions are this backend's own.
_MIGRATIONS = {1: _migrate_to_1, 2: _migrate_to_2}


class PostgresRunStore(RunStore):
    """The store in the ``nbgraduate`` schema of the database at ``location.url``."""

    _insertion_order = "seq"

    def __init__(self, location: StoreLocation, *, create: bool = True) -> None:
        assert location.url is not None
        self.location = location
        try:
            import psycopg
        except ImportError:
            raise StoreError(
                self.display,
                "PostgreSQL stores need psycopg: pip install 'nbgraduate[postgres]'",
            ) from None
        self._psycopg = psycopg
        options: dict[str, Any] = {"autocommit": True}
        if "connect_timeout" not in location.url:
            options["connect_timeout"] = _CONNECT_TIMEOUT_S
        if "application_name" not in location.url:
            options["application_name"] = "nbgraduate"
        try:
            self._connection = psycopg.connect(location.url, **options)
        except psycopg.Error as error:
            raise StoreError(self.display, f"cannot connect: {_reason(error)}") from None
        except ValueError as error:  # a malformed URL, before any connection attempt
            raise StoreError(self.display, f"not a PostgreSQL URL: {error}") from None
        try:
            with self._translate_errors():
                self._connection.execute(f"SET search_path TO {SCHEMA_NAME}")
                self._migrate(create)
        except BaseException:
            self._connection.close()
            raise

    def close(self) -> None:
        self._connection.close()

    # -- the backend interface --------------------------------------------------------------

    def _execute(self, sql: str, parameters: tuple[Any, ...] | list[Any] = ()) -> Any:
        # The shared SQL uses "?" placeholders (sqlite3's); psycopg's are "%s". No statement
        # contains a literal "?" or "%".
        return self._connection.execute(sql.replace("?", "%s"), parameters)

    @contextmanager
    def _write_transaction(self) -> Iterator[None]:
        with self._connection.transaction():
            yield

    @contextmanager
    def _translate_errors(self) -> Iterator[None]:
        psycopg = self._psycopg
        try:
            yield
        except psycopg.errors.UniqueViolation as error:
            raise DuplicateRunError(self.display, _reason(error)) from None
        except psycopg.Error as error:
            raise StoreError(self.display, _reason(error)) from None

    # -- opening ------------------------------------------------------------------------------

    def _version(self) -> int | None:
        """The stored schema version; ``None`` when this database has no store yet."""
        table = self._connection.execute(
            "SELECT to_regclass(%s)", (f"{SCHEMA_NAME}.store_schema",)
        ).fetchone()
        if table is None or table[0] is None:
            return None
        row = self._connection.execute("SELECT max(version) FROM store_schema").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def _migrate(self, create: bool) -> None:
        version = self._version()
        if version == POSTGRES_SCHEMA_VERSION:
            return
        if version is None and not create:
            raise StoreError(
                self.display, "no run store in this database (nothing has been recorded yet)"
            )
        if version is not None:
            refuse_newer_schema(self.display, version, POSTGRES_SCHEMA_VERSION)
        with self._connection.transaction():
            self._connection.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            # Re-read under the lock: another job may have migrated meanwhile.
            self._connection.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA_NAME}")
            self._connection.execute(
                "CREATE TABLE IF NOT EXISTS store_schema (version INTEGER NOT NULL)"
            )
            version = self._version() or 0
            refuse_newer_schema(self.display, version, POSTGRES_SCHEMA_VERSION)
            for target in range(version + 1, POSTGRES_SCHEMA_VERSION + 1):
                _MIGRATIONS[target](self._connection.execute)
            self._connection.execute("DELETE FROM store_schema")
            self._connection.execute(
                "INSERT INTO store_schema (version) VALUES (%s)", (POSTGRES_SCHEMA_VERSION,)
            )


def _reason(error: Exception) -> str:
    # psycopg's messages can span lines (DETAIL, HINT); keep the first and make it one line.
    text = str(error).strip().splitlines()
    return one_line(text[0]) if text else type(error).__name__
