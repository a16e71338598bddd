"""Calls that draw randomness: which sampling and split calls run unseeded, and when draws and
seeds inside the notebook's functions actually run."""

from __future__ import annotations

import ast

from nbgraduate.analysis import catalog
from nbgraduate.analysis.facts import (
    Binding,
    CallSite,
    ProgramFacts,
    Scope,
    dotted_name,
    unaliased,
)
from nbgraduate.analysis.values import ValueResolver
from nbgraduate.core import regex_cache

_SEED_KEYWORDS = ("random_state", "seed", "generator", "rng")
_SPLITTERS_WITH_SHUFFLE = frozenset({"KFold", "StratifiedKFold", "GroupKFold", "RepeatedKFold"})
_ALWAYS_RANDOM = frozenset(
    {"train_test_split", "ShuffleSplit", "StratifiedShuffleSplit", "GroupShuffleSplit"}
)


_SAMPLER_METHODS = frozenset(
    {"sample", "shuffle", "train_test_split", "random_split", "split"}
    | _SPLITTERS_WITH_SHUFFLE
    | _ALWAYS_RANDOM
)
#: Keywords of a fractional split (``adapter.split(test_size=0.2)``).
_FRACTION_KEYWORDS = ("test_size", "train_size", "ratio", "fraction", "split_ratio")


def is_unseeded_sampler(call: CallSite, values: ValueResolver, imports: dict[str, str]) -> bool:
    """A sampling or split call that draws its own randomness and is given no seed."""
    if "." in call.written_name and call.method not in _SAMPLER_METHODS:
        return False  # a method or module call, which no import alias renames, of another name
    call = unaliased(call)
    method = call.method
    if method not in _SAMPLER_METHODS or _has_seed(call, values):
        return False
    qualified = call.qualified_name
    if method in _ALWAYS_RANDOM and (
        qualified.startswith("sklearn") or "." not in call.written_name
    ):
        return True
    if method in _SPLITTERS_WITH_SHUFFLE:
        shuffle = call.keywords.get("shuffle")
        return isinstance(shuffle, ast.Constant) and shuffle.value is True
    if qualified == "sklearn.utils.shuffle":
        return True
    if method == "random_split":
        # torch.utils.data.random_split(ds, [0.8, 0.2]); seeded with generator=
        return qualified.startswith("torch") or "." not in call.written_name
    if method == "split":
        return _is_fractional_split(call, values)
    if not isinstance(call.node.func, ast.Attribute):
        return False
    receiver = call.node.func.value
    if _is_module_or_generator(receiver, call, values, imports):
        return False
    if method == "sample":
        return not is_torch_distribution_draw(call, values)
    if method == "shuffle":
        return not call.node.args
    return method == "train_test_split"


_DRAW_METHODS = frozenset({"sample", "rsample"})


def is_torch_distribution_draw(call: CallSite, values: ValueResolver) -> bool:
    """``dist.sample()`` / ``dist.rsample()`` on a ``torch.distributions`` object: a draw from
    torch's global generator (NBG301's, seeded by ``torch.manual_seed``), not a subset of rows."""
    if call.method not in _DRAW_METHODS or not isinstance(call.node.func, ast.Attribute):
        return False
    made = values.resolve_call(call.node.func.value, call.scope)
    if made is None:
        return False
    return values.qualify(dotted_name(made.func) or "").startswith("torch.distributions.")


def _is_parameter(name: str, scope: Scope) -> bool:
    """Whether ``name`` is a parameter of the function ``scope``: its default (``seed=None``)
    is only what a caller that passes nothing gets."""
    if not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        return False
    arguments = scope.args
    return any(
        argument.arg == name
        for argument in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)
    )


def _is_fractional_split(call: CallSite, values: ValueResolver) -> bool:
    """``adapter.split(0.5)``: a split by a fraction in (0, 1) draws which examples go where
    (``str.split`` takes a separator, never a fraction)."""
    if not isinstance(call.node.func, ast.Attribute):
        return False
    fraction = call.node.args[0] if call.node.args else None
    if fraction is None:
        fraction = next((call.keywords[k] for k in _FRACTION_KEYWORDS if k in call.keywords), None)
    if fraction is None:
        return False
    found = values.resolve(fraction, call.scope)
    return bool(found) and all(isinstance(v.value, float) and 0.0 < v.value < 1.0 for v in found)


