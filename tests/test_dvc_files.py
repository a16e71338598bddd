"""DVC files pin datasets: ``<file>.dvc``, ``<folder>.dvc`` and ``dvc.lock`` outputs, read as YAML."""

from __future__ import annotations

from pathlib import Path

from nbgraduate.lint.dvc_files import dvc_pin

MD5 = "1f2e3d4c5b6a79881f2e3d4c5b6a7988"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_file_folder_and_pipeline_outputs(tmp_path: Path) -> None:
    write(tmp_path / "data" / "eval.csv.dvc", f"outs:\n- md5: {MD5}\n  path: eval.csv\n")
    write(tmp_path / "data" / "corpus.dvc", f"outs:\n- md5: {MD5}.dir\n  path: corpus\n")
    write(
        tmp_path / "dvc.lock",
        "schema: '2.0'\nstages:\n  prep:\n    cmd: python prep.py\n    outs:\n"
        f"    - path: data/prepared\n      md5: {MD5}.dir\n",
    )
    root = str(tmp_path)
    assert dvc_pin(str(tmp_path / "data" / "eval.csv"), root) == "data/eval.csv.dvc"
    assert dvc_pin(str(tmp_path / "data" / "corpus" / "a" / "b.txt"), root) == "data/corpus.dvc"
    assert dvc_pin(str(tmp_path / "data" / "prepared" / "x.parquet"), root) == "dvc.lock"
    assert dvc_pin(str(tmp_path / "data" / "train.csv"), root) is None


def test_what_does_not_pin(tmp_path: Path) -> None:
    write(tmp_path / "other.csv.dvc", f"outs:\n- md5: {MD5}\n  path: train.csv\n")
    write(tmp_path / "nohash.csv.dvc", "outs:\n- path: nohash.csv\n")
    write(tmp_path / "broken.csv.dvc", "outs: [\n")
    root = str(tmp_path / "inner")
    (tmp_path / "inner").mkdir()
    write(tmp_path / "inner" / "x.csv.dvc", f"outs:\n- md5: {MD5}\n  path: x.csv\n")
    for name in ("other.csv", "nohash.csv", "broken.csv"):
        assert dvc_pin(str(tmp_path / name), str(tmp_path)) is None
    # Never read above the repository root.
    assert dvc_pin(str(tmp_path / "other.csv"), root) is None
    assert dvc_pin(str(tmp_path / "inner" / "x.csv"), root) == "x.csv.dvc"
