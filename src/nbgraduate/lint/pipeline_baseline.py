"""A pipeline's own baseline: the findings it had when it was converted or last locked.

``nbgraduate convert`` leaves some findings to a human (CONVERSION.md lists them), and
``nbgraduate lock`` is how a human says "this pipeline is as intended". The guard hook then
blocks only what is new since: ad-hoc patterns (:mod:`nbgraduate.lint.regressions`) and lint
findings the pipeline did not have. The file lives in the pipeline directory next to the lock
(``nbgraduate.baseline.json``) but is no part of the lock or its digest: accepting a finding
changes no eval contract.

Two kinds of finding are never accepted: saved outputs (clearing them is free, and they can
hold data nobody meant to commit) and credentials (NBG5xx), which no baseline may wave through.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from nbgraduate.core.atomic import write_text_atomic
from nbgraduate.core.errors import ConfigError
from nbgraduate.knowledge import secrets
from nbgraduate.lint.baseline import Baseline, build_baseline, parse_baseline
from nbgraduate.lint.diagnostics import Diagnostic
from nbgraduate.lint.regressions import Regression, find_regressions
from nbgraduate.notebook.model import Notebook

__all__ = [
    "PIPELINE_BASELINE_FILENAME",
    "PipelineBaseline",
    "PipelineFindings",
    "load_pipeline_baseline",
    "pipeline_findings",
    "record_pipeline_baseline",
    "write_pipeline_baseline",
]

PIPELINE_BASELINE_FILENAME = "nbgraduate.baseline.json"
_KIND = "pipeline-baseline"
_VERSION = 1
#: Lint codes the guard reports as regressions of their own, not again as lint findings.
COVERED_CODES = frozenset({"NBG702"})
_NEVER_ACCEPTED_KINDS = frozenset({"outputs"})
_NEVER_ACCEPTED_PREFIX = "NBG5"


@dataclass(slots=True)
class PipelineFindings:
    """What the guard finds in a pipeline notebook: ad-hoc patterns and lint diagnostics."""

    regressions: list[Regression] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def pipeline_findings(
    notebook: Notebook,
    *,
    codes: Collection[str],
    model_policy: object,
    locked_datasets: frozenset[str],
    display_path: str,
    quoted_path: str,
) -> PipelineFindings:
    """The regressions and lint diagnostics of one pipeline notebook, as the guard sees them."""
    from nbgraduate.lint.context import LintContext
    from nbgraduate.lint.linter import lint_notebook, to_diagnostics

    context = LintContext(notebook, model_policy, locked_datasets)
    regressions = find_regressions(context, notebook_path=quoted_path)
    findings = lint_notebook(notebook, set(codes) - COVERED_CODES, model_policy, locked_datasets)
    return PipelineFindings(regressions, to_diagnostics(notebook, findings, display_path))


def regression_fingerprint(regression: Regression) -> str:
    """Kind and message, not cell or row: moving a cell does not make a finding new."""
    payload = f"{regression.kind}\0{' '.join(regression.message.split())}"
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class PipelineBaseline:
    """The accepted findings of one pipeline, each matched as a multiset of fingerprints."""

    path: Path
    regressions: Counter[str]
    findings: Baseline

    def new_regressions(self, regressions: Iterable[Regression]) -> list[Regression]:
        remaining = Counter(self.regressions)
        new = []
        for regression in regressions:
            key = regression_fingerprint(regression)
            if regression.kind not in _NEVER_ACCEPTED_KINDS and remaining[key] > 0:
                remaining[key] -= 1
            else:
                new.append(regression)
        return new

    def new_diagnostics(self, diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
        kept = [d for d in diagnostics if not d.code.startswith(_NEVER_ACCEPTED_PREFIX)]
        secret = [d for d in diagnostics if d.code.startswith(_NEVER_ACCEPTED_PREFIX)]
        return [*self.findings.filter_new(kept, self.path.parent), *secret]


def write_pipeline_baseline(pipeline_dir: Path, found: PipelineFindings) -> Path:
    """Record ``found`` as the pipeline's accepted findings (atomically); returns the file."""
    accepted_regressions = [r for r in found.regressions if r.kind not in _NEVER_ACCEPTED_KINDS]
    counts = Counter(regression_fingerprint(r) for r in accepted_regressions)
    messages = {regression_fingerprint(r): r for r in accepted_regressions}
    lint = build_baseline(
        [d for d in found.diagnostics if not d.code.startswith(_NEVER_ACCEPTED_PREFIX)],
        pipeline_dir,
    )
    document = {
        "tool": "nbgraduate",
        "kind": _KIND,
        "version": _VERSION,
        "about": (
            "findings this pipeline had when it was converted or last locked; the guard hook"
            " blocks only new ones. `nbgraduate lock` rewrites this file."
        ),
        "regressions": [
            {
                "kind": messages[key].kind,
                "fingerprint": key,
                "count": count,
                # An install line can carry a token: masked, as everywhere.
                "message": secrets.redact(messages[key].message),
            }
            for key, count in sorted(counts.items(), key=lambda item: messages[item[0]].message)
        ],
        "findings": json.loads(lint.to_json())["findings"],
    }
    path = pipeline_dir / PIPELINE_BASELINE_FILENAME
    write_text_atomic(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    return path


def load_pipeline_baseline(pipeline_dir: Path) -> PipelineBaseline | None:
    """The pipeline's baseline, ``None`` when it has none; damage is a one-line ConfigError."""
    path = pipeline_dir / PIPELINE_BASELINE_FILENAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(path, f"cannot read the pipeline baseline: {error}") from None
    try:
        document = json.loads(text)
    except ValueError as error:
        raise ConfigError(path, f"not a pipeline baseline: invalid JSON: {error}") from None
    if not isinstance(document, dict) or document.get("kind") != _KIND:
        raise ConfigError(path, "not an nbgraduate pipeline baseline")
    if document.get("version") != _VERSION:
        raise ConfigError(
            path,
            f"unsupported pipeline baseline version {document.get('version')!r}"
            f" (this nbgraduate reads version {_VERSION}); rewrite it with `nbgraduate lock`",
        )
    regressions: Counter[str] = Counter()
    entries = document.get("regressions")
    if not isinstance(entries, list):
        raise ConfigError(path, "corrupt pipeline baseline: `regressions` must be a list")
    for index, entry in enumerate(entries):
        count = entry.get("count") if isinstance(entry, dict) else None
        key = entry.get("fingerprint") if isinstance(entry, dict) else None
        if not isinstance(key, str) or isinstance(count, bool) or not isinstance(count, int):
            raise ConfigError(path, f"corrupt pipeline baseline: regression #{index + 1}")
        regressions[key] += max(count, 0)
    # The lint findings have the lint baseline's own format, read by its own reader.
    lint_document = {"version": 1, "tool": "nbgraduate", "findings": document.get("findings")}
    return PipelineBaseline(path, regressions, parse_baseline(path, lint_document))


def record_pipeline_baseline(notebook_path: Path, *, config_file: Path | None = None) -> Path:
    """Find what the guard would find in a pipeline's notebook now, under the project's model
    policy and with every rule on, and record it as the pipeline's baseline."""
    import shlex

    from nbgraduate.knowledge.model_policy import policy_for
    from nbgraduate.lint.config import load_settings
    from nbgraduate.lint.rules import ALL_CODES
    from nbgraduate.lint.runner import file_job
    from nbgraduate.notebook.reader import read_notebook

    settings = load_settings(notebook_path, known_codes=ALL_CODES, config_file=config_file)
    job = file_job(notebook_path, settings)
    found = pipeline_findings(
        read_notebook(notebook_path),
        codes=ALL_CODES,
        model_policy=policy_for(job.policy),
        locked_datasets=job.locked_datasets,
        display_path=str(notebook_path),
        quoted_path=shlex.quote(str(notebook_path)),
    )
    return write_pipeline_baseline(notebook_path.parent, found)
