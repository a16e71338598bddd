"""Recognise requests to LLMs and chat-model constructors: which API they speak, whether they set
a temperature and a seed, and the notebook's own functions that wrap them."""

from __future__ import annotations

import ast
import ipaddress
from functools import cached_property
from urllib.parse import urlsplit

from nbgraduate.analysis import catalog
from nbgraduate.analysis.call_flow import CallFlow
from nbgraduate.analysis.facts import CallSite, ProgramFacts, dotted_name
from nbgraduate.analysis.values import ResolvedValue, ValueResolver
from nbgraduate.core import regex_cache
from nbgraduate.core.records import Record

_REQUEST_METHODS = frozenset(suffix.rsplit(".", 1)[-1] for suffix in catalog.LLM_REQUEST_SUFFIXES)
_CONSTRUCTOR_METHODS = frozenset({"get_finetuned_model"})
_CANDIDATE_METHODS = (
    _REQUEST_METHODS | catalog.CHAT_MODEL_CONSTRUCTORS | catalog.CHAT_METHODS | _CONSTRUCTOR_METHODS
)
_QUICK_PREFIXES = (*catalog.LLM_CLASS_MODULES, "dspy.")
_ANTHROPIC_REQUESTS = ("messages.create", "messages.stream", "messages.parse")
_MISTRAL_REQUESTS = ("chat.complete", "chat.complete_async", "chat.stream", "chat.parse")
_PROVIDER_PREFIXES = {
    "openai": "openai",
    "azure": "openai",
    "azure_ai": "openai",
    "text-completion-openai": "openai",
    "together_ai": "openai",
    "groq": "openai",
    "fireworks_ai": "openai",
    "deepinfra": "openai",
    "deepseek": "openai",
    "xai": "openai",
    "openrouter": "openai",
    "hosted_vllm": "vllm",
    "anthropic": "anthropic",
    "bedrock": "bedrock",
    "cohere": "cohere",
    "cohere_chat": "cohere",
    "mistral": "mistral",
    "gemini": "google",
    "vertex_ai": "google",
    "ollama": "ollama",
    "ollama_chat": "ollama",
    "huggingface": "huggingface",
}
_BARE_MODEL_PROVIDERS = (
    (regex_cache.compile(r"^(?:gpt-|o\d|chatgpt-|text-davinci|ft:gpt)"), "openai"),
    (regex_cache.compile(r"^claude"), "anthropic"),
    (regex_cache.compile(r"^gemini"), "google"),
    (
        regex_cache.compile(r"^(?:mistral-|open-mistral|open-mixtral|codestral|ministral|pixtral)"),
        "mistral",
    ),
    (regex_cache.compile(r"^command"), "cohere"),
)


#: The last names of calls :meth:`LlmCalls.kind` may call anything but ``None`` (with the
#: qualified names and name shapes :func:`_may_be_llm_call` checks besides): LLM requests and
#: constructors, hosted eval runs, Gemini chats, HTTP requests.
_KIND_METHODS = (
    _CANDIDATE_METHODS
    | catalog.GOOGLE_CHAT_METHODS
    | catalog.HTTP_METHODS
    | {"evaluate", "run_inference", "create"}
)
#: The qualified names besides: requests, logged model constructors, and DSPy's LM clients
#: (``dspy.LM``), the only ``dspy.`` calls whose kind is not ``None`` by their last name: a DSPy
#: notebook makes many others (``dspy.InputField``, ``dspy.Predict``), each a full check.
_KIND_FUNCTIONS = (
    catalog.LLM_REQUEST_FUNCTIONS
    | catalog.LOGGED_LLM_FUNCTIONS
    | {f"dspy.{name}" for name in catalog.DSPY_LM_CLASSES}
)


def _may_be_llm_call(call: CallSite) -> bool:
    """A cheap first look, so the many calls that are no LLM call (``print``, ``df.head``) cost
    a few lookups rather than every check of :meth:`LlmCalls.kind` (guard calls aside)."""
    method = call.method
    if method in _KIND_METHODS or method.endswith("Generator"):
        return True
    qualified = call.qualified_name
    return (
        qualified in _KIND_FUNCTIONS
        or qualified.startswith(catalog.LLM_CLASS_MODULES)
        or catalog.GENERATIVE_MODULE_MARKER in call.written_name
    )


