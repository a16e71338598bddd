"""Every speed target of nbgraduate, measured in one run: lint against the parse floor, cold
start, start-up imports, the bootstrap gate and a pre-commit commit.

Usage: ``python bench/bench_speed.py [--corpus DIR] [--count N] [--repeat R] [--cold-runs N]
[--skip-gate] [--gate-runs N] [--skip-pre-commit] [--instructions] [--keep] [--check]``.

Each lint figure is a ratio of two numbers measured in this run, on the real corpus
(``../shared/corpus`` beside the checkout, ``NBGRADUATE_CORPUS`` or ``--corpus``) and on a
generated one (``--count`` files, ``generate_corpus.py``). This machine's speed drifts by a
third over minutes, so the two sides of a ratio are measured side by side: ``--repeat`` rounds,
each timing the floor and then every lint command once, and a figure is the median over the
rounds of each round's own ratio (the row shows the median round's two numbers):

* **floor**: ``parse_floor.py CORPUS`` as a process of its own: read every file,
  ``json.loads`` it and ``ast.parse`` every code cell; its CPU time (user + system, from
  ``getrusage``) and wall time. Lint and the floor are measured alike, each a fresh
  interpreter that grows its own heap: the floor timed inside this warm process skips start-up
  and reuses memory the earlier passes faulted in, so lint's CPU per unit of work looks worse
  beside it than it is (an informational row gives that ratio too);
* **lint --jobs 1, CPU**: the CPU time (user + system, from ``getrusage``) of
  ``nbgraduate lint --jobs 1`` as a subprocess, interpreter start-up included, over the
  floor's CPU time;
* **lint default jobs, wall**: the wall time of ``nbgraduate lint`` with its default worker
  count over the floor's wall time (the floor uses one core, lint all of them);
* **lint warm re-run, wall**: the same command once more over the unchanged corpus, after one
  untimed run filled a fresh result cache (``NBGRADUATE_CACHE_DIR`` in the temp dir), over the
  floor's wall time. Every other lint figure runs with ``--no-cache``. An informational row
  gives the warm run's CPU time, with the start-up part (lint of an empty directory) beside it.

``--instructions`` adds, for each corpus, an informational row that does not move with the
machine: the instructions ``nbgraduate lint --jobs 1 --no-cache`` executes (start-up
included, counted by valgrind's cachegrind without cache simulation) over those of the floor's
work (the ``parse_floor.py`` process, start-up included likewise). On a
machine shared with other jobs the CPU-time ratio moves by a tenth from round to round; this
one is the same in every run (about a minute per corpus).

Cold start is ``nbgraduate lint`` on one typical 20-cell notebook, median of ``--cold-runs``
after one untimed run; start-up imports are what ``-X importtime`` shows for ``--version``,
``--help`` and that lint. The gate row is ``bench_gate.py``'s continuous bootstrap (100,000
paired examples, 10,000 resamples, best of ``--gate-runs`` (5): the machine slows by a third for
minutes at a time, and the best run is the gate's own speed); the pre-commit row is ``bench_hooks.py
--pre-commit`` (all three hooks on a commit of five notebooks, median; it needs PyPI once to
build the hooks' environment). The header and footer give the load average, which moves
every wall-time figure. The script reports; ``--check`` exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import bench_lint
import parse_floor
from bench_support import progress, scratch_directory, seconds

REPO_ROOT = Path(__file__).resolve().parents[1]
REAL_CORPUS = Path(os.environ.get("NBGRADUATE_CORPUS") or REPO_ROOT.parent / "shared" / "corpus")

#: ``--jobs 1`` CPU time over the floor's CPU time.
SERIAL_CPU_RATIO = 2.5
#: Default-jobs wall time over the floor's (single-process) wall time.
PARALLEL_WALL_RATIO = 1.5
#: A warm re-run of the unchanged corpus (every file from the cache) over the floor's wall time.
WARM_WALL_RATIO = 0.3
#: ``nbgraduate lint`` of one typical notebook from a cold interpreter, median.
COLD_START_S = 0.120
#: The bootstrap gate on 100,000 paired continuous differences with 10,000 resamples.
GATE_BOOTSTRAP_S = 2.0
#: ``pre-commit run`` with the three hooks on a commit of five notebooks, median.
PRE_COMMIT_S = 1.0
#: Never imported by ``--version``, ``--help`` or ``lint``.
NOT_AT_START_UP = ("typer", "click", "shellingham", "email", "nbgraduate.github")

_TIMEOUT_S = 3600


@dataclass(frozen=True)
class Measured:
    """One figure against its target."""

    label: str
    value: str
    reference: str
    ratio: str
    target: str
    passed: bool | None  # None: not measured (skipped or not applicable)


# -- measuring ------------------------------------------------------------------------------


def floor_times(corpus: Path, workdir: Path) -> tuple[float, float]:
    """``(CPU, wall)`` of the floor as its own process (``parse_floor.py CORPUS``), measured as
    lint is: user + system time from ``getrusage``, interpreter start-up included."""
    wall, cpu, completed = run_timed([sys.executable, str(_PARSE_FLOOR), str(corpus)], workdir)
    if completed.returncode != 0:
        raise RuntimeError(f"the floor failed ({completed.returncode}): {completed.stderr[-2000:]}")
    return cpu, wall


def floor_in_process(files: Sequence[Path]) -> float:
    """CPU time (``time.process_time``) of one pass of the floor inside this warm process."""
    started = time.process_time()
    parse_floor.floor_once(list(files))
    return time.process_time() - started


_PARSE_FLOOR = Path(__file__).with_name("parse_floor.py")


#: As on a user's machine: Python writes bytecode caches (an environment that forbids them makes
#: every start-up compile nbgraduate's sources again).
_ENVIRONMENT = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_timed(argv: Sequence[str], cwd: Path, env: dict[str, str] | None = None):
    """``(wall, CPU of the process and every process it waited for, completed)``."""
    env = {**_ENVIRONMENT, **(env or {})}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    completed = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=_TIMEOUT_S, check=False
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, completed


def lint_times(
    corpus: Path,
    workdir: Path,
    jobs: int | None,
    repeat: int,
    cache: Path | None = None,
) -> tuple[float, float]:
    """``(best wall, best CPU)`` of ``nbgraduate lint CORPUS`` as a user runs it; without
    ``cache`` (a cache directory) with ``--no-cache``."""
    argv = [sys.executable, "-m", "nbgraduate", "lint", str(corpus)]
    argv += ["--no-cache"] if cache is None else []
    env = None if cache is None else {"NBGRADUATE_CACHE_DIR": str(cache)}
    argv += ["--output-format", "json", "-o", str(workdir / "report.json"), "--exit-zero"]
    if jobs is not None:
        argv += ["--jobs", str(jobs)]
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu, completed = run_timed(argv, workdir, env)
        if completed.returncode not in (0, 2) or "Traceback" in completed.stderr:
            raise RuntimeError(f"lint failed ({completed.returncode}): {completed.stderr[-2000:]}")
        walls.append(wall)
        cpus.append(cpu)
    return min(walls), min(cpus)


def imported(args: Sequence[str], cwd: Path) -> set[str]:
    argv = [sys.executable, "-X", "importtime", "-m", "nbgraduate", *args]
    _, _, completed = run_timed(argv, cwd)
    return {
        line.rsplit("|", 1)[1].strip()
        for line in completed.stderr.splitlines()
        if line.startswith("import time:") and "self [us]" not in line
    }


def _under(modules: set[str], prefixes: Sequence[str]) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes))


# -- the figures ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Round:
    """One round of a corpus's figures: the floor, then each lint command, back to back."""

    floor_cpu: float
    floor_wall: float
    in_process_floor_cpu: float
    serial_cpu: float
    parallel_wall: float
    warm_wall: float
    warm_cpu: float


