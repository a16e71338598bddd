"""Ad-hoc patterns a graduated pipeline notebook must not regain, found in the notebook model.

Conversion removes install magics and saved outputs, gives every eval-contract value one
home (the ``parameters`` cell) and makes sure nothing reassigns it. These pure functions
find each of those undone, at the cell row a human would edit.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from nbgraduate.analysis.llm_calls import llm_call_kind
from nbgraduate.knowledge.install_commands import parse_install_line
from nbgraduate.lint.context import LintContext
from nbgraduate.notebook.model import Notebook
from nbgraduate.notebook.parameters import PARAMETERS_TAG

__all__ = ["Regression", "find_regressions", "parameters_cell_index"]

_SAMPLING_KEYWORDS = ("temperature", "top_p", "max_tokens", "seed")
_ESCAPES = {"line-magic": "%", "shell": "!"}


@dataclass(frozen=True, slots=True)
class Regression:
    """One ad-hoc pattern: where it is (cell index from 0, row from 1), what, and the fix."""

    kind: str  # "install", "outputs", "parameters-cell", "reassigned", "literal"
    message: str
    fix: str
    cell_index: int | None = None
    row: int | None = None
    cells: tuple[int, ...] = ()

    @property
    def where(self) -> str:
        if self.cells:
            numbers = ", ".join(str(index + 1) for index in self.cells)
            return f"cell{'s' if len(self.cells) > 1 else ''} {numbers}"
        if self.cell_index is None:
            return ""
        return f"cell {self.cell_index + 1}, line {self.row}"


def parameters_cell_index(notebook: Notebook) -> int | None:
    """The first code cell tagged ``parameters``, if any."""
    for cell in notebook.cells:
        if cell.cell_type == "code" and PARAMETERS_TAG in cell.tags:
            return cell.index
    return None


def find_regressions(context: LintContext, *, notebook_path: str) -> list[Regression]:
    """Every ad-hoc pattern in a pipeline notebook, in notebook order within each kind."""
    notebook = context.notebook
    parameters_cell = parameters_cell_index(notebook)
    found = [*_installs(notebook), *_saved_outputs(notebook, notebook_path)]
    if parameters_cell is None:
        found.append(
            Regression(
                "parameters-cell",
                "no cell is tagged `parameters`, so the eval contract has no single home",
                "tag the cell that declares the parameters `parameters` (cell toolbar > Tags)",
            )
        )
    found += _reassigned_parameters(context)
    found += _contract_literals(context, parameters_cell)
    return found


def _installs(notebook: Notebook) -> list[Regression]:
    found = []
    for command in notebook.shell_commands:
        prefix = _ESCAPES.get(command.origin, "")
        if not parse_install_line(prefix + command.text):
            continue
        found.append(
            Regression(
                "install",
                f"install command `{prefix}{command.text.strip()}`",
                "delete it: the pipeline's requirements.txt pins its dependencies",
                command.cell_index,
                command.row,
            )
        )
    return found


def _saved_outputs(notebook: Notebook, notebook_path: str) -> list[Regression]:
    cells = tuple(
        cell.index
        for cell in notebook.code_cells
        if cell.outputs or cell.execution_count is not None
    )
    if not cells:
        return []
    return [
        Regression(
            "outputs",
            "saved outputs or execution counts",
            f"clear them: jupyter nbconvert --clear-output --inplace {notebook_path}",
            cells=cells,
        )
    ]


def _reassigned_parameters(context: LintContext) -> list[Regression]:
    from nbgraduate.lint.rules.nbg702_parameter_shadowed import ParameterShadowed

    return [
        Regression(
            "reassigned",
            f"{finding.message} (NBG702)",
            "delete the reassignment; change the default in the parameters cell, or pass"
            " -p NAME=VALUE to `nbgraduate run`",
            finding.start.cell_index,
            finding.start.row,
        )
        for finding in ParameterShadowed().check(context)
    ]


def _contract_literals(context: LintContext, parameters_cell: int | None) -> list[Regression]:
    """Model ids, sampling values and dataset paths written as literals outside the
    parameters cell: values the lock records that a run's ``-p`` can no longer change."""
    fix = "declare it in the parameters cell (`name: type = value  # help`) and use the name"
    found: list[Regression] = []
    seen: set[int] = set()

    def add(node: ast.AST, message: str) -> None:
        if id(node) in seen:
            return
        seen.add(id(node))
        position = context.position(node)
        if position.cell_index == parameters_cell:
            return
        found.append(Regression("literal", message, fix, position.cell_index, position.row))

    for reference in context.model_references:
        value = reference.value
        if value.source != "literal" or not isinstance(value.node, ast.Constant):
            continue
        model_id = reference.model_id
        if model_id is None:
            continue
        verdict = context.model_policy.classify(model_id, revision=reference.revision)
        if verdict.status == "unknown" and reference.call is None:
            continue  # a string in a variable named like a model, but not a known model id
        add(
            value.node,
            f"{reference.role} model id {model_id!r} is a literal outside the parameters cell",
        )
    for call in context.facts.calls:
        if llm_call_kind(call) is None:
            continue
        for keyword in _SAMPLING_KEYWORDS:
            expression = call.keywords.get(keyword)
            if expression is None:
                continue
            for value in context.values.resolve(expression, call.scope):
                if (
                    isinstance(value.node, ast.Constant)
                    and isinstance(value.value, (int, float))
                    and not isinstance(value.value, bool)
                ):
                    add(
                        value.node,
                        f"{keyword} {value.value!r} is a literal outside the parameters cell",
                    )
    for read in context.dataset_reads:
        node = read.location.node
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            add(node, f"dataset {read.path!r} is a literal outside the parameters cell")
    found.sort(key=lambda regression: (regression.cell_index or 0, regression.row or 0))
    return found
