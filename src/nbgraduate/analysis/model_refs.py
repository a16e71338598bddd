"""Find every model or judge id the notebook uses, resolved to where it is defined.

Ids are found three ways: as arguments of calls that take a model (``model=``, the first
argument of ``dspy.LM``, ``**{"model": ...}``, ``model_args="pretrained=..."``), as literals given
to a name, keyword or dict key that names a model (``JUDGE_MODEL_2 = ...``, ``{"llm": ...}``,
``MODELS = [...]``, ``for model in [...]``), and on the command lines of eval CLIs
(``!lm_eval --model_args pretrained=...``, ``!inspect eval --model ...``, ``!oaieval gpt-4o ...``).
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterator

from nbgraduate.analysis import catalog
from nbgraduate.analysis.call_flow import CallFlow
from nbgraduate.analysis.facts import CallSite, ProgramFacts, StringConstant, dotted_name
from nbgraduate.analysis.llm_calls import azure_openai_call, provider_of_model_id, receiver_call
from nbgraduate.analysis.values import ResolvedValue, ValueResolver
from nbgraduate.core import regex_cache
from nbgraduate.core.positions import Position
from nbgraduate.core.records import Record

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from typing import Literal

    from nbgraduate.notebook.model import Notebook, ShellCommand

    ModelRole = Literal["judge", "candidate"]
else:
    ModelRole = str

#: Names of variables, keywords and dict keys that hold model ids, once camelCase is split and
#: case folded: ``JUDGE_MODEL``, ``judgeModel``, ``candidate_model_2``, ``llm``, ``reflection_lm``,
#: ``model_name``, ``MODELS``, ``azure_deployment``, ``model_engine``, and the sides of an A/B
#: comparison, ``MODEL_A_NAME``, ``model_b``.
MODEL_NAME_PATTERN = regex_cache.compile(
    r"^(?:[a-z0-9]+_)*"
    r"(?:model|judge|grader|llm|lm|engine|evaluator|critic|deployment|provider)s?"
    r"(?:_[a-z])?(?:_(?:id|name|tag))?s?(?:_?\d+)?$"
)
#: Parts of such a name that say it is something else: an embedding or retrieval model, or a
#: place the notebook writes a model to (``output_model_dir``, ``hub_model_id``).
_NOT_A_MODEL_PARTS = frozenset(
    {
        "embed",
        "embeds",
        "embedding",
        "embeddings",
        "embedder",
        "dense",
        "sparse",
        "bm25",
        "rerank",
        "reranker",
        "retriever",
        "retrieval",
        "encoder",
        "vectorizer",
        "tokenizer",
        "colbert",
        "clip",
        "output",
        "out",
        "save",
        "saved",
        "dir",
        "path",
        "folder",
        "hub",
        "push",
        "upload",
        "new",
        "finetuned",
        "trained",
        "search",
        "db",
        "sql",
        "vector",
    }
)
#: Dict keys whose values describe an entry rather than select a model: in
#: ``lms = [{"name": "GPT-4", "lm": gpt4}]`` the name is a display label.
_LABEL_KEYS = frozenset(
    {"name", "label", "title", "display_name", "alias", "description", "provider", "type", "kind"}
)
_CAMEL_BOUNDARY = regex_cache.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_JUDGE_WORDS = regex_cache.compile(
    r"(?i)judg|grader|grade|grading|evaluator|critic|scorer|rater|assess"
)
#: Eval libraries whose model-taking constructors are judges (phoenix ``LLM``/``OpenAIModel``,
#: trulens feedback providers ``OpenAI(model_engine=...)``).
_JUDGE_MODULES = ("phoenix.evals", "trulens", "deepeval", "ragas", "mlflow.metrics")
_JUDGE_CALL = regex_cache.compile(catalog.JUDGE_CALL_PATTERN)
_EMBEDDING_CALL = regex_cache.compile(catalog.EMBEDDING_CALL_PATTERN)
_LOCAL_TAG_CALL = regex_cache.compile(catalog.LOCAL_TAG_CALL_PATTERN)
_HEX_SHA = regex_cache.compile(r"^[0-9a-f]{40}$")
_OLLAMA_HOST = regex_cache.compile(r"(?i)^\w+://[^/]*ollama")


class ModelReference(Record):
    """A model id as used: its resolved value, its role, and the call that uses it (if any).

    ``host`` names where a bare id is looked up when the policy does not know it: a local
    runtime (``ollama``) whose ids are its tags, or Azure OpenAI (``azure``), whose ids are the
    user's deployment names.
    ``embedded`` is set when the id is part of a larger literal (``"pretrained=org/m,..."``), so
    the literal cannot simply be replaced by the id.
    """

    _fields = ("value", "role", "call", "revision", "host", "embedded", "model_text")
    __slots__ = _fields

    def __init__(
        self,
        value: ResolvedValue,
        role: ModelRole,
        call: CallSite | None,
        revision: str | None,
        host: str | None = None,
        embedded: bool = False,
        model_text: str | None = None,
    ) -> None:
        self.value = value
        self.role = role
        self.call = call
        self.revision = revision
        self.host = host
        self.embedded = embedded
        self.model_text = model_text

    @property
    def model_id(self) -> str | None:
        if self.model_text is not None:
            return self.model_text
        return self.value.value if isinstance(self.value.value, str) else None


class ShellModelReference(Record):
    """A model id on an eval CLI's command line (``!lm_eval``, ``!inspect eval``, ``%%bash``).

    ``model_id`` is ``None`` for a model-named variable restored from IPython's store
    (``%store -r MODEL_NAME``), whose value the notebook never shows.
    """

    _fields = ("model_id", "role", "revision", "start", "end", "name")
    __slots__ = _fields

    def __init__(
        self,
        model_id: str | None,
        role: ModelRole,
        revision: str | None,
        start: Position,
        end: Position,
        name: str | None = None,
    ) -> None:
        self.model_id = model_id
        self.role = role
        self.revision = revision
        self.start = start
        self.end = end
        self.name = name


@functools.lru_cache(maxsize=4096)
def is_model_name(name: str | None) -> bool:
    """Whether a variable, keyword or dict key name says it holds a model id."""
    if not name or len(name) > 60:
        return False
    folded = _CAMEL_BOUNDARY.sub("_", name).lower()
    if not MODEL_NAME_PATTERN.match(folded):
        return False
    return not any(part in _NOT_A_MODEL_PARTS for part in folded.split("_"))


def find_model_references(values: ValueResolver) -> list[ModelReference]:
    """All model ids, each once at its defining node (calls first, then named constants)."""
    references: list[ModelReference] = []
    seen: set[int] = set()
    handoffs = _JudgeHandoffs(values.facts)
    first_argument = catalog.MODEL_FIRST_ARGUMENT
    flow: CallFlow | None = None
    run_logs = catalog.RUN_LOG_METHODS
    for call in values.facts.calls:
        if call.method in run_logs or call.qualified_name in catalog.RUN_LOG_CALLS:
            _suppress_logged(call, seen)
            continue
        if (
            not call.keywords
            and not call.star_kwargs
            and (
                not call.node.args
                or (
                    call.method not in first_argument
                    and call.written_name not in first_argument
                    and call.qualified_name not in first_argument
                )
            )
        ):
            continue  # most calls: no keyword, and no positional argument that is a model
        if call.method.endswith(catalog.EXPERIMENT_RECORD_SUFFIXES):
            _suppress_descriptions(call, seen)
        arguments = _model_arguments(call, values)
        has_model_args = "model_args" in call.keywords
        if not arguments and not has_model_args:
            continue
        if _is_not_a_model_call(call, values):
            _suppress(arguments, call, values, seen)
            continue
        # The call that made the method's client, asked of both hosts below (it resolves a
        # name through the notebook's bindings).
        made = receiver_call(call, values)
        host = _local_runtime(call, values, made)
        if host is None and azure_openai_call(call, values, made):
            host = "azure"  # the id is a deployment name the user chose
        revision = _revision(call, values)
        for keyword_name, expression in arguments:
            role = _role(call, keyword_name, expression)
            if role == "candidate" and handoffs.flows_into_judge(call):
                role = "judge"
            if isinstance(call.scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
                # ``def ask(q, m): create(model=m)`` then ``ask("hi", "gpt-4o")``: the id is
                # written where the notebook's function is called, or as its default.
                if flow is None:
                    flow = CallFlow(values)
                found = flow.sources(expression, call.scope)
            else:
                found = values.resolve(expression, call.scope)
            for value in found:
                if value.source == "literal" and not isinstance(value.value, str):
                    continue
                if id(value.node) in seen:
                    continue
                seen.add(id(value.node))
                references.append(ModelReference(value, role, call, revision, host))
        if has_model_args:
            references += _model_args_references(call, values, seen)
    rows: set[int] | None = None
    for constant in values.facts.strings:
        if constant.context is None and constant.container is None:
            continue
        if id(constant.node) in seen:
            continue
        named = _model_name_of(constant)
        if named is None:
            continue
        if rows is None:
            rows = _result_rows(values.facts)
        if id(constant.node) in rows:
            continue  # ``results.append({"model": "gpt-4o", "score": s})``: a label
        seen.add(id(constant.node))
        role: ModelRole = "judge" if _JUDGE_WORDS.search(named) else "candidate"
        references.append(
            ModelReference(ResolvedValue(constant.node.value, constant.node), role, None, None)
        )
    return references


def _suppress_logged(call: CallSite, seen: set[int]) -> None:
    """Ids in the dicts written into a tracker's log call name the model that ran; wherever
    else they appear, they are no model of their own."""
    for argument in (*call.node.args, *call.keywords.values()):
        if isinstance(argument, ast.Dict):
            for value in argument.values:
                if isinstance(value, ast.Constant):
                    seen.add(id(value))


def _result_rows(facts: ProgramFacts) -> set[int]:
    """``id`` of the string values of dict literals that have a score key: result rows (given to
    a call such as ``results.append``, bound to a name, or listed in either), whose model is the
    label of a score. A dict that reaches a model call was found among the calls before."""
    rows: set[int] = set()
    written: list[ast.expr | None] = []
    for call in facts.calls:
        written += call.node.args
        if call.keywords:
            written += call.keywords.values()
    # Appended one by one: most names have a binding or two, and a list built for each name
    # cost more than its items.
    append = written.append
    for bindings in facts.bindings.values():
        for binding in bindings:
            append(binding.value)
    # Node types tested with ``type(...) is`` (the parser makes no subclasses): most of what is
    # written is neither a dict nor a list of them, and is passed over with one test.
    for expression in written:
        expression_type = type(expression)
        if expression_type is ast.Dict:
            items: list[ast.expr] | tuple[ast.expr] = (expression,)  # type: ignore[assignment]
        elif expression_type is ast.List or expression_type is ast.Tuple:
            items = expression.elts  # type: ignore[union-attr]
        else:
            continue
        for item in items:
            if type(item) is not ast.Dict:
                continue
            if any(
                isinstance(key, ast.Constant) and key.value in catalog.SCORE_KEYS
                for key in item.keys  # type: ignore[attr-defined]
            ):
                rows.update(id(value) for value in item.values if isinstance(value, ast.Constant))  # type: ignore[attr-defined]
    return rows


def _local_runtime(call: CallSite, values: ValueResolver, made: ast.Call | None) -> str | None:
    """``ollama`` when the call goes to an Ollama server, whose model names are tags: the
    module's functions, its ``Client``/``AsyncClient``, an OpenAI client whose ``base_url`` is
    an Ollama server, or an HTTP request to one (``requests.post("http://localhost:11434/api/chat",
    json={"model": "llama3"})``). ``made`` is the call's :func:`receiver_call`."""
    if _LOCAL_TAG_CALL.search(call.written_name) or call.qualified_name.startswith("ollama."):
        return "ollama"
    if call.method in catalog.HTTP_METHODS:
        url = call.argument(0, "url")
        return "ollama" if _any_ollama_url(url, call, values) else None
    if made is None:
        return None
    if _LOCAL_TAG_CALL.search(values.qualify(dotted_name(made.func) or "")):
        return "ollama"
    for keyword in made.keywords:
        if keyword.arg in catalog.BASE_URL_KEYWORDS and _any_ollama_url(
            keyword.value, call, values
        ):
            return "ollama"
    return None


