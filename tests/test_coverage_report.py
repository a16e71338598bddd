"""CI's coverage step: the README's test command is what ``.ci/run`` runs, and the per-package
report (``scripts/coverage_report.py``) prints every package and fails below the floor."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import coverage

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "coverage_report.py"


def test_ci_runs_the_readme_test_command_exactly() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^python -m pip install .*$", readme, re.MULTILINE)
    [test_command] = [command for command in commands if "pytest" in command]
    ci_lines = [
        line
        for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    assert ci_lines[-1] == test_command
    assert "coverage run -m pytest" in test_command and "coverage_report.py" in test_command


def test_the_floor_is_configured() -> None:
    config = coverage.Coverage(config_file=str(ROOT / "pyproject.toml")).config
    assert config.fail_under >= 90
    assert "subprocess" in config.patch and config.parallel


def measured_project(root: Path, floor: int) -> Path:
    """A fake checkout with two packages, one fully and one half covered (4 of 6 lines)."""
    package = root / "src" / "nbgraduate"
    (package / "lint").mkdir(parents=True)
    (package / "__init__.py").write_text("a = 1\nb = 2\n")
    (package / "lint" / "rules.py").write_text("a = 1\nb = 2\nc = 3\nd = 4\n")
    (root / "pyproject.toml").write_text(
        f"[tool.coverage.run]\ndata_file = '{root / '.coverage'}'\n"
        f"[tool.coverage.report]\nfail_under = {floor}\n"
    )
    data = coverage.CoverageData(basename=str(root / ".coverage"))
    data.add_lines(
        {str(package / "__init__.py"): [1, 2], str(package / "lint" / "rules.py"): [1, 2]}
    )
    data.write()
    return root


def report(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--rcfile", str(root / "pyproject.toml")],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_each_package_is_printed_and_the_floor_holds(tmp_path: Path) -> None:
    result = report(measured_project(tmp_path, floor=66))
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()[1:4]}
    assert rows["nbgraduate"] == ["2", "0", "100.0%"]
    assert rows["nbgraduate.lint"] == ["4", "2", "50.0%"]
    assert rows["TOTAL"] == ["66.7%"]
    assert "meets the floor of 66%" in result.stdout


def test_below_the_floor_fails(tmp_path: Path) -> None:
    result = report(measured_project(tmp_path, floor=90))
    assert result.returncode == 2
    assert "below the floor of 90%" in result.stderr
