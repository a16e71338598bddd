"""NBG301: randomness drawn from a global generator that was never seeded before."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING

from nbgraduate.analysis import catalog
from nbgraduate.analysis.facts import CallSite
from nbgraduate.lint.rules.base import Example, Finding, Rule

if TYPE_CHECKING:
    from nbgraduate.lint.context import LintContext


class UnseededGlobalRng(Rule):
    """Reports the first draw from ``random``, ``numpy.random`` or ``torch`` global generators
    that happens, in notebook order, before any seed call for that generator (``random.seed``,
    ``np.random.seed``, ``torch.manual_seed`` or a ``set_seed``/``seed_everything`` helper), and
    every private generator created without a seed (``np.random.default_rng()``)."""

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
        Example("import numpy as np\nidx = np.random.choice(100, 10)\n# %%\nnp.random.seed(0)\n"),
        Example("import numpy as np\nrng = np.random.default_rng()\n"),
    )
    good = (
        Example("import random\nrandom.seed(13)\n# %%\nrandom.shuffle(examples)\n"),
        Example("import numpy as np\nrng = np.random.default_rng(13)\nidx = rng.choice(100, 10)\n"),
        Example(
            "from transformers import set_seed\nimport torch\nset_seed(13)\nnoise = torch.randn(3)\n"
        ),
    )

    def check(self, context: LintContext) -> Iterator[Finding]:
        seeded_at: dict[str, int] = {}
        everything_seeded_at: int | None = None
        for call in context.facts.calls:
            line = _effective_line(call)
            if call.method in catalog.SEED_EVERYTHING_NAMES and (call.node.args or call.keywords):
                everything_seeded_at = min(everything_seeded_at or line, line)
            for family, seeders in catalog.GLOBAL_RNG_SEEDERS.items():
                if call.qualified_name in seeders and (call.node.args or call.keywords):
                    seeded_at[family] = min(seeded_at.get(family, line), line)
        reported: set[str] = set()
        for call in context.facts.calls:
            qualified = call.qualified_name
            if qualified in catalog.RNG_CONSTRUCTORS:
                if not call.node.args and not _seed_keyword(call):
                    yield self._finding(
                        context, call, f"`{call.written_name}()` creates a generator with no seed"
                    )
                continue
            family, _, function = qualified.rpartition(".")
            if function not in catalog.GLOBAL_RNG_FUNCTIONS.get(family, ()):
                continue
            if family in reported:
                continue
            line = _effective_line(call)
            seeded = min(
                (at for at in (seeded_at.get(family), everything_seeded_at) if at is not None),
                default=None,
            )
            if seeded is not None and seeded < line:
                continue
            reported.add(family)
            yield self._finding(
                context,
                call,
                f"`{call.written_name}` draws from the global {family} generator, which is not "
                "seeded before this point",
            )

    def _finding(self, context: LintContext, call: CallSite, message: str) -> Finding:
        return self.finding(
            message, context.position(call.node), context.end_position(call.node.func)
        )


def _effective_line(call: CallSite) -> int:
    """A call inside a function runs when the function is called; we use the definition's line,
    which is early enough for seed helpers and conservative for draws."""
    if call.scope is not None and not isinstance(call.scope, ast.Lambda):
        return call.scope.lineno
    return call.line


def _seed_keyword(call: CallSite) -> bool:
    return any(name in call.keywords for name in ("seed", "x"))
