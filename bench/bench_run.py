"""Measure ``nbgraduate run`` against papermill alone, and repeats on 1 and 2 workers, in one run.

Usage: ``python bench/bench_run.py [--runs N] [--scaling-runs N] [--keep] [--check]``.

Both comparisons are between numbers measured in this run on this machine, so the verdicts
hold whatever the hardware. The script reports; it only gates with ``--check``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench_support import progress, scratch_directory, seconds

#: ``nbgraduate run`` of a one-cell pipeline may take at most this much longer than papermill
#: executing the same notebook with the same parameters (best of runs against best of runs).
OVERHEAD_TARGET = 0.10
#: ``--repeats 8 --workers 2`` over ``--repeats 8 --workers 1`` on CPU-bound cells (ideal 0.5).
SCALING_TARGET = 0.60
SCALING_REPEATS = 8
#: CPU seconds the scaling pipeline's cell burns, measured with ``time.process_time``.
CPU_WORK_S = 0.5

_OVERHEAD_RUNS = 7
_SCALING_RUNS = 2
_REFERENCE_RUNS = 5
_LISTED_IMPORT_S = 0.010
_SUBPROCESS_TIMEOUT_S = 600
_IMPORTTIME_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)\s*$")
#: What the ``run`` command imports in the CLI process, and what each worker process imports
#: to unpickle its initializer (it then imports papermill, as papermill alone does).
_CLI_RUN_IMPORTS = "import nbgraduate.cli.app, nbgraduate.runs.run, nbgraduate.runs.store"
_WORKER_IMPORTS = "import nbgraduate.runs.executor"

TRIVIAL_CELL = "total = seed + 1"
CPU_CELL = f"""\
import time

# Busy for {CPU_WORK_S} s of this process's CPU time, whatever else the machine is doing.
started = time.process_time()
while time.process_time() - started < {CPU_WORK_S}:
    pass"""

# papermill alone, as a user would call it: a fresh interpreter, the same notebook, parameters
# and kernel as ``nbgraduate run`` of the trivial pipeline. It prints how long the call took.
PAPERMILL_ALONE = """\
import sys
import time

import papermill

started = time.perf_counter()
papermill.execute_notebook(
    sys.argv[1],
    sys.argv[2],
    parameters={"seed": 0},
    kernel_name="python3",
    cwd=sys.argv[3],
    progress_bar=False,
    log_output=False,
)
print(time.perf_counter() - started)
"""


@dataclass
class Timing:
    """Wall times of repeated runs of one command, in seconds."""

    label: str
    samples: list[float] = field(default_factory=list)
    #: Of each papermill-alone run, the seconds spent inside ``papermill.execute_notebook``.
    inside_papermill: list[float] = field(default_factory=list)
    failure: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.samples) and not self.failure

    @property
    def best(self) -> float:
        return min(self.samples)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)


@dataclass
class RunSplit:
    """One ``nbgraduate run``'s wall time, split with its own record's timestamps."""

    wall_s: float
    #: From after verifying the lock to after the last repeat: store open, worker, papermill.
    record_s: float
    #: Inside ``papermill.execute_notebook`` in the worker.
    repeat_s: float


# --------------------------------------------------------------------------------------------
# Pipelines and commands


def _environment() -> dict[str, str]:
    # Users' interpreters write bytecode caches; a sandbox that forbids it would make every
    # start-up compile nbgraduate from source and charge that to the overhead.
    return {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def _nbgraduate() -> list[str]:
    return [sys.executable, "-m", "nbgraduate"]


def _run(argv: Sequence[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    completed = subprocess.run(
        argv,
        cwd=cwd,
        capture_output=True,
        text=True,
        env=_environment(),
        timeout=_SUBPROCESS_TIMEOUT_S,
        check=False,
    )
    return time.perf_counter() - start, completed


def _last_line(completed: subprocess.CompletedProcess[str]) -> str:
    text = completed.stderr.strip() or completed.stdout.strip()
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else f"exit {completed.returncode}, no output"


def _timed(timing: Timing, argv: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    seconds, completed = _run(argv, cwd)
    if completed.returncode != 0:
        timing.failure = timing.failure or f"exit {completed.returncode}: {_last_line(completed)}"
    else:
        timing.samples.append(seconds)
    return completed


def write_pipeline(directory: Path, cell: str) -> Path:
    """A locked pipeline: a typed ``parameters`` cell and one code cell."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    parameters = new_code_cell("seed: int = 0  # seed for every random generator")
    parameters.metadata["tags"] = ["parameters"]
    notebook = new_notebook(cells=[parameters, new_code_cell(cell)])
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    directory.mkdir(parents=True)
    nbformat.write(notebook, str(directory / f"{directory.name}.ipynb"))
    _, completed = _run([*_nbgraduate(), "lock", directory.name], directory.parent)
    if completed.returncode != 0:
        raise RuntimeError(f"nbgraduate lock {directory.name} failed: {_last_line(completed)}")
    return directory


