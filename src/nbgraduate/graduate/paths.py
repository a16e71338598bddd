"""Relative paths in a graduated pipeline: which ones to re-point, and which ones to leave alone.

A pipeline runs in its own directory (``evals/judge/``), one level below the notebook it came
from (``evals/judge.ipynb``), so every relative path the notebook used names another file there.
The rule that keeps behaviour: a relative path is re-expressed relative to the pipeline
directory (so it names the same file as before) when its first segment exists beside the
source notebook, or climbs out of it (``../data``); a file the notebook writes itself at its top
level (``scores.json``, ``!wget -O x.jsonl``) is not re-pointed anywhere, neither its write nor
its reads, so the run reads what it wrote, in its own directory. After the notebook changes
directory (``os.chdir``, ``%cd``) relative paths name files under the new directory, which is the
same in both runs once the ``chdir`` argument itself is re-pointed: nothing after it is touched.

Shell lines (``!head data/x.csv``, ``%run helper.py``, ``%cd ..``) follow the same rule token by
token. A module imported from beside the notebook (``from eval_helpers import ...``) is found
by putting the notebook's folder first on ``sys.path`` before the import, as the notebook's own
kernel had it. Inserted code binds no name, so nothing the notebook defines is shadowed.
"""

from __future__ import annotations

import ast
import os
import posixpath
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from nbgraduate.analysis.context import NotebookAnalysis
from nbgraduate.analysis.facts import dotted_name
from nbgraduate.core import regex_cache

__all__ = ["PathPlan", "ShellEdit", "plan_paths"]

#: Calls whose arguments name files or folders (written as the notebook wrote them).
_PATH_CALL_SUFFIXES = (
    "open",
    "Path",
    "PurePath",
    "read_text",
    "read_bytes",
    "listdir",
    "scandir",
    "walk",
    "glob",
    "iglob",
    "exists",
    "isfile",
    "isdir",
    "getsize",
    "makedirs",
    "mkdir",
    "load",
    "loadtxt",
    "genfromtxt",
    "save",
    "savez",
    "savetxt",
    "dump",
    "copy",
    "copy2",
    "copyfile",
    "copytree",
    "move",
    "rmtree",
    "remove",
    "unlink",
    "join",
    "abspath",
    "realpath",
    "load_from_disk",
    "savefig",
    "chdir",
)
#: Calls whose string arguments are text, never paths.
_TEXT_CALLS = frozenset(
    {
        "print",
        "format",
        "get",
        "pop",
        "setdefault",
        "getattr",
        "hasattr",
        "setattr",
        "startswith",
        "endswith",
        "split",
        "rsplit",
        "replace",
        "strip",
        "count",
        "find",
        "index",
        "encode",
        "decode",
        "info",
        "debug",
        "warning",
        "error",
        "log",
        "display",
        "Markdown",
        "HTML",
    }
)
_PATH_NAME = regex_cache.compile(r"(?i)(?:path|dir|file|folder|root|location)s?$")
_URL = regex_cache.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
#: Methods that write the file named by their first argument (``df.to_csv("x.csv")``).
_WRITER_METHODS = frozenset(
    {
        "to_csv",
        "to_json",
        "to_parquet",
        "to_pickle",
        "to_excel",
        "to_feather",
        "to_hdf",
        "to_orc",
        "to_xml",
        "to_stata",
        "write_text",
        "write_bytes",
        "save_to_disk",
        "savefig",
        "touch",
    }
)
#: ``qualified name -> position of the written path argument``.
_WRITER_CALLS = {
    "numpy.save": 0,
    "numpy.savez": 0,
    "numpy.savez_compressed": 0,
    "numpy.savetxt": 0,
    "torch.save": 1,
    "joblib.dump": 1,
    "shutil.copy": 1,
    "shutil.copy2": 1,
    "shutil.copyfile": 1,
    "shutil.copytree": 1,
    "shutil.move": 1,
    "urllib.request.urlretrieve": 1,
    "os.makedirs": 0,
    "os.mkdir": 0,
    "os.rename": 1,
    "os.replace": 1,
    "srsly.write_jsonl": 0,
    "srsly.write_json": 0,
}
_CHDIR_CALLS = frozenset({"os.chdir", "chdir"})
#: Shell programs whose arguments are text to print, never paths.
_TEXT_PROGRAMS = frozenset({"echo", "printf"})
#: Shell programs and the options after which their next token is a file they write.
_SHELL_OUTPUT_OPTIONS = {
    "wget": ("-O", "--output-document"),
    "curl": ("-o", "--output"),
}


