"""Exact versions for a pipeline's requirements, whether or not they are installed here.

For each project the notebook installs or imports: the version installed in the converting
environment when it satisfies the notebook's own constraint (the best evidence of what the
notebook ran with), else the newest release on the package index that satisfies it (no
pre-releases unless the constraint names one, no yanked files, none that refuse this Python).
Import names become distributions through installed metadata first, then the packaged table
``data/import_names.toml`` (``sklearn`` -> ``scikit-learn``), then PEP 503 normalisation of the
name itself. What cannot be resolved is returned with its reason, never dropped.

The transitive, hashed lock (``requirements.lock``) is written by ``uv pip compile
--generate-hashes`` when ``uv`` is on ``PATH``, else by pip's own resolver (``pip install
--dry-run --ignore-installed --report``), from the direct pins, against the same index.
"""

from __future__ import annotations

import functools
import json
import platform
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import tomllib

from nbgraduate.graduate.package_index import IndexAnswer, PackageIndexClient

__all__ = [
    "LockOutcome",
    "distribution_for_import",
    "newest_satisfying",
    "transitive_lock",
    "write_transitive_lock",
]

TRANSITIVE_LOCK_FILENAME = "requirements.lock"


@functools.cache
def _import_table() -> dict[str, str]:
    text = (
        resources.files("nbgraduate.graduate")
        .joinpath("data/import_names.toml")
        .read_text(encoding="utf-8")
    )
    return dict(tomllib.loads(text)["distributions"])


@functools.cache
def _installed_modules() -> dict[str, list[str]]:
    from importlib import metadata

    return {
        module: sorted(set(names)) for module, names in metadata.packages_distributions().items()
    }


#: Namespace packages: many distributions share the top-level name, so the module path decides.
_NAMESPACES = frozenset({"google", "azure"})


def distribution_for_import(qualified: str) -> tuple[list[str], str]:
    """The distributions that provide ``qualified`` (``google.generativeai``, ``sklearn``) and
    where that came from: ``"installed"``, ``"table"`` or ``"name"``."""
    parts = qualified.split(".")
    top = parts[0]
    if top not in _NAMESPACES:
        installed = _installed_modules().get(top)
        if installed:
            return installed, "installed"
    table = _import_table()
    for length in range(len(parts), 0, -1):
        key = ".".join(parts[:length])
        if key in table:
            return [table[key]], "table"
    if top in _NAMESPACES:
        # ``google.cloud.firestore`` is ``google-cloud-firestore``, ``azure.identity`` is
        # ``azure-identity``: the convention of both namespaces.
        depth = 3 if len(parts) > 2 and parts[1] == "cloud" else 2
        return ["-".join(parts[:depth])], "name"
    return [top], "name"


