"""A pipeline's requirements file read with ``packaging``: pins, extras, markers and digests.

``tests/data/lock_schema_1/`` is a pipeline locked by nbgraduate before the lock recorded
extras and markers (commit c964f07, lock schema 1): its lock must still verify clean, and
re-locking it must not report a format change as a change of the eval contract.
"""

from __future__ import annotations

import json
import platform
import shutil
from pathlib import Path

import pytest

from nbgraduate.core.errors import ConfigError
from nbgraduate.lock.lockfile import LOCK_SCHEMA_VERSION, read_lock
from nbgraduate.lock.locking import lock_pipeline, verify_pipeline
from nbgraduate.lock.requirements import (
    PinnedRequirement,
    parse_requirements_text,
    read_requirements,
)

SCHEMA_1_PIPELINE = Path(__file__).parent / "data" / "lock_schema_1"


def pins(text: str) -> list[PinnedRequirement]:
    return parse_requirements_text(text).pins


def test_extras_and_markers_survive() -> None:
    assert pins('pandas[excel]==2.0\nhttpx==0.27.0 ; python_version >= "3.9"\n') == [
        PinnedRequirement("pandas", "2.0", ("excel",)),
        PinnedRequirement("httpx", "0.27.0", (), 'python_version >= "3.9"'),
    ]


@pytest.mark.parametrize("line", ["pandas==latest", "pandas==1.0abc", "pandas==1" + "0" * 100_000])
def test_an_invalid_version_is_not_a_pin(line: str) -> None:
    parsed = parse_requirements_text(f"{line}\nopenai==1.40.0\n")
    assert parsed.pins == [PinnedRequirement("openai", "1.40.0")]
    [problem] = parsed.problems
    assert problem.startswith("requirements.txt line 1: pip will reject 'pandas==")
    assert len(problem) < 300


def test_lines_that_are_not_exact_pins_are_named_not_dropped_silently() -> None:
    parsed = parse_requirements_text(
        "pandas>=2\n-r other.txt\n--index-url https://pypi.example.org/simple\nx @ https://e.org/x.whl\n"
    )
    assert parsed.pins == []
    assert [problem.split(":")[0] for problem in parsed.problems] == [
        "requirements.txt line 1",
        "requirements.txt line 2",
        "requirements.txt line 4",
    ]


def test_pip_file_syntax_comments_continuations_and_hashes() -> None:
    parsed = parse_requirements_text(
        "# a comment\n"
        "openai==1.40.0  # the client\n"
        "httpx==0.27.0 \\\n"
        "    --hash=sha256:" + "ab" * 32 + "\n"
        "\n"
        "wheel @ https://e.org/w-1.0-py3-none-any.whl#sha256=" + "cd" * 32 + "\n"
    )
    assert [(pin.name, pin.version) for pin in parsed.pins] == [
        ("openai", "1.40.0"),
        ("httpx", "0.27.0"),
    ]
    assert [problem.split(":")[0] for problem in parsed.problems] == ["requirements.txt line 6"]


def test_the_digest_ignores_spelling_but_not_content() -> None:
    digest = parse_requirements_text("Scikit_Learn==1.5.0\npandas==2.2.2\n").digest
    assert parse_requirements_text("# pinned\npandas == 2.2.2\nscikit-learn==1.5.0\n").digest == (
        digest
    )
    assert parse_requirements_text("scikit.learn==1.5.0\nPandas==2.2.2\n").digest == digest
    for changed in (
        "scikit-learn==1.5.1\npandas==2.2.2\n",
        "scikit-learn==1.5.0\npandas[excel]==2.2.2\n",
        'scikit-learn==1.5.0\npandas==2.2.2 ; python_version < "3.13"\n',
        "scikit-learn==1.5.0\npandas==2.2.2\n--index-url https://pypi.example.org/simple\n",
    ):
        assert parse_requirements_text(changed).digest != digest, changed


def test_a_file_that_is_not_utf8_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_bytes(b"pandas==2.2.2\n\xff\xfe\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        read_requirements(path)
    assert read_requirements(tmp_path / "missing.txt").pins == []


@pytest.fixture
def schema_1_pipeline(tmp_path: Path) -> Path:
    pipeline = tmp_path / "support_judge"
    shutil.copytree(SCHEMA_1_PIPELINE, pipeline)
    # The lock was written on Python 3.11; only the lock format is under test here.
    lock = pipeline / "nbgraduate.lock"
    data = json.loads(lock.read_text(encoding="utf-8"))
    data["python_version"] = platform.python_version()
    lock.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return pipeline


def test_a_schema_1_lock_verifies_clean(schema_1_pipeline: Path) -> None:
    locked, _current, drifts = verify_pipeline(schema_1_pipeline)
    assert locked.schema_version == 1
    assert drifts == []


def test_relocking_a_schema_1_lock_upgrades_it_and_records_what_it_had_lost(
    schema_1_pipeline: Path,
) -> None:
    outcome = lock_pipeline(schema_1_pipeline)
    lock = read_lock(schema_1_pipeline)
    assert lock.schema_version == LOCK_SCHEMA_VERSION
    assert {(r.name, r.version, tuple(r.extras), r.marker) for r in lock.requirements} == {
        ("openai", "1.40.0", (), None),
        ("Scikit_Learn", "1.5.0", (), None),
        ("pandas", "2.2.2", (), 'python_version >= "3.9"'),
        ("uvicorn", "0.30.0", ("standard",), None),
        ("httpx", "0.27.0", (), None),
    }
    # The old format lost the uvicorn line; recording it is an environment change (minor),
    # and nothing else is reported: the new digest format is not a change.
    assert outcome.changes == []
    assert lock.contract_version == "1.1.0"
    changelog = (schema_1_pipeline / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## 1.1.0" in changelog
    assert verify_pipeline(schema_1_pipeline)[2] == []


def test_respelling_a_requirement_is_not_drift(schema_1_pipeline: Path) -> None:
    lock_pipeline(schema_1_pipeline)
    requirements = schema_1_pipeline / "requirements.txt"
    text = requirements.read_text(encoding="utf-8")
    requirements.write_text(text.replace("Scikit_Learn==1.5.0", "scikit-learn == 1.5.0"))
    assert verify_pipeline(schema_1_pipeline)[2] == []
    requirements.write_text(text.replace("uvicorn[standard]", "uvicorn"), encoding="utf-8")
    [drift] = verify_pipeline(schema_1_pipeline)[2]
    assert drift.message == "requirement uvicorn extras [standard] -> none"
