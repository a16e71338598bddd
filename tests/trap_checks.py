"""Static checks of a converted pipeline against its source notebook, one per trap class.

Used on the differential corpus and on every notebook of the real corpus. They read both
notebooks independently of the converter's own analysis (a plain ``ast`` walk over each code
cell), so a converter bug cannot hide itself:

* no name is rebound by an inserted import (``import random`` after ``from random import
  random``);
* no path is re-pointed for its reads while its writes stay (or the reverse);
* hub dataset ids are untouched;
* every statement of an existing ``parameters`` cell is kept, computed values still computed.
"""

from __future__ import annotations

import ast
import re
from collections import Counter

import nbformat

_ESCAPE = re.compile(r"^\s*(?:[!%]|\w+\s*=\s*[!%])")
_WRITE_MODE = re.compile(r"[wax+]")
_REMOVED_CELL = re.compile(r"^cell (\d+) \(nothing left after removing installs\)")
_WRITER_METHODS = frozenset(
    {"to_csv", "to_json", "to_parquet", "to_pickle", "write_text", "write_bytes", "save"}
)


def _python(source: str) -> ast.Module | None:
    """A cell's Python, with IPython escape lines blanked; ``None`` when it does not parse."""
    if source.lstrip().startswith("%%"):
        return None
    lines = ["pass" if _ESCAPE.match(line) else line for line in source.split("\n")]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def _is_parameters(cell: nbformat.NotebookNode) -> bool:
    return cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", [])


def _aligned(
    original: nbformat.NotebookNode, pipeline: nbformat.NotebookNode, removed: set[int]
) -> tuple[dict[str, nbformat.NotebookNode], dict[str, nbformat.NotebookNode]]:
    """Both notebooks' cells under shared keys: the converter keeps the cells' order, removes
    the cells it reports removed (numbers from 1) and adds or moves one parameters cell. Cell
    ids are not enough: notebooks older than nbformat 4.5 have none."""
    kept = [
        cell
        for number, cell in enumerate(original.cells, start=1)
        if number not in removed and not _is_parameters(cell)
    ]
    rest = [cell for cell in pipeline.cells if not _is_parameters(cell)]
    source = {f"#{index + 1}": cell for index, cell in enumerate(kept)}
    target = {f"#{index + 1}": cell for index, cell in enumerate(rest)}
    source_parameters = [cell for cell in original.cells if _is_parameters(cell)]
    target_parameters = [cell for cell in pipeline.cells if _is_parameters(cell)]
    if source_parameters:
        source["parameters"] = source_parameters[0]
    if target_parameters:
        target["parameters"] = target_parameters[0]
    return source, target


def removed_cells(removed: list[str]) -> set[int]:
    """Cell numbers from a conversion result's ``removed`` lines."""
    return {int(m[1]) for line in removed if (m := _REMOVED_CELL.match(line))}


def _import_bound(module: ast.Module) -> Counter[str]:
    names: Counter[str] = Counter()
    for node in ast.walk(module):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name != "*":
                    names[(alias.asname or alias.name).split(".", 1)[0]] += 1
    return names


def _names_used(module: ast.Module) -> set[str]:
    used = {node.id for node in ast.walk(module) if isinstance(node, ast.Name)}
    used |= {
        node.name
        for node in ast.walk(module)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    }
    for node in ast.walk(module):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            used |= {(a.asname or a.name).split(".", 1)[0] for a in node.names}
    return used


