"""Drift: how the working tree differs from the committed ``nbgraduate.lock``."""

from __future__ import annotations

import json
import math
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from nbgraduate.knowledge.packages import canonical_name
from nbgraduate.lock.lockfile import (
    LOCK_FILENAME,
    LockedDataset,
    LockedModel,
    LockedRequirement,
    PipelineLock,
    SamplingParameters,
)

__all__ = [
    "DRIFT_KINDS",
    "Drift",
    "find_drift",
    "model_changes",
    "python_minor",
    "reading_differences",
    "render_drift",
    "requirement_key",
    "same_notebook",
]

#: Every kind of drift, in the order :func:`find_drift` reports them. ``nbgraduate`` is
#: reserved: a different nbgraduate version alone is not drift, the lock contents are.
DRIFT_KINDS = (
    "dataset",
    "prompt",
    "notebook",
    "scoring",
    "parameter",
    "model",
    "sampling",
    "requirement",
    "python",
    "kernel",
    "nbgraduate",
)

_SAMPLING_FIELDS = tuple(SamplingParameters.model_fields)
_MODEL_ROLES = ("judge", "candidate")


@dataclass(frozen=True)
class Drift:
    """One difference between the lock and the working tree.

    ``before`` and ``after`` are plain JSON-like values (``None`` when the thing is new or
    gone); ``message`` is the one line users read.
    """

    kind: str
    subject: str
    before: object
    after: object
    message: str


def find_drift(locked: PipelineLock, current: PipelineLock) -> list[Drift]:
    """Every difference that matters for reproducing the locked eval, in a stable order.

    The order is by kind (as in :data:`DRIFT_KINDS`), then by subject. The nbgraduate
    version, the contract version and the schema version are not compared: they describe
    the lock, not the eval.
    """
    derived = [] if same_notebook(locked, current) else _derived_drift(locked, current)
    drifts = [
        *_dataset_drift(locked.datasets, current.datasets),
        *_prompt_drift(locked, current),
        *_notebook_drift(locked, current),
        *derived,
        *_requirement_drift(locked, current),
        *_python_drift(locked, current),
        *_kernel_drift(locked, current),
    ]
    return drifts


def reading_differences(locked: PipelineLock, current: PipelineLock) -> list[Drift]:
    """What this nbgraduate reads differently from the very notebook the lock was made from.

    Parameters, models and sampling settings are derived from the notebook. When its bytes
    are unchanged, a difference there comes from the analysis (a newer nbgraduate recognising
    a model id the old one did not), not from the eval: it is never drift, and ``nbgraduate
    lock`` records it without bumping the eval contract.
    """
    return _derived_drift(locked, current) if same_notebook(locked, current) else []


def same_notebook(locked: PipelineLock, current: PipelineLock) -> bool:
    """The lock's notebook, byte for byte as its digests see it."""
    return (
        locked.notebook == current.notebook
        and locked.notebook_digest == current.notebook_digest
        and locked.scoring_digest == current.scoring_digest
    )


def _derived_drift(locked: PipelineLock, current: PipelineLock) -> list[Drift]:
    return [
        *_parameter_drift(locked, current),
        *_model_drift(locked.models, current.models),
        *_sampling_drift(locked.sampling, current.sampling),
    ]


def render_drift(
    drifts: Sequence[Drift], *, pipeline: str, output_format: Literal["text", "json"]
) -> str:
    """The ``nbgraduate verify`` report, as text for people or JSON for tools."""
    if output_format == "json":
        payload = {
            "pipeline": pipeline,
            "up_to_date": not drifts,
            "drift": [
                {
                    "kind": drift.kind,
                    "subject": drift.subject,
                    "before": _json_safe(drift.before),
                    "after": _json_safe(drift.after),
                    "message": drift.message,
                }
                for drift in drifts
            ],
        }
        return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    if output_format != "text":
        raise ValueError(f"unknown drift output format {output_format!r}")
    if not drifts:
        return f"{pipeline}: lock is up to date\n"
    noun = "difference" if len(drifts) == 1 else "differences"
    lines = [f"{pipeline}: {len(drifts)} {noun} from {LOCK_FILENAME}"]
    lines.extend(f"  - {drift.message}" for drift in drifts)
    lines.append(f"re-lock with: nbgraduate lock {shlex.quote(pipeline)}")
    return "\n".join(lines) + "\n"


def python_minor(version: str) -> str:
    """``3.11`` for ``3.11.9``: a patch release does not change what an eval computes."""
    return ".".join(version.split(".")[:2])


def requirement_key(name: str) -> str:
    """The PEP 503 normalised name, so ``Scikit_Learn`` and ``scikit-learn`` are one package."""
    return canonical_name(name)