def _any_ollama_url(expression: ast.expr | None, call: CallSite, values: ValueResolver) -> bool:
    """Whether a URL is an Ollama server's: its default port 11434, or a host named ollama."""
    for url in values.strings(expression, call.scope):
        text = str(url.value)
        if ":11434" in text or _OLLAMA_HOST.search(text):
            return True
    return False


def _model_name_of(constant: StringConstant) -> str | None:
    """The model-naming name a literal was given to, directly or through its container."""
    names = (constant.context, constant.container)
    verdict = _NAME_VERDICTS.get(names)
    if verdict is None:
        verdict = _NAME_VERDICTS[names] = _name_verdict(*names)
    named, keyed_by_model_id = verdict
    if keyed_by_model_id and _display_name(constant.node.value):
        # ``JUDGE_NAMES = {"openai/gpt-oss-120b": "GPT-OSS 120B", "gpt-5.2": "GPT-5.2"}``:
        # a dict keyed by model ids whose values are written as names, not as ids.
        return None
    return named


#: :func:`_name_verdict` by (context, container): a notebook gives many literals to the same
#: few names and keys (``{"role": ..., "content": ...}``), so each pair is judged once per run.
_NAME_VERDICTS: dict[tuple[str | None, str | None], tuple[str | None, bool]] = {}


