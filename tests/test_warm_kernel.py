"""The kernel started early for repeat 0 is the one that runs it, and is never left behind."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import nbformat
import pytest

from nbgraduate.lock.locking import lock_pipeline
from nbgraduate.runs.run import DriftRefused, RunOptions, run_pipeline
from nbgraduate.runs.warm_kernel import start_warm_kernel


@pytest.fixture
def pipeline(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    directory = tmp_path / "evals" / "tiny"
    directory.mkdir(parents=True)
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("seed: int = 0  # seed", metadata={"tags": ["parameters"]}),
            nbformat.v4.new_code_cell("import os\nprint('kernel', os.getpid())"),
        ]
    )
    notebook.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "P"}
    nbformat.write(notebook, directory / "tiny.ipynb")
    (directory / "requirements.txt").write_text("")
    lock_pipeline(directory)
    return directory


def _stopped(process: subprocess.Popen[bytes]) -> bool:
    """True once the kernel process has exited (and is reaped); it is our child, so
    ``wait`` says so on any platform, without /proc."""
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        return False
    return True


def test_repeat_zero_runs_on_the_early_kernel(pipeline: Path) -> None:
    warm = start_warm_kernel(pipeline)
    assert warm is not None
    kernel = warm.manager.provisioner.process
    kernel_pid = kernel.pid
    record = run_pipeline(RunOptions(pipeline_dir=pipeline), warm)
    assert record.run_id == warm.run_id and warm.used
    executed = nbformat.read(warm.output_dir / "repeat-0.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for cell in executed.cells for o in cell.outputs)
    assert f"kernel {kernel_pid}" in printed
    assert _stopped(kernel)


def test_a_refused_run_stops_the_kernel_and_leaves_no_run_directory(pipeline: Path) -> None:
    notebook = pipeline / "tiny.ipynb"
    notebook.write_text(notebook.read_text().replace("print('kernel'", "print('changed'"))
    warm = start_warm_kernel(pipeline)
    assert warm is not None
    kernel = warm.manager.provisioner.process
    with pytest.raises(DriftRefused):
        run_pipeline(RunOptions(pipeline_dir=pipeline), warm)
    assert not warm.output_dir.exists()
    assert _stopped(kernel)


def test_no_lock_or_no_kernel_means_no_early_kernel_and_no_store(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert start_warm_kernel(tmp_path) is None
    (tmp_path / "nbgraduate.lock").write_text(json.dumps({"kernel_name": "no-such-kernel"}))
    assert start_warm_kernel(tmp_path) is None
    assert not (tmp_path / ".nbgraduate").exists()
