"""Measure the three pre-commit hooks' commands on a commit of five graduated notebooks.

Usage: ``python bench/bench_hooks.py [--repeat N] [--keep] [--check] [--pre-commit]``.

The script builds a git repository in a temp dir: ``[tool.nbgraduate]`` with ``evals/`` as eval
path and a baseline, a CODEOWNERS line, and five pipelines graduated with ``nbgraduate
convert`` from ``fixtures/legacy/rag_grounding_eval.ipynb``, everything staged. It then times
each hook's command as pre-commit runs it (from the repository root, with the staged paths):
``nbgraduate lint --force-exclude`` and ``nbgraduate hook guard`` on the five notebooks,
``nbgraduate hook verify`` on every staged file. ``--pre-commit`` also times ``pre-commit run``
itself, with the hooks installed from a commit of this working tree (building the hooks'
environment first, untimed; it needs PyPI). The script reports; it gates only with ``--check``.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench_support import progress, scratch_directory

PROJECT = Path(__file__).resolve().parents[1]
FIXTURE = PROJECT / "fixtures" / "legacy" / "rag_grounding_eval.ipynb"
DATASET = PROJECT / "fixtures" / "legacy" / "data" / "rag_grounding.csv"
PIPELINES = 5
#: A commit of five notebooks: all three hooks, one after the other, as pre-commit runs them.
COMMIT_TARGET_S = 1.0
_TIMEOUT_S = 600


@dataclass
class Timing:
    label: str
    samples: list[float] = field(default_factory=list)
    exit_codes: set[int] = field(default_factory=set)

    @property
    def best(self) -> float:
        return min(self.samples)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)


def _run(argv: Sequence[str], cwd: Path, env: dict[str, str] | None = None):
    return subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=_TIMEOUT_S, check=False
    )


def _checked(argv: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    completed = _run(argv, cwd, env)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{completed.stdout}{completed.stderr}")
    return completed.stdout


def _nbgraduate(*args: str) -> list[str]:
    return [sys.executable, "-m", "nbgraduate", *args]


def build_repository(repo: Path) -> tuple[list[str], list[str]]:
    """Five graduated pipelines, staged; returns (staged notebooks, every staged file)."""
    (repo / "evals" / "data").mkdir(parents=True)
    shutil.copy(DATASET, repo / "evals" / "data" / DATASET.name)
    (repo / "pyproject.toml").write_text(
        '[tool.nbgraduate]\neval-paths = ["evals/"]\n', encoding="utf-8"
    )
    (repo / "CODEOWNERS").write_text("/evals/ @acme/evals\n", encoding="utf-8")
    source = repo / "evals" / FIXTURE.name
    shutil.copy(FIXTURE, source)
    for index in range(1, PIPELINES + 1):
        # Exit 1 is expected: conversion leaves the point-estimate gate (NBG601) to a human.
        _run(
            _nbgraduate(
                "convert",
                str(source.relative_to(repo)),
                "-o",
                f"evals/judge_{index}",
                "--pin",
                "gpt-4o=gpt-4o-2024-08-06",
            ),
            repo,
        )
        notebook = repo / "evals" / f"judge_{index}" / FIXTURE.name
        if not notebook.is_file():
            raise RuntimeError(f"convert wrote no {notebook}")
    source.unlink()
    _checked(_nbgraduate("lint", "--write-baseline", "nbgraduate-baseline.json"), repo)
    with (repo / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write('baseline = "nbgraduate-baseline.json"\n')
    _checked(["git", "init", "-q", "-b", "main"], repo)
    _checked(["git", "add", "-A"], repo)
    staged = _checked(["git", "diff", "--cached", "--name-only"], repo).split()
    notebooks = [name for name in staged if name.endswith(".ipynb")]
    return notebooks, staged


def time_command(label: str, argv: Sequence[str], cwd: Path, repeat: int, env=None) -> Timing:
    timing = Timing(label)
    _run(argv, cwd, env)  # warm-up: bytecode caches, file system caches
    for _ in range(repeat):
        start = time.perf_counter()
        completed = _run(argv, cwd, env)
        timing.samples.append(time.perf_counter() - start)
        timing.exit_codes.add(completed.returncode)
        if completed.returncode != 0:
            progress(
                f"{label} exited {completed.returncode}:\n{completed.stdout}{completed.stderr}"
            )
    return timing


def hook_repository(workdir: Path) -> tuple[Path, str]:
    """A clone of the project whose HEAD is the current working tree (as the tests build it)."""
    clone = workdir / "hook-repository"
    _checked(["git", "clone", "-q", "--no-hardlinks", str(PROJECT), str(clone)], workdir)
    listed = _checked(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], PROJECT
    )
    wanted = {name for name in listed.split("\0") if name and (PROJECT / name).is_file()}
    for name in _checked(["git", "ls-files", "-z"], clone).split("\0"):
        if name and name not in wanted:
            (clone / name).unlink(missing_ok=True)
    for name in wanted:
        (clone / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT / name, clone / name)
    identity = ["-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    _checked(["git", "add", "-A"], clone)
    _checked(["git", *identity, "commit", "-q", "--allow-empty", "-m", "working tree"], clone)
    return clone, _checked(["git", "rev-parse", "HEAD"], clone).strip()


def time_pre_commit(repo: Path, workdir: Path, repeat: int) -> Timing:
    clone, rev = hook_repository(workdir)
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {clone}\n    rev: {rev}\n    hooks:\n"
        "      - id: nbgraduate-lint\n      - id: nbgraduate-verify\n"
        "      - id: nbgraduate-guard\n",
        encoding="utf-8",
    )
    _checked(["git", "add", ".pre-commit-config.yaml"], repo)
    env = dict(os.environ)
    env.setdefault("PRE_COMMIT_HOME", str(workdir / "pre-commit-home"))
    progress("building the hooks' environment (untimed; pip installs the project)")
    started = time.perf_counter()
    _checked([sys.executable, "-m", "pre_commit", "install-hooks"], repo, env)
    progress(f"built in {time.perf_counter() - started:.0f} s")
    argv = [sys.executable, "-m", "pre_commit", "run", "--color", "never"]
    return time_command("pre-commit run (3 hooks)", argv, repo, repeat, env)


def _machine() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    from nbgraduate import __version__

    return (
        f"{os.cpu_count()} CPUs, load {load:.2f}, Python {platform.python_version()},"
        f" nbgraduate {__version__}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10, help="timed runs per command")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    parser.add_argument("--check", action="store_true", help="exit 1 if the target is missed")
    parser.add_argument(
        "--pre-commit", action="store_true", help="also time `pre-commit run` (needs PyPI)"
    )
    args = parser.parse_args(argv)
    with scratch_directory("nbgraduate-bench-hooks-", keep=args.keep) as workdir:
        return _bench(args, workdir)


def _bench(args: argparse.Namespace, workdir: Path) -> int:
    repo = workdir / "repo"
    repo.mkdir()
    progress(f"graduating {PIPELINES} pipelines into {repo}")
    notebooks, staged = build_repository(repo)
    rows = [
        time_command(
            "nbgraduate-lint",
            _nbgraduate("lint", "--force-exclude", *notebooks),
            repo,
            args.repeat,
        ),
        time_command(
            "nbgraduate-verify", _nbgraduate("hook", "verify", *staged), repo, args.repeat
        ),
        time_command(
            "nbgraduate-guard", _nbgraduate("hook", "guard", *notebooks), repo, args.repeat
        ),
    ]
    bare = time_command("python -c pass", [sys.executable, "-c", "pass"], repo, args.repeat)
    pre_commit = time_pre_commit(repo, workdir, args.repeat) if args.pre_commit else None

    total_median = sum(row.median for row in rows)
    total_best = sum(row.best for row in rows)
    lines = [
        f"nbgraduate hooks benchmark: {_machine()}",
        f"commit: {len(notebooks)} graduated notebooks, {len(staged)} staged files,"
        f" {args.repeat} timed runs per command after one warm-up",
        "",
        f"{'command':<28} {'best':>8} {'median':>8}  exit",
    ]
    for row in [*rows, bare, *([pre_commit] if pre_commit else [])]:
        codes = ",".join(str(code) for code in sorted(row.exit_codes))
        lines.append(f"{row.label:<28} {row.best:>7.3f}s {row.median:>7.3f}s  {codes}")
    verdict = "ok" if total_median <= COMMIT_TARGET_S else "MISSED"
    lines += [
        f"{'three hooks, one after other':<28} {total_best:>7.3f}s {total_median:>7.3f}s",
        "",
        f"target: the three hooks on a commit of {PIPELINES} notebooks in at most"
        f" {COMMIT_TARGET_S:.1f} s (sum of medians): {verdict}",
    ]
    print("\n".join(lines))
    failed = any(row.exit_codes != {0} for row in rows)
    if failed:
        print("a hook blocked the clean commit: see stderr")
    return 1 if args.check and (verdict != "ok" or failed) else 0


if __name__ == "__main__":
    raise SystemExit(main())
