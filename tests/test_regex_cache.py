"""The table of compiled regular expressions: the same patterns as ``re.compile``, from disk.

Every check that matters runs in a fresh interpreter, as lint does: one process compiles and
saves, the next loads the file and builds its patterns from it without parsing.
"""

from __future__ import annotations

import marshal
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import nbgraduate
from nbgraduate.core import pycache, regex_cache
from nbgraduate.core.regex_cache import RegexTable

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "notebooks"

#: Patterns beyond lint's own: every flag that changes the program, groups, and bytes.
EDGE_CASES = [
    (r"(?P<owner>[\w.-]+)/(?P<name>[\w.-]+)(?:@(?P<rev>\w+))?", 0),
    (r"gpt-4o?(?:-mini)?", re.IGNORECASE),
    (r"^\s*%pip\s+install\b.*$", re.MULTILINE),
    (
        r"""
        (?P<key> sk- [A-Za-z0-9]{20,} )   # an OpenAI key
        | (?P<token> hf_ [A-Za-z0-9]{30,} )  # a Hugging Face token
        """,
        re.VERBOSE,
    ),
    (r"a.b", re.DOTALL | re.IGNORECASE | re.MULTILINE),
    (r"\w+\b", re.ASCII),
    (r"(?i)straße|ΣΑΣ", 0),
    (rb"(?P<magic>\x89PNG)\r\n", 0),
    (rb"\w+", re.LOCALE),
    (rb"[a-z]+", re.IGNORECASE),
    (r"(a)(b)?(?(2)c|d)", 0),
    (r"(?<=foo)bar(?!baz)", 0),
]

#: Run before a child's own code: point the package's table at the path in the environment.
_PRELUDE = """
import os, re, sys
from nbgraduate.core import pycache, regex_cache
regex_cache.TABLE.path = os.environ["TABLE_PATH"]
"""