def _name_verdict(context: str | None, container: str | None) -> tuple[str | None, bool]:
    """What :func:`_model_name_of` decides from the names alone: the model-naming name, and
    whether the literal is rather a display name when written as one (its key is a model id)."""
    if container in catalog.METADATA_KEYWORDS or context in catalog.METADATA_KEYWORDS:
        return None, False
    if is_model_name(context):
        return context, False
    if container is not None and container != context:
        if context in _LABEL_KEYS or not is_model_name(container):
            return None, False
        return container, _looks_like_model_id(context)
    return None, False


def _looks_like_model_id(text: str | None) -> bool:
    """``openai/gpt-4o``, ``Qwen/Qwen2.5-7B``, ``claude-3-5-sonnet-latest``: no spaces, and an
    ``org/name`` or a provider's id."""
    if not text or any(c.isspace() for c in text):
        return False
    org, sep, name = text.partition("/")
    return bool(org and sep and name) or provider_of_model_id(text) is not None


def _display_name(text: str) -> bool:
    """``GPT-OSS 120B``, ``GPT-5.2``: spaces, or capitals in an id that names no repository."""
    return any(c.isspace() for c in text) or ("/" not in text and text != text.lower())


def _is_not_a_model_call(call: CallSite, values: ValueResolver) -> bool:
    if call.method in catalog.NOT_MODEL_CALLS or _EMBEDDING_CALL.search(call.written_name):
        return True
    repo_type = call.keywords.get("repo_type")
    if repo_type is None:
        return False
    return any(v.value in ("dataset", "space") for v in values.resolve(repo_type, call.scope))


