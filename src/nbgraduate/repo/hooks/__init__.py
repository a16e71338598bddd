"""pre-commit hooks: verify the pipelines a commit touches and guard the eval paths.

``nbgraduate hook verify FILES...`` and ``nbgraduate hook guard FILES...`` are thin CLI edges
over :mod:`nbgraduate.repo.hooks.verify` and :mod:`nbgraduate.repo.hooks.guard`; the linter hook is
``nbgraduate lint --force-exclude`` itself. Each returns a report the CLI prints, and blocks
the commit (exit 1) when the report has anything blocking in it.
"""

from __future__ import annotations

__all__ = ["HOOK_IDS"]

#: The hook ids ``.pre-commit-hooks.yaml`` defines, in the order ``nbgraduate init`` adds them.
HOOK_IDS = ("nbgraduate-lint", "nbgraduate-verify", "nbgraduate-guard")
