"""Metrics wired at conversion: each recognised shape of per-example results gets one
``nbgraduate.record(...)``, and the pipeline, run in a real kernel, records the values and ids
the notebook computed; when nothing is recognisable, CONVERSION.md says where and what to add.

The eval libraries (ragas, deepeval, phoenix, Inspect) are not installed offline: small
stand-ins under ``stand_in/`` give their documented result shapes (``EvaluationResult.to_pandas``,
``EvaluationResult.test_results``, the ``label``/``score`` frames, ``EvalLog.samples``), and
the inserted lines run against them in the kernel.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from differential import execute_all
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from nbgraduate.graduate.convert import REPORT_FILENAME, convert_notebook
from nbgraduate.graduate.metrics import MetricInstruction, MetricWiring
from nbgraduate.graduate.result import ConversionOptions, ConversionResult
from nbgraduate.runs.recording import read_recorded

QA_CSV = """id,question,answer,reference
q1,one?,a,a
q2,two?,b,b
q3,three?,c,x
q4,four?,d,d
q5,five?,e,y
q6,six?,f,f
"""
QA_JSONL = "".join(
    f'{{"question_id": "{row.split(",")[0]}", "answer": "{row.split(",")[2]}",'
    f' "reference": "{row.split(",")[3]}"}}\n'
    for row in QA_CSV.splitlines()[1:]
)
CORRECT = [1.0, 1.0, 0.0, 1.0, 0.0, 1.0]
IDS = ["q1", "q2", "q3", "q4", "q5", "q6"]
POSITIONS = [str(index) for index in range(6)]

READ_CSV = """import csv

with open("data/qa.csv", newline="") as handle:
    rows = list(csv.DictReader(handle))"""
READ_JSONL = """import json

rows = [json.loads(line) for line in open("data/qa.jsonl")]"""
READ_FRAME = """import pandas as pd

df = pd.read_csv("data/qa.csv")"""

STAND_INS = {
    "ragas/__init__.py": """
import pandas as pd


class EvaluationResult:
    def __init__(self, frame):
        self._frame = frame

    def to_pandas(self):
        return self._frame.copy()


def evaluate(dataset, metrics, **options):
    frame = pd.DataFrame(dataset)
    for metric in metrics:
        frame[metric.name] = [metric.score(row) for row in frame.to_dict("records")]
    return EvaluationResult(frame)
""",
    "ragas/metrics.py": """
class _Metric:
    def __init__(self, name, score):
        self.name = name
        self.score = score


faithfulness = _Metric("faithfulness", lambda row: float(row["answer"] == row["reference"]))
# A judgement that failed to parse is NaN in ragas' frame.
answer_relevancy = _Metric(
    "answer_relevancy", lambda row: float("nan") if row["answer"] == "c" else 0.5
)
""",
    "deepeval/__init__.py": """
from dataclasses import dataclass


@dataclass
class TestResult:
    name: str
    success: bool


@dataclass
class EvaluationResult:
    test_results: list


def evaluate(test_cases, metrics, **options):
    return EvaluationResult(
        [
            TestResult(f"test_case_{index}", case.actual_output == case.expected_output)
            for index, case in enumerate(test_cases)
        ]
    )
""",
    "deepeval/test_case.py": """
from dataclasses import dataclass


@dataclass
class LLMTestCase:
    input: str
    actual_output: str
    expected_output: str
""",
    "deepeval/metrics.py": """
class AnswerRelevancyMetric:
    def __init__(self, threshold=0.5, model=None):
        self.threshold = threshold
""",
    "phoenix/__init__.py": "",
    "phoenix/evals/__init__.py": """
import pandas as pd


class OpenAIModel:
    def __init__(self, model="gpt-4o", temperature=0.0):
        self.model = model


def llm_classify(dataframe, model, template, rails, **options):
    labels = [
        rails[0] if answer == reference else rails[1]
        for answer, reference in zip(dataframe["answer"], dataframe["reference"])
    ]
    return pd.DataFrame({"label": labels}, index=dataframe.index)


class HallucinationEvaluator:
    def __init__(self, model):
        self.model = model


class QAEvaluator:
    def __init__(self, model):
        self.model = model


