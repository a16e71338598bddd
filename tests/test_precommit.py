"""The three hooks through pre-commit itself: a bad commit is blocked, a good one goes in.

pre-commit installs a hook repository at a commit (``repo:`` + ``rev:``), so the session
fixture ``hook_repository`` clones this project into a temp dir, copies the working tree over
the clone (uncommitted files too: the hooks being developed are what must run), and commits
it there; ``rev:`` is that commit. ``PRE_COMMIT_HOME`` is a session temp dir, so the hooks'
environment is built once per session: pre-commit pip-installs the project into its own
virtualenv exactly as for a user, but without any package index: pip sees this environment's
locked dependencies (``PYTHONPATH``, nbgraduate itself left out) and builds the project with
the locked hatchling (``PIP_NO_BUILD_ISOLATION=0``), so the tests run offline.

Each test copies a repository that ``nbgraduate init`` set up (hooks from that clone,
``evals/`` as eval path, an owner) holding a graduated pipeline, a legacy notebook outside
the eval paths and a baseline of their findings, then commits with ``git commit``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from repo_builder import (
    LEGACY,
    NOTEBOOK,
    PIPELINE,
    PROMPT,
    accept_current_findings,
    add_graduated_pipeline,
    git,
    init_git,
)

PROJECT = Path(__file__).resolve().parents[1]
LEGACY_NOTEBOOK = PROJECT / "fixtures" / "notebooks" / "legacy_judge_eval.ipynb"
HOOK_NAMES = {
    "nbgraduate-lint": "nbgraduate lint",
    "nbgraduate-verify": "nbgraduate verify",
    "nbgraduate-guard": "nbgraduate guard",
}

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or not (PROJECT / ".git").exists(),
    reason="needs git and a git checkout of the project",
)


@pytest.fixture(scope="session")
def hook_repository(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A clone of the project whose HEAD commit is the current working tree."""
    clone = tmp_path_factory.mktemp("hook-repository") / "nbgraduate"
    git(PROJECT, "clone", "--quiet", "--no-hardlinks", str(PROJECT), str(clone))
    listed = git(PROJECT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    wanted = {name for name in listed.split("\0") if name and (PROJECT / name).is_file()}
    for name in git(clone, "ls-files", "-z").split("\0"):
        if name and name not in wanted:
            (clone / name).unlink(missing_ok=True)
    for name in wanted:
        target = clone / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT / name, target)
    init_identity = ["-c", "user.name=nbgraduate tests", "-c", "user.email=tests@example.com"]
    git(clone, "add", "-A")
    git(clone, *init_identity, "commit", "--quiet", "--allow-empty", "-m", "working tree")
    return clone, git(clone, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="session")
def pre_commit_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SKIP", "PRE_COMMIT_COLOR")}
    env["PRE_COMMIT_HOME"] = str(tmp_path_factory.mktemp("pre-commit-home"))
    env["PRE_COMMIT_COLOR"] = "never"
    locked = locked_dependencies(tmp_path_factory.mktemp("locked-dependencies"))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(locked), env.get("PYTHONPATH")]))
    env.update(
        {
            "PIP_CONFIG_FILE": os.devnull,  # no configured index or mirror
            "PIP_NO_INDEX": "1",  # the dependencies are the lock's, already here
            "PIP_NO_BUILD_ISOLATION": "0",  # build with the locked hatchling, not a fetched one
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        }
    )
    return env


def locked_dependencies(directory: Path) -> Path:
    """This environment's installed packages (links), without nbgraduate or pip: the hooks'
    virtualenv gets its own nbgraduate from the hook repository and its own pip.

    A ``sitecustomize`` starts coverage in the hook processes when the tests run under it
    (``.pth`` files, which coverage's own start-up uses, are not read from ``PYTHONPATH``).
    """
    site_packages = Path(sysconfig.get_paths()["purelib"])
    for entry in site_packages.iterdir():
        name = entry.name.lower()
        if (
            "nbgraduate" in name
            or name == "pip"
            or name.startswith("pip-")
            or name.endswith(".pth")
        ):
            continue
        (directory / entry.name).symlink_to(entry)
    (directory / "sitecustomize.py").write_text(
        "import os\n"
        "if os.environ.get('COVERAGE_PROCESS_CONFIG') or os.environ.get('COVERAGE_PROCESS_START'):\n"
        "    import coverage\n"
        "    coverage.process_startup()\n",
        encoding="utf-8",
    )
    return directory


def run(repo: Path, env: dict[str, str], *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=600,
        check=False,
    )