def llm_call_kind(call: CallSite) -> str | None:
    """``"request"``, ``"google"`` (generate_content), ``"constructor"`` or ``None``."""
    method = call.method
    qualified = call.qualified_name
    if qualified in catalog.LOGGED_LLM_FUNCTIONS:
        return "constructor" if "model" in call.keywords and _completion_task(call) else None
    if (
        method not in _CANDIDATE_METHODS
        and qualified not in catalog.LLM_REQUEST_FUNCTIONS
        and not qualified.startswith(_QUICK_PREFIXES)
        and not method.endswith("Generator")
    ):
        if _is_generative_module(call):
            return "constructor"
        return None
    if (
        method not in _CANDIDATE_METHODS
        and qualified not in catalog.LLM_REQUEST_FUNCTIONS
        and not qualified.startswith(catalog.LLM_CLASS_MODULES)
        and not _is_dspy_lm(call)
        and not _is_generator(call)
    ):
        return None
    written = call.written_name
    if qualified in catalog.LLM_REQUEST_FUNCTIONS:
        return "request"
    if method in catalog.GOOGLE_REQUEST_METHODS:
        return "google"
    if method in _CONSTRUCTOR_METHODS:
        return "constructor"
    for suffix in catalog.LLM_REQUEST_SUFFIXES:
        if written == suffix or written.endswith("." + suffix):
            if suffix in ("converse",) and "." not in written:
                return None
            if suffix in catalog.MODEL_KEYWORD_REQUEST_SUFFIXES and "model" not in call.keywords:
                return None
            return "request"
    if method in catalog.CHAT_MODEL_CONSTRUCTORS or _is_dspy_lm(call) or _is_generator(call):
        return "constructor"
    if qualified.startswith(catalog.LLM_CLASS_MODULES):
        return "constructor"
    if (
        method in catalog.CHAT_METHODS
        and "." in written
        and "model" in call.keywords
        and catalog.CHAT_MESSAGE_KEYWORDS & call.keywords.keys()
    ):
        return "request"
    return None


def _completion_task(call: CallSite) -> bool:
    """``task=openai.chat.completions`` (or ``openai.ChatCompletion``): a text generator, not
    ``openai.embeddings``."""
    task = call.keywords.get("task")
    if task is None:
        return False
    written = str(task.value) if isinstance(task, ast.Constant) else dotted_name(task) or ""
    return "completion" in written.lower()


def _is_dspy_lm(call: CallSite) -> bool:
    prefix, _, name = call.qualified_name.rpartition(".")
    return prefix == "dspy" and name in catalog.DSPY_LM_CLASSES


def _is_generative_module(call: CallSite) -> bool:
    """``Configure.Generative.openai(...)``: a Weaviate collection's answer generator."""
    written = call.written_name
    return catalog.GENERATIVE_MODULE_MARKER in written and (
        written.startswith(("Configure.", "wc.", "wvc."))
        or call.qualified_name.startswith("weaviate")
    )


def _is_generator(call: CallSite) -> bool:
    return call.method.endswith("Generator") and call.qualified_name.startswith(
        catalog.GENERATOR_MODULES
    )


#: Guardrails methods that call the LLM when given one (``llm_api=`` or ``model=``); without
#: one, ``parse`` and ``validate`` only check text they are given.
_GUARD_METHODS = frozenset({"parse", "validate", "__call__"})
_GUARD_CLASSES = ("guardrails.Guard", "guardrails.AsyncGuard", "guardrails.guard.Guard")


def is_guard_call(call: CallSite, values: ValueResolver) -> bool:
    """A Guardrails guard asked to call an LLM: ``guard(llm_api=..., model=...)``,
    ``Guard.for_pydantic(...)(model=...)``, ``guard.parse(output, llm_api=...)``. The guard
    passes its keywords (``model``, ``temperature``, ``seed``) on to the LLM request."""
    func = call.node.func
    method_call = isinstance(func, ast.Attribute) and func.attr in _GUARD_METHODS
    if method_call:
        asks_llm = bool({"llm_api", "model"} & call.keywords.keys())
        guard = func.value  # type: ignore[union-attr]
    else:
        asks_llm = bool({"llm_api", "model"} & call.keywords.keys()) or bool(call.node.args)
        guard = func
    if not asks_llm:
        return False
    made = guard if isinstance(guard, ast.Call) else values.resolve_call(guard, call.scope)
    if made is None:
        return False
    return values.qualify(dotted_name(made.func) or "").startswith(_GUARD_CLASSES)


def _guard_provider(
    call: CallSite, values: ValueResolver, flow: CallFlow | None = None
) -> str | None:
    """The API behind a guard: its ``llm_api`` callable, else the model id (through litellm)."""
    llm_api = call.keywords.get("llm_api")
    if llm_api is None and not isinstance(call.node.func, ast.Attribute) and call.node.args:
        llm_api = call.node.args[0]
    written = dotted_name(llm_api) if llm_api is not None else None
    if written:
        if any(written.endswith(suffix) for suffix in _ANTHROPIC_REQUESTS):
            return "anthropic"
        if "completions." in written or "Completion." in written:
            return "openai"
    model = call.keywords.get("model")
    found = flow.sources(model, call.scope) if flow else values.resolve(model, call.scope)
    ids = (str(value.value) for value in found if isinstance(value.value, str))
    return next((p for p in map(provider_of_model_id, ids) if p is not None), None)


