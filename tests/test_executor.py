"""Tests for the executor: real notebooks, run by papermill on real ipykernel kernels."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from nbgraduate.core.errors import InputFileError, UsageError
from nbgraduate.runs.executor import ExecutionRequest, RepeatOutcome, execute
from nbgraduate.runs.records import RunStatus

# Appends one metric line the way nbgraduate.record will, without depending on that API.
RECORD_CELL = """\
import json, os
with open(os.environ["NBGRADUATE_RECORD_FILE"], "a") as record:
    record.write(json.dumps({"repeat": int(os.environ["NBGRADUATE_REPEAT"]), "seed": seed}) + "\\n")
"""


def write_notebook(path: Path, *cells: str, parameters: str = "seed: int = 0") -> Path:
    """A pipeline notebook: a ``parameters``-tagged cell followed by ``cells``."""
    parameters_cell = new_code_cell(parameters)
    parameters_cell.metadata["tags"] = ["parameters"]
    notebook = new_notebook(cells=[parameters_cell, *(new_code_cell(cell) for cell in cells)])
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def request_for(notebook: Path, output_dir: Path, **options: Any) -> ExecutionRequest:
    settings: dict[str, Any] = {
        "parameters": {},
        "seed_parameter": "seed",
        "base_seed": 0,
        **options,
    }
    return ExecutionRequest(notebook=notebook, output_dir=output_dir, **settings)


def executed(outcome: RepeatOutcome, output_dir: Path) -> nbformat.NotebookNode:
    assert outcome.result.executed_notebook is not None
    return nbformat.read(output_dir.parent / outcome.result.executed_notebook, as_version=4)


def stream_text(notebook: nbformat.NotebookNode) -> str:
    return "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream"
    )


def test_a_passing_run_gets_its_parameters_injected_and_keeps_the_executed_notebook(
    tmp_path: Path,
) -> None:
    notebook = write_notebook(
        tmp_path / "pipeline" / "eval.ipynb",
        'import os\nprint("score", seed * scale)\nprint("cwd", os.getcwd())\n'
        'print("extra", os.environ["EVAL_MODE"])',
        parameters="seed: int = 0\nscale: int = 1",
    )
    output_dir = tmp_path / "run" / "executed"

    [outcome] = execute(
        request_for(
            notebook,
            output_dir,
            parameters={"scale": 3},
            base_seed=7,
            env={"EVAL_MODE": "ci"},
        )
    )

    result = outcome.result
    assert (result.repeat, result.seed, result.status, result.detail) == (
        0,
        7,
        RunStatus.PASSED,
        None,
    )
    assert result.executed_notebook == "executed/repeat-0.ipynb"
    assert result.ended_at >= result.started_at
    assert result.duration_s > 0
    ran = executed(outcome, output_dir)
    [injected] = [
        cell for cell in ran.cells if "injected-parameters" in cell.metadata.get("tags", [])
    ]
    assert "seed = 7" in injected.source
    assert "scale = 3" in injected.source
    text = stream_text(ran)
    assert "score 21" in text
    assert f"cwd {notebook.parent.resolve()}" in text  # the default working directory
    assert "extra ci" in text
    assert outcome.record_file == output_dir / "repeat-0.metrics.jsonl"
    assert not outcome.record_file.exists()  # this notebook recorded nothing


def test_repeats_get_consecutive_seeds_and_their_own_record_files(tmp_path: Path) -> None:
    notebook = write_notebook(
        tmp_path / "eval.ipynb", RECORD_CELL, "import os\nprint('parent', os.getppid())"
    )
    output_dir = tmp_path / "run" / "executed"
    output_dir.mkdir(parents=True)
    # Left by an earlier run in the same directory; must not leak into this one.
    (output_dir / "repeat-0.metrics.jsonl").write_text('{"repeat": 0, "seed": -1}\n')

    outcomes = execute(request_for(notebook, output_dir, base_seed=100, repeats=3))

    assert [outcome.result.repeat for outcome in outcomes] == [0, 1, 2]
    assert [outcome.result.seed for outcome in outcomes] == [100, 101, 102]
    assert all(outcome.result.status is RunStatus.PASSED for outcome in outcomes)
    assert len({outcome.record_file for outcome in outcomes}) == 3
    for repeat, outcome in enumerate(outcomes):
        lines = outcome.record_file.read_text().splitlines()
        assert [json.loads(line) for line in lines] == [{"repeat": repeat, "seed": 100 + repeat}]
    parents = {stream_text(executed(outcome, output_dir)).split()[-1] for outcome in outcomes}
    # With one worker the repeats run in the calling process, one after another.
    assert parents == {str(os.getpid())}
    assert os.environ.get("NBGRADUATE_RECORD_FILE") is None  # restored after every repeat


def test_no_seed_is_injected_without_a_base_seed(tmp_path: Path) -> None:
    request = request_for(tmp_path / "eval.ipynb", tmp_path / "out", base_seed=None, repeats=2)
    assert [request.seed_for(repeat) for repeat in range(2)] == [None, None]


def test_a_failing_assertion_is_an_eval_failure_naming_the_source_cell(tmp_path: Path) -> None:
    notebook = write_notebook(
        tmp_path / "eval.ipynb",
        "accuracy = 0.5",
        "assert accuracy > 0.9, 'accuracy below threshold'",
        "print('never reached')",
    )
    output_dir = tmp_path / "run" / "executed"

    [outcome] = execute(request_for(notebook, output_dir))

    # Cell 3 of the source notebook, although papermill's injected cell precedes it.
    assert outcome.result.status is RunStatus.EVAL_FAILED
    assert outcome.result.detail == "cell 3: AssertionError: accuracy below threshold"
    errors = [
        output
        for cell in executed(outcome, output_dir).cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert [error.ename for error in errors] == ["AssertionError"]


@pytest.mark.parametrize(
    ("code", "exception"),
    [
        ("import nbgraduate_surely_missing_module", "ModuleNotFoundError"),
        ("from json import no_such_name", "ImportError"),
    ],
)
def test_a_missing_module_is_an_infrastructure_error_not_an_eval_failure(
    tmp_path: Path, code: str, exception: str
) -> None:
    notebook = write_notebook(tmp_path / "eval.ipynb", "x = 1", code)

    [outcome] = execute(request_for(notebook, tmp_path / "run" / "executed"))

    assert outcome.result.status is RunStatus.INFRASTRUCTURE_ERROR
    detail = outcome.result.detail or ""
    assert detail.startswith(f"cell 3: {exception}: "), detail  # after the parameters cell
    assert "nbgraduate env" in detail


def test_a_cell_timeout_is_an_infrastructure_error_and_keeps_the_notebook(
    tmp_path: Path,
) -> None:
    notebook = write_notebook(
        tmp_path / "eval.ipynb", "print('before the slow cell')", "import time\ntime.sleep(60)"
    )
    output_dir = tmp_path / "run" / "executed"

    [outcome] = execute(request_for(notebook, output_dir, timeout=1))

    assert outcome.result.status is RunStatus.INFRASTRUCTURE_ERROR
    assert outcome.result.detail == "timeout: cell 3 exceeded 1s"
    # Kept with the outputs of the cells that did run.
    assert "before the slow cell" in stream_text(executed(outcome, output_dir))


def test_a_dying_kernel_is_an_infrastructure_error(tmp_path: Path) -> None:
    notebook = write_notebook(tmp_path / "eval.ipynb", "print('alive')", "import os\nos._exit(1)")
    output_dir = tmp_path / "run" / "executed"

    [outcome] = execute(request_for(notebook, output_dir))

    assert outcome.result.status is RunStatus.INFRASTRUCTURE_ERROR
    assert outcome.result.detail == "kernel died in cell 3"
    assert "alive" in stream_text(executed(outcome, output_dir))


def test_a_missing_kernel_is_an_infrastructure_error(tmp_path: Path) -> None:
    notebook = write_notebook(tmp_path / "eval.ipynb", "print('hello')")

    [outcome] = execute(
        request_for(notebook, tmp_path / "out", kernel_name="no-such-kernel-for-nbgraduate")
    )

    assert outcome.result.status is RunStatus.INFRASTRUCTURE_ERROR
    assert outcome.result.detail is not None
    assert outcome.result.detail.startswith("no kernel named 'no-such-kernel-for-nbgraduate'")


FLAKY_KERNEL = """\
import os, sys
attempts = os.path.join(os.path.dirname(os.path.abspath(__file__)), "attempts")
with open(attempts, "a") as log:
    log.write("x")