def run_evals(dataframe, evaluators, **options):
    frames = []
    for evaluator in evaluators:
        right = dataframe["answer"] == dataframe["reference"]
        if isinstance(evaluator, HallucinationEvaluator):
            scores = (~right).astype(float)
        else:
            scores = right.astype(float)
            scores.iloc[1] = float("nan")  # a reply the evaluator could not parse
        frames.append(pd.DataFrame({"label": "x", "score": scores}, index=dataframe.index))
    return frames
""",
    "inspect_ai/__init__.py": """
from dataclasses import dataclass


@dataclass
class Score:
    value: object


@dataclass
class EvalSample:
    id: object
    epoch: int
    scores: dict


@dataclass
class EvalLog:
    samples: list


def eval(task, model=None, **options):
    samples = [
        EvalSample(sample_id, 1, {"match": Score("C" if right else "I")})
        for sample_id, right in task
    ]
    return [EvalLog(samples)]
""",
    "haystack/__init__.py": "",
    "haystack/evaluation/__init__.py": """
class EvaluationRunResult:
    def __init__(self, run_name, inputs, results):
        self.run_name, self.inputs, self.results = run_name, inputs, results

    def aggregated_report(self):
        return {name: output["score"] for name, output in self.results.items()}
""",
    "inspect_ai/scorer.py": """
def value_to_float(correct="C", incorrect="I", partial="P", noanswer="N"):
    def to_float(value):
        if isinstance(value, (int, float)):
            return float(value)
        return {correct: 1.0, partial: 0.5}.get(value, 0.0)

    return to_float
""",
}


@dataclass(frozen=True)
class Shape:
    """A legacy notebook computing per-example results one way, and what must be recorded."""

    cells: tuple[str, ...]
    #: Part of the inserted record call.
    line: str
    #: metric name -> (values, ids) the pipeline records in a real kernel.
    recorded: dict[str, tuple[list[float], list[str]]]


SHAPES = {
    "verdict_list": Shape(
        (
            READ_CSV,
            """def judge(row):
    return "PASS" if row["answer"] == row["reference"] else "FAIL"

verdicts = [judge(row) for row in rows]
print(verdicts.count("PASS") / len(verdicts))""",
        ),
        "nbgraduate.record('verdict', [verdict == 'PASS' for verdict in verdicts],"
        " ids=[row['id'] for row in rows])",
        {"verdict": (CORRECT, IDS)},
    ),
    "numpy_scores": Shape(
        (
            READ_JSONL,
            """import numpy as np

scores = np.array([float(row["answer"] == row["reference"]) for row in rows])
print("accuracy", scores.mean())""",
        ),
        "nbgraduate.record('score', scores, ids=[row['question_id'] for row in rows])",
        {"score": (CORRECT, IDS)},
    ),
    "zip_of_outputs_and_rows": Shape(
        (
            READ_CSV,
            """outputs = [row["answer"] for row in rows]
grades = [output == question["reference"] for output, question in zip(outputs, rows)]
print(f"Score: {sum(grades) / len(grades) * 100}%")""",
        ),
        "nbgraduate.record('grade', grades, ids=[question['id'] for output, question in"
        " zip(outputs, rows)])",
        {"grade": (CORRECT, IDS)},
    ),
    "dataframe_column": Shape(
        (
            READ_FRAME,
            """df["correct"] = (df["answer"] == df["reference"]).astype(int)
print(df["correct"].mean())""",
        ),
        "nbgraduate.record('correct', df['correct'], ids=df['id'])",
        {"correct": (CORRECT, IDS)},
    ),
    "dict_keyed_by_id": Shape(
        (
            READ_CSV,
            """results = {}
for row in rows:
    results[row["id"]] = int(row["answer"] == row["reference"])
