"""Execute legacy notebooks and their converted pipelines, and say where their behaviour differs.

Used by ``tests/test_differential.py`` on the corpus in ``fixtures/differential/``. Each notebook
gets two private copies of the corpus tree: the original runs in one, and is converted and its
pipeline runs in the other, so neither run can read a file the other wrote. Both run through
papermill on real kernels, ``workers`` at a time in spawned processes (papermill changes the
working directory of the process that runs it, so runs cannot share one process).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

DIFFERENTIAL = Path(__file__).resolve().parents[1] / "fixtures" / "differential"
STAND_IN = DIFFERENTIAL / "stand_in"
#: Directories whose files are never compared: interpreter caches and the stand-ins.
_IGNORED_PARTS = frozenset({"__pycache__", ".ipynb_checkpoints", "stand_in"})
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")
_DURATION = re.compile(r"\b\d+(?:\.\d+)?\s*(?:s|ms|µs|us|ns|min)\b")
_TIMING_LINE = re.compile(r"^(?:CPU times|Wall time):.*$", re.MULTILINE)


def corpus_notebooks() -> list[str]:
    """Every notebook of the corpus, as a path relative to the corpus root."""
    return sorted(
        path.relative_to(DIFFERENTIAL).as_posix()
        for path in DIFFERENTIAL.rglob("*.ipynb")
        if "stand_in" not in path.parts and ".ipynb_checkpoints" not in path.parts
    )


def normalise(text: str) -> str:
    """Output text with what legitimately varies between runs masked: addresses and timings."""
    text = _TIMING_LINE.sub("<timing>", text)
    text = _ADDRESS.sub("0x…", text)
    return _DURATION.sub("<duration>", text)


def cell_outputs(notebook: nbformat.NotebookNode, root: Path) -> dict[str, str]:
    """``cell id -> normalised text`` of what each code cell printed, displayed or raised;
    ``root`` (the copy of the corpus the run used) is masked, so ``%cd`` echoes compare."""
    outputs = {}
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        parts: list[str] = []
        stream = None
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if kind == "stream":
                # A kernel may split one print into several stream messages: join them.
                if stream == output.get("name"):
                    parts[-1] += output.get("text", "")
                else:
                    parts.append(f"[{output.get('name')}]\n{output.get('text', '')}")
                stream = output.get("name")
                continue
            stream = None
            if kind in ("execute_result", "display_data"):
                parts.append(f"[{kind}]\n{output.get('data', {}).get('text/plain', '')}")
            elif kind == "error":
                parts.append(f"[error] {output.get('ename')}: {output.get('evalue')}")
        outputs[cell.get("id", "")] = normalise("\n".join(parts).replace(str(root), "<root>"))
    return outputs


def snapshot(root: Path) -> dict[str, str]:
    """``relative path -> sha256`` of every file under ``root`` (caches and stand-ins left out)."""
    files = {}
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if path.is_file() and not _IGNORED_PARTS.intersection(relative.parts):
            files[relative.as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files


def written(before: dict[str, str], after: dict[str, str]) -> dict[str, str]:
    """Files a run created or changed."""
    return {path: digest for path, digest in after.items() if before.get(path) != digest}


@dataclass
class Execution:
    """One notebook run: where it ran, what it printed per cell, what files it wrote."""

    notebook: Path
    cwd: Path
    outputs: dict[str, str] = field(default_factory=dict)
    written: dict[str, str] = field(default_factory=dict)
    error: str | None = None


def kernel_environment() -> dict[str, str]:
    """What a kernel needs to run the corpus offline: the stand-in clients before any installed
    package, the stand-in ``wget``/``curl``/``pip`` first on ``PATH``, and pip kept off the
    network (an install line never reaches an index)."""
    existing = os.environ.get("PYTHONPATH")
    return {
        "PYTHONPATH": os.pathsep.join([str(STAND_IN), *([existing] if existing else [])]),
        "PATH": os.pathsep.join([str(STAND_IN / "bin"), os.environ.get("PATH", "")]),
        "PIP_NO_INDEX": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }


def copy_corpus(target: Path) -> Path:
    shutil.copytree(
        DIFFERENTIAL, target, ignore=shutil.ignore_patterns("stand_in", "__pycache__", "*.md")
    )
    return target


def execute_all(jobs: list[tuple[Path, ...]], workers: int) -> list[str | None]:
    """Run ``(notebook, executed copy, cwd[, record file])`` jobs, ``workers`` kernels at a
    time; each result is ``None`` or the error that stopped the notebook (its executed copy is
    written anyway). With a record file, what the notebook's ``nbgraduate.record`` calls record
    is appended there, as in ``nbgraduate run``."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return list(pool.map(_execute, jobs))


def _execute(job: tuple[Path, ...]) -> str | None:
    import logging

    import papermill
    from papermill.exceptions import PapermillExecutionError

    from nbgraduate.runs.recording import RECORD_FILE_ENV

    logging.getLogger("papermill").setLevel(logging.CRITICAL)
    notebook, executed, cwd, *record_file = job
    # The kernel inherits this process's environment; a worker runs one job at a time.
    if record_file:
        os.environ[RECORD_FILE_ENV] = str(record_file[0])
    else:
        os.environ.pop(RECORD_FILE_ENV, None)
    for attempt in range(3):
        try:
            papermill.execute_notebook(
                str(notebook),
                str(executed),
                cwd=str(cwd),
                kernel_name="python3",
                progress_bar=False,
                log_output=False,
                # Outputs are collected by then; a graceful shutdown only adds a second.
                shutdown_kernel="immediate",
            )
            return None
        except PapermillExecutionError as error:
            return f"cell {error.cell_index}: {error.ename}: {error.evalue}"
        except RuntimeError as error:
            # Two kernels starting at once can race for a port; the loser dies before any cell.
            if attempt == 2:
                return f"kernel: {error}"
    return None
