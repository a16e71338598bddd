"""The file paths an expression names: literals and constants, and paths composed from them.

``DATA_DIR / "eval.csv"``, ``os.path.join(DATA_DIR, "eval.csv")``, ``Path(DATA_DIR, NAME)``,
``f"{DATA_DIR}/eval.csv"`` and ``DATA_DIR + "/eval.csv"`` all name ``data/eval.csv`` when
``DATA_DIR = "data"`` was assigned before. A composed path is located at the composing
expression (where a human would see the whole path); a plain constant at its literal.
"""

from __future__ import annotations

import ast
import posixpath

from nbgraduate.analysis.catalog import DATA_FILE_EXTENSIONS
from nbgraduate.analysis.facts import Scope, dotted_name
from nbgraduate.analysis.values import ResolvedValue, ValueResolver

__all__ = ["normalise_path", "path_pattern", "path_values"]

#: Calls that join their arguments into one path.
_JOIN_CALLS = frozenset({"os.path.join", "posixpath.join", "ntpath.join", "path.join"})
#: Calls that return their (single) argument's path unchanged.
_PATH_CONSTRUCTORS = frozenset(
    {
        "Path",
        "pathlib.Path",
        "PurePath",
        "pathlib.PurePath",
        "PosixPath",
        "str",
        "os.fspath",
    }
)
#: Calls that return the same file as their one argument, spelled out
#: (``os.path.expanduser("~/evals/qa.csv")``, ``os.path.abspath("data/qa.csv")``).
_SAME_FILE_CALLS = frozenset(
    {"os.path.expanduser", "os.path.abspath", "os.path.normpath", "os.path.realpath"}
)
#: Calls that return the user's home folder, spelled ``~`` in a path.
_HOME_CALLS = frozenset({"Path.home", "pathlib.Path.home"})
#: Calls that return the working directory, which a relative path is relative to.
_WORKING_DIRECTORY_CALLS = frozenset(
    {"os.getcwd", "os.getcwdb", "Path.cwd", "pathlib.Path.cwd", "PurePath.cwd"}
)
#: Path methods that make a path absolute without changing which file it names.
_RESOLVING_METHODS = frozenset({"resolve", "absolute"})
#: How many alternative values a composed path may have before we stop combining them.
_MAX_COMBINATIONS = 16


def normalise_path(path: str) -> str:
    """The form in which lock files, digest checks and git record a local path."""
    return posixpath.normpath(path.replace("\\", "/")).removeprefix("./")


def path_values(
    expression: ast.expr | None, scope: Scope, values: ValueResolver
) -> list[ResolvedValue]:
    """Every string path ``expression`` can name, composed paths included; empty when unknown."""
    if expression is None:
        return []
    return _paths(expression, scope, values, 0)


def path_pattern(expression: ast.expr | None, scope: Scope, values: ValueResolver) -> str | None:
    """The shape of a file name composed at run time, ``{*}`` where a value lint cannot see goes:
    ``Path(f"results-{config_name}.jsonl")`` → ``results-{*}.jsonl``. ``None`` unless
    ``expression`` is (or is bound to) an f-string, possibly wrapped in ``Path``/``str``."""
    found = values.follow(expression, scope) if isinstance(expression, ast.Name) else expression
    while (
        isinstance(found, ast.Call)
        and len(found.args) == 1
        and not found.keywords
        and (values.qualify(dotted_name(found.func) or "") in _PATH_CONSTRUCTORS)
    ):
        found = found.args[0]
    if not isinstance(found, ast.JoinedStr):
        return None
    pieces: list[str] = []
    for piece in found.values:
        if isinstance(piece, ast.Constant):
            pieces.append(str(piece.value))
            continue
        known = values.strings(piece.value, scope) if isinstance(piece, ast.FormattedValue) else []
        pieces.append(str(known[0].value) if len(known) == 1 else "{*}")
    return "".join(pieces)


