"""The workflow ``init --hook-repo PATH --hook-rev SHA`` writes installs nbgraduate from that
repository at that revision: its install step is run here, as the runner would run it, in a
fresh virtual environment that has no package index (only the locked dependencies of this
environment), and the nbgraduate it gets is that source at that commit.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import yaml
from repo_builder import git, init_git
from typer.testing import CliRunner

from nbgraduate.cli.app import app

ROOT = Path(__file__).resolve().parent.parent
#: What a git clone of the project needs to build: hatchling reads these.
PROJECT_FILES = ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "src", "templates")
#: How GitHub's runners start a `run:` script with `shell: bash` (the default on Linux).
RUNNER_BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"]


def project_repository(path: Path) -> tuple[str, str]:
    """A git repository of this project's source with two commits: the source as it is, then a
    commit that changes ``__version__``. Returns (first commit, its version)."""
    path.mkdir()
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, path / name)
    init_git(path)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "the project as it is")
    pinned = git(path, "rev-parse", "HEAD").strip()
    init = path / "src" / "nbgraduate" / "__init__.py"
    text = init.read_text(encoding="utf-8")
    version = text.split('__version__ = "', 1)[1].split('"', 1)[0]
    init.write_text(text.replace(f'__version__ = "{version}"', '__version__ = "99.0.0"'))
    git(path, "commit", "-q", "-am", "a later revision the workflow must not install")
    return pinned, version


def fresh_venv(path: Path, locked: Path) -> Path:
    """A new virtual environment without pip or packages, that sees this environment's locked
    dependencies (through a .pth file) but not the nbgraduate installed here."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, timeout=120
    )
    ours = Path(sysconfig.get_paths()["purelib"])
    locked.mkdir()
    for entry in ours.iterdir():
        if "nbgraduate" not in entry.name.lower():
            (locked / entry.name).symlink_to(entry)
    python = path / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    (Path(purelib) / "locked_dependencies.pth").write_text(f"{locked}\n", encoding="utf-8")
    return python


def install_step(workflow: dict, job: str) -> tuple[str, dict[str, str]]:
    """The install step's script and the environment GitHub gives it (workflow, job, step)."""
    (step,) = [s for s in workflow["jobs"][job]["steps"] if s.get("name") == "Install nbgraduate"]
    env = {**workflow.get("env", {}), **workflow["jobs"][job].get("env", {}), **step.get("env", {})}
    # Secrets and other expressions are GitHub's to fill in; the install must not need them.
    plain = {key: str(value) for key, value in env.items() if "${{" not in str(value)}
    return step["run"], plain


def test_the_rendered_install_step_installs_the_hooks_source_at_the_hooks_revision(
    tmp_path: Path,
) -> None:
    clone = tmp_path / "nbgraduate-clone"
    pinned, version = project_repository(clone)
    repo = tmp_path / "evals-repo"
    repo.mkdir()
    init_git(repo)
    result = CliRunner().invoke(
        app, ["init", "--root", str(repo), "--hook-repo", str(clone), "--hook-rev", pinned]
    )
    assert result.exit_code == 0, result.output
    assert f"CI installs nbgraduate from {clone} at {pinned}" in result.output
    workflow = yaml.safe_load((repo / ".github" / "workflows" / "nbgraduate.yml").read_text())
    hooks = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())["repos"][0]
    assert (hooks["repo"], hooks["rev"]) == (str(clone), pinned)

    # Every job installs the same way; run the evaluate job's step.
    scripts = {install_step(workflow, job)[0] for job in workflow["jobs"]}
    assert scripts == {'python -m pip install "$NBGRADUATE_INSTALL"'}
    script, env = install_step(workflow, "evaluate")
    assert env["NBGRADUATE_INSTALL"] == f"git+{clone.as_uri()}@{pinned}"

    python = fresh_venv(tmp_path / "runner-venv", tmp_path / "locked")
    offline = {
        "PATH": f"{python.parent}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "PIP_CONFIG_FILE": os.devnull,  # no configured index or mirror
        "PIP_NO_INDEX": "1",  # the dependencies must already be there (the lock's)
        # Build with the locked hatchling, not a fetched one. pip stores this variable's value
        # in `build_isolation` itself, so "0" is what turns isolation off.
        "PIP_NO_BUILD_ISOLATION": "0",
        "PIP_NO_CACHE_DIR": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    installed = subprocess.run(
        [*RUNNER_BASH, script],
        cwd=repo,
        env={**env, **offline},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr

    probe = subprocess.run(
        [
            str(python),
            "-c",
            "import json, importlib.metadata as m, nbgraduate\n"
            "d = m.distribution('nbgraduate')\n"
            "print(json.dumps({'file': nbgraduate.__file__, 'version': nbgraduate.__version__,"
            " 'direct_url': json.loads(d.read_text('direct_url.json'))}))",
        ],
        cwd=tmp_path,
        env={"PATH": offline["PATH"], "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    found = json.loads(probe.stdout)
    venv_site = Path(sysconfig.get_paths(vars={"base": str(python.parent.parent)})["purelib"])
    assert Path(found["file"]).resolve().is_relative_to(venv_site.resolve())  # not this checkout
    assert found["version"] == version  # the pinned commit, not the later 99.0.0
    assert found["direct_url"]["url"] == clone.as_uri()
    assert found["direct_url"]["vcs_info"]["vcs"] == "git"
    assert found["direct_url"]["vcs_info"]["commit_id"] == pinned

    # The installed copy carries what `init` renders from: templates and the action pins.
    (tmp_path / "other").mkdir()
    rendered = subprocess.run(
        [str(python), "-m", "nbgraduate", "init", "--dry-run", "--root", str(tmp_path / "other")],
        cwd=tmp_path,
        env={"PATH": offline["PATH"], "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert rendered.returncode == 0, rendered.stdout + rendered.stderr
    assert "+      - uses: actions/checkout@" in rendered.stdout