def _suppress_descriptions(call: CallSite, seen: set[int]) -> None:
    """``AthinaExperiment(language_model_id="gpt-4")``: literals under keywords that are not
    model keywords describe the run; they are no model the notebook calls."""
    for name, expression in call.keywords.items():
        if name not in catalog.MODEL_KEYWORDS and isinstance(expression, ast.Constant):
            seen.add(id(expression))


def _suppress(
    arguments: list[tuple[str | None, ast.expr]],
    call: CallSite,
    values: ValueResolver,
    seen: set[int],
) -> None:
    """Ids given to an embedding or upload call are not models, wherever they are defined."""
    for _, expression in arguments:
        for value in values.resolve(expression, call.scope):
            seen.add(id(value.node))


def _model_arguments(call: CallSite, values: ValueResolver) -> list[tuple[str | None, ast.expr]]:
    keywords = call.keywords
    arguments: list[tuple[str | None, ast.expr]] = (
        [(name, keywords[name]) for name in keywords if name in catalog.MODEL_KEYWORDS]
        if keywords and not catalog.MODEL_KEYWORDS.isdisjoint(keywords)
        else []
    )
    if call.star_kwargs:
        for star in call.star_kwargs:
            arguments += _splatted_model_arguments(star, call, values, 0)
    if keywords and call.method in catalog.HTTP_METHODS:
        # ``requests.post(url, json={"model": MODEL, ...})``: the payload names the model.
        for name in catalog.HTTP_PAYLOAD_KEYWORDS & call.keywords.keys():
            arguments += _splatted_model_arguments(call.keywords[name], call, values, 0)
    if arguments or not call.node.args:
        return arguments
    method = call.method
    if (
        method in catalog.MODEL_FIRST_ARGUMENT
        or call.written_name in catalog.MODEL_FIRST_ARGUMENT
        or call.qualified_name in catalog.MODEL_FIRST_ARGUMENT
    ):
        if method in ("completion", "acompletion") and not call.qualified_name.startswith(
            "litellm"
        ):
            return arguments
        if method == "get_model" and "inspect_ai" not in call.qualified_name:
            return arguments
        arguments.append((None, call.node.args[0]))
    return arguments