def newest_satisfying(answer: IndexAnswer, constraint: str) -> tuple[str | None, str]:
    """The newest release version that satisfies ``constraint`` (a PEP 440 specifier set, or
    empty) and this Python; ``(None, reason)`` when there is none."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    try:
        wanted = SpecifierSet(constraint)
    except InvalidSpecifier:
        return None, f"the notebook's constraint {constraint!r} is not a version specifier"
    python = Version(platform.python_version())
    candidates: set[Version] = set()
    for release in answer.releases:
        if release.yanked:
            continue
        try:
            version = Version(release.version)
        except InvalidVersion:
            continue
        if release.requires_python:
            try:
                if python not in SpecifierSet(release.requires_python):
                    continue
            except InvalidSpecifier:
                continue
        candidates.add(version)
    allow_pre = any(Version(s.version).is_prerelease for s in wanted if _parses(s.version))
    matching = sorted(v for v in candidates if wanted.contains(v, prereleases=allow_pre))
    if matching:
        return str(matching[-1]), ""
    if not candidates:
        return None, "the index lists no installable release for this Python"
    return None, f"no release on the index satisfies {constraint!r}"


def _parses(text: str) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        Version(text.rstrip(".*"))
    except InvalidVersion:
        return False
    return True


@dataclass(frozen=True, slots=True)
class LockOutcome:
    """``written``: the lock file exists now; ``tool``: what produced it; ``problem``: why
    not."""

    written: bool
    tool: str
    problem: str = ""


def transitive_lock(pins: dict[str, str], index: PackageIndexClient, files: dict[str, str]) -> str:
    """Resolve ``requirements.lock`` into ``files`` (relative path -> text); says what
    happened, for the conversion report."""
    with tempfile.TemporaryDirectory(prefix="nbgraduate-lock-") as scratch:
        target = Path(scratch) / TRANSITIVE_LOCK_FILENAME
        outcome = write_transitive_lock(pins, target, index)
        if outcome.written:
            files[TRANSITIVE_LOCK_FILENAME] = target.read_text(encoding="utf-8")
            return f"written by `{outcome.tool}` (hashed, transitive)"
    if not pins:
        return ""
    return (
        f"not written ({outcome.problem}); `nbgraduate env` installs requirements.txt without "
        "hashes until the pipeline is converted again with the index reachable"
    )


def write_transitive_lock(
    pins: dict[str, str], target: Path, index: PackageIndexClient
) -> LockOutcome:
    """Resolve the full, hashed set of requirements for ``pins`` into ``target``."""
    if not pins:
        return LockOutcome(False, "", "no requirement to lock")
    if not index.reachable():
        return LockOutcome(False, "", index.unreachable or "the index is unreachable")
    with tempfile.TemporaryDirectory(prefix="nbgraduate-lock-") as scratch:
        direct = Path(scratch) / "requirements.in"
        direct.write_text("".join(f"{n}=={v}\n" for n, v in sorted(pins.items())), "utf-8")
        uv = shutil.which("uv")
        if uv:
            return _uv_compile(uv, direct, target, index.index_url)
        return _pip_report(direct, target, index.index_url, Path(scratch) / "report.json")


def _uv_compile(uv: str, direct: Path, target: Path, index_url: str) -> LockOutcome:
    completed = _run(
        [
            uv,
            "pip",
            "compile",
            str(direct),
            "--generate-hashes",
            "--quiet",
            "--no-header",
            "--index-url",
            index_url,
            "--python",
            sys.executable,
            "-o",
            str(target),
        ]
    )
    if completed is None or completed.returncode != 0:
        return LockOutcome(False, "uv", _failure(completed))
    return LockOutcome(True, "uv pip compile --generate-hashes")


def _pip_report(direct: Path, target: Path, index_url: str, report: Path) -> LockOutcome:
    completed = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--isolated",  # only the index chosen here: no configured mirrors or find-links
            "--dry-run",
            "--ignore-installed",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
            "--index-url",
            index_url,
            "--report",
            str(report),
            "-r",
            str(direct),
        ]
    )
    if completed is None or completed.returncode != 0 or not report.is_file():
        return LockOutcome(False, "pip", _failure(completed))
    lines = []
    for item in json.loads(report.read_text(encoding="utf-8")).get("install", []):
        metadata = item.get("metadata", {})
        hashes = (item.get("download_info", {}).get("archive_info", {}) or {}).get("hashes", {})
        name, version = metadata.get("name"), metadata.get("version")
        if not name or not version:
            continue
        line = f"{name}=={version}"
        if hashes.get("sha256"):
            line += f" \\\n    --hash=sha256:{hashes['sha256']}"
        lines.append((name.lower(), line))
    header = (
        "# The full, hashed set of requirements, resolved by pip (--dry-run --report) from\n"
        "# requirements.txt; `nbgraduate env` installs it with --require-hashes.\n"
    )
    from nbgraduate.core.atomic import write_text_atomic

    write_text_atomic(target, header + "".join(f"{line}\n" for _key, line in sorted(lines)))
    return LockOutcome(True, "pip install --dry-run --report")


def _run(command: list[str]) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    except (OSError, subprocess.SubprocessError):
        return None


def _failure(completed: subprocess.CompletedProcess[str] | None) -> str:
    if completed is None:
        return "the resolver could not be started"
    lines = [line for line in (completed.stderr or completed.stdout).splitlines() if line.strip()]
    return lines[-1].strip() if lines else f"the resolver exited {completed.returncode}"
