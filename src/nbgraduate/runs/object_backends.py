"""More homes for the store's object area (``runs.objects``): any fsspec URL, and a chooser.

``[tool.nbgraduate] artifacts`` (or ``NBGRADUATE_ARTIFACTS``) moves the object area, where
dataset snapshots and, outside the embedded default, executed notebooks are kept, to a
directory (``LocalObjectArea``), to a URL fsspec can write (``s3://``, ``gs://``,
``memory://``...; fsspec comes with Dask, the protocol's own package such as ``s3fs`` must be
installed), or into the database (``runs.store_base.DatabaseObjectArea``). Every backend
keeps the same promises as the local one: an object appears whole under its digest or not at
all, bytes that do not hash to their name are never handed out, and ``put`` of existing
content refreshes its time (``gc`` spares recent objects).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from nbgraduate.runs.objects import (
    LocalObjectArea,
    ObjectArea,
    ObjectError,
    ObjectInfo,
    PutResult,
)

__all__ = ["FsspecObjectArea", "open_object_area", "read_object"]


class FsspecObjectArea:
    """Objects under ``<url>/sha256/ab/<digest>`` on any filesystem fsspec can write."""

    def __init__(self, url: str) -> None:
        try:
            from fsspec.core import url_to_fs
        except ImportError:
            raise ObjectError(
                url, "fsspec is not installed: pip install 'nbgraduate[dask]'"
            ) from None
        try:
            filesystem, base = url_to_fs(url)
        except (ImportError, ValueError) as error:
            raise ObjectError(url, f"cannot use this object area: {error}") from None
        self.location = url
        self._fs: Any = filesystem
        self._base = base.rstrip("/")

    def _path(self, sha256: str) -> str:
        digest = _checked(sha256)
        return f"{self._base}/sha256/{digest[:2]}/{digest}"

    def _where(self, sha256: str) -> str:
        return f"{self.location.rstrip('/')}/sha256/{sha256[:2]}/{sha256}"

    def put(self, source: Path, *, sha256: str | None = None) -> PutResult:
        if sha256 is not None and self.has(sha256):
            self._touch(self._path(sha256))
            return PutResult(sha256, self._size(self._path(sha256)), added=False)
        try:
            data = Path(source).read_bytes()
        except OSError as error:
            raise ObjectError(source, f"cannot read: {error.strerror or error}") from None
        digest = hashlib.sha256(data).hexdigest()
        if sha256 is not None and digest != sha256:
            raise ObjectError(
                source,
                f"changed while it was being copied (sha256 {sha256[:12]}... expected,"
                f" {digest[:12]}... read)",
            )
        path = self._path(digest)
        if self.has(digest):
            self._touch(path)
            return PutResult(digest, len(data), added=False)
        # Written under a temporary name, then moved: readers never see half an object.
        temporary = f"{path}.{uuid.uuid4().hex}.incoming"
        try:
            self._fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
            self._fs.pipe_file(temporary, data)
            self._fs.mv(temporary, path)
        except OSError as error:
            raise ObjectError(self._where(digest), f"cannot write: {error}") from None
        return PutResult(digest, len(data), added=True)

    def has(self, sha256: str) -> bool:
        try:
            return bool(self._fs.exists(self._path(sha256)))
        except OSError as error:
            raise ObjectError(self._where(sha256), f"cannot reach: {error}") from None

    def restore(self, sha256: str, target: Path) -> None:
        try:
            data = bytes(self._fs.cat_file(self._path(sha256)))
        except FileNotFoundError:
            raise ObjectError(self._where(sha256), "no such object") from None
        except OSError as error:
            raise ObjectError(self._where(sha256), f"cannot read: {error}") from None
        _write_verified(data, sha256, target, self._where(sha256))

    def remove(self, sha256: str, *, touched_before: float | None = None) -> bool:
        path = self._path(sha256)
        try:
            if not self._fs.exists(path):
                return False
            if touched_before is not None and self._touched_at(path) >= touched_before:
                return False
            self._fs.rm_file(path)
        except OSError as error:
            raise ObjectError(self._where(sha256), f"cannot remove: {error}") from None
        return True

    def objects(self) -> Iterator[ObjectInfo]:
        try:
            paths = sorted(self._fs.glob(f"{self._base}/sha256/*/*"))
        except FileNotFoundError:
            return
        for path in paths:
            name = str(path).rsplit("/", 1)[-1]
            if len(name) == 64 and all(c in "0123456789abcdef" for c in name):
                yield ObjectInfo(name, self._size(str(path)), self._touched_at(str(path)))

    def _size(self, path: str) -> int:
        return int(self._fs.size(path) or 0)

    def _touch(self, path: str) -> None:
        # Not every filesystem can change a time without rewriting; _touched_at then reads
        # "now" for objects it cannot date, so gc never takes them for old.
        with contextlib.suppress(NotImplementedError, OSError, ValueError):
            self._fs.touch(path, truncate=False)

    def _touched_at(self, path: str) -> float:
        with contextlib.suppress(NotImplementedError, OSError, ValueError, AttributeError):
            modified = self._fs.modified(path)
            if isinstance(modified, datetime):
                return modified.timestamp()
        info: dict[str, Any] = {}
        with contextlib.suppress(OSError):
            info = self._fs.info(path)
        for key in ("mtime", "LastModified", "updated", "created"):
            value = info.get(key)
            if isinstance(value, (int, float)):
                return float(value)
            if isinstance(value, datetime):
                return value.timestamp()
        return time.time()


def open_object_area(location: str) -> ObjectArea:
    """The area at ``location``: a URL through fsspec, anything else a local directory."""
    if "://" in location and not location.startswith("file://"):
        return FsspecObjectArea(location)
    return LocalObjectArea(Path(location.removeprefix("file://")))


def read_object(area: ObjectArea, sha256: str) -> bytes:
    """An object's bytes, verified (through ``restore``, the one read every area offers)."""
    with tempfile.TemporaryDirectory(prefix="nbgraduate-object-") as directory:
        target = Path(directory) / sha256
        area.restore(sha256, target)
        return target.read_bytes()


def _write_verified(data: bytes, sha256: str, target: Path, where: str) -> None:
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise ObjectError(
            where, f"damaged: its bytes hash to {actual[:12]}..., not {sha256[:12]}..."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as output:
            output.write(data)
        os.replace(temporary, target)
    except OSError as error:
        raise ObjectError(target, f"cannot restore: {error.strerror or error}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _checked(sha256: str) -> str:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError(f"not a sha256 hex digest: {sha256!r}")
    return sha256