def _splatted_model_arguments(
    star: ast.expr, call: CallSite, values: ValueResolver, depth: int
) -> list[tuple[str | None, ast.expr]]:
    """Model keys of a ``**dict`` argument defined in the notebook (``**{**base, "model": m}``)."""
    found = values.resolve_dict(star, call.scope)
    if found is None or depth > 3:
        return []
    arguments: list[tuple[str | None, ast.expr]] = []
    for key, value in zip(found.keys, found.values, strict=True):
        if key is None:
            arguments += _splatted_model_arguments(value, call, values, depth + 1)
        elif isinstance(key, ast.Constant) and key.value in catalog.MODEL_KEYWORDS:
            arguments.append((str(key.value), value))
    return arguments


def _model_args_references(
    call: CallSite, values: ValueResolver, seen: set[int]
) -> list[ModelReference]:
    """``simple_evaluate(model="hf", model_args="pretrained=org/name,revision=...")``."""
    references = []
    for name in catalog.MODEL_ARGS_KEYWORDS & call.keywords.keys():
        for value in values.strings(call.keywords[name], call.scope):
            if id(value.node) in seen:
                continue
            model_id, revision = parse_model_args(str(value.value))
            if model_id is None:
                continue
            seen.add(id(value.node))
            references.append(
                ModelReference(
                    value, "candidate", call, revision, embedded=True, model_text=model_id
                )
            )
    return references


def parse_model_args(text: str) -> tuple[str | None, str | None]:
    """The model and revision in lm-evaluation-harness ``key=value,key=value`` model arguments."""
    pairs = {}
    for item in text.split(","):
        key, sep, value = item.partition("=")
        if sep:
            pairs[key.strip()] = value.strip().strip("'\"")
    model = next((pairs[k] for k in catalog.MODEL_ARGS_MODEL_KEYS if pairs.get(k)), None)
    revision = next((pairs[k] for k in catalog.MODEL_ARGS_REVISION_KEYS if pairs.get(k)), None)
    return model, revision