def _has_seed(call: CallSite, values: ValueResolver) -> bool:
    for name in _SEED_KEYWORDS:
        value = call.keywords.get(name)
        if value is None or (isinstance(value, ast.Constant) and value.value is None):
            continue
        if isinstance(value, ast.Name) and not _is_parameter(value.id, call.scope):
            found = values.resolve(value, call.scope)
            if found and all(v.value is None for v in found):
                continue  # ``SEED = None`` then ``ds.shuffle(seed=SEED)``
        return True
    # Unknown **kwargs may carry the seed; stay silent rather than guess.
    return call.has_star_kwargs


def _is_module_or_generator(
    receiver: ast.expr, call: CallSite, values: ValueResolver, imports: dict[str, str]
) -> bool:
    """``random.sample`` belongs to NBG301; ``rng.shuffle`` on a seeded generator is fine."""
    if isinstance(receiver, ast.Name):
        if receiver.id in imports or _generator_parameter(receiver.id, call.scope):
            return True
        created = values.resolve_call(receiver, call.scope)
        if created is not None:
            name = dotted_name(created.func) or ""
            qualified = values.qualify(name)
            if qualified in catalog.RNG_CONSTRUCTORS or name.endswith(
                ("default_rng", "Random", "RandomState")
            ):
                return True
    return False


_GENERATOR_ANNOTATION = regex_cache.compile(r"(?:^|\.)(?:Random|RandomState|Generator)$")
_GENERATOR_PARAMETER = regex_cache.compile(r"^(?:rng|\w+_rng|random_state|generator)$")


def _generator_parameter(name: str, scope: Scope) -> bool:
    """``def sample_docs(docs, k, rng: random.Random): rng.sample(docs, k)``: a generator the
    caller passes in, seeded (or not, NBG301's) where the caller builds it."""
    if not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        return False
    arguments = scope.args
    for argument in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
        if argument.arg != name:
            continue
        annotation = argument.annotation
        written = (dotted_name(annotation) or "") if annotation is not None else ""
        return bool(_GENERATOR_ANNOTATION.search(written) or _GENERATOR_PARAMETER.match(name))
    return False


#: Hugging Face requests served remotely: their ``do_sample`` draws on the server (NBG303's).
_REMOTE_GENERATION_METHODS = frozenset({"text_generation", "chat_completion", "post"})
#: Classes whose ``do_sample=True`` configures local generation (other constructors taking
#: ``do_sample`` are clients of a generation server).
_LOCAL_GENERATION_CLASSES = frozenset({"GenerationConfig"})


def samples_locally(call: CallSite, values: ValueResolver) -> bool:
    """Local Hugging Face generation that samples: ``model.generate(..., do_sample=True)``, a
    ``pipeline(..., do_sample=True)`` or its call, ``GenerationConfig(do_sample=True)``, or
    ``generate(**kwargs)`` with ``"do_sample": True`` in a dict the notebook defines. Tokens are
    then drawn from torch's global generator. A remote request (``InferenceClient``) is not,
    nor is a call that passes its own ``seed``."""
    flag = call.keywords.get("do_sample")
    if flag is None:
        if not call.star_kwargs or call.method != "generate":
            return False
        for splatted in call.star_kwargs:
            found = values.resolve_dict(splatted, call.scope)
            if found is None:
                continue
            for key, value in zip(found.keys, found.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "do_sample":
                    flag = value
        if flag is None:
            return False
    if call.method in _REMOTE_GENERATION_METHODS or "seed" in call.keywords:
        return False
    if call.method[:1].isupper() and call.method not in _LOCAL_GENERATION_CLASSES:
        return False  # a client of a server (LangChain ``HuggingFaceEndpoint(do_sample=True)``)
    resolved = values.resolve(flag, call.scope)
    return bool(resolved) and all(v.value is True for v in resolved)


# -- when code runs: draws and seeds inside functions -------------------------------------------

_JITTER_WORDS = regex_cache.compile(
    r"(?i)retry|retries|backoff|jitter|sleep|wait|delay|throttl|rate_limit"
)
_SLEEP_CALLS = frozenset({"time.sleep", "asyncio.sleep", "sleep"})
#: The line of code that never runs (a function nobody calls).
NEVER = 10**9


class ExecutionOrder:
    """When each call runs, in notebook order: a call inside a function runs when the notebook
    first calls (or hands over) that function, which may be cells after its definition."""

    def __init__(self, facts: ProgramFacts) -> None:
        self.facts = facts
        self._function_lines: dict[int, int] = {}
        #: The class of each method, and the lines each name is read on at module level: built
        #: when a call inside a function is first asked about (most draws are at module level,
        #: and a notebook reads names thousands of times).
        self._owners: dict[int, ast.ClassDef] = {}
        self._loads: dict[str, list[int]] | None = None

    def _index(self) -> dict[str, list[int]]:
        facts = self.facts
        self._owners = {
            id(statement): node
            for nodes in facts.classes.values()
            for node in nodes
            for statement in node.body
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef))
        }
        loads: dict[str, list[int]] = {}
        for use in facts.module_loads:
            loads.setdefault(use.name, []).append(use.line)
        self._loads = loads
        return loads

    def line_of(self, call: CallSite) -> int:
        """The notebook line at which ``call`` first runs; a huge number when it never does."""
        return self._scope_line(call.scope, call.line, 0)

    def _scope_line(self, scope: Scope, line: int, depth: int) -> int:
        if scope is None:
            return line
        if isinstance(scope, ast.Lambda) or depth > 8:
            return scope.lineno
        key = id(scope)
        if key not in self._function_lines:
            self._function_lines[key] = NEVER  # a recursive function does not call itself first
            self._function_lines[key] = self._first_call(scope, depth)
        return self._function_lines[key]

    def _first_call(self, function: ast.FunctionDef | ast.AsyncFunctionDef, depth: int) -> int:
        loads = self._loads if self._loads is not None else self._index()
        owner = self._owners.get(id(function))
        names = {function.name}
        if owner is not None and function.name == "__init__":
            names = {owner.name}
        elif owner is not None:
            # A method runs once an instance exists and the method is called on it.
            names.add(function.name)
        first = NEVER
        defined = function.lineno
        for name in names:
            for line in loads.get(name, ()):
                if line >= defined:
                    first = min(first, line)
        for call in self.facts.calls:
            if call.scope is function:
                continue
            if call.method in names or (call.scope is not None and _hands_over(call, names)):
                # Called, or handed over inside another function (``Eval(task=classify)`` in a
                # ``run()`` the notebook calls): it runs when that function runs.
                first = min(first, self._scope_line(call.scope, call.line, depth + 1))
        return first