def _paths(
    expression: ast.expr, scope: Scope, values: ValueResolver, depth: int
) -> list[ResolvedValue]:
    if depth > 8:
        return []
    anchored = _anchored_path(expression, scope, values, depth)
    if anchored is not None:
        return anchored
    parts = _composed_parts(expression, values)
    if parts is None:
        direct = values.strings(expression, scope)
        if not direct and isinstance(expression, ast.Attribute):
            return _attribute_paths(expression, scope, values)
        if direct or not isinstance(expression, ast.Name):
            return direct
        bound = values.follow(expression, scope)
        if (
            bound is None
            or isinstance(bound, ast.Name)
            or (_composed_parts(bound, values) is None and not _is_anchored(bound, values))
        ):
            return []
        # ``p = DATA_DIR / "eval.csv"`` then ``read_csv(p)``: the composition, where it is written.
        return _paths(bound, scope, values, depth + 1)
    combined: list[str] = [""]
    rooted = False
    for index, (separator, part) in enumerate(parts):
        options = [str(v.value) for v in _part_values(part, scope, values, depth)]
        if not options and index == 0 and len(parts) > 1:
            options = _imported_root(part, values)
            rooted = bool(options)
        if not options:
            return []
        combined = [_join(prefix, option, separator) for prefix in combined for option in options][
            :_MAX_COMBINATIONS
        ]
    if rooted:
        # only a data file itself: what a folder under an unseen root holds is not known
        combined = [path for path in combined if path.lower().endswith(DATA_FILE_EXTENSIONS)]
    return [ResolvedValue(path, expression) for path in combined if path]


#: Constructors whose keywords become the attributes of what they build.
_NAMESPACES = frozenset({"types.SimpleNamespace", "argparse.Namespace"})


def _attribute_paths(
    expression: ast.Attribute, scope: Scope, values: ValueResolver
) -> list[ResolvedValue]:
    """``Config.DATA`` for ``class Config: DATA = "data/eval.csv"``, ``cfg.path`` for ``cfg =
    Cfg()`` of a notebook class whose body gives ``path`` a default (or ``Cfg(path=...)``), and
    ``args.data`` for ``args = SimpleNamespace(data=...)``: a setting kept on a config object."""
    owner = expression.value
    if not isinstance(owner, ast.Name):
        return []
    name = owner.id
    made = values.resolve_call(owner, scope)
    if made is not None:
        given = next((k.value for k in made.keywords if k.arg == expression.attr), None)
        constructor = dotted_name(made.func) or ""
        if given is not None and (
            constructor in values.facts.classes or values.qualify(constructor) in _NAMESPACES
        ):
            return values.strings(given, scope)
        if given is not None or made.args or constructor not in values.facts.classes:
            return []
        name = constructor
    elif values.follow(owner, scope) is not None:
        return []  # a name bound to something else than a class or an instance of one
    classes = values.facts.classes.get(name, [])
    if len(classes) != 1:
        return []
    for statement in classes[0].body:
        targets = (
            statement.targets
            if isinstance(statement, ast.Assign)
            else [statement.target]
            if isinstance(statement, ast.AnnAssign)
            else []
        )
        value = getattr(statement, "value", None)
        if (
            any(isinstance(t, ast.Name) and t.id == expression.attr for t in targets)
            and isinstance(value, ast.Constant)
            and isinstance(value.value, str)
        ):
            return [ResolvedValue(value.value, value)]
    return []


def _anchored_path(
    expression: ast.expr, scope: Scope, values: ValueResolver, depth: int
) -> list[ResolvedValue] | None:
    """The working directory as ``.`` (``os.getcwd()``, ``Path.cwd()``, ``Path().resolve()``),
    ``.parent`` of a known path, and ``p.resolve()``/``p.absolute()`` as ``p``: a folder the
    notebook finds from where it runs names the same files as the relative path. ``None`` when
    ``expression`` is none of these."""
    if isinstance(expression, ast.Attribute) and expression.attr == "parent":
        return [
            ResolvedValue(posixpath.normpath(posixpath.join(str(v.value), "..")), expression)
            for v in _paths(expression.value, scope, values, depth + 1)
        ]
    if not isinstance(expression, ast.Call) or expression.keywords:
        return None
    name = dotted_name(expression.func) or ""
    if values.qualify(name) in _WORKING_DIRECTORY_CALLS or name in _WORKING_DIRECTORY_CALLS:
        return [] if expression.args else [ResolvedValue(".", expression)]
    if values.qualify(name) in _HOME_CALLS or name in _HOME_CALLS:
        return [] if expression.args else [ResolvedValue("~", expression)]
    func = expression.func
    if not (isinstance(func, ast.Attribute) and func.attr in _RESOLVING_METHODS):
        return None
    if expression.args:
        return []
    receiver = func.value
    if isinstance(receiver, ast.Call) and not receiver.args and not receiver.keywords:
        constructor = dotted_name(receiver.func) or ""
        if values.qualify(constructor) in _PATH_CONSTRUCTORS or constructor in _PATH_CONSTRUCTORS:
            return [ResolvedValue(".", expression)]  # ``Path().resolve()``
    return [ResolvedValue(v.value, expression) for v in _paths(receiver, scope, values, depth + 1)]


