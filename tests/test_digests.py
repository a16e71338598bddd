"""Tests for content hashing: files, dataset facts and the notebook and scoring digests."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from nbgraduate.lock import digests
from nbgraduate.lock.digests import (
    dataset_facts,
    file_sha256,
    notebook_digest,
    scoring_digest,
    text_sha256,
)

PARAMS = ("parameters",)


def test_file_sha256_matches_hashlib(tmp_path: Path) -> None:
    data = bytes(range(256)) * 10
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()


def test_file_sha256_streams_across_chunk_boundaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(digests, "_CHUNK_SIZE", 7)
    data = b"0123456789" * 5 + b"tail"
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()


def test_text_sha256_hashes_utf8() -> None:
    assert text_sha256("café") == hashlib.sha256("café".encode()).hexdigest()


def test_dataset_facts_csv_counts_records_not_lines(tmp_path: Path) -> None:
    path = tmp_path / "golden.csv"
    content = 'id,question\r\n1,"two\nline question"\r\n2,plain\r\n\r\n3,"a, b"\r\n'
    path.write_bytes(content.encode())
    sha256, size, rows = dataset_facts(path)
    assert sha256 == hashlib.sha256(content.encode()).hexdigest()
    assert size == len(content.encode())
    assert rows == 3


def test_dataset_facts_csv_with_bom_and_header_only(tmp_path: Path) -> None:
    path = tmp_path / "empty.CSV"
    path.write_bytes(b"\xef\xbb\xbfid,question\n")
    assert dataset_facts(path)[2] == 0
    (tmp_path / "nothing.csv").write_bytes(b"")
    assert dataset_facts(tmp_path / "nothing.csv")[2] == 0


def test_dataset_facts_tsv_uses_tab_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "pairs.tsv"
    path.write_text('a\tb\n1\t"x\ty"\n2\tz\n', encoding="utf-8")
    assert dataset_facts(path)[2] == 2


def test_dataset_facts_csv_not_utf8_has_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("id,name\n1,caf\xe9\n".encode("latin-1"))
    sha256, _, rows = dataset_facts(path)
    assert rows is None
    assert sha256 == file_sha256(path)


def test_dataset_facts_jsonl_counts_non_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text('{"a": 1}\n\n   \n{"a": 2}\n{"a": 3}', encoding="utf-8")
    assert dataset_facts(path)[2] == 3
    ndjson = tmp_path / "cases.ndjson"
    ndjson.write_text('{"a": 1}\n', encoding="utf-8")
    assert dataset_facts(ndjson)[2] == 1


def test_dataset_facts_json_counts_top_level_list_only(tmp_path: Path) -> None:
    listed = tmp_path / "list.json"
    listed.write_text(json.dumps([{"q": 1}, {"q": 2}]), encoding="utf-8-sig")
    assert dataset_facts(listed)[2] == 2
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"rows": [1, 2, 3]}), encoding="utf-8")
    assert dataset_facts(mapping)[2] is None
    broken = tmp_path / "broken.json"
    broken.write_text("[1, 2", encoding="utf-8")
    assert dataset_facts(broken)[2] is None


def test_dataset_facts_other_formats_have_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "data.parquet"
    path.write_bytes(b"PAR1\n1\n2\n")
    assert dataset_facts(path) == (hashlib.sha256(b"PAR1\n1\n2\n").hexdigest(), 9, None)


def test_dataset_facts_csv_is_not_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.csv"
    path.write_text("id\n" + "".join(f"{i}\n" for i in range(5000)), encoding="utf-8")

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("dataset read whole")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    monkeypatch.setattr(Path, "read_text", refuse)
    assert dataset_facts(path)[2] == 5000


CELLS = [
    ("markdown", "# Judge eval", ()),
    ("code", "model = 'gpt-4o'\n", PARAMS),
    ("code", "score = judge(model)\nprint(score)", ()),
]


def test_notebook_digest_is_deterministic_and_covers_markdown() -> None:
    assert notebook_digest(CELLS) == notebook_digest(list(CELLS))
    changed_markdown = [("markdown", "# Judge eval v2", ()), *CELLS[1:]]
    assert notebook_digest(changed_markdown) != notebook_digest(CELLS)


def test_notebook_digest_covers_cell_type_order_and_parameters_tag() -> None:
    base = notebook_digest(CELLS)
    assert notebook_digest([("raw", "# Judge eval", ()), *CELLS[1:]]) != base
    assert notebook_digest([CELLS[0], CELLS[2], CELLS[1]]) != base
    untagged = [CELLS[0], ("code", "model = 'gpt-4o'\n", ()), CELLS[2]]
    assert notebook_digest(untagged) != base
    other_tags = [CELLS[0], ("code", "model = 'gpt-4o'\n", ("parameters", "hide")), CELLS[2]]
    assert notebook_digest(other_tags) == base


def test_notebook_digest_framing_cannot_collide() -> None:
    assert notebook_digest([("code", "a", ()), ("code", "b", ())]) != notebook_digest(
        [("code", 'a", "b', ())]
    )
    assert notebook_digest([("code", "ab", ())]) != notebook_digest(
        [("code", "a", ()), ("code", "b", ())]
    )


def test_scoring_digest_ignores_markdown_and_parameters_cell() -> None:
    base = scoring_digest(CELLS)
    edited = [
        ("markdown", "# Completely different prose", ()),
        ("code", "model = 'claude'\n", PARAMS),
        CELLS[2],
    ]
    assert scoring_digest(edited) == base


def test_scoring_digest_ignores_whitespace_only_edits() -> None:
    base = scoring_digest(CELLS)
    padded = [
        *CELLS[:2],
        ("code", "\n\nscore = judge(model)   \r\nprint(score)\t\n\n\n", ()),
        ("code", "  \n\n", ()),
    ]
    assert scoring_digest(padded) == base


def test_scoring_digest_sees_code_and_indentation_changes() -> None:
    base = scoring_digest(CELLS)
    assert (
        scoring_digest([*CELLS[:2], ("code", "score = judge(model) * 2\nprint(score)", ())]) != base
    )
    assert (
        scoring_digest([*CELLS[:2], ("code", "score = judge(model)\n    print(score)", ())]) != base
    )
    split = [*CELLS[:2], ("code", "score = judge(model)", ()), ("code", "print(score)", ())]
    assert scoring_digest(split) != base


def test_scoring_and_notebook_digests_differ_for_same_cells() -> None:
    only_code = [("code", "x = 1", ())]
    assert scoring_digest(only_code) != notebook_digest(only_code)
