"""End-to-end tests of ``nbgraduate convert`` on the legacy eval notebooks of fixtures/legacy/.

Every test works on a copy of the fixtures in a temp dir and runs the real command line in a
fresh interpreter. The deterministic notebook is executed through papermill before and after
conversion (its model calls go to the offline stand-in in ``fixtures/legacy/stand_in``).
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import papermill
import pytest
from cli_runner import run_cli
from nbformat.notebooknode import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

LEGACY = Path(__file__).resolve().parents[1] / "fixtures" / "legacy"
STAND_IN = LEGACY / "stand_in"
STEMS = ("support_judge", "summarization_eval", "rag_grounding_eval")
PIPELINE_FILES = ("requirements.txt", "nbgraduate.lock", "CONVERSION.md", "CHANGELOG.md")
SNAPSHOT = "gpt-4o-2024-08-06"

#: Codes a converted pipeline must never be linted for: conversion fixes all of them.
NEVER_AFTER_CONVERSION = {"NBG201", "NBG301", "NBG302", "NBG401", "NBG701", "NBG702", "NBG703"}
#: Findings that only a human can resolve, which each pipeline must still report.
LEFT_FOR_A_HUMAN = {
    "support_judge": {"NBG101", "NBG103", "NBG601"},
    "summarization_eval": {"NBG101", "NBG601"},
    "rag_grounding_eval": {"NBG101", "NBG601"},
}
#: What the original notebooks are linted for: what each fixture exists to exercise.
LEGACY_FINDINGS = {
    "support_judge": {"NBG101", "NBG103", "NBG201", "NBG302", "NBG401", "NBG601", "NBG701"},
    "summarization_eval": {"NBG101", "NBG201", "NBG301", "NBG303", "NBG401", "NBG601"},
    "rag_grounding_eval": {"NBG101", "NBG201", "NBG601"},
}
#: ``(literal in the original, how the pipeline uses it with {} for the parameter name)``.
LIFTED = {
    "support_judge": [
        ("gpt-4o", "model={},"),
        ("../data/support_tickets.csv", "pd.read_csv({})"),
        (25, "df.sample(n={},"),
        (0.8, "assert accuracy >= {},"),
    ],
    "summarization_eval": [
        ("gpt-4o-mini", "model={},"),
        ("gpt-4o", "model={},"),
        (0.2, "temperature={},"),
        ("../data/news_articles.jsonl", "open({})"),
        (3.5, "assert mean_score >= {}"),
    ],
    "rag_grounding_eval": [
        ("gpt-4o", '"judge_model": {},'),
        ("../data/rag_grounding.csv", '"dataset": {},'),
        (0, "temperature={},"),
        (4, "max_tokens={},"),
    ],
}
#: The named prompt strings each notebook defines, which conversion moves to ``prompts/``.
PROMPTS = {
    "support_judge": ("JUDGE_PROMPT",),
    "summarization_eval": ("SUMMARY_PROMPT", "JUDGE_RUBRIC"),
    "rag_grounding_eval": ("GROUNDING_PROMPT",),
}

PARAMETER_LINE = re.compile(
    r"^(?P<name>[A-Za-z_]\w*): (?P<type>str|int|float|bool|list|dict) = (?P<default>.+?)"
    r"  # (?P<help>\S.*)$"
)
INSTALL_LINE = re.compile(r"^\s*[%!]\s*(?:pip|conda|mamba|uv)\b|\bpip install\b", re.MULTILINE)


# --- helpers -------------------------------------------------------------------------------


def copy_legacy(directory: Path) -> Path:
    """The legacy notebooks and their data, copied to ``directory/legacy``."""
    target = directory / "legacy"
    shutil.copytree(
        LEGACY, target, ignore=shutil.ignore_patterns("stand_in", "__pycache__", "README.md")
    )
    return target


def read_notebook(path: Path) -> NotebookNode:
    return nbformat.read(str(path), as_version=4)


def code_cells(notebook: NotebookNode) -> list[NotebookNode]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def parameters_cells(notebook: NotebookNode) -> list[NotebookNode]:
    return [cell for cell in code_cells(notebook) if "parameters" in cell.metadata.get("tags", [])]


def declared_parameters(notebook: NotebookNode) -> dict[str, dict[str, Any]]:
    """``name -> {type, default (source text), value, help}`` from the parameters cell."""
    (cell,) = parameters_cells(notebook)
    declared = {}
    for line in cell.source.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = PARAMETER_LINE.match(line)
        assert match, f"not a typed `name: type = default  # help` line: {line!r}"
        declared[match["name"]] = {
            "type": match["type"],
            "default": match["default"],
            "value": ast.literal_eval(match["default"]),
            "help": match["help"],
        }
    return declared


def body_source(notebook: NotebookNode) -> str:
    """Every code cell except the parameters cell: where lifted literals must no longer be."""
    return "\n".join(
        cell.source
        for cell in code_cells(notebook)
        if "parameters" not in cell.metadata.get("tags", [])
    )


def human_section(report: str) -> list[str]:
    """The bullets under ``## Needs a human`` of a conversion report."""
    lines = report.split("## Needs a human", 1)[1].splitlines()[1:]
    bullets = []
    for line in lines:
        if line.startswith("- "):
            bullets.append(line)
        elif bullets and not line.strip():
            break
    return bullets


