"""State every test shares, set up here once instead of by hand in each test module.

- The lint configuration caches its lookups per directory for the life of the process; each
  test starts and ends with empty caches (``_fresh_lint_config_caches``).
- ``nbgraduate lint``'s result cache goes to a fresh directory per test
  (``_lint_cache_of_its_own``).
- No test reaches a package index on the network: conversion asks pip's configured index about
  packages that are not installed, so every test gets an unreachable loopback index
  (``OFFLINE_INDEX``) unless it serves its own on 127.0.0.1 (``package_index.py``).
- ``converted_corpus``: the real corpus converted once per session, for every test that needs
  it (``corpus_conversion.py``).
- Under ``coverage run`` (``patch = ["subprocess"]`` in pyproject.toml) every Python process a
  test starts is measured: ``python -m nbgraduate`` and the pre-commit hooks are what we want.
  Jupyter kernels are not: they run notebook code, are killed rather than stopped, and would
  only add noise and time. A ``python3`` kernelspec that blanks coverage's variables is put
  first on ``JUPYTER_PATH`` for the whole session (subprocesses inherit it).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_runner import COVERAGE_VARIABLES
from corpus_conversion import OFFLINE_INDEX, CorpusConversion, convert_corpus, corpus_selection
from corpus_dir import CORPUS

from nbgraduate.lint import config as lint_config


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


#: pre-commit installs hook environments with its own pip configuration.
_OWN_INDEX_MODULES = frozenset({"test_precommit"})


@pytest.fixture(autouse=True)
def _offline_package_index(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.module.__name__ not in _OWN_INDEX_MODULES:
        monkeypatch.setenv("PIP_INDEX_URL", OFFLINE_INDEX)


@pytest.fixture(scope="session")
def converted_corpus(tmp_path_factory: pytest.TempPathFactory) -> list[CorpusConversion]:
    """The real corpus (or its quick third) converted once per session, with the package index
    unreachable; skips without the corpus."""
    if not CORPUS.is_dir():
        pytest.skip(f"the real-notebook corpus is not at {CORPUS}")
    return convert_corpus(corpus_selection(), tmp_path_factory.mktemp("corpus-pipelines"))


@pytest.fixture(autouse=True)
def _fresh_lint_config_caches() -> Iterator[None]:
    lint_config.clear_caches()
    yield
    lint_config.clear_caches()


_kernelspec_dir: Path | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _kernelspec_dir
    if any(os.environ.get(name) for name in COVERAGE_VARIABLES):
        _kernelspec_dir = Path(tempfile.mkdtemp(prefix="nbgraduate-unmeasured-kernels-"))
        _keep_coverage_out_of_kernels(_kernelspec_dir)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _kernelspec_dir is not None:
        shutil.rmtree(_kernelspec_dir, ignore_errors=True)


def _keep_coverage_out_of_kernels(directory: Path) -> None:
    from jupyter_client.kernelspec import NATIVE_KERNEL_NAME, KernelSpecManager

    native = KernelSpecManager().get_kernel_spec(NATIVE_KERNEL_NAME)
    spec_dir = directory / "kernels" / NATIVE_KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": native.argv,
        "display_name": native.display_name,
        "language": native.language,
        "metadata": native.metadata,
        # An empty value is "not set" for coverage's start-up hook.
        "env": {**native.env, **dict.fromkeys(COVERAGE_VARIABLES, "")},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
    existing = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(directory), existing]))


# -- a private PostgreSQL server (tests/postgres_server.py) ---------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    """One real PostgreSQL server for the whole session, on a private Unix socket; the tests
    that need it skip, with the reason, where no server binary is installed."""
    from postgres_server import PostgresServer, find_binaries

    binaries, reason = find_binaries()
    if binaries is None:
        pytest.skip(reason)
    server = PostgresServer(binaries)
    try:
        server.start()
    except Exception:
        server.stop()
        raise
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: Any) -> Iterator[str]:
    """The URL of a new, empty database on the session's server, dropped afterwards."""
    url = postgres_server.new_database()
    yield url
    postgres_server.drop_database(url)
