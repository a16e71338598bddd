"""NBG203: a path that only exists on one person's machine."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from nbgraduate.core import regex_cache
from nbgraduate.lint.rules.base import Example, Finding, Rule

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from nbgraduate.lint.context import LintContext

_MACHINE_LOCAL = regex_cache.compile(
    r"^(?:/Users/[^/\s]+/|/home/[^/\s]+/|~[/\\]|[A-Za-z]:[\\/]+Users[\\/]+[^\\/\s]+)"
)


class MachineLocalPath(Rule):
    """Reports string literals that are paths into a home directory: ``/Users/<name>/...``,
    ``/home/<name>/...``, ``C:\\Users\\<name>\\...``, ``~/...``, and datasets read from a
    path composed on the home folder (``Path.home() / "evals" / "qa.csv"``)."""

    code = "NBG203"
    name = "machine-local-path"
    summary = "Path into one person's home directory"
    rationale = """
        A path into a home directory works on exactly one laptop. CI, a colleague or the same
        person next year cannot run the eval, and nobody can tell which file it read. Keep the
        data in the repository (or a pinned remote) and use a path relative to the notebook.
    """
    bad = (
        Example(
            'import pandas as pd\ndf = pd.read_csv("/Users/alice/Downloads/eval_v2_final.csv")\n'
        ),
        Example('PROMPTS = "~/work/prompts/judge.txt"\n'),
        Example(
            "from pathlib import Path\n"
            "import pandas as pd\n"
            'df = pd.read_csv(Path.home() / "evals" / "qa.csv")\n',
            note="A dataset path composed on the home folder:",
        ),
    )
    good = (Example('import pandas as pd\ndf = pd.read_csv("data/eval.csv")\n'),)

    def check(self, context: LintContext) -> Iterator[Finding]:
        for constant in context.facts.strings:
            value = constant.node.value
            # Every such path starts with ``/`` or ``~``, or a drive letter and ``:``: two
            # character tests spare most strings (prompts, model ids, keys) the regex.
            if len(value) < 3 or (value[0] not in "/~" and value[1] != ":"):
                continue
            if not _MACHINE_LOCAL.match(value):
                continue
            node = constant.node
            message = (
                f"path {value!r} only exists on one machine; use a path relative to the notebook"
            )
            yield self.finding(message, context.position(node), context.end_position(node))
        for read in context.dataset_reads:
            node = read.location.node
            if read.kind != "local" or not read.path.startswith("~/"):
                continue
            if any(
                isinstance(inner, ast.Constant)
                and isinstance(inner.value, str)
                and _MACHINE_LOCAL.match(inner.value)
                for inner in ast.walk(node)
            ):
                continue  # its literal is reported above
            message = (
                f"path {read.path!r} is composed on the home folder, so it only exists on one"
                " machine; use a path relative to the notebook"
            )
            yield self.finding(message, context.position(node), context.end_position(node))
