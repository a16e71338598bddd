"""``nbgraduate init`` on empty and existing repositories: valid files, idempotent, honest."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import tomlkit
import yaml
from schemas import vendored_schema
from typer.testing import CliRunner

from nbgraduate.cli.app import app
from nbgraduate.repo.hooks import HOOK_IDS
from nbgraduate.repo.setup import HOOK_REPOSITORY, HOOK_REV

runner = CliRunner()

EXISTING_PYPROJECT = """\
# Our eval repository.
[project]
name = "acme-evals"   # keep this comment
version = "1.2.3"
dependencies = [
    "openai==1.51.0",  # pinned on purpose
]

[tool.ruff]
line-length = 120

[tool.ruff.lint]
select = ["E", "F"]

# Trailing notes stay at the end.
"""

EXISTING_PRE_COMMIT = """\
# Hooks every contributor runs.
default_language_version:
    python: python3.11
repos:
-   repo: https://github.com/pre-commit/pre-commit-hooks
    rev: v4.6.0   # keep pinned
    hooks:
    -   id: trailing-whitespace
    -   id: end-of-file-fixer
# formatting last
-   repo: https://github.com/astral-sh/ruff-pre-commit
    rev: "v0.6.9"
    hooks:
    -   id: ruff-format
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()  # init looks for the work tree root; no git needed
    monkeypatch.chdir(tmp_path)
    return tmp_path


def init(*args: str):
    return runner.invoke(app, ["init", *args])


def snapshot(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts[:1]
    }


def workflow(root: Path) -> dict:
    return yaml.safe_load((root / ".github" / "workflows" / "nbgraduate.yml").read_text())


def run_commands(document: dict) -> list[str]:
    return [
        step["run"] for job in document["jobs"].values() for step in job["steps"] if "run" in step
    ]


# --- an empty repository -------------------------------------------------------------------


def test_init_on_an_empty_repository_writes_valid_files(repo: Path) -> None:
    result = init("--eval-path", "evals/", "--owner", "@acme/evals")
    assert result.exit_code == 0, result.output
    assert set(snapshot(repo)) == {
        "pyproject.toml",
        ".pre-commit-config.yaml",
        ".github/workflows/nbgraduate.yml",
        ".github/CODEOWNERS",
        ".gitignore",
    }
    table = tomlkit.parse((repo / "pyproject.toml").read_text())["tool"]["nbgraduate"]
    assert table["eval-paths"] == ["evals/"]

    config = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())
    (entry,) = config["repos"]
    assert (entry["repo"], entry["rev"]) == (HOOK_REPOSITORY, HOOK_REV)
    assert [hook["id"] for hook in entry["hooks"]] == list(HOOK_IDS)

    assert "/evals/ @acme/evals" in (repo / ".github" / "CODEOWNERS").read_text().splitlines()
    assert ".nbgraduate/" in (repo / ".gitignore").read_text().splitlines()
    assert "next: run `pre-commit install`" in result.output
    # init says what CI installs: the hooks' own repository and revision.
    assert f"CI installs nbgraduate from {HOOK_REPOSITORY} at {HOOK_REV}" in result.output
    assert workflow(repo)["env"]["NBGRADUATE_INSTALL"] == (f"git+{HOOK_REPOSITORY}@{HOOK_REV}")


