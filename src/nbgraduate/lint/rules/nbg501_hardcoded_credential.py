"""NBG501: an API key or other credential written into the notebook."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from nbgraduate.knowledge import secrets
from nbgraduate.lint.rules.base import Example, Finding, Position, Rule

if TYPE_CHECKING:
    from nbgraduate.lint.context import LintContext

_ENV_ASSIGNMENT = re.compile(
    r"^(?:env|export|set)\s+(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*[= ]\s*(?P<value>\S+)"
)

# Built at import time so that no key-shaped literal sits in this source file.
_EXAMPLE_KEY = "sk-" + "proj-" + "Qx7" * 16


class HardcodedCredential(Rule):
    """Reports provider keys found anywhere in a cell's source (OpenAI, Anthropic, Google,
    Hugging Face, GitHub, AWS, Slack...) and literal values assigned to key-like names
    (``api_key=``, ``OPENAI_API_KEY = ...``, ``%env HF_TOKEN=...``). Placeholders such as
    ``"sk-..."`` or ``"YOUR_API_KEY"`` are not keys. Findings show at most the first four
    characters of a secret."""

    code = "NBG501"
    name = "hardcoded-credential"
    summary = "Credential written into the notebook"
    rationale = """
        A key in a notebook leaks with every copy, commit and shared output, and ties the eval
        to one person's account and quota. Read keys from the environment or a secret store,
        and rotate any key that was ever committed.
    """
    bad = (
        Example(f'OPENAI_API_KEY = "{_EXAMPLE_KEY}"\n'),
        Example('client = OpenAI(api_key="4f9c2b7e1d8a6f3c5e0b9d2a7c4e1f8b")\n'),
    )
    good = (
        Example('import os\nclient = OpenAI(api_key=os.environ["OPENAI_API_KEY"])\n'),
        Example('OPENAI_API_KEY = "YOUR_API_KEY"  # set in your environment instead\n'),
    )

    def check(self, context: LintContext) -> Iterator[Finding]:
        notebook = context.notebook
        reported: set[tuple[int, int]] = set()
        sources = "\n".join(cell.source for cell in notebook.cells)
        for cell in notebook.cells if secrets.may_contain_secret(sources) else ():
            for match in secrets.find_secrets(cell.source):
                start = _offset_position(context, cell.index, cell.source, match.start)
                end = _offset_position(context, cell.index, cell.source, match.end)
                reported.add((start.cell_index, start.row))
                yield self.finding(
                    f"hard-coded {match.kind} ({match.preview}); read it from the environment",
                    start,
                    end,
                )
        for constant in context.facts.strings:
            if constant.context is None or not secrets.KEY_LIKE_NAME.search(constant.context):
                continue
            if not secrets.looks_like_credential_value(constant.node.value):
                continue
            start = context.position(constant.node)
            if (start.cell_index, start.row) in reported:
                continue
            reported.add((start.cell_index, start.row))
            preview = secrets.mask(constant.node.value)
            yield self.finding(
                f"hard-coded credential assigned to {constant.context!r} ({preview}); "
                "read it from the environment",
                start,
                context.end_position(constant.node),
            )
        for command in notebook.shell_commands:
            match = _ENV_ASSIGNMENT.match(command.text)
            if match is None or not secrets.KEY_LIKE_NAME.search(match.group("name")):
                continue
            value = match.group("value").strip("\"'")
            if not secrets.looks_like_credential_value(value):
                continue
            if (command.cell_index, command.row) in reported:
                continue
            column = command.column + match.start("value")
            yield self.finding(
                f"hard-coded credential for {match.group('name')} ({secrets.mask(value)}); "
                "set it outside the notebook",
                context.cell_position(command.cell_index, command.row, column),
                context.cell_position(
                    command.cell_index, command.row, column + len(match.group("value"))
                ),
            )


def _offset_position(context: LintContext, cell_index: int, source: str, offset: int) -> Position:
    row = source.count("\n", 0, offset) + 1
    line_start = source.rfind("\n", 0, offset) + 1
    return context.cell_position(cell_index, row, offset - line_start + 1)