def _hands_over(call: CallSite, names: set[str]) -> bool:
    """Whether ``call`` passes one of ``names`` as an argument (a callback it will run)."""
    arguments = (*call.node.args, *(k.value for k in call.node.keywords))
    return any(isinstance(a, ast.Name) and a.id in names for a in arguments)


def is_jitter(call: CallSite, facts: ProgramFacts) -> bool:
    """A draw that only spaces out retries (``time.sleep(2**n + random.random())``), in a retry
    or backoff helper, or assigned to a delay: not eval randomness."""
    scope = call.scope
    if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)) and _JITTER_WORDS.search(
        scope.name
    ):
        return True
    for other in facts.calls:
        sleeps = other.qualified_name in _SLEEP_CALLS or other.method in ("sleep", "wait")
        if (
            sleeps
            and other.line <= call.line <= (other.node.end_lineno or other.line)
            and any(
                node is call.node for argument in other.node.args for node in ast.walk(argument)
            )
        ):
            return True
    for name, bindings in facts.bindings.items():
        if not _JITTER_WORDS.search(name):
            continue
        for binding in bindings:
            value = binding.value
            if (
                value is not None
                and binding.line
                <= call.line
                <= (getattr(value, "end_lineno", None) or binding.line)
                and any(node is call.node for node in ast.walk(value))
            ):
                return True
    return False


#: The ``string`` module's alphabets, drawn from to make ids.
_CHARACTER_SETS = frozenset(
    {
        "ascii_letters",
        "ascii_lowercase",
        "ascii_uppercase",
        "digits",
        "hexdigits",
        "octdigits",
        "letters",
        "lowercase",
        "uppercase",
    }
)
#: Names and keywords that a value only labels (``run_name``, ``evaluation_name=``, ``suffix``)
#: or that pick a server's port: neither picks an example or changes a score.
_LABEL_NAME = regex_cache.compile(r"(?i)(?:^|_)(?:name|suffix|nonce|port)$")


def only_labels(call: CallSite, facts: ProgramFacts) -> bool:
    """A draw whose value only makes a name unique (``evaluation_name=f"run-{random.randint(
    1000, 9999)}"``, ``suffix = random.randint(...)``, a module-level number read only in
    such names, or a random string of letters and digits): it picks no example and changes no
    score, so it is not eval randomness."""
    if _draws_characters(call):
        return True
    holder = _binding_holding(call.node, call.line, facts)
    if holder is not None and _LABEL_NAME.search(holder.name):
        return True
    if _in_naming_keyword(call.node, facts):
        return True  # (what else :func:`_in_label` asks is the holder's name, asked above)
    if holder is None or holder.scope is not None or holder.key is not None:
        return False
    if holder.value is not call.node:
        return False  # ``n = random.randint(...) + 1``: only the plain draw is followed
    reads = [
        use for use in facts.module_loads if use.name == holder.name and use.line >= holder.line
    ]
    return bool(reads) and all(_in_label(use.node, facts) for use in reads)


