"""nbgraduate: graduate LLM eval notebooks into reproducible eval-as-code."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "record", "record_usage"]


def record(name: str, values: object, *, ids: object = None, clusters: object = None) -> None:
    """Record a metric from inside a pipeline notebook (per-example values pair runs in the gate).

    Outside ``nbgraduate run`` this is a no-op, so notebooks keep working interactively.
    """
    from nbgraduate.recording import record as _record

    _record(name, values, ids=ids, clusters=clusters)


def record_usage(**counters: float) -> None:
    """Record judge usage (``prompt_tokens=...``, ``cost_usd=...``) for the run's record."""
    from nbgraduate.recording import record_usage as _record_usage

    _record_usage(**counters)
