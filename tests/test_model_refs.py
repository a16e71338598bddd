"""Model references found by the analysis: the role a constructed model takes when it is handed
to a judge, and the work of finding them grows linearly with the calls of a cell."""

from __future__ import annotations

import ast
import sys

from nbgraduate.analysis.facts import collect_facts
from nbgraduate.analysis.model_refs import ModelReference, find_model_references
from nbgraduate.analysis.values import ValueResolver


def references(source: str) -> list[ModelReference]:
    return find_model_references(ValueResolver(collect_facts(ast.parse(source))))


def roles(source: str) -> dict[str | None, str]:
    return {reference.model_id: reference.role for reference in references(source)}


def test_a_model_object_handed_to_a_judge_is_a_judge() -> None:
    source = (
        "from phoenix.evals import llm_classify\n"
        "from langchain_openai import ChatOpenAI\n"
        'llm = ChatOpenAI(model="gpt-4o-2024-08-06")\n'
        'other = ChatOpenAI(model="gpt-4o-mini-2024-07-18")\n'
        "llm_classify(df, model=llm)\n"
        "other.invoke(question)\n"
    )
    assert roles(source) == {"gpt-4o-2024-08-06": "judge", "gpt-4o-mini-2024-07-18": "candidate"}


def test_a_model_object_given_positionally_to_a_judge_function_is_a_judge() -> None:
    source = (
        "from langchain_openai import ChatOpenAI\n"
        'grader_llm = ChatOpenAI(model_name="gpt-4o-2024-08-06")\n'
        'answerer = ChatOpenAI(model_name="gpt-4o-mini-2024-07-18")\n'
        "def judge(question, model): ...\n"
        "judge(question, grader_llm)\n"
        "answerer.invoke(question)\n"
    )
    assert roles(source) == {"gpt-4o-2024-08-06": "judge", "gpt-4o-mini-2024-07-18": "candidate"}


def test_a_model_object_kept_from_judges_stays_a_candidate() -> None:
    source = (
        "from langchain_openai import ChatOpenAI\n"
        'llm = ChatOpenAI(model="gpt-4o-2024-08-06")\n'
        "summarize(document, llm)\n"
        "judge(question, answer)\n"
    )
    assert roles(source) == {"gpt-4o-2024-08-06": "candidate"}


def _lines_run(calls: int) -> int:
    """Python lines of nbgraduate executed finding the model references of one cell of
    ``calls`` LLM calls: a count of work, not a time."""
    lines = [
        "from openai import OpenAI",
        "client = OpenAI()",
        *(
            f'r{i} = client.chat.completions.create(model="gpt-4o-{i}", messages=m)'
            for i in range(calls)
        ),
        "judge(question, r0)",
    ]
    values = ValueResolver(collect_facts(ast.parse("\n".join(lines))))
    count = 0

    def trace(_frame: object, event: str, _arg: object) -> object:
        nonlocal count
        if event == "line":
            count += 1
        return trace

    def enter(frame: object, _event: str, _arg: object) -> object:
        return trace if "nbgraduate" in frame.f_code.co_filename else None  # type: ignore[attr-defined]

    previous = sys.gettrace()  # coverage's tracer, in CI: put back afterwards
    sys.settrace(enter)
    try:
        found = find_model_references(values)
    finally:
        sys.settrace(previous)
    assert len(found) == calls
    return count


def test_work_grows_linearly_with_the_calls_of_a_cell() -> None:
    small, large = _lines_run(200), _lines_run(400)
    # Twice the calls; checking every call against every other would be four times the work.
    assert large < 2.5 * small, (small, large)
