"""The lint result cache: a file whose content and settings did not change is not linted again.

As ruff does, one entry per linted file, under ``.nbgraduate/cache/`` in the project root (the
directory of the ``pyproject.toml`` that configures lint, else the current directory) or under
``NBGRADUATE_CACHE_DIR``. An entry's key is a SHA-256 over

* the file's content digest (SHA-256 of its bytes: an edited notebook is always re-linted,
  however its modification time moved; see "the stat index" below for when the bytes are
  read);
* everything the file's lint job carries: its path as reported, the enabled rule codes (the
  effective settings after ``select``/``ignore``/``per-file-ignores``), the model-policy
  configuration, the datasets its pipeline's lock pins, the repository's git state (by its
  digest), whether file line positions are wanted;
* the model-policy data shipped with nbgraduate, the nbgraduate version and a fingerprint of
  its installed source files (a changed rule with an unchanged version number is new code).

An entry is a small JSON file written atomically (``core.atomic``: a temporary file renamed
over it, without fsync, since a lost entry is only a miss), so concurrent runs never see half
an entry, and two runs writing one entry write the same bytes. An entry that cannot be read
or does not match its key is a miss. The directory is kept below :data:`MAX_ENTRIES` entries
and :data:`MAX_BYTES` bytes by removing the oldest entries after a run that wrote some.
``nbgraduate lint --no-cache`` or ``NBGRADUATE_NO_CACHE=1`` bypasses the cache (it is then
neither read nor written). Only results without an input error are stored.

The stat index
--------------
Hashing every byte of every file is most of the cost of a re-run in which nothing changed, so,
as git's index does, the cache remembers per file (by absolute path, one index file per project
root) the ``(size, mtime_ns, ctime_ns, inode)`` it saw and the content digest it computed then.
A file whose stat is unchanged is not read: its remembered digest is used. Guarantees:

* Any write to a file moves its ``ctime`` to the current time, and user programs cannot set
  ``ctime`` back (``touch -d``, ``cp -p`` and ``os.utime`` restore the ``mtime`` only, and set
  ``ctime`` to now); a file replaced by another (rename, ``git checkout``) has another inode.
  So an edit is seen even when the size and ``mtime`` are restored.
* Racy timestamps: a file written in the same clock tick as it was hashed could change again
  without its stat changing. An entry is trusted only when its ``mtime`` and ``ctime`` are
  older, by :data:`RACY_SECONDS`, than the moment its run started (before the ``stat``): that
  margin covers timestamp granularity down to FAT's two seconds. Newer entries are hashed
  again on every run until they are old enough (git re-checks such "racily clean" entries by
  content in the same way).
* The stat is taken before the bytes are read, and a result is stored only when the file's
  stat after linting is still the one hashed, so a file edited while it was being linted is
  never remembered with the result of its other content.

What is not covered, as for git: a system clock set back, or a file system that keeps no
``ctime`` or inode numbers and lets a program restore ``mtime`` and size; Windows, where
``st_ctime`` is the creation time, so an in-place rewrite of the same size whose ``mtime`` is
then restored goes unseen. ``--no-cache`` then.
The index is written atomically, merged with the index on disk just before, and only when an
entry changed; runs writing it at once may lose each other's new entries, which costs a hash.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import stat
import time
from collections.abc import Iterable
from pathlib import Path, PurePath

from nbgraduate import __version__
from nbgraduate.core.records import Record

# SHA-256 for the few bytes of a key, a scope name or the salt, without loading OpenSSL (about
# 2 ms of a run answered by the cache); whole files are hashed with hashlib's (faster on them).
from nbgraduate.core.small_digest import sha256 as _sha256
from nbgraduate.lint.diagnostics import Diagnostic, Severity

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from typing import Any

    from nbgraduate.lint.diagnostics import InputError

__all__ = [
    "CACHE_DIR_ENV",
    "MAX_BYTES",
    "MAX_ENTRIES",
    "NO_CACHE_ENV",
    "RACY_SECONDS",
    "LintCache",
    "cache_directory",
    "cache_disabled_by_environment",
    "code_salt",
    "prune",
]

#: Put the cache here instead of ``.nbgraduate/cache/`` in the project root.
CACHE_DIR_ENV = "NBGRADUATE_CACHE_DIR"
#: Any value but empty or ``0`` turns the cache off, like ``--no-cache``.
NO_CACHE_ENV = "NBGRADUATE_NO_CACHE"
#: Bounds on the cache directory; the oldest entries go first. The stat index of one project
#: root keeps at most ``MAX_ENTRIES`` files too.
MAX_ENTRIES = 20_000
MAX_BYTES = 128 * 1024 * 1024
#: A file's remembered digest is trusted only when its mtime and ctime are older than this
#: before the run that hashed it started (see "the stat index" above).
RACY_SECONDS = 2
#: Entries are pruned down to this share of the bounds, so pruning is rare.
_PRUNE_TO = 0.8
#: Bumped when the entry format changes; old entries are then simply never hit.
_FORMAT = 2
_ENTRIES = f"lint-v{_FORMAT}"
_SUFFIX = ".json"
_INDEX_SUFFIX = ".index"
_DIAGNOSTIC_FIELDS = Diagnostic._fields
_RACY_NS = RACY_SECONDS * 1_000_000_000

#: A file as the index remembers it: size, mtime_ns, ctime_ns, inode, then the hex digest
#: and when the run that hashed it started (ns).
_Stat = tuple[int, int, int, int]


def cache_disabled_by_environment() -> bool:
    """``NBGRADUATE_NO_CACHE`` set to anything but empty or ``0``."""
    return os.environ.get(NO_CACHE_ENV, "") not in ("", "0")


def cache_directory(project_root: Path) -> Path:
    """Where the cache lives: ``NBGRADUATE_CACHE_DIR``, else ``.nbgraduate/cache`` in the root."""
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured:
        return Path(configured)
    return project_root / ".nbgraduate" / "cache"


class LintCache:
    """Read and write the entries of one lint run; every failure to use the cache is a miss.

    ``scope`` (the project root) names the stat index this run reads and writes.
    """

    def __init__(self, directory: Path, scope: Path | None = None) -> None:
        self.directory = directory
        self._entries = directory / _ENTRIES
        # Entries are read by the hundred on a re-run: joined as strings, not as Paths.
        self._entries_prefix = os.path.join(self._entries, "")
        self._field_prefixes: dict[type, tuple[tuple[str, bytes], ...]] = {}
        self._salt = code_salt(Path(__file__).resolve().parents[1])
        self._encodings: dict[tuple[type, object], bytes] = {}
        self._wrote = False
        self._started_ns = time.time_ns()
        scope_name = _sha256(os.fsencode(os.path.abspath(scope or "."))).hexdigest()
        self._index_path = self._entries / f"index-{scope_name[:16]}{_INDEX_SUFFIX}"
        self._index = _read_index(self._index_path)
        self._index_changed: dict[str, list[Any]] = {}
        self._seen: dict[str, _Stat] = {}
        self.hits = 0
        self.misses = 0
        self.hashed = 0

    def digest(self, path: Path) -> bytes | None:
        """The SHA-256 of the file's bytes, or ``None`` when it cannot be read as a regular file
        (linting it reports why). Taken from the stat index when the file's stat is the one
        remembered and the entry is not racy; else the file is read and hashed."""
        absolute = os.path.abspath(path)
        try:
            info = os.stat(absolute)
        except (OSError, ValueError):
            return None
        if not stat.S_ISREG(info.st_mode):
            return None
        seen: _Stat = (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)
        self._seen[absolute] = seen
        remembered = self._index.get(absolute)
        if remembered is not None and _trusted(remembered, seen):
            try:
                return bytes.fromhex(remembered[4])
            except (TypeError, ValueError):
                pass  # a damaged entry: hash the file
        # Imported only here: a run in which no file changed never reads or hashes one.
        import hashlib

        from nbgraduate.core.files import read_regular

        try:
            # Never a FIFO or device (a FIFO would block here forever): read_regular refuses.
            content = read_regular(absolute)
        except OSError:
            return None
        self.hashed += 1
        digest = hashlib.sha256(content).digest()
        entry = [*seen, digest.hex(), self._started_ns]
        if remembered != entry:
            self._index[absolute] = self._index_changed[absolute] = entry
        return digest

    def unchanged(self, path: Path) -> bool:
        """Whether the file's stat is still the one :meth:`digest` saw (it was not edited since)."""
        absolute = os.path.abspath(path)
        try:
            info = os.stat(absolute)
        except (OSError, ValueError):
            return False
        seen = (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)
        return self._seen.get(absolute) == seen

    def key(self, job: Record, digest: bytes) -> str:
        """The entry key of ``job`` (a :class:`~nbgraduate.lint.runner.FilePlan`: every field is
        part of the key) for a file whose content has the SHA-256 ``digest``."""
        hasher = _sha256()
        hasher.update(self._salt.encode())
        hasher.update(digest)
        prefixes = self._field_prefixes.get(type(job))
        if prefixes is None:
            prefixes = tuple((name, f"\0{name}=".encode()) for name in job._fields)
            self._field_prefixes[type(job)] = prefixes
        for name, prefix in prefixes:
            hasher.update(prefix)
            hasher.update(self._encoded(getattr(job, name)))
        return hasher.hexdigest()

    def _encoded(self, value: object) -> bytes:
        # A path, the one field no two jobs share: what _canonical gives, without json.dumps.
        if type(value) is str:
            return _json_string(value).encode()
        if isinstance(value, PurePath):
            return _json_string(os.fspath(value)).encode()
        # The jobs of one run share their codes, policy and git state: encode each value once.
        memo = (type(value), value)
        try:
            cached = self._encodings.get(memo)
        except TypeError:  # unhashable
            return _canonical(value).encode()
        if cached is None:
            cached = self._encodings[memo] = _canonical(value).encode()
        return cached

    def get(self, key: str) -> list[Diagnostic] | None:
        """The stored findings for ``key``, or ``None`` (absent, unreadable, or not this key)."""
        try:
            # Unbuffered, and decoded here: entries are UTF-8 as put() writes them, and
            # json.loads would first guess the encoding of bytes (any other is a miss).
            with open(f"{self._entries_prefix}{key}{_SUFFIX}", "rb", buffering=0) as stream:
                data = json.loads(stream.read().decode("utf-8"))
            if data["key"] != key:
                raise ValueError("entry of another key")
            result = _result(data["diagnostics"], data["lines"])
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            self.misses += 1
            return None
        self.hits += 1
        return result

    def put(self, key: str, diagnostics: list[Diagnostic], error: InputError | None) -> None:
        """Store a file's ``diagnostics`` under ``key`` (not when linting it met an input
        ``error``)."""
        if error is not None:
            return
        # Each source line once, however many findings it has: a line of thousands of findings
        # (or a 10 MB literal with findings on it) would otherwise be stored once per finding.
        lines: dict[str, int] = {}
        rows = [_row(d, lines) for d in diagnostics]
        entry = {"key": key, "lines": list(lines), "diagnostics": rows}
        try:
            data = json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        except UnicodeEncodeError:
            return  # a file name that is not UTF-8: linted every time rather than cached

        with contextlib.suppress(OSError):
            self._prepare()
            _write_atomic(self._entries / f"{key}{_SUFFIX}", data)
            self._wrote = True

    def close(self) -> None:
        """Write the stat index if an entry changed; keep the directory within its bounds, if
        this run wrote to it."""
        if self._index_changed:
            with contextlib.suppress(OSError):
                self._prepare()
                self._write_index()
        if self._wrote:
            with contextlib.suppress(OSError):
                prune(self._entries)

    def _write_index(self) -> None:
        # Merged with what another run wrote since this one read it; this run's entries win.
        files = _read_index(self._index_path)
        files.update(self._index_changed)
        if len(files) > MAX_ENTRIES:
            # The files this run saw stay; of the others, those hashed longest ago go first.
            others = sorted((e[5], p) for p, e in files.items() if p not in self._seen)
            for _, path in others[: len(files) - int(MAX_ENTRIES * _PRUNE_TO)]:
                del files[path]
        try:
            data = _index_bytes(files)
        except UnicodeEncodeError:
            # A path that is not UTF-8 is hashed every time rather than remembered.
            data = _index_bytes({path: entry for path, entry in files.items() if _utf8(path)})
        _write_atomic(self._index_path, data)

    def _prepare(self) -> None:
        if self._entries.is_dir():
            return
        self._entries.mkdir(parents=True, exist_ok=True)
        # As ruff marks its cache: ignored by git, skipped by backup tools.
        for name, text in (
            (".gitignore", "# Automatically created by nbgraduate lint.\n*\n"),
            (
                "CACHEDIR.TAG",
                "Signature: 8a477f597d28d172789f06886806bc55\n"
                "# This file is a cache directory tag created by nbgraduate lint.\n",
            ),
        ):
            marker = self.directory / name
            if not marker.exists():
                _write_atomic(marker, text.encode("utf-8"))


