"""Tests for baselines: fingerprints, the written file, loading and multiset filtering."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nbgraduate.core.errors import ConfigError
from nbgraduate.lint.baseline import fingerprint, load_baseline, write_baseline
from nbgraduate.lint.diagnostics import Diagnostic, Severity


def diagnostic(
    path: str = "nb/eval.ipynb",
    code: str = "NBG101",
    source_line: str = "reply = client.chat(model='gpt-4o')",
    *,
    cell: int | None = 3,
    row: int = 2,
    message: str = "model name is not pinned",
) -> Diagnostic:
    return Diagnostic(
        path=path,
        code=code,
        name="some-rule",
        message=message,
        severity=Severity.ERROR,
        cell=cell,
        cell_id=None,
        row=row,
        column=1,
        end_row=row,
        end_column=10,
        file_line=40,
        file_column=5,
        file_end_line=40,
        file_end_column=15,
        source_line=source_line,
        url="https://example.com",
    )


def test_fingerprint_ignores_position_and_whitespace() -> None:
    original = diagnostic()
    moved = original.replace(cell=7, row=12, file_line=300, column=9)
    reformatted = original.replace(source_line="  reply   =\tclient.chat(model='gpt-4o')  ")
    assert fingerprint(moved) == fingerprint(original)
    assert fingerprint(reformatted) == fingerprint(original)


@pytest.mark.parametrize(
    "change",
    [
        {"code": "NBG102"},
        {"path": "nb/other.ipynb"},
        {"source_line": "reply = client.chat(model='gpt-4o-mini')"},
    ],
)
def test_fingerprint_depends_on_code_path_and_content(change: dict[str, str]) -> None:
    assert fingerprint(diagnostic().replace(**change)) != fingerprint(diagnostic())


def test_fingerprint_path_is_relative_to_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    absolute = diagnostic(path=str(tmp_path / "nb" / "eval.ipynb"))
    relative = diagnostic(path="nb/eval.ipynb")
    assert fingerprint(absolute, tmp_path) == fingerprint(relative, tmp_path)
    assert fingerprint(relative, tmp_path) == fingerprint(relative)


def test_written_file_is_sorted_counted_and_versioned(tmp_path: Path) -> None:
    baseline_path = tmp_path / ".nbgraduate" / "baseline.json"
    diagnostics = [
        diagnostic(path="z.py", cell=None),
        diagnostic(code="NBG203", source_line="seed = None"),
        diagnostic(),
        diagnostic(cell=5),  # same fingerprint as the previous one
    ]

    write_baseline(baseline_path, diagnostics, tmp_path)

    document = json.loads(baseline_path.read_text(encoding="utf-8"))
    assert document["version"] == 1
    assert document["tool"] == "nbgraduate"
    findings = document["findings"]
    assert [(f["path"], f["code"], f["count"]) for f in findings] == [
        ("nb/eval.ipynb", "NBG101", 2),
        ("nb/eval.ipynb", "NBG203", 1),
        ("z.py", "NBG101", 1),
    ]
    assert findings[0] == {
        "code": "NBG101",
        "path": "nb/eval.ipynb",
        "fingerprint": fingerprint(diagnostic(), tmp_path),
        "count": 2,
        "message": "model name is not pinned",
    }
    assert [p.name for p in baseline_path.parent.iterdir()] == ["baseline.json"]


def test_secret_findings_never_store_the_message_or_line(tmp_path: Path) -> None:
    secret = "sk-live-abcdef0123456789"
    leak = diagnostic(
        code="NBG501",
        source_line=f"openai.api_key = '{secret}'",
        message=f"hard-coded API key '{secret}'",
    )
    baseline_path = tmp_path / "baseline.json"

    write_baseline(baseline_path, [leak, diagnostic()], tmp_path)

    text = baseline_path.read_text(encoding="utf-8")
    assert secret not in text
    findings = {f["code"]: f for f in json.loads(text)["findings"]}
    assert "message" not in findings["NBG501"]
    assert findings["NBG101"]["message"] == "model name is not pinned"


def test_round_trip_filters_known_findings(tmp_path: Path) -> None:
    known = [diagnostic(), diagnostic(code="NBG203", source_line="seed = None")]
    baseline_path = tmp_path / "baseline.json"
    write_baseline(baseline_path, known, tmp_path)

    new_finding = diagnostic(source_line="client.chat(model='o1')")
    moved_known = known[0].replace(cell=9, row=1)
    current = [moved_known, new_finding, known[1]]

    assert load_baseline(baseline_path).filter_new(current, tmp_path) == [new_finding]


def test_filter_new_matches_as_a_multiset(tmp_path: Path) -> None:
    baseline_path = tmp_path / "baseline.json"
    write_baseline(baseline_path, [diagnostic(cell=1), diagnostic(cell=2)], tmp_path)
    now = [diagnostic(cell=1), diagnostic(cell=2), diagnostic(cell=3)]

    assert load_baseline(baseline_path).filter_new(now, tmp_path) == [now[2]]
    assert load_baseline(baseline_path).filter_new(now[:1], tmp_path) == []


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("{not json", "invalid JSON"),
        ("[]", "not an nbgraduate baseline"),
        ('{"tool": "nbgraduate", "version": 2, "findings": []}', "unsupported baseline version 2"),
        ('{"tool": "nbgraduate", "version": 1, "findings": {}}', "`findings` must be a list"),
        ('{"tool": "nbgraduate", "version": 1, "findings": [3]}', "finding #1 is not an object"),
        (
            '{"tool": "nbgraduate", "version": 1, "findings": '
            '[{"code": "NBG101", "path": "a.py", "fingerprint": "x", "count": 0}]}',
            "positive integer `count`",
        ),
        (
            '{"tool": "nbgraduate", "version": 1, "findings": [{"code": "NBG101", "count": 1}]}',
            "no string `path`",
        ),
    ],
)
def test_corrupt_baseline_is_a_one_line_config_error(
    tmp_path: Path, content: str, fragment: str
) -> None:
    baseline_path = tmp_path / "baseline.json"
    baseline_path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_baseline(baseline_path)
    message = str(caught.value)
    assert fragment in message
    assert message.startswith(f"{baseline_path}: ")
    assert "\n" not in message


def test_missing_baseline_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="No such file"):
        load_baseline(tmp_path / "missing.json")
