"""CODEOWNERS parsing and matching, with GitHub's documented examples."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbgraduate.knowledge.codeowners import find_codeowners, parse_codeowners, read_codeowners

GITHUB_EXAMPLE = """\
# Each line is a file pattern followed by one or more owners.
*       @global-owner1 @global-owner2
*.js    @js-owner #This is an inline comment.
*.go docs@example.com
/build/logs/ @doctocat
docs/*  docs@example.com
apps/ @octocat
/docs/ @doctocat
/scripts/ @doctocat @octocat
**/logs @octocat
/apps/ @octocat
/apps/github
[Reviewers] @gitlab-style-section
"""


@pytest.mark.parametrize(
    ("path", "owners"),
    [
        ("README.md", ("@global-owner1", "@global-owner2")),
        ("src/app.js", ("@js-owner",)),
        ("cmd/main.go", ("docs@example.com",)),
        # /build/logs/ matches, but the later **/logs line wins.
        ("build/logs/today.txt", ("@octocat",)),
        ("docs/getting-started.md", ("@doctocat",)),  # /docs/ comes later and wins
        ("scripts/release.sh", ("@doctocat", "@octocat")),
        ("deeply/nested/logs/x.txt", ("@octocat",)),
        ("apps/web/index.html", ("@octocat",)),
        ("apps/github/anything.py", ()),  # a pattern without owners unowns the path
    ],
)
def test_github_documentation_examples(path: str, owners: tuple[str, ...]) -> None:
    assert parse_codeowners(GITHUB_EXAMPLE).owners_of(path) == owners


def test_star_segment_matches_direct_children_only() -> None:
    codeowners = parse_codeowners("docs/* @docs-team\n")
    assert codeowners.owners_of("docs/intro.md") == ("@docs-team",)
    assert codeowners.owners_of("docs/build-app/troubleshooting.md") == ()


def test_unanchored_name_matches_at_any_depth_and_anchored_only_at_root() -> None:
    codeowners = parse_codeowners("evals/ @anywhere\n/root-only/ @root\n")
    assert codeowners.owners_of("evals/x.ipynb") == ("@anywhere",)
    assert codeowners.owners_of("team/evals/x.ipynb") == ("@anywhere",)
    assert codeowners.owners_of("root-only/a.ipynb") == ("@root",)
    assert codeowners.owners_of("team/root-only/a.ipynb") == ()


def test_rule_for_names_the_deciding_line() -> None:
    codeowners = parse_codeowners("# owners\n* @all\n\n/evals/\n")
    rule = codeowners.rule_for("evals/judge.ipynb")
    assert rule is not None and (rule.line, rule.owners) == (4, ())
    assert codeowners.rule_for("README.md").line == 2  # type: ignore[union-attr]


def test_escaped_spaces_in_patterns() -> None:
    codeowners = parse_codeowners("/my\\ evals/ @acme/evals\n")
    assert codeowners.owners_of("my evals/judge.ipynb") == ("@acme/evals",)


def test_the_first_location_github_reads_wins(tmp_path: Path) -> None:
    assert find_codeowners(tmp_path) is None
    assert read_codeowners(tmp_path).rules == ()
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "CODEOWNERS").write_text("* @docs\n", encoding="utf-8")
    (tmp_path / "CODEOWNERS").write_text("* @root\n", encoding="utf-8")
    assert find_codeowners(tmp_path) == tmp_path / "CODEOWNERS"
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "CODEOWNERS").write_text("* @github\n", encoding="utf-8")
    assert read_codeowners(tmp_path).owners_of("x.ipynb") == ("@github",)