def _is_eval_inference(call: CallSite, values: ValueResolver) -> bool:
    """Hosted eval runs that generate the responses they score. Vertex AI's eval SDK
    ``client.evals.run_inference(model="gemini-2.5-flash", src=...)`` samples as ``config``'s
    ``generate_content_config`` says, ``EvalTask(...).evaluate(model="gemini-2.5-flash")`` with
    the model's defaults (a ``model`` that is the notebook's own function is no LLM id); an
    OpenAI Evals API run ``client.evals.runs.create(data_source={"model": ...})`` as the data
    source's ``sampling_params`` say."""
    written = call.written_name
    if _is_eval_task_run(call, values):
        model = call.keywords["model"]
        made = values.resolve_call(model, call.scope)
        if made is not None and (dotted_name(made.func) or "").endswith("GenerativeModel"):
            # ``evaluate(model=GenerativeModel("gemini-...", generation_config=...))``
            config = next((k.value for k in made.keywords if k.arg == "generation_config"), None)
            keys = values.dict_keys(config, call.scope) if config is not None else set()
            return keys is not None and not catalog.TEMPERATURE_KEYWORDS & keys
        return bool(values.strings(model, call.scope))
    if written.endswith("evals.run_inference"):
        return bool(values.strings(call.keywords.get("model"), call.scope))
    if written.endswith("evals.runs.create"):
        keys = values.dict_keys(call.keywords.get("data_source"), call.scope)
        return keys is not None and "model" in keys
    return False


def http_payload(call: CallSite, values: ValueResolver) -> ast.expr | None:
    """``requests.post(url, json={"model": ..., "messages": [...]})`` (httpx, aiohttp alike):
    the payload of an HTTP request to an LLM server, whose keys are the request's settings."""
    if call.method not in catalog.HTTP_METHODS:
        return None
    for name in catalog.HTTP_PAYLOAD_KEYWORDS & call.keywords.keys():
        keys = values.dict_keys(call.keywords[name], call.scope)
        if keys and "model" in keys and keys & _PAYLOAD_INPUT_KEYS:
            return call.keywords[name]
    return None


_PAYLOAD_INPUT_KEYS = catalog.CHAT_MESSAGE_KEYWORDS | {"input"}
#: Paths of LLM servers' HTTP APIs and the API they speak.
_HTTP_API_PATHS = (
    ("/chat/completions", "openai"),
    ("/v1/completions", "openai"),
    ("/api/generate", "ollama"),
    ("/api/chat", "ollama"),
    ("/v1/messages", "anthropic"),
)


def _http_provider(call: CallSite, payload: ast.expr, values: ValueResolver) -> str | None:
    """The API of an HTTP request to an LLM: its model id's, else its URL path's."""
    for key, value in _entries(payload, call, values):
        if key == "model":
            for model in values.strings(value, call.scope):
                provider = provider_of_model_id(str(model.value))
                if provider is not None:
                    return provider
    for url in values.strings(call.argument(0, "url"), call.scope):
        for path, provider in _HTTP_API_PATHS:
            if path in str(url.value):
                return provider
    return None


def _is_eval_task_run(call: CallSite, values: ValueResolver) -> bool:
    """``EvalTask(dataset=..., metrics=[...]).evaluate(model="gemini-2.5-flash")`` (Vertex AI):
    the task generates each response with that model's default sampling."""
    if call.method != "evaluate" or "model" not in call.keywords:
        return False
    task = receiver_call(call, values)
    if task is None:
        return False
    name = values.qualify(dotted_name(task.func) or "")
    return name.startswith("vertexai") and name.endswith("EvalTask")


def _imports_guardrails(facts: ProgramFacts) -> bool:
    return any(name.partition(".")[0] == "guardrails" for name in facts.imports.values())


def sets_temperature(call: CallSite, values: ValueResolver) -> bool:
    """Whether the call sets temperature, directly or in a config; unknown ``**kwargs`` count."""
    return _sets(call, values, catalog.TEMPERATURE_KEYWORDS)


def sets_seed(call: CallSite, values: ValueResolver) -> bool:
    """Whether the call passes a seed, directly or in a config; unknown ``**kwargs`` count."""
    return _sets(call, values, catalog.SEED_KEYWORDS)