def _short(sha256: str | None) -> str:
    return f"{sha256[:8]}..." if sha256 else "none"


def _dataset_drift(
    locked: Sequence[LockedDataset], current: Sequence[LockedDataset]
) -> list[Drift]:
    before = {dataset.path: dataset for dataset in locked}
    after = {dataset.path: dataset for dataset in current}
    drifts = []
    for path in sorted(before.keys() | after.keys()):
        old, new = before.get(path), after.get(path)
        if old is None and new is not None:
            drifts.append(
                Drift("dataset", path, None, _dump(new), f"dataset {path} is new since the lock")
            )
        elif new is None and old is not None:
            drifts.append(
                Drift("dataset", path, _dump(old), None, f"dataset {path} is no longer read")
            )
        elif old is not None and new is not None and old != new:
            parts = _dataset_change_parts(old, new)
            if parts:
                message = f"dataset {path} changed: {', '.join(parts)}"
                drifts.append(Drift("dataset", path, _dump(old), _dump(new), message))
    return drifts


def _dataset_change_parts(old: LockedDataset, new: LockedDataset) -> list[str]:
    parts = []
    if old.sha256 != new.sha256:
        parts.append(f"sha256 {_short(old.sha256)} -> {_short(new.sha256)}")
    if old.rows != new.rows:
        parts.append(f"rows {_show(old.rows, 'unknown')} -> {_show(new.rows, 'unknown')}")
    if old.size != new.size and not parts:
        parts.append(f"size {_show(old.size, 'unknown')} -> {_show(new.size, 'unknown')}")
    if old.remote != new.remote:
        parts.append("now remote" if new.remote else "now local")
    return parts


def _prompt_drift(locked: PipelineLock, current: PipelineLock) -> list[Drift]:
    before = {prompt.path: prompt.sha256 for prompt in locked.prompts}
    after = {prompt.path: prompt.sha256 for prompt in current.prompts}
    drifts = []
    for path in sorted(before.keys() | after.keys()):
        old, new = before.get(path), after.get(path)
        if old == new:
            continue
        if old is None:
            message = f"prompt {path} is new since the lock"
        elif new is None:
            message = f"prompt {path} is no longer read"
        else:
            message = f"prompt {path} changed: sha256 {_short(old)} -> {_short(new)}"
        drifts.append(Drift("prompt", path, old, new, message))
    return drifts


def _notebook_drift(locked: PipelineLock, current: PipelineLock) -> list[Drift]:
    drifts = []
    if locked.notebook != current.notebook:
        message = f"notebook {locked.notebook} -> {current.notebook}"
        drifts.append(Drift("notebook", "notebook", locked.notebook, current.notebook, message))
    if locked.notebook_digest != current.notebook_digest:
        drifts.append(
            Drift(
                "notebook",
                current.notebook,
                locked.notebook_digest,
                current.notebook_digest,
                "notebook changed since lock",
            )
        )
    if locked.scoring_digest != current.scoring_digest:
        drifts.append(
            Drift(
                "scoring",
                current.notebook,
                locked.scoring_digest,
                current.scoring_digest,
                "scoring code changed since lock",
            )
        )
    return drifts


def _parameter_drift(locked: PipelineLock, current: PipelineLock) -> list[Drift]:
    before = {parameter.name: parameter for parameter in locked.parameters}
    after = {parameter.name: parameter for parameter in current.parameters}
    drifts = []
    for name in sorted(before.keys() | after.keys()):
        old, new = before.get(name), after.get(name)
        if old is None and new is not None:
            drifts.append(Drift("parameter", name, None, _dump(new), f"parameter {name} added"))
        elif new is None and old is not None:
            drifts.append(Drift("parameter", name, _dump(old), None, f"parameter {name} removed"))
        elif old is not None and new is not None:
            if old.type != new.type:
                message = f"parameter {name} type {old.type} -> {new.type}"
                drifts.append(Drift("parameter", name, old.type, new.type, message))
            if not _same_value(old.default, new.default):
                message = f"parameter {name} default {old.default!r} -> {new.default!r}"
                drifts.append(Drift("parameter", name, old.default, new.default, message))
    return drifts


def _same_value(old: Any, new: Any) -> bool:
    # ``True == 1`` in Python, but a flag turning into a count is a real change; and a NaN
    # default must not read as drift on every verify.
    if isinstance(old, float) and isinstance(new, float) and math.isnan(old) and math.isnan(new):
        return True
    return old == new and isinstance(old, bool) == isinstance(new, bool)


