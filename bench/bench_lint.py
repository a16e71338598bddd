"""Measure ``nbgraduate lint`` against the pure-Python floor on one corpus, in one run.

Usage: ``python bench/bench_lint.py [--count N] [--seed S] [--corpus DIR] [--keep] [--check]``.

Every ratio printed is between two numbers measured in this run on this machine, so the
verdicts hold whatever the hardware. The script reports; it only gates with ``--check``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import parse_floor
from bench_support import progress, scratch_directory, seconds
from parse_floor import FloorStats

#: The whole corpus may take at most this multiple of the floor (best of runs vs best of runs).
CORPUS_RATIO_TARGET = 3.0
#: Linting one typical notebook from a cold interpreter, median of runs.
COLD_START_TARGET_S = 0.300
#: Heavy packages that only ``convert``/``run``/``lock`` may need; never the lint path.
FORBIDDEN_ON_LINT_PATH = ("scipy", "papermill", "libcst", "httpx", "pydantic")

_CORPUS_REPEAT = 3
_COLD_REPEAT = 10
_TOP_IMPORTS = 8
_SUBPROCESS_TIMEOUT_S = 3600
_MAX_CULPRITS = 5
_IMPORTTIME_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)\s*$")


@dataclass
class Timing:
    """Wall times of repeated runs of one thing, in seconds."""

    samples: list[float] = field(default_factory=list)

    @property
    def best(self) -> float:
        return min(self.samples)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)


@dataclass
class CommandRun:
    """The timing of a CLI measurement and what went wrong in it, if anything."""

    label: str
    timing: Timing = field(default_factory=Timing)
    crashed: bool = False
    failure: str = ""
    input_errors: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    forbidden_present: dict[str, list[str]]
    top_cumulative: list[tuple[str, float]]
    modules: int
    total_self_s: float
    failure: str = ""


# --------------------------------------------------------------------------------------------
# Corpus


def _load_generator() -> ModuleType:
    # Loaded by path so the bench works from any working directory and without a package.
    path = Path(__file__).with_name("generate_corpus.py")
    spec = importlib.util.spec_from_file_location("nbgraduate_bench_generate_corpus", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _lintable_files(root: Path) -> list[Path]:
    """What ``nbgraduate lint ROOT`` would discover in a plain corpus (no hidden directories)."""
    return [Path(p) for p in parse_floor.lintable_files(root)]


# --------------------------------------------------------------------------------------------
# The floor: what any notebook linter must at least do, in plain Python (``parse_floor.py``)


def _floor_once(files: Sequence[Path]) -> FloorStats:
    return parse_floor.floor_once(list(files))


def measure_floor(files: Sequence[Path], repeat: int) -> tuple[Timing, FloorStats]:
    """``json.loads`` + ``ast.parse`` of every code cell, single process, ``repeat`` times."""
    timing = Timing()
    stats = FloorStats()
    for _ in range(repeat):
        start = time.perf_counter()
        stats = _floor_once(files)
        timing.samples.append(time.perf_counter() - start)
    return timing, stats


# --------------------------------------------------------------------------------------------
# The CLI, as users run it


def _lint_argv(paths: Sequence[Path], report: Path, jobs: int | None) -> list[str]:
    argv = [sys.executable, "-m", "nbgraduate", "lint", *map(str, paths)]
    argv += ["--output-format", "json", "-o", str(report), "--exit-zero"]
    if jobs is not None:
        argv += ["--jobs", str(jobs)]
    return argv


def _run(argv: Sequence[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    completed = subprocess.run(
        argv,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=_SUBPROCESS_TIMEOUT_S,
        check=False,
    )
    return time.perf_counter() - start, completed


def _looks_crashed(completed: subprocess.CompletedProcess[str], ok_codes: Sequence[int]) -> bool:
    return "Traceback (most recent call last)" in completed.stderr or (
        completed.returncode not in (*ok_codes, 2)
    )


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else "(no output)"


def time_command(
    label: str,
    argv: Sequence[str],
    cwd: Path,
    repeat: int,
    ok_codes: Sequence[int] = (0,),
    warmup: bool = False,
) -> CommandRun:
    """Run ``argv`` ``repeat`` times; stop early and say why when it crashes.

    ``warmup`` adds one untimed run first, so a stale bytecode cache is not timed.
    """
    run = CommandRun(label)
    for attempt in range(repeat + warmup):
        try:
            elapsed, completed = _run(argv, cwd)
        except subprocess.TimeoutExpired:
            run.crashed = True
            run.failure = f"timed out after {_SUBPROCESS_TIMEOUT_S} s"
            return run
        if _looks_crashed(completed, ok_codes):
            run.crashed = True
            run.failure = f"exit {completed.returncode}: {_last_line(completed.stderr)}"
            return run
        if attempt >= warmup:
            run.timing.samples.append(elapsed)
        run.input_errors = [
            line for line in completed.stderr.splitlines() if line.startswith("error: ")
        ]
    return run


def find_crashing_files(files: Sequence[Path], cwd: Path, report: Path) -> list[tuple[Path, str]]:
    """Bisect the corpus with the real CLI (``--jobs 1``) down to the files that crash it."""
    culprits: list[tuple[Path, str]] = []

    def crashes(batch: Sequence[Path]) -> str | None:
        try:
            _, completed = _run(_lint_argv(batch, report, 1), cwd)
        except subprocess.TimeoutExpired:
            return "timed out"
        return _last_line(completed.stderr) if _looks_crashed(completed, (0,)) else None

    def search(batch: Sequence[Path]) -> None:
        if len(culprits) >= _MAX_CULPRITS:
            return
        reason = crashes(batch)
        if reason is None:
            return
        if len(batch) == 1:
            culprits.append((batch[0], reason))
            return
        middle = len(batch) // 2
        search(batch[:middle])
        search(batch[middle:])

    search(list(files))
    return culprits


def summarise_report(report: Path) -> tuple[int, Counter[str], int]:
    """Findings, findings per code, and files with at least one finding."""
    try:
        findings = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return 0, Counter(), 0
    codes = Counter(str(finding.get("code")) for finding in findings)
    files = len({finding.get("filename") for finding in findings})
    return len(findings), codes, files


def import_report(notebook: Path, cwd: Path) -> ImportReport:
    """What ``python -X importtime -m nbgraduate lint NOTEBOOK`` imports."""
    argv = [sys.executable, "-X", "importtime", "-m", "nbgraduate", "lint", str(notebook)]
    try:
        _, completed = _run(argv, cwd)
    except subprocess.TimeoutExpired:
        return ImportReport({}, [], 0, 0.0, failure="timed out")
    entries: list[tuple[str, int, int]] = []
    for line in completed.stderr.splitlines():
        match = _IMPORTTIME_LINE.match(line)
        if match:
            entries.append((match.group(4), int(match.group(1)), int(match.group(2))))
    failure = "" if entries else f"no -X importtime output: {_last_line(completed.stderr)}"
    forbidden: dict[str, list[str]] = {}
    for name, _, _ in entries:
        top = name.split(".")[0]
        if top in FORBIDDEN_ON_LINT_PATH:
            forbidden.setdefault(top, []).append(name)
    ranked = sorted(entries, key=lambda entry: entry[2], reverse=True)[:_TOP_IMPORTS]
    return ImportReport(
        forbidden_present=forbidden,
        top_cumulative=[(name, cumulative / 1e6) for name, _, cumulative in ranked],
        modules=len(entries),
        total_self_s=sum(self_us for _, self_us, _ in entries) / 1e6,
        failure=failure,
    )


# --------------------------------------------------------------------------------------------
# Reporting


def _verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def _machine() -> str:
    cpus = os.cpu_count() or 1
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cpus
    try:
        from importlib.metadata import version

        nbgraduate_version = version("nbgraduate")
    except Exception:
        nbgraduate_version = "?"
    load = f", load {os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else ""
    return (
        f"{cpus} CPUs ({usable} usable{load}), {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.system()} {platform.machine()}, "
        f"nbgraduate {nbgraduate_version}"
    )


def _row(label: str, best: str = "", median: str = "", ratio: str = "", target: str = "") -> str:
    return f"{label:<44} {best:>9} {median:>9} {ratio:>7}  {target}".rstrip()


def _lint_row(label: str, run: CommandRun, floor_best: float) -> tuple[str, bool]:
    if run.crashed or not run.timing.samples:
        return _row(label, "CRASH", "", "", f"<= {CORPUS_RATIO_TARGET:.1f}x FAIL"), False
    ratio = run.timing.best / floor_best
    passed = ratio <= CORPUS_RATIO_TARGET
    target = f"<= {CORPUS_RATIO_TARGET:.1f}x {_verdict(passed)}"
    best, median = seconds(run.timing.best), seconds(run.timing.median)
    return _row(label, best, median, f"{ratio:.1f}x", target), passed


# --------------------------------------------------------------------------------------------
# Main


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="files to generate (1000)")
    parser.add_argument("--seed", type=int, default=0, help="corpus seed (0)")
    parser.add_argument(
        "--corpus",
        type=Path,
        help="lint this directory; it is generated there first if it holds no notebooks",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--repeat", type=int, default=_CORPUS_REPEAT, help="corpus runs (3)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if args.count < 1 or args.repeat < 1:
        parser.error("--count and --repeat must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    generator = _load_generator()
    with scratch_directory("nbgraduate-bench-", keep=args.keep) as workdir:
        return _bench(args, generator, workdir)


def _bench(args: argparse.Namespace, generator: ModuleType, workdir: Path) -> int:
    corpus = args.corpus.resolve() if args.corpus else workdir / "corpus"
    summary = None
    if not (corpus.is_dir() and _lintable_files(corpus)):
        progress(f"generating {args.count} files (seed {args.seed}) into {corpus}")
        started = time.perf_counter()
        summary = generator.generate_corpus(corpus, args.count, args.seed)
        progress(f"generated in {time.perf_counter() - started:.1f} s")
    files = _lintable_files(corpus)
    typical = generator.write_typical_notebook(workdir / "typical" / "eval_20_cells.ipynb")
    report = workdir / "report.json"

    progress(f"floor: json.loads + ast.parse of {len(files)} files, best of {args.repeat}")
    floor, floor_stats = measure_floor(files, args.repeat)

    progress(f"lint CLI, default jobs, best of {args.repeat}")
    lint_default = time_command(
        "lint (default jobs)", _lint_argv([corpus], report, None), workdir, args.repeat
    )
    findings, codes, files_with_findings = summarise_report(report)
    progress(f"lint CLI, --jobs 1, best of {args.repeat}")
    lint_serial = time_command(
        "lint --jobs 1", _lint_argv([corpus], report, 1), workdir, args.repeat
    )
    culprits: list[tuple[Path, str]] = []
    if lint_default.crashed or lint_serial.crashed:
        progress("the linter crashed; bisecting the corpus to find the files")
        culprits = find_crashing_files(files, workdir, report)

    progress(f"cold start on {typical.name}, {_COLD_REPEAT} runs")
    cold_argv = [sys.executable, "-m", "nbgraduate", "lint", str(typical)]
    cold = time_command(
        "cold start", cold_argv, workdir, _COLD_REPEAT, ok_codes=(0, 1), warmup=True
    )
    bare = time_command("python -c pass", [sys.executable, "-c", "pass"], workdir, _COLD_REPEAT)
    imports = import_report(typical, workdir)

    # ---- the table ------------------------------------------------------------------------
    lines = [f"nbgraduate lint benchmark: {_machine()}"]
    if summary is not None:
        lines.append(
            f"corpus: {summary.files} files ({summary.ipynb_v4} ipynb v4, {summary.ipynb_v3} "
            f"ipynb v3, {summary.percent_scripts} percent .py, {summary.plain_scripts} plain .py), "
            f"{summary.total_bytes / 1e6:.1f} MB, {summary.cells:,} cells "
            f"({summary.code_cells:,} code, {summary.broken_cells} broken on purpose), "
            f"seed {args.seed}"
        )
    else:
        lines.append(
            f"corpus: {floor_stats.files} files, {floor_stats.total_bytes / 1e6:.1f} MB, "
            f"{floor_stats.code_cells:,} code cells, at {corpus}"
        )
    lines.append("")
    lines.append(_row("measurement", "best", "median", "ratio", "target"))
    lines.append("-" * 86)
    lines.append(
        _row(
            "floor: json.loads + ast.parse, 1 process",
            seconds(floor.best),
            seconds(floor.median),
            "1.0x",
        )
    )
    workers = os.cpu_count() or 1
    default_line, default_ok = _lint_row(
        f"lint CLI, default jobs ({workers} CPUs)", lint_default, floor.best
    )
    serial_line, serial_ok = _lint_row("lint CLI, --jobs 1", lint_serial, floor.best)
    lines += [default_line, serial_line]
    if cold.crashed or not cold.timing.samples:
        cold_ok = False
        lines.append(_row("cold: lint one 20-cell notebook", "CRASH", "", "", "FAIL"))
    else:
        cold_ok = cold.timing.median <= COLD_START_TARGET_S
        lines.append(
            _row(
                f"cold: lint one 20-cell notebook (n={_COLD_REPEAT})",
                seconds(cold.timing.best),
                seconds(cold.timing.median),
                "",
                f"<= {COLD_START_TARGET_S * 1000:.0f} ms (median) {_verdict(cold_ok)}",
            )
        )
    if bare.timing.samples:
        lines.append(
            _row(
                f"python -c pass (n={_COLD_REPEAT}, reference)",
                seconds(bare.timing.best),
                seconds(bare.timing.median),
            )
        )
    imports_ok = not imports.forbidden_present and not imports.failure
    if imports.failure:
        found = f"unknown ({imports.failure})"
    elif imports.forbidden_present:
        found = ", ".join(sorted(imports.forbidden_present))
    else:
        found = "none"
    lines.append(
        _row(f"heavy imports on the lint path: {found}", "", "", "", f"none {_verdict(imports_ok)}")
    )
    lines.append("")
    lines.append(
        f"floor parsed {floor_stats.code_cells:,} code cells and scripts in {floor_stats.files} "
        f"files ({floor_stats.total_bytes / 1e6:.1f} MB); {floor_stats.unparsable_cells:,} did "
        "not parse (IPython syntax, top-level await, broken on purpose)"
    )
    if findings:
        top_codes = ", ".join(f"{code} {count}" for code, count in codes.most_common(6))
        lines.append(
            f"findings: {findings:,} in {files_with_findings}/{len(files)} files; {top_codes}; "
            f"NBG703 {codes.get('NBG703', 0)}"
            + (f" (cells broken on purpose: {summary.broken_cells})" if summary else "")
        )
    errors = lint_default.input_errors or lint_serial.input_errors
    if errors:
        lines.append(f"input errors reported by lint: {len(errors)}; first: {errors[0]}")
    for run in (lint_default, lint_serial, cold, bare):
        if run.crashed:
            lines.append(f"CRASH in {run.label}: {run.failure}")
    for path, reason in culprits:
        lines.append(f"crashing file: {path}: {reason}")
    if imports.top_cumulative:
        top = ", ".join(f"{name} {seconds * 1000:.0f}" for name, seconds in imports.top_cumulative)
        lines.append(
            f"imports: {imports.modules} modules, {imports.total_self_s * 1000:.0f} ms in total; "
            f"top cumulative (ms): {top}"
        )
    for name, modules in sorted(imports.forbidden_present.items()):
        lines.append(f"forbidden import on the lint path: {name} ({', '.join(modules[:5])})")
    lines.append(f"heavy packages checked: {', '.join(FORBIDDEN_ON_LINT_PATH)}")
    targets = {
        "corpus <= 3x floor": default_ok,
        "cold start <= 300 ms": cold_ok,
        "no heavy imports": imports_ok,
    }
    missed = [name for name, passed in targets.items() if not passed]
    verdict = ["all targets met" if not missed else f"MISSED {', '.join(missed)}"]
    if not serial_ok:
        verdict.append("--jobs 1 is over 3x as well (informational)")
    verdict.append("gated (--check)" if args.check else "report only; --check gates")
    lines.append("verdict: " + "; ".join(verdict))
    print("\n".join(lines))
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