def _is_anchored(expression: ast.expr, values: ValueResolver) -> bool:
    """Whether ``expression`` has a form :func:`_anchored_path` reads."""
    if isinstance(expression, ast.Attribute):
        return expression.attr == "parent"
    if not isinstance(expression, ast.Call):
        return False
    name = dotted_name(expression.func) or ""
    return (
        values.qualify(name) in _WORKING_DIRECTORY_CALLS
        or name in _WORKING_DIRECTORY_CALLS
        or values.qualify(name) in _HOME_CALLS
        or name in _HOME_CALLS
        or (
            isinstance(expression.func, ast.Attribute)
            and expression.func.attr in _RESOLVING_METHODS
        )
    )


def _part_values(
    part: ast.expr, scope: Scope, values: ValueResolver, depth: int
) -> list[ResolvedValue]:
    if isinstance(part, ast.Constant):
        return [ResolvedValue(part.value, part)] if isinstance(part.value, str) else []
    return _paths(part, scope, values, depth + 1)


def _imported_root(part: ast.expr, values: ValueResolver) -> list[str]:
    """``ROOT_DIR`` in ``Path(ROOT_DIR, "datasets/eval.jsonl")`` after ``from rag.config import
    ROOT_DIR`` (or ``config.ROOT_DIR`` after ``from rag import config``): a folder constant of
    the project's own code, whose value lint cannot see. The path it leads is still that
    project's file, named here by the constant."""
    if isinstance(part, ast.Attribute) and isinstance(part.value, ast.Name):
        # ``constants.DATA_DIR`` after ``from evalkit import constants``
        written = f"{part.value.id}.{part.attr}"
        if part.attr.isupper() and values.qualify(written) != written:
            return [written]
        return []
    if not isinstance(part, ast.Name) or not part.id.isupper():
        return []
    qualified = values.qualify(part.id)
    if qualified == part.id or not qualified.endswith("." + part.id):
        return []
    return [part.id]


def _join(prefix: str, part: str, separator: str) -> str:
    if not prefix:
        return part
    if separator == "/":
        if part.startswith("/"):
            return part  # an absolute right-hand side replaces the left, as pathlib does
        return prefix.rstrip("/") + "/" + part
    return prefix + part


def _composed_parts(
    expression: ast.expr, values: ValueResolver
) -> list[tuple[str, ast.expr]] | None:
    """``(separator, part)`` pairs when ``expression`` composes a path; ``None`` otherwise.

    The separator is ``/`` for path joins and ``""`` for string concatenation.
    """
    if isinstance(expression, ast.BinOp) and isinstance(expression.op, (ast.Div, ast.Add)):
        separator = "/" if isinstance(expression.op, ast.Div) else ""
        return [("", expression.left), (separator, expression.right)]
    if isinstance(expression, ast.JoinedStr):
        parts: list[tuple[str, ast.expr]] = []
        for piece in expression.values:
            if isinstance(piece, ast.FormattedValue):
                if piece.format_spec is not None or piece.conversion not in (-1, 115):
                    return None
                parts.append(("", piece.value))
            else:
                parts.append(("", piece))
        return parts
    if isinstance(expression, ast.Call) and not expression.keywords and expression.args:
        if any(isinstance(argument, ast.Starred) for argument in expression.args):
            return None
        name = dotted_name(expression.func) or ""
        qualified = values.qualify(name)
        if qualified in _JOIN_CALLS or name in _JOIN_CALLS:
            return [("/", argument) for argument in expression.args]
        if qualified in _SAME_FILE_CALLS and len(expression.args) == 1:
            return [("", expression.args[0])]
        if (qualified in _PATH_CONSTRUCTORS or name in _PATH_CONSTRUCTORS) and (
            len(expression.args) > 1
        ):
            return [("/", argument) for argument in expression.args]
        if (qualified in _PATH_CONSTRUCTORS or name in _PATH_CONSTRUCTORS) and not isinstance(
            expression.args[0], (ast.Constant, ast.Name)
        ):
            return [("", expression.args[0])]
        if isinstance(expression.func, ast.Attribute) and expression.func.attr == "joinpath":
            return [("", expression.func.value), *(("/", a) for a in expression.args)]
    return None
