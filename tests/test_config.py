"""Tests for reading and resolving ``[tool.nbgraduate]`` settings from real pyproject files."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from nbgraduate.core.errors import ConfigError, UsageError
from nbgraduate.lint.config import clear_caches, find_config, load_settings, resolve_selection

KNOWN = frozenset({"NBG101", "NBG102", "NBG201", "NBG203", "NBG501", "NBG703"})


def write_pyproject(directory: Path, body: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "pyproject.toml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def load(start: Path, **kwargs: object) -> object:
    return load_settings(start, known_codes=KNOWN, **kwargs)  # type: ignore[arg-type]


# --- finding the config ----------------------------------------------------------------------


def test_without_config_everything_is_enabled_and_root_is_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(tmp_path, known_codes=KNOWN)
    assert settings.config_path is None
    assert settings.project_root == tmp_path
    assert settings.enabled_codes == KNOWN
    assert settings.respect_gitignore is True
    assert settings.exclude == ()
    assert settings.per_file_ignores == ()


def test_nearest_pyproject_without_table_is_skipped(tmp_path: Path) -> None:
    root_config = write_pyproject(tmp_path, '[tool.nbgraduate]\nignore = ["NBG7"]\n')
    write_pyproject(tmp_path / "pkg", '[project]\nname = "pkg"\n')
    notebook_dir = tmp_path / "pkg" / "notebooks"
    notebook_dir.mkdir()

    settings = load_settings(notebook_dir / "eval.ipynb", known_codes=KNOWN)

    assert settings.config_path == root_config
    assert settings.project_root == tmp_path
    assert "NBG703" not in settings.enabled_codes


def test_nearest_pyproject_with_table_wins(tmp_path: Path) -> None:
    write_pyproject(tmp_path, '[tool.nbgraduate]\nignore = ["NBG7"]\n')
    nested = write_pyproject(tmp_path / "sub", '[tool.nbgraduate]\nselect = ["NBG1"]\n')

    settings = load_settings(tmp_path / "sub", known_codes=KNOWN)

    assert settings.config_path == nested
    assert settings.enabled_codes == {"NBG101", "NBG102"}


def test_find_config_returns_none_up_to_the_filesystem_root(tmp_path: Path) -> None:
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    # tmp_path lives under the system temp dir, which has no pyproject with our table.
    assert find_config(deep) is None


def test_lookups_are_cached_until_cleared(tmp_path: Path) -> None:
    config = write_pyproject(tmp_path, '[tool.nbgraduate]\nignore = ["NBG1"]\n')
    first = load_settings(tmp_path, known_codes=KNOWN)
    config.write_text('[tool.nbgraduate]\nignore = ["NBG2"]\n', encoding="utf-8")

    assert load_settings(tmp_path, known_codes=KNOWN) is first
    clear_caches()
    assert "NBG101" in load_settings(tmp_path, known_codes=KNOWN).enabled_codes


def test_explicit_config_file_is_used_wherever_it_is(tmp_path: Path) -> None:
    config = write_pyproject(tmp_path / "configs", '[tool.nbgraduate]\nselect = ["NBG501"]\n')
    elsewhere = tmp_path / "project"
    elsewhere.mkdir()

    settings = load_settings(elsewhere, known_codes=KNOWN, config_file=config)

    assert settings.config_path == config
    assert settings.project_root == config.parent
    assert settings.enabled_codes == {"NBG501"}


def test_missing_explicit_config_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="No such file"):
        load_settings(tmp_path, known_codes=KNOWN, config_file=tmp_path / "nope.toml")


# --- rule selection --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("select", "extend_select", "ignore", "expected"),
    [
        (None, None, None, KNOWN),
        (["ALL"], None, None, KNOWN),
        (["NBG1"], None, None, {"NBG101", "NBG102"}),
        (["NBG1"], ["NBG703"], None, {"NBG101", "NBG102", "NBG703"}),
        (None, None, ["NBG2", "NBG5"], {"NBG101", "NBG102", "NBG703"}),
        # The more specific selector wins, whichever list it is in.
        (["NBG2"], None, ["NBG"], {"NBG201", "NBG203"}),
        (None, ["NBG203"], ["NBG2"], KNOWN - {"NBG201"}),
        (["NBG203"], None, ["NBG2"], {"NBG203"}),
        # At equal specificity the ignore wins.
        (["NBG101"], None, ["NBG101"], set()),
        (["nbg1"], None, None, {"NBG101", "NBG102"}),
    ],
)
def test_resolve_selection(
    select: list[str] | None,
    extend_select: list[str] | None,
    ignore: list[str] | None,
    expected: set[str],
) -> None:
    assert resolve_selection(KNOWN, select, extend_select, ignore) == expected


@pytest.mark.parametrize("selector", ["NBG9", "E501", "NBG1011", ""])
def test_resolve_selection_rejects_unknown_selectors(selector: str) -> None:
    with pytest.raises(UsageError, match="unknown rule selector"):
        resolve_selection(KNOWN, [selector], None, None)


def test_file_selection_is_resolved(tmp_path: Path) -> None:
    write_pyproject(
        tmp_path,
        """
        [tool.nbgraduate]
        select = ["NBG1", "NBG2"]
        extend-select = ["NBG703"]
        ignore = ["NBG102"]
        """,
    )
    assert load_settings(tmp_path, known_codes=KNOWN).enabled_codes == {
        "NBG101",
        "NBG201",
        "NBG203",
        "NBG703",
    }


def test_cli_select_replaces_the_file_selection(tmp_path: Path) -> None:
    write_pyproject(tmp_path, '[tool.nbgraduate]\nselect = ["NBG1"]\nignore = ["NBG5"]\n')
    settings = load_settings(tmp_path, known_codes=KNOWN, cli_select=["NBG5,NBG7"])
    assert settings.enabled_codes == {"NBG501", "NBG703"}


def test_cli_ignore_and_extend_select_layer_on_the_file(tmp_path: Path) -> None:
    write_pyproject(tmp_path, '[tool.nbgraduate]\nselect = ["NBG1", "NBG2"]\n')
    settings = load_settings(
        tmp_path, known_codes=KNOWN, cli_ignore=["NBG2"], cli_extend_select=["NBG501"]
    )
    assert settings.enabled_codes == {"NBG101", "NBG102", "NBG501"}


def test_unknown_selector_on_cli_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="NBG9") as caught:
        load_settings(tmp_path, known_codes=KNOWN, cli_ignore=["NBG9"])
    assert caught.value.exit_code == 2


def test_unknown_selector_in_file_is_a_config_error_naming_the_file(tmp_path: Path) -> None:
    config = write_pyproject(tmp_path, '[tool.nbgraduate]\nextend-select = ["NBG999"]\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path, known_codes=KNOWN)
    assert caught.value.path == str(config)
    assert "NBG999" in str(caught.value)
    assert str(caught.value).startswith(str(config))
    assert caught.value.exit_code == 2


# --- validation ------------------------------------------------------------------------------


def test_unknown_key_names_key_and_file_and_suggests_kebab_case(tmp_path: Path) -> None:
    config = write_pyproject(tmp_path, '[tool.nbgraduate]\nextend_select = ["NBG1"]\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path, known_codes=KNOWN)
    message = str(caught.value)
    assert str(config) in message
    assert "extend_select" in message
    assert "did you mean `extend-select`" in message


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ('select = "NBG1"', "`select` must be an array of strings, got a string"),
        ("ignore = [1]", "`ignore` must be an array of strings"),
        ('respect-gitignore = "yes"', "`respect-gitignore` must be true or false"),
        ('exclude = "build"', "`exclude` must be an array of strings"),
        ('per-file-ignores = ["x"]', "`per-file-ignores` must be a table"),
        ('per-file-ignores = { "*.py" = "NBG1" }', "entry '*.py' must be an array"),
        ('per-file-ignores = { "*.py" = ["NBG9"] }', "unknown rule selector 'NBG9'"),
        ("models = 3", "`models` must be a table"),
        ('models = { pinned = "gpt-4o" }', "`models.pinned` must be an array of strings"),
        ('models = { providers = ["openai"] }', "`models.providers` must be an array of tables"),
        ("models = { aliases = [] }", "unknown key `aliases` in [tool.nbgraduate.models]"),
    ],
)
def test_wrong_types_are_config_errors(tmp_path: Path, body: str, fragment: str) -> None:
    write_pyproject(tmp_path, f"[tool.nbgraduate]\n{body}\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path, known_codes=KNOWN)
    assert fragment in str(caught.value)


def test_tool_nbgraduate_must_be_a_table(tmp_path: Path) -> None:
    write_pyproject(tmp_path, "[tool]\nnbgraduate = 1\n")
    with pytest.raises(ConfigError, match=r"\[tool.nbgraduate\] must be a table"):
        load_settings(tmp_path, known_codes=KNOWN)


def test_toml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    config = write_pyproject(tmp_path, '[tool.nbgraduate]\nselect = ["NBG1"\nignore = []\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path, known_codes=KNOWN)
    message = str(caught.value)
    assert message.startswith(f"{config}: invalid TOML")
    assert "line 3" in message
    assert "\n" not in message


def test_pyproject_that_is_not_utf8_is_a_config_error(tmp_path: Path) -> None:
    """TOML is UTF-8: a Latin-1 file is one ConfigError naming it, not a codec traceback."""
    config = tmp_path / "pyproject.toml"
    config.write_bytes('[tool.nbgraduate]\nexclude = ["caf\u00e9"]\n'.encode("latin-1"))
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path, known_codes=KNOWN)
    message = str(caught.value)
    assert message.startswith(f"{config}: invalid TOML: not UTF-8")
    assert "\n" not in message


def test_broken_unrelated_pyproject_on_the_way_up_is_reported(tmp_path: Path) -> None:
    write_pyproject(tmp_path, "[project\n")
    (tmp_path / "sub").mkdir()
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_settings(tmp_path / "sub", known_codes=KNOWN)


# --- patterns and plain data -----------------------------------------------------------------


def test_per_file_ignores_follow_gitignore_semantics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_pyproject(
        tmp_path,
        """
        [tool.nbgraduate.per-file-ignores]
        "scratch_*.ipynb" = ["NBG1"]
        "legacy/*.py" = ["NBG203"]
        "!evals/**" = ["NBG501"]
        """,
    )
    elsewhere = tmp_path / "somewhere" / "else"
    elsewhere.mkdir(parents=True)
    monkeypatch.chdir(elsewhere)  # patterns stay relative to the config, not to the cwd
    settings = load_settings(tmp_path, known_codes=KNOWN)

    # A pattern without a slash matches the basename at any depth.
    assert settings.codes_for(tmp_path / "a" / "b" / "scratch_1.ipynb") == KNOWN - {
        "NBG101",
        "NBG102",
        "NBG501",
    }
    # A pattern with a slash is anchored at the config's directory.
    assert "NBG203" not in settings.codes_for(tmp_path / "legacy" / "old.py")
    assert "NBG203" in settings.codes_for(tmp_path / "src" / "legacy" / "old.py")
    # A negated pattern applies to files it does not match.
    assert settings.codes_for(tmp_path / "evals" / "run.py") == KNOWN
    assert "NBG501" not in settings.codes_for(tmp_path / "notebooks" / "run.py")


def test_exclude_and_extend_exclude_are_combined(tmp_path: Path) -> None:
    write_pyproject(
        tmp_path,
        """
        [tool.nbgraduate]
        exclude = ["/generated", "build-*/"]
        extend-exclude = ["*.draft.ipynb"]
        respect-gitignore = false
        """,
    )
    settings = load_settings(tmp_path, known_codes=KNOWN)

    assert settings.exclude == ("/generated", "build-*/", "*.draft.ipynb")
    assert settings.respect_gitignore is False


def test_models_table_is_kept_as_plain_data(tmp_path: Path) -> None:
    write_pyproject(
        tmp_path,
        """
        [tool.nbgraduate.models]
        pinned = ["gpt-4o-2024-08-06", "claude-*-2024*"]
        floating = ["*-latest"]

        [[tool.nbgraduate.models.providers]]
        name = "internal"
        base-url = "https://llm.example.com"
        """,
    )
    settings = load_settings(tmp_path, known_codes=KNOWN)

    assert settings.model_pinned == ("gpt-4o-2024-08-06", "claude-*-2024*")
    assert settings.model_floating == ("*-latest",)
    assert settings.model_providers == (
        {"name": "internal", "base-url": "https://llm.example.com"},
    )


def test_import_does_not_pull_in_pathspec() -> None:
    code = "import sys, nbgraduate.lint.config; print('pathspec' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


# --- eval paths and the configured baseline --------------------------------------------------


def test_eval_paths_are_normalised_and_matched(tmp_path: Path) -> None:
    write_pyproject(
        tmp_path,
        """
        [tool.nbgraduate]
        eval-paths = ["./evals/", "team/judges", "evals"]
        """,
    )
    settings = load(tmp_path)
    assert settings.eval_paths == ("evals", "team/judges")
    assert settings.eval_path_of(tmp_path / "evals" / "a" / "judge.ipynb") == "evals"
    assert settings.eval_path_of(tmp_path / "team" / "judges") == "team/judges"
    assert settings.eval_path_of(tmp_path / "evaluations" / "judge.ipynb") is None
    assert settings.eval_path_of(tmp_path / "team" / "other.ipynb") is None


@pytest.mark.parametrize("bad", ['["/abs/evals"]', '["../outside"]', '["."]', '"evals"'])
def test_eval_paths_must_be_relative_directories_inside_the_project(
    tmp_path: Path, bad: str
) -> None:
    write_pyproject(tmp_path, f"[tool.nbgraduate]\neval-paths = {bad}\n")
    with pytest.raises(ConfigError, match="eval-paths"):
        load(tmp_path)


def test_baseline_is_resolved_against_the_config_file(tmp_path: Path) -> None:
    write_pyproject(tmp_path, '[tool.nbgraduate]\nbaseline = "ci/nbgraduate-baseline.json"\n')
    settings = load(tmp_path / "evals")
    assert settings.baseline == tmp_path / "ci" / "nbgraduate-baseline.json"
    assert load_settings(tmp_path, known_codes=KNOWN).baseline == settings.baseline


def test_baseline_must_be_a_path_string(tmp_path: Path) -> None:
    write_pyproject(tmp_path, "[tool.nbgraduate]\nbaseline = true\n")
    with pytest.raises(ConfigError, match="`baseline` must be a non-empty path string"):
        load(tmp_path)
