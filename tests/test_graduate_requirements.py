"""``convert``'s requirements.txt: install lines and imports pinned to the converting environment."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

from nbgraduate.analysis.facts import collect_facts
from nbgraduate.graduate.requirements import resolve_requirements
from nbgraduate.lock.requirements import parse_requirements_text
from nbgraduate.notebook.reader import notebook_from_text


def requirements_for(tmp_path: Path, script: str) -> str:
    notebook = notebook_from_text(tmp_path / "eval.py", script)
    return resolve_requirements(notebook, collect_facts(notebook.program), tmp_path).text()


def test_extras_and_markers_of_an_install_line_are_kept(tmp_path: Path) -> None:
    text = requirements_for(
        tmp_path,
        "# %%\n%pip install 'pandas[performance]>=2' \"httpx ; python_version >= '3.9'\"\n",
    )
    pandas, httpx = metadata.version("pandas"), metadata.version("httpx")
    assert f"pandas[performance]=={pandas}\n" in text
    assert f'httpx=={httpx} ; python_version >= "3.9"\n' in text
    # What convert writes, the lock reads back whole.
    pins = {(pin.name, pin.extras, pin.marker) for pin in parse_requirements_text(text).pins}
    assert ("pandas", ("performance",), None) in pins
    assert ("httpx", (), 'python_version >= "3.9"') in pins


def test_one_line_per_project_however_it_is_spelled(tmp_path: Path) -> None:
    text = requirements_for(tmp_path, "# %%\n%pip install pyyaml PyYAML py_yaml\nimport yaml\n")
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    assert lines == [f"PyYAML=={metadata.version('PyYAML')}"]
