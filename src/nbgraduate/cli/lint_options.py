"""``nbgraduate lint``'s common command lines, read without argparse.

``lint`` runs on every commit and editor save, mostly answered by the result cache in a few
tens of milliseconds; importing argparse (with gettext and locale) and building the parser
took a tenth of that. :func:`common_lint_options` reads the forms pre-commit, CI and editors
write (paths, and each option as ``--option value`` or ``--option=value``) and gives up on
anything else (``--help``, ``--``, a value starting with ``-``, an empty argument, a bad
choice or count...), which then goes to the argparse parser
(:mod:`nbgraduate.cli.lint_parsers`), the one definition of the command line. What it accepts
it reads exactly as that parser does; ``tests/test_cli_lint_options.py`` holds the two to
each other.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["LINT_OUTPUT_FORMATS", "RULE_OUTPUT_FORMATS", "common_lint_options"]

LINT_OUTPUT_FORMATS = ("concise", "full", "json", "sarif", "github", "gitlab")
RULE_OUTPUT_FORMATS = ("text", "json")

#: Options without a value: the destination and the value they store.
_SWITCHES = {
    "--statistics": ("statistics", True),
    "--no-statistics": ("statistics", False),
    "--exit-zero": ("exit_zero", True),
    "--no-exit-zero": ("exit_zero", False),
    "--force-exclude": ("force_exclude", True),
    "--no-force-exclude": ("force_exclude", False),
    "--no-cache": ("no_cache", True),
}
#: Options with one value: the destination and how the value is kept.
_VALUED = {
    "--output-format": ("output_format", "format"),
    "-o": ("output_file", "path"),
    "--output-file": ("output_file", "path"),
    "--select": ("select", "append"),
    "--extend-select": ("extend_select", "append"),
    "--ignore": ("ignore", "append"),
    "--config": ("config", "path"),
    "--baseline": ("baseline", "path"),
    "--write-baseline": ("write_baseline", "path"),
    "--jobs": ("jobs", "count"),
}


def common_lint_options(arguments: Sequence[str]) -> SimpleNamespace | None:
    """The options of ``nbgraduate lint ARGUMENTS`` as the argparse parser gives them, or
    ``None`` when the command line is not one of the common forms (parse it with argparse)."""
    values: dict[str, object] = {
        "output_format": "concise",
        "output_file": None,
        "select": None,
        "extend_select": None,
        "ignore": None,
        "statistics": False,
        "exit_zero": False,
        "force_exclude": False,
        "config": None,
        "baseline": None,
        "write_baseline": None,
        "jobs": None,
        "no_cache": False,
    }
    paths: list[Path] = []
    appended: dict[str, list[str]] = {}
    index = 0
    while index < len(arguments):
        argument = arguments[index]
        index += 1
        if not argument:
            return None
        if argument[0] != "-":
            paths.append(Path(argument))
            continue
        switch = _SWITCHES.get(argument)
        if switch is not None:
            values[switch[0]] = switch[1]
            continue
        name, equals, value = argument.partition("=")
        option = _VALUED.get(name)
        if option is None or (equals and not name.startswith("--")):
            return None
        if not equals:
            if index == len(arguments):
                return None
            value = arguments[index]
            index += 1
            if value.startswith("-"):
                return None
        if not value:
            return None
        destination, kind = option
        if kind == "path":
            values[destination] = Path(value)
        elif kind == "append":
            appended.setdefault(destination, []).append(value)
        elif kind == "format":
            if value not in LINT_OUTPUT_FORMATS:
                return None
            values[destination] = value
        else:  # a count of at least one, in ASCII digits (int() takes more; argparse decides)
            if not (value.isascii() and value.isdigit()) or int(value) < 1:
                return None
            values[destination] = int(value)
    values.update(appended)
    values["paths"] = paths
    return SimpleNamespace(**values)
