"""Where dataset findings land, and what is not a dataset: exact cells, rows and columns."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbgraduate.analysis.context import NotebookAnalysis
from nbgraduate.analysis.shell_downloads import url_file_name
from nbgraduate.knowledge.model_policy import ModelPolicyConfig, policy_for
from nbgraduate.lint.linter import lint_notebook
from nbgraduate.notebook.reader import notebook_from_text

DIGEST = "9f2c1d0e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d"


def located(source: str, codes: str = "NBG201,NBG202") -> list[tuple[str, int, int, int]]:
    notebook = notebook_from_text(Path("eval.py"), source)
    findings = lint_notebook(notebook, set(codes.split(",")), policy_for(ModelPolicyConfig()))
    return [(f.code, f.start.cell_index, f.start.row, f.start.column) for f in findings]


def analysis(source: str) -> NotebookAnalysis:
    return NotebookAnalysis(
        notebook_from_text(Path("eval.py"), source), policy_for(ModelPolicyConfig())
    )


def test_url_in_a_variable_downloaded_cells_later_is_reported_at_the_literal() -> None:
    source = (
        'DATA_URL = "https://raw.githubusercontent.com/org/evals/main/golden.csv"\n'
        "# %%\nx = 1\n# %%\n"
        "import urllib.request\n"
        'urllib.request.urlretrieve(DATA_URL, "golden.csv")\n'
        "# %%\n!wget {DATA_URL}\n"
    )
    assert located(source) == [("NBG202", 0, 1, 12)]


def test_shell_download_is_reported_at_the_url_in_the_command() -> None:
    source = "import os\n# %%\n!mkdir -p data && wget -q https://example.org/qa.csv -P data\n"
    assert located(source) == [("NBG202", 1, 1, 27)]
    body = "%%bash\nset -e\ncurl -sL https://example.org/qa.csv -o qa.csv\n"
    assert located(body) == [("NBG202", 0, 3, 10)]


def test_what_shell_commands_are_not_data_downloads() -> None:
    source = (
        "!curl -fsSL https://ollama.com/install.sh | sh\n"
        "!curl -X POST http://localhost:8000/score -d '{}'\n"
        "!curl -s https://example.org/api -H 'x: y' --json '{}'\n"
        "!wget https://huggingface.co/org/model/resolve/main/model.safetensors\n"
    )
    assert located(source) == []


def test_composed_path_is_reported_where_it_is_composed() -> None:
    source = (
        "from pathlib import Path\nimport os\nimport pandas as pd\n"
        'DATA = Path("data")\nNAME = "b.csv"\n'
        "# %%\n"
        'a = pd.read_csv(DATA / "a.csv")\n'
        "b = pd.read_csv(os.path.join(DATA, NAME))\n"
    )
    assert located(source) == [("NBG201", 1, 1, 17), ("NBG201", 1, 2, 17)]
    reads = analysis(source).dataset_reads
    assert [read.path for read in reads] == ["data/a.csv", "data/b.csv"]


def test_read_through_a_notebook_function_is_reported_at_each_call() -> None:
    source = (
        "import json\n"
        "def read_jsonl(path, limit=None):\n    return [json.loads(l) for l in open(path)]\n"
        "# %%\n"
        'train = read_jsonl("data/train.jsonl")\n'
        'val = read_jsonl(path="data/val.jsonl", limit=5)\n'
    )
    assert located(source) == [("NBG201", 1, 1, 20), ("NBG201", 1, 2, 23)]


def test_files_the_notebook_writes_are_not_datasets_but_the_download_is() -> None:
    source = (
        "import pandas as pd, requests\n"
        "def fetch(url, path):\n"
        "    response = requests.get(url)\n"
        '    with open(path, "wb") as f:\n'
        "        f.write(response.content)\n"
        "# %%\n"
        'fetch("https://example.org/api/v1/export?id=7", "export.csv")\n'
        'df = pd.read_csv("export.csv")\n'
        "# %%\n"
        'df.to_parquet("cache/scores.parquet")\n'
        'again = pd.read_parquet("cache/scores.parquet")\n'
        "# %%\n"
        "import tarfile\n"
        'tarfile.open("bundle.tar.gz").extractall("bundle")\n'
        'rows = pd.read_json("bundle/rows.jsonl")\n'
    )
    assert located(source) == [("NBG202", 1, 1, 7)]
    context = analysis(source)
    assert [read.path for read in context.dataset_reads] == [
        "https://example.org/api/v1/export?id=7"
    ]
    assert sorted(read.path for read in context.own_output_reads) == [
        "bundle/rows.jsonl",
        "cache/scores.parquet",
        "export.csv",
    ]


def test_a_cache_written_after_the_read_is_still_the_notebooks_own_output() -> None:
    source = (
        "import pandas as pd\nfrom pathlib import Path\n"
        'CACHE = Path("data") / "samples.json"\n'
        "if CACHE.exists():\n    df = pd.read_json(CACHE)\nelse:\n"
        "    df = build()\n    df.to_json(CACHE)\n"
    )
    assert located(source) == []


def test_digest_check_of_a_download_counts_only_before_first_use() -> None:
    verified = (
        "import hashlib, requests, io\nimport pandas as pd\n"
        'response = requests.get("https://example.org/data/qa.csv")\n'
        f'assert hashlib.sha256(response.content).hexdigest() == "{DIGEST}"\n'
        "df = pd.read_csv(io.BytesIO(response.content))\n"
    )
    assert located(verified) == []
    late = (
        "!wget https://example.org/qa.csv\n"
        "# %%\nimport hashlib, pandas as pd\n"
        'df = pd.read_csv("qa.csv")\n'
        f'assert hashlib.sha256(open("qa.csv", "rb").read()).hexdigest() == "{DIGEST}"\n'
    )
    assert located(late) == [("NBG202", 0, 1, 7)]
    early = late.replace('df = pd.read_csv("qa.csv")\n', "") + 'df = pd.read_csv("qa.csv")\n'
    assert located(early) == []


@pytest.mark.parametrize(
    ("expected_digest", "reported"),
    [
        (f'"{DIGEST}"', False),
        ("DIGESTS['qa.csv']", False),
        ('open("qa.csv.sha256").read().strip()', False),
        ('open("qa.csv").readline().strip()', True),  # read from the same file
        ("hashlib.sha256(open('qa.csv', 'rb').read()).hexdigest()", True),  # itself
    ],
)
def test_what_counts_as_the_expected_digest(expected_digest: str, reported: bool) -> None:
    source = (
        "import hashlib, pandas as pd\n"
        f'DIGESTS = {{"qa.csv": "{DIGEST}"}}\n'
        f"assert hashlib.sha256(open('qa.csv', 'rb').read()).hexdigest() == {expected_digest}\n"
        'df = pd.read_csv("qa.csv")\n'
    )
    assert bool(located(source, "NBG201")) is reported


def test_url_file_name() -> None:
    assert url_file_name("https://example.org/a/b%20c.csv?x=1") == "b c.csv"
    assert url_file_name("https://example.org/") == "index.html"


def test_configuration_images_and_web_pages_are_not_datasets() -> None:
    source = (
        "import json, requests\n"
        'settings = json.load(open("config.json"))\n'
        'keys = json.load(open("credentials.json"))\n'
        'page = requests.get("https://github.com/org/evals").text\n'
        "!wget https://raw.githubusercontent.com/org/evals/main/diagram.png\n"
        'rows = json.load(open("questions.json"))\n'
    )
    assert located(source) == [("NBG201", 0, 6, 23)]
