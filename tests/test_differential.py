"""Conversion keeps behaviour: every notebook of ``fixtures/differential/`` and its pipeline,
executed through papermill on real kernels, print the same thing cell by cell and write the
same files.

The only differences allowed are the documented ones: output of install cells the converter
removed, and values drawn from randomness the original left unseeded (the corpus prints none:
its traps print only deterministic values). Outputs are compared after masking memory addresses
and timings. ``NBGRADUATE_DIFFERENTIAL_WORKERS`` sets how many kernels run at once (default 2).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import nbformat
import pytest
from differential import (
    DIFFERENTIAL,
    Execution,
    cell_outputs,
    copy_corpus,
    corpus_notebooks,
    execute_all,
    kernel_environment,
    snapshot,
    written,
)
from trap_checks import removed_cells, trap_failures

from nbgraduate.gate.options import GateOptions
from nbgraduate.gate.report import Verdict
from nbgraduate.gate.runner import run_gate
from nbgraduate.graduate.convert import convert_notebook
from nbgraduate.graduate.metrics import MetricInstruction, MetricWiring
from nbgraduate.graduate.result import ConversionOptions, ConversionRefused, ConversionResult
from nbgraduate.runs.recording import read_recorded
from nbgraduate.runs.records import RunRecord, RunStatus

NOTEBOOKS = corpus_notebooks()
WORKERS = int(os.environ.get("NBGRADUATE_DIFFERENTIAL_WORKERS", "2"))
#: The notebooks that compute a result per example of their data: each gets a metric wired
#: at conversion; the others (traps that compute no per-example result) get an instruction.
PER_EXAMPLE = frozenset(
    {
        "nested/t19_data_above_folder.ipynb",
        "t01_from_random_import_random.ipynb",
        "t02_numpy_alias_unseeded.ipynb",
        "t04_hub_id_with_dot.ipynb",
        "t05_write_then_read_json.ipynb",
        "t13_run_magic_helper.ipynb",
        "t14_import_helper_module.ipynb",
        "t15_helper_reads_path_argument.ipynb",
        "t18_data_under_folder.ipynb",
        "t21_judge_function_temperature.ipynb",
        "t22_phoenix_llm_classify.ipynb",
        "t23_pandas_sample_unseeded.ipynb",
        "t27_config_dict.ipynb",
        "t28_prompt_extraction.ipynb",
        "t31_to_csv_then_read_csv.ipynb",
        "t34_candidate_and_judge.ipynb",
    }
)


@dataclass
class Case:
    """One corpus notebook: its conversion, and the two executions to compare."""

    name: str
    conversion: ConversionResult | None
    refusal: str | None
    original: Execution
    pipeline: Execution | None
    #: Where the pipeline's ``nbgraduate.record`` calls wrote (as in ``nbgraduate run``).
    record_file: Path | None = None


def _pipeline_written(case: Case, relative_source_dir: str) -> dict[str, str]:
    """What the pipeline wrote, with paths inside the pipeline directory expressed as the same
    paths inside the source notebook's directory (each run writes into its working directory)."""
    assert case.pipeline is not None and case.conversion is not None
    pipeline_dir = case.conversion.pipeline_dir
    root = case.pipeline.cwd
    while root.name != "converted":
        root = root.parent
    relative_pipeline = pipeline_dir.relative_to(root).as_posix()
    mapped = {}
    for path, digest in case.pipeline.written.items():
        if path.startswith(relative_pipeline + "/"):
            inner = path[len(relative_pipeline) + 1 :]
            path = f"{relative_source_dir}/{inner}" if relative_source_dir else inner
        mapped[path] = digest
    return mapped


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Case]:
    """Every corpus notebook converted, and it and its pipeline executed (once per session)."""
    base = tmp_path_factory.mktemp("differential")
    prepared: dict[str, Case] = {}
    jobs: list[tuple[Path, ...]] = []
    for index, name in enumerate(NOTEBOOKS):
        work = base / f"{index:02d}"
        original_root = copy_corpus(work / "original")
        converted_root = copy_corpus(work / "converted")
        original = original_root / name
        source = converted_root / name
        conversion, refusal, pipeline, record_file = None, None, None, None
        try:
            conversion = convert_notebook(source, ConversionOptions())
        except ConversionRefused as error:
            refusal = error.reason
        execution = Execution(original, original.parent)
        execution.written = snapshot(original_root)
        jobs.append((original, work / "original.ipynb", original.parent))
        if conversion is not None:
            notebook = conversion.pipeline_dir / f"{source.stem}.ipynb"
            pipeline = Execution(notebook, conversion.pipeline_dir)
            pipeline.written = snapshot(converted_root)
            record_file = work / "recorded.jsonl"
            jobs.append((notebook, work / "pipeline.ipynb", conversion.pipeline_dir, record_file))
        prepared[name] = Case(name, conversion, refusal, execution, pipeline, record_file)

    with pytest.MonkeyPatch.context() as patch:
        for variable, value in kernel_environment().items():
            patch.setenv(variable, value)
        errors = execute_all(jobs, WORKERS)

    results = iter(zip(jobs, errors, strict=True))
    for case in prepared.values():
        for execution, label in ((case.original, "original"), (case.pipeline, "pipeline")):
            if execution is None:
                continue
            (_notebook, executed, _cwd, *_record), error = next(results)
            execution.error = error
            root = executed.parent / label if label == "original" else executed.parent / "converted"
            execution.outputs = cell_outputs(nbformat.read(str(executed), as_version=4), root)
            execution.written = written(execution.written, snapshot(root))
    return prepared


