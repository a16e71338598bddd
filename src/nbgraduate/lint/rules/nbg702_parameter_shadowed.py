"""NBG702: a papermill parameter reassigned after the ``parameters`` cell."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from nbgraduate.lint.rules.base import Example, Finding, Rule

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from nbgraduate.lint.context import LintContext

PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"


class ParameterShadowed(Rule):
    """Reports values set in the cell tagged ``parameters`` that a later cell reassigns, and
    notebooks with more than one ``parameters`` cell."""

    code = "NBG702"
    name = "parameter-shadowed"
    summary = "Papermill parameter reassigned after the parameters cell"
    rationale = """
        papermill injects run parameters right after the ``parameters`` cell and records them as
        the run's inputs. A later ``JUDGE_MODEL = "gpt-4o"`` (or a second parameters cell)
        silently overrides the injected value: the record says one model, the run used another.
    """
    bad = (
        Example(
            '# %% tags=["parameters"]\n'
            'JUDGE_MODEL = "gpt-4o-2024-08-06"\n'
            "# %%\n"
            'JUDGE_MODEL = "gpt-4o"\n'
        ),
    )
    good = (
        Example(
            '# %% tags=["parameters"]\n'
            'JUDGE_MODEL = "gpt-4o-2024-08-06"\n'
            "# %%\n"
            "judge = make_judge(JUDGE_MODEL)\n"
        ),
    )

    def check(self, context: LintContext) -> Iterator[Finding]:
        notebook = context.notebook
        parameter_cells = [
            c for c in notebook.cells if c.cell_type == "code" and PARAMETERS_TAG in c.tags
        ]
        if not parameter_cells:
            return
        first = parameter_cells[0]
        for extra in parameter_cells[1:]:
            yield self.finding(
                f"second cell tagged 'parameters' (the first is cell {first.number}); papermill "
                "injects after one of them and the other silently wins",
                context.cell_position(extra.index, 1, 1),
            )
        origins = notebook.line_origins
        parameter_names: set[str] = set()
        for store in context.facts.module_stores:
            if origins[store.line - 1].cell_index == first.index:
                parameter_names.add(store.name)
        injected = {c.index for c in notebook.cells if INJECTED_TAG in c.tags}
        for store in context.facts.module_stores:
            cell_index = origins[store.line - 1].cell_index
            if (
                store.name not in parameter_names
                or cell_index <= first.index
                or cell_index in injected
            ):
                continue
            if isinstance(store.node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            yield self.finding(
                f"parameter {store.name!r} from the parameters cell (cell {first.number}) is "
                "reassigned here, overriding the value papermill injects and records",
                context.position(store.node),
                context.end_position(store.node),
            )
