"""NBG701: saved state that came from running cells out of order."""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterator

from nbgraduate.lint.rules.base import Example, Finding, Rule

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from nbgraduate.lint.context import LintContext

_IPYTHON_NAMES = frozenset(
    {"display", "get_ipython", "In", "Out", "_", "__", "___", "_ih", "_oh", "exit", "quit"}
)
#: Names a kernel defines before any cell runs.
_KNOWN_NAMES = frozenset(dir(builtins)) | _IPYTHON_NAMES


def _notebook_with_counts(counts: list[int]) -> str:
    cells = [
        {
            "cell_type": "code",
            "id": f"cell-{position}",
            "execution_count": count,
            "metadata": {},
            "source": [f"step_{position} = {position}"],
            "outputs": [],
        }
        for position, count in enumerate(counts)
    ]
    return json.dumps(
        {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}, indent=1
    )


class OutOfOrderExecution(Rule):
    """Reports notebooks whose saved execution counts do not increase down the page, and names
    read in one cell that are only defined in a later cell."""

    code = "NBG701"
    name = "out-of-order-execution"
    summary = "Cells were run out of order, or use names defined further down"
    rationale = """
        The saved outputs and scores of an out-of-order notebook came from hidden kernel state:
        running it top to bottom (as CI or a colleague will) computes something else, or fails.
        Restart the kernel and run all cells before trusting or committing the results.
    """
    bad = (
        Example(_notebook_with_counts([1, 5, 3])),
        Example("score = evaluate(rows)\n# %%\ndef evaluate(rows):\n    return 1.0\n"),
    )
    good = (
        Example(_notebook_with_counts([1, 2, 3])),
        Example("def evaluate(rows):\n    return 1.0\n# %%\nscore = evaluate(rows)\n"),
    )

    def check(self, context: LintContext) -> Iterator[Finding]:
        yield from self._execution_counts(context)
        yield from self._names_used_before_defined(context)

    def _execution_counts(self, context: LintContext) -> Iterator[Finding]:
        highest: tuple[int, int] | None = None
        for cell in context.notebook.code_cells:
            count = cell.execution_count
            if count is None:
                continue
            if highest is not None and count <= highest[0]:
                message = (
                    f"cell ran as In [{count}] after cell {highest[1]} ran as In [{highest[0]}]; "
                    "restart and run all to get outputs that follow the page"
                )
                yield self.finding(message, context.cell_position(cell.index, 1, 1))
            if highest is None or count > highest[0]:
                highest = (count, cell.number)

    def _names_used_before_defined(self, context: LintContext) -> Iterator[Finding]:
        facts = context.facts
        if facts.star_imports:
            return
        origins = context.notebook.line_origins
        # The program holds the code cells in notebook order, so a line at or after another is
        # in the same cell or a later one: lines are compared, and only a read above a name's
        # first definition is looked up to its cell.
        first_line: dict[str, int] = {}
        for store in facts.module_stores:
            earlier = first_line.get(store.name)
            if earlier is None or store.line < earlier:
                first_line[store.name] = store.line
        reported: set[str] = set()
        for use in facts.module_loads:
            # Most names read are defined in the notebook, above: the cheapest tests go first.
            defined_at = first_line.get(use.name)
            if (
                defined_at is None
                or use.line >= defined_at
                or use.name in reported
                or use.name in _KNOWN_NAMES
            ):
                continue
            defined_in = origins[defined_at - 1].cell_index
            if defined_in <= origins[use.line - 1].cell_index:
                continue  # defined further down the same cell
            reported.add(use.name)
            defining_cell = context.notebook.cells[defined_in].number
            message = (
                f"{use.name!r} is used here but first defined in cell {defining_cell}, further "
                "down; this only worked because of hidden kernel state"
            )
            yield self.finding(message, context.position(use.node), context.end_position(use.node))
