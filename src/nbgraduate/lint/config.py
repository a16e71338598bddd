"""Lint settings: ``[tool.nbgraduate]`` from the nearest pyproject.toml, overridden by CLI flags."""

from __future__ import annotations

import os
import sys
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path

from nbgraduate.core.errors import ConfigError, UsageError
from nbgraduate.core.records import Record
from nbgraduate.lint.ignore_patterns import compile_patterns

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "ALL",
    "PYPROJECT",
    "LintSettings",
    "clear_caches",
    "find_config",
    "load_settings",
    "nbgraduate_table",
    "normalise_eval_path",
    "resolve_selection",
]

ALL = "ALL"
PYPROJECT = "pyproject.toml"

_KNOWN_KEYS = frozenset(
    {
        "select",
        "ignore",
        "extend-select",
        "per-file-ignores",
        "exclude",
        "extend-exclude",
        "respect-gitignore",
        "models",
        "baseline",
        "eval-paths",
        # Read by ``nbgraduate run`` (runs.snapshots), listed here so lint accepts it.
        "snapshot-max-mb",
        # Read by `run` and the commands that use the run store (runs/settings.py).
        "store",
        "artifacts",
        "cluster",
        "ship-limit",
    }
)
_MODEL_KEYS = frozenset({"pinned", "floating", "providers"})


class LintSettings(Record):
    """Everything a lint run needs to know from configuration, already validated and resolved.

    Patterns (``per_file_ignores``, ``exclude``) are gitignore-style and relative to
    ``project_root``, the directory of the config file, so a config means the same thing
    whichever directory the linter is started from.
    """

    _fields = (
        "config_path",
        "project_root",
        "enabled_codes",
        "per_file_ignores",
        "exclude",
        "respect_gitignore",
        "model_pinned",
        "model_floating",
        "model_providers",
        "baseline",
        "eval_paths",
    )
    __slots__ = _fields

    def __init__(
        self,
        config_path: Path | None,
        project_root: Path,
        enabled_codes: frozenset[str],
        per_file_ignores: tuple[tuple[str, frozenset[str]], ...],
        exclude: tuple[str, ...],
        respect_gitignore: bool,
        model_pinned: tuple[str, ...],
        model_floating: tuple[str, ...],
        model_providers: tuple[dict[str, Any], ...],
        #: The baseline file ``lint`` applies when ``--baseline`` is not given (absolute path).
        baseline: Path | None = None,
        #: Directories (relative to ``project_root``, posix, no trailing slash) that hold eval
        #: notebooks: the guard hook and the repository rules (NBG8xx) look there.
        eval_paths: tuple[str, ...] = (),
    ) -> None:
        self.config_path = config_path
        self.project_root = project_root
        self.enabled_codes = enabled_codes
        self.per_file_ignores = per_file_ignores
        self.exclude = exclude
        self.respect_gitignore = respect_gitignore
        self.model_pinned = model_pinned
        self.model_floating = model_floating
        self.model_providers = model_providers
        self.baseline = baseline
        self.eval_paths = eval_paths

    def eval_path_of(self, path: Path) -> str | None:
        """The configured eval path ``path`` lies in (or is), or ``None`` when it is in none."""
        relative = _match_path(path, self.project_root)
        for eval_path in self.eval_paths:
            if relative == eval_path or relative.startswith(eval_path + "/"):
                return eval_path
        return None

    def codes_for(self, path: Path) -> frozenset[str]:
        """The codes to check in ``path``: the enabled ones minus its per-file ignores.

        A pattern starting with ``!`` applies to the files it does *not* match, as in ruff.
        """
        if not self.per_file_ignores:
            return self.enabled_codes
        relative = _match_path(path, self.project_root)
        ignored: set[str] = set()
        for pattern, codes in self.per_file_ignores:
            negated = pattern.startswith("!")
            matched = compile_patterns((pattern[1:] if negated else pattern,)).matches(relative)
            if matched != negated:
                ignored |= codes
        return self.enabled_codes - ignored


def resolve_selection(
    known_codes: Collection[str],
    select: Sequence[str] | None,
    extend_select: Sequence[str] | None,
    ignore: Sequence[str] | None,
) -> frozenset[str]:
    """The enabled codes for one set of selectors, resolved the way ruff does.

    Start from ``select`` (default ``ALL``), add ``extend_select``, remove ``ignore``; the
    selectors are applied from least to most specific (``ALL``, ``NBG``, ``NBG1``, ``NBG101``)
    so ``ignore = ["NBG1"]`` with ``extend-select = ["NBG101"]`` keeps NBG101. At equal
    specificity the ignore wins. An unknown selector raises :class:`UsageError`.
    """
    known = frozenset(known_codes)
    layer = _Layer.from_selectors(select, extend_select, ignore)
    unknown = _unknown_selectors(layer.all_selectors(), known)
    if unknown:
        raise UsageError(f"unknown rule selector {unknown[0]!r}")
    if layer.select is None:
        layer = _Layer((ALL,), layer.extend_select, layer.ignore)
    return layer.apply(frozenset(), known)


