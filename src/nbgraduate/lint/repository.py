"""Repository rules (NBG8xx): check owners and pipeline locks once per lint run.

File rules see one notebook; these see the repository around the configured eval paths.
They run once per ``nbgraduate lint`` invocation when ``[tool.nbgraduate] eval-paths`` is
set, and a finding is reported when the file it points at lies within the linted paths, so
``nbgraduate lint`` (the whole project) reports every one, and pre-commit (staged files
only) reports those about the pipelines being committed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from nbgraduate.core.small_digest import sha256
from nbgraduate.lint.config import LintSettings
from nbgraduate.lint.diagnostics import Diagnostic
from nbgraduate.lint.lock_verdicts import LockVerdicts
from nbgraduate.lint.repository_context import RepositoryContext
from nbgraduate.lint.rules import REPOSITORY_RULES
from nbgraduate.lint.rules.base import RepositoryFinding, RepositoryRule

__all__ = ["lint_repository", "to_diagnostic"]


def lint_repository(
    settings: LintSettings,
    targets: Sequence[Path],
    *,
    codes: Iterable[str] | None = None,
    linted_files: Iterable[str] | None = None,
    cache_directory: Path | None = None,
) -> list[Diagnostic]:
    """Run the enabled repository rules; nothing when no eval paths are configured.

    ``cache_directory`` is the result cache's, where the locks the lock model accepted are
    remembered (:mod:`nbgraduate.lint.lock_verdicts`); ``None`` validates every lock."""
    if not settings.eval_paths:
        return []
    enabled = frozenset(settings.enabled_codes if codes is None else codes)
    rules = [rule for rule in REPOSITORY_RULES if rule.code in enabled]
    if not rules:
        return []
    context = RepositoryContext(
        settings,
        tuple(targets),
        frozenset(os.path.abspath(f) for f in linted_files) if linted_files is not None else None,
        LockVerdicts(cache_directory),
    )
    diagnostics: list[Diagnostic] = []
    for rule_class in rules:
        for finding in rule_class().check_repository(context):
            if not context.is_reported(finding.path):
                continue
            if codes is None and finding.code not in settings.codes_for(Path(finding.path)):
                continue
            diagnostics.append(to_diagnostic(finding, rule_class))
    context.lock_verdicts.save()
    return diagnostics


def to_diagnostic(finding: RepositoryFinding, rule: type[RepositoryRule]) -> Diagnostic:
    """Locate a repository finding like any other, at a line of the file it points at."""
    source_line = _line_of(finding.path, finding.line)
    return Diagnostic(
        path=finding.path,
        code=finding.code,
        name=rule.name,
        message=finding.message,
        severity=rule.severity,
        cell=None,
        cell_id=None,
        row=finding.line,
        column=finding.column,
        end_row=finding.line,
        end_column=max(finding.column, len(source_line) + 1),
        file_line=finding.line,
        file_column=finding.column,
        file_end_line=finding.line,
        file_end_column=max(finding.column, len(source_line) + 1),
        source_line=source_line,
        url=rule.url(),
        # The key, not the line: the located line (a notebook's ``{``) says nothing.
        # The built-in SHA-256 (the same digest): loading OpenSSL's for a few short keys
        # cost a lint run with eval paths more than the repository rules themselves.
        line_fingerprint=sha256(finding.key.encode("utf-8")).hexdigest()[:16],
    )


def _line_of(path: str, line: int) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for number, text in enumerate(handle, start=1):
                if number == line:
                    return text.rstrip("\r\n")
    except OSError:
        pass
    return ""
