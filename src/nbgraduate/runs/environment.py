"""The kernel's environment against the lock: installed distributions, drift, and ``env`` builds.

``nbgraduate run`` checks, before executing, that the environment its kernel runs in has every
locked requirement at its locked version (direct pins from the lock, and the transitive pins of
``requirements.lock`` when the pipeline has one). Distributions are compared, not modules: a
module found on ``PYTHONPATH`` without distribution metadata (a local stand-in, a path
install) is reported, not counted as drift, since nothing says which version it is.

``nbgraduate env`` builds that environment: a virtual environment created from the pipeline's
hashed lock (with ``uv`` when it is on ``PATH``, else ``venv`` and pip), plus what running needs
beside the eval contract (``ipykernel`` and nbgraduate itself), with a Jupyter kernel
registered inside it. Its description (``env.json``) says where it is and which kernel to use;
``run --env`` reads it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from nbgraduate.core.errors import NbgraduateError
from nbgraduate.lock.lockfile import PipelineLock

__all__ = [
    "ENV_FILENAME",
    "EnvironmentCheck",
    "EnvironmentError_",
    "PipelineEnvironment",
    "check_environment",
    "create_environment",
    "environment_dir",
    "installed_distributions",
    "load_environment",
    "locked_pins",
]

ENV_FILENAME = "env.json"
TRANSITIVE_LOCK_FILENAME = "requirements.lock"


class EnvironmentError_(NbgraduateError):
    """The environment cannot be built or used; the message says what to do."""

    exit_code = 3


def canonical(name: str) -> str:
    """PEP 503 normalisation (:func:`nbgraduate.knowledge.packages.canonical_name`)."""
    from nbgraduate.knowledge.packages import canonical_name

    return canonical_name(name)


@dataclass(frozen=True, slots=True)
class EnvironmentCheck:
    """``drift``: locked requirements missing or at another version; ``reported``: locked names
    importable as modules without distribution metadata (not checked, not drift)."""

    drift: list[str] = field(default_factory=list)
    reported: list[str] = field(default_factory=list)


def locked_pins(lock: PipelineLock, pipeline_dir: Path) -> dict[str, str]:
    """Every pinned requirement: the lock's direct pins, then ``requirements.lock``'s."""
    from nbgraduate.lock.requirements import read_requirements

    pins = {canonical(r.name): r.version for r in lock.requirements}
    transitive = pipeline_dir / TRANSITIVE_LOCK_FILENAME
    if transitive.is_file():
        for pin in read_requirements(transitive).pins:
            pins.setdefault(canonical(pin.name), pin.version)
    return pins


def installed_distributions(site_dirs: list[Path] | None = None) -> dict[str, str]:
    """``canonical name -> version`` of the distributions in ``site_dirs`` (default: this
    interpreter's ``sys.path``)."""
    from importlib import metadata

    paths = None if site_dirs is None else [str(path) for path in site_dirs]
    found: dict[str, str] = {}
    distributions = (
        metadata.distributions() if paths is None else metadata.distributions(path=paths)
    )
    for distribution in distributions:
        name = distribution.metadata["Name"]
        if name:
            found.setdefault(canonical(name), distribution.version)
    return found


def check_environment(
    pins: dict[str, str],
    installed: dict[str, str],
    *,
    importable: object = None,
) -> EnvironmentCheck:
    """Compare locked pins with installed distributions. ``importable(module) -> bool`` says
    whether a module without a distribution is on the kernel's path (default: this process)."""
    is_importable = importable if callable(importable) else _importable_here
    drift: list[str] = []
    reported: list[str] = []
    for name, version in sorted(pins.items()):
        have = installed.get(name)
        if have == version:
            continue
        if have is not None:
            drift.append(f"{name}: locked {version}, installed {have}")
            continue
        module = name.replace("-", "_")
        if is_importable(module):
            reported.append(
                f"{name}: importable as `{module}` without distribution metadata "
                "(a local module or stand-in); its version is not checked"
            )
        else:
            drift.append(f"{name}: locked {version}, not installed")
    return EnvironmentCheck(drift, reported)


def _importable_here(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


# --- built environments --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PipelineEnvironment:
    """A virtual environment built for one pipeline, as ``env.json`` describes it."""

    path: str
    python: str
    kernel_name: str
    installer: str
    requirements: str
    nbgraduate: str

    @property
    def jupyter_path(self) -> str:
        """Where the environment's kernel spec lives (``JUPYTER_PATH`` for the run)."""
        return str(Path(self.path) / "share" / "jupyter")

    def site_dirs(self) -> list[Path]:
        root = Path(self.path)
        return sorted(root.glob("lib/python*/site-packages")) + sorted(
            root.glob("Lib/site-packages")
        )


def environment_dir(store_root: Path, pipeline_name: str) -> Path:
    """Where a pipeline's environment lives: under the run store, outside the pipeline (so it
    is never part of the lock, the commit or the linted files)."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", pipeline_name).strip("-.")
    return store_root / "envs" / (slug or "pipeline")


def load_environment(directory: Path) -> PipelineEnvironment:
    description = directory / ENV_FILENAME
    try:
        data = json.loads(description.read_text(encoding="utf-8"))
        return PipelineEnvironment(**data)
    except FileNotFoundError:
        raise EnvironmentError_(
            f"{directory}: no environment built for this pipeline; "
            "build it with `nbgraduate env PIPELINE`"
        ) from None
    except (ValueError, TypeError) as error:
        raise EnvironmentError_(f"{description}: unreadable ({error}); rebuild it") from None


def kernel_name_for(pipeline_name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", pipeline_name.lower()).strip("-") or "pipeline"
    return f"nbgraduate-{slug}"[:60]


def create_environment(
    pipeline_dir: Path,
    target: Path,
    *,
    kernel_name: str,
    nbgraduate_requirement: str,
    index_url: str | None = None,
    extra_args: list[str] | None = None,
) -> PipelineEnvironment:
    """Build the virtual environment at ``target`` from the pipeline's lock; replaces an
    environment built there before. Raises :class:`EnvironmentError_` naming the failed step."""
    lock_file = pipeline_dir / TRANSITIVE_LOCK_FILENAME
    hashed = lock_file.is_file()
    requirements = lock_file if hashed else pipeline_dir / "requirements.txt"
    if not requirements.is_file():
        raise EnvironmentError_(
            f"{pipeline_dir}: neither {TRANSITIVE_LOCK_FILENAME} nor requirements.txt; "
            "convert or lock the pipeline first"
        )
    uv = shutil.which("uv")
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    index = ["--index-url", index_url] if index_url else []
    extra = list(extra_args or [])
    if uv:
        _step("create the environment", [uv, "venv", "--python", sys.executable, str(target)])
        python = _python_in(target)
        install = [uv, "pip", "install", "--python", str(python), *index, *extra]
    else:
        _step("create the environment", [sys.executable, "-m", "venv", str(target)])
        python = _python_in(target)
        install = [
            str(python),
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            *index,
            *extra,
        ]
    if _has_requirements(requirements):
        hashes = ["--require-hashes"] if hashed else []
        _step("install the locked requirements", [*install, *hashes, "-r", str(requirements)])
    _step("install ipykernel", [*install, "ipykernel"])
    # The kernel only calls ``nbgraduate.record``, which needs nothing beyond the package.
    _step("install nbgraduate", [*install, "--no-deps", nbgraduate_requirement])
    _step(
        "register the kernel",
        [
            str(python),
            "-m",
            "ipykernel",
            "install",
            "--prefix",
            str(target),
            "--name",
            kernel_name,
            "--display-name",
            f"Python ({kernel_name})",
        ],
    )
    environment = PipelineEnvironment(
        path=str(target),
        python=str(python),
        kernel_name=kernel_name,
        installer="uv" if uv else "pip",
        requirements=requirements.name,
        nbgraduate=nbgraduate_requirement,
    )
    from nbgraduate.core.atomic import write_text_atomic

    write_text_atomic(target / ENV_FILENAME, json.dumps(asdict(environment), indent=2) + "\n")
    return environment


def _has_requirements(path: Path) -> bool:
    return any(
        line.strip() and not line.lstrip().startswith("#")
        for line in path.read_text(encoding="utf-8").splitlines()
    )


def _python_in(target: Path) -> Path:
    for candidate in (target / "bin" / "python", target / "Scripts" / "python.exe"):
        if candidate.exists():
            return candidate
    raise EnvironmentError_(f"{target}: no Python in the new environment")


def _step(what: str, command: list[str]) -> None:
    environment = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONHOME")}
    completed = subprocess.run(
        command, capture_output=True, text=True, env=environment, check=False, timeout=1800
    )
    if completed.returncode != 0:
        output = (completed.stderr or completed.stdout).strip().splitlines()
        tail = " | ".join(output[-3:]) if output else f"exit {completed.returncode}"
        raise EnvironmentError_(f"could not {what}: {tail}")


class EnvironmentDriftRefused(NbgraduateError):
    """The kernel's environment does not have the locked requirements, and the run was not told
    to go ahead."""

    exit_code = 2

    def __init__(self, pipeline_dir: Path, drift: list[str]) -> None:
        listed = "; ".join(drift[:3]) + (f" (+{len(drift) - 3} more)" if len(drift) > 3 else "")
        super().__init__(
            f"{pipeline_dir}: refusing to run, the kernel's environment differs from the lock: "
            f"{listed}; build a matching one with `nbgraduate env {pipeline_dir}` and run with "
            "--env, or pass --allow-drift"
        )


def environment_for_run(
    lock: PipelineLock, pipeline_dir: Path, store_root: Path, pipeline_name: str, use_env: bool
) -> tuple[PipelineEnvironment | None, EnvironmentCheck, dict[str, str]]:
    """The environment a run's kernel uses (``None``: this interpreter's), how it compares with
    the lock, and the versions of the locked requirements installed there."""
    pins = locked_pins(lock, pipeline_dir)
    if not use_env:
        installed = installed_distributions()
        check = check_environment(pins, installed)
        return None, check, installed
    environment = load_environment(environment_dir(store_root, pipeline_name))
    installed = installed_distributions(environment.site_dirs())
    # The environment is built from the lock alone: a module missing there is missing.
    check = check_environment(pins, installed, importable=lambda module: False)
    return environment, check, installed