def _strings(module: ast.Module) -> Counter[str]:
    return Counter(
        node.value
        for node in ast.walk(module)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


def _written_paths(module: ast.Module) -> set[str]:
    """Literal paths a cell writes: ``open(P, "w")``, ``x.to_csv(P)``, ``np.save(P)``..."""
    written = set()
    for node in ast.walk(module):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        first = node.args[0]
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            continue
        name = (
            node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        )
        mode = node.args[1] if len(node.args) > 1 else None
        mode = next((k.value for k in node.keywords if k.arg == "mode"), mode)
        if name == "open" and isinstance(mode, ast.Constant) and isinstance(mode.value, str):
            if _WRITE_MODE.search(mode.value):
                written.add(first.value)
        elif name in _WRITER_METHODS:
            written.add(first.value)
    return written


def _hub_ids(module: ast.Module) -> set[str]:
    ids = set()
    for node in ast.walk(module):
        if (
            isinstance(node, ast.Call)
            and (getattr(node.func, "attr", None) or getattr(node.func, "id", None))
            == "load_dataset"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            value = node.args[0].value
            last = value.rsplit("/", 1)[-1]
            if value.count("/") == 1 and not value.startswith((".", "/")) and "." not in last[-6:]:
                ids.add(value)
            elif value.count("/") == 1 and re.search(r"\.\d+$", last):
                ids.add(value)  # ``org/Name-1.5``: a version, not a file suffix
    return ids


def _masked(node: ast.AST) -> str:
    """A statement's shape with string constants masked (re-pointed paths are allowed)."""
    copy = ast.parse(ast.unparse(node))
    for child in ast.walk(copy):
        if isinstance(child, ast.Constant) and isinstance(child.value, str):
            child.value = "<str>"
    return ast.dump(copy)


def _statement_key(statement: ast.stmt) -> tuple[str, str] | None:
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return ("import", ast.unparse(statement))
    if isinstance(statement, (ast.Assign, ast.AnnAssign)):
        target = statement.targets[0] if isinstance(statement, ast.Assign) else statement.target
        value = statement.value
        if value is None:
            return None
        try:
            ast.literal_eval(value)
            return ("literal", ast.unparse(target))
        except (ValueError, SyntaxError, TypeError):
            return ("computed", f"{ast.unparse(target)} = {_masked(value)}")
    return ("statement", _masked(statement))


def trap_failures(
    original: nbformat.NotebookNode,
    pipeline: nbformat.NotebookNode,
    removed: set[int] | frozenset[int] = frozenset(),
) -> list[str]:
    """Every trap the pipeline fell into, one line each; empty when it kept behaviour.
    ``removed`` holds the numbers (from 1) of the cells the conversion report says it removed."""
    failures: list[str] = []
    source_cells, pipeline_cells = _aligned(original, pipeline, set(removed))
    source_modules = {
        key: module
        for key, cell in source_cells.items()
        if cell.cell_type == "code" and (module := _python(cell.source)) is not None
    }
    pipeline_modules = {
        key: module
        for key, cell in pipeline_cells.items()
        if cell.cell_type == "code" and (module := _python(cell.source)) is not None
    }
    used: set[str] = set()
    for module in source_modules.values():
        used |= _names_used(module)

    # 1. No name rebound by an inserted import.
    for key, module in pipeline_modules.items():
        before = _import_bound(source_modules.get(key, ast.Module(body=[], type_ignores=[])))
        added = _import_bound(module) - before
        for name in added:
            if name in used:
                failures.append(f"cell {key}: an inserted import binds `{name}`, a notebook name")

    # 2. No path re-pointed for its reads while its writes stay, or the reverse.
    source_strings: Counter[str] = Counter()
    written: set[str] = set()
    for module in source_modules.values():
        source_strings += _strings(module)
        written |= _written_paths(module)
    pipeline_strings: Counter[str] = Counter()
    for module in pipeline_modules.values():
        pipeline_strings += _strings(module)
    for path in sorted(written):
        kept, before = pipeline_strings[path], source_strings[path]
        if 0 < kept < before:
            failures.append(
                f"`{path}` is written by the notebook, but only {kept} of its {before} uses "
                "stayed as written: a read or a write was re-pointed without the other"
            )

    # 3. Hub ids untouched.
    for module in source_modules.values():
        for hub_id in _hub_ids(module):
            if pipeline_strings[hub_id] == 0:
                failures.append(f"hub id `{hub_id}` is gone from the pipeline")

    # 4. Every statement of an existing parameters cell kept.
    if "parameters" in source_modules:
        key = "parameters"
        target = pipeline_modules.get("parameters")
        kept_keys = Counter(_statement_key(s) for s in (target.body if target is not None else []))
        for statement in source_modules[key].body:
            statement_key = _statement_key(statement)
            if statement_key is None:
                continue
            if kept_keys[statement_key] <= 0:
                failures.append(
                    f"parameters cell {key}: `{ast.unparse(statement)[:80]}` was not kept"
                )
            kept_keys[statement_key] -= 1
    return failures
