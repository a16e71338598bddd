"""What makes two runs' scores incomparable: the differences between their eval contracts.

A run's *effective* contract is what its record says it ran with, ``-p`` overrides included
(dataset digests, model ids, prompt digests, temperature, the contract's major version), not
only its lock: ``gate`` refuses to compare runs whose effective contracts differ, and the
dashboard never joins their scores on one line.
"""

from __future__ import annotations

from collections.abc import Mapping

from nbgraduate.runs.records import RunRecord

__all__ = ["contract_differences"]

_DIGEST_SHOWN = 12


def contract_differences(
    baseline: RunRecord, candidate: RunRecord, *, names: tuple[str, str] = ("baseline", "candidate")
) -> list[str]:
    """One line per difference that changes what the scores mean, empty when comparable.
    ``names`` word the two runs (the dashboard says ``before``/``after``).

    Compared: dataset digests, judge and candidate model ids, prompt digests, temperature and
    the major eval-contract version (a major bump is how ``lock`` marks a scoring or parameter
    change). Environment differences (Python, packages) do not make scores incomparable.
    """
    differences: list[str] = []
    first, second = names
    differences += _mapping_differences(
        "dataset", baseline.dataset_digests, candidate.dataset_digests, names
    )
    for role in ("judge", "candidate"):
        before = sorted({m.model_id for m in baseline.models if m.role == role})
        after = sorted({m.model_id for m in candidate.models if m.role == role})
        if before != after:
            differences.append(f"{role} model: {first} {_ids(before)}, {second} {_ids(after)}")
    differences += _mapping_differences(
        "prompt", baseline.prompt_digests, candidate.prompt_digests, names
    )
    if baseline.temperature != candidate.temperature:
        differences.append(
            f"temperature: {first} {_number(baseline.temperature)},"
            f" {second} {_number(candidate.temperature)}"
        )
    before_major = _major(baseline.contract_version)
    after_major = _major(candidate.contract_version)
    if before_major is not None and after_major is not None and before_major != after_major:
        differences.append(
            f"eval contract version: {first} {baseline.contract_version},"
            f" {second} {candidate.contract_version} (a major change)"
        )
    return differences


def _mapping_differences(
    what: str, baseline: Mapping[str, str], candidate: Mapping[str, str], names: tuple[str, str]
) -> list[str]:
    first, second = names
    lines = []
    for key in sorted(set(baseline) | set(candidate)):
        before, after = baseline.get(key), candidate.get(key)
        if before == after:
            continue
        if before is None:
            lines.append(f"{what} {key}: only in the {second} run")
        elif after is None:
            lines.append(f"{what} {key}: only in the {first} run")
        else:
            lines.append(
                f"{what} {key}: digest {_digest(before)} in {first}, {_digest(after)} in {second}"
            )
    return lines


def _digest(value: str) -> str:
    algorithm, _, hexdigest = value.rpartition(":")
    short = hexdigest[:_DIGEST_SHOWN]
    return f"{algorithm}:{short}" if algorithm else short


def _ids(model_ids: list[str]) -> str:
    return ", ".join(model_ids) if model_ids else "none"


def _number(value: float | None) -> str:
    return "not recorded" if value is None else f"{value:g}"


def _major(version: str | None) -> str | None:
    if not version:
        return None
    return version.split(".", 1)[0]
