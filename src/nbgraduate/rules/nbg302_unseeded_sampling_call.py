"""NBG302: a sampling or splitting call with no ``random_state`` / ``seed``."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING

from nbgraduate.analysis import catalog
from nbgraduate.analysis.facts import CallSite
from nbgraduate.rules.base import Example, Finding, Rule

if TYPE_CHECKING:
    from nbgraduate.lint.context import LintContext

_SEED_KEYWORDS = ("random_state", "seed", "generator", "rng")
_SPLITTERS_WITH_SHUFFLE = frozenset({"KFold", "StratifiedKFold", "GroupKFold", "RepeatedKFold"})
_ALWAYS_RANDOM = frozenset(
    {"train_test_split", "ShuffleSplit", "StratifiedShuffleSplit", "GroupShuffleSplit"}
)


class UnseededSamplingCall(Rule):
    """Reports ``df.sample(...)``, ``train_test_split(...)``, ``sklearn.utils.shuffle(...)``,
    shuffling cross-validation splitters, and Hugging Face ``Dataset.shuffle()`` /
    ``.train_test_split()`` calls that do not pass ``random_state`` (or ``seed``)."""

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
    )
    good = (
        Example("subset = df.sample(n=200, random_state=SEED)\n"),
        Example(
            "from sklearn.model_selection import train_test_split\ntrain, test = train_test_split(rows, test_size=0.2, random_state=13)\n"
        ),
        Example("import numpy as np\nrng = np.random.default_rng(13)\nrng.shuffle(rows)\n"),
    )

    def check(self, context: LintContext) -> Iterator[Finding]:
        for call in context.facts.calls:
            if not self._is_unseeded_sampler(call, context):
                continue
            message = f"`{call.written_name}(...)` samples without random_state/seed; the subset changes every run"
            yield self.finding(
                message, context.position(call.node), context.end_position(call.node.func)
            )

    def _is_unseeded_sampler(self, call: CallSite, context: LintContext) -> bool:
        method = call.method
        if _has_seed(call, context):
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
        if not isinstance(call.node.func, ast.Attribute):
            return False
        receiver = call.node.func.value
        if _is_module_or_generator(receiver, context, call):
            return False
        if method == "sample":
            return True
        if method == "shuffle":
            return not call.node.args
        return method == "train_test_split"


def _has_seed(call: CallSite, context: LintContext) -> bool:
    for name in _SEED_KEYWORDS:
        value = call.keywords.get(name)
        if value is not None and not (isinstance(value, ast.Constant) and value.value is None):
            return True
    # Unknown **kwargs may carry the seed; stay silent rather than guess.
    return call.has_star_kwargs


def _is_module_or_generator(receiver: ast.expr, context: LintContext, call: CallSite) -> bool:
    """``random.sample`` belongs to NBG301; ``rng.shuffle`` on a seeded generator is fine."""
    if isinstance(receiver, ast.Name):
        if receiver.id in context.facts.imports:
            return True
        created = context.values.resolve_call(receiver, call.scope)
        if created is not None:
            from nbgraduate.analysis.facts import dotted_name

            name = dotted_name(created.func) or ""
            qualified = context.values.qualify(name)
            if qualified in catalog.RNG_CONSTRUCTORS or name.endswith(
                ("default_rng", "Random", "RandomState")
            ):
                return True
    return False
