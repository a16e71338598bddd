"""Which files DVC pins: a ``<file>.dvc`` beside the file (or its folder), or a ``dvc.lock`` out.

Both files record the tracked content's hash, so a dataset they list is versioned. They are read
as YAML, never through ``dvc`` itself (lint imports nothing of the user's tools), and only below
the repository root the caller gives. An unreadable or malformed file pins nothing.
"""

from __future__ import annotations

import functools
import os
from pathlib import PurePosixPath

__all__ = ["dvc_pin"]

#: Keys under which DVC records an output's content hash, across its file-format versions.
_HASH_KEYS = ("md5", "etag", "checksum", "sha256", "version_id")


def dvc_pin(path: str, root: str) -> str | None:
    """The DVC file (relative to ``root``) that pins the file at absolute ``path``, if any.

    ``data/eval.csv`` is pinned by ``data/eval.csv.dvc`` listing ``eval.csv``, by ``data.dvc``
    listing ``data`` (a tracked folder), or by a ``dvc.lock`` in ``data/`` or above whose stage
    outputs include ``eval.csv``'s path or a folder holding it.
    """
    absolute = os.path.normpath(path)
    if not _is_below(absolute, root):
        return None
    candidate = absolute
    while _is_below(candidate, root) and candidate != root:
        directory, name = os.path.split(candidate)
        dvc_file = candidate + ".dvc"
        if name in _outputs(dvc_file, ()):
            return os.path.relpath(dvc_file, root).replace(os.sep, "/")
        lock_file = os.path.join(directory, "dvc.lock")
        relative = os.path.relpath(absolute, directory).replace(os.sep, "/")
        for output in _outputs(lock_file, ("stages",)):
            if relative == output or relative.startswith(output.rstrip("/") + "/"):
                return os.path.relpath(lock_file, root).replace(os.sep, "/")
        candidate = directory
    return None


def _is_below(path: str, root: str) -> bool:
    try:
        return os.path.commonpath([path, root]) == root
    except ValueError:
        return False


@functools.lru_cache(maxsize=1024)
def _outputs(dvc_path: str, nesting: tuple[str, ...]) -> frozenset[str]:
    """Normalised ``path`` of every output that records a hash: the ``outs`` of a ``.dvc``
    file, or (``nesting=("stages",)``) of every stage of a ``dvc.lock``."""
    if not os.path.isfile(dvc_path):
        return frozenset()
    try:
        with open(dvc_path, encoding="utf-8") as handle:
            text = handle.read()
        from ruamel.yaml import YAML

        document = YAML(typ="safe", pure=True).load(text)
    except Exception:  # a broken DVC file versions nothing; lint goes on
        return frozenset()
    if nesting:
        stages = document.get("stages") if isinstance(document, dict) else None
        output_lists = [
            stage.get("outs") for stage in (stages or {}).values() if isinstance(stage, dict)
        ]
    else:
        output_lists = [document.get("outs") if isinstance(document, dict) else None]
    found = set()
    for outputs in output_lists:
        for output in outputs if isinstance(outputs, list) else ():
            if not isinstance(output, dict) or not isinstance(output.get("path"), str):
                continue
            if any(output.get(key) for key in _HASH_KEYS):
                found.add(PurePosixPath(os.path.normpath(output["path"])).as_posix())
    return frozenset(found)