def test_the_workflow_lints_verifies_runs_gates_and_comments(repo: Path) -> None:
    assert init().exit_code == 0
    document = workflow(repo)
    triggers = document.get("on", document.get(True))  # PyYAML reads a bare `on:` as True
    assert set(triggers) == {"pull_request", "push", "schedule", "workflow_dispatch"}
    assert triggers["schedule"] == [{"cron": "17 5 * * 1-5"}]
    assert document["permissions"] == {}  # each job asks for its own (test_workflow_security)
    assert document["env"]["GATE_INCONCLUSIVE"] == "warn"
    jobs = document["jobs"]
    assert set(jobs) == {"lint", "verify", "evaluate", "comment", "calibrate"}
    assert jobs["evaluate"]["needs"] == ["lint", "verify"]
    assert jobs["evaluate"]["if"] == "github.event_name != 'schedule'"
    calibrate_steps = jobs["calibrate"]["steps"]
    assert "schedule" in jobs["calibrate"]["if"]
    assert any("nbgraduate calibrate" in s.get("run", "") for s in calibrate_steps)
    cache = next(s for s in calibrate_steps if "actions/cache" in s.get("uses", ""))
    assert cache["with"]["path"] == ".nbgraduate"  # each calibration is compared with the last

    lint_steps = jobs["lint"]["steps"]
    upload = next(s for s in lint_steps if "upload-sarif" in s.get("uses", ""))
    assert upload["with"]["sarif_file"] == "nbgraduate.sarif"
    assert any(
        "--output-format sarif --output-file nbgraduate.sarif" in s.get("run", "")
        for s in lint_steps
    )
    assert any("nbgraduate verify" in s.get("run", "") for s in jobs["verify"]["steps"])

    steps = {step.get("name"): step for step in jobs["evaluate"]["steps"]}
    assert "nbgraduate run" in steps["Run the pipelines"]["run"]
    gate = " ".join(steps["Gate against main"]["run"].replace("\\\n", " ").split())
    assert "--baseline latest@origin/main --candidate latest" in gate
    assert "--output-format json" in gate  # the verdicts decide; the Markdown goes to gate.md
    assert '--margin "$GATE_MARGIN" --confidence "$GATE_CONFIDENCE"' in gate
    assert '--inconclusive "$inconclusive"' in gate
    assert 'GITHUB_STEP_SUMMARY="$PWD/gate.md" nbgraduate gate' in gate
    assert 'cat gate.md >> "$GITHUB_STEP_SUMMARY"' in gate
    upload = steps["Keep the gate report for the comment job"]
    assert upload["with"]["path"] == "gate.md"
    assert jobs["evaluate"]["outputs"]["gate-report"] == "${{ steps.report.outputs.artifact-id }}"

    comment_job = jobs["comment"]
    assert comment_job["needs"] == "evaluate"
    assert "needs.evaluate.outputs.gate-report != ''" in comment_job["if"]
    download = comment_job["steps"][0]
    assert "actions/download-artifact@" in download["uses"]
    assert download["with"]["name"] == upload["with"]["name"]
    comment = next(
        s for s in comment_job["steps"] if s.get("name") == "Comment on the pull request"
    )
    assert comment["run"].startswith(
        'nbgraduate comment --repo "$GITHUB_REPOSITORY" --pr "$PR_NUMBER" --from gate.md'
    )
    assert comment["env"]["GITHUB_TOKEN"] == "${{ secrets.GITHUB_TOKEN }}"
    checkout = next(s for s in jobs["evaluate"]["steps"] if "checkout" in s.get("uses", ""))
    assert checkout["with"]["fetch-depth"] == 0  # latest@origin/main needs the history


def test_workflow_scripts_take_expressions_only_through_env(repo: Path) -> None:
    assert init().exit_code == 0
    for script in run_commands(workflow(repo)):
        assert "${{" not in script, script


def test_workflow_uses_real_nbgraduate_options(repo: Path) -> None:
    """Every option the workflow passes to a registered command is in that command's --help.

    ``gate`` is being built elsewhere; until it is registered its documented shape is used."""
    assert init().exit_code == 0
    import typer.main

    registered = set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
    used: dict[str, set[str]] = {}
    for script in run_commands(workflow(repo)):
        joined = script.replace("\\\n", " ")
        for match in re.finditer(r"\bnbgraduate (\w+)([^\n|;&>]*)", joined):
            used.setdefault(match.group(1), set()).update(re.findall(r"--[\w-]+", match.group(2)))
    assert {"lint", "verify", "run", "gate", "comment"} <= set(used)
    for command, options in used.items():
        if command not in registered:
            assert command == "gate", f"the workflow runs unknown command {command!r}"
            continue
        help_text = runner.invoke(app, [command, "--help"], terminal_width=200).output
        for option in options:
            assert option in help_text, f"nbgraduate {command} has no {option}"


def test_workflow_validates_against_the_github_workflow_schema(repo: Path) -> None:
    import jsonschema

    schema = vendored_schema("github-workflows.json")
    assert init().exit_code == 0
    document = workflow(repo)
    document["on"] = document.pop(True)
    jsonschema.validate(document, schema)


