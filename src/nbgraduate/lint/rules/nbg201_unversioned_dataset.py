"""NBG201: a local data file read with nothing that pins its content."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nbgraduate.analysis.dataset_reads import digest_verified_paths, normalise_path
from nbgraduate.lint.rules.base import Example, Finding, Rule

if TYPE_CHECKING:
    from nbgraduate.lint.context import LintContext


class UnversionedDataset(Rule):
    """Reports local dataset reads (pandas and polars ``read_*``, ``open`` of a data file,
    ``json.load``, Hugging Face ``load_dataset("json", data_files=...)``, Inspect
    ``json_dataset``...) whose content nothing pins: the notebook does not compare the file's
    digest with a recorded value, and no graduated pipeline's lock records it."""

    code = "NBG201"
    name = "unversioned-dataset"
    summary = "Dataset file is read without a digest check or lock"
    rationale = """
        ``eval.csv`` is edited in place: rows are fixed, added, dropped. Without a recorded
        digest, two runs of the same notebook may score different data and nobody can tell.
        Verify the file's sha256 before use, or graduate the notebook so its lock records it.
    """
    bad = (
        Example('import pandas as pd\ndf = pd.read_csv("data/eval.csv")\n'),
        Example(
            'import json\nDATA = "golden.jsonl"\n# %%\nrows = [json.loads(l) for l in open(DATA)]\n'
        ),
    )
    good = (
        Example(
            "import hashlib\n"
            "import pandas as pd\n"
            'DATA = "data/eval.csv"\n'
            'assert hashlib.sha256(open(DATA, "rb").read()).hexdigest() == (\n'
            '    "9f2c1d0e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d"\n'
            ")\n"
            "df = pd.read_csv(DATA)\n"
        ),
    )

    def check(self, context: LintContext) -> Iterator[Finding]:
        verified: set[str] | None = None
        reported: set[int] = set()
        for read in context.dataset_reads:
            if read.kind != "local" or id(read.location.node) in reported:
                continue
            path = normalise_path(read.path)
            if path in context.locked_datasets:
                continue
            if verified is None:
                verified = digest_verified_paths(context.values)
            if path in verified:
                continue
            reported.add(id(read.location.node))
            node = read.location.node
            message = (
                f"dataset {read.path!r} is read with no digest check or lock; "
                "its content can change between runs"
            )
            yield self.finding(message, context.position(node), context.end_position(node))