def _sets(call: CallSite, values: ValueResolver, wanted: frozenset[str]) -> bool:
    if wanted & call.keywords.keys():
        return True
    for config in [*call.star_kwargs, *_configs(call, values)]:
        keys = values.dict_keys(config, call.scope)
        if keys is None or wanted & keys:
            return True
    return False


def _configs(call: CallSite, values: ValueResolver) -> list[ast.expr]:
    """The call's sampling configs (an HTTP request's payload too), and those nested one level
    in them: ``run_inference(config={"generate_content_config": {"temperature": 0.2}})``."""
    configs = [
        call.keywords[name] for name in catalog.SAMPLING_CONFIG_KEYWORDS & call.keywords.keys()
    ]
    payload = http_payload(call, values)
    if payload is not None:
        configs.append(payload)
    for config in list(configs):
        configs += [
            value
            for key, value in _entries(config, call, values)
            if key in catalog.SAMPLING_CONFIG_KEYWORDS
        ]
    return configs


def _entries(config: ast.expr, call: CallSite, values: ValueResolver) -> list[tuple[str, ast.expr]]:
    """A config's keys and values, when it is a dict literal or a call with keywords."""
    created = values.follow(config, call.scope)
    if isinstance(created, ast.Dict):
        return [
            (key.value, value)
            for key, value in zip(created.keys, created.values, strict=True)
            if isinstance(key, ast.Constant) and isinstance(key.value, str)
        ]
    if isinstance(created, ast.Call):
        return [(k.arg, k.value) for k in created.keywords if k.arg]
    return []


def temperature_arguments(call: CallSite, values: ValueResolver) -> list[ast.expr]:
    """The expressions that set the call's temperature: the keyword, or a config's entry."""
    found = [call.keywords[name] for name in catalog.TEMPERATURE_KEYWORDS if name in call.keywords]
    for config in [*_configs(call, values), *call.star_kwargs]:
        found += [
            value
            for key, value in _entries(config, call, values)
            if key in catalog.TEMPERATURE_KEYWORDS
        ]
    return found


def sampling_config_api(call: CallSite) -> str | None:
    """The API of a sampling config object (``GenerationConfig``, vLLM ``SamplingParams``);
    Gemini's ``GenerativeModel(generation_config=...)`` configures sampling too."""
    if call.method == "GenerativeModel":
        return "google"
    api = catalog.SAMPLING_CONFIGS.get(call.method)
    modules = catalog.SAMPLING_CONFIG_MODULES.get(call.method)
    if api is not None and modules is not None and not call.qualified_name.startswith(modules):
        return None
    return api


#: The last names of calls :func:`sampling_config_api` may give an API.
_CONFIG_METHODS = frozenset({"GenerativeModel", *catalog.SAMPLING_CONFIGS})


def provider_of(call: CallSite, values: ValueResolver, flow: CallFlow | None = None) -> str | None:
    """Which API an LLM call or constructor speaks (``openai`` for OpenAI-compatible ones)."""
    written = call.written_name
    if is_guard_call(call, values):
        return _guard_provider(call, values, flow)
    if any(written.endswith(suffix) for suffix in _ANTHROPIC_REQUESTS):
        return "anthropic"
    if any(written.endswith(suffix) for suffix in _MISTRAL_REQUESTS):
        return "mistral"
    if call.method in catalog.GOOGLE_REQUEST_METHODS or chat_model_call(call, values):
        return "google"
    if call.qualified_name in catalog.LOGGED_LLM_FUNCTIONS:
        return "openai"
    payload = http_payload(call, values)
    if payload is not None:
        return _http_provider(call, payload, values)
    if call.method == "converse" or call.method == "invoke_model":
        return "bedrock"
    if call.qualified_name.startswith("ollama."):
        return "ollama"
    if call.qualified_name in catalog.LLM_REQUEST_FUNCTIONS or call.qualified_name == "dspy.LM":
        return _provider_of_model(call, values, flow)
    if _is_dspy_lm(call) or call.method in catalog.CHAT_MODEL_CONSTRUCTORS or _is_generator(call):
        return _provider_of_name(call.method) or _provider_of_model(call, values, flow)
    if call.qualified_name.startswith(catalog.LLM_CLASS_MODULES) or _is_generative_module(call):
        return _provider_of_name(call.method) or _provider_of_model(call, values, flow)
    if ".completions." in f".{written}":
        compatible = _compatible_endpoint_provider(call, values)
        if compatible is not None:
            return compatible
    client = _receiver_constructor(call, values)
    if client is not None:
        provider = _provider_of_name(client)
        if provider is not None:
            return provider
    if call.method in ("chat_completion", "text_generation"):
        return "huggingface"
    if (
        ".chat.completions." in f".{written}"
        or ".responses." in f".{written}"
        or (call.method in ("create_assistant",) or written.endswith("assistants.create"))
    ):
        return "openai"
    if written.endswith(("completions.create", "Completion.create", "ChatCompletion.create")):
        return "openai"
    return _provider_of_model(call, values, flow)


