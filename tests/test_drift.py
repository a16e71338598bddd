"""Tests for drift between a committed lock and one recomputed from the working tree."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nbgraduate.lock.digests import dataset_facts
from nbgraduate.lock.drift import Drift, find_drift, reading_differences, render_drift
from nbgraduate.lock.lockfile import (
    LockedDataset,
    LockedModel,
    LockedParameter,
    LockedPrompt,
    LockedRequirement,
    PipelineLock,
    SamplingParameters,
)

SHA_A = "3f1c2a9b" + "0" * 56
SHA_B = "9a0b1c2d" + "1" * 56


def make_lock(**overrides: Any) -> PipelineLock:
    fields: dict[str, Any] = {
        "nbgraduate_version": "0.1.0",
        "notebook": "eval.ipynb",
        "notebook_digest": "n" * 64,
        "scoring_digest": "s" * 64,
        "kernel_name": "python3",
        "python_version": "3.11.9",
        "parameters": [LockedParameter(name="temperature", type="float", default=0.0)],
        "datasets": [LockedDataset(path="data/golden.csv", sha256=SHA_A, size=1000, rows=200)],
        "prompts": [LockedPrompt(path="prompts/judge.txt", sha256=SHA_A)],
        "models": [
            LockedModel(model_id="gpt-4o-2024-05-13", role="judge", pinned=True),
            LockedModel(model_id="gpt-4o-mini-2024-07-18", role="candidate", pinned=True),
        ],
        "sampling": SamplingParameters(temperature=0.0, seed=7),
        "requirements": [LockedRequirement(name="pandas", version="2.2.2")],
        "requirements_digest": "r" * 64,
    }
    fields.update(overrides)
    return PipelineLock(**fields)


def messages(locked: PipelineLock, current: PipelineLock) -> list[str]:
    return [drift.message for drift in find_drift(locked, current)]


#: A notebook edited since the lock: parameters, models and sampling are read from it, so
#: only an edited notebook can change them (an unchanged one read differently is not drift).
EDITED = "e" * 64


def edited(**overrides: Any) -> PipelineLock:
    return make_lock(notebook_digest=EDITED, **overrides)


def derived_messages(locked: PipelineLock, current: PipelineLock) -> list[str]:
    """The drift besides the notebook edit that caused it."""
    found = messages(locked, current)
    assert "notebook changed since lock" in found
    return [message for message in found if message != "notebook changed since lock"]


def test_identical_locks_have_no_drift() -> None:
    assert find_drift(make_lock(), make_lock()) == []


def test_nbgraduate_version_contract_version_and_python_patch_are_not_drift() -> None:
    current = make_lock(
        nbgraduate_version="0.9.0", contract_version="4.0.0", python_version="3.11.2"
    )
    assert find_drift(make_lock(), current) == []


def test_dataset_change_from_real_files(tmp_path: Path) -> None:
    data = tmp_path / "golden.csv"
    data.write_text("q,a\n" + "x,y\n" * 200, encoding="utf-8")
    sha, size, rows = dataset_facts(data)
    locked = make_lock(
        datasets=[LockedDataset(path="data/golden.csv", sha256=sha, size=size, rows=rows)]
    )
    data.write_text("q,a\n" + "x,y\n" * 230, encoding="utf-8")
    sha2, size2, rows2 = dataset_facts(data)
    current = make_lock(
        datasets=[LockedDataset(path="data/golden.csv", sha256=sha2, size=size2, rows=rows2)]
    )
    assert messages(locked, current) == [
        f"dataset data/golden.csv changed: sha256 {sha[:8]}... -> {sha2[:8]}..., rows 200 -> 230"
    ]


def test_dataset_message_format() -> None:
    current = make_lock(
        datasets=[LockedDataset(path="data/golden.csv", sha256=SHA_B, size=1100, rows=230)]
    )
    [drift] = find_drift(make_lock(), current)
    assert drift.kind == "dataset"
    assert drift.subject == "data/golden.csv"
    assert drift.message == (
        "dataset data/golden.csv changed: sha256 3f1c2a9b... -> 9a0b1c2d..., rows 200 -> 230"
    )
    assert drift.before["rows"] == 200 and drift.after["rows"] == 230


def test_dataset_same_rows_reports_only_digest() -> None:
    current = make_lock(
        datasets=[LockedDataset(path="data/golden.csv", sha256=SHA_B, size=1000, rows=200)]
    )
    assert messages(make_lock(), current) == [
        "dataset data/golden.csv changed: sha256 3f1c2a9b... -> 9a0b1c2d..."
    ]


def test_dataset_added_and_removed() -> None:
    locked = make_lock()
    current = make_lock(
        datasets=[LockedDataset(path="data/extra.csv", sha256=SHA_B, size=10, rows=1)]
    )
    assert messages(locked, current) == [
        "dataset data/extra.csv is new since the lock",
        "dataset data/golden.csv is no longer read",
    ]


def test_notebook_and_scoring_digests() -> None:
    markdown_only = make_lock(notebook_digest="m" * 64)
    assert messages(make_lock(), markdown_only) == ["notebook changed since lock"]
    code = make_lock(notebook_digest="m" * 64, scoring_digest="t" * 64)
    assert [d.kind for d in find_drift(make_lock(), code)] == ["notebook", "scoring"]


def test_prompt_change() -> None:
    current = make_lock(prompts=[LockedPrompt(path="prompts/judge.txt", sha256=SHA_B)])
    assert messages(make_lock(), current) == [
        "prompt prompts/judge.txt changed: sha256 3f1c2a9b... -> 9a0b1c2d..."
    ]


def test_parameter_default_type_added_removed() -> None:
    locked = make_lock(
        parameters=[
            LockedParameter(name="temperature", type="float", default=0.0),
            LockedParameter(name="x", type="int", default=1),
            LockedParameter(name="old", type="str", default="a"),
        ]
    )
    current = edited(
        parameters=[
            LockedParameter(name="temperature", type="float", default=0.2),
            LockedParameter(name="x", type="float", default=1),
            LockedParameter(name="top_k", type="int", default=5),
        ]
    )
    assert derived_messages(locked, current) == [
        "parameter old removed",
        "parameter temperature default 0.0 -> 0.2",
        "parameter top_k added",
        "parameter x type int -> float",
    ]


def test_parameter_help_change_is_not_parameter_drift() -> None:
    current = edited(
        parameters=[LockedParameter(name="temperature", type="float", default=0.0, help="new")]
    )
    assert derived_messages(make_lock(), current) == []


def test_parameter_bool_to_int_is_a_change() -> None:
    locked = make_lock(parameters=[LockedParameter(name="flag", type="int", default=True)])
    current = edited(parameters=[LockedParameter(name="flag", type="int", default=1)])
    assert derived_messages(locked, current) == ["parameter flag default True -> 1"]


def test_model_replacement_and_additions() -> None:
    current = edited(
        models=[
            LockedModel(model_id="gpt-4o-2024-08-06", role="judge", pinned=True),
            LockedModel(model_id="gpt-4o-mini-2024-07-18", role="candidate", pinned=True),
            LockedModel(model_id="claude-3-5-sonnet-20240620", role="candidate", pinned=True),
        ]
    )
    assert derived_messages(make_lock(), current) == [
        "judge model gpt-4o-2024-05-13 -> gpt-4o-2024-08-06",
        "candidate model claude-3-5-sonnet-20240620 added",
    ]


def test_models_paired_by_parameter() -> None:
    locked = make_lock(
        models=[
            LockedModel(model_id="a-1", role="candidate", pinned=True, parameter="model_a"),
            LockedModel(model_id="b-1", role="candidate", pinned=True, parameter="model_b"),
        ]
    )
    current = edited(
        models=[
            LockedModel(model_id="a-2", role="candidate", pinned=True, parameter="model_a"),
            LockedModel(model_id="b-2", role="candidate", pinned=True, parameter="model_b"),
        ]
    )
    assert derived_messages(locked, current) == [
        "candidate model a-1 -> a-2",
        "candidate model b-1 -> b-2",
    ]


def test_sampling_requirements_python_kernel() -> None:
    current = edited(
        sampling=SamplingParameters(temperature=0.2, seed=None, max_tokens=512),
        requirements=[
            LockedRequirement(name="pandas", version="2.2.3"),
            LockedRequirement(name="numpy", version="2.0.0"),
        ],
        python_version="3.12.1",
        kernel_name="ir",
    )
    assert derived_messages(make_lock(), current) == [
        "sampling temperature 0.0 -> 0.2",
        "sampling max_tokens unset -> 512",
        "sampling seed 7 -> unset",
        "requirement numpy added",
        "requirement pandas 2.2.2 -> 2.2.3",
        "python 3.11 -> 3.12",
        "kernel python3 -> ir",
    ]


def test_requirement_removed_and_name_normalised() -> None:
    locked = make_lock(
        requirements=[
            LockedRequirement(name="Scikit_Learn", version="1.5.0"),
            LockedRequirement(name="numpy", version="2.0.0"),
        ]
    )
    current = make_lock(requirements=[LockedRequirement(name="scikit-learn", version="1.5.0")])
    assert messages(locked, current) == ["requirement numpy removed"]


def test_requirements_digest_alone_is_drift() -> None:
    current = make_lock(requirements_digest="q" * 64)
    [drift] = find_drift(make_lock(), current)
    assert drift.kind == "requirement"


def test_unchanged_notebook_read_differently_is_not_drift() -> None:
    """A newer nbgraduate recognising more in the same notebook changes no eval."""
    current = make_lock(
        parameters=[LockedParameter(name="temperature", type="float", default=0.2)],
        models=[
            *make_lock().models,
            LockedModel(model_id="claude-3-5-sonnet-20240620", role="candidate", pinned=True),
        ],
        sampling=SamplingParameters(temperature=0.2, seed=7),
    )
    assert find_drift(make_lock(), current) == []
    assert [d.message for d in reading_differences(make_lock(), current)] == [
        "parameter temperature default 0.0 -> 0.2",
        "candidate model claude-3-5-sonnet-20240620 added",
        "sampling temperature 0.0 -> 0.2",
    ]
    assert reading_differences(make_lock(), edited(sampling=current.sampling)) == []
    moved = make_lock(notebook="other.ipynb", sampling=current.sampling)
    assert [d.kind for d in find_drift(make_lock(), moved)] == ["notebook", "sampling"]


def test_order_is_stable_by_kind() -> None:
    current = make_lock(
        kernel_name="ir",
        notebook_digest="m" * 64,
        datasets=[],
        prompts=[LockedPrompt(path="prompts/judge.txt", sha256=SHA_B)],
    )
    assert [d.kind for d in find_drift(make_lock(), current)] == [
        "dataset",
        "prompt",
        "notebook",
        "kernel",
    ]


def test_render_text_up_to_date() -> None:
    assert render_drift([], pipeline="pipelines/judge", output_format="text") == (
        "pipelines/judge: lock is up to date\n"
    )


def test_render_text_with_drift() -> None:
    drifts = find_drift(make_lock(), make_lock(kernel_name="ir", python_version="3.12.0"))
    text = render_drift(drifts, pipeline="pipelines/judge", output_format="text")
    assert text.splitlines() == [
        "pipelines/judge: 2 differences from nbgraduate.lock",
        "  - python 3.11 -> 3.12",
        "  - kernel python3 -> ir",
        "re-lock with: nbgraduate lock pipelines/judge",
    ]


def test_render_text_single_difference_and_quoted_pipeline() -> None:
    drifts = find_drift(make_lock(), make_lock(kernel_name="ir"))
    text = render_drift(drifts, pipeline="my evals", output_format="text")
    assert text.splitlines()[0] == "my evals: 1 difference from nbgraduate.lock"
    assert text.splitlines()[-1] == "re-lock with: nbgraduate lock 'my evals'"


def test_render_json() -> None:
    current = edited(
        datasets=[LockedDataset(path="data/golden.csv", sha256=SHA_B, size=1100, rows=230)],
        parameters=[LockedParameter(name="temperature", type="float", default=float("nan"))],
    )
    drifts = find_drift(make_lock(), current)
    drifts.append(Drift("parameter", "odd", {1, 2}, (3,), "odd"))
    payload = json.loads(
        render_drift(drifts, pipeline="judge", output_format="json"),
        parse_constant=_reject_constant,
    )
    assert payload["pipeline"] == "judge"
    assert payload["up_to_date"] is False
    first = payload["drift"][0]
    assert set(first) == {"kind", "subject", "before", "after", "message"}
    assert first["before"]["sha256"] == SHA_A
    assert first["after"]["rows"] == 230
    assert payload["drift"][1]["kind"] == "notebook"
    assert payload["drift"][2]["after"] == "nan"
    assert payload["drift"][3]["before"] == [1, 2]


def test_render_json_up_to_date() -> None:
    payload = json.loads(render_drift([], pipeline="judge", output_format="json"))
    assert payload == {"pipeline": "judge", "up_to_date": True, "drift": []}


def test_nan_default_is_not_drift_against_itself() -> None:
    lock = make_lock(parameters=[LockedParameter(name="t", type="float", default=float("nan"))])
    assert find_drift(lock, lock.model_copy(deep=True)) == []


def _reject_constant(name: str) -> None:
    raise AssertionError(f"render_drift wrote the non-JSON constant {name}")
