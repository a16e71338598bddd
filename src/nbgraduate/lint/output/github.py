"""The ``github`` format: GitHub Actions workflow commands that annotate the pull request."""

from __future__ import annotations

import os

from nbgraduate.lint.diagnostics import LintReport, Severity
from nbgraduate.lint.output._common import display_path, location_label, ordered


def render_github(report: LintReport) -> str:
    """One ``::error``/``::warning`` command per finding and one per unreadable file.

    ``file`` is absolute because the runner maps absolute paths under the workspace back to
    the repository, whereas a relative path breaks when the job runs in a subdirectory. The
    line numbers are those of the file on disk, so an ``.ipynb`` annotation lands on the JSON
    line of the offending source, while the message keeps the cell coordinates readers use.
    """
    cwd = os.getcwd()
    commands = []
    for diagnostic in ordered(report):
        level = "warning" if diagnostic.severity is Severity.WARNING else "error"
        properties = {
            "title": f"nbgraduate ({diagnostic.code})",
            "file": os.path.abspath(diagnostic.path),
            "line": diagnostic.file_line,
            "col": diagnostic.file_column,
            "endLine": diagnostic.file_end_line,
            "endColumn": diagnostic.file_end_column,
        }
        label = location_label(diagnostic, display_path(diagnostic.path, cwd))
        commands.append(
            _command(level, properties, f"{label}: {diagnostic.code} {diagnostic.message}")
        )
    for error in report.errors:
        properties = {"title": "nbgraduate", "file": os.path.abspath(error.path)}
        message = f"{display_path(error.path, cwd)}: {error.reason}"
        commands.append(_command("error", properties, message))
    return "".join(f"{command}\n" for command in commands)


def _command(level: str, properties: dict[str, str | int], message: str) -> str:
    fields = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{level} {fields}::{escape_data(message)}"


def escape_data(text: str) -> str:
    """Escape a command's message the way the Actions runner unescapes it."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value; ``:`` and ``,`` would otherwise end the value early."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
