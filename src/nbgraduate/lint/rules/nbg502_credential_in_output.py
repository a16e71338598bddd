"""NBG502: a credential saved in a cell's output."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING

from nbgraduate.knowledge import secrets
from nbgraduate.lint.rules.base import Example, Finding, Rule

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
    logs, tracebacks that echo headers. Findings show at most the first four characters."""

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
        if not secrets.may_contain_secret("\n".join(text for _cell, _number, text in texts)):
            return
        for cell, output_number, text in texts:
            for match in secrets.find_secrets(text):
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
            parts.append("".join(value) if isinstance(value, list) else str(value))
    traceback = output.get("traceback")
    if isinstance(traceback, list):
        parts.extend(str(line) for line in traceback)
    data = output.get("data")
    if isinstance(data, dict):
        # A rich display repeats its text/plain form (a DataFrame's HTML table holds the same
        # values); HTML is only scanned when there is no real plain-text form beside it.
        plain = data.get("text/plain")
        plain_text = "".join(plain) if isinstance(plain, list) else str(plain or "")
        skip_html = bool(plain_text) and not plain_text.startswith("<")
        for mime, value in data.items():
            if mime.startswith("image/") or (skip_html and mime == "text/html"):
                continue
            if isinstance(value, list):
                parts.append("".join(str(v) for v in value))
            elif isinstance(value, str):
                parts.append(value)
            else:
                parts.append(json.dumps(value))
    return "\n".join(parts)