accuracy = sum(results.values()) / len(results)
print(accuracy)""",
        ),
        "nbgraduate.record('accuracy', list(results.values()), ids=list(results.keys()))",
        {"accuracy": (CORRECT, IDS)},
    ),
    "openai_evals_style_accuracy": Shape(
        (
            READ_CSV,
            """matches = [
    {"sample_id": row["id"], "correct": row["answer"] == row["reference"]} for row in rows
]
accuracy = sum(match["correct"] for match in matches) / len(matches)
print({"accuracy": accuracy})""",
        ),
        "nbgraduate.record('accuracy', [example['correct'] for example in matches],"
        " ids=[example['sample_id'] for example in matches])",
        {"accuracy": (CORRECT, IDS)},
    ),
    "dict_of_verdicts_counted": Shape(
        (
            READ_CSV,
            """verdicts = {
    row["id"]: "GROUNDED" if row["answer"] == row["reference"] else "UNGROUNDED" for row in rows
}
ungrounded = sorted(key for key, verdict in verdicts.items() if verdict != "GROUNDED")
print(1 - len(ungrounded) / len(verdicts))""",
        ),
        "nbgraduate.record('grounded', [value == 'GROUNDED' for value in verdicts.values()],"
        " ids=list(verdicts.keys()))",
        {"grounded": (CORRECT, IDS)},
    ),
    "sampled_frame_column": Shape(
        (
            READ_FRAME,
            """sample = df.sample(n=4, random_state=0)
sample["passed"] = [row["answer"] == row["reference"] for row in sample.to_dict("records")]
accuracy = sample["passed"].mean()""",
        ),
        "nbgraduate.record('accuracy', sample['passed'], ids=sample['id'])",
        # df.sample(n=4, random_state=0) of six rows: q6, q3, q2, q4 (pandas' documented RNG).
        {"accuracy": ([1.0, 0.0, 1.0, 1.0], ["q6", "q3", "q2", "q4"])},
    ),
    "ragas_evaluate": Shape(
        (
            READ_FRAME,
            """from ragas import evaluate
from ragas.metrics import answer_relevancy, faithfulness

result = evaluate(df.to_dict("list"), metrics=[faithfulness, answer_relevancy])
print(result.to_pandas()[["faithfulness"]].sum())""",
        ),
        "for _name in [_metric.name for _metric in [faithfulness, answer_relevancy]]:",
        {
            "faithfulness": (CORRECT, POSITIONS),
            "answer_relevancy": ([0.5] * 5, ["0", "1", "3", "4", "5"]),
        },
    ),
    "deepeval_evaluate": Shape(
        (
            READ_CSV,
            """from deepeval import evaluate
from deepeval.metrics import AnswerRelevancyMetric
from deepeval.test_case import LLMTestCase

cases = [
    LLMTestCase(input=row["question"], actual_output=row["answer"], expected_output=row["reference"])
    for row in rows
]
outcome = evaluate(test_cases=cases, metrics=[AnswerRelevancyMetric(threshold=0.5)])""",
        ),
        'nbgraduate.record("deepeval_success", [case.success for case in getattr(outcome,',
        {"deepeval_success": (CORRECT, [f"test_case_{index}" for index in range(6)])},
    ),
    "phoenix_llm_classify": Shape(
        (
            READ_FRAME,
            """from phoenix.evals import OpenAIModel, llm_classify

labels = llm_classify(
    dataframe=df,
    model=OpenAIModel(model="gpt-4o-2024-08-06"),
    template="Is {answer} right for {question}?",
    rails=["correct", "incorrect"],
)
print(labels["label"].value_counts())""",
        ),
        "nbgraduate.record('label_correct', labels['label'] == 'correct',"
        " ids=df.loc[labels.index, 'id'])",
        {"label_correct": (CORRECT, IDS)},
    ),
    "phoenix_run_evals": Shape(
        (
            READ_FRAME,
            """from phoenix.evals import HallucinationEvaluator, OpenAIModel, QAEvaluator, run_evals

judge = OpenAIModel(model="gpt-4o-2024-08-06")
hallucination_df, qa_df = run_evals(
    dataframe=df, evaluators=[HallucinationEvaluator(judge), QAEvaluator(judge)]
)""",
        ),
        "for _evaluator, _frame in zip([HallucinationEvaluator(judge), QAEvaluator(judge)],"
        " [hallucination_df, qa_df]):",
        {
            "HallucinationEvaluator": ([1.0 - value for value in CORRECT], POSITIONS),
            "QAEvaluator": ([1.0, 0.0, 1.0, 0.0, 1.0], ["0", "2", "3", "4", "5"]),
        },
    ),
    "haystack_evaluation_run_result": Shape(
        (
            READ_CSV,
            """from haystack.evaluation import EvaluationRunResult

