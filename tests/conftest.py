"""Fixtures every test shares."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _lint_cache_of_its_own(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``nbgraduate lint`` keeps a result cache under the project's ``.nbgraduate/cache``; in
    tests it goes to a fresh directory per test (``NBGRADUATE_CACHE_DIR``), so a test that
    checks that lint writes nothing into its inputs sees nothing, and no test reads another
    test's entries. Tests of the cache itself set or unset the variable as they need."""
    monkeypatch.setenv("NBGRADUATE_CACHE_DIR", str(tmp_path_factory.mktemp("lint-cache")))
    monkeypatch.delenv("NBGRADUATE_NO_CACHE", raising=False)
