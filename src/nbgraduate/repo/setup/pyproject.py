"""Merge ``[tool.nbgraduate]`` into pyproject.toml with tomlkit, keeping every byte of the rest."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from nbgraduate.core.errors import ConfigError
from nbgraduate.lint.config import normalise_eval_path
from nbgraduate.repo.setup import DEFAULT_EVAL_PATH
from nbgraduate.repo.setup.templates import PYPROJECT, read_template

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = ["MergedPyproject", "eval_paths_of", "merge_pyproject"]

_KEY = "eval-paths"


class MergedPyproject:
    """The merged text, what changed in words, and the eval paths it now configures."""

    def __init__(self, text: str, summary: str, eval_paths: list[str]) -> None:
        self.text = text
        self.summary = summary
        self.eval_paths = eval_paths


def merge_pyproject(
    existing: str | None, requested: Sequence[str] | None, *, path: str = "pyproject.toml"
) -> MergedPyproject:
    """Add the requested eval paths (default ``evals/`` when none is configured yet).

    Eval paths already configured are kept; requested ones that are missing are appended.
    Nothing else in the file changes: the result is checked to parse to the same data apart
    from ``[tool.nbgraduate]``.
    """
    import tomlkit

    wanted = [_normalised(p) for p in requested or ()]
    template = tomlkit.parse(read_template(PYPROJECT))
    if existing is None:
        paths = wanted or [_normalised(DEFAULT_EVAL_PATH)]
        template["tool"]["nbgraduate"][_KEY] = _array(paths)  # type: ignore[index]
        return MergedPyproject(
            tomlkit.dumps(template), f"[tool.nbgraduate] {_KEY} = {_shown(paths)}", paths
        )
    try:
        document = tomlkit.parse(existing)
    except tomlkit.exceptions.ParseError as error:
        raise ConfigError(path, f"invalid TOML: {error}; fix it and run init again") from None
    tool = document.get("tool")
    if tool is None:
        tool = tomlkit.table(is_super_table=True)
        document["tool"] = tool
    table = tool.get("nbgraduate")
    if table is None:
        paths = wanted or [_normalised(DEFAULT_EVAL_PATH)]
        table = template["tool"]["nbgraduate"]  # type: ignore[index]
        table[_KEY] = _array(paths)
        tool["nbgraduate"] = table
        summary = f"added [tool.nbgraduate] with {_KEY} = {_shown(paths)}"
    else:
        current = table.get(_KEY)
        if current is None:
            paths = wanted or [_normalised(DEFAULT_EVAL_PATH)]
            table[_KEY] = _array(paths)
            summary = f"[tool.nbgraduate] {_KEY} = {_shown(paths)}"
        elif not isinstance(current, list) or not all(isinstance(p, str) for p in current):
            raise ConfigError(path, f"`{_KEY}` in [tool.nbgraduate] must be an array of strings")
        else:
            known = [p for p in (normalise_eval_path(str(v)) for v in current) if p]
            missing = [p for p in dict.fromkeys(wanted) if p not in known]
            for eval_path in missing:
                current.append(tomlkit.string(f"{eval_path}/"))
            paths = known + missing
            summary = (
                f"[tool.nbgraduate] {_KEY}: added {_shown(missing)}"
                if missing
                else f"[tool.nbgraduate] {_KEY} already lists {_shown(known)}"
            )
    merged = tomlkit.dumps(document)
    _check_only_nbgraduate_changed(existing, merged, path)
    return MergedPyproject(merged, summary, list(dict.fromkeys(paths)))


def eval_paths_of(text: str) -> list[str]:
    """The normalised eval paths a pyproject.toml text configures."""
    table = tomllib.loads(text).get("tool", {}).get("nbgraduate", {})
    return [p for p in (normalise_eval_path(str(v)) for v in table.get(_KEY, ())) if p]


def _normalised(eval_path: str) -> str:
    cleaned = normalise_eval_path(eval_path)
    if cleaned is None:
        from nbgraduate.core.errors import UsageError

        raise UsageError(
            f"--eval-path {eval_path!r} must be a directory inside the project (relative,"
            " without `..`)"
        )
    return cleaned


def _array(paths: Sequence[str]) -> Any:
    import tomlkit

    array = tomlkit.array()
    for eval_path in paths:
        array.append(tomlkit.string(f"{eval_path}/"))  # basic strings: "evals/", not 'evals/'
    return array


def _shown(paths: Sequence[str]) -> str:
    return "[" + ", ".join(f'"{p}/"' for p in paths) + "]"


def _check_only_nbgraduate_changed(before: str, after: str, path: str) -> None:
    """Refuse to write if anything but ``[tool.nbgraduate]`` would differ (a tomlkit bug)."""
    old, new = tomllib.loads(before), tomllib.loads(after)
    for document in (old, new):
        document.get("tool", {}).pop("nbgraduate", None)
        if document.get("tool") == {}:
            document.pop("tool")
    if old != new:
        raise ConfigError(
            path, "merging [tool.nbgraduate] would change other settings; add it by hand"
        )