def test_generated_pre_commit_config_is_valid_for_pre_commit(repo: Path) -> None:
    assert init().exit_code == 0
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", ".pre-commit-config.yaml"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- idempotence and dry runs ------------------------------------------------------------------


def test_a_second_run_changes_nothing(repo: Path) -> None:
    assert init("--owner", "@acme/evals").exit_code == 0
    before = snapshot(repo)
    again = init("--owner", "@acme/evals")
    assert again.exit_code == 0, again.output
    assert snapshot(repo) == before
    assert again.output.count(": unchanged: ") == 5
    assert "next:" not in again.output


def test_dry_run_prints_diffs_and_writes_nothing(repo: Path) -> None:
    (repo / "pyproject.toml").write_text(EXISTING_PYPROJECT, encoding="utf-8")
    before = snapshot(repo)
    result = init("--dry-run", "--eval-path", "notebooks/evals", "--owner", "@acme/evals")
    assert result.exit_code == 0, result.output
    assert snapshot(repo) == before
    assert "--- a/pyproject.toml\n+++ b/pyproject.toml\n" in result.output
    assert '+eval-paths = ["notebooks/evals/"]\n' in result.output
    assert "--- /dev/null\n+++ b/.github/workflows/nbgraduate.yml\n" in result.output
    assert "+/notebooks/evals/ @acme/evals\n" in result.output
    assert "pyproject.toml: would be updated:" in result.output
    assert result.output.rstrip().endswith("dry run: nothing was written")


def test_dry_run_after_init_shows_no_diff(repo: Path) -> None:
    assert init().exit_code == 0
    result = init("--dry-run")
    assert "+++" not in result.output and "---" not in result.output


# --- existing files ------------------------------------------------------------------------------


def test_existing_pyproject_and_pre_commit_config_keep_comments_and_order(repo: Path) -> None:
    (repo / "pyproject.toml").write_text(EXISTING_PYPROJECT, encoding="utf-8")
    (repo / ".pre-commit-config.yaml").write_text(EXISTING_PRE_COMMIT, encoding="utf-8")
    result = init("--eval-path", "evals/")
    assert result.exit_code == 0, result.output

    pyproject = (repo / "pyproject.toml").read_text(encoding="utf-8")
    assert pyproject.startswith(EXISTING_PYPROJECT)  # every byte kept, the table appended
    assert tomlkit.parse(pyproject)["tool"]["nbgraduate"]["eval-paths"] == ["evals/"]

    config = (repo / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    assert config.startswith(EXISTING_PRE_COMMIT)  # same indentation, comments and quotes
    added = config[len(EXISTING_PRE_COMMIT) :]
    assert added.startswith("# nbgraduate: lint staged eval notebooks")
    assert f"-   repo: {HOOK_REPOSITORY}\n    rev: {HOOK_REV}\n    hooks:\n" in added
    assert "    -   id: nbgraduate-guard\n" in added
    repos = yaml.safe_load(config)["repos"]
    assert [r["repo"] for r in repos][:2] == [
        "https://github.com/pre-commit/pre-commit-hooks",
        "https://github.com/astral-sh/ruff-pre-commit",
    ]


def test_existing_nbgraduate_table_gets_only_missing_eval_paths(repo: Path) -> None:
    text = '[tool.nbgraduate]\nselect = ["ALL"]  # everything\neval-paths = ["notebooks"]\n'
    (repo / "pyproject.toml").write_text(text, encoding="utf-8")
    assert init().exit_code == 0
    assert (repo / "pyproject.toml").read_text() == text  # no --eval-path: keep the configured
    assert init("--eval-path", "evals", "--eval-path", "notebooks/").exit_code == 0
    assert (repo / "pyproject.toml").read_text() == text.replace(
        '["notebooks"]', '["notebooks", "evals/"]'
    )


def test_partially_installed_hooks_are_completed_in_their_own_entry(repo: Path) -> None:
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {HOOK_REPOSITORY}.git\n  rev: v0.0.9\n  hooks:\n  - id: nbgraduate-lint\n",
        encoding="utf-8",
    )
    result = init()
    assert result.exit_code == 0
    assert (repo / ".pre-commit-config.yaml").read_text() == (
        f"repos:\n- repo: {HOOK_REPOSITORY}.git\n  rev: v0.0.9\n  hooks:\n"
        "  - id: nbgraduate-lint\n  - id: nbgraduate-verify\n  - id: nbgraduate-guard\n"
    )
    assert "keeps nbgraduate's hooks at rev v0.0.9" in result.output