def _index_bytes(files: dict[str, list[Any]]) -> bytes:
    document = {"format": _FORMAT, "files": files}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _read_index(path: Path) -> dict[str, list[Any]]:
    """The stat index at ``path``: absolute path to ``[size, mtime_ns, ctime_ns, inode, digest,
    hashed_at_ns]``; empty when absent or unreadable (every file is then hashed)."""
    try:
        with open(path, "rb") as stream:
            data = json.loads(stream.read())
        files = data["files"]
        if data["format"] != _FORMAT or not isinstance(files, dict):
            return {}
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return files


def _trusted(remembered: list[Any], seen: _Stat) -> bool:
    """Whether a remembered entry still describes the file: the same stat, and not racy."""
    try:
        size, mtime, ctime, inode, _, hashed_at = remembered
    except (TypeError, ValueError):
        return False
    if (size, mtime, ctime, inode) != seen:
        return False
    return isinstance(hashed_at, int) and max(mtime, ctime) < hashed_at - _RACY_NS


def prune(entries: Path, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> int:
    """Remove the oldest entries of ``entries`` until both bounds hold; how many were removed.

    Another run may be removing the same files at the same time: a file already gone is fine.
    """
    listed: list[tuple[float, int, str]] = []
    total = 0
    with os.scandir(entries) as scan:
        for item in scan:
            if not item.name.endswith(_SUFFIX):
                continue
            try:
                info = item.stat()
            except OSError:
                continue
            listed.append((info.st_mtime, info.st_size, item.path))
            total += info.st_size
    if len(listed) <= max_entries and total <= max_bytes:
        return 0
    listed.sort()
    keep_entries, keep_bytes = int(max_entries * _PRUNE_TO), int(max_bytes * _PRUNE_TO)
    removed = 0
    count = len(listed)
    for _, size, path in listed:
        if count - removed <= keep_entries and total <= keep_bytes:
            break
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        removed += 1
        total -= size
    return removed


# -- keys ---------------------------------------------------------------------------------------


@functools.cache
def code_salt(package: Path) -> str:
    """What every key shares: the entry format, the nbgraduate version, the model-policy data
    shipped in ``package`` and a fingerprint of its files (size and modification time each).

    The folders of the layers above lint (:data:`_ABOVE_LINT`) are left out: the layer rules
    (``tests/test_layout.py``) keep lint from importing them, so no change there can change a
    finding, and every run would otherwise stat their hundred-odd files too.
    """
    parts = [f"format {_FORMAT}", f"nbgraduate {__version__}"]
    policy = package / "knowledge" / "model_policy.toml"
    with contextlib.suppress(OSError):
        parts.append(_sha256(policy.read_bytes()).hexdigest())
    parts.extend(_source_fingerprints(str(package), "", skipped=_ABOVE_LINT))
    return _sha256("\n".join(parts).encode()).hexdigest()


#: The package's folders of the layers above lint (see the layer list in ``nbgraduate``).
_ABOVE_LINT = frozenset(
    {"graduate", "runs", "gate", "report", "calibrate", "github", "reproduce", "repo", "cli"}
)


def _source_fingerprints(
    directory: str, relative: str, *, skipped: frozenset[str] = frozenset()
) -> list[str]:
    """``"path size mtime_ns"`` of every source and data file below ``directory``, sorted;
    the subdirectories named in ``skipped`` are left out."""
    found: list[str] = []
    subdirectories: list[tuple[str, str]] = []
    with contextlib.suppress(OSError), os.scandir(directory) as scan:
        for item in scan:
            name = item.name
            with contextlib.suppress(OSError):
                if item.is_dir():
                    if name != "__pycache__" and name not in skipped:
                        subdirectories.append((item.path, f"{relative}{name}/"))
                elif name.endswith((".py", ".toml", ".json")):
                    info = item.stat()
                    found.append(f"{relative}{name} {info.st_size} {info.st_mtime_ns}")
    found.sort()
    for path, prefix in sorted(subdirectories):
        found.extend(_source_fingerprints(path, prefix))
    return found


#: ``json.dumps`` of a string (ASCII-only, as :func:`_canonical` writes it).
_json_string = json.encoder.encode_basestring_ascii  # type: ignore[attr-defined]


def _canonical(value: object) -> str:
    return json.dumps(_plain(value), sort_keys=True, separators=(",", ":"))


def _plain(value: object) -> Any:
    """``value`` as JSON data, the same for equal values: sets sorted, paths as strings, and a
    value that carries its own ``digest`` (the git state) as that digest."""
    digest = getattr(value, "digest", None)
    if isinstance(digest, str):
        return {"digest": digest}
    if isinstance(value, Record):
        return {name: _plain(getattr(value, name)) for name in value._fields}
    if hasattr(type(value), "__dataclass_fields__"):
        import dataclasses  # only for a value of a dataclass, which imports it already

        return {
            field.name: _plain(getattr(value, field.name))
            for field in dataclasses.fields(value)  # type: ignore[arg-type]
        }
    if isinstance(value, (frozenset, set)):
        return sorted(_plain(item) for item in value)
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)


