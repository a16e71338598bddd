"""NBG402: a VCS install on a branch or tag instead of a commit sha."""

from __future__ import annotations

from collections.abc import Iterator

from nbgraduate.lint.rules._install_findings import install_requirements
from nbgraduate.lint.rules.base import Example, Finding, Rule

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from nbgraduate.lint.context import LintContext


class FloatingVcsInstall(Rule):
    """Reports ``git+https://...`` (and other VCS or branch-archive) installs that do not name a
    full 40-hex commit sha."""

    code = "NBG402"
    name = "floating-vcs-install"
    summary = "VCS install without a commit sha"
    rationale = """
        A branch moves with every push and a tag can be re-pointed; installing from either
        gives different code on different days. A full commit sha is the only immutable ref.
    """
    bad = (
        Example("!pip install git+https://github.com/org/eval-utils.git\n"),
        Example("%pip install git+https://github.com/org/eval-utils.git@main\n"),
    )
    good = (
        Example(
            "%pip install git+https://github.com/org/eval-utils.git"
            "@3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a\n"
        ),
    )

    def check(self, context: LintContext) -> Iterator[Finding]:
        for located in install_requirements(context.notebook):
            requirement = located.requirement
            if requirement.kind != "vcs-floating":
                continue
            message = (
                f"VCS install {requirement.spec!r} is not pinned to a commit: {requirement.reason}"
            )
            yield self.finding(message, located.start, located.end)