def test_a_config_that_cannot_round_trip_is_left_alone_with_the_snippet(repo: Path) -> None:
    odd = "repos:\n    -   repo: local\n        hooks:\n          -  id: mine\n             entry: x\n"
    (repo / ".pre-commit-config.yaml").write_text(odd, encoding="utf-8")
    result = init()
    assert result.exit_code == 0
    assert (repo / ".pre-commit-config.yaml").read_text() == odd
    assert "cannot change nbgraduate's hooks without reformatting the file" in result.output
    assert "      - id: nbgraduate-guard" in result.output


def test_an_edited_workflow_is_kept_unless_forced(repo: Path) -> None:
    assert init().exit_code == 0
    path = repo / ".github" / "workflows" / "nbgraduate.yml"
    edited = path.read_text().replace('REPEATS: "3"', 'REPEATS: "10"')
    path.write_text(edited, encoding="utf-8")

    kept = init()
    assert kept.exit_code == 0
    assert path.read_text() == edited
    assert "differs from nbgraduate's template and was left as is" in kept.output

    preview = init("--dry-run", "--force")
    assert '-  REPEATS: "10"\n+  REPEATS: "3"\n' in preview.output
    assert path.read_text() == edited

    forced = init("--force")
    assert 'REPEATS: "3"' in path.read_text()
    assert "your changes to it were replaced (--force)" in forced.output


def test_codeowners_lines_are_appended_and_explicit_unowned_paths_respected(repo: Path) -> None:
    (repo / "CODEOWNERS").write_text("/docs/ @acme/docs\n/legacy/\n", encoding="utf-8")
    result = init("--eval-path", "evals", "--eval-path", "legacy", "--owner", "@acme/evals")
    assert result.exit_code == 0, result.output
    text = (repo / "CODEOWNERS").read_text()
    assert text.startswith("/docs/ @acme/docs\n/legacy/\n")
    assert text.rstrip().endswith("/evals/ @acme/evals")
    assert "/legacy/ @acme/evals" not in text
    assert "leaves legacy/ without an owner on purpose; not overriding it" in result.output
    assert not (repo / ".github" / "CODEOWNERS").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--owner", "acme evals"], "--owner 'acme evals' must be @org/team"),
        (["--eval-path", "../elsewhere"], "must be a directory inside the project"),
        (["--hook-rev", "-x; rm -rf /"], "is not a git tag, branch or commit"),
        (["--hook-repo", "https://example.invalid/${{ secrets.X }}"], "without spaces or quotes"),
        (["--index-version", "latest"], "--index-version 'latest' is not a PEP 440 version"),
    ],
)
def test_bad_options_are_usage_errors_and_write_nothing(
    repo: Path, args: list[str], message: str
) -> None:
    result = init(*args)
    assert result.exit_code == 2
    assert message in result.output
    assert snapshot(repo) == {}


def test_invalid_pyproject_is_reported_and_nothing_written(repo: Path) -> None:
    (repo / "pyproject.toml").write_text("[project\nname = 1\n", encoding="utf-8")
    result = init()
    assert result.exit_code == 2
    assert "invalid TOML" in result.output
    assert set(snapshot(repo)) == {"pyproject.toml"}


def test_init_in_a_subproject_puts_repository_files_at_the_work_tree_root(repo: Path) -> None:
    (repo / "service").mkdir()
    result = init("--root", "service", "--eval-path", "evals", "--owner", "@acme/evals")
    assert result.exit_code == 0, result.output
    assert set(snapshot(repo)) == {
        "service/pyproject.toml",
        ".pre-commit-config.yaml",
        ".github/workflows/nbgraduate.yml",
        ".github/CODEOWNERS",
        ".gitignore",  # `.nbgraduate/` at any depth: service/.nbgraduate/ too
    }
    assert "/service/evals/ @acme/evals" in (repo / ".github" / "CODEOWNERS").read_text()