if os.path.getsize(attempts) <= int(os.environ["KERNEL_FAILURES"]):
    sys.exit("flaky kernel: refusing to start")
from ipykernel import kernelapp
kernelapp.launch_new_instance()
"""


def install_flaky_kernel(jupyter_path: Path) -> Path:
    """A kernel spec whose first ``KERNEL_FAILURES`` starts die, like a kernel losing a port race."""
    spec_dir = jupyter_path / "kernels" / "flaky"
    spec_dir.mkdir(parents=True)
    launcher = spec_dir / "launch.py"
    launcher.write_text(FLAKY_KERNEL)
    spec = {
        "argv": [sys.executable, str(launcher), "-f", "{connection_file}"],
        "display_name": "Flaky",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return spec_dir / "attempts"


@pytest.mark.parametrize(
    ("failures", "status"),
    [(1, RunStatus.PASSED), (3, RunStatus.INFRASTRUCTURE_ERROR)],
)
def test_a_kernel_that_dies_while_starting_is_started_again_twice(
    tmp_path: Path, failures: int, status: RunStatus
) -> None:
    attempts = install_flaky_kernel(tmp_path / "jupyter")
    notebook = write_notebook(tmp_path / "eval.ipynb", "print('ran')")
    output_dir = tmp_path / "run" / "executed"
    env = {"JUPYTER_PATH": str(tmp_path / "jupyter"), "KERNEL_FAILURES": str(failures)}

    [outcome] = execute(request_for(notebook, output_dir, kernel_name="flaky", env=env))

    assert outcome.result.status is status
    assert len(attempts.read_text()) == min(failures + 1, 3)
    if status is RunStatus.PASSED:
        assert "ran" in stream_text(executed(outcome, output_dir))
    else:
        assert outcome.result.detail == (
            "kernel did not start: Kernel died before replying to kernel_info"
            " (its log is executed/repeat-0.kernel.log)"
        )
        log = (output_dir / "repeat-0.kernel.log").read_text()
        assert log.count("flaky kernel: refusing to start") == 3


def test_two_workers_run_repeats_at_the_same_time_in_different_processes(tmp_path: Path) -> None:
    rendezvous = tmp_path / "rendezvous"
    rendezvous.mkdir()
    # Each repeat waits until both have started: with one process at a time it would time out.
    meet_cell = textwrap.dedent(
        """\
        import os, time
        here = os.environ["RENDEZVOUS"]
        open(os.path.join(here, os.environ["NBGRADUATE_REPEAT"]), "w").close()
        deadline = time.monotonic() + 60
        while len(os.listdir(here)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        print("met", len(os.listdir(here)), "parent", os.getppid())
        """
    )
    notebook = write_notebook(tmp_path / "eval.ipynb", meet_cell)
    output_dir = tmp_path / "run" / "executed"

    outcomes = execute(
        request_for(notebook, output_dir, repeats=2, workers=2, env={"RENDEZVOUS": str(rendezvous)})
    )

    assert [outcome.result.status for outcome in outcomes] == [RunStatus.PASSED] * 2
    words = [stream_text(executed(outcome, output_dir)).split() for outcome in outcomes]
    assert [line[:2] for line in words] == [["met", "2"], ["met", "2"]]
    parents = {line[-1] for line in words}
    assert len(parents) == 2
    assert str(os.getpid()) not in parents


INTERRUPTED_RUN = """\
import sys
from pathlib import Path
from nbgraduate.runs.executor import ExecutionRequest, execute

notebook, output_dir = Path(sys.argv[1]), Path(sys.argv[2])
outcomes = execute(ExecutionRequest(notebook, output_dir, {}, "seed", 0, repeats=2))
for outcome in outcomes:
    print(outcome.result.status.value, "|", outcome.result.detail, "|", outcome.result.executed_notebook)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_stops_the_run_and_reports_the_repeats_as_interrupted(tmp_path: Path) -> None:
    sleeping = tmp_path / "sleeping"
    slow_cell = f"import pathlib, time\npathlib.Path({str(sleeping)!r}).touch()\ntime.sleep(60)"
    notebook = write_notebook(tmp_path / "eval.ipynb", RECORD_CELL, slow_cell)
    output_dir = tmp_path / "run" / "executed"
    process = subprocess.Popen(
        [sys.executable, "-c", INTERRUPTED_RUN, str(notebook), str(output_dir)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        # The first repeat is inside its slow cell once that cell has touched its marker (the
        # metric file alone would race: the cell before may still be finishing).
        deadline = time.monotonic() + 60
        while not sleeping.exists():
            assert time.monotonic() < deadline, "the first repeat never started"
            assert process.poll() is None, "the run ended early"
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        stdout, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()

    assert process.returncode == 0
    assert stdout.splitlines() == [
        "infrastructure-error | interrupted in cell 3 | executed/repeat-0.ipynb",
        "infrastructure-error | interrupted before start | None",
    ]


def test_a_missing_notebook_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no such notebook"):
        execute(request_for(tmp_path / "missing.ipynb", tmp_path / "out"))


@pytest.mark.parametrize(
    ("option", "value"), [("repeats", 0), ("workers", 0), ("timeout", 0), ("timeout", -1.5)]
)
def test_nonsensical_request_options_are_usage_errors(
    tmp_path: Path, option: str, value: float
) -> None:
    with pytest.raises(UsageError, match=option):
        request_for(tmp_path / "eval.ipynb", tmp_path / "out", **{option: value})


@pytest.mark.parametrize("workers", [1, 2])
def test_progress_is_reported_as_tasks_start_and_end(tmp_path: Path, workers: int) -> None:
    from nbgraduate.runs.executor import Progress

    notebook = write_notebook(
        tmp_path / "eval.ipynb", "assert int(__import__('os').environ['NBGRADUATE_REPEAT']) != 1"
    )
    seen: list[Progress] = []
    outcomes = execute(
        request_for(
            notebook,
            tmp_path / "run" / "executed",
            repeats=3,
            workers=workers,
            progress=seen.append,
        )
    )
    assert [o.result.status.value for o in outcomes] == ["passed", "eval-failed", "passed"]
    assert seen[0].done == 0 and seen[0].total == 3
    assert seen[-1] == Progress(done=3, running=0, failed=1, total=3)
    assert [p.done for p in seen] == sorted(p.done for p in seen)
    assert max(p.running for p in seen) == workers
