"""Where runs are stored and executed: command line over environment over pyproject.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbgraduate.core.errors import ConfigError, UsageError
from nbgraduate.runs.layout import StoreLocation, redact_url
from nbgraduate.runs.settings import (
    DEFAULT_SHIP_LIMIT,
    parse_size,
    resolve_cluster,
    resolve_ship_limit,
    resolve_store,
)

URL = "postgresql://ci:s3cretpassword@db.internal:5432/evals"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    (root / "evals" / "qa").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    return root


def configure(project: Path, text: str) -> None:
    (project / "pyproject.toml").write_text(f"[tool.nbgraduate]\n{text}\n", encoding="utf-8")


def test_default_is_the_embedded_store_of_the_project(project: Path) -> None:
    (project / ".git").mkdir()
    location = resolve_store(None, project / "evals" / "qa", environ={})
    assert location == StoreLocation(root=project / ".nbgraduate")
    assert location.keeps_run_directories
    assert not location.is_postgres


def test_option_beats_environment_beats_pyproject(project: Path, tmp_path: Path) -> None:
    configure(project, 'store = "shared/runs"\nartifacts = "bucket"')
    start = project / "evals" / "qa"

    from_config = resolve_store(None, start, environ={})
    assert from_config.root == project / "shared" / "runs"  # relative to pyproject.toml
    assert from_config.artifacts == str(project / "bucket")

    from_env = resolve_store(None, start, environ={"NBGRADUATE_STORE": URL})
    assert from_env.url == URL
    assert from_env.artifacts == str(project / "bucket")

    from_option = resolve_store("local-store", start, environ={"NBGRADUATE_STORE": URL})
    assert from_option.root == tmp_path / "local-store"  # relative to the working directory
    assert not from_option.keeps_run_directories  # artifacts go to the configured area


def test_artifacts_from_the_environment_may_be_a_url_or_the_database(project: Path) -> None:
    start = project / "evals" / "qa"
    for value in ("s3://team-bucket/nbgraduate", "memory://x", "database"):
        location = resolve_store(URL, start, environ={"NBGRADUATE_ARTIFACTS": value})
        assert location.artifacts == value


def test_a_store_url_that_is_not_postgresql_is_a_usage_error(project: Path) -> None:
    with pytest.raises(UsageError, match=r"mysql://\.\.\.: not a run store location"):
        resolve_store("mysql://u:p@host/db", project, environ={})


def test_a_store_that_is_not_a_string_is_a_config_error(project: Path) -> None:
    configure(project, "store = 3")
    with pytest.raises(ConfigError, match="`store` must be a non-empty string"):
        resolve_store(None, project, environ={})


def test_a_pyproject_that_is_not_utf8_is_a_config_error(project: Path) -> None:
    (project / "pyproject.toml").write_bytes(
        '[tool.nbgraduate]\nstore = "caf\u00e9"\n'.encode("latin-1")
    )
    with pytest.raises(ConfigError, match="cannot read: 'utf-8' codec can't decode"):
        resolve_store(None, project, environ={})


def test_cluster_resolution(project: Path) -> None:
    assert resolve_cluster(None, project, environ={}) is None
    configure(project, 'cluster = "tcp://scheduler:8786"')
    assert resolve_cluster(None, project, environ={}) == "tcp://scheduler:8786"
    environ = {"NBGRADUATE_CLUSTER": "local:2"}
    assert resolve_cluster(None, project, environ=environ) == "local:2"
    assert resolve_cluster("tcp://other:1", project, environ=environ) == "tcp://other:1"


@pytest.mark.parametrize(
    ("text", "size"),
    [("0", 0), ("512", 512), ("16MB", 16_000_000), ("16 MiB", 16 * 2**20), ("1.5kB", 1500)],
)
def test_sizes(text: str, size: int) -> None:
    assert parse_size(text, "--ship-limit") == size


def test_ship_limit_resolution(project: Path) -> None:
    assert resolve_ship_limit(None, project, environ={}) == DEFAULT_SHIP_LIMIT
    configure(project, 'ship-limit = "2 MiB"')
    assert resolve_ship_limit(None, project, environ={}) == 2 * 2**20
    assert resolve_ship_limit(None, project, environ={"NBGRADUATE_SHIP_LIMIT": "1kB"}) == 1000
    assert resolve_ship_limit("0", project, environ={}) == 0
    with pytest.raises(UsageError, match="not a size"):
        resolve_ship_limit("lots", project, environ={})
    configure(project, "ship-limit = true")
    with pytest.raises(ConfigError, match="ship-limit"):
        resolve_ship_limit(None, project, environ={})


def test_lint_accepts_the_run_settings_in_its_table(project: Path) -> None:
    from nbgraduate.lint.config import load_settings

    configure(project, f'store = "{URL}"\ncluster = "local:2"\nship-limit = 0\nartifacts = "a"')
    load_settings(project, known_codes=frozenset({"NBG101"}))


def test_passwords_are_cut_to_four_characters_in_what_is_shown() -> None:
    assert redact_url(URL) == "postgresql://ci:s3cr...@db.internal:5432/evals"
    assert StoreLocation(url=URL).display == "postgresql://ci:s3cr...@db.internal:5432/evals"
    assert redact_url("postgresql:///evals?host=/tmp&password=topsecret") == (
        "postgresql:///evals?host=/tmp&password=tops..."
    )
    assert (
        redact_url("postgresql://nbg@/postgres?host=/tmp") == "postgresql://nbg@/postgres?host=/tmp"
    )