@pytest.fixture(autouse=True)
def _writes_bytecode(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tables made in this process are written as bytecode would be, whatever the
    environment of the test run says."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)


def _run(code: str, table: Path, **environment: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env.update(TABLE_PATH=str(table), **environment)
    completed = subprocess.run(
        [sys.executable, "-c", _PRELUDE + textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    return completed


def _entries(table: Path) -> dict:
    header, programs = marshal.loads(table.read_bytes())
    assert header == regex_cache._header()
    return programs


#: The edge cases, then a lint of one notebook (which saves the table as it ends).
_EDGE_CASES_AND_LINT = f"""
for pattern, flags in {EDGE_CASES!r}:
    regex_cache.compile(pattern, flags)
from nbgraduate.cli.lint import main
main("lint", ["--no-cache", "--exit-zero", {str(FIXTURE / "legacy_judge_eval.ipynb")!r}])
"""


def test_a_warm_table_gives_every_pattern_without_parsing(tmp_path: Path) -> None:
    table = tmp_path / "regex.marshal"
    _run(_EDGE_CASES_AND_LINT, table)
    assert len(_entries(table)) > 150  # lint's own patterns and the edge cases
    written = table.stat().st_mtime_ns

    # The parser is counted only when called on the table's behalf (the standard library
    # compiles its own patterns too); a warm table never calls it.
    checked = _run(
        textwrap.dedent(
            """
        parse_module = sys.modules["re._parser"] if sys.version_info >= (3, 11) else None
        if parse_module is None:
            import sre_parse as parse_module
        original, parses = parse_module.parse, []

        def counting(*args, **kwargs):
            frame = sys._getframe(1)
            while frame is not None:
                if frame.f_code.co_filename == regex_cache.__file__:
                    parses.append(args[0])
                frame = frame.f_back
            return original(*args, **kwargs)

        parse_module.parse = counting
        """
        )
        + _EDGE_CASES_AND_LINT
        + textwrap.dedent(
            """
        assert parses == [], parses
        parse_module.parse = original
        import marshal
        _, programs = marshal.loads(open(os.environ["TABLE_PATH"], "rb").read())
        for is_bytes, pattern, flags in programs:
            cached = regex_cache.compile(pattern, flags)
            fresh = re.compile(pattern, flags)
            assert isinstance(pattern, bytes) == is_bytes
            assert cached == fresh, pattern
            assert (cached.flags, cached.groups, cached.groupindex) == (
                fresh.flags, fresh.groups, fresh.groupindex
            ), pattern
            assert cached is not fresh
        print(len(programs))
        """
        ),
        table,
    )
    assert int(checked.stdout.split()[-1]) == len(_entries(table))
    assert table.stat().st_mtime_ns == written  # nothing new: not written again


@pytest.mark.parametrize("pattern, flags", EDGE_CASES)
def test_each_edge_case_matches_as_re_compile_does(
    tmp_path: Path, pattern: str | bytes, flags: int
) -> None:
    path = tmp_path / "regex.marshal"
    first = RegexTable(str(path))
    first.compile(pattern, flags)
    first.save()
    warm = RegexTable(str(path))
    cached, fresh = warm.compile(pattern, flags), re.compile(pattern, flags)
    assert warm._used == {(isinstance(pattern, bytes), pattern, flags)}
    assert not warm._new  # built from the file
    assert cached == fresh
    assert (cached.groups, cached.groupindex, cached.flags) == (
        fresh.groups,
        fresh.groupindex,
        fresh.flags,
    )
    sample = "xx sk-" + "A" * 24 if isinstance(pattern, str) else b"\x89PNG\r\nabc"
    assert [m.span() for m in cached.finditer(sample)] == [m.span() for m in fresh.finditer(sample)]


def test_flag_objects_and_integers_share_an_entry(tmp_path: Path) -> None:
    path = tmp_path / "regex.marshal"
    table = RegexTable(str(path))
    table.compile("abc", re.IGNORECASE | re.MULTILINE)
    table.compile("abc", int(re.IGNORECASE | re.MULTILINE))
    table.save()
    assert list(_entries(path)) == [(False, "abc", int(re.IGNORECASE | re.MULTILINE))]


def test_an_invalid_pattern_raises_as_re_compile_does(tmp_path: Path) -> None:
    table = RegexTable(str(tmp_path / "regex.marshal"))
    with pytest.raises(re.error, match="missing \\)"):
        table.compile("(unclosed")
    assert table.enabled


def _valid(path: Path) -> bytes:
    table = RegexTable(str(path))
    table.compile(r"(?P<word>\w+)\s")
    table.save()
    return path.read_bytes()


@pytest.mark.parametrize(
    "damage",
    ["garbage", "truncated", "empty", "foreign version", "not a pair", "bad entry"],
)
def test_a_damaged_or_foreign_file_is_ignored_and_replaced(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "regex.marshal"
    valid = _valid(path)
    header, programs = marshal.loads(valid)
    damaged = {
        "garbage": b"\x00not marshal at all\xff" * 10,
        "truncated": valid[: len(valid) // 2],
        "empty": b"",
        "foreign version": marshal.dumps(((*header[:-1], "0.0.0-other"), programs)),
        "not a pair": marshal.dumps([1, 2, 3]),
        "bad entry": marshal.dumps((header, {key: ("no", "program") for key in programs})),
    }[damage]
    path.write_bytes(damaged)
    table = RegexTable(str(path))
    pattern = table.compile(r"(?P<word>\w+)\s")
    assert pattern == re.compile(r"(?P<word>\w+)\s")
    assert pattern.groupindex == {"word": 1}
    table.save()
    assert path.read_bytes() != damaged
    assert list(_entries(path)) == [(False, r"(?P<word>\w+)\s", 0)]


def test_a_directory_that_cannot_be_written_is_no_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("")
    path = blocker / "__pycache__" / "regex.marshal"  # its parent can never be created
    table = RegexTable(str(path))
    assert table.compile("x+") == re.compile("x+")
    table.save()
    assert sorted(tmp_path.iterdir()) == [blocker]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs POSIX, not root")
def test_a_read_only_directory_leaves_no_file_and_no_error(tmp_path: Path) -> None:
    directory = tmp_path / "__pycache__"
    directory.mkdir()
    directory.chmod(0o555)
    try:
        _run("regex_cache.compile('y+'); regex_cache.save()", directory / "regex.marshal")
        assert list(directory.iterdir()) == []
    finally:
        directory.chmod(0o755)


def test_dont_write_bytecode_leaves_no_file(tmp_path: Path) -> None:
    table = tmp_path / "regex.marshal"
    completed = _run(
        "assert regex_cache.compile('z+') == re.compile('z+'); regex_cache.save()",
        table,
        PYTHONDONTWRITEBYTECODE="1",
    )
    assert completed.stderr == ""
    assert list(tmp_path.iterdir()) == []


def test_the_table_is_saved_at_exit_when_nobody_saved_it(tmp_path: Path) -> None:
    table = tmp_path / "regex.marshal"
    _run("regex_cache.compile('exit+')", table)
    assert list(_entries(table)) == [(False, "exit+", 0)]


def test_a_forked_worker_never_writes(tmp_path: Path) -> None:
    if not hasattr(os, "fork"):
        pytest.skip("no fork")
    table = tmp_path / "regex.marshal"
    _run(
        """
        pid = os.fork()
        if pid == 0:
            regex_cache.compile("only in the child")
            regex_cache.save()
            os._exit(0)
        os.waitpid(pid, 0)
        assert not os.path.exists(os.environ["TABLE_PATH"])
        """,
        table,
    )
    assert list(tmp_path.iterdir()) == []


def test_concurrent_processes_leave_a_valid_table(tmp_path: Path) -> None:
    table = tmp_path / "regex.marshal"
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["TABLE_PATH"] = str(table)
    code = _PRELUDE + textwrap.dedent(
        """
        for round in range(40):
            regex_cache.TABLE = regex_cache.RegexTable(os.environ["TABLE_PATH"])
            for n in range(30):
                regex_cache.compile(f"(?P<g{n}>{sys.argv[1]}{n}[a-z]+){{{round},}}")
            regex_cache.save()
        """
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", code, worker], env=env) for worker in "abcd"
    ]
    assert [process.wait(timeout=120) for process in processes] == [0, 0, 0, 0]
    programs = _entries(table)
    assert 30 <= len(programs) <= regex_cache.MAX_ENTRIES
    warm = RegexTable(str(table))
    for _, pattern, flags in programs:
        assert warm.compile(pattern, flags) == re.compile(pattern, flags)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["regex.marshal"]


def test_a_surprise_from_the_interpreter_turns_the_table_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def changed(*args: object) -> object:
        raise TypeError("parse() takes a different signature now")

    monkeypatch.setattr(regex_cache, "_stdlib_compiler", lambda: (changed, changed))
    path = tmp_path / "regex.marshal"
    table = RegexTable(str(path))
    assert table.compile("a|b") == re.compile("a|b")
    assert not table.enabled
    assert table.compile("c|d") == re.compile("c|d")
    table.save()
    assert not path.exists()


def test_a_program_unequal_to_re_compile_turns_the_table_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parse, generate = regex_cache._stdlib_compiler()

    def shifted(parsed: object, flags: int) -> list[int]:
        return generate(parsed, flags | re.IGNORECASE)

    monkeypatch.setattr(regex_cache, "_stdlib_compiler", lambda: (parse, shifted))
    path = tmp_path / "regex.marshal"
    table = RegexTable(str(path))
    assert table.compile("abc") == re.compile("abc")
    assert not table.enabled
    table.save()
    assert not path.exists()


def test_an_oversized_table_keeps_what_its_process_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(regex_cache, "MAX_ENTRIES", 5)
    path = tmp_path / "regex.marshal"
    first = RegexTable(str(path))
    for n in range(5):
        first.compile(f"old{n}")
    first.save()
    second = RegexTable(str(path))
    second.compile("old0")
    second.compile("new")
    second.save()
    assert sorted(_entries(path)) == [(False, "new", 0), (False, "old0", 0)]


def test_the_package_table_lives_beside_the_package_bytecode() -> None:
    if sys.pycache_prefix:
        pytest.skip("bytecode goes under a prefix")
    path = Path(regex_cache.TABLE.path)
    assert path.parent == Path(nbgraduate.__file__).resolve().parent / "__pycache__"
    assert path.name == f"regex.{sys.implementation.cache_tag}.marshal"


def test_under_a_bytecode_prefix_the_table_goes_where_the_bytecode_goes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path / "prefix"))
    source = tmp_path / "site" / "nbgraduate"
    expected = Path(str(tmp_path / "prefix") + str(source)) / (
        f"regex.{sys.implementation.cache_tag}.marshal"
    )
    assert Path(pycache.cache_path(str(source), "regex")) == expected
