"""NBG401: an install command that does not pin an exact version."""

from __future__ import annotations

from collections.abc import Iterator

from nbgraduate.lint.rules._install_findings import install_requirements
from nbgraduate.lint.rules.base import Example, Finding, Rule

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from nbgraduate.lint.context import LintContext


class FloatingInstall(Rule):
    """Reports requirements in ``%pip``/``!pip``/``uv pip``/``conda install`` lines and in
    ``%%bash`` cell bodies that are not exact ``==`` pins: bare names, ``>=``, ``~=``,
    wildcards and ``-U`` upgrades."""

    code = "NBG401"
    name = "floating-install"
    summary = "Install command without an exact version pin"
    rationale = """
        ``%pip install openai pandas`` installs whatever is newest on the day the notebook runs.
        The client library decides request defaults, retries, tokenisation and parsing, so
        a new release can move the score. Pin exact versions (or better, graduate the notebook
        and keep them in a locked requirements file).
    """
    bad = (
        Example("%pip install openai pandas>=2\n"),
        Example("!pip install -U langchain\n"),
        Example("%%bash\npip install datasets\n"),
        Example(
            "pip install ragas\n",
            note="a one-line cell IPython runs as %pip (automagic)",
        ),
    )
    good = (
        Example("%pip install openai==1.51.0 pandas==2.2.3\n"),
        Example("!pip install -r requirements.lock\n"),
    )

    def check(self, context: LintContext) -> Iterator[Finding]:
        for located in install_requirements(context.notebook):
            requirement = located.requirement
            if requirement.kind != "floating":
                continue
            message = f"{requirement.tool} install of {requirement.spec!r} is not pinned: {requirement.reason}"
            yield self.finding(message, located.start, located.end)
