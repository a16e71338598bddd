"""Fuzz ``nbgraduate lint`` with hypothesis: no input may crash it.

Inputs: notebook JSON of every wrong shape, real notebooks from the corpus mutated at the byte
and the JSON level, IPython syntax, and unicode edge cases (surrogate escapes, NUL, BOM, lone
carriage returns, line separators, combining and right-to-left characters). The contract for
each input, linted beside a known good notebook in a random output format:

- the exit code is 0, 1 or 2, and no traceback or "internal error" is printed;
- the good notebook is still linted (its findings are in the report);
- nothing on disk changes (no file written, no cache).

CI runs a bounded number of examples per test; ``NBGRADUATE_FUZZ_EXAMPLES=N`` runs N per test
(e.g. 20000 for a long session). Inputs run in this process through the real command line
(``nbgraduate.cli.lint.main``, with the result cache off), so hundreds take seconds.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from corpus_dir import CORPUS, needs_corpus
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbgraduate.cli import lint as lint_command

#: A small notebook with one finding (NBG301), linted beside every fuzzed input.
GOOD_NOTEBOOK = json.dumps(
    {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": "c1",
                "metadata": {},
                "outputs": [],
                "source": "import random\nscore = random.random()",
            }
        ],
        "metadata": {"kernelspec": {"name": "python3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
)
FORMATS = ("concise", "full", "json", "sarif", "github", "gitlab")
EXAMPLES = int(os.environ.get("NBGRADUATE_FUZZ_EXAMPLES", "50"))

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,  # a shared CI machine may be slow; the contract is about crashes
    database=None,  # the example database would write into the checkout
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --- the contract ----------------------------------------------------------------------------


def _snapshot(root: Path) -> dict[str, tuple[int, int, bytes]]:
    return {
        str(path.relative_to(root)): (
            path.stat().st_mtime_ns,
            path.stat().st_size,
            path.read_bytes() if path.is_file() else b"",
        )
        for path in sorted(root.rglob("*"))
    }


@contextmanager
def _workspace() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="nbg-fuzz-") as name:
        root = Path(name)
        (root / "good.ipynb").write_text(GOOD_NOTEBOOK, encoding="utf-8")
        previous = os.getcwd()
        os.chdir(root)
        try:
            yield root
        finally:
            os.chdir(previous)


def _lint(arguments: list[str]) -> tuple[int, str, str]:
    """``nbgraduate lint ARGUMENTS`` in this process: exit code, stdout, stderr.

    Output goes through strict UTF-8 streams, as on a terminal or CI log that is not in a C
    locale, so text no UTF-8 output can carry (a lone surrogate) fails here. Any exception but
    the exit itself propagates and fails the test with its traceback.
    """
    out, err = io.BytesIO(), io.BytesIO()
    stdout = io.TextIOWrapper(out, encoding="utf-8", errors="strict", newline="")
    stderr = io.TextIOWrapper(err, encoding="utf-8", errors="strict", newline="")
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            code = lint_command.main("lint", arguments)
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 2
        stdout.flush()
        stderr.flush()
    return code, out.getvalue().decode("utf-8"), err.getvalue().decode("utf-8")


def check_lint_contract(content: bytes, suffix: str, output_format: str) -> None:
    """Lint ``content`` (as ``fuzzed<suffix>``) beside good.ipynb and hold the contract."""
    with _workspace() as root:
        (root / f"fuzzed{suffix}").write_bytes(content)
        before = _snapshot(root)
        arguments = [f"fuzzed{suffix}", "good.ipynb", "--output-format", output_format]
        code, stdout, stderr = _lint([*arguments, "--no-cache"])
        shown = (stdout + stderr)[-2000:]
        assert code in (0, 1, 2), (code, shown)
        assert "Traceback" not in stderr, shown
        assert "internal error" not in stderr, shown
        assert "good.ipynb" in stdout and "NBG301" in stdout, shown
        assert _snapshot(root) == before, "lint changed something on disk"


# --- strategies ------------------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)

# Unicode that has broken parsers and printers: escapes decoding to lone surrogates, NUL,
# BOM, lone CR, line/paragraph separators, combining marks, right-to-left, wide characters.
awkward_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "\ud800",
            "\udcff",
            "\x00",
            "\ufeff",
            "\r",
            "x = 1\ry = 2\r",
            "\u2028",
            "\u2029",
            "e\u0301",
            "\u202e",
            "名前 = 1",
            "\U0001f600",
            "\t\x0b\x0c",
            "\\",
            '"',
        ]
    ),
)

ipython_lines = st.sampled_from(
    [
        "%pip install openai",
        "!pip install -U 'transformers>=4' git+https://github.com/org/repo.git",
        "files = !ls -la",
        "%time result = judge(x)",
        "%%bash\necho hi",
        "%%capture out\nprint(1)",
        "df?",
        "df.head??",
        "await client.chat.completions.create(model='gpt-4o')",
        "%env OPENAI_API_KEY=",
        "!conda install -y numpy",
        "%load_ext autoreload\n%autoreload 2",
        "get_ipython().system('ls')",
        "%%writefile x.py\nimport os",
        "x = !echo $HOME",
        "import random; random.seed()",
        "client = OpenAI(temperature=0)",
        "pd.read_csv('/Users/alice/data.csv')",
        "assert accuracy >= 0.8",
        "def f(:",
        "print 'py2'",
        "<<<<<<< HEAD",
        "lambda: " * 50 + "1",
        "(" * 300 + ")" * 300,
        "x = " + " + ".join(["1"] * 50),
    ]
)
text_sources = st.lists(st.one_of(ipython_lines, awkward_text), max_size=6).map("\n".join)
cell_sources = st.one_of(
    text_sources,
    st.lists(st.one_of(ipython_lines, awkward_text), max_size=6),
    json_values,
)


@st.composite
def cells(draw: st.DrawFn) -> object:
    if draw(st.integers(0, 9)) == 0:
        return draw(json_values)  # not a cell at all
    cell: dict = {}
    fields = {
        "cell_type": st.one_of(st.sampled_from(["code", "markdown", "raw"]), json_values),
        "source": cell_sources,
        "metadata": st.one_of(
            st.just({}),
            st.fixed_dictionaries({"tags": st.one_of(st.just(["parameters"]), json_values)}),
            json_values,
        ),
        "outputs": st.one_of(st.just([]), st.lists(outputs(), max_size=3), json_values),
        "execution_count": st.one_of(st.none(), st.integers(-5, 50), json_values),
        "id": st.one_of(st.text(max_size=10), awkward_text, json_values),
    }
    for key, strategy in fields.items():
        if draw(st.integers(0, 9)) > 0:  # usually present, sometimes missing
            cell[key] = draw(strategy)
    return cell


@st.composite
def outputs(draw: st.DrawFn) -> object:
    kind = draw(st.sampled_from(["stream", "execute_result", "display_data", "error", "weird"]))
    text = st.one_of(awkward_text, st.lists(awkward_text, max_size=3), json_values)
    if kind == "stream":
        return {"output_type": kind, "name": "stdout", "text": draw(text)}
    if kind == "error":
        return {
            "output_type": kind,
            "ename": draw(text),
            "evalue": draw(text),
            "traceback": draw(text),
        }
    if kind == "weird":
        return draw(json_values)
    mimes = st.sampled_from(
        ["text/plain", "text/html", "application/json", "image/png", "image/svg+xml", "x/y"]
    )
    return {"output_type": kind, "metadata": {}, "data": draw(st.dictionaries(mimes, text))}


@st.composite
def notebooks(draw: st.DrawFn) -> object:
    if draw(st.integers(0, 9)) == 0:
        return draw(json_values)  # not even an object
    document: dict = {}
    fields = {
        "nbformat": st.one_of(st.sampled_from([4, 4, 4, 3, 5]), json_values),
        "nbformat_minor": st.one_of(st.integers(0, 6), json_values),
        "metadata": st.one_of(
            st.just({"kernelspec": {"name": "python3", "language": "python"}}),
            st.fixed_dictionaries({"kernelspec": json_values, "language_info": json_values}),
            json_values,
        ),
        "cells": st.one_of(st.lists(cells(), max_size=5), json_values),
    }
    for key, strategy in fields.items():
        if draw(st.integers(0, 9)) > 0:
            document[key] = draw(strategy)
    return document


def _encoded(document: object, ensure_ascii: bool) -> bytes:
    # ensure_ascii writes lone surrogates as \ud800 escapes, as a hostile file would.
    return json.dumps(document, ensure_ascii=ensure_ascii).encode("utf-8", "surrogatepass")


# --- the tests -------------------------------------------------------------------------------


@FUZZ_SETTINGS
@given(document=notebooks(), ensure_ascii=st.booleans(), output_format=st.sampled_from(FORMATS))
def test_notebook_json_of_every_shape(
    document: object, ensure_ascii: bool, output_format: str
) -> None:
    check_lint_contract(_encoded(document, ensure_ascii), ".ipynb", output_format)


@FUZZ_SETTINGS
@given(
    sources=st.lists(text_sources, min_size=1, max_size=6),
    percent=st.booleans(),
    output_format=st.sampled_from(FORMATS),
)
def test_ipython_syntax_and_unicode_in_scripts_and_notebooks(
    sources: list[str], percent: bool, output_format: str
) -> None:
    script = "".join(f"# %%\n{source}\n" if percent else f"{source}\n" for source in sources)
    check_lint_contract(script.encode("utf-8", "surrogatepass"), ".py", output_format)
    document = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": f"c{i}",
                "metadata": {},
                "outputs": [],
                "source": source,
            }
            for i, source in enumerate(sources)
        ],
        "metadata": {"kernelspec": {"name": "python3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    check_lint_contract(_encoded(document, ensure_ascii=True), ".ipynb", output_format)


def _corpus_files() -> list[Path]:
    return sorted(CORPUS.glob("*.ipynb")) if CORPUS.is_dir() else []


@st.composite
def mutated_corpus_notebooks(draw: st.DrawFn) -> bytes:
    path = draw(st.sampled_from(_corpus_files()))
    data = path.read_bytes()
    how = draw(st.sampled_from(["bytes", "json", "json", "truncate"]))
    rng = random.Random(draw(st.integers(0, 2**32)))
    if how == "truncate":
        return data[: rng.randrange(len(data) + 1)]
    if how == "bytes":
        mutable = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            position = rng.randrange(len(mutable) or 1)
            choice = rng.random()
            if choice < 0.4 and mutable:
                mutable[position] = rng.randrange(256)
            elif choice < 0.7:
                mutable[position:position] = bytes(rng.randrange(256) for _ in range(3))
            else:
                del mutable[position : position + rng.randint(1, 40)]
        return bytes(mutable)
    document = json.loads(data)
    for _ in range(rng.randint(1, 4)):
        document = _mutate_json(document, rng, draw)
    return _encoded(document, ensure_ascii=draw(st.booleans()))


def _mutate_json(node: object, rng: random.Random, draw: st.DrawFn, depth: int = 0) -> object:
    """Replace, delete or duplicate one randomly chosen part of a parsed notebook."""
    children: list = []
    if isinstance(node, dict):
        children = list(node)
    elif isinstance(node, list):
        children = list(range(len(node)))
    if not children or depth > 6 or rng.random() < 0.2:
        return draw(st.one_of(json_values, awkward_text, cell_sources))
    key = rng.choice(children)
    action = rng.random()
    if action < 0.15:
        copy = dict(node) if isinstance(node, dict) else list(node)
        del copy[key]
        return copy
    if action < 0.25 and isinstance(node, list):
        return [*node, node[key]]
    copy = dict(node) if isinstance(node, dict) else list(node)
    copy[key] = _mutate_json(node[key], rng, draw, depth + 1)
    return copy


@needs_corpus
@FUZZ_SETTINGS
@given(content=mutated_corpus_notebooks(), output_format=st.sampled_from(FORMATS))
def test_mutated_real_notebooks(content: bytes, output_format: str) -> None:
    check_lint_contract(content, ".ipynb", output_format)