class _JudgeHandoffs:
    """Whether the object a call constructs is handed to a judge: ``llm = LLM(model=...)`` then
    ``llm_classify(..., model=llm)``, or ``judge(question, llm)``.

    Asked once per model argument, so the names bound to each call and the names every judge
    call is given are gathered once, on the first question: scanning all bindings and calls
    for each call made a cell of thousands of calls cost their square.
    """

    __slots__ = ("_facts", "_given_to_judges", "_names_bound_to")

    def __init__(self, facts: ProgramFacts) -> None:
        self._facts = facts
        #: ``id`` of a value node -> the names it is bound to whole (``llm = LLM(...)``).
        self._names_bound_to: dict[int, set[str]] | None = None
        #: The names passed, positionally or by keyword, to any judge call.
        self._given_to_judges: set[str] = set()

    def flows_into_judge(self, call: CallSite) -> bool:
        names_bound_to = self._names_bound_to
        if names_bound_to is None:
            names_bound_to = self._gather()
        names = names_bound_to.get(id(call.node))
        return names is not None and not self._given_to_judges.isdisjoint(names)

    def _gather(self) -> dict[int, set[str]]:
        given = self._given_to_judges
        judging = _JUDGING_METHODS
        for other in self._facts.calls:
            method = other.method
            judges = judging.get(method)
            if judges is None:
                judges = judging[method] = (
                    method in catalog.JUDGE_CALLS
                    or _JUDGE_CALL.search(method) is not None
                    or _JUDGE_WORDS.search(method) is not None
                )
            if judges or other.qualified_name.startswith(_JUDGE_MODULES):
                for arg in (*other.node.args, *other.keywords.values()):
                    if isinstance(arg, ast.Name):
                        given.add(arg.id)
        names_bound_to: dict[int, set[str]] = {}
        if given:
            # Only what a call made matters (the question is about a call's result), and only
            # when some judge is given a name.
            for bindings in self._facts.bindings.values():
                for binding in bindings:
                    if binding.key is None and type(binding.value) is ast.Call:
                        names_bound_to.setdefault(id(binding.value), set()).add(binding.name)
        self._names_bound_to = names_bound_to
        return names_bound_to


#: Whether a method's name says it judges, by name: notebooks call few distinct names many
#: times (``print``, ``append``), so each name's verdict is searched for once per run.
_JUDGING_METHODS: dict[str, bool] = {}


def _role(call: CallSite, keyword_name: str | None, expression: object) -> ModelRole:
    if call.qualified_name.startswith(_JUDGE_MODULES):
        return "judge"
    if (
        call.method in catalog.JUDGE_CALLS
        or call.written_name in catalog.JUDGE_CALLS
        or _JUDGE_CALL.search(call.method)
    ):
        return "judge"
    if keyword_name and _JUDGE_WORDS.search(keyword_name):
        return "judge"
    name = getattr(expression, "id", None) or getattr(expression, "attr", None)
    if isinstance(expression, ast.Subscript) and isinstance(expression.slice, ast.Constant):
        name = expression.slice.value  # ``CONFIG["judge_model"]``
    if isinstance(name, str) and _JUDGE_WORDS.search(name):
        return "judge"
    # ``def judge(...): client.chat.completions.create(model="gpt-4o", ...)``
    function_name = getattr(call.scope, "name", None)
    if isinstance(function_name, str) and _JUDGE_WORDS.search(function_name):
        return "judge"
    return "candidate"


def _revision(call: CallSite, values: ValueResolver) -> str | None:
    expression = call.keywords.get("revision") or call.keywords.get("code_revision")
    for value in values.strings(expression, call.scope):
        return str(value.value)
    for name in catalog.PIPELINE_KWARGS_KEYWORDS:
        if name in call.keywords:
            return _nested_revision(call.keywords[name], call, values, 0)
    return None