def load_settings(
    start: Path,
    *,
    known_codes: Collection[str],
    cli_select: Sequence[str] | None = None,
    cli_ignore: Sequence[str] | None = None,
    cli_extend_select: Sequence[str] | None = None,
    config_file: Path | None = None,
) -> LintSettings:
    """The settings that apply to ``start`` (a file or directory).

    The config is ``config_file`` when given, otherwise the nearest ``pyproject.toml`` at or
    above ``start`` that has a ``[tool.nbgraduate]`` table. CLI selectors form a second layer
    on top of the file's: ``--select`` replaces the file's selection, ``--extend-select`` adds
    and ``--ignore`` removes. Each CLI item may hold comma-separated selectors. Results are
    cached, so calling this for every file of a large tree is cheap.
    """
    if config_file is not None:
        config_path: Path | None = Path(os.path.abspath(config_file))
        if not os.path.isfile(config_path):
            raise ConfigError(config_file, "No such file or directory")
    else:
        config_path = find_config(start)
    cli = _Layer.from_selectors(
        _split_cli(cli_select), _split_cli(cli_extend_select), _split_cli(cli_ignore)
    )
    known = frozenset(known_codes)
    project_root = config_path.parent if config_path is not None else Path.cwd()
    key = (config_path, project_root, known, cli)
    cached = _settings_cache.get(key)
    if cached is None:
        cached = _build_settings(config_path, project_root, known, cli)
        _settings_cache[key] = cached
    return cached


