"""Tests for the eval-contract version: what counts as a contract change, bumps, changelog."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nbgraduate.core.errors import ConfigError
from nbgraduate.lock.contract import (
    ContractChange,
    append_changelog,
    contract_changes,
    next_contract_version,
)
from nbgraduate.lock.digests import dataset_facts, notebook_digest, scoring_digest
from nbgraduate.lock.lockfile import (
    LockedDataset,
    LockedModel,
    LockedParameter,
    LockedPrompt,
    LockedRequirement,
    PipelineLock,
    SamplingParameters,
)

CELLS = [
    ("markdown", "# Judge eval", ()),
    ("code", "temperature = 0.0  # sampling temperature", ("parameters",)),
    ("code", "score = judge(rows)", ()),
]


def make_lock(
    cells: list[tuple[str, str, tuple[str, ...]]] = CELLS, **overrides: Any
) -> PipelineLock:
    fields: dict[str, Any] = {
        "nbgraduate_version": "0.1.0",
        "contract_version": "2.3.4",
        "notebook": "eval.ipynb",
        "notebook_digest": notebook_digest(cells),
        "scoring_digest": scoring_digest(cells),
        "kernel_name": "python3",
        "python_version": "3.11.9",
        "parameters": [LockedParameter(name="temperature", type="float", default=0.0)],
        "datasets": [LockedDataset(path="data/golden.csv", sha256="a" * 64, size=900, rows=200)],
        "prompts": [LockedPrompt(path="prompts/judge.txt", sha256="p" * 64)],
        "models": [LockedModel(model_id="gpt-4o-2024-05-13", role="judge", pinned=True)],
        "sampling": SamplingParameters(temperature=0.0),
        "requirements": [LockedRequirement(name="pandas", version="2.2.2")],
        "requirements_digest": "r" * 64,
    }
    fields.update(overrides)
    return PipelineLock(**fields)


def dataset_from_file(path: Path, lock_path: str) -> LockedDataset:
    sha256, size, rows = dataset_facts(path)
    return LockedDataset(path=lock_path, sha256=sha256, size=size, rows=rows)


def change_messages(old: PipelineLock, new: PipelineLock) -> list[str]:
    return [change.message for change in contract_changes(old, new)]


# --- contract_changes -----------------------------------------------------------------------


def test_no_changes() -> None:
    assert contract_changes(make_lock(), make_lock()) == []


def test_dataset_rows_added_and_removed_from_real_files(tmp_path: Path) -> None:
    data = tmp_path / "golden.csv"
    data.write_text("q,a\n" + "x,y\n" * 200, encoding="utf-8")
    old = make_lock(datasets=[dataset_from_file(data, "data/golden.csv")])
    data.write_text("q,a\n" + "x,y\n" * 230, encoding="utf-8")
    grown = make_lock(datasets=[dataset_from_file(data, "data/golden.csv")])
    data.write_text("q,a\n" + "x,y\n" * 188, encoding="utf-8")
    shrunk = make_lock(datasets=[dataset_from_file(data, "data/golden.csv")])

    assert contract_changes(old, grown) == [
        ContractChange("dataset", "dataset golden.csv: +30 rows")
    ]
    assert change_messages(old, shrunk) == ["dataset golden.csv: -12 rows"]


def test_dataset_same_rows_different_content(tmp_path: Path) -> None:
    data = tmp_path / "golden.csv"
    data.write_text("q,a\nx,y\n", encoding="utf-8")
    old = make_lock(datasets=[dataset_from_file(data, "data/golden.csv")])
    data.write_text("q,a\nx,z\n", encoding="utf-8")
    new = make_lock(datasets=[dataset_from_file(data, "data/golden.csv")])
    assert change_messages(old, new) == ["dataset golden.csv: content changed (same row count)"]


def test_dataset_without_rows_and_added_removed() -> None:
    old = make_lock(datasets=[LockedDataset(path="data/a.parquet", sha256="a" * 64, size=1)])
    new = make_lock(
        datasets=[
            LockedDataset(path="data/a.parquet", sha256="b" * 64, size=1),
            LockedDataset(path="data/extra.csv", sha256="c" * 64, size=1, rows=1),
        ]
    )
    assert change_messages(old, new) == [
        "dataset a.parquet: content changed",
        "dataset extra.csv: added",
    ]
    assert change_messages(new, old)[-1] == "dataset extra.csv: removed"


def test_dataset_names_ambiguous_use_full_path() -> None:
    old = make_lock(
        datasets=[
            LockedDataset(path="dev/golden.csv", sha256="a" * 64, rows=10),
            LockedDataset(path="test/golden.csv", sha256="a" * 64, rows=10),
        ]
    )
    new = make_lock(
        datasets=[
            LockedDataset(path="dev/golden.csv", sha256="a" * 64, rows=10),
            LockedDataset(path="test/golden.csv", sha256="b" * 64, rows=11),
        ]
    )
    assert change_messages(old, new) == ["dataset test/golden.csv: +1 rows"]


def test_models_prompts_sampling_scoring() -> None:
    scored_differently = [*CELLS[:2], ("code", "score = judge(rows) * 2", ())]
    new = make_lock(
        scored_differently,
        models=[LockedModel(model_id="gpt-4o-2024-08-06", role="judge", pinned=True)],
        prompts=[LockedPrompt(path="prompts/judge.txt", sha256="q" * 64)],
        sampling=SamplingParameters(temperature=0.2),
    )
    assert contract_changes(make_lock(), new) == [
        ContractChange("prompt", "prompt prompts/judge.txt changed"),
        ContractChange("scoring", "scoring code changed"),
        ContractChange("model", "judge model gpt-4o-2024-05-13 -> gpt-4o-2024-08-06"),
        ContractChange("sampling", "sampling temperature 0.0 -> 0.2"),
    ]


def test_environment_and_notebook_prose_are_not_contract_changes() -> None:
    prose = [("markdown", "# Judge eval, explained", ()), *CELLS[1:]]
    new = make_lock(
        prose,
        python_version="3.12.0",
        kernel_name="py312",
        requirements=[LockedRequirement(name="pandas", version="2.2.3")],
        parameters=[LockedParameter(name="temperature", type="float", default=0.0, help="x")],
    )
    assert contract_changes(make_lock(), new) == []


# --- next_contract_version ------------------------------------------------------------------


def test_unchanged_keeps_version() -> None:
    assert next_contract_version(make_lock(), make_lock(nbgraduate_version="0.2.0")) == "2.3.4"


def test_contract_change_is_major() -> None:
    # The temperature is read from the notebook, so changing it means editing the notebook.
    edited = [
        CELLS[0],
        ("code", "temperature = 0.2  # sampling temperature", ("parameters",)),
        CELLS[2],
    ]
    new = make_lock(edited, sampling=SamplingParameters(temperature=0.2), python_version="3.12.0")
    assert next_contract_version(make_lock(), new) == "3.0.0"


def test_same_notebook_read_differently_keeps_the_contract() -> None:
    """A newer nbgraduate recognising more in the unchanged notebook bumps nothing."""
    new = make_lock(
        sampling=SamplingParameters(temperature=0.0, max_tokens=64),
        models=[
            *make_lock().models,
            LockedModel(model_id="gpt-4o-mini-2024-07-18", role="candidate", pinned=True),
        ],
    )
    assert next_contract_version(make_lock(), new) == "2.3.4"
    assert contract_changes(make_lock(), new) == []


def test_whitespace_only_scoring_edit_is_patch_not_major() -> None:
    padded = [*CELLS[:2], ("code", "score = judge(rows)   \n\n", ())]
    new = make_lock(padded)
    assert new.scoring_digest == make_lock().scoring_digest
    assert next_contract_version(make_lock(), new) == "2.3.5"


@pytest.mark.parametrize(
    "overrides",
    [
        {"python_version": "3.12.0"},
        {"kernel_name": "py311"},
        {"requirements": [LockedRequirement(name="pandas", version="2.2.3")]},
        {"requirements_digest": "z" * 64},
    ],
)
def test_environment_change_is_minor(overrides: dict[str, Any]) -> None:
    assert next_contract_version(make_lock(), make_lock(**overrides)) == "2.4.0"


def test_python_patch_release_is_no_change() -> None:
    assert next_contract_version(make_lock(), make_lock(python_version="3.11.2")) == "2.3.4"


def test_markdown_or_help_text_is_patch() -> None:
    prose = [("markdown", "# Judge eval, explained", ()), *CELLS[1:]]
    assert next_contract_version(make_lock(), make_lock(prose)) == "2.3.5"
    helped = [CELLS[0], ("code", "temperature = 0.0  # see docs", ("parameters",)), CELLS[2]]
    assert next_contract_version(make_lock(), make_lock(helped)) == "2.3.5"


def test_environment_and_prose_together_is_minor() -> None:
    prose = [("markdown", "# New title", ()), *CELLS[1:]]
    assert next_contract_version(make_lock(), make_lock(prose, kernel_name="ir")) == "2.4.0"


def test_invalid_contract_version_is_a_config_error() -> None:
    # The lock model refuses such a version on read; the contract check holds on its own too.
    invalid = make_lock().model_copy(update={"contract_version": "v2"})
    with pytest.raises(ConfigError, match=r"MAJOR\.MINOR\.PATCH"):
        next_contract_version(invalid, make_lock())


# --- append_changelog -----------------------------------------------------------------------


def test_changelog_created_when_missing(tmp_path: Path) -> None:
    path = tmp_path / "CHANGELOG.md"
    append_changelog(
        path,
        version="1.0.0",
        date="2024-09-01",
        changes=["dataset golden.csv: +30 rows", "scoring code changed"],
    )
    assert path.read_text(encoding="utf-8") == (
        "# Eval contract changelog\n"
        "\n"
        "## 1.0.0 (2024-09-01)\n"
        "\n"
        "- dataset golden.csv: +30 rows\n"
        "- scoring code changed\n"
        "\n"
    )


def test_changelog_newest_first_and_existing_entries_byte_for_byte(tmp_path: Path) -> None:
    path = tmp_path / "CHANGELOG.md"
    append_changelog(path, version="1.0.0", date="2024-09-01", changes=["first"])
    # A hand edit: odd spacing and an extra note must survive untouched.
    path.write_bytes(path.read_bytes() + b"Hand-written  note \xc3\xa9\n\n\n")
    before = path.read_bytes()
    head, old_entries = before.split(b"## 1.0.0", 1)

    append_changelog(path, version="2.0.0", date="2024-10-01", changes=["judge model a -> b"])

    after = path.read_bytes()
    assert after.startswith(head + b"## 2.0.0 (2024-10-01)\n\n- judge model a -> b\n\n## 1.0.0")
    assert after.endswith(b"## 1.0.0" + old_entries)
    assert after.index(b"## 2.0.0") < after.index(b"## 1.0.0")


def test_changelog_keeps_crlf_files_consistent(tmp_path: Path) -> None:
    path = tmp_path / "CHANGELOG.md"
    existing = b"# Eval contract changelog\r\n\r\n## 1.0.0 (2024-09-01)\r\n\r\n- first\r\n"
    path.write_bytes(existing)
    append_changelog(path, version="1.1.0", date="2024-09-02", changes=["python 3.11 -> 3.12"])
    assert path.read_bytes() == (
        b"# Eval contract changelog\r\n\r\n"
        b"## 1.1.0 (2024-09-02)\r\n\r\n- python 3.11 -> 3.12\r\n\r\n"
        b"## 1.0.0 (2024-09-01)\r\n\r\n- first\r\n"
    )


def test_changelog_with_title_only_and_no_trailing_newline(tmp_path: Path) -> None:
    path = tmp_path / "CHANGELOG.md"
    path.write_text("# Eval contract changelog", encoding="utf-8")
    append_changelog(path, version="1.0.1", date="2024-09-03", changes=["notebook prose"])
    assert path.read_text(encoding="utf-8") == (
        "# Eval contract changelog\n\n## 1.0.1 (2024-09-03)\n\n- notebook prose\n\n"
    )


def test_changelog_bullets_stay_one_line(tmp_path: Path) -> None:
    path = tmp_path / "CHANGELOG.md"
    append_changelog(path, version="1.0.0", date="2024-09-01", changes=["two\nlines"])
    assert "- two lines\n" in path.read_text(encoding="utf-8")


def test_changelog_not_utf8_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "CHANGELOG.md"
    path.write_bytes(b"# caf\xe9\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        append_changelog(path, version="1.0.0", date="2024-09-01", changes=["x"])
    assert path.read_bytes() == b"# caf\xe9\n"
