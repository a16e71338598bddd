"""NBG501: an API key or other credential written into the notebook."""

from __future__ import annotations

from collections.abc import Iterator

from nbgraduate.core import regex_cache
from nbgraduate.knowledge import secrets
from nbgraduate.lint.rules.base import Example, Finding, Position, Rule

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from nbgraduate.lint.context import LintContext

_ENV_ASSIGNMENT = regex_cache.compile(
    r"^(?:env|export|set)\s+(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*[= ]\s*(?P<value>\S+)"
)

# Built at import time so that no key-shaped literal sits in this source file.
_EXAMPLE_KEY = "sk-" + "proj-" + "Qx7" * 16


class HardcodedCredential(Rule):
    """Reports provider keys found anywhere in a cell's source (OpenAI, Anthropic, Google,
    Hugging Face, GitHub, AWS, Slack...), passwords and tokens in URLs
    (``https://user:<password>@host``, ``git+https://<token>@host``) and literal values assigned
    to key-like names (``api_key=``, ``OPENAI_API_KEY = ...``, ``%env HF_TOKEN=...``). A
    password-like name (``password``, ``db_passwd``, ``smtp_pass``) counts with any literal of
    eight characters or more: chosen passwords have no tell-tale shape. Placeholders such as
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
        Example('db_password = "correct-horse-9"\n'),
        Example('engine = create_engine("postgresql://evals:Tr0ub4dor3x@db.internal/evals")\n'),
    )
    good = (
        Example('import os\nclient = OpenAI(api_key=os.environ["OPENAI_API_KEY"])\n'),
        Example('OPENAI_API_KEY = "YOUR_API_KEY"  # set in your environment instead\n'),
        Example('db_password = os.environ["DB_PASSWORD"]\n'),
        Example('engine = create_engine(f"postgresql://evals:{password}@db.internal/evals")\n'),
    )

    def check(self, context: LintContext) -> Iterator[Finding]:
        return (finding for finding, repeated in self._every(context) if not repeated)

    def every_credential(self, context: LintContext) -> Iterator[Finding]:
        """Every credential, several on one line included: what output must mask."""
        return (finding for finding, _repeated in self._every(context))

    def _every(self, context: LintContext) -> list[tuple[Finding, bool]]:
        """Every credential, each with whether its line already holds one reported before
        (left out of ``check``): found once for the findings and for what output masks."""
        found = context.rule_results.get(self.code)
        if found is None:
            found = context.rule_results[self.code] = list(self._findings(context))
        return found

    def _findings(self, context: LintContext) -> Iterator[tuple[Finding, bool]]:
        notebook = context.notebook
        reported: set[tuple[int, int]] = set()
        for cell, found in zip(notebook.cells, context.source_secrets, strict=True):
            if not found:
                continue
            locate = _OffsetLocator(context, cell.index, cell.source)
            for match in found:
                start, end = locate(match.start), locate(match.end)
                reported.add((start.cell_index, start.row))
                finding = self.finding(
                    f"hard-coded {match.kind} ({match.preview}); read it from the environment",
                    start,
                    end,
                )
                yield finding, False
        for constant in context.facts.strings:
            if constant.context is None or not secrets.is_key_like_name(constant.context):
                continue
            if not secrets.looks_like_credential_value(constant.node.value, name=constant.context):
                continue
            start = context.position(constant.node)
            line = (start.cell_index, start.row)
            repeated = line in reported
            reported.add(line)
            preview = secrets.mask(constant.node.value)
            finding = self.finding(
                f"hard-coded credential assigned to {constant.context!r} ({preview}); "
                "read it from the environment",
                start,
                context.end_position(constant.node),
            )
            yield finding, repeated
        for command in notebook.shell_commands:
            match = _ENV_ASSIGNMENT.match(command.text)
            if match is None or not secrets.is_key_like_name(match.group("name")):
                continue
            value = match.group("value").strip("\"'")
            if not secrets.looks_like_credential_value(value, name=match.group("name")):
                continue
            column = command.column + match.start("value")
            finding = self.finding(
                f"hard-coded credential for {match.group('name')} ({secrets.mask(value)}); "
                "set it outside the notebook",
                context.cell_position(command.cell_index, command.row, column),
                context.cell_position(
                    command.cell_index, command.row, column + len(match.group("value"))
                ),
            )
            yield finding, (command.cell_index, command.row) in reported


class _OffsetLocator:
    """Cell positions of offsets into a cell's source, asked in increasing order: newlines are
    counted on from the previous offset, so thousands of keys in one cell cost one pass."""

    def __init__(self, context: LintContext, cell_index: int, source: str) -> None:
        self.context, self.cell_index, self.source = context, cell_index, source
        self.offset, self.row, self.line_start = 0, 1, 0

    def __call__(self, offset: int) -> Position:
        if offset < self.offset:
            self.offset, self.row, self.line_start = 0, 1, 0
        newlines = self.source.count("\n", self.offset, offset)
        if newlines:
            self.row += newlines
            self.line_start = self.source.rfind("\n", self.offset, offset) + 1
        self.offset = offset
        return self.context.cell_position(self.cell_index, self.row, offset - self.line_start + 1)
