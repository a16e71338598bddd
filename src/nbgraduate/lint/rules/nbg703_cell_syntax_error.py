"""NBG703: a code cell that is not valid Python (after IPython syntax is understood)."""

from __future__ import annotations

from collections.abc import Iterator

from nbgraduate.lint.rules.base import Example, Finding, Rule

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from nbgraduate.lint.context import LintContext


class CellSyntaxError(Rule):
    """Reports code cells that do not parse. Magics, shell escapes and help syntax are understood
    first, so only real errors are reported; the rest of the notebook is still linted. Python
    3.12 f-strings (nested quotes, backslashes and comments in replacement fields) are valid
    Python whichever Python runs nbgraduate."""

    code = "NBG703"
    name = "cell-syntax-error"
    summary = "Code cell does not parse"
    rationale = """
        A cell that cannot parse cannot have produced the saved results: they come from an
        older version of the cell, or the notebook never ran top to bottom. No rule can see
        inside it either, so its defects stay hidden.
    """
    bad = (Example("def score(rows:\n    return 1\n"),)
    good = (
        Example("%pip install pandas==2.2.3\nfiles = !ls data\ndf?\n"),
        Example(
            'row = {"answer": "yes", "notes": ["a", "b"]}\n'
            'print(f"{row["answer"]}: {"\\n".join(row["notes"])}")\n',
            note="Python 3.12 f-string syntax (PEP 701)",
        ),
    )

    def check(self, context: LintContext) -> Iterator[Finding]:
        for error in context.notebook.syntax_errors:
            yield self.finding(
                f"cell does not parse: {error.message}",
                context.cell_position(error.cell_index, error.row, error.column),
            )
