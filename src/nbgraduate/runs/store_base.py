"""The run store's shared behaviour: what both backends do, written once.

The public face is ``runs.store`` (``open_store``); this module is what backends build on.

The run store: every run record, and the files of each run, behind one interface.

Two backends share every behaviour described here (``tests/test_store.py`` runs one suite
against both):

* ``runs.store_sqlite``: the embedded default, one SQLite file in ``<project>/.nbgraduate``;
  nothing to start for one person;
* ``runs.store_postgres``: a PostgreSQL database (``--store postgresql://...``) that many CI
  jobs and people record into at once.

A store holds one row per run (indexed columns plus the full record JSON) and one row per file
of a run (``artifacts``: name, SHA-256, size and where the bytes are). The bytes of executed
notebooks and logs live, by default, in ``runs/<run_id>/`` beside an SQLite store and in the
database of a PostgreSQL store; ``[tool.nbgraduate] artifacts`` moves them to a directory or
any fsspec URL, content-addressed (``runs.object_area``). Every ``add`` is one transaction, so
a record is never stored without its artifact rows, and a record is never replaced: records
are provenance a gate decision may rest on.

Each backend versions its own schema (migrations run on open, under a lock, so concurrent
first opens are safe), and a store whose schema is newer than this nbgraduate understands is
refused with a one-line error instead of being misread.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import os
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import Any

from pydantic import ValidationError

from nbgraduate.core.atomic import write_bytes_atomic, write_text_atomic
from nbgraduate.core.errors import FileError, NbgraduateError, one_line
from nbgraduate.runs.decisions import GateDecision
from nbgraduate.runs.layout import (
    ARTIFACTS_DIRNAME,
    STORE_DIRNAME,
    StoreLocation,
    default_store_root,
)
from nbgraduate.runs.object_backends import open_object_area, read_object
from nbgraduate.runs.objects import ObjectArea, ObjectError, ObjectInfo, PutResult, objects_for
from nbgraduate.runs.records import (
    RECORD_SCHEMA_VERSION,
    RunRecord,
    migrate_record_data,
    parse_redacted_record_json,
    redacted,
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
    "refuse_newer_schema",
]

#: ``artifacts.location`` of a file kept in ``runs/<run_id>/`` beside an SQLite store.
RUN_DIRECTORY = "run-directory"
#: ``artifacts.location`` (and the ``artifacts`` setting) for bytes kept in the database.
DATABASE_AREA = "database"

_AMBIGUOUS_SHOWN = 3


class StoreError(FileError):
    """The run store (or a record file exported from it) cannot be used; ``path`` names it."""


class RecordFileError(StoreError):
    """A standalone run record file (from ``RunStore.export``) is unreadable or invalid."""


class DuplicateRunError(StoreError):
    """A record with this run id is already stored (records are never replaced)."""


class RunNotFoundError(NbgraduateError):
    """No run, or more than one run, matches the run id (or id prefix) the user gave."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        self.message = one_line(message)
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class ArtifactRef:
    """One stored file of a run: its name in the run (``repeat-0.ipynb``), digest, size and
    where its bytes are (:data:`RUN_DIRECTORY`, :data:`DATABASE_AREA`, or an area's location)."""

    name: str
    sha256: str
    size: int
    location: str