# -- entries ------------------------------------------------------------------------------------


def _row(diagnostic: Diagnostic, lines: dict[str, int]) -> list[Any]:
    """The diagnostic as a list; its source line as an index into ``lines`` (added if new)."""
    row = []
    for name in _DIAGNOSTIC_FIELDS:
        value = getattr(diagnostic, name)
        if name == "severity":
            value = value.value
        elif name == "source_line":
            value = lines.setdefault(value, len(lines))
        row.append(value)
    return row


_SEVERITIES = {severity.value: severity for severity in Severity}
_SEVERITY_AT = _DIAGNOSTIC_FIELDS.index("severity")
_SOURCE_LINE_AT = _DIAGNOSTIC_FIELDS.index("source_line")


def _result(rows: Iterable[list[Any]], lines: list[str]) -> list[Diagnostic]:
    diagnostics = []
    width = len(_DIAGNOSTIC_FIELDS)
    for row in rows:
        if len(row) != width:
            raise ValueError("entry of another diagnostic format")
        row[_SEVERITY_AT] = _SEVERITIES[row[_SEVERITY_AT]]
        row[_SOURCE_LINE_AT] = lines[row[_SOURCE_LINE_AT]]
        diagnostics.append(Diagnostic(*row))
    return diagnostics


def _write_atomic(path: Path, data: bytes) -> None:
    # Imported only when writing: a run in which nothing changed writes nothing.
    from nbgraduate.core.atomic import write_bytes_atomic

    write_bytes_atomic(path, data, durable=False)