#: Hugging Face model classes whose ``generate`` runs the model locally.
_LOCAL_GENERATION_MODEL = regex_cache.compile(r"(?:^|\.)(?:AutoModel|\w+For)\w*\.from_pretrained$")


def is_local_generation(call: CallSite, values: ValueResolver) -> bool:
    """``model.generate(...)`` on a ``transformers`` model loaded with ``from_pretrained``
    (``AutoModelForCausalLM``, ``*ForConditionalGeneration``...), also as ``self.model``."""
    if call.method != "generate":
        return False
    constructor = _receiver_constructor(call, values)
    return constructor is not None and bool(_LOCAL_GENERATION_MODEL.search(constructor))


def _receiver_constructor(call: CallSite, values: ValueResolver) -> str | None:
    """``client.chat(...)`` with ``client = MistralClient(...)``: ``MistralClient``."""
    made = receiver_call(call, values)
    if made is not None:
        return values.qualify(dotted_name(made.func) or "")
    func = call.node.func
    if not isinstance(func, ast.Attribute):
        return None
    receiver = func.value
    while isinstance(receiver, ast.Attribute):
        receiver = receiver.value
    if isinstance(receiver, ast.Name) and receiver.id in values.facts.imports:
        return values.qualify(receiver.id)
    return None


def receiver_call(call: CallSite, values: ValueResolver) -> ast.Call | None:
    """The call that made a method's client: ``OpenAI(base_url=...)`` for
    ``client.chat.completions.create(...)``, also chained or kept as ``self.client``."""
    func = call.node.func
    if not isinstance(func, ast.Attribute):
        return None
    receiver = func.value
    if (
        isinstance(receiver, ast.Attribute)
        and isinstance(receiver.value, ast.Name)
        and receiver.value.id == "self"
    ):
        # ``self.cli.chat(...)`` with ``self.cli = MistralAsyncClient(...)`` in a method.
        for binding in values.facts.bindings_of("self", receiver.attr):
            if isinstance(binding.value, ast.Call):
                return binding.value
    while isinstance(receiver, ast.Attribute):
        receiver = receiver.value
    if isinstance(receiver, ast.Call):
        return receiver
    if isinstance(receiver, ast.Name):
        return values.resolve_call(receiver, call.scope)
    return None


def chat_model_call(call: CallSite, values: ValueResolver) -> ast.Call | None:
    """``chat.send_message(...)`` with ``chat = model.start_chat()``: the ``GenerativeModel(...)``
    call that made the model whose chat this message is."""
    if call.method not in catalog.GOOGLE_CHAT_METHODS:
        return None
    chat = receiver_call(call, values)
    if chat is None or not isinstance(chat.func, ast.Attribute) or chat.func.attr != "start_chat":
        return None
    model = chat.func.value
    made = model if isinstance(model, ast.Call) else values.resolve_call(model, call.scope)
    if made is None or not (dotted_name(made.func) or "").endswith("GenerativeModel"):
        return None
    return made


def azure_openai_call(call: CallSite, values: ValueResolver, made: ast.Call | None) -> bool:
    """Whether the call is an Azure OpenAI client or chat model (LangChain's
    ``AzureChatOpenAI(azure_deployment=...)``), or a request through such a client
    (``AzureOpenAI(...).chat.completions.create(model=...)``): the id it is given names the
    user's deployment, not a model. ``made`` is the call's :func:`receiver_call`, which the
    caller has at hand."""
    if call.qualified_name.rsplit(".", 1)[-1] in catalog.AZURE_OPENAI_CLIENTS:
        return True
    if made is None:
        return False
    written = dotted_name(made.func) or ""
    return values.qualify(written).rsplit(".", 1)[-1] in catalog.AZURE_OPENAI_CLIENTS


def hosting_service(call: CallSite | None, values: ValueResolver) -> str | None:
    """The hosted service that answers a model id (Together AI, Groq, OpenRouter...): the one
    the call's client names (its SDK's class or ``base_url``), else the one every model call of
    the notebook goes to when the notebook runs no model weights itself. ``None`` for a server
    on this machine or the local network, or when the notebook does not say."""
    if call is not None:
        service = _call_service(call, values)
        if service is not None:
            return service or None
    return _notebook_service(values)