class RunStore(ABC):
    """The runs of a project or a team: ``add`` a record with its files, look runs up, export.

    Obtain one with :func:`open_store`; use it as a context manager, or call :meth:`close`, to
    release the database connection. Backends provide the connection, transactions, error
    translation and migrations; everything else is written once, here.
    """

    location: StoreLocation
    #: The SQL column that orders runs started at the same instant (insertion order).
    _insertion_order: str

    # -- what a backend provides ----------------------------------------------------------------

    @abstractmethod
    def _execute(self, sql: str, parameters: tuple[Any, ...] | builtins.list[Any] = ()) -> Any:
        """Run one statement (``?`` placeholders) and return a DB-API cursor."""

    @abstractmethod
    def _write_transaction(self) -> AbstractContextManager[None]:
        """A transaction that holds the write lock from its start and commits at its end."""

    @abstractmethod
    def _translate_errors(self) -> AbstractContextManager[None]:
        """Turn the driver's errors into :class:`StoreError` (:class:`DuplicateRunError` for a
        unique-key violation), one line each."""

    @abstractmethod
    def close(self) -> None: ...

    def integrity_problems(self) -> builtins.list[str]:
        """What the database's own consistency check finds wrong (empty when sound)."""
        return []

    # -- context manager ------------------------------------------------------------------------

    def __enter__(self) -> RunStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def display(self) -> str:
        """How messages name this store (a URL's password is cut to 4 characters)."""
        return self.location.display

    @property
    def root(self) -> Path | None:
        """The directory of an embedded store; ``None`` for a database server."""
        return self.location.root

    # -- writing --------------------------------------------------------------------------------

    def add(
        self, record: RunRecord, artifacts: Mapping[str, bytes | Path] | None = None
    ) -> builtins.list[ArtifactRef]:
        """Store the run's files, then commit the record and their rows in one transaction.

        ``artifacts`` maps a file's name in the run (``repeat-0.ipynb``) to its bytes or to a
        local file. A run id that is already stored is a :class:`DuplicateRunError`: a record
        is provenance, and replacing one silently would rewrite history that a gate decision
        may already rest on. Files are stored first and content-addressed, so a failed ``add``
        leaves at most unreferenced copies, never a record missing its files.
        """
        _check_run_id(record.run_id)
        record_json = record.model_dump_json()
        # A key in an error message or a -p value is never stored.
        cleaned = redacted(record, json_text=record_json)
        if cleaned is not record:
            record, record_json = cleaned, cleaned.model_dump_json()
        if self.has(record.run_id):
            # Before any file is written: the first run's files must stay as they were.
            raise DuplicateRunError(self.display, f"run {record.run_id} is already recorded")
        refs = [
            self._store_artifact(record.run_id, name, content)
            for name, content in sorted((artifacts or {}).items())
        ]
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
            record_json,
        )
        try:
            with self._translate_errors(), self._write_transaction():
                self._execute(
                    "INSERT INTO runs (run_id, pipeline, kind, status, started_at, ended_at,"
                    " duration_s, git_commit, lock_digest, contract_version, record_json)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    row,
                )
                for ref in refs:
                    self._execute(
                        "INSERT INTO artifacts (run_id, name, sha256, size, location)"
                        " VALUES (?, ?, ?, ?, ?)",
                        (record.run_id, ref.name, ref.sha256, ref.size, ref.location),
                    )
        except DuplicateRunError:
            raise DuplicateRunError(
                self.display, f"run {record.run_id} is already recorded"
            ) from None
        return refs

    @property
    def objects(self) -> ObjectArea:
        """The store's content-addressed object area: dataset snapshots, and a run's files
        unless they stay in ``runs/<run_id>/``.

        ``<root>/objects`` for an embedded store, the database for PostgreSQL, unless the
        ``artifacts`` setting names a directory, a URL or ``database``.
        """
        configured = self.location.artifacts
        if configured == DATABASE_AREA or (configured is None and self.root is None):
            return DatabaseObjectArea(self)
        if configured is None:
            assert self.root is not None
            return objects_for(self.root)
        try:
            return open_object_area(configured)
        except ObjectError as error:
            raise StoreError(error.path, error.message) from None

    @property
    def objects_location(self) -> str:
        """How artifact rows name :attr:`objects`: ``database``, or its directory or URL."""
        configured = self.location.artifacts
        if configured == DATABASE_AREA or (configured is None and self.root is None):
            return DATABASE_AREA
        if configured is None:
            assert self.root is not None
            return str(self.root / "objects")
        return configured

    def _store_artifact(self, run_id: str, name: str, content: bytes | Path) -> ArtifactRef:
        _check_artifact_name(name)
        if self.location.keeps_run_directories:
            assert self.root is not None
            target = self.root / ARTIFACTS_DIRNAME / run_id / name
            if isinstance(content, Path) and _same_file(content, target):
                data = target.read_bytes()
            else:
                data = content if isinstance(content, bytes) else _read_local(content)
                try:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    write_bytes_atomic(target, data)
                except OSError as error:
                    raise StoreError(target, f"cannot write: {error.strerror or error}") from None
            return ArtifactRef(name, _sha256(data), len(data), RUN_DIRECTORY)
        area = self.objects
        try:
            if isinstance(content, Path):
                put = area.put(content)
            else:
                with _as_file(content) as path:
                    put = area.put(path)
        except ObjectError as error:
            raise StoreError(error.path, error.message) from None
        return ArtifactRef(name, put.sha256, put.size, self.objects_location)

    # -- reading runs ---------------------------------------------------------------------------

    def get(self, run_id: str) -> RunRecord:
        """The run with this id, or the only run whose id starts with it."""
        if not run_id:
            raise RunNotFoundError("empty run id")
        with self._translate_errors():
            exact = self._execute(
                "SELECT run_id, record_json FROM runs WHERE run_id = ?", (run_id,)
            ).fetchone()
            if exact is not None:
                return self._parse_row(exact)
            # A range on the primary key uses its index; U+10FFFF sorts after every character,
            # and both backends compare run ids by code point (SQLite's UTF-8 bytes, a "C"
            # collation in PostgreSQL). LIKE would treat "_" and "%" as patterns.
            matches = self._execute(
                "SELECT run_id, record_json FROM runs WHERE run_id >= ? AND run_id < ?"
                f" ORDER BY run_id LIMIT {_AMBIGUOUS_SHOWN + 1:d}",
                (run_id, run_id + "\U0010ffff"),
            ).fetchall()
        if not matches:
            raise RunNotFoundError(f"no run {run_id!r} in {self.display}")
        if len(matches) > 1:
            shown = ", ".join(match[0] for match in matches[:_AMBIGUOUS_SHOWN])
            more = ", ..." if len(matches) > _AMBIGUOUS_SHOWN else ""
            raise RunNotFoundError(
                f"run id prefix {run_id!r} is ambiguous: it matches {shown}{more};"
                " give more characters"
            )
        return self._parse_row(matches[0])

    def has(self, run_id: str) -> bool:
        """Whether a run with exactly this id is stored."""
        with self._translate_errors():
            row = self._execute("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return row is not None

    def list(
        self,
        pipeline: str | None = None,
        kind: str | None = None,
        limit: int | None = None,
    ) -> builtins.list[RunRecord]:
        """Stored runs, newest (by start time) first, optionally filtered and limited."""
        return [self._parse_row(row) for row in self._rows(pipeline, kind, limit)]

    def list_readable(
        self, pipeline: str | None = None, kind: str | None = None
    ) -> tuple[builtins.list[RunRecord], builtins.list[str]]:
        """Like :meth:`list`, but a record that cannot be read is skipped and named in the
        second list (one line each) instead of failing the whole listing: a dashboard of a
        hundred runs should not go dark because one row was damaged."""
        records: builtins.list[RunRecord] = []
        problems: builtins.list[str] = []
        for row in self._rows(pipeline, kind, None):
            try:
                records.append(self._parse_row(row))
            except StoreError as error:
                problems.append(error.message)
        return records, problems

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
        query += f" ORDER BY started_at DESC, {self._insertion_order} DESC LIMIT 1"
        with self._translate_errors():
            row = self._execute(query, parameters).fetchone()
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

    # -- gate decisions -------------------------------------------------------------------------

    def add_gate_decision(self, decision: GateDecision) -> None:
        """Keep what a gate decided (one transaction); the dashboard draws verdicts over time."""
        row = (
            decision.decision_id,
            decision.pipeline,
            _sortable_time(decision.decided_at),
            decision.model_dump_json(),
        )
        with self._translate_errors(), self._write_transaction():
            self._execute(
                "INSERT INTO gate_decisions (decision_id, pipeline, decided_at, decision_json)"
                " VALUES (?, ?, ?, ?)",
                row,
            )

    def gate_decisions(self, pipeline: str | None = None) -> builtins.list[GateDecision]:
        """Stored gate decisions, oldest first; one that cannot be read is skipped (the
        dashboard of a hundred decisions should not go dark over one damaged row)."""
        where, parameters = ("WHERE pipeline = ?", [pipeline]) if pipeline is not None else ("", [])
        with self._translate_errors():
            rows = self._execute(
                f"SELECT decision_json FROM gate_decisions {where}"
                f" ORDER BY decided_at, {self._insertion_order}",
                parameters,
            ).fetchall()
        decisions = []
        for (text,) in rows:
            try:
                decisions.append(GateDecision.model_validate_json(text))
            except ValueError:
                continue
        return decisions

    # -- reading artifacts ----------------------------------------------------------------------

    def artifacts(self, run_id: str) -> builtins.list[ArtifactRef]:
        """The stored files of a run (exact id), by name."""
        with self._translate_errors():
            rows = self._execute(
                "SELECT name, sha256, size, location FROM artifacts WHERE run_id = ? ORDER BY name",
                (run_id,),
            ).fetchall()
        refs = [ArtifactRef(str(n), str(d), int(s), str(loc)) for n, d, s, loc in rows]
        if refs or not self.location.keeps_run_directories:
            return refs
        # Runs recorded before files had rows: their run directory is the list.
        return self._unlisted_run_directory(run_id)

    def read_artifact(self, run_id: str, name: str) -> bytes:
        """A stored file's bytes, checked against the digest recorded for it."""
        ref = self._artifact(run_id, name)
        if ref.location == RUN_DIRECTORY:
            if self.root is None:
                raise StoreError(self.display, f"{name} of run {run_id} is in a run directory")
            path = self.root / ARTIFACTS_DIRNAME / run_id / name
            data = _read_local(path)
            if _sha256(data) != ref.sha256:
                raise StoreError(
                    path,
                    f"changed since run {run_id} recorded it (sha256 {_sha256(data)}, recorded"
                    f" {ref.sha256})",
                )
            return data
        area = DatabaseObjectArea(self) if ref.location == DATABASE_AREA else None
        try:
            return read_object(area or open_object_area(ref.location), ref.sha256)
        except ObjectError as error:
            raise StoreError(error.path, error.message) from None

    def artifact_digests(self) -> set[str]:
        """The digest of every file any run of this store references (``gc`` keeps them)."""
        with self._translate_errors():
            rows = self._execute("SELECT DISTINCT sha256 FROM artifacts").fetchall()
        return {str(row[0]) for row in rows}

    def _artifact(self, run_id: str, name: str) -> ArtifactRef:
        by_name = {ref.name: ref for ref in self.artifacts(run_id)}
        ref = by_name.get(name)
        if ref is None:
            known = ", ".join(sorted(by_name)) or "none"
            raise StoreError(self.display, f"run {run_id} has no file {name!r} (it has: {known})")
        return ref

    # -- internals ------------------------------------------------------------------------------

    def _rows(
        self, pipeline: str | None, kind: str | None, limit: int | None
    ) -> builtins.list[Any]:
        if limit is not None and limit < 0:
            raise ValueError(f"limit must be zero or more, got {limit}")
        conditions: builtins.list[str] = []
        parameters: builtins.list[object] = []
        if pipeline is not None:
            conditions.append("pipeline = ?")
            parameters.append(pipeline)
        if kind is not None:
            conditions.append("kind = ?")
            parameters.append(kind)
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        limited = "" if limit is None else f" LIMIT {int(limit):d}"
        with self._translate_errors():
            return self._execute(
                f"SELECT run_id, record_json FROM runs{where}"
                f" ORDER BY started_at DESC, {self._insertion_order} DESC{limited}",
                parameters,
            ).fetchall()

    def _parse_row(self, row: tuple[str, str]) -> RunRecord:
        run_id, record_json = row
        try:
            # Redacted on read too: a store written before secrets were masked shows none.
            return parse_redacted_record_json(record_json)
        except ValidationError as error:
            raise StoreError(
                self.display, f"run {run_id} cannot be read: {_first_problem(error)}"
            ) from None
        except ValueError as error:
            raise StoreError(
                self.display, f"run {run_id} cannot be read: not JSON ({error})"
            ) from None

    def _unlisted_run_directory(self, run_id: str) -> builtins.list[ArtifactRef]:
        assert self.root is not None
        _check_run_id(run_id)
        directory = self.root / ARTIFACTS_DIRNAME / run_id
        if not directory.is_dir():
            return []
        refs = []
        for path in sorted(directory.rglob("*")):
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                name = path.relative_to(directory).as_posix()
                refs.append(ArtifactRef(name, _sha256(data), len(data), RUN_DIRECTORY))
        return refs


class DatabaseObjectArea:
    """The object area in the store's own ``objects`` table (the bytes in the database).

    Implements :class:`~nbgraduate.runs.objects.ObjectArea`: a PostgreSQL store keeps
    snapshots and executed notebooks here unless ``artifacts`` names another area.
    """

    location = DATABASE_AREA

    def __init__(self, store: RunStore) -> None:
        self._store = store

    def put(self, source: Path, *, sha256: str | None = None) -> PutResult:
        store = self._store
        now = time.time()
        if sha256 is not None:
            with store._translate_errors(), store._write_transaction():
                cursor = store._execute(
                    "UPDATE objects SET touched_at = ? WHERE sha256 = ?", (now, sha256)
                )
                if cursor.rowcount:
                    row = store._execute(
                        "SELECT size FROM objects WHERE sha256 = ?", (sha256,)
                    ).fetchone()
                    return PutResult(sha256, int(row[0]), added=False)
        data = _read_object_source(source)
        digest = _sha256(data)
        if sha256 is not None and digest != sha256:
            raise ObjectError(
                source,
                f"changed while it was being copied (sha256 {sha256[:12]}... expected,"
                f" {digest[:12]}... read)",
            )
        existed = self.has(digest)
        # Two writers storing the same content at once both succeed: the row is the same.
        with store._translate_errors(), store._write_transaction():
            store._execute(
                "INSERT INTO objects (sha256, size, touched_at, content) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (sha256) DO UPDATE SET touched_at = excluded.touched_at",
                (digest, len(data), now, data),
            )
        return PutResult(digest, len(data), added=not existed)

    def has(self, sha256: str) -> bool:
        with self._store._translate_errors():
            row = self._store._execute(
                "SELECT 1 FROM objects WHERE sha256 = ?", (sha256,)
            ).fetchone()
        return row is not None

    def restore(self, sha256: str, target: Path) -> None:
        with self._store._translate_errors():
            row = self._store._execute(
                "SELECT content FROM objects WHERE sha256 = ?", (sha256,)
            ).fetchone()
        if row is None:
            raise ObjectError(self._where(sha256), "no such object")
        data = bytes(row[0])
        actual = _sha256(data)
        if actual != sha256:
            raise ObjectError(
                self._where(sha256),
                f"damaged: its bytes hash to {actual[:12]}..., not {sha256[:12]}...",
            )
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            write_bytes_atomic(target, data)
        except OSError as error:
            raise ObjectError(target, f"cannot restore: {error.strerror or error}") from None

    def remove(self, sha256: str, *, touched_before: float | None = None) -> bool:
        query = "DELETE FROM objects WHERE sha256 = ?"
        parameters: builtins.list[object] = [sha256]
        if touched_before is not None:
            query += " AND touched_at < ?"
            parameters.append(touched_before)
        with self._store._translate_errors(), self._store._write_transaction():
            return bool(self._store._execute(query, parameters).rowcount)

    def objects(self) -> Iterator[ObjectInfo]:
        with self._store._translate_errors():
            rows = self._store._execute(
                "SELECT sha256, size, touched_at FROM objects ORDER BY sha256"
            ).fetchall()
        for digest, size, touched_at in rows:
            yield ObjectInfo(str(digest), int(size), float(touched_at))

    def _where(self, sha256: str) -> str:
        return f"{self._store.display} (object {sha256[:12]}...)"


# -- helpers shared by the backends ------------------------------------------------------------


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


def _check_artifact_name(name: str) -> None:
    # A relative POSIX path inside the run directory, never above it.
    parts = PurePosixPath(name).parts
    if (
        not name
        or name.startswith("/")
        or "\\" in name
        or "\0" in name
        or any(part in {".", ".."} for part in parts)
        or name != name.strip()
    ):
        raise ValueError(f"invalid artifact name {name!r}: a relative path inside the run")


def _same_file(path: Path, target: Path) -> bool:
    try:
        return path.resolve() == target.resolve()
    except OSError:
        return False


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@contextmanager
def _as_file(data: bytes) -> Iterator[Path]:
    # Object areas take files (a dataset is a file); bytes made in memory go through one.
    with tempfile.TemporaryDirectory(prefix="nbgraduate-artifact-") as directory:
        path = Path(directory) / "content"
        path.write_bytes(data)
        yield path


def _read_object_source(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise ObjectError(path, f"cannot read: {error.strerror or error}") from None


def _read_local(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise StoreError(path, f"cannot read: {_os_reason(error)}") from None


def _os_reason(error: OSError) -> str:
    return error.strerror or str(error)


def _first_problem(error: ValidationError) -> str:
    problems = error.errors()
    first = problems[0]
    where = ".".join(str(part) for part in first.get("loc", ())) or "record"
    more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
    return f"{where}: {first.get('msg')}{more}"


def refuse_newer_schema(where: str | os.PathLike[str], found: int, supported: int) -> None:
    """The one-line refusal of a store written by a newer nbgraduate (both backends)."""
    if found > supported:
        raise StoreError(
            where,
            f"written by a newer nbgraduate (store schema {found}; this version reads up to"
            f" {supported}); upgrade nbgraduate",
        )


def load_record_file(path: str | os.PathLike[str]) -> RunRecord:
    """Read a record written by :meth:`RunStore.export`; a one-line error when it cannot."""
    from nbgraduate.core.files import NotARegularFile, read_regular_text

    try:
        text = read_regular_text(path, max_bytes=1 << 30)
    except NotARegularFile as error:
        raise RecordFileError(path, f"cannot read: {error}") from None
    except FileNotFoundError:
        raise RecordFileError(path, "no such file") from None
    except UnicodeDecodeError:
        raise RecordFileError(path, "not a run record (not UTF-8 text)") from None
    except OSError as error:
        raise RecordFileError(path, f"cannot read: {_os_reason(error)}") from None
    try:
        data = json.loads(text)
    except RecursionError:
        raise RecordFileError(path, "not a run record (nested too deeply)") from None
    except json.JSONDecodeError as error:
        raise RecordFileError(
            path, f"not valid JSON (line {error.lineno} column {error.colno}: {error.msg})"
        ) from None
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