exact = [float(row["answer"] == row["reference"]) for row in rows]
faithful = [None if row["id"] == "q2" else 0.5 for row in rows]  # a judgement that failed
results = {
    "exact_match": {"score": 0.67, "individual_scores": exact},
    "faithfulness": {"score": 0.5, "individual_scores": faithful},
}
report = EvaluationRunResult(run_name="rag", inputs={"question": rows}, results=results)
report.aggregated_report()""",
        ),
        "for _name, _output in results.items():",
        {
            "exact_match": (CORRECT, POSITIONS),
            "faithfulness": ([0.5] * 5, ["0", "2", "3", "4", "5"]),
        },
    ),
    "inspect_eval_log": Shape(
        (
            READ_CSV,
            """from inspect_ai import eval

task = [(row["id"], row["answer"] == row["reference"]) for row in rows]
logs = eval(task, model="openai/gpt-4o-2024-08-06")""",
        ),
        'nbgraduate.record("inspect_score", [value_to_float()(next(iter(sample.scores.values()))'
        ".value) for sample in logs[0].samples]",
        {"inspect_score": (CORRECT, [f"{sample}#1" for sample in IDS])},
    ),
}

UNRECOGNISED = (
    READ_CSV,
    """total = 0
for row in rows:
    if row["answer"] == row["reference"]:
        total += 1