def local_server_call(call: CallSite, values: ValueResolver) -> bool:
    """Whether the call's client (or the call itself) names a ``base_url`` on this machine, a
    container or the local network: a model server the notebook's owner runs."""
    return _call_service(call, values) == ""


def _call_service(call: CallSite, values: ValueResolver) -> str | None:
    """The call's hosted service, ``""`` when its client is a local server, ``None`` unknown."""
    made = [call.node]
    receiver = receiver_call(call, values)
    if receiver is not None:
        made.append(receiver)
    for node in made:
        for name in catalog.BASE_URL_KEYWORDS:
            keyword = next((k.value for k in node.keywords if k.arg == name), None)
            for url in values.strings(keyword, call.scope):
                return _service_of_url(str(url.value)) or ""
        # The request's own name is the client's variable; only a class names the service.
        written = dotted_name(node.func) or ""
        if node is not call.node or written.rsplit(".", 1)[-1][:1].isupper():
            service = _service_of_name(values.qualify(written))
            if service is not None:
                return service
    return None


def _notebook_service(values: ValueResolver) -> str | None:
    """The one hosted service all the notebook's model calls go to, if they all go to one."""
    services: set[str] = set()
    for call in values.facts.calls:
        if call.method in _LOCAL_WEIGHT_LOADERS or call.qualified_name.startswith(
            _LOCAL_WEIGHT_MODULES
        ):
            return None
        package = call.qualified_name.partition(".")[0]
        if package != call.qualified_name and call.method[:1].isupper():
            # ``Together()``, ``groq.Groq()``: a client of the service's own SDK.
            service = _service_of_name(package)
            if service is not None:
                services.add(service)
        if catalog.MODEL_KEYWORDS.isdisjoint(call.keywords):
            continue
        service = _call_service(call, values)
        if service == "":
            return None
        if service is not None:
            services.add(service)
    return services.pop() if len(services) == 1 else None


#: Calls that run model weights in the notebook's own process or machine: there an ``org/name``
#: is a Hugging Face repo that a ``revision`` pins.
_LOCAL_WEIGHT_LOADERS = frozenset(
    {"from_pretrained", "pipeline", "snapshot_download", "HuggingFacePipeline"}
)
_LOCAL_WEIGHT_MODULES = ("vllm.", "transformers.", "sglang.", "mlx_lm.", "llama_cpp.", "ollama.")


def _service_of_name(name: str) -> str | None:
    lowered = name.lower()
    return next((label for word, label in catalog.HOSTED_SERVICES if word in lowered), None)


def _compatible_endpoint_provider(call: CallSite, values: ValueResolver) -> str | None:
    """The API behind an OpenAI client pointed at another provider's OpenAI-compatible
    endpoint (``OpenAI(base_url="https://api.anthropic.com/v1/")``), when that API is not
    OpenAI's in what matters here: Anthropic's endpoint ignores ``seed``."""
    service = _call_service(call, values)
    if not service:
        return None
    for host, provider in catalog.COMPATIBLE_ENDPOINT_HOSTS:
        if service == host or service.endswith("." + host):
            return provider
    return None


def _service_of_url(url: str) -> str | None:
    """``https://api.together.xyz/v1`` → Together AI; another public host names itself."""
    host = (urlsplit(url.strip()).hostname or "").lower()
    if not host or "." not in host or host.endswith((".local", ".internal", ".svc")):
        return None  # localhost, a container name, a cluster service
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return _service_of_name(host) or host
    local = address.is_private or address.is_loopback or address.is_unspecified
    return None if local else host


def _provider_of_name(name: str) -> str | None:
    lowered = name.lower()
    for word, provider in catalog.PROVIDER_WORDS:
        if word in lowered:
            return provider
    return None


def _provider_of_model(
    call: CallSite, values: ValueResolver, flow: CallFlow | None = None
) -> str | None:
    expression = call.argument(0, "model", "model_name")
    found = flow.sources(expression, call.scope) if flow else values.resolve(expression, call.scope)
    texts = [str(v.value) for v in found if isinstance(v.value, str)]
    if isinstance(expression, ast.JoinedStr):
        texts.append(
            "".join(
                str(part.value) if isinstance(part, ast.Constant) else "{}"
                for part in expression.values
            )
        )
    for text in texts:
        provider = provider_of_model_id(text)
        if provider is not None:
            return provider
    return None


def provider_of_model_id(text: str) -> str | None:
    """``openai/gpt-4o`` → openai, ``claude-3-5-sonnet-latest`` → anthropic; else ``None``."""
    head, sep, _ = text.partition("/")
    if sep:
        return _PROVIDER_PREFIXES.get(head.lower())
    for pattern, provider in _BARE_MODEL_PROVIDERS:
        if pattern.match(text.lower()):
            return provider
    return None