def _nested_revision(
    expression: ast.expr, call: CallSite, values: ValueResolver, depth: int
) -> str | None:
    """``huggingface_pipeline_kwargs={"revision": ...}`` or one level down in ``model_kwargs``."""
    found = values.resolve_dict(expression, call.scope)
    if found is None or depth > 1:
        return None
    for key, value in zip(found.keys, found.values, strict=True):
        if not isinstance(key, ast.Constant):
            continue
        if key.value == "revision":
            for text in values.strings(value, call.scope):
                return str(text.value)
        if key.value in catalog.PIPELINE_KWARGS_KEYWORDS:
            nested = _nested_revision(value, call, values, depth + 1)
            if nested is not None:
                return nested
    return None


def is_commit_sha(text: str | None) -> bool:
    return bool(text) and bool(_HEX_SHA.match(text or ""))


# -- eval CLIs on `!`, `%%bash` and `%store` lines -----------------------------------------------

_TOKEN = regex_cache.compile(r"""(?:[^\s"']+|"[^"]*"|'[^']*')+""")
#: Eval CLIs whose ``--model`` (and similar) flags name the model under test or the judge.
_EVAL_CLIS = frozenset(
    {"lm_eval", "lm-eval", "inspect", "oaieval", "oaievalset", "promptfoo", "ragas", "deepeval"}
)
_MODEL_FLAGS = {
    "--model": "candidate",
    "--model-name": "candidate",
    "--model_name": "candidate",
    "--models": "candidate",
    "--providers": "candidate",
    "--judge-model": "judge",
    "--judge_model": "judge",
    "--grader": "judge",
    "--grader-model": "judge",
    "--eval-model": "judge",
    "--llm": "candidate",
}
#: Short flags that name models for one CLI only (``promptfoo eval -r openai:gpt-4o``).
_PROGRAM_MODEL_FLAGS: dict[str, dict[str, ModelRole]] = {"promptfoo": {"-r": "candidate"}}
_WORTH_A_LOOK = regex_cache.compile(
    r"^store\b|" + "|".join(re.escape(cli) for cli in sorted(_EVAL_CLIS))
)
_RUNNERS = frozenset({"python", "python3", "uv", "poetry", "pipx", "accelerate", "npx"})


def shell_model_references(notebook: Notebook) -> list[ShellModelReference]:
    """Model ids on eval CLI command lines, and model names restored with ``%store -r``."""
    references: list[ShellModelReference] = []
    for commands in _logical_commands(notebook.shell_commands):
        first = commands[0]
        if not _WORTH_A_LOOK.search(first.text):
            continue  # most escapes are installs and file listings
        tokens = [
            _Token(match.group(), command, match.start())
            for command in commands
            for match in _TOKEN.finditer(command.text)
            if match.group() != "\\"
        ]
        if not tokens:
            continue
        if first.origin == "line-magic" and tokens[0].text == "store":
            references += _stored_model_names(tokens)
            continue
        program_index = _program_index(tokens)
        if program_index is not None:
            references += _cli_references(tokens, program_index)
    return references


class _Token(Record):
    """A word of a shell command line and where it starts in that command's text."""

    _fields = ("text", "command", "offset")
    __slots__ = _fields

    def __init__(self, text: str, command: ShellCommand, offset: int) -> None:
        self.text = text
        self.command = command
        self.offset = offset


def _logical_commands(commands: list[ShellCommand]) -> Iterator[list[ShellCommand]]:
    """Each command with the ``%%bash`` lines that continue it after a backslash."""
    current: list[ShellCommand] = []
    for command in commands:
        previous = current[-1] if current else None
        continued = (
            previous is not None
            and previous.text.rstrip().endswith("\\")
            and previous.cell_index == command.cell_index
            and command.row == previous.row + 1
        )
        if not continued and current:
            yield current
            current = []
        current.append(command)
    if current:
        yield current


