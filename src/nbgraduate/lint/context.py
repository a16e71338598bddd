"""What a lint rule sees: the notebook's analysis (:class:`NotebookAnalysis`) and nothing more.

The analysis lives below linting, so the converter and the lock builder use the same facts
without importing the linter; this subclass is the seam where lint-only state would go.
"""

from __future__ import annotations

from nbgraduate.analysis.context import NotebookAnalysis

__all__ = ["LintContext"]


class LintContext(NotebookAnalysis):
    """The analysis a rule's ``check`` reads; rules never change it."""
