"""Plain patterns are matched without pathspec, with pathspec's verdicts: the expressions
are compared with ``GitIgnoreSpec`` on generated pattern lists and paths."""

from __future__ import annotations

import subprocess
import sys

import pathspec
from hypothesis import given, settings
from hypothesis import strategies as st

from nbgraduate.lint.ignore_patterns import _PathspecPatterns, _PlainPatterns, compile_patterns

NAMES = ["data", "outputs", ".env", "a.ipynb", "x.pyc", ".pyc", "pkg.egg-info", "wandb", "b-1"]
PLAIN_LINES = [
    *NAMES,
    *(f"{name}/" for name in NAMES),
    "*.pyc",
    "*.ipynb",
    "*.egg-info/",
    "*-1",
    ".env.*",
    "out*",
    "out*/",
    "*.py*",
    "a*b*c",
    "*a*",
    "/data",
    "/outputs/",
    "data/a.ipynb",
    "a/b/",
    "/a/*.pyc",
    "x.pyc/b*",
    "/*.ipynb",
    "",
    "# a comment",
]
components = st.sampled_from([*NAMES, "a", "b", "c", ".", "", ".env.local", "a-b-c", "abc.py"])
paths = st.builds(
    lambda parts, lead, is_dir: lead + "/".join(parts) + ("/" if is_dir else ""),
    st.lists(components, min_size=1, max_size=4),
    st.sampled_from(["", "/", "./", "//"]),
    st.booleans(),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PLAIN_LINES), max_size=6), paths)
def test_plain_patterns_match_as_pathspec_does(lines: list[str], path: str) -> None:
    ours = compile_patterns(tuple(lines))
    spec = pathspec.GitIgnoreSpec.from_lines(lines)
    assert isinstance(ours, _PlainPatterns)
    assert ours.verdict(path) == spec.check_file(path).include
    assert ours.matches(path) == spec.match_file(path)
    # Sparing a directory: the patterns that do not match it keep pathspec's verdicts.
    kept = ours.without_matching(path)
    kept_spec = type(spec)([p for p in spec.patterns if p.match_file(path) is None])
    for other in ("data/a.ipynb", "x/outputs/nb", "nb/x.pyc/", path):
        assert kept.verdict(other) == kept_spec.check_file(other).include


def test_a_line_that_is_not_a_plain_name_goes_to_pathspec() -> None:
    for line in (
        *("**/tmp", "a/**/b", "a**b", "*", "*/", "a/*", "/*/", ".*", "..", "a/../b", "/"),
        *("//a", "a//b", "!keep.ipynb", "a b", "x?", "[ab]", "\\#x", "data "),
    ):
        patterns = compile_patterns(("outputs/", line))
        assert isinstance(patterns, _PathspecPatterns), line
    negated = compile_patterns(("*.ipynb", "!keep.ipynb"))
    assert negated.verdict("keep.ipynb") is False
    assert negated.verdict("drop.ipynb") is True


def test_plain_names_do_not_import_pathspec(tmp_path: object) -> None:
    code = (
        "import sys\n"
        "from nbgraduate.lint.ignore_patterns import compile_patterns\n"
        "patterns = compile_patterns(('.env', '__pycache__/', '*.pyc', '', '# x'))\n"
        "assert patterns.matches('a/__pycache__/m.pyc') and not patterns.matches('a.ipynb')\n"
        "print('pathspec' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