def model_changes(
    locked: Sequence[LockedModel], current: Sequence[LockedModel]
) -> list[tuple[str, str | None, str | None]]:
    """``(role, before, after)`` model ids that differ; ``None`` for a model added or removed.

    Within a role, a removed and an added model are paired as a replacement when they are
    bound to the same parameter, or when they are the only change of that role.
    """
    changes: list[tuple[str, str | None, str | None]] = []
    for role in _MODEL_ROLES:
        old_models = {m.model_id: m for m in locked if m.role == role}
        new_models = {m.model_id: m for m in current if m.role == role}
        removed = [old_models[i] for i in sorted(old_models.keys() - new_models.keys())]
        added = [new_models[i] for i in sorted(new_models.keys() - old_models.keys())]
        for old in list(removed):
            partner = next(
                (new for new in added if old.parameter and new.parameter == old.parameter), None
            )
            if partner is not None:
                changes.append((role, old.model_id, partner.model_id))
                removed.remove(old)
                added.remove(partner)
        if len(removed) == 1 and len(added) == 1:
            changes.append((role, removed.pop().model_id, added.pop().model_id))
        changes.extend((role, old.model_id, None) for old in removed)
        changes.extend((role, None, new.model_id) for new in added)
    return changes


def _model_drift(locked: Sequence[LockedModel], current: Sequence[LockedModel]) -> list[Drift]:
    drifts = []
    for role, old, new in model_changes(locked, current):
        if old is None:
            message = f"{role} model {new} added"
        elif new is None:
            message = f"{role} model {old} removed"
        else:
            message = f"{role} model {old} -> {new}"
        drifts.append(Drift("model", role, old, new, message))
    return drifts


def _sampling_drift(locked: SamplingParameters, current: SamplingParameters) -> list[Drift]:
    drifts = []
    for name in _SAMPLING_FIELDS:
        old, new = getattr(locked, name), getattr(current, name)
        if old != new:
            message = f"sampling {name} {_show(old)} -> {_show(new)}"
            drifts.append(Drift("sampling", name, old, new, message))
    return drifts


def _requirement_drift(locked: PipelineLock, current: PipelineLock) -> list[Drift]:
    before = {requirement_key(r.name): r for r in locked.requirements}
    after = {requirement_key(r.name): r for r in current.requirements}
    same_format = locked.schema_version == current.schema_version
    drifts = []
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key), after.get(key)
        if old is None and new is not None:
            message = f"requirement {new.name} added"
            drifts.append(Drift("requirement", new.name, None, new.version, message))
        elif new is None and old is not None:
            message = f"requirement {old.name} removed"
            drifts.append(Drift("requirement", old.name, old.version, None, message))
        elif old is not None and new is not None and old.version != new.version:
            message = f"requirement {new.name} {old.version} -> {new.version}"
            drifts.append(Drift("requirement", new.name, old.version, new.version, message))
        elif old is not None and new is not None and same_format:
            drifts.extend(_extras_and_marker_drift(old, new))
    if not drifts and same_format and locked.requirements_digest != current.requirements_digest:
        # Same pins, different file: hashes, markers or index options changed. Digests of two
        # lock schemas are computed differently, so they are compared only within one schema.
        drifts.append(
            Drift(
                "requirement",
                "requirements",
                locked.requirements_digest,
                current.requirements_digest,
                "requirements changed (same pinned versions)",
            )
        )
    return drifts


def _extras_and_marker_drift(old: LockedRequirement, new: LockedRequirement) -> list[Drift]:
    drifts = []
    if sorted(old.extras) != sorted(new.extras):
        before, after = _extras(old.extras), _extras(new.extras)
        message = f"requirement {new.name} extras {before} -> {after}"
        drifts.append(Drift("requirement", new.name, old.extras, new.extras, message))
    if old.marker != new.marker:
        before, after = _show(old.marker, "none"), _show(new.marker, "none")
        message = f"requirement {new.name} marker {before} -> {after}"
        drifts.append(Drift("requirement", new.name, old.marker, new.marker, message))
    return drifts


def _extras(extras: Sequence[str]) -> str:
    return f"[{','.join(sorted(extras))}]" if extras else "none"


def _python_drift(locked: PipelineLock, current: PipelineLock) -> list[Drift]:
    old, new = python_minor(locked.python_version), python_minor(current.python_version)
    if old == new:
        return []
    return [Drift("python", "python", old, new, f"python {old} -> {new}")]


def _kernel_drift(locked: PipelineLock, current: PipelineLock) -> list[Drift]:
    old, new = locked.kernel_name, current.kernel_name
    if old == new:
        return []
    return [Drift("kernel", "kernel", old, new, f"kernel {old} -> {new}")]


def _show(value: object, missing: str = "unset") -> str:
    return missing if value is None else str(value)


def _dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


def _json_safe(value: object) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # NaN and Infinity are not JSON
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_json_safe(item) for item in value), key=repr)
    return str(value)