def find_config(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` at or above ``start`` with a ``[tool.nbgraduate]`` table.

    A ``pyproject.toml`` without that table is skipped (a sub-package's packaging file must
    not hide the repository's lint config). Answers are cached per directory.
    """
    current = os.path.abspath(start)
    if not os.path.isdir(current):
        current = os.path.dirname(current)
    visited: list[str] = []
    found: Path | None = None
    while True:
        if current in _config_for_directory:
            found = _config_for_directory[current]
            break
        visited.append(current)
        candidate = Path(current, PYPROJECT)
        if candidate.is_file() and _nbgraduate_table(candidate) is not None:
            found = candidate
            break
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    for directory in visited:
        _config_for_directory[directory] = found
    return found


def clear_caches() -> None:
    """Forget cached config lookups, e.g. after a pyproject.toml was edited in a long session."""
    _config_for_directory.clear()
    _tables.clear()
    _settings_cache.clear()


# --- selectors -----------------------------------------------------------------------------


class _Layer(Record):
    """One source of selectors (the config file, or the command line)."""

    _fields = ("select", "extend_select", "ignore")
    __slots__ = _fields

    def __init__(
        self,
        select: tuple[str, ...] | None,
        extend_select: tuple[str, ...],
        ignore: tuple[str, ...],
    ) -> None:
        self.select = select
        self.extend_select = extend_select
        self.ignore = ignore

    @classmethod
    def from_selectors(
        cls,
        select: Iterable[str] | None,
        extend_select: Iterable[str] | None,
        ignore: Iterable[str] | None,
    ) -> _Layer:
        return cls(
            None if select is None else _normalise(select),
            _normalise(extend_select or ()),
            _normalise(ignore or ()),
        )

    def is_empty(self) -> bool:
        return self.select is None and not self.extend_select and not self.ignore

    def all_selectors(self) -> tuple[str, ...]:
        return (*(self.select or ()), *self.extend_select, *self.ignore)

    def apply(self, current: frozenset[str], known: frozenset[str]) -> frozenset[str]:
        """Apply this layer on top of ``current``; a ``select`` discards ``current`` entirely."""
        enabling = (*(self.select or ()), *self.extend_select)
        updates: dict[str, bool] = {}
        for level in sorted({_specificity(s) for s in (*enabling, *self.ignore)}):
            for selector in enabling:
                if _specificity(selector) == level:
                    updates.update(dict.fromkeys(_expand(selector, known), True))
            for selector in self.ignore:
                if _specificity(selector) == level:
                    updates.update(dict.fromkeys(_expand(selector, known), False))
        base = set() if self.select is not None else set(current)
        for code, enabled in updates.items():
            if enabled:
                base.add(code)
            else:
                base.discard(code)
        return frozenset(base)


def _normalise(selectors: Iterable[str]) -> tuple[str, ...]:
    return tuple(selector.strip().upper() for selector in selectors)


def _split_cli(values: Sequence[str] | None) -> tuple[str, ...] | None:
    # ``--select NBG1,NBG2`` and ``--select NBG1 --select NBG2`` mean the same, as in ruff.
    if values is None:
        return None
    return tuple(part for value in values for part in value.split(",") if part.strip())


def _specificity(selector: str) -> int:
    return 0 if selector == ALL else len(selector)


def _expand(selector: str, known: frozenset[str]) -> frozenset[str]:
    if selector == ALL:
        return known
    return frozenset(code for code in known if code.startswith(selector))


def _unknown_selectors(selectors: Iterable[str], known: frozenset[str]) -> list[str]:
    return [s for s in selectors if s != ALL and (not s or not _expand(s, known))]


# --- reading pyproject.toml ----------------------------------------------------------------

_config_for_directory: dict[str, Path | None] = {}
_tables: dict[Path, dict[str, Any] | None] = {}
_settings_cache: dict[tuple[object, ...], LintSettings] = {}


def _nbgraduate_table(path: Path) -> dict[str, Any] | None:
    """The ``[tool.nbgraduate]`` table of a TOML file, or ``None`` when it has none."""
    if path in _tables:
        return _tables[path]
    # Imported here: linting a tree without any pyproject.toml need not load the TOML parser.
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    try:
        with open(path, "rb") as handle:
            document = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message already carries "(at line N, column M)".
        raise ConfigError(path, f"invalid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        # TOML is UTF-8; tomllib decodes the whole file first and lets the codec error out.
        raise ConfigError(path, f"invalid TOML: not UTF-8 (byte {exc.start})") from exc
    except OSError as exc:
        raise ConfigError(path, exc.strerror or str(exc)) from exc
    tool = document.get("tool")
    table = tool.get("nbgraduate") if isinstance(tool, dict) else None
    if table is not None and not isinstance(table, dict):
        raise ConfigError(path, f"[tool.nbgraduate] must be a table, got {_toml_type(table)}")
    _tables[path] = table
    return table


def nbgraduate_table(path: Path) -> dict[str, Any] | None:
    """The ``[tool.nbgraduate]`` table of ``path`` (cached), for settings other commands read."""
    return _nbgraduate_table(path)


def _build_settings(
    config_path: Path | None, project_root: Path, known: frozenset[str], cli: _Layer
) -> LintSettings:
    table = _nbgraduate_table(config_path) if config_path is not None else None
    reader = _TableReader(table or {}, config_path)
    reader.reject_unknown_keys(_KNOWN_KEYS, "[tool.nbgraduate]")

    file_layer = _Layer.from_selectors(
        reader.strings("select", default=None),
        reader.strings("extend-select", default=()),
        reader.strings("ignore", default=()),
    )
    reader.check_selectors(file_layer.all_selectors(), known)
    if file_layer.select is None:
        file_layer = _Layer((ALL,), file_layer.extend_select, file_layer.ignore)
    enabled = file_layer.apply(frozenset(), known)

    if not cli.is_empty():
        unknown = _unknown_selectors(cli.all_selectors(), known)
        if unknown:
            raise UsageError(f"unknown rule selector {unknown[0]!r} on the command line")
        enabled = cli.apply(enabled, known)

    models = reader.subtable("models")
    models.reject_unknown_keys(_MODEL_KEYS, "[tool.nbgraduate.models]")

    return LintSettings(
        config_path=config_path,
        project_root=project_root,
        enabled_codes=enabled,
        per_file_ignores=reader.per_file_ignores(known),
        exclude=(
            *reader.strings("exclude", default=()),
            *reader.strings("extend-exclude", default=()),
        ),
        respect_gitignore=reader.boolean("respect-gitignore", default=True),
        model_pinned=models.strings("pinned", default=()),
        model_floating=models.strings("floating", default=()),
        model_providers=models.tables("providers"),
        baseline=reader.relative_path("baseline", project_root),
        eval_paths=reader.eval_paths(),
    )


class _TableReader:
    """Typed access to one TOML table, turning every mistake into a ConfigError naming the file."""

    def __init__(self, table: dict[str, Any], path: Path | None, prefix: str = "") -> None:
        self._table = table
        self._path = path
        self._prefix = prefix

    def _error(self, message: str) -> ConfigError:
        return ConfigError(self._path or PYPROJECT, message)

    def _name(self, key: str) -> str:
        return f"`{self._prefix}{key}`"

    def reject_unknown_keys(self, known_keys: frozenset[str], where: str) -> None:
        for key in self._table:
            if key in known_keys:
                continue
            hint = ""
            if key.replace("_", "-") in known_keys:
                hint = f" (did you mean `{key.replace('_', '-')}`?)"
            raise self._error(f"unknown key `{key}` in {where}{hint}")

    def strings(self, key: str, *, default: tuple[str, ...] | None) -> tuple[str, ...] | None:
        value = self._table.get(key)
        if value is None:
            return default
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self._error(
                f"{self._name(key)} must be an array of strings, got {_toml_type(value)}"
            )
        return tuple(value)

    def boolean(self, key: str, *, default: bool) -> bool:
        value = self._table.get(key, default)
        if not isinstance(value, bool):
            raise self._error(f"{self._name(key)} must be true or false, got {_toml_type(value)}")
        return value

    def relative_path(self, key: str, root: Path) -> Path | None:
        """A path option, resolved against ``root`` (the config file's directory)."""
        value = self._table.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self._error(f"{self._name(key)} must be a non-empty path string")
        return Path(os.path.normpath(os.path.join(root, value)))

    def eval_paths(self) -> tuple[str, ...]:
        """``eval-paths``: directories relative to the config, normalised to ``evals/sub``."""
        key = "eval-paths"
        paths = self.strings(key, default=()) or ()
        normalised: list[str] = []
        for path in paths:
            cleaned = normalise_eval_path(path)
            if cleaned is None:
                raise self._error(
                    f"{self._name(key)} entry {path!r} must be a directory inside the project"
                    " (relative, without `..`)"
                )
            if cleaned not in normalised:
                normalised.append(cleaned)
        return tuple(normalised)

    def subtable(self, key: str) -> _TableReader:
        value = self._table.get(key, {})
        if not isinstance(value, dict):
            raise self._error(f"{self._name(key)} must be a table, got {_toml_type(value)}")
        return _TableReader(value, self._path, f"{self._prefix}{key}.")

    def tables(self, key: str) -> tuple[dict[str, Any], ...]:
        value = self._table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise self._error(
                f"{self._name(key)} must be an array of tables, got {_toml_type(value)}"
            )
        return tuple(dict(item) for item in value)

    def check_selectors(self, selectors: Iterable[str], known: frozenset[str]) -> None:
        unknown = _unknown_selectors(selectors, known)
        if unknown:
            raise self._error(f"unknown rule selector {unknown[0]!r}")

    def per_file_ignores(self, known: frozenset[str]) -> tuple[tuple[str, frozenset[str]], ...]:
        key = "per-file-ignores"
        value = self._table.get(key, {})
        if not isinstance(value, dict):
            raise self._error(f"{self._name(key)} must be a table, got {_toml_type(value)}")
        entries: list[tuple[str, frozenset[str]]] = []
        for pattern, selectors in value.items():
            if not isinstance(selectors, list) or not all(isinstance(s, str) for s in selectors):
                raise self._error(
                    f"{self._name(key)} entry {pattern!r} must be an array of rule selectors,"
                    f" got {_toml_type(selectors)}"
                )
            normalised = _normalise(selectors)
            unknown = _unknown_selectors(normalised, known)
            if unknown:
                raise self._error(
                    f"unknown rule selector {unknown[0]!r} in {self._name(key)} for {pattern!r}"
                )
            codes = frozenset().union(*(_expand(s, known) for s in normalised))
            entries.append((pattern, codes))
        return tuple(entries)


def normalise_eval_path(path: str) -> str | None:
    """``./evals/`` as ``evals``; ``None`` for an absolute path, ``..`` or the project root."""
    import posixpath

    text = path.strip().replace("\\", "/")
    if not text or text.startswith("/") or os.path.isabs(text):
        return None
    cleaned = posixpath.normpath(text)
    if cleaned in (".", "") or cleaned == ".." or cleaned.startswith("../"):
        return None
    return cleaned


def _toml_type(value: object) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a float", str: "a string"}
    names.update({list: "an array", dict: "a table"})
    return names.get(type(value), type(value).__name__)


# --- pattern matching ----------------------------------------------------------------------


def _match_path(path: Path, project_root: Path) -> str:
    """``path`` as patterns relative to ``project_root`` see it: posix, relative when inside.

    A path outside the root is given absolute (without its anchor), so only unanchored
    patterns such as ``scratch_*.ipynb`` can match it.
    """
    absolute = os.path.abspath(path)
    root = os.path.abspath(project_root)
    if absolute == root:
        return ""
    if absolute.startswith(root.rstrip(os.sep) + os.sep):
        relative = absolute[len(root.rstrip(os.sep)) + 1 :]
    else:
        relative = os.path.splitdrive(absolute)[1].lstrip(os.sep)
    return relative.replace(os.sep, "/")
