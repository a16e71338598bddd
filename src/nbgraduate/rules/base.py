"""The shape every lint rule shares: metadata, documentation, examples and a check function."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from nbgraduate.diagnostics import Severity
from nbgraduate.findings import Finding, Position

if TYPE_CHECKING:
    from nbgraduate.lint.context import LintContext

RULE_DOCS_URL = "https://github.com/nbgraduate/nbgraduate/blob/main/docs/rules.md#{anchor}"


@dataclass(frozen=True, slots=True)
class Example:
    """A notebook snippet in jupytext percent format (``# %%`` separates cells).

    A snippet that starts with ``{`` is a whole ``.ipynb`` JSON document instead, for rules
    that need saved outputs or execution counts.
    """

    source: str
    note: str = ""


class Rule:
    """Base class of every rule: subclasses set the class attributes and implement ``check``.

    The class docstring says *what it does*; ``rationale`` says *why it is bad* for
    reproducibility; ``bad`` and ``good`` are run by the test-suite for every rule.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    rationale: ClassVar[str]
    severity: ClassVar[Severity] = Severity.ERROR
    bad: ClassVar[tuple[Example, ...]]
    good: ClassVar[tuple[Example, ...]]
    fix: ClassVar[str] = ""

    def check(self, context: LintContext) -> Iterator[Finding]:
        raise NotImplementedError

    @classmethod
    def url(cls) -> str:
        return RULE_DOCS_URL.format(anchor=f"{cls.code.lower()}-{cls.name}")

    @classmethod
    def what_it_does(cls) -> str:
        import inspect

        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def documentation(cls) -> str:
        """The rule's user documentation in Markdown, with ruff's four headings."""
        import inspect

        parts = [
            f"# {cls.code}: {cls.name}",
            "",
            f"{cls.summary}",
            "",
            "## What it does",
            cls.what_it_does(),
            "",
            "## Why is this bad?",
            inspect.cleandoc(cls.rationale),
            "",
            "## Example",
        ]
        for example in cls.bad:
            parts += ["```python", example.source.strip("\n"), "```", ""]
        parts.append("## Use instead")
        for example in cls.good:
            parts += ["```python", example.source.strip("\n"), "```", ""]
        if cls.fix:
            parts += ["## Fix", inspect.cleandoc(cls.fix), ""]
        return "\n".join(parts).rstrip() + "\n"

    def finding(self, message: str, start: Position, end: Position | None = None) -> Finding:
        return Finding(self.code, message, start, end or start)