def test_the_lint_only_workflow_is_pointed_out(repo: Path) -> None:
    lint_only = repo / ".github" / "workflows" / "nbgraduate-lint.yml"
    lint_only.parent.mkdir(parents=True)
    lint_only.write_text("name: nbgraduate lint\n", encoding="utf-8")
    result = init()
    assert result.exit_code == 0
    assert "nbgraduate-lint.yml (nbgraduate's lint-only template) lints too" in result.output
    assert lint_only.read_text() == "name: nbgraduate lint\n"


# --- where the hooks and CI's nbgraduate come from ----------------------------------------------


def test_hook_repo_and_rev_move_an_existing_entry_of_ours(repo: Path) -> None:
    config = repo / ".pre-commit-config.yaml"
    text = EXISTING_PRE_COMMIT + (
        f"-   repo: {HOOK_REPOSITORY}\n"
        '    rev: "v0.0.9"   # pinned by the platform team\n'
        "    hooks:\n"
        "    -   id: nbgraduate-lint\n"
        "    -   id: nbgraduate-verify\n"
        "    -   id: nbgraduate-guard\n"
    )
    config.write_text(text, encoding="utf-8")
    fork = "https://github.com/acme/nbgraduate-fork"
    result = init("--hook-repo", fork, "--hook-rev", "v0.1.1")
    assert result.exit_code == 0, result.output
    # Only the two values change: quoting, comment, indentation and the other entries stay.
    assert config.read_text() == text.replace(
        f"-   repo: {HOOK_REPOSITORY}\n", f"-   repo: {fork}\n"
    ).replace('"v0.0.9"', '"v0.1.1"')
    assert f"repo {HOOK_REPOSITORY} -> {fork}, rev v0.0.9 -> v0.1.1" in result.output
    assert workflow(repo)["env"]["NBGRADUATE_INSTALL"] == f"git+{fork}@v0.1.1"

    # The fork's entry is ours (it runs our hooks): a later --hook-rev alone moves only the rev.
    sha = "0123456789abcdef0123456789abcdef01234567"
    assert init("--hook-rev", sha).exit_code == 0
    entry = yaml.safe_load(config.read_text())["repos"][-1]
    assert (entry["repo"], entry["rev"]) == (fork, sha)
    assert workflow(repo)["env"]["NBGRADUATE_INSTALL"] == f"git+{fork}@{sha}"


def test_a_rev_that_yaml_would_read_as_a_number_is_quoted(repo: Path) -> None:
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {HOOK_REPOSITORY}\n  rev: v0.1.0\n  hooks:\n  - id: nbgraduate-lint\n",
        encoding="utf-8",
    )
    assert init("--hook-rev", "1234567e89").exit_code == 0  # a short sha that is also a float
    entry = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())["repos"][0]
    assert entry["rev"] == "1234567e89"


def test_without_hook_options_an_existing_entry_keeps_its_rev_and_ci_follows_it(
    repo: Path,
) -> None:
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {HOOK_REPOSITORY}\n  rev: v0.2.0\n  hooks:\n"
        "  - id: nbgraduate-lint\n  - id: nbgraduate-verify\n  - id: nbgraduate-guard\n",
        encoding="utf-8",
    )
    result = init()
    assert result.exit_code == 0
    assert "keeps nbgraduate's hooks at rev v0.2.0" in result.output
    assert f"`nbgraduate init --hook-rev {HOOK_REV}`" in result.output
    # CI installs what pre-commit runs, not what this nbgraduate happens to be.
    assert workflow(repo)["env"]["NBGRADUATE_INSTALL"] == (f"git+{HOOK_REPOSITORY}@v0.2.0")
    assert f"CI installs nbgraduate from {HOOK_REPOSITORY} at v0.2.0" in result.output


def test_index_version_installs_a_named_release_and_says_so(repo: Path) -> None:
    result = init("--index-version", "0.3.0")
    assert result.exit_code == 0, result.output
    assert workflow(repo)["env"]["NBGRADUATE_INSTALL"] == "nbgraduate==0.3.0"
    assert "CI installs nbgraduate==0.3.0 from the package index (--index-version)" in result.output
    config = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())
    assert config["repos"][0]["rev"] == HOOK_REV  # the hooks are not affected