@dataclass(frozen=True, slots=True)
class ShellEdit:
    """A shell or magic line rewritten with its path tokens re-pointed."""

    cell_index: int
    row: int
    line: str


@dataclass(slots=True)
class PathPlan:
    """What to re-point, and what was left alone on purpose (for the report)."""

    #: ``id(literal node) -> new value`` for string literals that name a path.
    literals: dict[int, tuple[ast.Constant, str]] = field(default_factory=dict)
    shell_edits: list[ShellEdit] = field(default_factory=list)
    #: Import statements of modules that live beside the notebook, first one per cell.
    helper_imports: list[ast.stmt] = field(default_factory=list)
    #: The notebook's folder as seen from the pipeline directory (for ``sys.path``).
    source_from_pipeline: str = ".."
    written: dict[str, tuple[int, int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: ``(cell index, row, reason)``: paths that could not be re-pointed safely.
    unsafe: list[tuple[int, int, str]] = field(default_factory=list)
    chdir_at: tuple[int, int] | None = None


class _Planner:
    def __init__(self, context: NotebookAnalysis, source_dir: Path, target: Path) -> None:
        self.context = context
        self.notebook = context.notebook
        self.source_dir = source_dir
        self.target = target
        self.plan = PathPlan(
            source_from_pipeline=Path(os.path.relpath(source_dir, target)).as_posix()
        )

    # -- where things are -------------------------------------------------------------------
    def _at(self, node: ast.AST) -> tuple[int, int]:
        position = self.context.position(node)
        return position.cell_index, position.row

    def _after_chdir(self, at: tuple[int, int]) -> bool:
        chdir = self.plan.chdir_at
        return chdir is not None and at > chdir

    # -- the decision -----------------------------------------------------------------------
    def relocated(self, value: str, at: tuple[int, int]) -> str | None:
        """``value`` re-expressed from the pipeline directory, or ``None`` to leave it."""
        if not value or "\n" in value or _URL.match(value) or value.startswith(("~", "$", "-")):
            return None
        if os.path.isabs(value) or value.strip() != value or len(value) > 255:
            return None
        if self._after_chdir(at):
            return None
        normalised = posixpath.normpath(value.replace("\\", "/"))
        if normalised == ".":
            return None
        first = normalised.split("/", 1)[0]
        if first != ".." and not (self.source_dir / first).exists():
            return None
        if "/" not in normalised and normalised in self.plan.written:
            return None
        new = Path(os.path.relpath(self.source_dir / normalised, self.target)).as_posix()
        if value.endswith("/") and not new.endswith("/"):
            new += "/"
        return new if new != value else None

    # -- collecting -------------------------------------------------------------------------
    def collect(self) -> PathPlan:
        self._find_chdir()
        self._find_writes()
        self._find_literals()
        self._find_shell_paths()
        self._find_helper_imports()
        return self.plan

    def _find_chdir(self) -> None:
        places = [
            self._at(call.node)
            for call in self.context.facts.calls
            if call.qualified_name in _CHDIR_CALLS
        ]
        places += [
            (command.cell_index, command.row)
            for command in self.notebook.shell_commands
            if command.origin == "line-magic" and command.magic in ("cd", "pushd")
        ]
        self.plan.chdir_at = min(places) if places else None

    def _find_writes(self) -> None:
        values = self.context.values
        for call in self.context.facts.calls:
            argument: ast.expr | None = None
            qualified = call.qualified_name
            if qualified in ("open", "io.open", "codecs.open") and _writes(
                call.argument(1, "mode")
            ):
                argument = call.argument(0, "file", "filename")
            elif call.method in _WRITER_METHODS:
                argument = call.argument(0, "path", "path_or_buf", "fname", "dataset_path")
                func = call.node.func
                if call.method in ("write_text", "write_bytes", "touch") and isinstance(
                    func, ast.Attribute
                ):
                    receiver = func.value
                    argument = (
                        receiver.args[0]
                        if isinstance(receiver, ast.Call) and receiver.args
                        else receiver
                    )
            elif call.method == "open" and isinstance(call.node.func, ast.Attribute):
                if _writes(call.argument(0, "mode")):
                    argument = call.node.func.value
                    if isinstance(argument, ast.Call) and argument.args:
                        argument = argument.args[0]
            elif qualified in _WRITER_CALLS:
                argument = call.argument(_WRITER_CALLS[qualified], "dst", "filename", "file")
            if argument is None:
                continue
            for value in values.strings(argument, call.scope):
                self._written(str(value.value), self._at(call.node))
        for command in self.notebook.shell_commands:
            for path in _shell_written(command.text):
                self._written(path, (command.cell_index, command.row))
        for cell in self.notebook.cells:
            if cell.cell_type == "code" and cell.cell_magic == "writefile":
                arguments = cell.lines[0].split()[1:]
                paths = [a for a in arguments if not a.startswith("-")]
                if paths:
                    self._written(paths[0], (cell.index, 1))

    def _written(self, path: str, at: tuple[int, int]) -> None:
        if not path or _URL.match(path) or os.path.isabs(path):
            return
        normalised = posixpath.normpath(path.replace("\\", "/"))
        self.plan.written.setdefault(normalised, at)

    def _find_literals(self) -> None:
        for statement in self.notebook.program.body:
            self._visit(statement, None, None)

    def _visit(self, node: ast.AST, parent: ast.AST | None, grandparent: ast.AST | None) -> None:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str) and self._is_path_position(node, parent, grandparent):
                at = self._at(node)
                new = self.relocated(node.value, at)
                if new is not None:
                    self.plan.literals[id(node)] = (node, new)
            return
        if isinstance(node, ast.JoinedStr):
            # Only the head of an f-string can be a path prefix (``f"data/{name}.csv"``).
            head = node.values[0] if node.values else None
            if isinstance(head, ast.Constant) and isinstance(head.value, str):
                at = self._at(node)
                new = self.relocated(head.value, at)
                if new is not None and "/" in head.value:
                    self.plan.unsafe.append(
                        (
                            at[0],
                            at[1],
                            f"the f-string path {head.value!r}... names a file beside the "
                            "notebook; re-point it from the pipeline directory by hand",
                        )
                    )
            for value in node.values:
                if isinstance(value, ast.FormattedValue):
                    self._visit(value.value, value, node)
            return
        for child in ast.iter_child_nodes(node):
            self._visit(child, node, parent)

    def _is_path_position(
        self, node: ast.Constant, parent: ast.AST | None, grandparent: ast.AST | None
    ) -> bool:
        value = node.value
        if isinstance(parent, ast.Expr):
            return False  # a docstring or a bare string statement
        if isinstance(parent, ast.Subscript) and parent.slice is node:
            return False
        if isinstance(parent, ast.Dict) and any(key is node for key in parent.keys):
            return False
        if isinstance(parent, (ast.Compare, ast.FormattedValue)):
            return False
        call = parent if isinstance(parent, ast.Call) else None
        if isinstance(parent, ast.keyword) and isinstance(grandparent, ast.Call):
            call = grandparent
        if call is not None:
            name = dotted_name(call.func) or ""
            method = name.rsplit(".", 1)[-1]
            if method in _TEXT_CALLS or (
                isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Constant)
            ):
                return False
            if method.endswith(_PATH_CALL_SUFFIXES) or method.startswith(("read_", "to_")):
                return True
        if isinstance(parent, ast.BinOp) and isinstance(parent.op, (ast.Div, ast.Add)):
            return parent.left is node
        looks_like_path = "/" in value or "\\" in value or bool(Path(value).suffix)
        if isinstance(parent, (ast.Assign, ast.AnnAssign)):
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            return looks_like_path or any(_PATH_NAME.search(n) for n in names)
        return looks_like_path and call is not None

    def _find_shell_paths(self) -> None:
        for command in self.notebook.shell_commands:
            magic = command.magic if command.origin == "line-magic" else None
            if command.origin == "cell-magic" or command.continuations:
                continue
            if command.origin == "line-magic" and magic not in ("run", "cd", "pushd", "load"):
                continue
            line = self.notebook.cell_line(command.cell_index, command.row)
            new_line = self._relocate_tokens(line, command.text, (command.cell_index, command.row))
            if new_line is not None:
                self.plan.shell_edits.append(ShellEdit(command.cell_index, command.row, new_line))

    def _relocate_tokens(self, line: str, text: str, at: tuple[int, int]) -> str | None:
        try:
            tokens = shlex.split(text, posix=True)
        except ValueError:
            return None
        start = line.find(text)
        if start < 0:
            return None
        head, body, tail = line[:start], text, line[start + len(text) :]
        changed = False
        if not tokens or tokens[0] in _TEXT_PROGRAMS:
            return None
        for token in tokens[1:]:
            if token.startswith("-") or "{" in token or "$" in token:
                continue
            new = self.relocated(token, at)
            if new is None:
                continue
            pattern = re.compile(rf"(?<![\w./-]){re.escape(token)}(?![\w./-])")
            body, count = pattern.subn(new, body, count=1)
            changed |= count == 1
        return head + body + tail if changed else None

    def _find_helper_imports(self) -> None:
        """The first import of a module beside the notebook: ``sys.path`` is set up before it
        once, and stays set for every later import (as in the notebook's own kernel)."""
        for statement in self.notebook.program.body:
            modules: list[str] = []
            if isinstance(statement, ast.Import):
                modules = [alias.name.split(".", 1)[0] for alias in statement.names]
            elif (
                isinstance(statement, ast.ImportFrom) and statement.level == 0 and statement.module
            ):
                modules = [statement.module.split(".", 1)[0]]
            if any(self._beside_source(module) for module in modules):
                self.plan.helper_imports.append(statement)
                return

    def _beside_source(self, module: str) -> bool:
        return (self.source_dir / f"{module}.py").is_file() or (
            self.source_dir / module / "__init__.py"
        ).is_file()