def init_git(directory: Path) -> bool:
    """Make ``directory`` a committed git repository, as a real project is (runs record it)."""
    if shutil.which("git") is None:
        return False
    identity = ["-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    for argv in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "bench"]):
        subprocess.run(
            ["git", *identity, "-c", "commit.gpgsign=false", *argv],
            cwd=directory,
            capture_output=True,
            check=True,
        )
    return True


# --------------------------------------------------------------------------------------------
# Measurements


def measure_overhead(
    pipeline: Path, store: Path, runs: int
) -> tuple[Timing, Timing, list[RunSplit]]:
    """papermill alone and ``nbgraduate run``, alternated so drift in load hits both alike."""
    cwd = pipeline.parent
    notebook = pipeline / f"{pipeline.name}.ipynb"
    papermill_argv = [sys.executable, "-c", PAPERMILL_ALONE, str(notebook)]
    papermill_argv += [str(cwd / "papermill-out.ipynb"), str(pipeline)]
    run_argv = [*_nbgraduate(), "run", pipeline.name, "--store", str(store)]
    papermill = Timing("papermill alone (python -c, execute_notebook)")
    nbgraduate = Timing("nbgraduate run (CLI)")
    splits: list[RunSplit] = []
    # One untimed round first: bytecode caches and the page cache are warm for both.
    _run(papermill_argv, cwd)
    _run(run_argv, cwd)
    for _ in range(runs):
        completed = _timed(papermill, papermill_argv, cwd)
        if completed.returncode == 0:
            papermill.inside_papermill.append(float(completed.stdout.split()[-1]))
        completed = _timed(nbgraduate, run_argv, cwd)
        if completed.returncode == 0:
            split = _split(completed, nbgraduate.samples[-1], store, cwd)
            if split is not None:
                splits.append(split)
    return papermill, nbgraduate, splits


def _split(
    completed: subprocess.CompletedProcess[str], wall_s: float, store: Path, cwd: Path
) -> RunSplit | None:
    match = re.match(r"run (\S+): ", completed.stdout)
    if not match:
        return None
    _, shown = _run([*_nbgraduate(), "runs", "show", match[1], "--store", str(store)], cwd)
    if shown.returncode != 0:
        return None
    record = json.loads(shown.stdout)
    repeat_s = sum(repeat["duration_s"] for repeat in record["repeats"])
    return RunSplit(wall_s=wall_s, record_s=record["duration_s"], repeat_s=repeat_s)


def measure_scaling(pipeline: Path, store: Path, runs: int) -> tuple[Timing, Timing]:
    """``--repeats 8`` on one worker and on two, alternated."""
    base = [*_nbgraduate(), "run", pipeline.name, "--store", str(store)]
    base += ["--repeats", str(SCALING_REPEATS)]
    serial = Timing(f"run --repeats {SCALING_REPEATS} --workers 1")
    parallel = Timing(f"run --repeats {SCALING_REPEATS} --workers 2")
    for _ in range(runs):
        _timed(serial, [*base, "--workers", "1"], pipeline.parent)
        _timed(parallel, [*base, "--workers", "2"], pipeline.parent)
    return serial, parallel


def measure_reference(label: str, argv: Sequence[str], cwd: Path) -> Timing:
    timing = Timing(label)
    _run(argv, cwd)
    for _ in range(_REFERENCE_RUNS):
        _timed(timing, argv, cwd)
    return timing


def top_imports(code: str, cwd: Path) -> tuple[float, list[str]]:
    """Import time of ``python -c CODE``, and its imports of 10 ms or more, two levels deep.

    ``-X importtime`` prints a module after the modules it imported, indented two spaces per
    level; each entry shows ``name ms [its direct imports of 10 ms or more]``.
    """
    _, completed = _run([sys.executable, "-X", "importtime", "-c", code], cwd)
    total = 0.0
    ranked: list[tuple[float, str]] = []
    children: list[tuple[float, str]] = []
    for line in completed.stderr.splitlines():
        match = _IMPORTTIME_LINE.match(line)
        if not match:
            continue
        depth, name, elapsed = (len(match[3]) - 1) // 2, match[4], int(match[2]) / 1e6
        if depth == 1 and elapsed >= _LISTED_IMPORT_S:
            children.append((elapsed, name))
        elif depth == 0:
            total += elapsed
            if elapsed >= _LISTED_IMPORT_S:
                inner = ", ".join(f"{n} {s * 1000:.0f}" for s, n in sorted(children, reverse=True))
                ranked.append(
                    (elapsed, f"{name} {elapsed * 1000:.0f}" + (f" [{inner}]" if inner else ""))
                )
            children = []
    return total, [text for _, text in sorted(ranked, reverse=True)]


# --------------------------------------------------------------------------------------------
# Reporting


def _verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def _load() -> str:
    return f"{os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "n/a"


def _machine() -> str:
    cpus = os.cpu_count() or 1
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cpus
    try:
        from importlib.metadata import version

        versions = f"nbgraduate {version('nbgraduate')}, papermill {version('papermill')}"
    except Exception:
        versions = "versions unknown"
    return (
        f"{cpus} CPUs ({usable} usable), load {_load()}, {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.system()} {platform.machine()}, {versions}"
    )


def _row(label: str, best: str = "", median: str = "", ratio: str = "", target: str = "") -> str:
    return f"{label:<50} {best:>9} {median:>9} {ratio:>7}  {target}".rstrip()


def _timing_row(timing: Timing, ratio: str = "", target: str = "") -> str:
    if not timing.ok:
        return _row(timing.label, "FAILED", "", "", target)
    label = f"{timing.label} (n={len(timing.samples)})"
    return _row(label, seconds(timing.best), seconds(timing.median), ratio, target)


def _split_row(label: str, alone: str = "", run: str = "") -> str:
    return f"{label:<66} {alone:>10} {run:>10}".rstrip()


def _split_lines(papermill: Timing, splits: list[RunSplit]) -> list[str]:
    """Medians: inside papermill's call, and everything around it, for both commands.

    With one worker the first repeat's kernel is started before the imports and the lock check
    (``nbgraduate.runs.warm_kernel``), so part of the kernel's boot leaves the time
    "inside papermill" and overlaps the time around it.
    """
    if not (papermill.ok and papermill.inside_papermill and splits):
        return []
    alone_wall = papermill.median
    alone_inside = statistics.median(papermill.inside_papermill)
    wall = statistics.median(split.wall_s for split in splits)
    inside = statistics.median(split.repeat_s for split in splits)
    cli_side = statistics.median(split.wall_s - split.record_s for split in splits)
    worker_side = statistics.median(split.record_s - split.repeat_s for split in splits)
    return [
        _split_row("where the time goes (medians)", "papermill", "nbgraduate"),
        _split_row("  inside papermill.execute_notebook", seconds(alone_inside), seconds(inside)),
        _split_row("  around it", seconds(alone_wall - alone_inside), seconds(wall - inside)),
        _split_row("    outside the run record: start-up, imports, exit", "", seconds(cli_side)),
        _split_row(
            "    inside it, around the repeats: verify, store, papermill import",
            "",
            seconds(worker_side),
        ),
    ]


# --------------------------------------------------------------------------------------------
# Main


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs", type=int, default=_OVERHEAD_RUNS, help=f"overhead runs of each ({_OVERHEAD_RUNS})"
    )
    parser.add_argument(
        "--scaling-runs",
        type=int,
        default=_SCALING_RUNS,
        help=f"runs of each worker count ({_SCALING_RUNS})",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.scaling_runs < 1:
        parser.error("--runs and --scaling-runs must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    with scratch_directory("nbgraduate-bench-run-", keep=args.keep) as workdir:
        return _bench(args, workdir)


def _bench(args: argparse.Namespace, workdir: Path) -> int:
    machine = _machine()
    project = workdir / "project"
    project.mkdir()
    progress(f"writing and locking two pipelines in {project}")
    trivial = write_pipeline(project / "trivial", TRIVIAL_CELL)
    cpu_bound = write_pipeline(project / "cpu_bound", CPU_CELL)
    in_git = init_git(project)
    store = workdir / "store"

    progress(f"overhead: papermill alone vs nbgraduate run, {args.runs} runs of each")
    papermill, nbgraduate, splits = measure_overhead(trivial, store, args.runs)
    progress("references: interpreter, papermill import, CLI start-up, imports")
    references = [
        measure_reference("python -c pass", [sys.executable, "-c", "pass"], project),
        measure_reference(
            "python -c 'import papermill'", [sys.executable, "-c", "import papermill"], project
        ),
        measure_reference("nbgraduate --version", [*_nbgraduate(), "--version"], project),
        measure_reference(
            "nbgraduate verify trivial", [*_nbgraduate(), "verify", "trivial"], project
        ),
    ]
    cli_imports = top_imports(_CLI_RUN_IMPORTS, project)
    worker_imports = top_imports(_WORKER_IMPORTS, project)

    progress(
        f"scaling: --repeats {SCALING_REPEATS} of a {CPU_WORK_S} s CPU cell on 1 and 2 workers, "
        f"{args.scaling_runs} runs of each"
    )
    serial, parallel = measure_scaling(cpu_bound, store, args.scaling_runs)

    # ---- the table ------------------------------------------------------------------------
    lines = [f"nbgraduate run benchmark: {machine}"]
    lines.append(
        f"pipelines: one trivial cell; one cell burning {CPU_WORK_S} s of CPU; "
        f"{'in a git repository' if in_git else 'no git (commit not recorded)'}; "
        f"load at the end {_load()}"
    )
    if "PYTHONDONTWRITEBYTECODE" in os.environ:
        lines.append("PYTHONDONTWRITEBYTECODE was set; unset for the measured commands")
    lines.append("")
    lines.append(_row("measurement", "best", "median", "ratio", "target"))
    lines.append("-" * 100)

    overhead_ok = papermill.ok and nbgraduate.ok
    lines.append(_timing_row(papermill, "1.00x"))
    if overhead_ok:
        overhead = nbgraduate.best / papermill.best - 1
        overhead_ok = overhead <= OVERHEAD_TARGET
        ratio = f"{nbgraduate.best / papermill.best:.2f}x"
        target = f"<= +{OVERHEAD_TARGET:.0%} (+{overhead:.0%}) {_verdict(overhead_ok)}"
        lines.append(_timing_row(nbgraduate, ratio, target))
    else:
        lines.append(_timing_row(nbgraduate, "", f"<= +{OVERHEAD_TARGET:.0%} FAIL"))

    scaling_ok = serial.ok and parallel.ok
    lines.append(_timing_row(serial, "1.00x"))
    if scaling_ok:
        scaling = parallel.best / serial.best
        scaling_ok = scaling <= SCALING_TARGET
        target = f"<= {SCALING_TARGET:.2f}x (ideal 0.50x) {_verdict(scaling_ok)}"
        lines.append(_timing_row(parallel, f"{scaling:.2f}x", target))
    else:
        lines.append(_timing_row(parallel, "", f"<= {SCALING_TARGET:.2f}x FAIL"))

    lines.append("")
    lines += _split_lines(papermill, splits)
    lines.append("")
    lines.append("references:")
    lines += [_timing_row(reference) for reference in references]
    for label, (total, top) in (
        (f"CLI process ({_CLI_RUN_IMPORTS})", cli_imports),
        (f"each worker ({_WORKER_IMPORTS}; then papermill)", worker_imports),
    ):
        lines.append(f"imports of {label}: {total * 1000:.0f} ms; (ms) {'; '.join(top)}")
    for timing in (papermill, nbgraduate, serial, parallel, *references):
        if timing.failure:
            lines.append(f"FAILED {timing.label}: {timing.failure}")

    targets = {
        f"run overhead <= {OVERHEAD_TARGET:.0%}": overhead_ok,
        f"2 workers <= {SCALING_TARGET:.2f}x of 1": scaling_ok,
    }
    missed = [name for name, passed in targets.items() if not passed]
    verdict = "all targets met" if not missed else f"MISSED {', '.join(missed)}"
    gate = "gated (--check)" if args.check else "report only; --check gates"
    lines.append("")
    lines.append(f"{verdict}; {gate}")
    print("\n".join(lines))
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