# -- the notebook's own wrappers -------------------------------------------------------------


class Wrapper(Record):
    """A notebook function that forwards ``**kwargs`` into an LLM request inside it."""

    _fields = ("function", "request")
    __slots__ = _fields

    def __init__(self, function: ast.FunctionDef | ast.AsyncFunctionDef, request: CallSite) -> None:
        self.function = function
        self.request = request


class SamplingSite(Record):
    """Where an LLM's sampling is decided: a request, a constructor, a config or a wrapper call."""

    _fields = ("call", "kind", "provider", "seeded", "temperatures")
    __slots__ = _fields

    def __init__(
        self,
        call: CallSite,
        kind: str,
        provider: str | None,
        seeded: bool,
        temperatures: tuple[ResolvedValue, ...],
    ) -> None:
        self.call = call
        self.kind = kind
        self.provider = provider
        self.seeded = seeded
        self.temperatures = temperatures


#: What :attr:`LlmCalls._kinds` gives for a call that is not among the notebook's facts.
_UNSEEN = "unseen"
#: :func:`_may_be_llm_call` by (written name, qualified name): notebooks make many calls of the
#: same few names (``print``, ``df.head``).
_LLM_NAME_VERDICTS: dict[tuple[str, str], bool] = {}


class LlmCalls:
    """The LLM calls of one notebook, with their API, temperature sources and seeds."""

    def __init__(self, facts: ProgramFacts, values: ValueResolver) -> None:
        self.facts = facts
        self.values = values
        self.flow = CallFlow(values)
        self._uses_guardrails = _imports_guardrails(facts)
        #: The calls that may be sampling sites, in order, noted by :attr:`_kinds` on its pass.
        self._site_calls: list[CallSite] = []

    def kind(self, call: CallSite) -> str | None:
        """:func:`llm_call_kind`, and the requests it cannot tell from the call alone (guards,
        hosted eval runs, Gemini chats, HTTP requests to LLM servers); computed once per call."""
        kind = self._kinds.get(id(call.node), _UNSEEN)
        if kind is _UNSEEN:
            kind = self._classify(call)
        return kind

    @cached_property
    def _kinds(self) -> dict[int, str | None]:
        """The kind of every call of the notebook, by ``id`` of its node, found in one pass:
        each rule and analysis asks about every call, and most calls are rejected by their
        names alone (:func:`_may_be_llm_call`)."""
        guards = self._uses_guardrails
        classify = self._classify_candidate
        verdicts = _LLM_NAME_VERDICTS
        kinds: dict[int, str | None] = {}
        # The calls that may be sampling sites (an LLM call, a sampling config, a call of one of
        # the notebook's functions, which a wrapper is), so that :meth:`_sampling_sites` and
        # :attr:`wrappers` pass over the others, most calls, without a look.
        site_calls = self._site_calls
        functions = self.facts.functions
        for call in self.facts.calls:
            # :func:`_may_be_llm_call` by the call's names (its method is the written name's
            # last part), judged once per run for each pair.
            names = (call.written_name, call.qualified_name)
            candidate = verdicts.get(names)
            if candidate is None:
                candidate = verdicts[names] = _may_be_llm_call(call)
            kind = kinds[id(call.node)] = classify(call) if guards or candidate else None
            if kind is not None or call.method in _CONFIG_METHODS or call.method in functions:
                site_calls.append(call)
        return kinds

    def _classify(self, call: CallSite) -> str | None:
        if not self._uses_guardrails and not _may_be_llm_call(call):
            return None
        return self._classify_candidate(call)

    def _classify_candidate(self, call: CallSite) -> str | None:
        """The kind of a call that passed :func:`_may_be_llm_call` (or any call, with guards)."""
        own = "." not in call.written_name and call.written_name in self.facts.functions
        # ``create_assistant(ids)`` calling the notebook's own function of that name: the
        # request inside it is the LLM call, not this one.
        kind = None if own else llm_call_kind(call)
        if kind is None and (
            (self._uses_guardrails and is_guard_call(call, self.values))
            or _is_eval_inference(call, self.values)
        ):
            kind = "request"
        elif kind is None and chat_model_call(call, self.values) is not None:
            kind = "google"
        elif kind is None and http_payload(call, self.values) is not None:
            kind = "request"
        return kind

    @cached_property
    def _sites(self) -> list[SamplingSite]:
        return self._sampling_sites()

    @cached_property
    def wrappers(self) -> dict[str, Wrapper]:
        found: dict[str, Wrapper] = {}
        kinds = self._kinds
        for call in self._site_calls:  # every call whose kind is not None among them
            if not call.star_kwargs:
                continue  # a wrapper passes its ``**kwargs`` on
            scope = call.scope
            if not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            kwargs = scope.args.kwarg.arg if scope.args.kwarg is not None else None
            if kwargs is None or kinds[id(call.node)] is None:
                continue
            if any(isinstance(s, ast.Name) and s.id == kwargs for s in call.star_kwargs):
                found.setdefault(scope.name, Wrapper(scope, call))
        return found

    def wrapper_of(self, call: CallSite) -> Wrapper | None:
        """The wrapper this call calls, if it is a call of a notebook wrapper function."""
        wrapper = self.wrappers.get(call.method)
        if wrapper is None or call.node is wrapper.request.node:
            return None
        if call.written_name != call.method and not call.written_name.startswith("self."):
            return None
        return wrapper

    def sampling_sites(self) -> list[SamplingSite]:
        """Every place that decides an LLM's sampling, with what sets its temperature."""
        return self._sites

    def _sampling_sites(self) -> list[SamplingSite]:
        sites = []
        wrappers = self.wrappers
        kinds = self._kinds
        for call in self._site_calls:
            kind = kinds[id(call.node)]
            wrapper: Wrapper | None = None
            if kind is None:
                # Most calls are neither a sampling config nor a wrapper call: their name says so.
                method = call.method
                if method in _CONFIG_METHODS and sampling_config_api(call) is not None:
                    kind = "config"
                elif method in wrappers and (wrapper := self.wrapper_of(call)) is not None:
                    kind = "wrapper"
                else:
                    continue
            expressions = temperature_arguments(call, self.values)
            if not expressions:
                continue
            provider: str | None
            if wrapper is not None:
                provider = _seedable_api(wrapper.request, self.values, self.flow)
                seeded = sets_seed(call, self.values) or (
                    bool(catalog.SEED_KEYWORDS & wrapper.request.keywords.keys())
                )
            elif kind == "config":
                provider, seeded = sampling_config_api(call), sets_seed(call, self.values)
            else:
                provider = _seedable_api(call, self.values, self.flow)
                seeded = sets_seed(call, self.values)
            temperatures: list[ResolvedValue] = []
            for expression in expressions:
                temperatures += self.flow.sources(expression, call.scope)
            sites.append(SamplingSite(call, kind, provider, seeded, tuple(temperatures)))
        return sites