def median_round(rounds: Sequence[Round], ratio: Callable[[Round], float]) -> Round:
    """The round whose ``ratio`` is the median of the rounds' (the lower one of an even
    count), so that the row's two numbers are ones measured side by side."""
    return sorted(rounds, key=ratio)[(len(rounds) - 1) // 2]


def corpus_figures(name: str, corpus: Path, workdir: Path, repeat: int) -> list[Measured]:
    files = bench_lint._lintable_files(corpus)
    progress(f"{name}: one untimed floor pass, one untimed run filling the result cache")
    stats = parse_floor.floor_once(list(files))
    floor_times(corpus, workdir)
    cache = workdir / f"cache-{name.replace(' ', '-')}"
    lint_times(corpus, workdir, None, 1, cache)
    rounds = []
    for number in range(1, repeat + 1):
        progress(f"{name}: round {number} of {repeat}: floor, lint --jobs 1, default jobs, warm")
        floor_cpu, floor_wall = floor_times(corpus, workdir)
        in_process = floor_in_process(files)
        _, serial_cpu = lint_times(corpus, workdir, 1, 1)
        parallel_wall, _ = lint_times(corpus, workdir, None, 1)
        warm_wall, warm_cpu = lint_times(corpus, workdir, None, 1, cache)
        rounds.append(
            Round(floor_cpu, floor_wall, in_process, serial_cpu, parallel_wall, warm_wall, warm_cpu)
        )
    empty = workdir / "empty"
    empty.mkdir(exist_ok=True)
    _, start_up_cpu = lint_times(empty, workdir, None, repeat)
    described = f"{name} ({stats.files} files, {stats.total_bytes / 1e6:.0f} MB)"
    serial = median_round(rounds, lambda r: r.serial_cpu / r.floor_cpu)
    parallel = median_round(rounds, lambda r: r.parallel_wall / r.floor_wall)
    warm = median_round(rounds, lambda r: r.warm_wall / r.floor_wall)
    warm_cpu = median_round(rounds, lambda r: r.warm_cpu / r.floor_cpu)
    in_process = median_round(rounds, lambda r: r.serial_cpu / r.in_process_floor_cpu)
    serial_ratio = serial.serial_cpu / serial.floor_cpu
    parallel_ratio = parallel.parallel_wall / parallel.floor_wall
    warm_ratio = warm.warm_wall / warm.floor_wall
    return [
        Measured(
            f"{described}: lint --jobs 1, CPU",
            seconds(serial.serial_cpu),
            f"floor {seconds(serial.floor_cpu)}",
            f"{serial_ratio:.2f}x",
            f"<= {SERIAL_CPU_RATIO}x",
            serial_ratio <= SERIAL_CPU_RATIO,
        ),
        Measured(
            f"{described}: lint --jobs 1, CPU, floor in-process",
            seconds(in_process.serial_cpu),
            f"floor {seconds(in_process.in_process_floor_cpu)}",
            f"{in_process.serial_cpu / in_process.in_process_floor_cpu:.2f}x",
            "",
            None,
        ),
        Measured(
            f"{described}: lint, default jobs, wall",
            seconds(parallel.parallel_wall),
            f"floor {seconds(parallel.floor_wall)}",
            f"{parallel_ratio:.2f}x",
            f"<= {PARALLEL_WALL_RATIO}x",
            parallel_ratio <= PARALLEL_WALL_RATIO,
        ),
        Measured(
            f"{described}: lint warm re-run, wall",
            seconds(warm.warm_wall),
            f"floor {seconds(warm.floor_wall)}",
            f"{warm_ratio:.2f}x",
            f"<= {WARM_WALL_RATIO}x",
            warm_ratio <= WARM_WALL_RATIO,
        ),
        Measured(
            f"{described}: lint warm re-run, CPU (start-up {seconds(start_up_cpu)})",
            seconds(warm_cpu.warm_cpu),
            f"floor {seconds(warm_cpu.floor_cpu)}",
            f"{warm_cpu.warm_cpu / warm_cpu.floor_cpu:.2f}x",
            "",
            None,
        ),
    ]


def instructions(argv: Sequence[str], cwd: Path) -> int | None:
    """Instructions ``argv`` executes, by valgrind's cachegrind; ``None`` when it cannot say."""
    import re
    import shutil

    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return None
    tool = ["--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]
    completed = subprocess.run(
        [valgrind, *tool, *argv],
        cwd=cwd,
        env={**_ENVIRONMENT, "PYTHONHASHSEED": "0"},
        capture_output=True,
        text=True,
        timeout=_TIMEOUT_S,
        check=False,
    )
    found = re.search(r"I\s+refs:\s+([\d,]+)", completed.stderr)
    return int(found.group(1).replace(",", "")) if found else None


def instruction_figures(name: str, corpus: Path, workdir: Path) -> list[Measured]:
    progress(f"{name}: instructions of the floor and of lint --jobs 1 (valgrind)")
    floor_argv = [sys.executable, str(_PARSE_FLOOR), str(corpus)]
    lint_argv = [sys.executable, "-m", "nbgraduate", "lint", str(corpus), "--no-cache"]
    lint_argv += ["--jobs", "1", "--exit-zero", "--output-format", "json"]
    lint_argv += ["-o", str(workdir / "report.json")]
    run_timed(lint_argv, workdir)  # bytecode and the regex table written, as for timed runs
    floor = instructions(floor_argv, workdir)
    lint = instructions(lint_argv, workdir)
    label = f"{name}: lint --jobs 1, instructions (valgrind)"
    if floor is None or lint is None:
        return [Measured(label, "n/a", "valgrind missing or failed", "", "", None)]
    return [
        Measured(
            label,
            f"{lint / 1e6:,.0f} M",
            f"floor {floor / 1e6:,.0f} M",
            f"{lint / floor:.2f}x",
            "",
            None,
        )
    ]


def cold_start_figures(workdir: Path, runs: int) -> list[Measured]:
    notebook = bench_lint._load_generator().write_typical_notebook(
        workdir / "typical" / "eval_20_cells.ipynb"
    )
    progress(f"cold start: lint {notebook.name}, {runs} runs after one untimed run")
    lint_argv = [sys.executable, "-m", "nbgraduate", "lint", "--no-cache", str(notebook)]
    bare_argv = [sys.executable, "-c", "pass"]
    run_timed(lint_argv, workdir)
    lint_walls, bare_walls = [], []
    for _ in range(runs):  # alternated, so a change in load hits both
        lint_walls.append(run_timed(lint_argv, workdir)[0])
        bare_walls.append(run_timed(bare_argv, workdir)[0])
    cold = statistics.median(lint_walls)
    bare = statistics.median(bare_walls)
    progress("start-up imports of --version, --help and lint")
    found: list[str] = []
    for args in (["--version"], ["--help"], ["lint", str(notebook)]):
        found += _under(imported(args, workdir), NOT_AT_START_UP)
    heavy = _under(imported(["lint", str(notebook)], workdir), bench_lint.FORBIDDEN_ON_LINT_PATH)
    return [
        Measured(
            f"cold start: lint one 20-cell notebook, median of {runs}",
            seconds(cold),
            f"python -c pass {seconds(bare)}",
            f"{cold / bare:.1f}x",
            f"<= {seconds(COLD_START_S)}",
            cold <= COLD_START_S,
        ),
        Measured(
            "start-up imports of --version, --help, lint: " + ", ".join(NOT_AT_START_UP),
            ", ".join(sorted(set(found))[:4]) or "none",
            "",
            "",
            "none",
            not found,
        ),
        Measured(
            "heavy imports of lint: " + ", ".join(bench_lint.FORBIDDEN_ON_LINT_PATH),
            ", ".join(sorted(set(heavy))[:4]) or "none",
            "",
            "",
            "none",
            not heavy,
        ),
    ]


def gate_figures(repeat: int) -> list[Measured]:
    import tempfile

    import bench_gate

    from nbgraduate.runs.store import open_store

    with tempfile.TemporaryDirectory(prefix="nbgraduate-bench-speed-gate-") as directory:
        store = Path(directory) / ".nbgraduate"
        progress("gate: writing two runs of 100,000 paired examples")
        baseline, candidate = bench_gate._records(100_000, 0)
        with open_store(store) as run_store:
            run_store.add(baseline)  # type: ignore[arg-type]
            run_store.add(candidate)  # type: ignore[arg-type]
        bench_gate._time_gate(store, "similarity", "t", 10_000, 1)  # imports numpy, scipy
        progress(f"gate: bootstrap, 10,000 resamples, best of {repeat}")
        walls, cpus, _ = bench_gate._time_gate(store, "similarity", "bootstrap", 10_000, repeat)
    best = min(walls)
    return [
        Measured(
            f"gate --method bootstrap, 100,000 x 10,000, best of {repeat}",
            seconds(best),
            f"CPU {seconds(min(cpus))}",
            "",
            f"< {seconds(GATE_BOOTSTRAP_S)}",
            best < GATE_BOOTSTRAP_S,
        )
    ]


def pre_commit_figures(workdir: Path, runs: int) -> list[Measured]:
    import bench_hooks

    repo = workdir / "hooks-repo"
    repo.mkdir()
    progress(f"pre-commit: graduating {bench_hooks.PIPELINES} pipelines")
    bench_hooks.build_repository(repo)
    timing = bench_hooks.time_pre_commit(repo, workdir, runs)
    median = timing.median
    return [
        Measured(
            f"pre-commit run, 3 hooks, commit of 5 notebooks, median of {runs}",
            seconds(median),
            f"best {seconds(timing.best)}",
            "",
            f"< {seconds(PRE_COMMIT_S)}",
            median < PRE_COMMIT_S and timing.exit_codes == {0},
        )
    ]


# -- the report -----------------------------------------------------------------------------


def _machine() -> str:
    from nbgraduate import __version__

    return (
        f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f},"
        f" {platform.python_implementation()} {platform.python_version()},"
        f" nbgraduate {__version__}"
    )


def _line(row: Measured) -> str:
    verdict = {True: "PASS", False: "FAIL", None: "(informational)"}[row.passed]
    return (
        f"{row.label:<66} {row.value:>9} {row.reference:>22} {row.ratio:>6}  {row.target} {verdict}"
    )


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REAL_CORPUS, help="the real corpus")
    parser.add_argument("--count", type=int, default=400, help="generated files (400)")
    parser.add_argument("--seed", type=int, default=0, help="generated corpus seed (0)")
    parser.add_argument("--repeat", type=int, default=5, help="rounds of lint figures (5)")
    parser.add_argument("--cold-runs", type=int, default=20, help="cold-start runs (20)")
    parser.add_argument("--hook-runs", type=int, default=10, help="pre-commit runs (10)")
    parser.add_argument("--skip-gate", action="store_true", help="no gate figure")
    parser.add_argument(
        "--gate-runs", type=int, default=5, help="timed bootstrap gates, the best counts (5)"
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count the lint and floor instructions (needs valgrind; informational)",
    )
    parser.add_argument(
        "--skip-pre-commit", action="store_true", help="no pre-commit figure (it needs PyPI)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    header = f"nbgraduate speed bench: {_machine()} at the start"
    if "PYTHONDONTWRITEBYTECODE" in os.environ:
        header += " (PYTHONDONTWRITEBYTECODE removed for the measured commands)"
    rows: list[Measured] = []
    with scratch_directory("nbgraduate-bench-speed-", keep=args.keep) as workdir:
        steps: list[Callable[[], list[Measured]]] = []
        if args.corpus.is_dir():
            steps.append(lambda: corpus_figures("real corpus", args.corpus, workdir, args.repeat))
        else:
            progress(f"no real corpus at {args.corpus}: its rows are skipped")
        generated = workdir / "generated"

        def generated_figures() -> list[Measured]:
            progress(f"generating {args.count} files (seed {args.seed})")
            bench_lint._load_generator().generate_corpus(generated, args.count, args.seed)
            return corpus_figures("generated corpus", generated, workdir, args.repeat)

        steps.append(generated_figures)
        if args.instructions:
            if args.corpus.is_dir():
                steps.append(lambda: instruction_figures("real corpus", args.corpus, workdir))
            steps.append(lambda: instruction_figures("generated corpus", generated, workdir))
        steps.append(lambda: cold_start_figures(workdir, args.cold_runs))
        if not args.skip_gate:
            steps.append(lambda: gate_figures(args.gate_runs))
        if not args.skip_pre_commit:
            steps.append(lambda: pre_commit_figures(workdir, args.hook_runs))
        for step in steps:
            rows += step()
    lines = [
        header,
        "",
        f"{'figure':<66} {'measured':>9} {'reference':>22} {'ratio':>6}  target",
        "-" * 122,
        *(_line(row) for row in rows),
        "",
        f"lint rows: the median of {args.repeat} rounds' ratios, each round timing the floor and"
        " every lint command back to back (the row shows the median round's two numbers)",
        f"load average at the end: {os.getloadavg()[0]:.2f} (wall-time figures grow with it;"
        " the --jobs 1 ratio is CPU time and moves least)",
    ]
    missed = [row.label for row in rows if row.passed is False]
    lines.append(
        "verdict: "
        + ("all targets met" if not missed else f"MISSED {len(missed)}: {'; '.join(missed)}")
        + ("; gated (--check)" if args.check else "; report only, --check gates")
    )
    print("\n".join(lines))
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
