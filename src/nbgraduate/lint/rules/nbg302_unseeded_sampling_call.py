"""NBG302: a sampling or splitting call with no ``random_state`` / ``seed``."""

from __future__ import annotations

from collections.abc import Iterator

from nbgraduate.analysis.randomness import is_unseeded_sampler, only_shown
from nbgraduate.lint.rules.base import Example, Finding, Rule

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from nbgraduate.lint.context import LintContext

_ALWAYS_RANDOM = frozenset(
    {"train_test_split", "ShuffleSplit", "StratifiedShuffleSplit", "GroupShuffleSplit"}
)


class UnseededSamplingCall(Rule):
    """Reports ``df.sample(...)``, ``train_test_split(...)``, ``sklearn.utils.shuffle(...)``,
    shuffling cross-validation splitters, Hugging Face ``Dataset.shuffle()`` /
    ``.train_test_split()``, torch ``random_split(...)`` and splits by a fraction
    (``adapter.split(0.5)``) that do not pass ``random_state`` (or ``seed``; torch:
    ``generator=``). Sampling with a private generator is not reported: one built with a seed,
    or one the caller passes in (a parameter annotated ``random.Random``/``Generator`` or named
    ``rng``), which is seeded where the caller builds it. Nor is a sample drawn only to be
    looked at: ``display(df.sample(5))``, ``print(...)`` of it (``print(df.sample(3)
    .to_string())``), ``df.sample(5)`` as a statement (a cell's shown value, also through
    viewing methods: ``df.sample(5).values.tolist()``), or one inside a helper named for
    showing (``display_explanations``, ``show_examples``)."""

    code = "NBG302"
    name = "unseeded-sampling-call"
    summary = "Sampling or split call without random_state or seed"
    rationale = """
        These calls draw their own randomness; without ``random_state`` the eval subset is a
        different set of examples on every run, so two scores are scores of different tests.
    """
    bad = (
        Example('import pandas as pd\ndf = pd.read_csv("e.csv")\nsubset = df.sample(n=200)\n'),
        Example(
            "from sklearn.model_selection import train_test_split\ntrain, test = train_test_split(rows, test_size=0.2)\n"
        ),
        Example("ds = ds.shuffle()\n"),
        Example(
            "from torch.utils.data import random_split\ntrain, test = random_split(rows, [0.8, 0.2])\n"
        ),
        Example(
            'adapter.adapt("dataset.csv")\ntrain_set, test_set = adapter.split(0.5)\n',
            note="a split by a fraction (an eval library's dataset adapter)",
        ),
    )
    good = (
        Example("subset = df.sample(n=200, random_state=SEED)\n"),
        Example(
            "from sklearn.model_selection import train_test_split\ntrain, test = train_test_split(rows, test_size=0.2, random_state=13)\n"
        ),
        Example("import numpy as np\nrng = np.random.default_rng(13)\nrng.shuffle(rows)\n"),
        Example('train_set, test_set = adapter.split(0.5, seed=13)\nwords = line.split(",")\n'),
        Example(
            'df[df["label"] == "bad"]["reason"].sample(5).values.tolist()\n'
            "# %%\n"
            "print(df.sample(3).to_string())\n",
            note="rows sampled and turned into a list or text only to be read in the output",
        ),
        Example(
            "display(results.sample(5))\n"
            "# %%\n"
            "def show_explanations(table, n=1):\n"
            "    for _, row in table.sample(n=n).iterrows():\n"
            '        print(row["explanation"])\n',
            note="rows sampled only to be looked at",
        ),
    )

    def check(self, context: LintContext) -> Iterator[Finding]:
        for call in context.facts.calls:
            if not is_unseeded_sampler(call, context.values, context.facts.imports):
                continue
            if only_shown(call, context.facts):
                continue
            message = f"`{call.written_name}(...)` samples without random_state/seed; the subset changes every run"
            yield self.finding(
                message, context.position(call.node), context.end_position(call.node.func)
            )