def nbgraduate(repo: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run(repo, env, sys.executable, "-m", "nbgraduate", *args)


@pytest.fixture(scope="module")
def initialised(
    tmp_path_factory: pytest.TempPathFactory,
    hook_repository: tuple[Path, str],
    pre_commit_env: dict[str, str],
) -> Path:
    """The repository every test starts from, with pre-commit's hook installed."""
    clone, rev = hook_repository
    repo = tmp_path_factory.mktemp("precommit") / "repo"
    repo.mkdir()
    init_git(repo)
    result = nbgraduate(
        repo,
        pre_commit_env,
        "init",
        "--eval-path",
        "evals/",
        "--owner",
        "@acme/evals",
        "--hook-repo",
        str(clone),
        "--hook-rev",
        rev,
    )
    assert result.returncode == 0, result.stderr
    add_graduated_pipeline(repo)
    (repo / "legacy").mkdir()
    shutil.copy(LEGACY_NOTEBOOK, repo / "legacy" / "judge_eval.ipynb")
    accepted = accept_current_findings(repo)
    assert "NBG601" in accepted and "NBG101" in accepted, accepted
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "nbgraduate init, a graduated pipeline, a baseline")
    for command in (("install",), ("install-hooks",)):
        installed = run(repo, pre_commit_env, sys.executable, "-m", "pre_commit", *command)
        assert installed.returncode == 0, installed.stdout + installed.stderr
    return repo


