"""Requirements resolved without the packages installed, from a package index on 127.0.0.1.

The index (``package_index.py``) serves tiny wheels and sdists built for each test, in PEP 691
JSON and PEP 503 HTML; conversion asks it through pip's configuration (``PIP_INDEX_URL``).
Nothing here reaches any other address.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from cli_runner import run_cli
from nbformat.v4 import new_code_cell, new_notebook
from package_index import PackageIndex

from nbgraduate.graduate.package_index import PackageIndexClient
from nbgraduate.graduate.resolve import distribution_for_import, newest_satisfying

UNREACHABLE = "http://127.0.0.1:9/simple/"


@pytest.fixture
def index(tmp_path: Path):
    served = PackageIndex(tmp_path / "index")
    served.add_wheel("tiny-core", "1.0.0")
    served.add_wheel("tiny-core", "1.2.0")
    for version in ("1.0.0", "1.5.0", "2.0.0"):
        served.add_wheel("tiny-judge", version, requires=["tiny-core>=1.0"])
    served.add_wheel("tiny-judge", "1.6.0rc1")
    served.add_wheel("tiny-judge", "1.8.0", requires_python=">=4")
    served.add_sdist("tiny-judge", "1.7.0")
    served.add_wheel("tiny-judge", "1.7.0", requires=["tiny-core>=1.0"])
    # ``import sklearn`` needs the distribution scikit-learn: a tiny stand-in of that name.
    served.add_wheel("scikit-learn", "9.9.9", modules={"sklearn/__init__.py": ""})
    served.add_wheel("nest-asyncio", "1.6.0", modules={"nest_asyncio.py": ""})
    # Installed here, so pinned from this environment; the index has it too, for the lock.
    served.add_installed("packaging")
    served.start()
    yield served
    served.stop()


def notebook(directory: Path, *sources: str) -> Path:
    document = new_notebook(cells=[new_code_cell(source) for source in sources])
    document.metadata["kernelspec"] = {"name": "python3", "display_name": "P", "language": "python"}
    path = directory / "needs.ipynb"
    nbformat.write(document, str(path))
    return path


def requirement_lines(pipeline: Path) -> list[str]:
    text = (pipeline / "requirements.txt").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line and not line.startswith("# Pinned")]


def test_the_index_answers_in_json_and_in_html(index: PackageIndex) -> None:
    client = PackageIndexClient(index.url)
    answer = client.releases("tiny-judge")
    assert answer.problem is None
    assert sorted({r.version for r in answer.releases}) == [
        "1.0.0",
        "1.5.0",
        "1.6.0rc1",
        "1.7.0",
        "1.8.0",
        "2.0.0",
    ]
    json_requests = len(index.requests)
    (index.root / "simple" / "tiny-judge" / "index.json").unlink()  # HTML only from now on
    html = PackageIndexClient(index.url).releases("tiny-judge")
    assert {r.version for r in html.releases} == {r.version for r in answer.releases}
    assert len(index.requests) == json_requests + 1
    assert client.releases("no-such-project").problem.startswith("not on the index")


def test_newest_release_within_the_notebooks_constraint(index: PackageIndex) -> None:
    answer = PackageIndexClient(index.url).releases("tiny-judge")
    assert newest_satisfying(answer, ">=1.0,<2") == ("1.7.0", "")  # no rc, not Python 4 only
    assert newest_satisfying(answer, "") == ("2.0.0", "")
    assert newest_satisfying(answer, ">=1.6.0rc1,<1.7") == ("1.6.0rc1", "")
    assert newest_satisfying(answer, ">3")[0] is None


def test_import_names_map_to_distributions() -> None:
    assert distribution_for_import("sklearn.metrics")[0] == ["scikit-learn"]
    assert (
        distribution_for_import("yaml")[0] == ["PyYAML"]
        or distribution_for_import("yaml")[1] == "installed"
    )
    assert distribution_for_import("google.generativeai.GenerativeModel")[0] == [
        "google-generativeai"
    ]
    assert distribution_for_import("google.cloud.firestore")[0] == ["google-cloud-firestore"]
    assert distribution_for_import("nbformat") == (["nbformat"], "installed")


def test_convert_pins_what_is_not_installed_from_the_index(
    tmp_path: Path, index: PackageIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", index.url)
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    source = notebook(
        tmp_path,
        "%pip install 'tiny-judge>=1.0,<2' nest-asyncio\n%pip install nest_asyncio",
        "import sklearn\nimport packaging\nimport nest_asyncio\nimport tiny_judge\n"
        "import private_thing",
    )
    result = run_cli(tmp_path, "convert", source.name, timeout=300)
    assert result.returncode == 1, result.stderr  # the private package needs a human
    pipeline = tmp_path / "needs"
    lines = requirement_lines(pipeline)
    from importlib.metadata import version

    assert f"packaging=={version('packaging')}" in lines  # from the converting environment
    assert "tiny-judge==1.7.0" in lines  # the newest the notebook's own constraint allows
    assert "scikit-learn==9.9.9" in lines  # `import sklearn`, through the import table
    assert [line for line in lines if "nest" in line.lower()] == ["nest-asyncio==1.6.0"]
    unresolved = [line for line in lines if line.startswith("# unresolved: ")]
    assert unresolved == [
        f"# unresolved: private-thing (imported as private_thing; not on the index {index.url})"
    ]
    assert "private_thing" in result.stdout and "NBG401" in result.stdout

    lock = (pipeline / "requirements.lock").read_text(encoding="utf-8")
    assert "tiny-core==1.2.0" in lock and "tiny-judge==1.7.0" in lock  # transitive
    assert "private" not in lock  # unresolved packages are listed, never locked
    pins = [line for line in lock.splitlines() if "==" in line]
    assert all("--hash=sha256:" in line or line.endswith("\\") for line in pins)
    assert lock.count("--hash=sha256:") >= len(pins)


def test_offline_every_package_is_pinned_or_listed_never_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", UNREACHABLE)
    source = notebook(tmp_path, "!pip install tiny-judge==1.5.0", "import sklearn\nimport nbformat")
    result = run_cli(tmp_path, "convert", source.name)
    assert result.returncode == 1, result.stderr
    lines = requirement_lines(tmp_path / "needs")
    assert any(line.startswith("nbformat==") for line in lines)
    unresolved = {line.split()[2] for line in lines if line.startswith("# unresolved: ")}
    assert unresolved == {"tiny-judge", "scikit-learn"}
    assert all("unreachable" in line for line in lines if line.startswith("# unresolved: "))
    assert not (tmp_path / "needs" / "requirements.lock").exists()
    assert "requirements.lock" in result.stdout  # the report says why there is none
