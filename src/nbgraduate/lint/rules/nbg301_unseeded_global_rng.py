"""NBG301: randomness drawn from a global generator that was never seeded before."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from nbgraduate.analysis import catalog
from nbgraduate.analysis.facts import CallSite, dotted_name, unaliased
from nbgraduate.analysis.randomness import (
    NEVER,
    ExecutionOrder,
    is_jitter,
    is_torch_distribution_draw,
    only_labels,
    samples_locally,
)
from nbgraduate.lint.rules.base import Example, Finding, Rule

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from nbgraduate.lint.context import LintContext


#: The draws of local Hugging Face sampling (``generate(do_sample=True)``): torch's generator.
_SAMPLING = "transformers sampling"

#: Methods that seed a private generator after its construction.
_GENERATOR_SEEDERS = frozenset({"manual_seed", "seed"})

_SEEDER_FAMILY = {
    seeder: family for family, seeders in catalog.GLOBAL_RNG_SEEDERS.items() for seeder in seeders
}

# What a call needs for ``check`` to look at it at all: its method or its qualified name among
# these, or sampling keywords. A notebook makes thousands of calls (``print``, ``df.head``) and
# two set lookups pass over each, where the checks in order cost a dozen steps and two calls.
_CALL_METHODS_OF_INTEREST = frozenset(
    {*_GENERATOR_SEEDERS, *catalog.SEED_EVERYTHING_NAMES, "sample", "rsample"}
)
_QUALIFIED_NAMES_OF_INTEREST = frozenset(
    {
        *catalog.RNG_CONSTRUCTORS,
        *_SEEDER_FAMILY,
        *catalog.GLOBAL_RNG_LIBRARY_CALLS,
        *(
            f"{family}.{function}" if family else function
            for family, functions in catalog.GLOBAL_RNG_FUNCTIONS.items()
            for function in functions
        ),
    }
)


class UnseededGlobalRng(Rule):
    """Reports every draw from the ``random``, ``numpy.random`` or ``torch`` global generators
    that runs, in notebook order, before any seed call for that generator (``random.seed``,
    ``np.random.seed``, ``torch.manual_seed`` or a ``set_seed``/``seed_everything``/Keras
    ``set_random_seed`` helper), and
    every private generator created without a seed (``np.random.default_rng()``). A seed read
    from the clock or the OS (``random.Random(time.time())``, ``np.random.seed(int(time.time()))``)
    is no seed. A draw or a
    seed inside a function runs when the notebook first calls that function (a synthetic-data
    generator defined early and called after the seed is fine; one called before it is not);
    a seed earlier in the draw's own function body comes first. Retry jitter (a draw inside
    ``time.sleep(...)``, a retry or backoff helper, or assigned to a delay) and a draw that only
    makes a name unique (``evaluation_name=f"run-{random.randint(1000, 9999)}"``, a
    ``run_name``/``suffix`` variable, a server ``port``, an id drawn from ``string.ascii_lowercase +
    string.digits``) are not eval randomness and are not reported. Several draws from one generator on one
    line are one finding, at the first (one seed fixes them all).

    Local Hugging Face generation that samples (``model.generate(..., do_sample=True)``, a
    ``pipeline`` or ``GenerationConfig`` with ``do_sample=True``, ``generate(**kwargs)`` with
    ``"do_sample": True`` in a dict the notebook defines) draws its tokens from torch's global
    generator: it is reported unless ``transformers.set_seed``/``torch.manual_seed`` runs first.
    A remote ``InferenceClient`` request with ``do_sample`` is NBG303's; a server client built
    with ``do_sample`` (LangChain ``HuggingFaceEndpoint``) samples on the server, not here.

    A ``torch.distributions`` object's ``sample()``/``rsample()`` draws from torch's global
    generator too.

    Clustering and resampling that fall back to numpy's global generator when given no seed
    (scipy ``kmeans``/``kmeans2`` without ``seed=``, scikit-learn ``KMeans``,
    ``MiniBatchKMeans``, ``BisectingKMeans``, ``GaussianMixture``, ``resample`` without
    ``random_state=``, scipy ``stats.bootstrap``/``permutation_test`` without ``random_state=``
    or ``rng=``) are draws too."""

    code = "NBG301"
    name = "unseeded-global-rng"
    summary = "Random numbers drawn from a generator that was never seeded"
    rationale = """
        Sampling eval examples, shuffling few-shot demonstrations or bootstrapping a confidence
        interval with an unseeded generator gives a different answer on every run, so a change
        in score cannot be told apart from noise.
    """
    bad = (
        Example("import random\nrandom.shuffle(examples)\n"),
        Example(
            "import random\n"
            "def make_example():\n"
            '    return {"x": random.randint(0, 9)}\n'
            "# %%\n"
            "rows = [make_example() for _ in range(10)]\n"
            "# %%\n"
            "random.seed(0)\n",
            note="a draw inside a function called before the seed",
        ),
        Example(
            "import random, time\npicker = random.Random(time.time())\n",
            note="a seed read from the clock differs on every run",
        ),
        Example(
            "import random\nbatch = random.sample(rows, 10)\nguide = random.choice(guides)\n",
            note="every unseeded draw is reported",
        ),
        Example("import numpy as np\nidx = np.random.choice(100, 10)\n# %%\nnp.random.seed(0)\n"),
        Example("import numpy as np\nrng = np.random.default_rng()\n"),
        Example(
            "from transformers import AutoModelForCausalLM, AutoTokenizer\n"
            'model = AutoModelForCausalLM.from_pretrained("org/model", revision="3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a")\n'
            "out = model.generate(**inputs, max_new_tokens=64, do_sample=True, temperature=0.7)\n"
            "# %%\n"
            "from transformers import pipeline\n"
            'pipe = pipeline("text-generation", model=model)\n'
            "text = pipe(prompt, do_sample=True)\n",
            note="local Hugging Face generation that samples draws from torch's generator",
        ),
        Example(
            "from scipy.cluster.vq import kmeans2\n"
            'centroids, labels = kmeans2(vectors, 32, minit="++")\n',
            note="clustering with no seed draws from numpy's global generator",
        ),
    )
    good = (
        Example("import random\nrandom.seed(13)\n# %%\nrandom.shuffle(examples)\n"),
        Example(
            "import random\n"
            "def make_example():\n"
            '    return {"x": random.randint(0, 9)}\n'
            "# %%\n"
            "random.seed(0)\n"
            "rows = [make_example() for _ in range(10)]\n"
        ),
        Example(
            "import random, time\n"
            "def call_with_retry(send, attempts=5):\n"
            "    for attempt in range(attempts):\n"
            "        try:\n"
            "            return send()\n"
            "        except TimeoutError:\n"
            "            time.sleep(2**attempt + random.random())\n"
            "# %%\n"
            "reply = call_with_retry(lambda: 1)\n",
            note="retry jitter is not eval randomness",
        ),
        Example(
            "import random\n"
            "def split(rows, seed=13):\n"
            "    random.seed(seed)\n"
            "    random.shuffle(rows)\n"
            "    return rows[:50], rows[50:]\n"
            "# %%\n"
            "dev, test = split(list(examples))\n",
            note="seeded earlier in the function that draws",
        ),
        Example(
            'import random\nrun_name = f"eval-{random.randint(1000, 9999)}"\n',
            note="a draw that only makes a run name unique",
        ),
        Example(
            "import random, string\n"
            "def get_id(length=8):\n"
            '    return "".join(random.choices(string.ascii_lowercase + string.digits, k=length))\n'
            "# %%\n"
            'experiment = f"agent-eval-{get_id()}"\n',
            note="a random id for a run",
        ),
        Example("import numpy as np\nrng = np.random.default_rng(13)\nidx = rng.choice(100, 10)\n"),
        Example(
            "from transformers import set_seed\nimport torch\nset_seed(13)\nnoise = torch.randn(3)\n"
        ),
        Example(
            "import torch\n"
            "torch.manual_seed(13)\n"
            "out = model.generate(**inputs, do_sample=True, temperature=0.7)\n"
            "greedy = model.generate(**inputs, do_sample=False)\n",
        ),
        Example(
            "import torch\n"
            "from torch.utils.data import random_split\n"
            "train, test = random_split(rows, [0.8, 0.2], generator=torch.Generator().manual_seed(13))\n",
            note="a private generator seeded where it is made",
        ),
        Example(
            "import torch\n"
            "g = torch.Generator().manual_seed(13)\n"
            "order = torch.randperm(len(rows), generator=g)\n",
            note="a torch draw from its own seeded generator, not the global one",
        ),
        Example(
            "from sklearn.cluster import KMeans\n"
            "from scipy.cluster.vq import kmeans2\n"
            "topics = KMeans(n_clusters=8, random_state=0).fit_predict(vectors)\n"
            'centroids, labels = kmeans2(vectors, 32, minit="++", seed=0)\n'
        ),
    )

    def check(self, context: LintContext) -> Iterator[Finding]:
        seeds: list[tuple[str | None, CallSite]] = []  # (family, or None for every family)
        draws: list[tuple[str, CallSite]] = []
        seeded_generators: set[int] = set()  # ``torch.Generator().manual_seed(0)``
        unseeded: list[CallSite] = []  # generators constructed without a seed
        library_draws: set[int] = set()  # ``KMeans(...)`` with no random_state
        for call in context.facts.calls:
            if not (
                call.method in _CALL_METHODS_OF_INTEREST
                or call.qualified_name in _QUALIFIED_NAMES_OF_INTEREST
                or call.has_star_kwargs
                or "do_sample" in call.keywords
                # ``unaliased(call).method``: the name an alias was imported as
                or call.qualified_name.rpartition(".")[2] in catalog.SEED_EVERYTHING_NAMES
            ):
                continue
            if call.method in _GENERATOR_SEEDERS and call.node.args:
                receiver = (
                    call.node.func.value if isinstance(call.node.func, ast.Attribute) else None
                )
                created = context.values.resolve_call(receiver, call.scope)
                if created is not None:
                    seeded_generators.add(id(created))
            if ("do_sample" in call.keywords or call.has_star_kwargs) and samples_locally(
                call, context.values
            ):
                draws.append((_SAMPLING, call))
                continue
            qualified = call.qualified_name
            if qualified in catalog.RNG_CONSTRUCTORS:
                if (not call.node.args and not _seed_keyword(call)) or _clock_seeded(call, context):
                    unseeded.append(call)
                continue
            if not (call.node.args or call.keywords):
                if qualified in _SEEDER_FAMILY:
                    continue
            elif unaliased(call).method in catalog.SEED_EVERYTHING_NAMES:
                if not _clock_seeded(call, context):
                    seeds.append((None, call))
                continue
            elif qualified in _SEEDER_FAMILY:
                # ``random.seed(time.time())`` seeds differently every run: no seed
                if not _clock_seeded(call, context):
                    seeds.append((_SEEDER_FAMILY[qualified], call))
                continue
            if qualified in catalog.GLOBAL_RNG_LIBRARY_CALLS:
                if not _seeded_library_call(call, catalog.GLOBAL_RNG_LIBRARY_CALLS[qualified]):
                    draws.append(("numpy.random", call))
                    library_draws.add(id(call.node))
                continue
            if is_torch_distribution_draw(call, context.values):
                draws.append(("torch", call))  # ``torch.distributions.Normal(0, 1).sample()``
                continue
            family, _, function = qualified.rpartition(".")
            if function in catalog.GLOBAL_RNG_FUNCTIONS.get(family, ()):
                if family == "torch" and _given_generator(call):
                    continue  # ``torch.randperm(n, generator=g)`` draws from ``g``, checked above
                draws.append((family, call))
        for call in unseeded:
            if id(call.node) not in seeded_generators:
                message = f"`{call.written_name}()` creates a generator with no seed"
                if call.node.args or call.keywords:
                    message = (
                        f"`{call.written_name}(...)` seeds its generator from the clock, so "
                        "every run draws differently"
                    )
                yield self._finding(context, call, message)
        if not draws:
            return
        order = ExecutionOrder(context.facts)
        seeded_at: dict[str | None, int] = {}
        # Seeds that run on the same notebook line as a draw (both inside the function that
        # line calls): a seed earlier in the draw's own function body still comes first.
        seeded_in_scope: dict[tuple[str | None, int], list[CallSite]] = {}
        for family, call in seeds:
            line = order.line_of(call)
            seeded_at[family] = min(seeded_at.get(family, line), line)
            seeded_in_scope.setdefault((family, line), []).append(call)
        everything_seeded_at = seeded_at.get(None)
        reported: set[tuple[str, int]] = set()  # one finding per generator and source line
        for family, call in draws:
            line = order.line_of(call)
            if line >= NEVER or (family, call.line) in reported:
                continue  # inside a function the notebook never calls, or already reported
            generator = "torch" if family == _SAMPLING else family
            seeded = min(
                (at for at in (seeded_at.get(generator), everything_seeded_at) if at is not None),
                default=None,
            )
            if seeded is not None and seeded < line:
                continue
            if _seeded_earlier_in_scope(call, generator, line, seeded_in_scope):
                continue
            if family != _SAMPLING and (
                is_jitter(call, context.facts) or only_labels(call, context.facts)
            ):
                continue
            where = "" if call.scope is None else " (inside a function the notebook calls)"
            if family == _SAMPLING:
                message = (
                    f"`{call.written_name}(...)` samples (do_sample=True) from the global torch "
                    f"generator, which is not seeded before this point{where}; call "
                    "transformers.set_seed(...) or torch.manual_seed(...) first"
                )
            elif id(call.node) in library_draws:
                keyword = catalog.GLOBAL_RNG_LIBRARY_CALLS[call.qualified_name][0]
                message = (
                    f"`{call.written_name}(...)` has no {keyword}= and draws from the global "
                    f"numpy generator, which is not seeded before this point{where}; pass "
                    f"{keyword}=..."
                )
            else:
                message = (
                    f"`{call.written_name}` draws from the global {family} generator, which is "
                    f"not seeded before this point{where}"
                )
            reported.add((family, call.line))
            yield self._finding(context, call, message)

    def _finding(self, context: LintContext, call: CallSite, message: str) -> Finding:
        return self.finding(
            message, context.position(call.node), context.end_position(call.node.func)
        )


def _given_generator(call: CallSite) -> bool:
    """Whether a torch draw names its own generator (``generator=g``), not ``None``."""
    given = call.keywords.get("generator")
    return given is not None and not (isinstance(given, ast.Constant) and given.value is None)


def _seeded_earlier_in_scope(
    draw: CallSite,
    generator: str,
    line: int,
    seeded_in_scope: dict[tuple[str | None, int], list[CallSite]],
) -> bool:
    """``random.seed(SEED)`` then ``random.shuffle(rows)`` in one function: the seed runs first
    even though the notebook line that calls the function is where both run."""
    if draw.scope is None:
        return False
    return any(
        seed.scope is draw.scope and seed.line < draw.line
        for family in (generator, None)
        for seed in seeded_in_scope.get((family, line), ())
    )


def _seeded_library_call(call: CallSite, keywords: tuple[str, ...]) -> bool:
    """Given a seed (``None`` is no seed); unknown ``**kwargs`` may carry one."""
    if call.has_star_kwargs:
        return True
    for name in keywords:
        value = call.keywords.get(name)
        if value is not None and not (isinstance(value, ast.Constant) and value.value is None):
            return True
    return False


def _clock_seeded(call: CallSite, context: LintContext) -> bool:
    """A seed read from the clock or the OS (``random.Random(time.time())``,
    ``np.random.seed(int(time.time()))``): a different seed on every run is no seed."""
    arguments = [*call.node.args, *call.keywords.values()]
    return any(
        isinstance(node, ast.Call)
        and context.values.qualify(dotted_name(node.func) or "") in catalog.CLOCK_READS
        for argument in arguments
        for node in ast.walk(argument)
    )


def _seed_keyword(call: CallSite) -> bool:
    return any(name in call.keywords for name in ("seed", "x"))
