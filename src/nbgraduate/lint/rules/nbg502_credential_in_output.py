"""NBG502: a credential saved in a cell's output."""

from __future__ import annotations

import json
from collections.abc import Iterator

from nbgraduate.knowledge import secrets
from nbgraduate.lint.rules.base import Example, Finding, Rule

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from nbgraduate.lint.context import LintContext

_EXAMPLE_KEY = "sk-" + "proj-" + "Qx7" * 16


def _notebook_with_output(text: str) -> str:
    notebook = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [
            {
                "cell_type": "code",
                "id": "show-env",
                "execution_count": 1,
                "metadata": {},
                "source": ["import os\n", "print(os.environ)"],
                "outputs": [{"output_type": "stream", "name": "stdout", "text": [text]}],
            }
        ],
    }
    return json.dumps(notebook, indent=1)


class CredentialInOutput(Rule):
    """Reports provider keys found in saved cell outputs: printed environments, request
    logs, tracebacks that echo headers. Every textual output is read, whatever its MIME type
    (``text/plain``, ``text/html``, ``text/markdown``, ``application/json``, SVG...); base64
    payloads are not: binary MIME types such as PNG images, and ``data:`` URIs inline in text
    (``<img src="data:image/png;base64,...">``). A key shown in several forms of one output is
    reported once. Findings show at most the first four characters."""

    code = "NBG502"
    name = "credential-in-output"
    summary = "Credential saved in a cell output"
    rationale = """
        Outputs are committed with the notebook. A key printed once (``print(os.environ)``, a
        debug log of request headers) stays in the repository's history even after the code is
        fixed. Clear the outputs, rotate the key, and strip outputs before committing.
    """
    bad = (Example(_notebook_with_output(f"{{'OPENAI_API_KEY': '{_EXAMPLE_KEY}'}}\n")),)
    good = (Example(_notebook_with_output("{'HOME': '/home/runner'}\n")),)

    def check(self, context: LintContext) -> Iterator[Finding]:
        texts = [
            (cell, number, _output_text(output))
            for cell in context.notebook.cells
            for number, output in enumerate(cell.outputs, start=1)
        ]
        found = secrets.find_secrets_each([text for _cell, _number, text in texts])
        for (cell, output_number, text), matches in zip(texts, found, strict=True):
            if not matches:
                continue
            shown: set[str] = set()
            for match in matches:
                value = text[match.start : match.end]
                if value in shown:  # the same key in the text/plain and text/html forms
                    continue
                shown.add(value)
                position = context.cell_position(cell.index, 1, 1)
                yield self.finding(
                    f"output {output_number} of this cell contains a {match.kind} "
                    f"({match.preview}); clear the output and rotate the key",
                    position,
                )


def _output_text(output: dict) -> str:
    parts: list[str] = []
    for key in ("text", "evalue"):
        value = output.get(key)
        if value:
            parts.append(_joined(value))
    traceback = output.get("traceback")
    if isinstance(traceback, list):
        parts.extend(_joined(line) for line in traceback)
    data = output.get("data")
    if isinstance(data, dict):
        for mime, value in data.items():
            if not _is_textual(str(mime)):
                continue
            if isinstance(value, (list, str)):
                parts.append(_joined(value))
            else:
                try:
                    parts.append(json.dumps(value, ensure_ascii=False, default=str))
                except (TypeError, ValueError, RecursionError):
                    parts.append(str(value)[:1_000_000])
    return "\n".join(parts)


def _joined(value: object) -> str:
    """A notebook text field: a string or a list of strings (anything else is stringified, so
    a malformed output is still searched, never a crash)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        try:
            return "".join(value)
        except TypeError:
            return "".join(item if isinstance(item, str) else str(item) for item in value)
    return str(value)


def _is_textual(mime: str) -> bool:
    """Text MIME types are searched; images and other base64 payloads are not (a random
    base64 run matches key shapes by chance). SVG is XML text."""
    mime = mime.lower()
    return (
        mime.startswith("text/")
        or mime.endswith(("json", "+xml", "/xml", "javascript", "ecmascript", "latex"))
        or mime in ("image/svg+xml", "application/x-sh", "application/x-python")
    )