def _program_index(tokens: list[_Token]) -> int | None:
    """Index of the eval CLI's name: skips ``python -m``, ``accelerate launch -m``, ``npx``."""
    for index, token in enumerate(tokens[:6]):
        base = _program_name(token.text)
        if base in _EVAL_CLIS:
            return index
        if "=" in token.text and index == 0:
            continue  # VAR=value before the command
        if (
            base not in _RUNNERS
            and not token.text.startswith("-")
            and base not in ("run", "launch")
        ):
            return None
    return None


def _cli_references(tokens: list[_Token], program_index: int) -> Iterator[ShellModelReference]:
    program = _program_name(tokens[program_index].text)
    arguments = tokens[program_index + 1 :]
    if program in ("oaieval", "oaievalset") and arguments and not arguments[0].text.startswith("-"):
        # ``oaieval gpt-3.5-turbo,gpt-4 eval-name``: the completion functions come first.
        yield from _listed(arguments[0], 0, "candidate")
    for index, token in enumerate(arguments):
        flag, sep, inline = token.text.partition("=")
        if sep:
            value, value_token, skip = inline, token, len(flag) + 1
        elif index + 1 < len(arguments):
            value_token = arguments[index + 1]
            value, skip = value_token.text, 0
        else:
            continue
        if flag in ("--model_args", "--model-args"):
            yield from _model_args_reference(value_token, skip, value)
            continue
        role = _MODEL_FLAGS.get(flag) or _PROGRAM_MODEL_FLAGS.get(program, {}).get(flag)
        if role is not None and value and not value.startswith("-"):
            yield from _listed(value_token, skip, role)  # type: ignore[arg-type]


def _program_name(word: str) -> str:
    """``./node_modules/.bin/promptfoo`` and npm's ``promptfoo@latest`` are ``promptfoo``."""
    return word.rsplit("/", 1)[-1].partition("@")[0]


def _listed(token: _Token, skip: int, role: ModelRole) -> Iterator[ShellModelReference]:
    text = token.text[skip:]
    quote = 1 if text[:1] in "'\"" and text[-1:] == text[:1] and len(text) > 1 else 0
    inner = text[quote : len(text) - quote]
    position = token.offset + skip + quote
    for part in inner.split(","):
        if part:
            yield _shell_reference(token.command, part, position, role, None)
        position += len(part) + 1


def _model_args_reference(token: _Token, skip: int, value: str) -> Iterator[ShellModelReference]:
    stripped = value.strip("'\"")
    model_id, revision = parse_model_args(stripped)
    if model_id is None:
        return
    lead = len(value) - len(value.lstrip("'\""))
    where = max(stripped.find(model_id), 0)
    offset = token.offset + skip + lead + where
    yield _shell_reference(token.command, model_id, offset, "candidate", revision)


def _shell_reference(
    command: ShellCommand, model_id: str, offset: int, role: ModelRole, revision: str | None
) -> ShellModelReference:
    row, column = command.locate(offset)
    start = Position(command.cell_index, row, column)
    end = Position(command.cell_index, row, column + len(model_id))
    return ShellModelReference(model_id, role, revision, start, end)


def _stored_model_names(tokens: list[_Token]) -> Iterator[ShellModelReference]:
    """``%store -r MODEL_NAME`` restores a model id from another notebook's session."""
    if not any(token.text == "-r" for token in tokens):
        return
    for token in tokens[1:]:
        if token.text.startswith("-") or not is_model_name(token.text):
            continue
        row, column = token.command.locate(token.offset)
        start = Position(token.command.cell_index, row, column)
        end = Position(token.command.cell_index, row, column + len(token.text))
        role: ModelRole = "judge" if _JUDGE_WORDS.search(token.text) else "candidate"
        yield ShellModelReference(None, role, None, start, end, name=token.text)