def test_the_corpus_has_at_least_30_notebooks_each_described_in_the_readme() -> None:
    assert len(NOTEBOOKS) >= 30
    readme = (DIFFERENTIAL / "README.md").read_text(encoding="utf-8")
    undescribed = [name for name in NOTEBOOKS if f"`{name}`" not in readme]
    assert undescribed == []


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_pipeline_behaves_like_the_original(cases: dict[str, Case], name: str) -> None:
    case = cases[name]
    assert case.original.error is None, f"the corpus notebook itself fails: {case.original.error}"
    assert case.refusal is None, f"conversion refused: {case.refusal}"
    assert case.pipeline is not None and case.conversion is not None
    assert case.pipeline.error is None, f"the pipeline fails: {case.pipeline.error}"

    removed = "\n".join(case.conversion.removed)
    differences = []
    source_cells = nbformat.read(str(case.original.notebook), as_version=4).cells
    for number, cell in enumerate(source_cells, start=1):
        if cell.cell_type != "code":
            continue
        expected = case.original.outputs.get(cell.id, "")
        if cell.id not in case.pipeline.outputs:
            # Documented: an install cell the converter removed, with its output.
            assert f"cell {number} (nothing left after removing installs)" in removed, (
                f"cell {number} vanished from the pipeline without a documented reason"
            )
            continue
        actual = case.pipeline.outputs[cell.id]
        if actual != expected:
            differences.append(f"cell {number}:\n  original: {expected!r}\n  pipeline: {actual!r}")
    assert not differences, "\n".join(differences)

    source_dir = Path(name).parent.as_posix()
    expected_files = case.original.written
    actual_files = _pipeline_written(case, "" if source_dir == "." else source_dir)
    assert actual_files == expected_files


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_pipeline_records_a_metric_that_gates(
    cases: dict[str, Case], name: str, tmp_path: Path
) -> None:
    """A notebook that computes per-example results gets them recorded with ids, in the
    pipeline run above (no second kernel), and two such runs gate; the others are told where
    to add the record call."""
    case = cases[name]
    assert case.conversion is not None and case.pipeline is not None, case.refusal
    metric = case.conversion.metric
    metrics, _usage = read_recorded(case.record_file)  # type: ignore[arg-type]
    if name not in PER_EXAMPLE:
        assert isinstance(metric, MetricInstruction), metric
        assert metrics == []
        return
    assert isinstance(metric, MetricWiring), metric
    assert metric.gateable, metric.ids_note
    assert case.pipeline.error is None, case.pipeline.error
    assert [series.name for series in metrics] == [metric.name]
    series = metrics[0]
    assert series.ids is not None and len(series.ids) == len(series.values) >= 5
    moment = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for role in ("baseline", "candidate"):  # the same run recorded twice
        record = RunRecord(
            run_id=role,
            pipeline=name,
            python_version="3",
            platform="linux",
            started_at=moment,
            ended_at=moment,
            duration_s=0.0,
            status=RunStatus.PASSED,
            metrics=metrics,
        )
        (tmp_path / f"{role}.json").write_text(record.model_dump_json(), encoding="utf-8")
    report = run_gate(
        GateOptions(
            str(tmp_path / "baseline.json"),
            str(tmp_path / "candidate.json"),
            margin=0.1,
            confidence=0.95,
            store=tmp_path / "no-store",
        )
    )
    [result] = report.metrics
    assert result.name == metric.name and result.n == len(series.values)
    assert result.difference.estimate == 0.0
    # An unchanged run never fails; 24 examples may not be enough to pass at this margin.
    assert result.verdict in (Verdict.PASS, Verdict.INCONCLUSIVE)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_pipeline_falls_into_no_trap_statically(cases: dict[str, Case], name: str) -> None:
    case = cases[name]
    assert case.conversion is not None, case.refusal
    pipeline = case.conversion.pipeline_dir / f"{Path(name).stem}.ipynb"
    failures = trap_failures(
        nbformat.read(str(case.original.notebook), as_version=4),
        nbformat.read(str(pipeline), as_version=4),
        removed_cells(case.conversion.removed),
    )
    assert failures == []


def test_trap_checks_catch_each_trap_class() -> None:
    """The static checks fail on the mistakes they exist for (a check that cannot fail is no
    check): shadowing import, half re-pointed file, re-pointed hub id, dropped parameter."""
    from nbformat.v4 import new_code_cell, new_notebook

    def notebook(*sources: str, tags: tuple[str, ...] = ()) -> nbformat.NotebookNode:
        cells = [new_code_cell(source) for source in sources]
        for index, cell in enumerate(cells):
            cell.id = f"c{index}"
        if tags:
            cells[0].metadata["tags"] = list(tags)
        return new_notebook(cells=cells)

    original = notebook(
        "from random import random\nx = random()",
        'open("out.json", "w").write("1")\nprint(open("out.json").read())',
        'from datasets import load_dataset\nrows = load_dataset("org/Name-1.5")',
    )
    broken = notebook(
        "from random import random\nimport random\nrandom.seed(0)\nx = random()",
        'open("out.json", "w").write("1")\nprint(open("../out.json").read())',
        'from datasets import load_dataset\nrows = load_dataset("../org/Name-1.5")',
    )
    failures = trap_failures(original, broken)
    assert len(failures) == 3, failures
    assert "`random`" in failures[0] and "out.json" in failures[1] and "hub id" in failures[2]

    with_parameters = notebook(
        'import os\nDATA = os.path.join("data", "x")\nN = 3', "print(N)", tags=("parameters",)
    )
    dropped = notebook("N: int = 3", "print(N)", tags=("parameters",))
    failures = trap_failures(with_parameters, dropped)
    assert len(failures) == 2 and all("was not kept" in f for f in failures), failures
    assert trap_failures(with_parameters, with_parameters) == []