def human_codes(report: str) -> set[str]:
    return {m[1] for m in (re.match(r"- (NBG\d{3}):", b) for b in human_section(report)) if m}


def lint_json(cwd: Path, *paths: str) -> list[dict[str, Any]]:
    result = run_cli(cwd, "lint", *paths, "--output-format", "json")
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def same_value(value: object, expected: object) -> bool:
    return value == expected and isinstance(value, bool) == isinstance(expected, bool)


def names_with_default(parameters: dict[str, dict[str, Any]], value: object) -> list[str]:
    """Parameters lifted from the notebook with this default (convert's run-time shard
    parameters are not lifted from anything)."""
    return [
        name
        for name, p in parameters.items()
        if same_value(p["value"], value) and name not in ("shard_index", "shard_count")
    ]


def prompt_strings(notebook: NotebookNode) -> dict[str, str]:
    """``NAME = "<literal>"`` values of every code cell that is plain Python."""
    found = {}
    for cell in code_cells(notebook):
        try:
            module = ast.parse(cell.source)
        except SyntaxError:
            continue  # an IPython magic cell
        for statement in module.body:
            if (
                isinstance(statement, ast.Assign)
                and isinstance(statement.targets[0], ast.Name)
                and isinstance(statement.value, ast.Constant)
                and isinstance(statement.value.value, str)
            ):
                found[statement.targets[0].id] = statement.value.value
    return found


def cell_results(notebook: NotebookNode) -> list[str]:
    """What each code cell printed or displayed, in order; cells without output are skipped."""
    results = []
    for cell in code_cells(notebook):
        texts = []
        for output in cell.outputs:
            if output.output_type == "stream":
                texts.append(output.text)
            elif output.output_type == "execute_result":
                texts.append(output.data["text/plain"])
        if texts:
            results.append("".join(texts))
    return results


def execute(notebook: Path, output: Path, cwd: Path) -> NotebookNode:
    return papermill.execute_notebook(
        str(notebook),
        str(output),
        cwd=str(cwd),
        kernel_name="python3",
        progress_bar=False,
        log_output=False,
    )


