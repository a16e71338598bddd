"""End-to-end tests of ``nbgraduate lock`` and ``verify`` on a converted legacy pipeline.

The pipeline is ``fixtures/legacy/rag_grounding_eval.ipynb`` graduated with its judge pinned;
every test tampers with its own copy (dataset, prompt, parameters cell) and runs the real CLI.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import nbformat
import pytest
from cli_runner import run_cli
from nbformat.v4 import new_code_cell

LEGACY = Path(__file__).resolve().parents[1] / "fixtures" / "legacy"
STEM = "rag_grounding_eval"
SNAPSHOT = "gpt-4o-2024-08-06"
DATASET = "../data/rag_grounding.csv"
PROMPT = "prompts/grounding_prompt.txt"
NEW_ROWS = (
    "rag-25,Can I recover a deleted workspace?,Deleted workspaces can be restored by support "
    "within 7 days.,Support can restore it within 7 days.\n"
    "rag-26,Is there a dark mode?,Dark mode is available in the web and desktop apps.,"
    "Yes, on web and desktop.\n"
    "rag-27,Can I schedule exports?,Exports can be scheduled weekly on the Business plan.,"
    "Weekly scheduled exports are available on Business.\n"
)


@pytest.fixture(scope="module")
def graduated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the legacy folder with the RAG notebook converted, judge pinned."""
    root = tmp_path_factory.mktemp("graduated")
    legacy = root / "legacy"
    shutil.copytree(
        LEGACY, legacy, ignore=shutil.ignore_patterns("stand_in", "__pycache__", "README.md")
    )
    result = run_cli(legacy, "convert", f"{STEM}.ipynb", "--pin", f"gpt-4o={SNAPSHOT}")
    assert result.returncode in (0, 1), result.stderr
    return legacy


@pytest.fixture
def pipeline(graduated: Path, tmp_path: Path) -> Path:
    """This test's own copy of the graduated pipeline (and the data it reads)."""
    legacy = tmp_path / "legacy"
    shutil.copytree(graduated, legacy)
    return legacy / STEM


