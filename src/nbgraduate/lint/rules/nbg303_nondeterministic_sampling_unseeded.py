"""NBG303: an LLM samples with temperature > 0 and no seed, though its API accepts one."""

from __future__ import annotations

from collections.abc import Iterator

from nbgraduate.analysis.llm_calls import unseeded_temperatures
from nbgraduate.core import regex_cache
from nbgraduate.lint.promptfoo_configs import (
    promptfoo_runs,
    read_config,
    unseeded_providers,
    written_config,
)
from nbgraduate.lint.rules.base import Example, Finding, Rule

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from nbgraduate.lint.context import LintContext
    from nbgraduate.lint.promptfoo_configs import UnseededProvider
    from nbgraduate.notebook.model import Cell

_SEED_NAME = {"mistral": "random_seed"}
#: A YAML scalar as written on its line: up to a comment, a flow separator or the line's end.
_VALUE = regex_cache.compile(r"[^\s,}\]#]+")


class NondeterministicSamplingUnseeded(Rule):
    """Reports a temperature above 0 given to an LLM call, a chat-model or client configuration
    (LangChain, LlamaIndex, DSPy, Haystack), a Guardrails guard that calls the LLM, a sampling
    config (Gemini ``GenerationConfig`` and ``GenerateContentConfig``, vLLM ``SamplingParams``,
    Inspect ``GenerateConfig``) or a notebook function or class that passes it on, when no ``seed`` (Mistral: ``random_seed``) is set and
    the API accepts one: OpenAI and OpenAI-compatible servers (vLLM, Ollama, Groq, Together...),
    Gemini, Mistral, Hugging Face inference. It is reported where the temperature is written:
    the literal, a constant, a function default or the argument a caller passes.

    A ``!promptfoo eval -c <config>`` line (or ``promptfooconfig.yaml`` without ``-c``) is
    reported at the config's name when that file, read beside the notebook and only inside the
    repository, gives a provider ``config: {temperature: > 0}`` and no ``seed``; a configuration
    an earlier ``%%writefile`` cell writes is reported at each such temperature in the cell.
    Providers given on the line (``--providers``) replace the configuration's.

    APIs without a seed parameter (Anthropic, Cohere, Bedrock, OpenAI's Responses API) are not
    reported: there, the repeats of ``nbgraduate run`` carry the variance."""

    code = "NBG303"
    name = "nondeterministic-sampling-unseeded"
    summary = "LLM sampling with temperature > 0 and no seed, though the API takes one"
    rationale = """
        With temperature above 0 every run draws different completions, so two runs of the
        same eval disagree and a score difference cannot be told from sampling noise. Where the
        API accepts a seed, passing one makes the draws repeatable (best effort on hosted APIs,
        exact on vLLM), so a regression shows as a regression. Set a seed, or use temperature 0
        when the eval does not need diversity.
    """
    bad = (
        Example(
            "from openai import OpenAI\n"
            "client = OpenAI()\n"
            "reply = client.chat.completions.create(\n"
            '    model="gpt-4o-2024-08-06", temperature=0.7, messages=[]\n'
            ")\n"
        ),
        Example(
            "from mistralai import Mistral\n"
            "client = Mistral()\n"
            "reply = client.chat.complete(\n"
            '    model="mistral-large-2411", messages=[], temperature=0.3\n'
            ")\n",
            note="Mistral takes random_seed",
        ),
        Example(
            'import dspy\nlm = dspy.LM("openai/gpt-4o-2024-08-06", temperature=1.0)\n',
            note="a DSPy LM configuration",
        ),
        Example(
            "from llama_index.llms.openai import OpenAI\n"
            'llm = OpenAI(model="gpt-4o-2024-08-06", temperature=0.1)\n',
        ),
        Example(
            "from vllm import SamplingParams\nparams = SamplingParams(temperature=0.8, top_p=0.95)\n",
            note="vLLM",
        ),
        Example(
            "import google.generativeai as genai\n"
            'model = genai.GenerativeModel("gemini-1.5-pro-002",\n'
            "    generation_config=genai.GenerationConfig(temperature=0.4))\n",
            note="Gemini",
        ),
        Example(
            "from google import genai\n"
            "from google.genai import types\n"
            "client = genai.Client()\n"
            "reply = client.models.generate_content(\n"
            '    model="gemini-2.0-flash-001", contents="hi",\n'
            "    config=types.GenerateContentConfig(temperature=0.9),\n"
            ")\n",
            note="Gemini, temperature inside config=",
        ),
        Example(
            "TEMPERATURE = 0.7\n"
            "# %%\n"
            "def generate(prompt, temperature=TEMPERATURE):\n"
            "    return client.chat.completions.create(\n"
            '        model="gpt-4o-2024-08-06", temperature=temperature, messages=[]\n'
            "    )\n",
            note="reported at the constant",
        ),
        Example(
            "class Generator:\n"
            "    def __init__(self, model, temperature=0.0):\n"
            "        self.model, self.temperature = model, temperature\n"
            "\n"
            "    def run(self, messages):\n"
            "        return client.chat.completions.create(\n"
            "            model=self.model, messages=messages, temperature=self.temperature\n"
            "        )\n"
            "# %%\n"
            'gen = Generator("gpt-4o-2024-08-06", temperature=0.4)\n',
            note="reported where the caller passes it",
        ),
        Example(
            "import vertexai\n"
            "client = vertexai.Client(project=PROJECT, location=LOCATION)\n"
            "responses = client.evals.run_inference(\n"
            '    model="gemini-2.0-flash-001", src=prompts,\n'
            '    config={"generate_content_config": {"temperature": 1.0}},\n'
            ")\n",
            note="a sampling config nested in another (Vertex AI eval SDK inference)",
        ),
        Example(
            "import openai\n"
            "from guardrails import Guard\n"
            "guard = Guard().use(Checker())\n"
            "out = guard(openai.chat.completions.create,\n"
            '    model="gpt-4o-2024-08-06", messages=[], temperature=0.7)\n',
            note="a Guardrails guard passes its keywords to the LLM",
        ),
        Example(
            "!promptfoo eval -c promptfooconfig.yaml\n",
            note="a promptfoo run whose configuration (beside the notebook) samples unseeded",
            files=(
                "==> promptfooconfig.yaml <==\n"
                "prompts: [prompt.txt]\n"
                "providers:\n"
                "  - id: openai:gpt-4o-2024-08-06\n"
                "    config:\n"
                "      temperature: 0.7\n"
            ),
        ),
        Example(
            "%%writefile promptfooconfig.yaml\n"
            "providers:\n"
            "  - id: openai:gpt-4o-2024-08-06\n"
            "    config: {temperature: 0.7}\n"
            "# %%\n"
            "!promptfoo eval\n",
            note="or one the notebook writes (reported at the temperature)",
        ),
    )
    good = (
        Example(
            "from openai import OpenAI\n"
            "client = OpenAI()\n"
            'reply = client.responses.create(model="gpt-4o-2024-08-06", input="hi", temperature=0.7)\n',
            note="OpenAI's Responses API takes no seed",
        ),
        Example(
            "reply = client.chat.completions.create(\n"
            '    model="gpt-4o-2024-08-06", temperature=0.7, seed=13, messages=[]\n'
            ")\n"
        ),
        Example(
            "import anthropic\n"
            "client = anthropic.Anthropic()\n"
            "reply = client.messages.create(\n"
            '    model="claude-3-5-sonnet-20241022", temperature=0.7, max_tokens=100, messages=[]\n'
            ")\n",
            note="the Anthropic API has no seed",
        ),
        Example(
            "from mistralai import Mistral\n"
            "client = Mistral()\n"
            "reply = client.chat.complete(\n"
            '    model="mistral-large-2411", messages=[], temperature=0.3, random_seed=13\n'
            ")\n"
        ),
        Example('import dspy\nlm = dspy.LM("openai/gpt-4o-2024-08-06", temperature=0)\n'),
        Example(
            "from guardrails import Guard\n"
            "guard = Guard().use(Checker())\n"
            'checked = guard.validate("The answer is 4.")\n',
            note="a guard that only validates text calls no LLM",
        ),
        Example(
            "import vertexai\n"
            "client = vertexai.Client(project=PROJECT, location=LOCATION)\n"
            "responses = client.evals.run_inference(\n"
            '    model="gemini-2.0-flash-001", src=prompts,\n'
            '    config={"generate_content_config": {"temperature": 1.0, "seed": 13}},\n'
            ")\n",
            note="seeded in the nested sampling config",
        ),
        Example(
            "from transformers import GenerationConfig, set_seed\n"
            "set_seed(13)\n"
            "config = GenerationConfig(do_sample=True, temperature=0.7)\n",
            note="local transformers generation is seeded globally (NBG301)",
        ),
        Example(
            "!promptfoo eval -c promptfooconfig.yaml\n",
            files=(
                "==> promptfooconfig.yaml <==\n"
                "providers:\n"
                "  - id: openai:gpt-4o-2024-08-06\n"
                "    config:\n"
                "      temperature: 0.7\n"
                "      seed: 13\n"
                "  - id: anthropic:messages:claude-3-5-sonnet-20241022\n"
                "    config:\n"
                "      temperature: 0.7\n"
            ),
        ),
    )

    def check(self, context: LintContext) -> Iterator[Finding]:
        reported: set[int] = set()
        for site in context.llm_calls.sampling_sites():
            for value in unseeded_temperatures(site):
                if id(value.node) in reported:
                    continue
                reported.add(id(value.node))
                temperature = value.value
                seed = _SEED_NAME.get(site.provider or "", "seed")
                message = (
                    f"temperature {temperature} samples differently on every run and "
                    f"`{site.call.written_name}(...)` sets no {seed}; pass {seed}=... so reruns "
                    "draw the same completions"
                )
                node = value.node
                yield self.finding(message, context.position(node), context.end_position(node))
        yield from self._promptfoo(context)

    def _promptfoo(self, context: LintContext) -> Iterator[Finding]:
        """``!promptfoo eval -c config.yaml``: the configuration's providers, read from the file
        beside the notebook when it is inside the repository."""
        runs = promptfoo_runs(context.notebook.shell_commands)
        if not runs:
            return
        pins = context.dataset_pins
        written_reported: set[int] = set()
        for run in runs:
            if run.providers_given:
                continue
            written = written_config(run, context.notebook.cells)
            if written is not None:
                cell, document = written
                if cell.index not in written_reported:
                    written_reported.add(cell.index)
                    yield from self._written(context, cell, unseeded_providers(document))
                continue
            document = read_config(run.config, pins.directory, pins.root)
            providers = unseeded_providers(document)
            if not providers:
                continue
            listed = ", ".join(f"{p.provider} (temperature {p.temperature:g})" for p in providers)
            message = (
                f"promptfoo config {run.config!r} samples {listed} with no seed; add `seed:` "
                "to each provider's config so reruns draw the same completions"
            )
            yield self.finding(
                message,
                context.cell_position(run.cell_index, run.row, run.column),
                context.cell_position(run.cell_index, run.row, run.end_column),
            )

    def _written(
        self, context: LintContext, cell: Cell, providers: list[UnseededProvider]
    ) -> Iterator[Finding]:
        """Each unseeded temperature of a configuration a ``%%writefile`` cell writes, on its
        line of the cell (the YAML's line numbers are the cell's rows, 0-based)."""
        lines = cell.lines
        for provider in providers:
            if provider.line < 0:
                continue
            message = (
                f"temperature {provider.temperature:g} samples {provider.provider} differently "
                "on every run and its promptfoo config sets no seed; add `seed:` to its config "
                "so reruns draw the same completions"
            )
            line = lines[provider.line] if provider.line < len(lines) else ""
            written = _VALUE.match(line, provider.column)
            row, column = provider.line + 1, provider.column + 1
            end = column + (len(written.group()) if written else 0)
            yield self.finding(
                message,
                context.cell_position(cell.index, row, column),
                context.cell_position(cell.index, row, end),
            )
