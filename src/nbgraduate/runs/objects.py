"""The run store's object area: files kept by the sha256 of their bytes, each content once.

Dataset snapshots live here (like DVC's cache): ``nbgraduate run`` puts a copy of every local
dataset it read, and ``nbgraduate reproduce`` takes the exact bytes back out by digest after
the file was edited in place. :class:`ObjectArea` is the whole interface the rest of
nbgraduate uses, so a store kept elsewhere (a database, an fsspec URL) can give the area
another backend; :class:`LocalObjectArea` keeps the objects as files under the store root::

    objects/sha256/ab/ab34...ef     one read-only file per content, named by its sha256

An object is written to a temporary file beside its final place while it is hashed, and
renamed into place only when its bytes have the digest they are filed under, so a reader
never sees a partial or mislabelled object and concurrent writers of one content are
harmless (the second rename replaces equal bytes with equal bytes). ``put`` of an object that
is already there refreshes its modification time: ``nbgraduate gc`` spares recent objects,
which may belong to a run still in progress that has not written its record yet.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from nbgraduate.core import regex_cache
from nbgraduate.core.errors import FileError

__all__ = [
    "OBJECTS_DIRNAME",
    "LocalObjectArea",
    "ObjectArea",
    "ObjectError",
    "ObjectInfo",
    "PutResult",
    "objects_for",
]

OBJECTS_DIRNAME = "objects"
_ALGORITHM = "sha256"
_CHUNK_SIZE = 1024 * 1024
_DIGEST = regex_cache.compile(r"[0-9a-f]{64}")


class ObjectError(FileError):
    """An object cannot be stored, read or removed; ``path`` names the file concerned."""


@dataclass(frozen=True, slots=True)
class PutResult:
    """What :meth:`ObjectArea.put` did with one file."""

    sha256: str
    size: int
    #: ``False`` when an object with these bytes was already there (nothing copied).
    added: bool


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """One stored object, as ``gc`` lists it."""

    sha256: str
    size: int
    #: Seconds since the epoch of its last ``put``.
    touched_at: float


class ObjectArea(Protocol):
    """Content-addressed storage of files; every method names objects by hex sha256."""

    def put(self, source: Path, *, sha256: str | None = None) -> PutResult:
        """Keep ``source``'s bytes. With ``sha256`` (the digest the caller already knows),
        an existing object is not read again, and bytes that hash otherwise (the file changed
        since) raise :class:`ObjectError` and store nothing."""
        ...

    def has(self, sha256: str) -> bool:
        """Whether an object with this digest is stored."""
        ...

    def restore(self, sha256: str, target: Path) -> None:
        """Write the object's bytes to ``target`` (atomically, verified against the digest)."""
        ...

    def remove(self, sha256: str, *, touched_before: float | None = None) -> bool:
        """Delete the object; with ``touched_before``, only when its last ``put`` was earlier
        (a run may have just reused it). Returns whether it was removed."""
        ...

    def objects(self) -> Iterator[ObjectInfo]:
        """Every stored object."""
        ...


class LocalObjectArea:
    """Objects as read-only files under ``<root>/sha256/``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, sha256: str) -> Path:
        """Where the object with this digest lives (whether or not it is there)."""
        digest = _checked_digest(sha256)
        return self.root / _ALGORITHM / digest[:2] / digest

    def put(self, source: Path, *, sha256: str | None = None) -> PutResult:
        if sha256 is not None:
            target = self.path_of(sha256)
            if target.is_file():
                size = target.stat().st_size
                _touch(target)
                return PutResult(sha256, size, added=False)
        try:
            directory = self.root / _ALGORITHM
            directory.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=directory, prefix=".incoming-", suffix=".tmp")
        except OSError as error:
            raise ObjectError(
                self.root, f"cannot write to the object area: {_reason(error)}"
            ) from None
        try:
            with os.fdopen(fd, "wb") as output:
                digest, size = _copy_hashing(source, output)
                output.flush()
                os.fsync(output.fileno())
            if sha256 is not None and digest != sha256:
                raise ObjectError(
                    source,
                    f"changed while it was being copied (sha256 {sha256[:12]}... expected,"
                    f" {digest[:12]}... read)",
                )
            target = self.path_of(digest)
            if target.is_file():
                _touch(target)
                return PutResult(digest, size, added=False)
            target.parent.mkdir(exist_ok=True)
            os.chmod(temporary, 0o444)
            os.replace(temporary, target)
            return PutResult(digest, size, added=True)
        except OSError as error:
            raise ObjectError(source, f"cannot keep a copy: {_reason(error)}") from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)

    def has(self, sha256: str) -> bool:
        return self.path_of(sha256).is_file()

    def restore(self, sha256: str, target: Path) -> None:
        source = self.path_of(sha256)
        if not source.is_file():
            raise ObjectError(source, "no such object")
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
        )
        try:
            with os.fdopen(fd, "wb") as output:
                digest, _ = _copy_hashing(source, output)
            if digest != sha256:
                # Bit rot, or a hand edit despite the read-only bit: never hand out wrong bytes.
                raise ObjectError(
                    source, f"damaged: its bytes hash to {digest[:12]}..., not {sha256[:12]}..."
                )
            os.chmod(temporary, 0o644)
            os.replace(temporary, target)
        except OSError as error:
            raise ObjectError(target, f"cannot restore: {_reason(error)}") from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)

    def remove(self, sha256: str, *, touched_before: float | None = None) -> bool:
        path = self.path_of(sha256)
        try:
            if touched_before is not None and path.stat().st_mtime >= touched_before:
                return False
            path.unlink()
        except FileNotFoundError:
            return False
        except OSError as error:
            raise ObjectError(path, f"cannot remove: {_reason(error)}") from None
        with contextlib.suppress(OSError):
            path.parent.rmdir()  # only when it was the last object of its fan-out folder
        return True

    def objects(self) -> Iterator[ObjectInfo]:
        base = self.root / _ALGORITHM
        if not base.is_dir():
            return
        for folder in sorted(base.iterdir()):
            if not folder.is_dir():
                continue
            for path in sorted(folder.iterdir()):
                if not (_DIGEST.fullmatch(path.name) and path.name[:2] == folder.name):
                    continue  # an interrupted write's temporary file, or a stranger
                with contextlib.suppress(FileNotFoundError):
                    status = path.stat()
                    yield ObjectInfo(path.name, status.st_size, status.st_mtime)


def objects_for(store_root: Path) -> ObjectArea:
    """The object area of the run store at ``store_root``."""
    return LocalObjectArea(store_root / OBJECTS_DIRNAME)


def _copy_hashing(source: Path, output: object) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(source, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK_SIZE), b""):
            digest.update(chunk)
            size += len(chunk)
            output.write(chunk)  # type: ignore[attr-defined]
    return digest.hexdigest(), size


def _checked_digest(sha256: str) -> str:
    # The digest becomes a file name: anything but 64 lowercase hex digits is refused.
    if not _DIGEST.fullmatch(sha256):
        raise ValueError(f"not a sha256 hex digest: {sha256!r}")
    return sha256


def _touch(path: Path) -> None:
    with contextlib.suppress(OSError):
        now = time.time()
        os.utime(path, (now, now))


def _reason(error: OSError) -> str:
    return error.strerror or str(error)
