"""The package layout holds: no import cycles, and imports only go down the documented layers.

The layer order is read from the package docstring (``nbgraduate.__doc__``), so the document
and the rule cannot drift apart. Every import counts: module level, inside functions, and
under ``TYPE_CHECKING``, because a type-only import still ties two folders together.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import nbgraduate

PACKAGE_DIR = Path(nbgraduate.__file__).resolve().parent
ROOT_MODULES = {"nbgraduate", "nbgraduate.__main__"}


def documented_layers(docstring: str) -> dict[str, int]:
    """``folder -> layer number`` from the numbered list in the package docstring."""
    layers: dict[str, int] = {}
    for match in re.finditer(r"^(\d+)\. ([a-z_, ]+):", docstring, flags=re.MULTILINE):
        for folder in match.group(2).split(","):
            layers[folder.strip()] = int(match.group(1))
    return layers


def module_name(path: Path) -> str:
    parts = ["nbgraduate", *path.relative_to(PACKAGE_DIR).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE_DIR.rglob("*.py"))}


def imports_of(module: str, path: Path, known: set[str]) -> set[str]:
    """Every nbgraduate module ``module`` imports, resolved to the most specific known module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                if not is_package:
                    base = base[:-1]
                base = base[: len(base) - (node.level - 1)]
                parent = ".".join([*base, *([node.module] if node.module else [])])
            else:
                parent = node.module or ""
            targets = [f"{parent}.{alias.name}" for alias in node.names] + [parent]
            # ``from package import module`` imports the module; otherwise the package itself.
            submodules = [t for t in targets[:-1] if t in known]
            targets = submodules or [parent]
        else:
            continue
        for target in targets:
            if target == "nbgraduate" or target.startswith("nbgraduate."):
                while target not in known and "." in target:
                    target = target.rsplit(".", 1)[0]
                found.add(target)
    found.discard(module)
    return found


def folder_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] != "__main__") else None


def import_graph() -> dict[str, set[str]]:
    modules = all_modules()
    known = set(modules)
    return {name: imports_of(name, path, known) for name, path in modules.items()}


def layer_violations(graph: dict[str, set[str]], layers: dict[str, int]) -> list[str]:
    problems = []
    for module, targets in sorted(graph.items()):
        if module in ROOT_MODULES:
            continue
        source_folder = folder_of(module)
        for target in sorted(targets):
            if target == "nbgraduate":
                continue  # the root, for __version__ (checked separately)
            target_folder = folder_of(target)
            if target_folder == source_folder:
                continue
            if target_folder not in layers or source_folder not in layers:
                problems.append(f"{module} -> {target}: folder not in the documented layers")
            elif layers[target_folder] >= layers[source_folder]:
                problems.append(
                    f"{module} (layer {layers[source_folder]}, {source_folder}) imports "
                    f"{target} (layer {layers[target_folder]}, {target_folder})"
                )
    return problems


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in graph:
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def test_every_folder_is_in_the_documented_layers() -> None:
    layers = documented_layers(nbgraduate.__doc__ or "")
    folders = {
        path.name
        for path in PACKAGE_DIR.iterdir()
        if path.is_dir() and (path / "__init__.py").exists()
    }
    assert folders, "no package folders found"
    assert sorted(folders - set(layers)) == []
    assert sorted(set(layers) - folders) == []


def test_imports_only_go_down_the_layers() -> None:
    graph = import_graph()
    layers = documented_layers(nbgraduate.__doc__ or "")
    assert layer_violations(graph, layers) == []


def test_no_import_cycles() -> None:
    assert cycles(import_graph()) == []


def test_modules_take_only_the_version_from_the_root() -> None:
    offenders = []
    for name, path in all_modules().items():
        if name in ROOT_MODULES:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "nbgraduate" and not node.level:
                taken = {alias.name for alias in node.names}
                if taken - {"__version__"}:
                    offenders.append(f"{name}: from nbgraduate import {sorted(taken)}")
    assert offenders == []


def test_package_root_holds_only_the_public_api() -> None:
    top_level = sorted(path.name for path in PACKAGE_DIR.glob("*.py"))
    assert top_level == ["__init__.py", "__main__.py"]


# --- the checker itself catches what it is for ------------------------------------------------


def test_checker_reports_an_upward_import() -> None:
    graph = {"nbgraduate.lock.builder": {"nbgraduate.lint.context"}}
    layers = {"lock": 5, "lint": 6}
    assert layer_violations(graph, layers) == [
        "nbgraduate.lock.builder (layer 5, lock) imports nbgraduate.lint.context (layer 6, lint)"
    ]


def test_checker_reports_imports_between_folders_of_one_layer() -> None:
    graph = {"nbgraduate.gate.runner": {"nbgraduate.report.html"}}
    assert layer_violations(graph, {"gate": 9, "report": 9}) != []


def test_checker_reports_a_cycle() -> None:
    graph = {
        "nbgraduate.lint.repository": {"nbgraduate.lint.rules"},
        "nbgraduate.lint.rules": {"nbgraduate.lint.rules.base"},
        "nbgraduate.lint.rules.base": {"nbgraduate.lint.repository"},
        "nbgraduate.lint.config": set(),
    }
    assert cycles(graph) == [
        ["nbgraduate.lint.repository", "nbgraduate.lint.rules", "nbgraduate.lint.rules.base"]
    ]


def test_checker_resolves_type_checking_and_relative_imports(tmp_path: Path) -> None:
    module = tmp_path / "context.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "from . import facts\n"
        "if TYPE_CHECKING:\n"
        "    from nbgraduate.lint.context import LintContext\n"
    )
    known = {"nbgraduate.analysis.facts", "nbgraduate.lint.context", "nbgraduate.analysis"}
    assert imports_of("nbgraduate.analysis.context", module, known) == {
        "nbgraduate.analysis.facts",
        "nbgraduate.lint.context",
    }


def test_importing_the_package_stays_light() -> None:
    probe = (
        "import sys, nbgraduate\n"
        "heavy = {'pydantic', 'scipy', 'numpy', 'papermill', 'libcst', 'httpx', 'typer'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
