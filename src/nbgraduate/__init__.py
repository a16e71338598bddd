"""nbgraduate: graduate LLM eval notebooks into reproducible eval-as-code.

The package root holds only the public API used inside pipeline notebooks (``record``,
``record_usage``, ``record_served``, ``shard``); everything else lives in one folder per
stage of the lifecycle.

Layers, bottom to top. A module imports only from its own folder and from layers above it
in this list (lower layers); folders on one line do not import each other:

1. core: atomic writes, the error tree, positions, value records, git plumbing, the HTTP policy
2. knowledge: model policy, secret patterns, install commands, CODEOWNERS syntax
3. notebook: reading notebooks into one model; the parameters cell
4. analysis: facts, values, model ids, dataset reads, LLM calls
5. lock: the lock model, its builder, digests, drift and contract versions
6. lint: the linter, its rules and output formats, repository rules
7. graduate: conversion plan, rewrites, requirements, batch conversion
8. runs: executor, kernels, the recording API, records and the run store
9. gate, report, calibrate, github: release decisions, dashboard, judge drift, REST client
10. reproduce: re-run a recorded run from its commit and compare (uses runs and gate)
11. repo: ``init`` and the pre-commit hooks
12. cli: the command line; nothing imports it

Any module may import the package root for ``__version__``.
"""

from __future__ import annotations

__version__ = "0.1.0"

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import TypeVar

    T = TypeVar("T")

__all__ = ["__version__", "record", "record_served", "record_usage", "shard"]


def record(name: str, values: object, *, ids: object = None, clusters: object = None) -> None:
    """Record a metric from inside a pipeline notebook (per-example values pair runs in the gate).

    Outside ``nbgraduate run`` this is a no-op, so notebooks keep working interactively.
    """
    from nbgraduate.runs.recording import record as _record

    _record(name, values, ids=ids, clusters=clusters)


def record_usage(**counters: float) -> None:
    """Record judge usage (``prompt_tokens=...``, ``cost_usd=...``) for the run's record."""
    from nbgraduate.runs.recording import record_usage as _record_usage

    _record_usage(**counters)


def record_served(
    response: object = None,
    *,
    model: str | None = None,
    system_fingerprint: str | None = None,
    requested: str | None = None,
) -> None:
    """Record the model and system fingerprint a provider says served a response
    (``nbgraduate.record_served(completion)``), so a reproduction can compare them."""
    from nbgraduate.runs.recording import record_served as _record_served

    _record_served(
        response, model=model, system_fingerprint=system_fingerprint, requested=requested
    )


def shard(
    items: Iterable[T],
    key: Callable[[T], object] | None = None,
    *,
    index: int | None = None,
    count: int | None = None,
) -> list[T]:
    """This task's part of ``items`` in a run with ``--shards N``, by a stable hash of
    ``key(item)`` (the example id); every item when the run is not sharded."""
    from nbgraduate.runs.sharding import shard as _shard

    return _shard(items, key, index=index, count=count)