def verify(pipeline: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return run_cli(pipeline.parent, "verify", pipeline.name, *options)


def lock(pipeline: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return run_cli(pipeline.parent, "lock", pipeline.name, *options)


def read_lock(pipeline: Path) -> dict[str, Any]:
    return json.loads((pipeline / "nbgraduate.lock").read_text(encoding="utf-8"))


def append_rows(pipeline: Path) -> None:
    with (pipeline / DATASET).open("a", encoding="utf-8", newline="") as handle:
        handle.write(NEW_ROWS)


def edit_parameters_cell(pipeline: Path, old: str, new: str) -> None:
    path = pipeline / f"{pipeline.name}.ipynb"
    notebook = nbformat.read(str(path), as_version=4)
    (cell,) = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert cell.source.count(old) == 1, cell.source
    cell.source = cell.source.replace(old, new)
    nbformat.write(notebook, str(path))


def parameter_named_by(pipeline: Path, default: object) -> str:
    (name,) = [
        p["name"]
        for p in read_lock(pipeline)["parameters"]
        if p["default"] == default and isinstance(p["default"], bool) == isinstance(default, bool)
    ]
    return name


# --- the lock conversion wrote -------------------------------------------------------------


def test_lock_records_dataset_prompt_and_pinned_judge(pipeline: Path) -> None:
    locked = read_lock(pipeline)
    (dataset,) = locked["datasets"]
    assert dataset["path"] == DATASET
    assert dataset["rows"] == 24 and dataset["remote"] is False
    assert re.fullmatch(r"[0-9a-f]{64}", dataset["sha256"])
    assert [p["path"] for p in locked["prompts"]] == [PROMPT]
    (model,) = locked["models"]
    assert (model["model_id"], model["pinned"]) == (SNAPSHOT, True)
    assert locked["floating_allowed"] is False
    assert locked["sampling"]["temperature"] == 0
    assert locked["sampling"]["max_tokens"] == 4


def test_verify_is_clean_right_after_convert(pipeline: Path) -> None:
    result = verify(pipeline)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == f"{STEM}: lock is up to date\n"


# --- drift ---------------------------------------------------------------------------------


def test_verify_names_the_changed_dataset_with_its_rows(pipeline: Path) -> None:
    append_rows(pipeline)
    result = verify(pipeline)
    assert result.returncode == 1
    (line,) = [line for line in result.stdout.splitlines() if "dataset" in line]
    assert f"dataset {DATASET} changed" in line
    assert "rows 24 -> 27" in line
    assert f"re-lock with: nbgraduate lock {STEM}" in result.stdout


def test_verify_names_the_changed_prompt(pipeline: Path) -> None:
    with (pipeline / PROMPT).open("a", encoding="utf-8") as handle:
        handle.write("\nBe lenient with paraphrases.")
    result = verify(pipeline)
    assert result.returncode == 1
    assert f"prompt {PROMPT} changed" in result.stdout
    assert "dataset" not in result.stdout


def test_verify_names_a_changed_parameter_default(pipeline: Path) -> None:
    name = parameter_named_by(pipeline, 4)  # max_tokens=4, lifted from the judge call
    edit_parameters_cell(pipeline, f"{name}: int = 4", f"{name}: int = 8")
    result = verify(pipeline)
    assert result.returncode == 1
    assert f"parameter {name} default 4 -> 8" in result.stdout


def test_verify_json_report(pipeline: Path) -> None:
    append_rows(pipeline)
    result = verify(pipeline, "--output-format", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["up_to_date"] is False
    (drift,) = report["drift"]
    assert (drift["kind"], drift["subject"]) == ("dataset", DATASET)
    assert (drift["before"]["rows"], drift["after"]["rows"]) == (24, 27)


def test_verify_json_report_when_up_to_date(pipeline: Path) -> None:
    result = verify(pipeline, "--output-format", "json")
    assert result.returncode == 0
    assert json.loads(result.stdout) == {"drift": [], "pipeline": STEM, "up_to_date": True}


# --- lock ----------------------------------------------------------------------------------


def test_lock_after_dataset_change_bumps_the_major_version_and_logs_it(pipeline: Path) -> None:
    changelog_path = pipeline / "CHANGELOG.md"
    first_entry = changelog_path.read_text(encoding="utf-8").split("\n## ", 1)[1]
    append_rows(pipeline)

    result = lock(pipeline)

    assert result.returncode == 0, result.stderr
    assert "1.0.0 -> 2.0.0" in result.stdout
    assert read_lock(pipeline)["contract_version"] == "2.0.0"
    (dataset,) = read_lock(pipeline)["datasets"]
    assert dataset["rows"] == 27
    changelog = changelog_path.read_text(encoding="utf-8")
    entries = changelog.split("\n## ")[1:]
    assert re.match(
        r"2\.0\.0 \(\d{4}-\d{2}-\d{2}\)\n\n- dataset rag_grounding\.csv: \+3 rows\n", entries[0]
    )
    assert entries[1] == first_entry  # the 1.0.0 entry is kept, below the new one
    assert verify(pipeline).returncode == 0

    lock_bytes = (pipeline / "nbgraduate.lock").read_bytes()
    again = lock(pipeline)
    assert again.returncode == 0
    assert "up to date (eval contract 2.0.0)" in again.stdout
    assert (pipeline / "nbgraduate.lock").read_bytes() == lock_bytes
    assert changelog_path.read_text(encoding="utf-8") == changelog


def test_lock_refuses_a_floating_judge_unless_allowed(pipeline: Path) -> None:
    edit_parameters_cell(pipeline, json.dumps(SNAPSHOT), json.dumps("gpt-4o"))
    lock_bytes = (pipeline / "nbgraduate.lock").read_bytes()

    refused = lock(pipeline)
    assert refused.returncode == 2
    (line,) = refused.stderr.splitlines()
    assert "gpt-4o" in line and "--allow-floating" in line, line
    assert (pipeline / "nbgraduate.lock").read_bytes() == lock_bytes

    allowed = lock(pipeline, "--allow-floating")
    assert allowed.returncode == 0, allowed.stderr
    assert "gpt-4o floats" in allowed.stderr
    locked = read_lock(pipeline)
    (model,) = locked["models"]
    assert (model["model_id"], model["pinned"]) == ("gpt-4o", False)
    assert locked["floating_allowed"] is True
    assert locked["contract_version"] == "2.0.0"  # a different judge: scores are not comparable


def test_lock_is_stable_and_canonical(pipeline: Path) -> None:
    path = pipeline / "nbgraduate.lock"
    converted = path.read_bytes()
    changelog = (pipeline / "CHANGELOG.md").read_bytes()

    for _ in range(2):
        result = lock(pipeline)
        assert result.returncode == 0, result.stderr
        assert path.read_bytes() == converted
    assert (pipeline / "CHANGELOG.md").read_bytes() == changelog

    text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    assert text == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    for key, order in (
        ("parameters", lambda p: p["name"]),
        ("datasets", lambda d: d["path"]),
        ("prompts", lambda p: p["path"]),
        ("models", lambda m: (m["role"], m["model_id"])),
        ("requirements", lambda r: r["name"].lower()),
    ):
        assert data[key] == sorted(data[key], key=order), key
    assert len(data["parameters"]) >= 4


# --- the lint hook -------------------------------------------------------------------------


def lint_findings(pipeline: Path) -> list[dict[str, Any]]:
    result = run_cli(pipeline.parent, "lint", pipeline.name, "--output-format", "json")
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def test_lint_trusts_the_locked_dataset_but_not_an_unlocked_read(pipeline: Path) -> None:
    assert not [f for f in lint_findings(pipeline) if f["code"] == "NBG201"]

    path = pipeline / f"{STEM}.ipynb"
    notebook = nbformat.read(str(path), as_version=4)
    extra = new_code_cell('tickets = open("../data/support_tickets.csv").read()')
    notebook.cells.append(extra)
    nbformat.write(notebook, str(path))

    unversioned = [f for f in lint_findings(pipeline) if f["code"] == "NBG201"]
    assert len(unversioned) == 1, unversioned
    assert "support_tickets.csv" in unversioned[0]["message"]
    assert unversioned[0]["cell"] == len(notebook.cells)


# --- known bugs ----------------------------------------------------------------------------


def test_changed_sample_size_is_a_contract_change(tmp_path: Path) -> None:
    legacy = tmp_path / "legacy"
    shutil.copytree(
        LEGACY, legacy, ignore=shutil.ignore_patterns("stand_in", "__pycache__", "README.md")
    )
    result = run_cli(legacy, "convert", "support_judge.ipynb", "--pin", f"gpt-4o={SNAPSHOT}")
    assert result.returncode == 1, result.stderr
    support = legacy / "support_judge"
    name = parameter_named_by(support, 25)
    edit_parameters_cell(support, f"{name}: int = 25", f"{name}: int = 40")

    relocked = lock(support)

    assert relocked.returncode == 0, relocked.stderr
    assert read_lock(support)["contract_version"] == "2.0.0"
    assert f"parameter {name} default 25 -> 40" in (support / "CHANGELOG.md").read_text(
        encoding="utf-8"
    )


# --- a lock an earlier nbgraduate wrote ----------------------------------------------------

LOCKED_SCHEMA_2 = Path(__file__).resolve().parents[1] / "fixtures" / "locked_schema_2"


@pytest.fixture
def pipeline_schema_2(tmp_path: Path) -> Path:
    """``fixtures/locked_schema_2``'s pipeline, as the previous nbgraduate locked it (schema 2),
    with its data.

    Only ``python_version`` is set to this interpreter's: it is the environment the fixture was
    locked in, not the schema, and ``verify`` rightly reports another Python minor as drift.
    """
    import platform

    shutil.copytree(LOCKED_SCHEMA_2 / STEM, tmp_path / STEM)
    (tmp_path / "data").mkdir()
    shutil.copy(LEGACY / "data" / "rag_grounding.csv", tmp_path / "data")
    path = tmp_path / STEM / "nbgraduate.lock"
    text = path.read_text(encoding="utf-8")
    assert '"schema_version": 2' in text and "graduated_from" not in text
    path.write_text(
        text.replace(
            '"python_version": "3.11.7"', f'"python_version": "{platform.python_version()}"'
        ),
        encoding="utf-8",
    )
    return tmp_path / STEM


def test_a_schema_2_lock_verifies_clean_and_keeps_its_digest(pipeline_schema_2: Path) -> None:
    from nbgraduate.lock.lockfile import read_lock

    result = verify(pipeline_schema_2)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == f"{STEM}: lock is up to date\n"
    lock = read_lock(pipeline_schema_2)
    assert lock.schema_version == 2 and lock.graduated_from is None
    # Read as written, serialised as written: runs before and after an upgrade stay one series.
    text = (pipeline_schema_2 / "nbgraduate.lock").read_text(encoding="utf-8")
    assert lock.to_json() == text


def test_a_schema_2_lock_reports_a_changed_dataset_as_drift(pipeline_schema_2: Path) -> None:
    append_rows(pipeline_schema_2)
    result = verify(pipeline_schema_2)
    assert result.returncode == 1
    assert "dataset ../data/rag_grounding.csv" in result.stdout


def test_relocking_a_schema_2_lock_writes_the_current_schema(pipeline_schema_2: Path) -> None:
    result = lock(pipeline_schema_2)
    assert result.returncode == 0, result.stderr
    written = read_lock(pipeline_schema_2)
    assert written["schema_version"] == 3
    assert "graduated_from" not in written  # it never knew its source
    assert written["contract_version"] == "1.0.0"
    assert verify(pipeline_schema_2).returncode == 0
    assert (pipeline_schema_2 / "nbgraduate.baseline.json").is_file()


def test_relocking_keeps_where_the_pipeline_was_graduated_from(pipeline: Path) -> None:
    recorded = read_lock(pipeline)["graduated_from"]
    assert recorded["path"] == f"../{STEM}.ipynb"
    append_rows(pipeline)
    assert lock(pipeline).returncode == 0
    assert read_lock(pipeline)["graduated_from"] == recorded


def test_a_model_an_older_nbgraduate_missed_is_not_drift(pipeline: Path) -> None:
    """Same notebook, read better by a newer nbgraduate: verify is clean, lock records it."""
    written = read_lock(pipeline)
    older = dict(written, models=[])
    (pipeline / "nbgraduate.lock").write_text(json.dumps(older, indent=2), encoding="utf-8")

    result = verify(pipeline)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == f"{STEM}: lock is up to date\n"
    assert f"now reads as judge model {SNAPSHOT} added" in result.stderr

    relocked = lock(pipeline)
    assert relocked.returncode == 0, relocked.stderr
    assert read_lock(pipeline)["contract_version"] == written["contract_version"]
    assert read_lock(pipeline)["models"] == written["models"]
    assert verify(pipeline).stderr == ""

    edit_parameters_cell(pipeline, json.dumps(SNAPSHOT), json.dumps("gpt-4o-2024-11-20"))
    changed = verify(pipeline)
    assert changed.returncode == 1
    assert f"judge model {SNAPSHOT} -> gpt-4o-2024-11-20" in changed.stdout
