"""NBG202: a remote dataset on a moving reference (branch, ``latest``, unversioned object)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nbgraduate.analysis.dataset_reads import (
    digest_verified_paths,
    normalise_path,
    remote_pin_problem,
)
from nbgraduate.analysis.model_refs import is_commit_sha
from nbgraduate.lint.rules.base import Example, Finding, Rule

if TYPE_CHECKING:
    from nbgraduate.lint.context import LintContext


class MutableRemoteDataset(Rule):
    """Reports datasets read from URLs on branches (``/main/``, ``/master/``), ``latest``
    objects, object-store keys without a version id (``s3://bucket/latest.parquet``), and
    Hugging Face ``load_dataset`` / ``hf_hub_download`` without a 40-hex ``revision``."""

    code = "NBG202"
    name = "mutable-remote-dataset"
    summary = "Remote dataset on a mutable reference"
    rationale = """
        A branch head or an overwritable object key is a pointer, not a version: the data
        behind it changes whenever someone pushes. Pin a commit sha, an object version id or a
        dataset revision, or check the downloaded file's digest.
    """
    bad = (
        Example(
            'import pandas as pd\ndf = pd.read_csv("https://raw.githubusercontent.com/org/evals/main/golden.csv")\n'
        ),
        Example(
            'from datasets import load_dataset\nds = load_dataset("org/golden-qa", split="test")\n'
        ),
        Example('import pandas as pd\ndf = pd.read_parquet("s3://evals/latest.parquet")\n'),
    )
    good = (
        Example(
            "import pandas as pd\n"
            'df = pd.read_csv("https://raw.githubusercontent.com/org/evals/'
            '3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a/golden.csv")\n'
        ),
        Example(
            "from datasets import load_dataset\n"
            'ds = load_dataset("org/golden-qa", revision="3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a")\n'
        ),
    )

    def check(self, context: LintContext) -> Iterator[Finding]:
        verified: set[str] | None = None
        reported: set[int] = set()
        for read in context.dataset_reads:
            if read.kind == "local" or id(read.location.node) in reported:
                continue
            if read.kind == "hub":
                if is_commit_sha(read.revision):
                    continue
                problem = (
                    f"revision {read.revision!r} is a branch or tag, not a commit sha"
                    if read.revision
                    else "no revision= pins a commit, so it follows the dataset's main branch"
                )
                message = f"Hugging Face dataset {read.path!r}: {problem}"
            else:
                problem = remote_pin_problem(read.path)
                if problem is None:
                    continue
                if verified is None:
                    verified = digest_verified_paths(context.values)
                if normalise_path(read.path) in verified:
                    continue
                message = f"remote dataset {read.path!r}: {problem}"
            reported.add(id(read.location.node))
            node = read.location.node
            yield self.finding(message, context.position(node), context.end_position(node))