def _draws_characters(call: CallSite) -> bool:
    """``random.choices(string.ascii_lowercase + string.digits, k=8)``: a random string of
    letters and digits is an id for a run or a resource, not a sample of eval data."""
    return any(
        isinstance(node, ast.Attribute)
        and node.attr in _CHARACTER_SETS
        and isinstance(node.value, ast.Name)
        and node.value.id == "string"
        for argument in call.node.args
        for node in ast.walk(argument)
    )


def _binding_holding(node: ast.AST, line: int, facts: ProgramFacts) -> Binding | None:
    """The assignment whose value holds ``node`` (``seed_name = f"..{random.random()}"``)."""
    for bindings in facts.bindings.values():
        for binding in bindings:
            value = binding.value
            if value is None or not binding.line <= line <= (value.end_lineno or binding.line):
                continue
            if any(inner is node for inner in ast.walk(value)):
                return binding
    return None


def _in_label(node: ast.AST, facts: ProgramFacts) -> bool:
    """Whether ``node`` sits in a naming keyword (``run_name=...``) or in a value assigned to a
    naming variable (``collection_name = ...``)."""
    if _in_naming_keyword(node, facts):
        return True
    holder = _binding_holding(node, getattr(node, "lineno", 0), facts)
    return holder is not None and bool(_LABEL_NAME.search(holder.name))


def _in_naming_keyword(node: ast.AST, facts: ProgramFacts) -> bool:
    """Whether ``node`` sits in a naming keyword of a call (``run_name=...``)."""
    line = getattr(node, "lineno", 0)
    for other in facts.calls:
        if not other.line <= line <= (other.node.end_lineno or other.line):
            continue
        for keyword, value in other.keywords.items():
            if _LABEL_NAME.search(keyword) and any(inner is node for inner in ast.walk(value)):
                return True
    return False


#: Functions that only show what they are given, and names of helpers that only show results.
_SHOWING_CALLS = frozenset({"display", "print", "display_markdown", "display_html"})
_SHOWING_FUNCTION = regex_cache.compile(
    r"(?i)^_*(?:display|show|print|preview|render|plot|visuali[sz]e)"
)


def only_shown(call: CallSite, facts: ProgramFacts) -> bool:
    """A sample drawn only to be looked at (``display(df.sample(5))``, a cell ending in
    ``df.sample(5)``, or inside a ``display_explanations`` helper): it picks rows to show, not
    the rows the eval scores."""
    if call.method == "sample" and id(call.node) in facts.statement_calls:
        return True  # ``df.sample(5)`` as a statement: shown (or dropped), never used
    scope = call.scope
    if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)) and _SHOWING_FUNCTION.search(
        scope.name
    ):
        return True
    for other in facts.calls:
        if not other.line <= call.line <= (other.node.end_lineno or other.line):
            continue
        if other.method in _SHOWING_CALLS and any(
            _in_chain(call.node, a, None) for a in other.node.args
        ):
            return True  # ``print(df.sample(3).to_string())``
        if (
            call.method == "sample"
            and id(other.node) in facts.statement_calls
            and _in_chain(call.node, other.node, _VIEW_METHODS)
        ):
            return True  # ``df.sample(5).values.tolist()`` as a statement: a look at rows
    return False


#: Methods that turn sampled rows into something to look at, never into a new eval subset.
_VIEW_METHODS = frozenset(
    {
        "tolist",
        "to_list",
        "to_dict",
        "to_string",
        "to_markdown",
        "to_html",
        "head",
        "tail",
        "iterrows",
        "itertuples",
        "items",
        "reset_index",
        "sort_values",
        "sort_index",
        "describe",
        "value_counts",
        "to_pandas",
    }
)


def _in_chain(target: ast.Call, expression: ast.expr, methods: frozenset[str] | None) -> bool:
    """Whether ``target`` is ``expression`` or a receiver along its chain of attributes,
    subscripts and method calls (``df.sample(5).values.tolist()``); with ``methods``, every
    method called after ``target`` must be one of them."""
    node = expression
    while True:
        if node is target:
            return True
        if isinstance(node, ast.Call):
            if methods is not None and not (
                isinstance(node.func, ast.Attribute) and node.func.attr in methods
            ):
                return False
            node = node.func
        elif isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        else:
            return False
