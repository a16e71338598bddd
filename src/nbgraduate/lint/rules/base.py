"""The shape every lint rule shares: metadata, documentation, examples and a check function."""

from __future__ import annotations

from collections.abc import Iterator

from nbgraduate.core.records import Record
from nbgraduate.lint.diagnostics import Severity
from nbgraduate.lint.findings import Finding, Position

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from typing import ClassVar, Literal

    from nbgraduate.lint.context import LintContext
    from nbgraduate.lint.repository_context import RepositoryContext

RULE_DOCS_URL = "https://github.com/nbgraduate/nbgraduate/blob/main/docs/rules.md#{anchor}"


class Example(Record):
    """A notebook snippet in jupytext percent format (``# %%`` separates cells).

    A snippet that starts with ``{`` is a whole ``.ipynb`` JSON document instead, for rules
    that need saved outputs or execution counts. A repository rule's example is a repository
    sketch instead (see :func:`repository_sketch`).

    ``files`` sketches the files around the notebook (``eval.py`` at the sketch's root), for
    rules that look beside it: a ``.dvc`` file, or a file's git state written after its path
    (``==> data/eval.csv [staged] <==``; see :data:`GIT_STATES`). The suite then builds that
    repository for real and lints the notebook in it.
    """

    _fields = ("source", "note", "files")
    __slots__ = _fields

    def __init__(self, source: str, note: str = "", files: str = "") -> None:
        self.source = source
        self.note = note
        self.files = files


#: Git states an example file can be in: ``committed``; ``staged`` (added, not committed);
#: ``modified`` (committed, then changed and not staged); ``untracked``; ``ignored``.
GIT_STATES = ("committed", "staged", "modified", "untracked", "ignored")

#: Where an example with ``files`` puts its notebook, relative to the sketch's root.
EXAMPLE_NOTEBOOK = "eval.py"


class Rule:
    """Base class of every rule: subclasses set the class attributes and implement ``check``.

    The class docstring says *what it does*; ``rationale`` says *why it is bad* for
    reproducibility; ``bad`` and ``good`` are run by the test-suite for every rule.
    """

    #: ``notebook`` rules check one notebook at a time; ``repository`` rules check the
    #: repository's layout once per lint run (:class:`RepositoryRule`).
    scope: ClassVar[Literal["notebook", "repository"]] = "notebook"
    #: The fence language of the examples in the generated documentation.
    example_language: ClassVar[str] = "python"
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
            parts += cls._example_text(example)
        parts.append("## Use instead")
        for example in cls.good:
            parts += cls._example_text(example)
        if cls.fix:
            parts += ["## Fix", inspect.cleandoc(cls.fix), ""]
        return "\n".join(parts).rstrip() + "\n"

    @classmethod
    def _example_text(cls, example: Example) -> list[str]:
        fence = f"```{cls.example_language}"
        parts = []
        if example.note:
            parts += [example.note, ""]
        parts += [fence, example.source.strip("\n"), "```", ""]
        if example.files:
            parts += [
                f"with these files beside the notebook (`{EXAMPLE_NOTEBOOK}`):",
                "",
                "```text",
                example.files.strip("\n"),
                "```",
                "",
            ]
        return parts

    def finding(self, message: str, start: Position, end: Position | None = None) -> Finding:
        return Finding(self.code, message, start, end or start)


class RepositoryFinding(Record):
    """What a repository rule reports: a problem located at a line of a file in the repository.

    ``key`` identifies the problem independently of the file's text (the eval path, the
    pipeline directory), so a baseline keeps recognising it.
    """

    _fields = ("code", "message", "path", "line", "column", "key")
    __slots__ = _fields

    def __init__(
        self, code: str, message: str, path: str, line: int, column: int, key: str
    ) -> None:
        self.code = code
        self.message = message
        self.path = path
        self.line = line
        self.column = column
        self.key = key


class RepositoryRule(Rule):
    """A rule about the repository rather than one notebook (CODEOWNERS, pipeline layout).

    It runs once per lint invocation, only when ``[tool.nbgraduate] eval-paths`` is set. Its
    examples are repository sketches: ``==> path <==`` headers, each followed by the file's
    content, as ``head`` prints several files.
    """

    scope = "repository"
    example_language = "text"

    def check(self, context: LintContext) -> Iterator[Finding]:
        return iter(())

    def check_repository(self, context: RepositoryContext) -> Iterator[RepositoryFinding]:
        raise NotImplementedError

    def repository_finding(
        self, message: str, path: str, key: str, line: int = 1, column: int = 1
    ) -> RepositoryFinding:
        return RepositoryFinding(self.code, message, path, line, column, key)


def example_files(text: str) -> list[tuple[str, str, str | None]]:
    """``(path, content, git state)`` of an example's ``files`` sketch, in sketch order."""
    found = []
    for header, content in repository_sketch(text).items():
        path, _, state = header.partition(" [")
        state = state.removesuffix("]").strip() or None
        if state is not None and state not in GIT_STATES:
            raise ValueError(f"unknown git state {state!r} in example file {path!r}")
        found.append((path.strip(), content, state))
    return found


def repository_sketch(text: str) -> dict[str, str]:
    """The files of a repository sketch, by posix path relative to the repository root.

    ``==> evals/x.ipynb <==`` starts a file; the lines up to the next header are its content.
    A path ending in ``/`` is an empty directory.
    """
    files: dict[str, str] = {}
    current: str | None = None
    lines: list[str] = []
    for line in text.strip("\n").split("\n"):
        stripped = line.strip()
        if stripped.startswith("==> ") and stripped.endswith(" <=="):
            if current is not None:
                files[current] = "\n".join(lines).strip("\n") + "\n"
            current, lines = stripped[4:-4].strip(), []
        elif current is not None:
            lines.append(line)
        elif stripped:
            raise ValueError(f"repository sketch must start with a `==> path <==` header: {line!r}")
    if current is not None:
        files[current] = "\n".join(lines).strip("\n") + "\n"
    return {path: ("" if path.endswith("/") else content) for path, content in files.items()}
