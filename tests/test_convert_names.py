"""Roles and names at conversion: the judge follows where the model goes, parameters keep the
notebook's own names, and help texts say each thing once."""

from __future__ import annotations

import itertools
import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from nbgraduate.graduate.convert import convert_notebook
from nbgraduate.graduate.result import ConversionOptions

DIFFERENTIAL = Path(__file__).resolve().parents[1] / "fixtures" / "differential"


def convert(directory: Path, name: str) -> tuple[dict[str, str], dict[str, str], dict]:
    """``(parameter -> help, parameter -> default source, lock)`` of a converted notebook."""
    result = convert_notebook(directory / f"{name}.ipynb", ConversionOptions(force=True))
    assert result.pipeline_dir is not None
    lock = json.loads((result.pipeline_dir / "nbgraduate.lock").read_text(encoding="utf-8"))
    helps = {p.name: p.help for p in result.parameters}
    defaults = {p.name: p.default for p in result.parameters}
    return helps, defaults, lock


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("names") / "corpus"
    shutil.copytree(DIFFERENTIAL, target, ignore=shutil.ignore_patterns("stand_in"))
    return target


def roles(lock: dict) -> dict[str, str]:
    return {model["model_id"]: model["role"] for model in lock["models"]}


def test_a_temperature_passed_to_the_notebooks_judge_function_keeps_its_name(
    corpus: Path,
) -> None:
    _helps, defaults, lock = convert(corpus, "t21_judge_function_temperature")
    assert defaults["JUDGE_TEMPERATURE"] == 0.0
    assert roles(lock) == {"gpt-4o-2024-08-06": "judge"}
    assert lock["sampling"]["temperature"] == 0.0


def test_a_second_temperature_is_named_by_the_role_of_its_call(corpus: Path) -> None:
    helps, defaults, lock = convert(corpus, "t34_candidate_and_judge")
    assert defaults["temperature"] == 0.7 and defaults["judge_temperature"] == 0.0
    assert roles(lock) == {"gpt-4o-mini-2024-07-18": "candidate", "gpt-4o-2024-08-06": "judge"}
    assert helps["temperature"] == helps["judge_temperature"]  # one help text per kind


def test_eval_library_judges_are_judges(corpus: Path) -> None:
    _helps, _defaults, lock = convert(corpus, "t22_phoenix_llm_classify")
    assert roles(lock) == {"gpt-4o": "judge"}


def test_a_model_handed_to_a_judge_is_a_judge(tmp_path: Path) -> None:
    notebook = new_notebook(
        cells=[
            new_code_cell(
                "from phoenix.evals import LLM, llm_classify\n"
                'evaluator_llm = LLM(provider="openai", model="gpt-4o-2024-08-06")\n'
                'labels = llm_classify(data, evaluator_llm, "template", ["a", "b"])'
            ),
            new_code_cell(
                "from openai import OpenAI\n\nclient = OpenAI()\n\n\n"
                "def grade(answer):\n"
                '    return client.chat.completions.create(model="gpt-4o-mini-2024-07-18", '
                'messages=[{"role": "user", "content": answer}], temperature=0)'
            ),
        ]
    )
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "P", "language": "python"}
    nbformat.write(notebook, str(tmp_path / "judges.ipynb"))
    _helps, _defaults, lock = convert(tmp_path, "judges")
    assert roles(lock) == {"gpt-4o-2024-08-06": "judge", "gpt-4o-mini-2024-07-18": "judge"}


def test_help_texts_say_each_thing_once_and_names_are_not_numbered(corpus: Path) -> None:
    for name in ("t28_prompt_extraction", "t34_candidate_and_judge", "t27_config_dict"):
        helps, _defaults, _lock = convert(corpus, name)
        for parameter, text in helps.items():
            words = re.findall(r"[a-z]+", text.lower())
            assert not any(a == b for a, b in itertools.pairwise(words)), text
            assert not re.search(r"_\d+$", parameter), parameter
    helps, _defaults, _lock = convert(corpus, "t28_prompt_extraction")
    assert helps["judge_prompt_path"].startswith("JUDGE_PROMPT file")