print(total / len(rows))""",
)


def _legacy(repo: Path, name: str, cells: tuple[str, ...]) -> Path:
    """``evals/<name>.ipynb`` beside ``evals/data/``, with a markdown title cell first."""
    notebook = new_notebook(
        cells=[new_markdown_cell(f"# {name}")] + [new_code_cell(source) for source in cells]
    )
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    path = repo / "evals" / f"{name}.ipynb"
    nbformat.write(notebook, str(path))
    return path


@dataclass
class Converted:
    result: ConversionResult
    notebook: Path
    record_file: Path
    error: str | None = None


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Converted]:
    """Every shape converted, and every pipeline executed once in a real kernel with a
    record file (two kernels at a time)."""
    repo = tmp_path_factory.mktemp("metrics")
    (repo / ".git").mkdir()  # the repository root: dataset headers are read inside it only
    (repo / "evals" / "data").mkdir(parents=True)
    (repo / "evals" / "data" / "qa.csv").write_text(QA_CSV, encoding="utf-8")
    (repo / "evals" / "data" / "qa.jsonl").write_text(QA_JSONL, encoding="utf-8")
    stand_in = repo / "stand_in"
    for relative, text in STAND_INS.items():
        (stand_in / relative).parent.mkdir(parents=True, exist_ok=True)
        (stand_in / relative).write_text(text.lstrip(), encoding="utf-8")
    done: dict[str, Converted] = {}
    jobs: list[tuple[Path, ...]] = []
    for name, shape in SHAPES.items():
        result = convert_notebook(_legacy(repo, name, shape.cells), ConversionOptions())
        assert result.pipeline_dir is not None
        notebook = result.pipeline_dir / f"{name}.ipynb"
        record_file = repo / "records" / f"{name}.jsonl"
        record_file.parent.mkdir(exist_ok=True)
        done[name] = Converted(result, notebook, record_file)
        jobs.append(
            (notebook, repo / "executed" / f"{name}.ipynb", result.pipeline_dir, record_file)
        )
    (repo / "executed").mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(
            "PYTHONPATH", os.pathsep.join([str(stand_in), os.environ.get("PYTHONPATH", "")])
        )
        errors = execute_all(jobs, 2)
    for conversion, error in zip(done.values(), errors, strict=True):
        conversion.error = error
    return done


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_the_record_call_is_wired_and_records_in_a_real_kernel(
    converted: dict[str, Converted], name: str
) -> None:
    conversion, shape = converted[name], SHAPES[name]
    metric = conversion.result.metric
    assert isinstance(metric, MetricWiring), metric
    assert shape.line in "\n".join(metric.lines)
    pipeline = nbformat.read(str(conversion.notebook), as_version=4)
    cell = pipeline.cells[metric.cell_index].source.split("\n")
    assert cell[metric.after_row].startswith("import nbgraduate  # nbgraduate:")
    assert cell[metric.after_row + 1 : metric.after_row + 1 + len(metric.lines)] == list(
        metric.lines
    )
    report = (conversion.notebook.parent / REPORT_FILENAME).read_text(encoding="utf-8")
    assert f"in cell {metric.cell_index + 1} after line {metric.after_row}" in report
    assert metric.lines[0] in report

    assert conversion.error is None, conversion.error
    metrics, _usage = read_recorded(conversion.record_file)
    recorded = {series.name: (series.values, series.ids) for series in metrics}
    assert recorded == shape.recorded


def test_nothing_recognisable_says_in_which_cell_after_which_line_to_add_what(
    tmp_path: Path,
) -> None:
    (tmp_path / "evals" / "data").mkdir(parents=True)
    (tmp_path / "evals" / "data" / "qa.csv").write_text(QA_CSV, encoding="utf-8")
    result = convert_notebook(_legacy(tmp_path, "counter", UNRECOGNISED), ConversionOptions())
    metric = result.metric
    assert isinstance(metric, MetricInstruction), metric
    assert result.pipeline_dir is not None
    pipeline = nbformat.read(str(result.pipeline_dir / "counter.ipynb"), as_version=4)
    assert "nbgraduate.record" not in "".join(cell.source for cell in pipeline.cells)
    # Right after the loop that counts, where the per-example values are at hand.
    assert metric.cell_index is not None and metric.after_row is not None
    lines = pipeline.cells[metric.cell_index].source.split("\n")
    assert lines[metric.after_row - 1 : metric.after_row + 1] == [
        "        total += 1",
        "print(total / len(rows))",
    ]
    assert "`total` counts examples in the loop" in metric.reason
    report = (result.pipeline_dir / REPORT_FILENAME).read_text(encoding="utf-8")
    assert f"in cell {metric.cell_index + 1}, after line {metric.after_row} of" in report
    assert 'nbgraduate.record("total", per_example_values, ids=example_ids)' in report


def test_with_nothing_to_go_by_the_instruction_points_after_the_last_statement(
    tmp_path: Path,
) -> None:
    (tmp_path / "evals").mkdir()
    cells = ('reply = "four"', 'print(reply == "four")\nprint("done")', "# a comment only")
    result = convert_notebook(_legacy(tmp_path, "nothing", cells), ConversionOptions())
    metric = result.metric
    assert isinstance(metric, MetricInstruction), metric
    assert metric.reason == "no per-example results were recognised"
    assert metric.line == 'nbgraduate.record("accuracy", per_example_scores, ids=example_ids)'
    assert result.pipeline_dir is not None
    pipeline = nbformat.read(str(result.pipeline_dir / "nothing.ipynb"), as_version=4)
    assert metric.cell_index is not None and metric.after_row == 2
    assert pipeline.cells[metric.cell_index].source.split("\n")[1] == 'print("done")'
    report = (result.pipeline_dir / REPORT_FILENAME).read_text(encoding="utf-8")
    assert (
        "Nothing to gate yet: no per-example results were recognised. Add, in cell"
        f" {metric.cell_index + 1}, after line 2 of `nothing.ipynb`:"
    ) in report


def test_a_notebook_gated_on_a_point_estimate_is_told_to_record_what_is_behind_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "evals" / "data").mkdir(parents=True)
    (tmp_path / "evals" / "data" / "qa.csv").write_text(QA_CSV, encoding="utf-8")
    cells = (
        UNRECOGNISED[0],
        UNRECOGNISED[1] + "\naccuracy = total / len(rows)\nassert accuracy > 0.5",
    )
    result = convert_notebook(_legacy(tmp_path, "gated", cells), ConversionOptions())
    metric = result.metric
    assert isinstance(metric, MetricInstruction), metric
    # The threshold became a parameter; the reason quotes the gate as the pipeline has it.
    assert "the notebook gates on `accuracy > accuracy_threshold`" in metric.reason
    assert metric.line == 'nbgraduate.record("accuracy", per_example_values, ids=example_ids)'
    assert result.pipeline_dir is not None
    pipeline = nbformat.read(str(result.pipeline_dir / "gated.ipynb"), as_version=4)
    lines = pipeline.cells[metric.cell_index or 0].source.split("\n")
    assert lines[metric.after_row or 0] == "assert accuracy > accuracy_threshold"  # just before


def test_a_notebook_that_records_already_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "evals").mkdir()
    cells = (
        "import nbgraduate\n\nscores = [1.0, 0.0, 1.0]\n"
        "nbgraduate.record('score', scores, ids=['a', 'b', 'c'])\nprint(sum(scores))",
    )
    result = convert_notebook(_legacy(tmp_path, "records", cells), ConversionOptions())
    assert result.metric is None
    assert result.pipeline_dir is not None
    pipeline = nbformat.read(str(result.pipeline_dir / "records.ipynb"), as_version=4)
    assert "".join(cell.source for cell in pipeline.cells).count("nbgraduate.record(") == 1
    report = (result.pipeline_dir / REPORT_FILENAME).read_text(encoding="utf-8")
    assert "records its metrics with `nbgraduate.record` already" in report


def test_without_ids_in_the_data_positions_are_ids_unless_the_rows_are_sampled_by_seed(
    tmp_path: Path,
) -> None:
    (tmp_path / "evals").mkdir()
    scored = "scores = [float(len(text) > 3) for text in texts]\nprint(sum(scores) / len(scores))"
    plain = convert_notebook(
        _legacy(tmp_path, "plain", ('texts = ["abcd", "ab", "abcde"]', scored)),
        ConversionOptions(),
    )
    assert isinstance(plain.metric, MetricWiring) and plain.metric.gateable
    assert plain.metric.lines == (
        "nbgraduate.record('score', scores, ids=list(range(len(scores))))",
    )
    sampled = convert_notebook(
        _legacy(
            tmp_path,
            "sampled",
            (
                'import random\n\nrandom.seed(7)\ntexts = random.sample(["abcd", "ab", "abcde"], 2)',
                scored,
            ),
        ),
        ConversionOptions(),
    )
    assert isinstance(sampled.metric, MetricWiring) and not sampled.metric.gateable
    assert sampled.metric.lines == ("nbgraduate.record('score', scores)",)
    assert sampled.pipeline_dir is not None
    report = (sampled.pipeline_dir / REPORT_FILENAME).read_text(encoding="utf-8")
    assert "add ids=... to gate this metric" in report


def test_resource_figures_are_not_the_gated_metric(tmp_path: Path) -> None:
    (tmp_path / "evals").mkdir()
    cells = (
        "import time\n\nlatencies = []\nfor text in ['a', 'b']:\n"
        "    started = time.perf_counter()\n    latencies.append(time.perf_counter() - started)\n"
        "print(sum(latencies) / len(latencies))",
    )
    result = convert_notebook(_legacy(tmp_path, "latency", cells), ConversionOptions())
    assert isinstance(result.metric, MetricInstruction), result.metric


def test_an_ordering_is_a_filter_not_a_verdict(tmp_path: Path) -> None:
    (tmp_path / "evals" / "data").mkdir(parents=True)
    (tmp_path / "evals" / "data" / "qa.csv").write_text(QA_CSV, encoding="utf-8")
    cells = (READ_FRAME, 'df["long"] = df["question"].str.len() > 4\nprint(df[df["long"]])')
    result = convert_notebook(_legacy(tmp_path, "filter", cells), ConversionOptions())
    assert isinstance(result.metric, MetricInstruction), result.metric


def test_a_dataset_outside_the_repository_is_not_read_for_its_header(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "evals").mkdir()
    (tmp_path / "outside.csv").write_text(QA_CSV, encoding="utf-8")
    cells = (
        'import csv\n\nwith open("../../outside.csv", newline="") as handle:\n'
        "    rows = list(csv.DictReader(handle))",
        'scores = [float(row["answer"] == row["reference"]) for row in rows]\n'
        "print(sum(scores) / len(scores))",
    )
    result = convert_notebook(_legacy(repo, "outside", cells), ConversionOptions())
    assert isinstance(result.metric, MetricWiring)
    # No id column known: positions, not the `id` column of a file outside the repository.
    assert result.metric.lines == (
        "nbgraduate.record('score', scores, ids=list(range(len(scores))))",
    )
