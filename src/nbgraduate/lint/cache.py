"""The lint result cache: a file whose content and settings did not change is not linted again.

As ruff does, one entry per linted file, under ``.nbgraduate/cache/`` in the project root (the
directory of the ``pyproject.toml`` that configures lint, else the current directory) or under
``NBGRADUATE_CACHE_DIR``. An entry's key is a SHA-256 over

* the file's content digest (SHA-256 of its bytes: an edited notebook is always re-linted,
  however its modification time moved);
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
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbgraduate import __version__
from nbgraduate.core.atomic import write_bytes_atomic
from nbgraduate.lint.diagnostics import Diagnostic, Severity

if TYPE_CHECKING:
    from nbgraduate.lint.jobs import FileJob, FileResult

__all__ = [
    "CACHE_DIR_ENV",
    "MAX_BYTES",
    "MAX_ENTRIES",
    "NO_CACHE_ENV",
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
#: Bounds on the cache directory; the oldest entries go first.
MAX_ENTRIES = 20_000
MAX_BYTES = 128 * 1024 * 1024
#: Entries are pruned down to this share of the bounds, so pruning is rare.
_PRUNE_TO = 0.8
#: Bumped when the entry format changes; old entries are then simply never hit.
_FORMAT = 1
_ENTRIES = f"lint-v{_FORMAT}"
_SUFFIX = ".json"
_DIAGNOSTIC_FIELDS = tuple(field.name for field in dataclasses.fields(Diagnostic))


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
    """Read and write the entries of one lint run; every failure to use the cache is a miss."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._entries = directory / _ENTRIES
        self._salt = code_salt(Path(__file__).resolve().parents[1])
        self._encodings: dict[tuple[type, object], bytes] = {}
        self._wrote = False
        self.hits = 0
        self.misses = 0

    def key(self, job: FileJob, content: bytes) -> str:
        """The entry key of ``job`` for a file holding ``content``."""
        digest = hashlib.sha256()
        digest.update(self._salt.encode())
        digest.update(hashlib.sha256(content).digest())
        for field in dataclasses.fields(job):
            digest.update(f"\0{field.name}=".encode())
            digest.update(self._encoded(getattr(job, field.name)))
        return digest.hexdigest()

    def _encoded(self, value: object) -> bytes:
        # The jobs of one run share their codes, policy and git state: encode each value once.
        memo = (type(value), value)
        try:
            cached = self._encodings.get(memo)
        except TypeError:  # unhashable
            return _canonical(value).encode()
        if cached is None:
            cached = self._encodings[memo] = _canonical(value).encode()
        return cached

    def get(self, key: str) -> FileResult | None:
        """The stored result for ``key``, or ``None`` (absent, unreadable, or not this key)."""
        try:
            data = json.loads((self._entries / f"{key}{_SUFFIX}").read_bytes())
            if data["key"] != key:
                raise ValueError("entry of another key")
            result = _result(data["diagnostics"], data["lines"])
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            self.misses += 1
            return None
        self.hits += 1
        return result

    def put(self, key: str, result: FileResult) -> None:
        """Store ``result`` under ``key`` (results with an input error are not stored)."""
        if result.error is not None:
            return
        # Each source line once, however many findings it has: a line of thousands of findings
        # (or a 10 MB literal with findings on it) would otherwise be stored once per finding.
        lines: dict[str, int] = {}
        rows = [_row(d, lines) for d in result.diagnostics]
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
        """Keep the directory within its bounds, if this run wrote to it."""
        if self._wrote:
            with contextlib.suppress(OSError):
                prune(self._entries)

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
    shipped in ``package`` and a fingerprint of its files (size and modification time each)."""
    parts = [f"format {_FORMAT}", f"nbgraduate {__version__}"]
    policy = package / "knowledge" / "model_policy.toml"
    with contextlib.suppress(OSError):
        parts.append(hashlib.sha256(policy.read_bytes()).hexdigest())
    for directory, subdirectories, names in os.walk(package):
        subdirectories[:] = sorted(d for d in subdirectories if d != "__pycache__")
        for name in sorted(names):
            if name.endswith((".py", ".toml", ".json")):
                path = os.path.join(directory, name)
                with contextlib.suppress(OSError):
                    info = os.stat(path)
                    parts.append(
                        f"{os.path.relpath(path, package)} {info.st_size} {info.st_mtime_ns}"
                    )
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _canonical(value: object) -> str:
    return json.dumps(_plain(value), sort_keys=True, separators=(",", ":"))


def _plain(value: object) -> Any:
    """``value`` as JSON data, the same for equal values: sets sorted, paths as strings, and a
    value that carries its own ``digest`` (the git state) as that digest."""
    digest = getattr(value, "digest", None)
    if isinstance(digest, str):
        return {"digest": digest}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: _plain(getattr(value, field.name)) for field in dataclasses.fields(value)
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


def _result(rows: Iterable[list[Any]], lines: list[str]) -> FileResult:
    from nbgraduate.lint.jobs import FileResult

    diagnostics = []
    for row in rows:
        if len(row) != len(_DIAGNOSTIC_FIELDS):
            raise ValueError("entry of another diagnostic format")
        fields = dict(zip(_DIAGNOSTIC_FIELDS, row, strict=True))
        fields["severity"] = Severity(fields["severity"])
        fields["source_line"] = lines[fields["source_line"]]
        diagnostics.append(Diagnostic(**fields))
    return FileResult(diagnostics)


def _write_atomic(path: Path, data: bytes) -> None:
    write_bytes_atomic(path, data, durable=False)
