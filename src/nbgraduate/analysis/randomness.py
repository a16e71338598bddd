"""Calls that draw randomness: which sampling and split calls run unseeded."""

from __future__ import annotations

import ast

from nbgraduate.analysis import catalog
from nbgraduate.analysis.facts import CallSite, dotted_name
from nbgraduate.analysis.values import ValueResolver

_SEED_KEYWORDS = ("random_state", "seed", "generator", "rng")
_SPLITTERS_WITH_SHUFFLE = frozenset({"KFold", "StratifiedKFold", "GroupKFold", "RepeatedKFold"})
_ALWAYS_RANDOM = frozenset(
    {"train_test_split", "ShuffleSplit", "StratifiedShuffleSplit", "GroupShuffleSplit"}
)


def is_unseeded_sampler(call: CallSite, values: ValueResolver, imports: dict[str, str]) -> bool:
    """A sampling or split call that draws its own randomness and is given no seed."""
    method = call.method
    if _has_seed(call):
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
    if _is_module_or_generator(receiver, call, values, imports):
        return False
    if method == "sample":
        return True
    if method == "shuffle":
        return not call.node.args
    return method == "train_test_split"


def _has_seed(call: CallSite) -> bool:
    for name in _SEED_KEYWORDS:
        value = call.keywords.get(name)
        if value is not None and not (isinstance(value, ast.Constant) and value.value is None):
            return True
    # Unknown **kwargs may carry the seed; stay silent rather than guess.
    return call.has_star_kwargs


def _is_module_or_generator(
    receiver: ast.expr, call: CallSite, values: ValueResolver, imports: dict[str, str]
) -> bool:
    """``random.sample`` belongs to NBG301; ``rng.shuffle`` on a seeded generator is fine."""
    if isinstance(receiver, ast.Name):
        if receiver.id in imports:
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
