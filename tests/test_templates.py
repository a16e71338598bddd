"""The files users copy from ``templates/`` (and the generated rule docs) stay true."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import yaml
from typer.testing import CliRunner

from nbgraduate.cli.app import app
from nbgraduate.lint.output import OUTPUT_FORMATS

ROOT = Path(__file__).resolve().parent.parent


def test_lint_workflow_template_runs_real_commands() -> None:
    workflow = yaml.safe_load((ROOT / "templates" / "nbgraduate-lint.yml").read_text())
    steps = workflow["jobs"]["lint"]["steps"]
    commands = [step["run"] for step in steps if "run" in step]
    lint_commands = [c for c in commands if c.startswith("nbgraduate lint")]
    assert len(lint_commands) == 2
    for command in lint_commands:
        output_format = command.split("--output-format ")[1].split()[0]
        assert output_format in OUTPUT_FORMATS
    upload = next(step for step in steps if "upload-sarif" in step.get("uses", ""))
    assert upload["with"]["sarif_file"] == "nbgraduate.sarif"
    assert workflow["permissions"] == {}
    assert workflow["jobs"]["lint"]["permissions"]["security-events"] == "write"


def test_lint_workflow_template_installs_what_the_hooks_run() -> None:
    """The copy-and-paste template installs this version's hook source, as `init` would."""
    from nbgraduate.repo.setup import HOOK_REPOSITORY, HOOK_REV
    from nbgraduate.repo.setup.install import from_hooks

    workflow = yaml.safe_load((ROOT / "templates" / "nbgraduate-lint.yml").read_text())
    expected = from_hooks(HOOK_REPOSITORY, HOOK_REV).requirement
    assert workflow["env"]["NBGRADUATE_INSTALL"] == expected
    install = next(
        s for s in workflow["jobs"]["lint"]["steps"] if s.get("name") == "Install nbgraduate"
    )
    assert install["run"] == 'python -m pip install "$NBGRADUATE_INSTALL"'


def test_docs_rules_md_matches_the_rules() -> None:
    generated = CliRunner().invoke(app, ["rule", "--all"]).output
    committed = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == generated, "regenerate with: nbgraduate rule --all > docs/rules.md"


# --- the composite action and the pre-commit hook manifest ------------------------------------


def test_action_is_composite_and_passes_inputs_through_env_only() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) == {"command", "args", "version", "python-version"}
    assert action["inputs"]["command"]["required"] is True
    scripts = [step for step in action["runs"]["steps"] if "run" in step]
    assert scripts, "the action runs nothing"
    for step in scripts:
        assert step["shell"] == "bash"
        assert "${{" not in step["run"], step["run"]
    env = {key: value for step in scripts for key, value in step.get("env", {}).items()}
    assert env["NBGRADUATE_COMMAND"] == "${{ inputs.command }}"
    assert env["NBGRADUATE_ARGS"] == "${{ inputs.args }}"
    assert env["NBGRADUATE_VERSION"] == "${{ inputs.version }}"


def test_action_matches_the_github_action_schema() -> None:
    import jsonschema
    from schemas import vendored_schema

    schema = vendored_schema("github-actions.json")
    jsonschema.validate(yaml.safe_load((ROOT / "action.yml").read_text()), schema)


def _run_action_step(tmp_path: Path, command: str, args: str) -> subprocess.CompletedProcess[str]:
    """The action's "Run nbgraduate" script, run by bash as the runner would, with this
    interpreter as `python`."""
    import os
    import sys

    action = yaml.safe_load((ROOT / "action.yml").read_text())
    (step,) = [s for s in action["runs"]["steps"] if s.get("name") == "Run nbgraduate"]
    bin_dir = Path(sys.executable).parent  # the environment's own `python`, as setup-python's
    assert (bin_dir / "python").exists()
    env = dict(os.environ, NBGRADUATE_COMMAND=command, NBGRADUATE_ARGS=args)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    return subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_action_runs_the_command_with_shell_split_arguments(tmp_path: Path) -> None:
    result = _run_action_step(tmp_path, "rule", "--output-format 'json' NBG801")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["code"] == "NBG801"


def test_action_arguments_are_never_run_by_a_shell(tmp_path: Path) -> None:
    result = _run_action_step(tmp_path, "rule", "NBG801; touch pwned $(touch pwned2) `touch p3`")
    assert result.returncode == 2  # extra arguments: a usage error, not three commands
    assert not any(tmp_path.glob("pwned*")) and not (tmp_path / "p3").exists()


def test_pre_commit_hook_manifest_is_valid_and_runs_real_commands() -> None:
    import sys

    from nbgraduate.repo.hooks import HOOK_IDS

    validated = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-manifest", ".pre-commit-hooks.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert validated.returncode == 0, validated.stdout + validated.stderr
    hooks = {
        hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    }
    assert list(hooks) == list(HOOK_IDS)
    assert hooks["nbgraduate-lint"]["entry"] == "nbgraduate lint --force-exclude"
    assert hooks["nbgraduate-lint"]["types"] == hooks["nbgraduate-guard"]["types"] == ["jupyter"]
    assert hooks["nbgraduate-verify"]["types"] == ["file"]
    for hook in hooks.values():
        assert hook["language"] == "python" and hook["require_serial"] is True
        command = hook["entry"].split()[1:]
        result = CliRunner().invoke(app, [*command, "--help"])
        assert result.exit_code == 0, hook["entry"]
        for option in (part for part in command if part.startswith("--")):
            assert option in result.output