def test_a_local_hook_repository_is_installed_from_a_file_url_with_a_warning(
    repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    clone = tmp_path_factory.mktemp("clone")
    result = init("--hook-repo", str(clone), "--hook-rev", "main")
    assert result.exit_code == 0, result.output
    assert workflow(repo)["env"]["NBGRADUATE_INSTALL"] == (f"git+{clone.as_uri()}@main")
    assert "which a hosted runner cannot reach" in result.output


def test_a_workflow_that_differs_only_in_what_it_installs_is_updated(repo: Path) -> None:
    assert init().exit_code == 0
    path = repo / ".github" / "workflows" / "nbgraduate.yml"
    moved = init("--hook-rev", "v0.1.1")
    assert moved.exit_code == 0
    assert (
        f"updated: CI installs nbgraduate from {HOOK_REPOSITORY} at v0.1.1, the pre-commit"
        f" hooks' source (was git+{HOOK_REPOSITORY}@{HOOK_REV})"
    ) in moved.output
    assert workflow(repo)["env"]["NBGRADUATE_INSTALL"] == f"git+{HOOK_REPOSITORY}@v0.1.1"

    # Edited elsewhere too: the user's file, left alone, and the warning says what each installs.
    path.write_text(path.read_text().replace('REPEATS: "3"', 'REPEATS: "5"'), encoding="utf-8")
    edited = path.read_text()
    kept = init("--index-version", "0.3.0")
    assert path.read_text() == edited
    assert (
        f"it installs git+{HOOK_REPOSITORY}@v0.1.1; the template would install nbgraduate==0.3.0"
    ) in kept.output


# --- .gitignore ------------------------------------------------------------------------------------


def test_gitignore_gets_the_run_store_appended_once(repo: Path) -> None:
    (repo / ".gitignore").write_text("__pycache__/\n*.pyc", encoding="utf-8")  # no final newline
    result = init()
    assert result.exit_code == 0
    text = (repo / ".gitignore").read_text()
    assert text.startswith("__pycache__/\n*.pyc\n\n# nbgraduate's run store")
    assert text.endswith("\n.nbgraduate/\n")
    assert ".gitignore: updated: added `.nbgraduate/`" in result.output
    assert init().exit_code == 0
    assert (repo / ".gitignore").read_text() == text


@pytest.mark.parametrize("pattern", [".nbgraduate", "/.nbgraduate/", "**/.nbgraduate/*", ".*/"])
def test_gitignore_that_already_ignores_the_store_is_left_alone(repo: Path, pattern: str) -> None:
    (repo / ".gitignore").write_text(f"{pattern}\n", encoding="utf-8")
    result = init()
    assert (repo / ".gitignore").read_text() == f"{pattern}\n"
    assert ".gitignore: unchanged: already ignores .nbgraduate/" in result.output


def test_gitignore_that_keeps_the_store_tracked_on_purpose_is_respected(repo: Path) -> None:
    text = ".*/\n!.nbgraduate/\n"
    (repo / ".gitignore").write_text(text, encoding="utf-8")
    result = init()
    assert (repo / ".gitignore").read_text() == text
    assert ".gitignore line 2 (`!.nbgraduate/`) keeps .nbgraduate/ tracked on purpose" in (
        result.output
    )


def test_gitignore_of_a_subproject_counts(repo: Path) -> None:
    (repo / "service").mkdir()
    (repo / "service" / ".gitignore").write_text(".nbgraduate/\n", encoding="utf-8")
    result = init("--root", "service")
    assert result.exit_code == 0
    assert not (repo / ".gitignore").exists()
    assert "already ignores service/.nbgraduate/" in result.output


def test_hook_rev_moves_only_the_rev_of_an_entry_spelled_with_dot_git(repo: Path) -> None:
    text = f"repos:\n- repo: {HOOK_REPOSITORY}.git\n  rev: v0.0.9\n  hooks:\n" + "".join(
        f"  - id: {hook_id}\n" for hook_id in HOOK_IDS
    )
    (repo / ".pre-commit-config.yaml").write_text(text, encoding="utf-8")
    result = init("--hook-repo", HOOK_REPOSITORY, "--hook-rev", "v0.1.1")
    assert result.exit_code == 0, result.output
    assert (repo / ".pre-commit-config.yaml").read_text() == text.replace("v0.0.9", "v0.1.1")
    assert "moved nbgraduate's hooks: rev v0.0.9 -> v0.1.1" in result.output
