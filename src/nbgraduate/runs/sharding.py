"""``nbgraduate.shard``: this task's part of the examples, by a stable hash of each example's id.

``nbgraduate run --shards N`` runs each repeat as ``N`` tasks; task ``i`` sets
:data:`SHARD_INDEX_ENV` to ``i`` and :data:`SHARD_COUNT_ENV` to ``N`` in its kernel's
environment (and injects the ``shard_index``/``shard_count`` parameters when the pipeline
declares them). The split depends on the ids alone, never on the order of the examples or on
the process (Python's own ``hash`` of a string changes from one interpreter to the next), so
every id lands in exactly one shard and in the same one on every machine and every repeat.

This module is imported inside the kernel: standard library only.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

__all__ = ["SHARD_COUNT_ENV", "SHARD_INDEX_ENV", "shard", "shard_of"]

SHARD_INDEX_ENV = "NBGRADUATE_SHARD_INDEX"
SHARD_COUNT_ENV = "NBGRADUATE_SHARD_COUNT"

T = TypeVar("T")


def shard(
    items: Iterable[T],
    key: Callable[[T], object] | None = None,
    *,
    index: int | None = None,
    count: int | None = None,
) -> list[T]:
    """The items of shard ``index`` of ``count``, in their original order.

    ``key(item)`` is the example's id (default: the item itself when it is a string or an
    integer, else its ``"id"`` entry). ``index``/``count`` default to what the run set for
    this task; outside a sharded run every item is returned, so a notebook keeps working
    interactively and unsharded.
    """
    index, count = _position(index, count)
    key_of = key or _default_key
    if count == 1:
        return list(items)
    return [item for item in items if shard_of(key_of(item), count) == index]


def shard_of(example_id: object, count: int) -> int:
    """The shard (``0 .. count-1``) example ``example_id`` belongs to, on any machine."""
    digest = hashlib.sha256(str(example_id).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count


def _position(index: int | None, count: int | None) -> tuple[int, int]:
    if count is None:
        count = _env_int(SHARD_COUNT_ENV, 1)
    if index is None:
        index = _env_int(SHARD_INDEX_ENV, 0)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"shard: count must be a positive integer, got {count!r}")
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < count:
        raise ValueError(f"shard: index must be in 0..{count - 1}, got {index!r}")
    return index, count


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"shard: {name}={raw!r} is not an integer") from None


def _default_key(item: Any) -> object:
    if isinstance(item, (str, int)) and not isinstance(item, bool):
        return item
    if isinstance(item, Mapping) and "id" in item:
        return item["id"]
    raise TypeError(
        f"shard: cannot tell the id of a {type(item).__name__}; pass key=, e.g."
        " nbgraduate.shard(examples, key=lambda example: example['question_id'])"
    )
