"""The CI files nbgraduate ships and writes practise what it preaches: every action pinned to
a commit, no credentials left in a checkout, each job with the least permissions it needs, no
expression spliced into a script; and zizmor, GitHub Actions' static analyser, finds nothing
at medium severity or above (offline, pedantic persona, ignore comments not honoured).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from nbgraduate.cli.app import app
from nbgraduate.repo.setup.pins import find_uses, load_pins

ROOT = Path(__file__).resolve().parent.parent
LINT_ONLY = ROOT / "templates" / "nbgraduate-lint.yml"
ACTION = ROOT / "action.yml"
#: Renderings `init` can write: the default hook source, a fork at a commit, an index release.
VARIANTS = {
    "default": [],
    "fork-at-sha": [
        "--hook-repo",
        "https://github.com/acme/nbgraduate-fork",
        "--hook-rev",
        "0123456789abcdef0123456789abcdef01234567",
    ],
    "index-release": ["--index-version", "0.1.0"],
}
#: What each job of the full workflow may do, and nothing more.
JOB_PERMISSIONS = {
    "lint": {"contents": "read", "security-events": "write", "actions": "read"},
    "verify": {"contents": "read"},
    "evaluate": {"contents": "read"},
    "comment": {"pull-requests": "write"},
    "calibrate": {"contents": "read"},
}


def render(tmp_path: Path, *options: str) -> Path:
    """The workflow exactly as ``nbgraduate init`` writes it into a fresh repository."""
    (tmp_path / ".git").mkdir(exist_ok=True)
    result = CliRunner().invoke(app, ["init", "--root", str(tmp_path), *options])
    assert result.exit_code == 0, result.output
    return tmp_path / ".github" / "workflows" / "nbgraduate.yml"


def zizmor(tmp_path: Path, *files: Path) -> list[dict]:
    """Every finding zizmor reports on ``files`` (JSON), whatever its severity."""
    executable = shutil.which("zizmor", path=str(Path(sys.executable).parent)) or shutil.which(
        "zizmor"
    )
    if executable is None:
        pytest.skip("zizmor (a dev dependency) is not installed")
    result = subprocess.run(
        [
            executable,
            "--offline",
            "--no-config",
            "--no-ignores",
            "--persona",
            "pedantic",
            "--format",
            "json",
            "--no-exit-codes",
            "--cache-dir",
            str(tmp_path / "zizmor-cache"),
            *map(str, files),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def serious(findings: list[dict]) -> list[str]:
    """Findings at medium severity or above, one line each (what the failure message shows)."""
    lines = []
    for finding in findings:
        severity = finding["determinations"]["severity"]
        if severity in ("Medium", "High"):
            where = finding["locations"][0]
            path = where["symbolic"]["key"]["Local"]["verbatim_path"]
            row = where["concrete"]["location"]["start_point"]["row"] + 1
            lines.append(f"{path}:{row}: {severity} {finding['ident']}: {finding['desc']}")
    return lines


def documents(tmp_path: Path) -> dict[str, dict]:
    files = {"init": render(tmp_path), "lint-only": LINT_ONLY, "action": ACTION}
    return {name: yaml.safe_load(path.read_text(encoding="utf-8")) for name, path in files.items()}


def steps_of(document: dict) -> list[dict]:
    if "runs" in document:
        return document["runs"]["steps"]
    return [step for job in document["jobs"].values() for step in job["steps"]]


# --- zizmor ---------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_zizmor_finds_nothing_at_medium_or_above(tmp_path: Path, variant: str) -> None:
    workflow = render(tmp_path, *VARIANTS[variant])
    findings = zizmor(tmp_path, workflow, LINT_ONLY, ACTION)
    assert serious(findings) == []


def test_zizmor_does_flag_an_unpinned_credential_keeping_checkout(tmp_path: Path) -> None:
    """The analyser is awake: the old form of one step is caught, offline."""
    workflow = render(tmp_path)
    text = workflow.read_text(encoding="utf-8")
    pinned = load_pins()["actions/checkout"].reference()
    old = text.replace(
        f"{pinned}\n        with:\n          persist-credentials: false\n",
        "actions/checkout@v4\n",
        1,
    )
    assert old != text
    workflow.write_text(old, encoding="utf-8")
    idents = {line.split()[2].rstrip(":") for line in serious(zizmor(tmp_path, workflow))}
    assert idents == {"unpinned-uses", "artipacked"}


# --- the properties, checked directly ---------------------------------------------------------


def test_every_uses_is_a_full_sha_from_the_table_with_its_tag(tmp_path: Path) -> None:
    pins = load_pins()
    for name, path in {"init": render(tmp_path), "lint-only": LINT_ONLY, "action": ACTION}.items():
        text = path.read_text(encoding="utf-8")
        references = find_uses(text)
        assert len(references) == len(re.findall(r"(?m)^\s*(?:- )?uses:", text)), name
        for reference in references:
            pin = pins[reference.repository]
            assert (reference.ref, reference.comment) == (pin.sha, f"# {pin.tag}"), (
                name,
                reference,
            )
            assert re.fullmatch(r"[0-9a-f]{40}", reference.ref)


def test_every_checkout_drops_its_credentials(tmp_path: Path) -> None:
    checkouts = 0
    for name, document in documents(tmp_path).items():
        for step in steps_of(document):
            if step.get("uses", "").startswith("actions/checkout@"):
                checkouts += 1
                assert step.get("with", {}).get("persist-credentials") is False, name
    assert checkouts == 5  # lint, verify, evaluate, calibrate; the lint-only template's lint


def test_each_job_has_the_least_permissions_it_needs(tmp_path: Path) -> None:
    parsed = documents(tmp_path)
    workflow = parsed["init"]
    assert workflow["permissions"] == {}
    assert {name: job["permissions"] for name, job in workflow["jobs"].items()} == JOB_PERMISSIONS
    for name, job in workflow["jobs"].items():
        uses = " ".join(step.get("uses", "") for step in job["steps"])
        runs = " ".join(step.get("run", "") for step in job["steps"])
        # security-events only where SARIF is uploaded; pull-requests only where we comment.
        assert ("security-events" in job["permissions"]) == ("upload-sarif" in uses), name
        assert ("pull-requests" in job["permissions"]) == ("nbgraduate comment" in runs), name
    # The job that may write to the pull request checks out none of its code.
    assert not any(
        "checkout" in step.get("uses", "") for step in workflow["jobs"]["comment"]["steps"]
    )

    lint_only = parsed["lint-only"]
    assert lint_only["permissions"] == {}
    assert lint_only["jobs"]["lint"]["permissions"] == JOB_PERMISSIONS["lint"]


def test_no_expression_inside_a_script(tmp_path: Path) -> None:
    for name, document in documents(tmp_path).items():
        scripts = [step["run"] for step in steps_of(document) if "run" in step]
        assert scripts, name
        for script in scripts:
            assert "${{" not in script, (name, script)
