"""NBG103: an LLM request or chat-model constructor that leaves temperature to the default."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from nbgraduate.analysis import catalog
from nbgraduate.analysis.facts import dotted_name
from nbgraduate.analysis.llm_calls import (
    chat_model_call,
    is_local_generation,
    receiver_call,
    sets_temperature,
)
from nbgraduate.core import regex_cache
from nbgraduate.lint.rules.base import Example, Finding, Rule

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from nbgraduate.analysis.call_flow import CallFlow
    from nbgraduate.analysis.facts import CallSite
    from nbgraduate.analysis.values import ValueResolver
    from nbgraduate.lint.context import LintContext


class UnsetSamplingParameters(Rule):
    """Reports direct LLM calls (OpenAI and OpenAI-compatible clients, Anthropic, litellm,
    Google ``generate_content``, Mistral, Cohere, Ollama, Hugging Face ``InferenceClient``,
    Bedrock, Mistral's Agents and Conversations APIs given ``model=``, a Guardrails guard given
    ``llm_api=`` or ``model=``, Vertex AI's ``client.evals.run_inference(model=...)`` and
    ``EvalTask(...).evaluate(model="<name>")``, an OpenAI Evals API run whose ``data_source``
    names a ``model``, ``mlflow.openai.log_model``, an HTTP request whose ``json=`` payload has
    a ``model`` and ``messages`` or a ``prompt``),
    chat-model constructors (LangChain, LlamaIndex, DSPy ``dspy.LM``, Haystack generators) and
    calls of the notebook's own functions that forward ``**kwargs`` into such a request, when
    they do not set ``temperature``: neither as an argument, nor inside a generation config,
    ``generation_kwargs`` or a ``**`` dict defined in the notebook. Local ``transformers``
    generation (``model.generate(...)`` on a model loaded with ``from_pretrained``) is reported
    when it sets neither ``do_sample`` nor ``temperature`` nor a ``generation_config``: the
    model's own ``generation_config.json`` then decides whether it samples. A request to an
    OpenAI reasoning model (``o1``, ``o3-mini``, ``o4-mini``, ``gpt-5``, ``gpt-5-nano``) is not:
    those accept no temperature but the default, so there is nothing to pin."""

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
        Example(
            "from haystack.components.generators.chat import OpenAIChatGenerator\n"
            'llm = OpenAIChatGenerator(model="gpt-4o-2024-08-06")\n',
            note="Haystack generators",
        ),
        Example(
            'import dspy\nlm = dspy.LM("openai/gpt-4o-2024-08-06", max_tokens=1000)\n',
            note="DSPy",
        ),
        Example(
            "from huggingface_hub import InferenceClient\n"
            'client = InferenceClient("meta-llama/Llama-3.1-8B-Instruct")\n'
            'out = client.chat_completion(messages=[{"role": "user", "content": "hi"}])\n',
            note="Hugging Face InferenceClient",
        ),
        Example(
            "from mistralai.client import MistralClient\n"
            "client = MistralClient()\n"
            'reply = client.chat(model="mistral-large-2411", messages=[])\n',
            note="a client's chat(model=..., messages=...)",
        ),
        Example(
            "import anthropic\n"
            "reply = anthropic.Anthropic().messages.create(\n"
            '    model="claude-3-5-sonnet-20241022", max_tokens=100, messages=[]\n'
            ")\n",
            note="chained constructor",
        ),
        Example(
            "def ask(model, messages, **kwargs):\n"
            "    return client.chat.completions.create(model=model, messages=messages, **kwargs)\n"
            "# %%\n"
            'answer = ask("gpt-4o-2024-08-06", [])\n',
            note="a notebook function that forwards **kwargs",
        ),
        Example(
            "import weaviate.classes as wvc\n"
            'client.collections.create(name="Docs",\n'
            "    generative_config=wvc.config.Configure.Generative.openai())\n",
            note="Weaviate generative modules",
        ),
        Example(
            'base = {"model": "gpt-4o-2024-08-06", "max_tokens": 50}\n'
            'reply = client.chat.completions.create(**{**base, "messages": []})\n',
            note="splatted dicts are resolved",
        ),
        Example(
            "from mistralai import Mistral\n"
            "client = Mistral()\n"
            'agent = client.beta.agents.create(model="mistral-medium-2505", name="judge")\n',
            note="Mistral Agents and Conversations APIs (`completion_args` holds the sampling)",
        ),
        Example(
            "from transformers import AutoModelForCausalLM, AutoTokenizer\n"
            'tokenizer = AutoTokenizer.from_pretrained("org/chat-7b", revision="3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a")\n'
            'model = AutoModelForCausalLM.from_pretrained("org/chat-7b", revision="3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a")\n'
            'inputs = tokenizer("Grade this answer", return_tensors="pt")\n'
            "out = model.generate(**inputs, max_new_tokens=64)\n",
            note="local `transformers` generation: the model's generation_config decides",
        ),
        Example(
            "from google import genai\n"
            "from vertexai.generative_models import GenerativeModel\n"
            'tuned = GenerativeModel("gemini-1.5-pro-002", generation_config={"temperature": 0})\n'
            "client = genai.Client()\n"
            'stream = client.models.generate_content_stream(model="gemini-2.0-flash-001", contents="hi")\n',
            note="a Gemini request is set by its own config, not by another model's",
        ),
        Example(
            "from google import genai\n"
            "client = genai.Client()\n"
            'chat = client.chats.create(model="gemini-2.0-flash-001")\n'
            "# %%\n"
            "from vertexai.generative_models import GenerativeModel\n"
            'session = GenerativeModel("gemini-1.5-pro-002").start_chat()\n'
            'reply = session.send_message("Grade this answer")\n',
            note="Gemini chat sessions",
        ),
        Example(
            "import openai\n"
            "from guardrails import Guard\n"
            "guard = Guard().use(Checker())\n"
            'out = guard(openai.chat.completions.create, model="gpt-4o-2024-08-06", messages=[])\n',
            note="a Guardrails guard that calls the LLM",
        ),
        Example(
            "import vertexai\n"
            "client = vertexai.Client(project=PROJECT, location=LOCATION)\n"
            'responses = client.evals.run_inference(model="gemini-2.0-flash-001", src=prompts)\n',
            note="Vertex AI eval SDK inference",
        ),
        Example(
            "from vertexai.evaluation import EvalTask\n"
            'result = EvalTask(dataset=rows, metrics=["fluency"]).evaluate(model="gemini-2.0-flash-001")\n',
            note="a Vertex AI EvalTask run on a model name samples with the model's defaults",
        ),
        Example(
            "from openai import OpenAI\n"
            "client = OpenAI()\n"
            'source = {"type": "completions", "model": "gpt-4.1-2025-04-14", "source": rows}\n'
            "run = client.evals.runs.create(eval_id=eval_id, data_source=source)\n",
            note="an OpenAI Evals API run that generates its samples",
        ),
        Example(
            "import mlflow\nimport openai\n"
            "qa = mlflow.openai.log_model(\n"
            '    model="gpt-4o-2024-08-06", task=openai.chat.completions, artifact_path="qa",\n'
            "    messages=[],\n"
            ")\n",
            note="an OpenAI model logged with MLflow, then called by mlflow.evaluate",
        ),
        Example(
            "import requests\n"
            "reply = requests.post(\n"
            '    "http://localhost:8000/v1/chat/completions",\n'
            '    json={"model": "org/chat-7b", "messages": []},\n'
            ")\n",
            note="an HTTP request to an LLM server",
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
        Example(
            "from haystack.components.generators.chat import OpenAIChatGenerator\n"
            'llm = OpenAIChatGenerator(model="gpt-4o-2024-08-06", generation_kwargs={"temperature": 0})\n'
        ),
        Example(
            "from google import genai\n"
            "from google.genai import types\n"
            "client = genai.Client()\n"
            "reply = client.models.generate_content(\n"
            '    model="gemini-2.0-flash-001", contents="hi",\n'
            "    config=types.GenerateContentConfig(temperature=0),\n"
            ")\n"
        ),
        Example(
            "def ask(model, messages, **kwargs):\n"
            "    return client.chat.completions.create(model=model, messages=messages, **kwargs)\n"
            "# %%\n"
            'answer = ask("gpt-4o-2024-08-06", [], temperature=0)\n'
        ),
        Example('engine = chat_engine.chat("What did the author do?")\n'),
        Example(
            'reply = client.chat.completions.create(model="o3-mini-2025-01-31", messages=[])\n',
            note="OpenAI reasoning models take no temperature",
        ),
        Example(
            'reply = client.chat.completions.create(model="gpt-5-mini-2025-08-07", messages=[])\n',
            note="nor do the GPT-5 reasoning models",
        ),
        Example(
            "import openai, requests, vertexai\n"
            "from guardrails import Guard\n"
            "guard = Guard().use(Checker())\n"
            'out = guard(openai.chat.completions.create, model="gpt-4o-2024-08-06", messages=[],\n'
            "    temperature=0)\n"
            "client = vertexai.Client(project=PROJECT, location=LOCATION)\n"
            'responses = client.evals.run_inference(model="gemini-2.0-flash-001", src=prompts,\n'
            '    config={"generate_content_config": {"temperature": 0}})\n'
            'run = openai.evals.runs.create(eval_id=eval_id, data_source={"type": "completions",\n'
            '    "model": "gpt-4.1-2025-04-14", "sampling_params": {"temperature": 0}})\n'
            'reply = requests.post(url, json={"model": "org/chat-7b", "messages": [], "temperature": 0})\n',
            note="the same calls with their temperature set where each API takes it",
        ),
        Example(
            "from transformers import AutoModelForCausalLM\n"
            'model = AutoModelForCausalLM.from_pretrained("org/chat-7b", revision="3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a")\n'
            "out = model.generate(**inputs, max_new_tokens=64, do_sample=False)\n"
        ),
        Example(
            "from mistralai import Mistral\n"
            "from mistralai.models import CompletionArgs\n"
            "client = Mistral()\n"
            'agent = client.beta.agents.create(model="mistral-medium-2505", name="judge",\n'
            "    completion_args=CompletionArgs(temperature=0, random_seed=7))\n"
            'reply = client.beta.conversations.start(agent_id=agent.id, inputs="Grade this")\n'
        ),
        Example(
            "from weaviate.classes.config import Configure\n"
            "generative = Configure.Generative.openai(\n"
            '    model="gpt-4o-2024-08-06", temperature=0\n'
            ")\n"
        ),
    )

    def check(self, context: LintContext) -> Iterator[Finding]:
        configured_google_models = {
            id(call.node)
            for call in context.facts.calls
            if call.method == "GenerativeModel" and sets_temperature(call, context.values)
        }
        llm_calls = context.llm_calls
        # Most calls are neither LLM calls nor calls of a wrapper: the wrapper names are looked
        # up here, once, rather than asked of ``wrapper_of`` for every call.
        wrappers = llm_calls.wrappers
        for call in context.facts.calls:
            kind = llm_calls.kind(call)
            if kind is None and call.method not in wrappers and call.method != "generate":
                continue
            if kind is None and call.method == "generate":
                if is_local_generation(call, context.values) and not _decides_sampling(
                    call, context.values
                ):
                    message = (
                        f"`{call.written_name}(...)` sets neither do_sample nor temperature; the "
                        "model's generation_config decides whether it samples"
                    )
                    yield self.finding(
                        message, context.position(call.node), context.end_position(call.node.func)
                    )
                continue
            if kind is None:
                wrapper = llm_calls.wrapper_of(call)
                if wrapper is None or sets_temperature(call, context.values):
                    continue
                message = (
                    f"`{call.written_name}(...)` sends an LLM request "
                    f"(`{wrapper.request.written_name}`) with no temperature; the default "
                    "decides the score"
                )
                yield self.finding(
                    message, context.position(call.node), context.end_position(call.node.func)
                )
                continue
            if kind == "google" and _configured_model(
                call, context.values, configured_google_models
            ):
                continue
            if sets_temperature(call, context.values):
                continue
            if _reasoning_model_only(call, llm_calls.flow):
                continue
            what = "chat model" if kind == "constructor" else "LLM call"
            message = f"{what} `{call.written_name}(...)` sets no temperature; the default decides the score"
            node = call.node.func
            yield self.finding(message, context.position(call.node), context.end_position(node))


def _configured_model(call: CallSite, values: ValueResolver, configured: set[int]) -> bool:
    """``model.generate_content(...)`` (or a message of ``model.start_chat()``) on a
    ``GenerativeModel(generation_config=...)`` that sets the temperature; a model the notebook
    cannot trace counts when any model is configured."""
    made = chat_model_call(call, values) or receiver_call(call, values)
    if made is None:
        return bool(configured)
    return id(made) in configured


def _decides_sampling(call: CallSite, values: ValueResolver) -> bool:
    """``do_sample=``, ``generation_config=`` or a temperature (also in ``**kwargs``)."""
    if {"do_sample", "generation_config"} & call.keywords.keys():
        return True
    stars = [star for star in call.star_kwargs if not _tokenized(star, call, values)]
    for star in stars:
        keys = values.dict_keys(star, call.scope)
        if keys is None or {"do_sample", "generation_config"} & keys:
            return True
    if catalog.TEMPERATURE_KEYWORDS & call.keywords.keys():
        return True
    return any(values.dict_keys(star, call.scope) is None for star in stars)


def _tokenized(star: ast.expr, call: CallSite, values: ValueResolver) -> bool:
    """``**inputs`` with ``inputs = tokenizer(...)`` (or a processor's, moved ``.to(device)``):
    input tensors, never sampling settings."""
    made = values.follow(star, call.scope)
    for _ in range(3):
        if not isinstance(made, ast.Call):
            return False
        if isinstance(made.func, ast.Attribute) and made.func.attr in ("to", "cuda", "cpu"):
            made = values.follow(made.func.value, call.scope)
            continue
        name = (dotted_name(made.func) or "").lower()
        return "tokenizer" in name or "processor" in name or name.endswith("apply_chat_template")
    return False


#: OpenAI reasoning models (``o1``, ``o3-mini``, ``o4-mini-2025-04-16``, ``gpt-5``,
#: ``gpt-5-nano``) accept no temperature but the default: there is no setting to pin, repeats
#: carry the variance. (``gpt-5-chat-latest`` is no reasoning model and takes a temperature.)
_REASONING_MODEL = regex_cache.compile(
    r"^(?:openai/)?(?:o\d(?:-|$)|gpt-5(?:-(?:mini|nano|pro))?(?:-\d{4}-\d{2}-\d{2})?$)"
)


def _reasoning_model_only(call: CallSite, flow: CallFlow) -> bool:
    """Whether every model id the call can be given is an OpenAI reasoning model."""
    found = flow.sources(call.argument(99, "model"), call.scope)
    ids = [str(v.value) for v in found if isinstance(v.value, str)]
    return bool(ids) and all(_REASONING_MODEL.match(i) for i in ids)