@pytest.fixture
def repo(initialised: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "repo"
    shutil.copytree(initialised, copy, symlinks=True)
    return copy


def commit(repo: Path, env: dict[str, str], message: str) -> tuple[int, str]:
    git(repo, "add", "-A")
    result = run(repo, env, "git", "commit", "-m", message)
    return result.returncode, result.stdout + result.stderr


def statuses(output: str) -> dict[str, str]:
    """Each hook's verdict line: Passed, Failed or Skipped."""
    found = {}
    for hook_id, name in HOOK_NAMES.items():
        match = re.search(rf"^{re.escape(name)}\.+.*?(Passed|Failed|Skipped)$", output, re.M)
        found[hook_id] = match.group(1) if match else "missing"
    return found


def hook_output(output: str, hook_id: str) -> str:
    """What one hook printed (pre-commit shows it under ``- hook id: ID``)."""
    match = re.search(
        rf"- hook id: {hook_id}\n(.*?)(?=^nbgraduate \w+\.\.\.|\Z)", output, re.M | re.S
    )
    return match.group(1) if match else ""


def edit_notebook(path: Path, change) -> None:
    notebook = nbformat.read(str(path), as_version=4)
    change(notebook)
    nbformat.write(notebook, str(path))


def write_scratch_notebook(repo: Path, source: str) -> None:
    (repo / "scratch").mkdir(exist_ok=True)
    notebook = new_notebook(cells=[new_markdown_cell("# Exploration"), new_code_cell(source)])
    notebook.metadata["kernelspec"] = {"name": "python3", "language": "python"}
    nbformat.write(notebook, str(repo / "scratch" / "explore.ipynb"))


def test_generated_config_points_at_the_hook_repository(
    initialised: Path, hook_repository: tuple[Path, str], pre_commit_env: dict[str, str]
) -> None:
    config = (initialised / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    clone, rev = hook_repository
    assert f"repo: {clone}" in config and f"rev: {rev}" in config
    validated = run(
        initialised,
        pre_commit_env,
        sys.executable,
        "-m",
        "pre_commit",
        "validate-config",
        ".pre-commit-config.yaml",
    )
    assert validated.returncode == 0, validated.stdout + validated.stderr


def test_lint_hook_blocks_a_new_finding_and_accepts_baselined_ones(
    repo: Path, pre_commit_env: dict[str, str]
) -> None:
    # Good: the legacy notebook keeps its baselined findings; a new notebook is clean.
    def retitle(notebook: nbformat.NotebookNode) -> None:
        notebook.cells.insert(0, new_markdown_cell("Kept for reference; see evals/."))

    edit_notebook(repo / "legacy" / "judge_eval.ipynb", retitle)
    write_scratch_notebook(repo, 'JUDGE_MODEL = "gpt-4o-2024-08-06"\nprint(JUDGE_MODEL)')
    code, output = commit(repo, pre_commit_env, "legacy notes and a clean scratch notebook")
    assert code == 0, output
    assert statuses(output)["nbgraduate-lint"] == "Passed"

    # Bad: a floating judge alias in a new cell.
    write_scratch_notebook(repo, 'JUDGE_MODEL = "gpt-4o"\nprint(JUDGE_MODEL)')
    code, output = commit(repo, pre_commit_env, "float the judge")
    assert code == 1, output
    assert statuses(output)["nbgraduate-lint"] == "Failed"
    printed = hook_output(output, "nbgraduate-lint")
    assert "scratch/explore.ipynb:cell 2:1:15: NBG101 judge model id 'gpt-4o' floats" in printed
    assert "pin a dated snapshot such as gpt-4o-2024-08-06" in printed
    assert "legacy/judge_eval.ipynb" not in printed  # baselined: not reported again


def test_verify_hook_blocks_drift_and_accepts_a_relocked_change(
    repo: Path, pre_commit_env: dict[str, str]
) -> None:
    (repo / PROMPT).write_text("Be strict.\n{context}\n{question}\n{answer}\n", encoding="utf-8")
    code, output = commit(repo, pre_commit_env, "stricter judge prompt")
    assert code == 1, output
    assert statuses(output)["nbgraduate-verify"] == "Failed"
    printed = hook_output(output, "nbgraduate-verify")
    assert f"{PIPELINE}: 1 difference from nbgraduate.lock" in printed
    assert "prompt prompts/grounding_prompt.txt changed: sha256" in printed
    assert f"re-lock with: nbgraduate lock {PIPELINE}" in printed

    relocked = nbgraduate(repo, pre_commit_env, "lock", PIPELINE)
    assert relocked.returncode == 0, relocked.stderr
    code, output = commit(repo, pre_commit_env, "stricter judge prompt, re-locked")
    assert code == 0, output
    assert statuses(output)["nbgraduate-verify"] == "Passed"


def test_guard_hook_blocks_ad_hoc_notebooks_and_accepts_a_clean_pipeline_change(
    repo: Path, pre_commit_env: dict[str, str]
) -> None:
    # Bad: a new ad-hoc notebook under the eval path.
    shutil.copy(LEGACY / "support_judge.ipynb", repo / "evals" / "support_judge.ipynb")
    code, output = commit(repo, pre_commit_env, "new eval notebook")
    assert code == 1, output
    assert statuses(output)["nbgraduate-guard"] == "Failed"
    printed = hook_output(output, "nbgraduate-guard")
    assert "evals/support_judge.ipynb: not part of a graduated pipeline" in printed
    assert "graduate it: nbgraduate convert evals/support_judge.ipynb" in printed
    (repo / "evals" / "support_judge.ipynb").unlink()

    # Bad: the graduated notebook regains an install magic and saved outputs.
    def regress(notebook: nbformat.NotebookNode) -> None:
        notebook.cells.insert(2, new_code_cell("%pip install openai==1.51.0"))
        notebook.cells[3].execution_count = 1
        notebook.cells[3].outputs = [new_output("stream", name="stdout", text="ok\n")]

    original = (repo / NOTEBOOK).read_text(encoding="utf-8")
    edit_notebook(repo / NOTEBOOK, regress)
    code, output = commit(repo, pre_commit_env, "quick fix in the pipeline")
    assert code == 1, output
    printed = hook_output(output, "nbgraduate-guard")
    assert f"{NOTEBOOK}: graduated pipeline notebook regained ad-hoc patterns" in printed
    assert "cell 3, line 1: install command `%pip install openai==1.51.0`" in printed
    assert "cell 4: saved outputs or execution counts; clear them" in printed

    # Good: a parameter default changed where it belongs, and re-locked.
    (repo / NOTEBOOK).write_text(original, encoding="utf-8")

    def longer(notebook: nbformat.NotebookNode) -> None:
        (cell,) = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
        cell.source = cell.source.replace("max_tokens: int = 4", "max_tokens: int = 8")

    edit_notebook(repo / NOTEBOOK, longer)
    relocked = nbgraduate(repo, pre_commit_env, "lock", PIPELINE)
    assert relocked.returncode == 0, relocked.stderr
    code, output = commit(repo, pre_commit_env, "judge max_tokens 8")
    assert code == 0, output
    assert statuses(output) == dict.fromkeys(HOOK_NAMES, "Passed")


def test_lint_hook_accepts_a_dataset_staged_with_its_notebook(
    repo: Path, pre_commit_env: dict[str, str]
) -> None:
    """Committing a dataset is how it gets versioned: the commit that adds it together with
    the notebook reading it must pass, while leaving the dataset out of the commit fails."""
    (repo / "analysis" / "data").mkdir(parents=True)
    (repo / "analysis" / "data" / "new_eval.csv").write_text(
        "question,answer\nWhat is 2+2?,4\n", encoding="utf-8"
    )
    notebook = new_notebook(
        cells=[
            new_markdown_cell("# New eval set"),
            new_code_cell('import pandas as pd\ndf = pd.read_csv("data/new_eval.csv")'),
        ]
    )
    notebook.metadata["kernelspec"] = {"name": "python3", "language": "python"}
    nbformat.write(notebook, str(repo / "analysis" / "explore.ipynb"))

    # Bad: the notebook is committed, its dataset is left untracked.
    git(repo, "add", "analysis/explore.ipynb")
    result = run(repo, pre_commit_env, "git", "commit", "-m", "notebook without its data")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert statuses(output)["nbgraduate-lint"] == "Failed"
    printed = hook_output(output, "nbgraduate-lint")
    assert "analysis/explore.ipynb:cell 2:2:18: NBG201 dataset 'data/new_eval.csv'" in printed
    assert "(untracked: git does not track it)" in printed

    # Good: the dataset staged together with the notebook that reads it.
    code, output = commit(repo, pre_commit_env, "a new eval set and its notebook")
    assert code == 0, output
    assert statuses(output)["nbgraduate-lint"] == "Passed"
    assert "analysis/data/new_eval.csv" in git(repo, "ls-files")


def test_a_legacy_eval_walks_the_whole_lifecycle_without_hand_fixing(
    repo: Path, pre_commit_env: dict[str, str]
) -> None:
    """Issue 15's end-to-end path, with a real kernel and real git: a legacy notebook under
    ``evals/`` is converted with ``--move-source`` (its metric wired), committed through the
    three hooks without being blocked, run twice, gated PASS (an unchanged deterministic run
    of 80 examples at margin 0.1) and reported."""
    data = repo / "evals" / "data"
    data.mkdir(parents=True, exist_ok=True)
    rows = ["ticket_id,question,answer,reference"]
    for number in range(80):
        reference = f"policy {number % 7}"
        answer = reference if number % 5 else f"policy {number % 3}"
        rows.append(f"T{number:03d},What applies to ticket {number}?,{answer},{reference.upper()}")
    (data / "support_qa.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    legacy = new_notebook(
        cells=[
            new_markdown_cell("# Support answers against the policy book"),
            new_code_cell('import pandas as pd\n\ndf = pd.read_csv("data/support_qa.csv")'),
            new_code_cell(
                'df["correct"] = (df["answer"].str.lower() == df["reference"].str.lower())'
                '.astype(int)\nprint("accuracy", df["correct"].mean())'
            ),
        ]
    )
    legacy.metadata["kernelspec"] = {"name": "python3", "language": "python"}
    nbformat.write(legacy, str(repo / "evals" / "support_qa.ipynb"))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", "the legacy eval, from before the hooks")

    converted = nbgraduate(
        repo, pre_commit_env, "convert", "evals/support_qa.ipynb", "--move-source"
    )
    assert converted.returncode == 0, converted.stdout + converted.stderr
    pipeline = repo / "evals" / "support_qa"
    assert (pipeline / "legacy" / "support_qa.ipynb").is_file()
    assert not (repo / "evals" / "support_qa.ipynb").exists()
    report = (pipeline / "CONVERSION.md").read_text(encoding="utf-8")
    assert "nbgraduate.record('correct', df['correct'], ids=df['ticket_id'])" in report

    code, output = commit(repo, pre_commit_env, "graduate the support eval")
    assert code == 0, output
    assert statuses(output) == dict.fromkeys(HOOK_NAMES, "Passed")
    assert "R100\tevals/support_qa.ipynb\tevals/support_qa/legacy/support_qa.ipynb" in git(
        repo, "show", "--name-status", "--format=", "HEAD", "-M"
    )

    for repeat in ("first", "second"):
        ran = nbgraduate(repo, pre_commit_env, "run", "evals/support_qa")
        assert ran.returncode == 0, f"{repeat} run: {ran.stdout}{ran.stderr}"
        if repeat == "first":
            exported = nbgraduate(
                repo, pre_commit_env, "runs", "export", "latest", "-o", "base.json"
            )
            assert exported.returncode == 0, exported.stderr
    gated = nbgraduate(
        repo,
        pre_commit_env,
        "gate",
        "--baseline",
        "base.json",
        "--candidate",
        "latest",
        "--margin",
        "0.1",
        "--confidence",
        "0.95",
        "--output-format",
        "json",
    )
    assert gated.returncode == 0, gated.stdout + gated.stderr
    decision = json.loads(gated.stdout)
    assert decision["verdict"] == "PASS", decision
    [metric] = decision["metrics"]
    assert metric["name"] == "correct" and metric["n"] == 80 and metric["verdict"] == "PASS"

    reported = nbgraduate(repo, pre_commit_env, "report", "-o", "dashboard")
    assert reported.returncode == 0, reported.stdout + reported.stderr
    dashboard = (repo / "dashboard" / "index.html").read_text(encoding="utf-8")
    assert "evals/support_qa" in dashboard and "correct" in dashboard
