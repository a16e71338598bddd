"""``nbgraduate init``: wire a repository up for nbgraduate (config, hooks, CI, owners).

Every file is planned first as a :class:`~nbgraduate.repo.setup.changes.FileChange` (its text
before and after), so ``--dry-run`` shows diffs of exactly what a real run writes, and a
second run plans no change at all.
"""

from __future__ import annotations

from nbgraduate import __version__

__all__ = ["DEFAULT_EVAL_PATH", "HOOK_REPOSITORY", "HOOK_REV"]

#: The repository pre-commit fetches nbgraduate's hooks from, and the tag of this version.
HOOK_REPOSITORY = "https://github.com/nbgraduate/nbgraduate"
HOOK_REV = f"v{__version__}"
#: The eval path ``init`` configures when neither the user nor the config names one.
DEFAULT_EVAL_PATH = "evals/"