def _seedable_api(call: CallSite, values: ValueResolver, flow: CallFlow) -> str | None:
    """:func:`provider_of`, except ``"openai-responses"`` for OpenAI's Responses API, which
    takes a temperature but no seed (unlike Chat Completions)."""
    written = call.written_name
    if any(written.endswith("." + suffix) for suffix in catalog.UNSEEDABLE_REQUEST_SUFFIXES):
        return "openai-responses"
    return provider_of(call, values, flow)


#: Calls that take a seed keyword of their own, by API: what ``convert`` may add to them.
_SEED_KEYWORD = {"mistral": "random_seed"}
_SEEDABLE_DIRECTLY = (
    "chat.completions.create",
    "chat.completions.parse",
    "completions.create",
    "chat.complete",
    "chat.complete_async",
    "chat.parse",
    "chat.stream",
    "litellm.completion",
    "litellm.acompletion",
)
_SEEDABLE_CONSTRUCTORS = frozenset(
    {"ChatOpenAI", "AzureChatOpenAI", "ChatMistralAI", "LM", *catalog.SAMPLING_CONFIGS}
)


def unseeded_temperatures(site: SamplingSite) -> list[ResolvedValue]:
    """The temperatures above 0 of a seedable site that sets no seed (NBG303's subject)."""
    if site.seeded or site.provider not in catalog.SEEDABLE_PROVIDERS:
        return []
    return [
        value
        for value in site.temperatures
        if isinstance(value.value, (int, float))
        and not isinstance(value.value, bool)
        and value.value > 0
    ]


def seed_keyword_for(site: SamplingSite) -> str | None:
    """The keyword that seeds this call when added to it (``seed``, Mistral's ``random_seed``),
    or ``None`` when the seed belongs elsewhere (a config, a wrapper, a library's own kwargs)."""
    call = site.call
    if not catalog.TEMPERATURE_KEYWORDS & call.keywords.keys():
        return None
    written = call.written_name
    direct = any(
        written == suffix or written.endswith("." + suffix) or call.qualified_name == suffix
        for suffix in _SEEDABLE_DIRECTLY
    )
    if not direct and call.method not in _SEEDABLE_CONSTRUCTORS:
        return None
    return _SEED_KEYWORD.get(site.provider or "", "seed")
