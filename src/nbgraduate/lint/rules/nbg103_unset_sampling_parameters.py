"""NBG103: an LLM request or chat-model constructor that leaves temperature to the default."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nbgraduate.analysis.llm_calls import llm_call_kind, sets_temperature
from nbgraduate.lint.rules.base import Example, Finding, Rule

if TYPE_CHECKING:
    from nbgraduate.lint.context import LintContext


class UnsetSamplingParameters(Rule):
    """Reports direct LLM calls (OpenAI, Anthropic, litellm, Google, Mistral, Bedrock) and
    chat-model constructors (LangChain, LlamaIndex) that do not set ``temperature``, neither as
    an argument nor inside a generation config."""

    code = "NBG103"
    name = "unset-sampling-parameters"
    summary = "LLM call or chat model with no explicit temperature"
    rationale = """
        Sampling parameters are part of the eval contract. Library and provider defaults differ
        (1.0 for OpenAI, 0.7 for some wrappers) and change between versions, so an unset
        temperature means the notebook's score depends on whichever default was in force.
    """
    bad = (
        Example(
            "from openai import OpenAI\n"
            "client = OpenAI()\n"
            'reply = client.chat.completions.create(model="gpt-4o-2024-08-06", messages=[])\n'
        ),
        Example(
            'from langchain_openai import ChatOpenAI\nllm = ChatOpenAI(model="gpt-4o-2024-08-06")\n'
        ),
    )
    good = (
        Example(
            "reply = client.chat.completions.create(\n"
            '    model="gpt-4o-2024-08-06", temperature=0, seed=7, messages=[]\n'
            ")\n"
        ),
        Example(
            'params = {"temperature": 0.0, "max_tokens": 256}\n'
            'reply = client.messages.create(model="claude-3-5-sonnet-20241022", messages=[], **params)\n'
        ),
        Example(
            "import google.generativeai as genai\n"
            'model = genai.GenerativeModel("gemini-1.5-pro-002")\n'
            'reply = model.generate_content("hi", generation_config={"temperature": 0})\n'
        ),
    )

    def check(self, context: LintContext) -> Iterator[Finding]:
        configured_google_model = any(
            call.method == "GenerativeModel" and sets_temperature(call, context.values)
            for call in context.facts.calls
        )
        for call in context.facts.calls:
            kind = llm_call_kind(call)
            if kind is None:
                continue
            if kind == "google" and configured_google_model:
                continue
            if sets_temperature(call, context.values):
                continue
            what = "chat model" if kind == "constructor" else "LLM call"
            message = f"{what} `{call.written_name}(...)` sets no temperature; the default decides the score"
            node = call.node.func
            yield self.finding(message, context.position(call.node), context.end_position(node))