def _writes(mode: ast.expr | None) -> bool:
    return (
        isinstance(mode, ast.Constant)
        and isinstance(mode.value, str)
        and bool(set(mode.value) & set("wax+"))
    )


def _shell_written(text: str) -> list[str]:
    """Files a shell line writes: ``wget -O``, ``curl -o``/``-O``, ``> file``, ``cp``/``mv``."""
    try:
        tokens = shlex.split(text, posix=True)
    except ValueError:
        return []
    written: list[str] = []
    for index, token in enumerate(tokens):
        if token in (">", ">>") and index + 1 < len(tokens):
            written.append(tokens[index + 1])
    if not tokens:
        return written
    program = tokens[0].rsplit("/", 1)[-1]
    arguments = tokens[1:]
    urls = [token for token in arguments if _URL.match(token)]
    options = _SHELL_OUTPUT_OPTIONS.get(program)
    output = None
    if options is not None:
        for index, token in enumerate(arguments):
            if token in options and index + 1 < len(arguments):
                output = arguments[index + 1]
            elif token.startswith(options[1] + "="):
                output = token.split("=", 1)[1]
    if output is not None:
        written.append(output)
    elif program == "wget" and urls:
        written.append(urls[0].rstrip("/").rsplit("/", 1)[-1])
    elif (
        program == "curl"
        and urls
        and any(
            t in ("-O", "--remote-name")
            or (t.startswith("-") and not t.startswith("--") and "O" in t)
            for t in arguments
        )
    ):
        written.append(urls[0].rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0])
    if program in ("cp", "mv") and len([a for a in arguments if not a.startswith("-")]) >= 2:
        written.append([a for a in arguments if not a.startswith("-")][-1])
    return written


def plan_paths(context: NotebookAnalysis, source_dir: Path, target: Path) -> PathPlan:
    """Decide every relative-path edit for a notebook graduating from ``source_dir`` to
    ``target``."""
    return _Planner(context, source_dir, target).collect()
