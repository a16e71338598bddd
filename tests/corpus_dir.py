"""Where the real-notebook corpus is: ``../shared/corpus/`` beside the checkout, as in CI.

``NBGRADUATE_CORPUS`` overrides it (a checkout elsewhere, e.g. a git worktree). The corpus is
never part of the repository, so tests that read it skip with this reason when it is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CORPUS = Path(
    os.environ.get("NBGRADUATE_CORPUS")
    or Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
)

needs_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(),
    reason=f"the real-notebook corpus is not at {CORPUS} (set NBGRADUATE_CORPUS to its directory)",
)