@pytest.fixture
def stand_in_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Kernels started by papermill import the offline ``openai`` stand-in."""
    existing = os.environ.get("PYTHONPATH")
    paths = [str(STAND_IN), *([existing] if existing else [])]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(paths))


@dataclass(frozen=True)
class Conversion:
    stem: str
    source: Path
    source_bytes: bytes
    pipeline: Path
    result: subprocess.CompletedProcess[str]

    @property
    def notebook(self) -> NotebookNode:
        return read_notebook(self.pipeline / f"{self.stem}.ipynb")

    @property
    def lock(self) -> dict[str, Any]:
        return json.loads((self.pipeline / "nbgraduate.lock").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Conversion]:
    """Each legacy notebook converted once, without ``--pin``, next to its copy."""
    legacy = copy_legacy(tmp_path_factory.mktemp("converted"))
    conversions = {}
    for stem in STEMS:
        source = legacy / f"{stem}.ipynb"
        before = source.read_bytes()
        result = run_cli(legacy, "convert", source.name)
        conversions[stem] = Conversion(stem, source, before, legacy / stem, result)
    return conversions


@pytest.fixture(params=STEMS)
def conversion(request: pytest.FixtureRequest, converted: dict[str, Conversion]) -> Conversion:
    return converted[request.param]


# --- the fixtures themselves ---------------------------------------------------------------


def test_legacy_fixtures_are_saved_notebooks_with_their_defects(tmp_path: Path) -> None:
    for stem in STEMS:
        notebook = read_notebook(LEGACY / f"{stem}.ipynb")
        nbformat.validate(notebook)
        cells = code_cells(notebook)
        assert all(cell.execution_count for cell in cells), stem
        assert any(cell.outputs for cell in cells), stem
    # Linted outside this repository: here git versions their data, as a user's commit would.
    legacy = tmp_path / "legacy"
    shutil.copytree(LEGACY, legacy)
    findings = lint_json(legacy, *(f"{stem}.ipynb" for stem in STEMS))
    for stem in STEMS:
        codes = {f["code"] for f in findings if Path(f["filename"]).stem == stem}
        assert codes == LEGACY_FINDINGS[stem], stem


# --- what conversion writes ----------------------------------------------------------------


def test_convert_writes_a_complete_pipeline_directory(conversion: Conversion) -> None:
    result, pipeline = conversion.result, conversion.pipeline
    assert result.returncode == 1, result.stderr  # a floating judge always needs a human
    assert (pipeline / f"{conversion.stem}.ipynb").is_file()
    for name in PIPELINE_FILES:
        assert (pipeline / name).is_file(), name
    assert sorted(p.suffix for p in (pipeline / "prompts").iterdir()) == [".txt"] * len(
        PROMPTS[conversion.stem]
    )
    assert (pipeline / "CONVERSION.md").read_text(encoding="utf-8") == result.stdout
    changelog = (pipeline / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(r"^## 1\.0\.0 \(\d{4}-\d{2}-\d{2}\)$", changelog, re.MULTILINE)
    assert f"- graduated from {conversion.stem}.ipynb by nbgraduate convert" in changelog
    assert conversion.lock["contract_version"] == "1.0.0"
    assert conversion.lock["notebook"] == f"{conversion.stem}.ipynb"
    assert not [p.name for p in pipeline.parent.iterdir() if p.name.startswith(".")]


def test_source_notebook_is_byte_identical_after_conversion(conversion: Conversion) -> None:
    assert conversion.source.read_bytes() == conversion.source_bytes


def test_pipeline_notebook_has_no_outputs_and_no_execution_counts(
    conversion: Conversion,
) -> None:
    for cell in code_cells(conversion.notebook):
        assert cell.outputs == []
        assert cell.execution_count is None


def test_pipeline_has_one_typed_parameters_cell_papermill_can_inspect(
    conversion: Conversion,
) -> None:
    notebook = conversion.notebook
    cells = parameters_cells(notebook)
    assert len(cells) == 1
    assert cells[0] is code_cells(notebook)[0]  # parameters come before any code uses them
    declared = declared_parameters(notebook)
    assert declared
    inspected = papermill.inspect_notebook(str(conversion.pipeline / f"{conversion.stem}.ipynb"))
    assert set(inspected) == set(declared)
    for name, parameter in declared.items():
        assert inspected[name]["inferred_type_name"] == parameter["type"], name
        assert inspected[name]["default"] == parameter["default"], name
        assert inspected[name]["help"] == parameter["help"], name
        expected_type = {"str": str, "int": int, "float": (int, float)}[parameter["type"]]
        assert isinstance(parameter["value"], expected_type), name


def test_install_magics_are_removed(conversion: Conversion) -> None:
    original = "\n".join(cell.source for cell in code_cells(read_notebook(conversion.source)))
    assert INSTALL_LINE.search(original) or conversion.stem == "rag_grounding_eval"
    assert not INSTALL_LINE.search(body_source(conversion.notebook))


def test_inline_literals_are_lifted_into_parameters(conversion: Conversion) -> None:
    declared = declared_parameters(conversion.notebook)
    body = body_source(conversion.notebook)
    for value, usage in LIFTED[conversion.stem]:
        names = names_with_default(declared, value)
        assert any(usage.format(name) in body for name in names), (value, usage, names)
        if isinstance(value, str):
            assert json.dumps(value) not in body and repr(value) not in body, value
        else:
            assert usage.format(repr(value)) not in body, value
    for parameter in declared.values():
        if isinstance(parameter["value"], str) and parameter["value"].endswith(
            (".csv", ".jsonl", ".txt")
        ):
            assert (conversion.pipeline / parameter["value"]).is_file(), parameter


def test_unseeded_sampling_call_gets_the_seed_parameter(converted: dict[str, Conversion]) -> None:
    notebook = converted["support_judge"].notebook
    (seed,) = (n for n, p in declared_parameters(notebook).items() if "seed" in p["help"])
    assert re.search(rf"df\.sample\(n=\w+, random_state={seed}\)", body_source(notebook))


def test_global_random_generator_is_seeded_after_its_import(
    converted: dict[str, Conversion],
) -> None:
    notebook = converted["summarization_eval"].notebook
    declared = declared_parameters(notebook)
    (seed,) = (n for n, p in declared.items() if "seed" in p["help"])
    assert declared[seed]["type"] == "int"
    assert f"import random\nrandom.seed({seed})\n" in body_source(notebook)


def test_deterministic_notebook_gets_no_seed(converted: dict[str, Conversion]) -> None:
    declared = declared_parameters(converted["rag_grounding_eval"].notebook)
    assert not [name for name, p in declared.items() if "seed" in name or "seed" in p["help"]]


def test_long_prompts_are_extracted_with_identical_content(conversion: Conversion) -> None:
    originals = prompt_strings(read_notebook(conversion.source))
    declared = declared_parameters(conversion.notebook)
    body = body_source(conversion.notebook)
    locked = {p["path"]: p["sha256"] for p in conversion.lock["prompts"]}
    for variable in PROMPTS[conversion.stem]:
        text = originals[variable]
        match = re.search(
            rf'^{variable} = pathlib\.Path\((\w+)\)\.read_text\(encoding="utf-8"\)$',
            body,
            re.MULTILINE,
        )
        assert match, variable
        relative = declared[match[1]]["value"]
        assert relative.startswith("prompts/") and relative.endswith(".txt")
        data = (conversion.pipeline / relative).read_bytes()
        assert data.decode("utf-8") == text, variable
        assert locked[relative] == hashlib.sha256(data).hexdigest()
        assert text.splitlines()[0] not in body, variable


def test_lint_of_pipeline_leaves_only_what_needs_a_human(conversion: Conversion) -> None:
    findings = lint_json(conversion.pipeline.parent, conversion.stem)
    codes = {finding["code"] for finding in findings}
    assert not codes & NEVER_AFTER_CONVERSION, findings
    assert codes >= LEFT_FOR_A_HUMAN[conversion.stem]
    report = conversion.result.stdout
    assert codes <= human_codes(report), (codes, human_section(report))
    assert f"Remaining lint findings in the pipeline: {', '.join(sorted(codes))}" in report


def test_missing_temperature_is_left_for_a_human(converted: dict[str, Conversion]) -> None:
    bullets = human_section(converted["support_judge"].result.stdout)
    assert any(b.startswith("- NBG103:") and "temperature" in b for b in bullets), bullets
    for stem in ("summarization_eval", "rag_grounding_eval"):
        assert "NBG103" not in human_codes(converted[stem].result.stdout), stem


# --- model pins ----------------------------------------------------------------------------


def test_floating_judge_is_listed_for_a_human_without_pin(
    converted: dict[str, Conversion],
) -> None:
    conversion = converted["support_judge"]
    assert conversion.result.returncode == 1
    bullets = [b for b in human_section(conversion.result.stdout) if b.startswith("- NBG101:")]
    assert len(bullets) == 1, bullets
    assert "'gpt-4o'" in bullets[0] and "--pin gpt-4o=" in bullets[0]
    (model,) = conversion.lock["models"]
    assert (model["model_id"], model["role"], model["pinned"]) == ("gpt-4o", "judge", False)
    assert conversion.lock["floating_allowed"] is True


def test_pin_puts_the_snapshot_in_the_parameter_and_pins_the_lock(tmp_path: Path) -> None:
    legacy = copy_legacy(tmp_path)
    result = run_cli(legacy, "convert", "support_judge.ipynb", "--pin", f"gpt-4o={SNAPSHOT}")
    assert result.returncode == 1, result.stderr  # NBG103 and NBG601 still need a human
    pipeline = legacy / "support_judge"
    notebook_path = pipeline / "support_judge.ipynb"
    inspected = papermill.inspect_notebook(str(notebook_path))
    assert inspected["JUDGE_MODEL"]["default"] == json.dumps(SNAPSHOT)
    models = [
        p["value"]
        for p in declared_parameters(read_notebook(notebook_path)).values()
        if str(p["value"]).startswith("gpt-")
    ]
    assert models == [SNAPSHOT]
    lock = json.loads((pipeline / "nbgraduate.lock").read_text(encoding="utf-8"))
    assert lock["models"] == [
        {
            "model_id": SNAPSHOT,
            "parameter": "JUDGE_MODEL",
            "pinned": True,
            "provider": "openai",
            "role": "judge",
        }
    ]
    assert lock["floating_allowed"] is False
    assert "NBG101" not in human_codes(result.stdout)
    assert "NBG101" not in {f["code"] for f in lint_json(legacy, "support_judge")}


# --- semantics -----------------------------------------------------------------------------


@pytest.mark.usefixtures("stand_in_on_path")
def test_deterministic_notebook_computes_the_same_metrics_after_conversion(
    tmp_path: Path,
) -> None:
    legacy = copy_legacy(tmp_path)
    result = run_cli(legacy, "convert", "rag_grounding_eval.ipynb")
    assert result.returncode == 1, result.stderr
    pipeline = legacy / "rag_grounding_eval"

    original = execute(legacy / "rag_grounding_eval.ipynb", tmp_path / "original.ipynb", legacy)
    graduated = execute(
        pipeline / "rag_grounding_eval.ipynb", tmp_path / "graduated.ipynb", pipeline
    )

    assert cell_results(graduated) == cell_results(original)
    metrics = json.loads(cell_results(graduated)[-1])
    assert metrics["examples"] == 24
    # The saved outputs of the legacy notebook are what the stand-in computes, too.
    assert cell_results(original) == cell_results(
        read_notebook(LEGACY / "rag_grounding_eval.ipynb")
    )


@pytest.mark.usefixtures("stand_in_on_path")
def test_seeded_pipeline_draws_the_same_sample_every_run(tmp_path: Path) -> None:
    legacy = copy_legacy(tmp_path)
    result = run_cli(legacy, "convert", "summarization_eval.ipynb")
    assert result.returncode == 1, result.stderr
    pipeline = legacy / "summarization_eval"
    notebook = pipeline / "summarization_eval.ipynb"

    first = execute(notebook, tmp_path / "first.ipynb", pipeline)
    second = execute(notebook, tmp_path / "second.ipynb", pipeline)

    assert cell_results(first) == cell_results(second)
    assert cell_results(first)[0].startswith("12 articles, first: news-")


# --- refusals ------------------------------------------------------------------------------


def write_broken_notebook(directory: Path) -> Path:
    """The deterministic notebook, half-edited: cell 5 lost the colon of its ``def``."""
    notebook = read_notebook(LEGACY / "rag_grounding_eval.ipynb")
    cell = notebook.cells[4]
    assert cell.source.startswith("def grade(example):")
    cell.source = cell.source.replace("def grade(example):", "def grade(example)", 1)
    path = directory / "broken_eval.ipynb"
    nbformat.write(notebook, str(path))
    return path


def listing(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*"))


def test_unparsable_cell_refuses_and_writes_nothing(tmp_path: Path) -> None:
    legacy = copy_legacy(tmp_path)
    source = write_broken_notebook(legacy)
    before_bytes, before_files = source.read_bytes(), listing(tmp_path)

    result = run_cli(legacy, "convert", source.name)

    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert "broken_eval.ipynb" in line and "cell 5" in line, line
    assert listing(tmp_path) == before_files
    assert source.read_bytes() == before_bytes


def test_existing_pipeline_is_refused_without_force_and_replaced_with_force(
    tmp_path: Path,
) -> None:
    legacy = copy_legacy(tmp_path)
    assert run_cli(legacy, "convert", "rag_grounding_eval.ipynb").returncode == 1
    pipeline = legacy / "rag_grounding_eval"
    marker = pipeline / "NOTES.md"
    marker.write_text("hand-written notes\n", encoding="utf-8")
    lock_bytes = (pipeline / "nbgraduate.lock").read_bytes()

    refused = run_cli(legacy, "convert", "rag_grounding_eval.ipynb")
    assert refused.returncode == 2
    (line,) = refused.stderr.splitlines()
    assert "rag_grounding_eval.ipynb" in line and "--force" in line, line
    assert marker.is_file()
    assert (pipeline / "nbgraduate.lock").read_bytes() == lock_bytes

    forced = run_cli(legacy, "convert", "rag_grounding_eval.ipynb", "--force")
    assert forced.returncode == 1, forced.stderr
    assert not marker.exists()
    for name in PIPELINE_FILES:
        assert (pipeline / name).is_file(), name
    assert not [p.name for p in legacy.iterdir() if p.name.startswith(".")]


def test_existing_empty_output_directory_is_used(tmp_path: Path) -> None:
    legacy = copy_legacy(tmp_path)
    (tmp_path / "pipeline").mkdir()
    result = run_cli(legacy, "convert", "rag_grounding_eval.ipynb", "-o", "../pipeline")
    assert result.returncode == 1, result.stderr
    assert (tmp_path / "pipeline" / "nbgraduate.lock").is_file()


# --- folder migration ----------------------------------------------------------------------


def summary_rows(stdout: str) -> dict[str, str]:
    """``notebook file name -> status`` from the summary table."""
    rows = {}
    for line in stdout.splitlines()[1:]:
        if not line.strip():
            break
        notebook, status = line.split()[:2]
        rows[Path(notebook).name] = status
    return rows


def test_folder_migration_converts_each_notebook_and_summarises(tmp_path: Path) -> None:
    legacy = copy_legacy(tmp_path)
    write_broken_notebook(legacy)

    result = run_cli(tmp_path, "convert", "legacy", "-o", "out/")

    assert result.returncode == 2  # the worst: one notebook was refused
    assert result.stdout.splitlines()[0].split() == ["notebook", "status", "pipeline", "notes"]
    assert summary_rows(result.stdout) == {
        "broken_eval.ipynb": "refused",
        **{f"{stem}.ipynb": "needs-human" for stem in STEMS},
    }
    assert result.stdout.rstrip().splitlines()[-1] == "0 converted, 3 need a human, 1 refused"
    (line,) = result.stderr.splitlines()
    assert "broken_eval.ipynb" in line and "cell 5" in line
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(STEMS)
    for stem in STEMS:
        pipeline = tmp_path / "out" / stem
        assert (pipeline / f"{stem}.ipynb").is_file()
        for name in PIPELINE_FILES:
            assert (pipeline / name).is_file(), (stem, name)
    # Dataset paths were re-expressed from out/<stem>/, so the lock still finds the data.
    assert run_cli(tmp_path, "verify", "out/rag_grounding_eval").returncode == 0


def test_folder_migration_exit_code_without_refusals(tmp_path: Path) -> None:
    copy_legacy(tmp_path)
    result = run_cli(tmp_path, "convert", "legacy", "-o", "out")
    assert result.returncode == 1, result.stderr
    assert result.stdout.rstrip().splitlines()[-1] == "0 converted, 3 need a human, 0 refused"
    assert result.stderr == ""


def test_convert_declares_the_shard_parameters_the_lock_leaves_out(
    converted: dict[str, Conversion],
) -> None:
    declared = declared_parameters(converted["support_judge"].notebook)
    assert (declared["shard_index"]["type"], declared["shard_index"]["value"]) == ("int", 0)
    assert (declared["shard_count"]["type"], declared["shard_count"]["value"]) == ("int", 1)
    locked = {parameter["name"] for parameter in converted["support_judge"].lock["parameters"]}
    assert locked and not locked & {"shard_index", "shard_count"}


# --- known bugs ----------------------------------------------------------------------------


def test_lifted_temperature_is_declared_float(converted: dict[str, Conversion]) -> None:
    declared = declared_parameters(converted["rag_grounding_eval"].notebook)
    (name,) = names_with_default(declared, 0)
    assert declared[name]["type"] == "float"


def test_judge_id_in_config_dict_is_locked_as_judge(converted: dict[str, Conversion]) -> None:
    (model,) = converted["rag_grounding_eval"].lock["models"]
    assert model["role"] == "judge"


def test_gate_on_config_dict_threshold_needs_a_human(converted: dict[str, Conversion]) -> None:
    conversion = converted["rag_grounding_eval"]
    assert "NBG601" in human_codes(conversion.result.stdout)
    codes = {f["code"] for f in lint_json(conversion.pipeline.parent, conversion.stem)}
    assert "NBG601" in codes


def named_threshold_notebook(directory: Path) -> Path:
    notebook = new_notebook(
        cells=[
            new_markdown_cell("# Accuracy gate"),
            new_code_cell(
                "import json\n\nTHRESHOLD = 0.75\n"
                'scores = json.load(open("scores.json"))\n'
                "accuracy = sum(scores) / len(scores)"
            ),
            new_code_cell("assert accuracy >= THRESHOLD"),
        ]
    )
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    (directory / "scores.json").write_text("[1, 0, 1, 1]\n", encoding="utf-8")
    path = directory / "accuracy_gate.ipynb"
    nbformat.write(notebook, str(path))
    return path


def test_gate_on_named_threshold_needs_a_human(tmp_path: Path) -> None:
    source = named_threshold_notebook(tmp_path)
    result = run_cli(tmp_path, "convert", source.name)
    codes = {f["code"] for f in lint_json(tmp_path, "accuracy_gate")}
    assert codes == {"NBG601"}
    assert result.returncode == 1
    assert "NBG601" in human_codes(result.stdout)


# --- where the source goes: graduated_from and --move-source -------------------------------


def test_lock_records_the_source_it_was_graduated_from(converted: dict[str, Conversion]) -> None:
    from nbgraduate.lock.digests import notebook_digest
    from nbgraduate.notebook.reader import read_notebook as read_model

    conversion = converted["rag_grounding_eval"]
    model = read_model(conversion.source)
    expected = notebook_digest([(c.cell_type, c.source, c.tags) for c in model.cells])
    assert conversion.lock["schema_version"] == 3
    assert conversion.lock["graduated_from"] == {
        "path": "../rag_grounding_eval.ipynb",
        "notebook_digest": expected,
    }
    report = (conversion.pipeline / "CONVERSION.md").read_text(encoding="utf-8")
    assert "The source notebook stays at `../rag_grounding_eval.ipynb`" in report


def test_move_source_moves_the_notebook_into_legacy_byte_for_byte(tmp_path: Path) -> None:
    legacy = copy_legacy(tmp_path)
    source = legacy / "rag_grounding_eval.ipynb"
    before = source.read_bytes()
    result = run_cli(legacy, "convert", source.name, "--move-source", "--pin", f"gpt-4o={SNAPSHOT}")
    assert result.returncode in (0, 1), result.stderr
    pipeline = legacy / "rag_grounding_eval"
    assert not source.exists()
    assert (pipeline / "legacy" / "rag_grounding_eval.ipynb").read_bytes() == before
    lock = json.loads((pipeline / "nbgraduate.lock").read_text(encoding="utf-8"))
    assert lock["graduated_from"]["path"] == "legacy/rag_grounding_eval.ipynb"
    assert "moved to `legacy/rag_grounding_eval.ipynb`" in result.stdout
    # The legacy copy is history, not a second pipeline notebook: the lock and lint agree.
    assert lock["notebook"] == "rag_grounding_eval.ipynb"
    assert run_cli(legacy, "verify", "rag_grounding_eval").returncode == 0
    linted = {Path(f["filename"]).as_posix() for f in lint_json(legacy, "rag_grounding_eval")}
    assert linted == {"rag_grounding_eval/rag_grounding_eval.ipynb"}
    # Named explicitly, the legacy folder is linted like any notebook.
    named = lint_json(legacy, "rag_grounding_eval/legacy")
    assert {f["code"] for f in named} == LEGACY_FINDINGS["rag_grounding_eval"]


def test_refused_move_source_leaves_the_source_where_it_was(tmp_path: Path) -> None:
    legacy = copy_legacy(tmp_path)
    (legacy / "rag_grounding_eval").mkdir()
    (legacy / "rag_grounding_eval" / "NOTES.md").write_text("mine\n", encoding="utf-8")
    result = run_cli(legacy, "convert", "rag_grounding_eval.ipynb", "--move-source")
    assert result.returncode == 2
    assert (legacy / "rag_grounding_eval.ipynb").is_file()
    assert not (legacy / "rag_grounding_eval" / "legacy").exists()


def test_conversion_records_what_it_left_as_the_pipelines_baseline(
    converted: dict[str, Conversion],
) -> None:
    conversion = converted["support_judge"]
    document = json.loads(
        (conversion.pipeline / "nbgraduate.baseline.json").read_text(encoding="utf-8")
    )
    assert document["kind"] == "pipeline-baseline"
    assert {finding["code"] for finding in document["findings"]} == LEFT_FOR_A_HUMAN[
        "support_judge"
    ]
    assert all(finding["path"] == "support_judge.ipynb" for finding in document["findings"])
    # Not part of the lock: accepting a finding changes no eval contract.
    lock_text = (conversion.pipeline / "nbgraduate.lock").read_text(encoding="utf-8")
    assert "baseline" not in lock_text
