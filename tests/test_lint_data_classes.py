"""Classes of dataset and seed defects seen in real eval notebooks, one bad and one good case
each, linted as real ``.ipynb`` files written with nbformat (issue 11's recall work).

Each test names the class; the bad case must be reported at the place a reviewer would edit,
and the good case (the same code made reproducible, or the look-alike that is not a defect)
must not be.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from nbgraduate.graduate.convert import convert_notebook
from nbgraduate.graduate.result import ConversionOptions
from nbgraduate.lint.linter import FileJob, lint_file

Found = tuple[str, int, int]  # (code, 1-based cell, row)


def lint_cells(tmp_path: Path, *sources: str, codes: str = "NBG201,NBG202") -> list[Found]:
    """Lint a notebook of a markdown title cell and one code cell per source."""
    path = write_notebook(tmp_path / "eval.ipynb", *sources)
    result = lint_file(FileJob(path, path.name, frozenset(codes.split(","))))
    assert result.error is None, result.error
    return sorted((d.code, d.cell, d.row) for d in result.diagnostics if d.cell is not None)


def write_notebook(path: Path, *sources: str) -> Path:
    cells = [new_markdown_cell("# Eval"), *(new_code_cell(source) for source in sources)]
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "language": "python",
        "display_name": "Python 3",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, str(path))
    return path


# -- datasets: folders whose files are read -------------------------------------------------------


def test_listing_loop_that_reads_files_is_reported_at_the_folder(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        'import os\nCORPUS = "./blog/"',
        "docs = []\nfor name in os.listdir(CORPUS):\n"
        "    with open(os.path.join(CORPUS, name)) as f:\n        docs.append(f.read())",
    )
    assert found == [("NBG201", 2, 2)]


def test_files_picked_from_a_filtered_listing_are_read_from_the_folder(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        'import os\nNOTES = "cases/"\nnames = os.listdir(NOTES)\n'
        'texts = sorted([n for n in names if n.endswith(".txt")])',
        "with open(os.path.join(NOTES, texts[0])) as f:\n    first = f.read()",
        'print(len([n for n in os.listdir("logs") if n.endswith(".txt")]))',
    )
    assert found == [("NBG201", 2, 2)]


def test_listing_that_only_counts_or_lists_outputs_reads_no_data(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        'import os, glob, json\nprint(len(os.listdir("data")), "files")',
        'for path in glob.glob("runs/*.json"):\n    summary = json.load(open(path))',
    )
    assert found == []


def test_glob_of_data_files_and_directory_readers(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        'import glob, json\nrows = [json.load(open(p)) for p in glob.glob("data/cases/*.json")]',
        "from llama_index.core import SimpleDirectoryReader\n"
        'documents = SimpleDirectoryReader("./handbook").load_data()',
    )
    assert found == [("NBG201", 2, 2), ("NBG201", 3, 2)]


def test_a_folder_the_notebook_creates_and_fills_is_its_own_output(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "import fitz\nfrom pathlib import Path\n"
        'OUT_DIR = "pdf_pages"\nPath(OUT_DIR).mkdir(parents=True, exist_ok=True)\n'
        'for i, page in enumerate(fitz.open("paper.pdf")):\n'
        '    page.get_pixmap().save(Path(OUT_DIR, f"page_{i}.png"))',
        'pages = [open(p, "rb").read() for p in sorted(Path("./pdf_pages").glob("page_*.png"))]',
    )
    assert found == [("NBG201", 2, 5)]  # the PDF it renders is the dataset, not its pages


def test_a_snapshot_folder_is_not_data(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        'import glob, json, os\nlatest = max(glob.glob("snapshots/query_embedder_*.json"), '
        "key=os.path.getctime)\nstate = json.load(open(latest))",
    )
    assert found == []


# -- datasets: documents and images fed to a model ------------------------------------------------


def test_local_image_sent_to_a_model_is_data_but_a_downloaded_one_is_not(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        'import base64\nwith open("inputs/receipt.png", "rb") as f:\n'
        "    image = base64.b64encode(f.read()).decode()",
        "!wget 'https://example.org/receipts/r102.jpg' -O 'receipt.jpg'",
        'from PIL import Image\nimg = Image.open("./receipt.jpg")',
    )
    assert found == [("NBG201", 2, 2)]


def test_an_image_shown_as_a_cells_value_is_not_data(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "from PIL import Image\nImage.open('images/diagram-2.png')",
        "query = Image.open('images/query.png')\nresults = search(query)",
    )
    assert found == [("NBG201", 3, 1)]


def test_upload_of_bytes_named_in_a_dict_reads_no_file_by_that_name(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "lines = [b'{}', b'{}']\n"
        'batch = client.files.upload(file={"file_name": "batch.jsonl", "content": b"\\n".join(lines)}, '
        'purpose="batch")',
        'report = client.files.upload(file="docs/report.pdf")',
    )
    assert found == [("NBG201", 3, 1)]


# -- datasets: remote ---------------------------------------------------------------------------


def test_url_composed_by_a_notebook_function_is_reported_where_it_is_composed(
    tmp_path: Path,
) -> None:
    found = lint_cells(
        tmp_path,
        "import requests\ndef url_for(split):\n"
        '    return f"https://raw.githubusercontent.com/org/evals/main/{split}.jsonl"',
        'rows = requests.get(url_for("test")).text.splitlines()',
    )
    assert found == [("NBG202", 2, 3)]


def test_items_of_an_api_walked_one_by_one_are_not_each_a_dataset(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "import requests\n"
        'newest = requests.get("https://news.example.org/v0/newstories.json")\n'
        "for id in newest.json()[:10]:\n"
        '    item = requests.get(f"https://news.example.org/v0/item/{id}.json").json()',
    )
    assert found == [("NBG202", 2, 2)]


def test_hub_dataset_of_a_task_configuration_written_by_the_notebook(tmp_path: Path) -> None:
    bad = lint_cells(
        tmp_path,
        'TASK = """task: golden_qa\ndataset_path: org/golden-qa\noutput_type: generate_until\n"""\n'
        'with open("tasks/golden_qa.yaml", "w") as f:\n    f.write(TASK)',
    )
    assert bad == [("NBG202", 2, 2)]
    pinned = lint_cells(
        tmp_path,
        "%%writefile tasks/golden_qa.yaml\ntask: golden_qa\ndataset_path: org/golden-qa\n"
        "dataset_kwargs:\n  revision: 3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a\n",
    )
    assert pinned == []


def test_task_configuration_dataset_is_located_on_its_line_despite_escapes(
    tmp_path: Path,
) -> None:
    """A ``\\n`` escape inside the literal (a prompt template) adds a line the source does not
    have: the dataset is still reported on the source line that names it."""
    found = lint_cells(
        tmp_path,
        'TASK = """\ntask: golden_qa\ndoc_to_text: "{{question}}\\nAnswer:"\n'
        'dataset_path: org/golden-qa\noutput_type: generate_until\n"""\n'
        'with open("tasks/golden_qa.yaml", "w") as f:\n    f.write(TASK)',
    )
    assert found == [("NBG202", 2, 4)]


def test_public_dataset_cloned_by_share_link_and_the_file_its_download_names(
    tmp_path: Path,
) -> None:
    found = lint_cells(
        tmp_path,
        "from langchain_benchmarks import clone_public_dataset, download_public_dataset\n"
        'clone_public_dataset("https://smith.langchain.com/public/452ccafc/examples")\n'
        'download_public_dataset("https://smith.langchain.com/public/452ccafc/examples")',
        "import json\nrows = json.load(open('./e95d45da-aaa3-44b3-ba2b-7c15ff6e46f5.json'))",
    )
    assert ("NBG202", 2, 2) in found
    assert not any(cell == 3 for _, cell, _ in found)  # the file the download named


# -- seeds ----------------------------------------------------------------------------------------


def test_local_sampling_generation_draws_from_torch(tmp_path: Path) -> None:
    bad = lint_cells(
        tmp_path,
        "def ask(model, inputs):\n"
        '    kwargs = {"max_new_tokens": 100, "do_sample": True, "top_p": 0.9}\n'
        "    return model.generate(**inputs, **kwargs)",
        "answer = ask(model, inputs)",
        codes="NBG301",
    )
    assert bad == [("NBG301", 2, 3)]
    good = lint_cells(
        tmp_path,
        "import torch\ntorch.manual_seed(13)\n"
        "out = model.generate(**inputs, do_sample=True, temperature=0.7)",
        "from huggingface_hub import InferenceClient\n"
        'reply = InferenceClient().text_generation("hi", do_sample=True, temperature=0.7)\n'
        "from langchain_huggingface import HuggingFaceEndpoint\n"
        'llm = HuggingFaceEndpoint(repo_id="org/model", do_sample=True, temperature=0.7)',
        codes="NBG301",
    )
    assert good == []
    config = lint_cells(
        tmp_path,
        "from transformers import GenerationConfig\nconfig = GenerationConfig(do_sample=True)",
        codes="NBG301",
    )
    assert config == [("NBG301", 2, 2)]


def test_random_splits_and_seeded_generators(tmp_path: Path) -> None:
    bad = lint_cells(
        tmp_path,
        "from torch.utils.data import random_split\ntrain, test = random_split(rows, [0.8, 0.2])",
        'train_set, test_set = adapter.split(0.5)\nwords = line.split(",")',
        codes="NBG301,NBG302",
    )
    assert bad == [("NBG302", 2, 2), ("NBG302", 3, 1)]
    good = lint_cells(
        tmp_path,
        "import torch\nfrom torch.utils.data import random_split\n"
        "train, test = random_split(rows, [0.8, 0.2], generator=torch.Generator().manual_seed(13))",
        "train_set, test_set = adapter.split(0.5, seed=13)",
        codes="NBG301,NBG302",
    )
    assert good == []


PROMPTFOO = (
    "providers:\n"
    "  - id: openai:gpt-4o-2024-08-06\n"
    "    config:\n"
    "      temperature: 0.7\n{seed}"
    "  - id: anthropic:messages:claude-3-5-sonnet-20241022\n"
    "    config:\n"
    "      temperature: 0.7\n"
)


def test_promptfoo_config_beside_the_notebook_is_read(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "promptfooconfig.yaml").write_text(PROMPTFOO.format(seed=""))
    found = lint_cells(
        tmp_path, "!npx promptfoo@latest eval -c promptfooconfig.yaml", codes="NBG303"
    )
    assert found == [("NBG303", 2, 1)]
    (tmp_path / "promptfooconfig.yaml").write_text(PROMPTFOO.format(seed="      seed: 13\n"))
    assert lint_cells(tmp_path, "!promptfoo eval -c promptfooconfig.yaml", codes="NBG303") == []


def test_promptfoo_config_written_by_the_notebook_is_reported_at_each_temperature(
    tmp_path: Path,
) -> None:
    path = write_notebook(
        tmp_path / "eval.ipynb",
        "%%writefile promptfooconfig.yaml\n" + PROMPTFOO.format(seed=""),
        "!promptfoo eval",
    )
    result = lint_file(FileJob(path, path.name, frozenset({"NBG303"})))
    found = [(d.cell, d.row, d.column, d.end_column) for d in result.diagnostics]
    assert found == [(2, 5, 20, 23)]
    seeded = "%%writefile promptfooconfig.yaml\n" + PROMPTFOO.format(seed="      seed: 13\n")
    assert lint_cells(tmp_path, seeded, "!promptfoo eval", codes="NBG303") == []


def test_promptfoo_providers_on_the_line_replace_the_configured_ones(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "promptfooconfig.yaml").write_text(PROMPTFOO.format(seed=""))
    found = lint_cells(
        tmp_path, "!promptfoo eval --providers openai:gpt-4o-2024-08-06", codes="NBG303"
    )
    assert found == []


def test_promptfoo_config_outside_the_repository_or_broken_is_not_read(tmp_path: Path) -> None:
    repository = tmp_path / "repo"
    (repository / ".git").mkdir(parents=True)
    (tmp_path / "outside.yaml").write_text(PROMPTFOO.format(seed=""))
    (repository / "broken.yaml").write_text("providers: [\n")
    found = lint_cells(
        repository,
        "!promptfoo eval -c ../outside.yaml\n!promptfoo eval --config=broken.yaml",
        codes="NBG303",
    )
    assert found == []


FLOATING_PROMPTFOO = (
    "providers:\n"
    "  - openai:gpt-4o\n"
    "  - id: 'openai:chat:gpt-4o-mini'\n"
    "    config: {temperature: 0}\n"
    "  - anthropic:messages:claude-3-5-sonnet-20241022\n"
    "  - file://providers/custom.py\n"
    "defaultTest:\n"
    "  options:\n"
    "    provider: anthropic:messages:claude-3-5-sonnet-latest\n"
    "tests:\n"
    "  - assert:\n"
    "      - type: llm-rubric\n"
    "        provider: {id: openai:gpt-4o-2024-08-06}\n"
)


def test_promptfoo_config_on_disk_floating_ids_are_reported_at_the_command(
    tmp_path: Path,
) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "promptfooconfig.yaml").write_text(FLOATING_PROMPTFOO)
    path = write_notebook(tmp_path / "eval.ipynb", "!promptfoo eval -c promptfooconfig.yaml")
    result = lint_file(FileJob(path, path.name, frozenset({"NBG101"})))
    found = [(d.cell, d.row, d.message.split(" floats")[0]) for d in result.diagnostics]
    prefix = "promptfoo config 'promptfooconfig.yaml': "
    assert found == [
        (2, 1, prefix + "candidate model id 'openai:gpt-4o'"),
        (2, 1, prefix + "candidate model id 'openai:chat:gpt-4o-mini'"),
        (2, 1, prefix + "judge model id 'anthropic:messages:claude-3-5-sonnet-latest'"),
    ]
    # --providers replaces the configuration's providers; its grader still judges.
    found = lint_cells(
        tmp_path, "!promptfoo eval --providers openai:gpt-4o-2024-08-06", codes="NBG101"
    )
    assert found == [("NBG101", 2, 1)]


def test_promptfoo_providers_on_the_line_are_read_after_npx_and_short_flags(
    tmp_path: Path,
) -> None:
    path = write_notebook(
        tmp_path / "eval.ipynb",
        "!npx -y promptfoo@latest eval -r openai:gpt-4o\n"
        "!./node_modules/.bin/promptfoo eval --providers=openai:chat:gpt-4o-mini,openai:o1",
    )
    result = lint_file(FileJob(path, path.name, frozenset({"NBG101"})))
    found = [(d.row, d.column, d.message.split(" floats")[0]) for d in result.diagnostics]
    assert found == [
        (1, 34, "candidate model id 'openai:gpt-4o'"),
        (2, 49, "candidate model id 'openai:chat:gpt-4o-mini'"),
        (2, 73, "candidate model id 'openai:o1'"),
    ]


def test_promptfoo_config_outside_the_repository_names_no_model(tmp_path: Path) -> None:
    repository = tmp_path / "repo"
    (repository / ".git").mkdir(parents=True)
    (tmp_path / "outside.yaml").write_text(FLOATING_PROMPTFOO)
    (repository / "link.yaml").symlink_to(tmp_path / "outside.yaml")
    found = lint_cells(
        repository,
        "!promptfoo eval -c ../outside.yaml\n!promptfoo eval -c link.yaml",
        codes="NBG101",
    )
    assert found == []


def test_promptfoo_config_written_by_the_notebook_is_reported_at_each_id(
    tmp_path: Path,
) -> None:
    path = write_notebook(
        tmp_path / "eval.ipynb",
        "%%writefile configs/pf.yaml\n" + FLOATING_PROMPTFOO,
        "!promptfoo eval -c ./configs/pf.yaml\n!promptfoo eval --config configs/pf.yaml",
    )
    result = lint_file(FileJob(path, path.name, frozenset({"NBG101"})))
    found = [(d.cell, d.row, d.column, d.end_column) for d in result.diagnostics]
    assert found == [(2, 3, 5, 18), (2, 4, 10, 33), (2, 10, 15, 58)]
    # A file the notebook writes after the run is not the one the run reads.
    later = write_notebook(
        tmp_path / "later.ipynb",
        "!promptfoo eval -c pf.yaml",
        "%%writefile pf.yaml\n" + FLOATING_PROMPTFOO,
    )
    assert lint_file(FileJob(later, later.name, frozenset({"NBG101"}))).diagnostics == []


# -- conversion ---------------------------------------------------------------------------------


def test_convert_leaves_no_task_for_a_download_its_fetcher_verifies(tmp_path: Path) -> None:
    source = write_notebook(
        tmp_path / "eval.ipynb",
        "import pooch\nimport pandas as pd\n"
        'path = pooch.retrieve("https://example.org/evals/golden.csv", '
        'known_hash="sha256:9f2c1d0e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d")\n'
        "df = pd.read_csv(path)",
        'unpinned = pd.read_csv("https://example.org/evals/extra.csv")',
    )
    result = convert_notebook(source, ConversionOptions())
    remote = [task.message for task in result.human if task.code == "NBG202"]
    assert len(remote) == 1 and "extra.csv" in remote[0], remote


def test_a_generator_passed_in_is_seeded_where_the_caller_builds_it(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "import random\n"
        "def sample_docs(docs, k, rng: random.Random):\n    return rng.sample(docs, k)\n"
        "def pick(rows, gen):\n    return gen.sample(rows, 2)",
        "picked = sample_docs(docs, 3, random.Random(13))\nother = pick(rows, source)",
        codes="NBG301,NBG302",
    )
    assert found == [("NBG302", 2, 5)]  # ``gen`` may be anything with a sample method


def test_draws_on_one_line_are_one_finding(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "from random import randint\n"
        "def get_weather(location):\n"
        '    conditions = ["sunny", "rainy"]\n'
        '    return f"{conditions[randint(0, 1)]}, high of {randint(10, 30)}"\n'
        "x = randint(0, 9)",
        'print(get_weather("Paris"))',
        codes="NBG301",
    )
    assert found == [("NBG301", 2, 4), ("NBG301", 2, 5)]


def test_curl_printed_to_the_cell_or_into_a_key_ring_is_not_a_download(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        'BASE = "http://nims.example.com/llm"',
        "!curl '{BASE}/v1/models' -H 'Accept: application/json'\n"
        "!curl -fsSL https://www.example.org/keys/ACCC4CF8.asc | gpg --dearmor > /dev/null\n"
        "!wget https://huggingface.co/org/model/resolve/main/model.llamafile",
        "!curl -s https://raw.githubusercontent.com/org/db/master/seed.sql | sqlite3 eval.db\n"
        "!curl -s https://raw.githubusercontent.com/org/evals/main/qa.jsonl",
    )
    assert found == [("NBG202", 4, 1), ("NBG202", 4, 2)]


def test_files_a_tool_writes_a_helper_downloads_or_git_clones_are_the_notebooks_own(
    tmp_path: Path,
) -> None:
    found = lint_cells(
        tmp_path,
        'evaluator.plot_metrics(csv_files=["results.csv"], output_file="summary.png")\n'
        "import matplotlib.image as mpimg\nimg = mpimg.imread('summary.png')",
        'paper.download_pdf(filename="hnsw.pdf")\n'
        'docs = PDFReader().load_data(file=Path("./hnsw.pdf"))',
        "!git clone https://github.com/org/papers.git",
        'from pathlib import Path\npdfs = [open(p, "rb").read() for p in Path("./papers/pdf").glob("*.pdf")]',
        'report = PDFReader().load_data(file=Path("./handbook.pdf"))',
    )
    assert found == [("NBG201", 6, 1)]


# -- datasets: live web content read as the corpus ------------------------------------------------


def test_web_page_loaders_and_readers_are_reported_at_each_url_or_title(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "from langchain_community.document_loaders import WebBaseLoader\n"
        "pages = [\n"
        '    "https://blog.example.org/posts/agents/",\n'
        '    "https://blog.example.org/posts/evals/",\n'
        "]\n"
        "docs = [WebBaseLoader(page).load() for page in pages]",
        "from llama_index.core import download_loader\n"
        'Wiki = download_loader("WikipediaReader")\n'
        'articles = Wiki().load_data(pages=["Lisbon"])',
        "from haystack.components.fetchers import LinkContentFetcher\n"
        'streams = LinkContentFetcher().run(urls=["https://news.example.org/today"])',
    )
    assert found == [("NBG202", 2, 3), ("NBG202", 2, 4), ("NBG202", 3, 3), ("NBG202", 4, 2)]


def test_archived_or_local_web_pages_and_unrelated_load_calls_are_not_reported(
    tmp_path: Path,
) -> None:
    found = lint_cells(
        tmp_path,
        "from langchain_community.document_loaders import WebBaseLoader\n"
        'snap = "https://web.archive.org/web/20240601000000/https://blog.example.org/posts/agents/"\n'
        "docs = WebBaseLoader(snap).load()\n"
        'dev = WebBaseLoader("http://localhost:8000/docs").load()',
        "import json\n"
        "reader = MyReader()\n"
        'rows = reader.load_data(pages=["Lisbon"])\n'
        'state = json.loads("{}")',
    )
    assert found == []


# -- models: Mistral Agents and Conversations APIs ------------------------------------------------


def test_mistral_agents_and_conversations_with_a_model_need_completion_args(
    tmp_path: Path,
) -> None:
    found = lint_cells(
        tmp_path,
        "from mistralai import Mistral\nclient = Mistral()",
        "reply = await client.beta.conversations.start_async(\n"
        '    model="mistral-medium-2505", inputs=[{"role": "user", "content": "hi"}]\n)',
        "tutor = await client.beta.agents.create_async(\n"
        '    model="mistral-medium-2505", name="tutor", instructions="Be brief."\n)',
        "async for event in await client.beta.conversations.start_stream_async(\n"
        '    agent_id=tutor.id, inputs="hi"\n):\n    print(event)',
        codes="NBG103",
    )
    assert found == [("NBG103", 3, 1), ("NBG103", 4, 1)]


def test_mistral_agent_with_completion_args_is_set_and_asked_for_its_seed(
    tmp_path: Path,
) -> None:
    found = lint_cells(
        tmp_path,
        "from mistralai import Mistral\n"
        "from mistralai.models import CompletionArgs\n"
        "client = Mistral()\n"
        'judge = client.beta.agents.create(model="mistral-medium-2505", name="judge",\n'
        "    completion_args=CompletionArgs(temperature=0, random_seed=7))\n"
        'writer = client.beta.agents.create(model="mistral-medium-2505", name="writer",\n'
        '    completion_args={"temperature": 0.7})',
        codes="NBG103,NBG303",
    )
    assert found == [("NBG303", 2, 7)]


def test_an_openai_client_sent_to_anthropics_compatible_endpoint_takes_no_seed(
    tmp_path: Path,
) -> None:
    """Anthropic's OpenAI-compatible endpoint ignores ``seed``: NBG303 has no seed to ask for
    there, while the same request to OpenAI (or a vLLM server) is asked for one."""
    found = lint_cells(
        tmp_path,
        "from openai import OpenAI\n"
        'claude = OpenAI(base_url="https://api.anthropic.com/v1/")\n'
        "answer = claude.chat.completions.create(\n"
        '    model="claude-sonnet-4-20250514", messages=[], temperature=0.7)\n'
        'local = OpenAI(base_url="http://localhost:8000/v1")\n'
        "draft = local.chat.completions.create(\n"
        '    model="org/model", messages=[], temperature=0.7)',
        codes="NBG303",
    )
    assert found == [("NBG303", 2, 7)]


# -- models: Haystack local generators ------------------------------------------------------------


def test_haystack_local_generator_repo_is_a_model_pinned_by_pipeline_kwargs(
    tmp_path: Path,
) -> None:
    found = lint_cells(
        tmp_path,
        "from haystack.components.generators import HuggingFaceLocalGenerator\n"
        'floating = HuggingFaceLocalGenerator("org/extractor-7b",\n'
        '    huggingface_pipeline_kwargs={"device_map": "auto"})',
        "pinned = HuggingFaceLocalGenerator(\n"
        '    "org/extractor-7b",\n'
        "    huggingface_pipeline_kwargs={\n"
        '        "model_kwargs": {"revision": "3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a"}\n'
        "    },\n)",
        codes="NBG101",
    )
    assert found == [("NBG101", 2, 2)]


# -- datasets: image files embedded as the retrieval corpus ---------------------------------------


def test_images_embedded_through_a_notebook_function_are_reported_at_each_path(
    tmp_path: Path,
) -> None:
    found = lint_cells(
        tmp_path,
        "from fastembed import LateInteractionMultimodalEmbedding\n"
        'embedder = LateInteractionMultimodalEmbedding(model_name="org/vision-retriever")\n'
        "def index_page(page_path, page_id):\n"
        "    return list(embedder.embed_image([page_path]))[0]",
        "SCANS = [\n"
        '    "scans/invoice.png",\n'
        '    "scans/letter.jpg",\n'
        "]\n"
        "for number, scan in enumerate(SCANS):\n"
        "    index_page(scan, number)\n"
        'relevance = {"invoice totals": {"scans/invoice.png": 3}}',
        codes="NBG201",
    )
    assert found == [("NBG201", 3, 2), ("NBG201", 3, 3)]


def test_zip_and_enumerate_loops_give_their_items_to_a_reader(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "import pandas as pd\n"
        'SPLITS = ["dev", "test"]\n'
        'FILES = [\n    "data/dev.csv",\n    "data/test.csv",\n]\n'
        "frames = {}\n"
        "for split, path in zip(SPLITS, FILES):\n"
        "    frames[split] = pd.read_csv(path)",
        "import numpy as np\nfor i, label in enumerate(SPLITS):\n    print(i, label)",
        codes="NBG201",
    )
    assert found == [("NBG201", 2, 4), ("NBG201", 2, 5)]


# -- seeds: clustering that falls back to numpy's global generator --------------------------------


def test_clustering_without_a_seed_is_a_global_numpy_draw(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "import numpy as np\n"
        "from scipy.cluster.vq import kmeans2\n"
        "from sklearn.cluster import KMeans\n"
        "def pool(vectors, k=16):\n"
        '    centroids, _ = kmeans2(vectors, k, minit="++")\n'
        "    return centroids",
        "pooled = pool(np.ones((64, 4)))\n"
        "topics = KMeans(n_clusters=4, random_state=0).fit_predict(np.ones((64, 4)))",
        "np.random.seed(0)\nlater = KMeans(n_clusters=4).fit_predict(np.ones((64, 4)))",
        codes="NBG301,NBG302",
    )
    assert found == [("NBG301", 2, 5)]


# -- models: experiment records -------------------------------------------------------------------


def test_ids_that_describe_an_experiment_record_are_not_models(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "from athina.interfaces.athina import AthinaExperiment\n"
        "record = AthinaExperiment(\n"
        '    experiment_name="baseline",\n'
        '    language_model_id="gpt-3.5-turbo",\n'
        ")",
        'run = TrackedExperiment(name="judge sweep", model="gpt-4o")',
        codes="NBG101",
    )
    assert found == [("NBG101", 3, 1)]


# -- models: ids handed to the notebook's own functions -------------------------------------------


def test_ids_passed_to_a_helper_that_calls_a_model_are_reported_where_written(
    tmp_path: Path,
) -> None:
    found = lint_cells(
        tmp_path,
        "from openai import OpenAI\nclient = OpenAI()\n"
        "def ask(q, m):\n"
        "    return client.chat.completions.create(model=m, temperature=0, messages=[])\n"
        'def judge(q, model="gpt-4o-mini"):\n'
        "    return ask(q, model)",
        'r = ask("hi", "gpt-4-turbo")\nr2 = ask("hi", m="gpt-4o")',
        'PINNED = "gpt-4o-2024-08-06"\nr3 = ask("hi", PINNED)\nr4 = judge("hi")',
        'def loop(m):\n    return loop(m)\nloop("gpt-4o")',
        codes="NBG101",
    )
    # The judge's default reaches the model through two helpers; the recursive function that
    # calls no model is no model call.
    assert found == [("NBG101", 2, 5), ("NBG101", 3, 1), ("NBG101", 3, 2)]


def test_ids_iterated_into_a_helper_are_each_reported(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "def ask(m, q):\n"
        "    return client.chat.completions.create(model=m, temperature=0, messages=[])",
        'for m in ["gpt-4o", "gpt-4o-2024-08-06"]:\n    ask(m, "hi")',
        'scores = {x: ask(x, "hi") for x in ("gpt-4-turbo", "o3-mini-2025-01-31")}',
        codes="NBG101",
    )
    assert found == [("NBG101", 3, 1), ("NBG101", 4, 1)]


def test_ollama_tags_through_its_clients_and_servers_float(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        'from ollama import AsyncClient, Client\noc = Client(host="http://localhost:11434")\n'
        'r = oc.chat(model="llama3", messages=[])\n'
        'r2 = await AsyncClient().chat(model="llama3.1", messages=[])',
        'from openai import OpenAI\nol = OpenAI(base_url="http://ollama:11434/v1", api_key="x")\n'
        'r3 = ol.chat.completions.create(model="mistral", temperature=0, messages=[])',
        'import requests\nr4 = requests.post("http://localhost:11434/api/chat",\n'
        '    json={"model": "qwen2.5", "messages": []})',
        'vllm = OpenAI(base_url="http://localhost:8000/v1")\n'
        'r5 = vllm.chat.completions.create(model="judge", temperature=0, messages=[])\n'
        'r6 = requests.post("http://localhost:8080/api/chat", json={"model": "bot", "messages": []})',
        codes="NBG101",
    )
    # A name served by vLLM or another local server is not an Ollama tag.
    assert found == [("NBG101", 2, 3), ("NBG101", 2, 4), ("NBG101", 3, 3), ("NBG101", 4, 3)]


def test_ids_logged_or_written_beside_scores_are_labels(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        'import mlflow, wandb\nmlflow.log_params({"model": "gpt-4o"})\n'
        'wandb.init(project="evals", config={"model": "gpt-4o"})',
        'results.append({"model": "gpt-4o", "score": s})\n'
        'row = {"model": "claude-3-5-sonnet-latest", "accuracy": 0.9}',
        'cfg = {"model": "gpt-4o-mini", "temperature": 0, "score": None}\n'
        "reply = client.chat.completions.create(**cfg, messages=[])",
        codes="NBG101",
    )
    # The dict that is sent to the model is a configuration, whatever else it holds.
    assert found == [("NBG101", 4, 1)]


# -- seeds: draws in a callback handed over inside a function the notebook calls ----------------


def test_a_callback_handed_over_inside_a_called_function_runs_its_draws(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        'import random\ndef guess_label(text):\n    return random.choice(["pos", "neg"])',
        "def run_evals():\n    harness.evaluate(task=guess_label)",
        "def never_called():\n    harness.evaluate(task=guess_label)",
        "run_evals()",
        codes="NBG301",
    )
    assert found == [("NBG301", 2, 3)]


def test_a_callback_handed_over_only_in_an_uncalled_function_never_runs(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        'import random\ndef guess_label(text):\n    return random.choice(["pos", "neg"])',
        "def run_evals():\n    harness.evaluate(task=guess_label)",
        codes="NBG301",
    )
    assert found == []


# -- models: a server the notebook launches pinned --------------------------------------------------


def test_request_to_the_notebooks_pinned_server_is_not_a_floating_id(tmp_path: Path) -> None:
    launch = (
        "!vllm serve Qwen/Qwen2.5-7B-Instruct --revision a09a35458c702b33eeacc393d103063234e8bc28 &"
    )
    request = (
        "from openai import OpenAI\n"
        'client = OpenAI(base_url="{url}", api_key="EMPTY")\n'
        'out = client.chat.completions.create(model="Qwen/Qwen2.5-7B-Instruct", temperature=0,'
        " seed=0, messages=[])"
    )
    local = lint_cells(
        tmp_path, launch, request.format(url="http://localhost:8000/v1"), codes="NBG101"
    )
    assert local == []
    # The same id asked of a hosted service is not what the launch line pinned.
    hosted = lint_cells(
        tmp_path, launch, request.format(url="https://api.together.xyz/v1"), codes="NBG101"
    )
    assert hosted == [("NBG101", 3, 3)]
    # Without a commit on the launch line, the local request is reported.
    unpinned = lint_cells(
        tmp_path,
        "!vllm serve Qwen/Qwen2.5-7B-Instruct &",
        request.format(url="http://localhost:8000/v1"),
        codes="NBG101",
    )
    assert unpinned == [("NBG101", 3, 3)]


# -- models: the notebook's own function named like an API method ---------------------------------


def test_own_function_named_like_an_llm_method_is_reported_at_its_request(
    tmp_path: Path,
) -> None:
    found = lint_cells(
        tmp_path,
        "from openai import OpenAI\nclient = OpenAI()\n"
        "def create_assistant(file_ids):\n"
        '    return client.beta.assistants.create(model="gpt-4-1106-preview", name="rag")',
        "assistant = create_assistant([])",
        codes="NBG103",
    )
    assert found == [("NBG103", 2, 4)]


def test_a_document_uploaded_to_a_hosted_rag_collection_is_read(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "import chatbees as cb\n"
        'collection = cb.create_collection(cb.Collection(name="essays"))\n'
        'collection.upload_document("./essays.txt")\n'
        "collection.upload_document(notes)",
        codes="NBG201",
    )
    assert found == [("NBG201", 2, 3)]


def test_a_fetched_page_parsed_as_html_is_live_web_content(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "import requests\nfrom bs4 import BeautifulSoup\n"
        "def page_text():\n"
        '    url = "https://blog.example.org/posts/agents/"\n'
        "    response = requests.get(url)\n"
        '    return BeautifulSoup(response.content, "html.parser").get_text()\n'
        "context = page_text()",
        'health = requests.get("https://api.example.org/health").json()\n'
        'front = BeautifulSoup(open("saved/front.html").read(), "html.parser")\n'
        'dev = BeautifulSoup(requests.get("http://localhost:8000/").text, "html.parser")',
        codes="NBG202",
    )
    assert found == [("NBG202", 2, 4)]


def test_kwargs_built_by_a_notebook_function_carry_the_keys_it_returns(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "from openai import OpenAI\nclient = OpenAI()\n"
        "def build_kwargs(*, query, model):\n"
        '    return dict(model=model, temperature=0, messages=[{"role": "user", "content": query}])\n'
        "def build_loose(*, query, model):\n"
        '    return {"model": model, "messages": [{"role": "user", "content": query}]}',
        'set_args = build_kwargs(query="q", model="gpt-4o-2024-08-06")\n'
        "reply = client.chat.completions.create(**set_args)\n"
        'loose_args = build_loose(query="q", model="gpt-4o-2024-08-06")\n'
        "other = client.chat.completions.create(**loose_args)",
        codes="NBG103",
    )
    assert found == [("NBG103", 3, 4)]


def test_files_a_duckdb_query_reads_are_datasets_and_copy_to_writes(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "import duckdb\n"
        'RUNS = "assets/runs.parquet"\n'
        "duckdb.sql(f\"CREATE TABLE runs AS SELECT * FROM '{RUNS}'\")",
        "con = duckdb.connect()\n"
        "con.execute(\"SELECT * FROM read_csv('data/qa.csv')\")\n"
        "con.sql(\"COPY runs TO 'out/runs.parquet'\")\n"
        'con.sql("SELECT * FROM runs").fetchall()',
        codes="NBG201",
    )
    assert found == [("NBG201", 2, 2), ("NBG201", 3, 2)]


def test_urls_fed_to_a_haystack_pipeline_fetcher_are_live_web_content(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "from haystack import Pipeline\n"
        "from haystack.components.fetchers import LinkContentFetcher\n"
        "pipe = Pipeline()\n"
        'pipe.add_component("fetcher", LinkContentFetcher())\n'
        "def summarise(url=None, text=None):\n"
        "    urls = []\n"
        "    if url:\n"
        "        urls.append(url)\n"
        '    return pipe.run(data={"fetcher": {"urls": urls}})',
        'summarise(url="https://news.example.org/story-1")\nsummarise(text="pasted text")',
        'pipe.run(data={"fetcher": {"urls": ["https://news.example.org/story-2"]}})',
        codes="NBG202",
    )
    assert found == [("NBG202", 3, 1), ("NBG202", 4, 1)]


def test_local_transformers_generate_without_sampling_settings(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "from transformers import AutoProcessor, Qwen2VLForConditionalGeneration\n"
        "class Reader:\n"
        "    def __init__(self):\n"
        '        self.model = Qwen2VLForConditionalGeneration.from_pretrained("org/vl-3b")\n'
        '        self.processor = AutoProcessor.from_pretrained("org/vl-3b")\n'
        "    def answer(self, text):\n"
        "        inputs = self.processor(text=[text], return_tensors='pt').to('cuda')\n"
        "        return self.model.generate(**inputs, max_new_tokens=64)\n"
        "    def greedy(self, text):\n"
        "        inputs = self.processor(text=[text], return_tensors='pt')\n"
        "        return self.model.generate(**inputs, do_sample=False)",
        'gen = pipe.generate("hi")',
        codes="NBG103",
    )
    assert found == [("NBG103", 2, 8)]


def test_openai_reasoning_models_are_not_asked_for_a_temperature(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "from openai import OpenAI\nclient = OpenAI()\n"
        'REASONER = "o3-mini"\n'
        "plan = client.chat.completions.create(model=REASONER, messages=[])\n"
        'chat = client.chat.completions.create(model="gpt-4o-2024-08-06", messages=[])',
        codes="NBG103",
    )
    assert found == [("NBG103", 2, 5)]


def test_bootstrap_and_resample_without_a_seed_draw_from_numpy(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "import numpy as np\n"
        "from scipy import stats\n"
        "from sklearn.utils import resample\n"
        "scores = np.array([0.1, 0.9, 0.5])\n"
        "ci = stats.bootstrap((scores,), np.mean)\n"
        "boot = resample(scores, random_state=0)\n"
        "fixed = stats.bootstrap((scores,), np.mean, rng=np.random.default_rng(0))",
        codes="NBG301",
    )
    assert found == [("NBG301", 2, 5)]


def test_a_key_file_is_not_a_dataset(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        'import json\nwith open("openai_api_key.json") as f:\n    key = json.load(f)["key"]',
        codes="NBG201",
    )
    assert found == []


def test_a_helper_named_as_a_reader_reads_its_data_file(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "from eval_utils import load_jsonl, load_model\n"
        "from open_rag_eval.connectors import CSVConnector\n"
        'cases = load_jsonl("data/cases.jsonl")\n'
        'runs = CSVConnector("../data/runs.csv").fetch_data()\n'
        'clf = load_model("classifier.pkl")\n'
        'settings = load_settings("settings.json")',
        codes="NBG201",
    )
    assert found == [("NBG201", 2, 3), ("NBG201", 2, 4)]


def test_the_responses_api_takes_no_seed(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "from openai import OpenAI\nclient = OpenAI()\n"
        'a = client.responses.create(model="gpt-4o-2024-08-06", input="x", temperature=0.7)\n'
        'b = client.chat.completions.create(model="gpt-4o-2024-08-06", messages=[], temperature=0.7)',
        codes="NBG303",
    )
    assert found == [("NBG303", 2, 4)]


def test_api_results_saved_to_a_file_and_read_back_are_not_datasets(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "import json, pandas as pd\n"
        "from together import Together\n"
        "client = Together()\n"
        'RESULTS = "./judged.jsonl"\n'
        "client.files.retrieve_content(job.output_file_id, output=RESULTS)",
        "from openai import OpenAI\n"
        "OpenAI().files.content(batch.output_file_id).write_to_file('batch_out.jsonl')",
        "graded = pd.read_json(RESULTS, lines=True)\n"
        "answers = pd.read_json('batch_out.jsonl', lines=True)\n"
        "gold = pd.read_json('gold.jsonl', lines=True)",
        codes="NBG201",
    )
    assert found == [("NBG201", 4, 3)]


def test_a_seed_earlier_in_the_same_function_seeds_its_draws(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "import random\nimport numpy as np\nSEED = 7\n"
        "def split(rows):\n"
        "    random.seed(SEED)\n"
        "    random.shuffle(rows)\n"
        "    return rows[:10]\n"
        "def noisy(rows):\n"
        "    np.random.shuffle(rows)\n"
        "    np.random.seed(SEED)\n"
        "    return rows",
        "train = split(list(range(100)))\nother = noisy(list(range(100)))",
        codes="NBG301",
    )
    assert found == [("NBG301", 2, 9)]


def test_paths_anchored_at_the_working_directory_name_the_relative_file(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "import os\nimport pandas as pd\nfrom pathlib import Path\n"
        "from langchain_community.document_loaders import PyPDFDirectoryLoader\n"
        "here = os.getcwd()\nroot = Path().resolve().parent\n"
        'pdfs = PyPDFDirectoryLoader(f"{here}/filings").load()\n'
        'gold = pd.read_csv(root / "gold" / "answers.csv")\n'
        'pd.DataFrame(rows).to_csv(os.path.join(os.getcwd(), "scores.csv"))',
        'scores = pd.read_csv(Path.cwd() / "scores.csv")',
        codes="NBG201",
    )
    assert found == [("NBG201", 2, 7), ("NBG201", 2, 8)]


def test_a_draw_that_only_makes_a_run_name_unique_is_not_eval_randomness(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "import random\n"
        "for model in models:\n"
        "    tag = random.randint(1000, 9999)\n"
        '    evaluate(evaluation_name="run-" + str(tag), data="qa.jsonl")\n'
        'index_name = f"docs-{random.randint(0, 99)}"\n'
        "size = random.randint(10, 20)\n"
        'evaluate(evaluation_name=f"n{size}", data=rows[:size])',
        codes="NBG301",
    )
    assert found == [("NBG301", 2, 6)]


def test_a_file_uploaded_for_a_hosted_eval_is_read(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "import boto3, json\n"
        'data_id, _ = project_client.upload_file("./eval_cases.jsonl")\n'
        's3 = boto3.client("s3")\n'
        's3.upload_file("gold.jsonl", "evals-bucket", "in/gold.jsonl")',
        "with open('generated.jsonl', 'w') as f:\n    f.write(json.dumps(rows))\n"
        's3.upload_file("generated.jsonl", "evals-bucket", "in/generated.jsonl")\n'
        'scores.to_csv("scores.csv")\n'
        's3.upload_file(Filename="scores.csv", Bucket="evals-bucket", Key="out/scores.csv")',
        codes="NBG201",
    )
    assert found == [("NBG201", 2, 2), ("NBG201", 2, 4)]


def test_wikipedia_package_articles_are_live_web_content(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        'import wikipedia\nTOPIC = "Grace Hopper"\nhit = wikipedia.search(TOPIC)[0]',
        "text = wikipedia.page(hit).content\n"
        'intro = wikipedia.summary("COBOL", sentences=2)\n'
        "chapter = book.page(3)",
        codes="NBG202",
    )
    assert found == [("NBG202", 2, 2), ("NBG202", 3, 2)]


def test_an_object_store_copy_to_a_bucket_uploads_and_downloads_nothing(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        'OUT = "gs://my-evals/converted"\n!gsutil -m rsync -r -d ./converted $OUT',
        "!gsutil cp scores.json gs://my-evals/scores.json\n"
        "!aws s3 cp s3://public-evals/qa.jsonl data/qa.jsonl --quiet",
        "import pandas as pd\nqa = pd.read_json('data/qa.jsonl', lines=True)",
    )
    assert found == [("NBG202", 3, 2)]


def test_vertex_eval_sources_and_files_of_prompts_are_data(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "from vertexai import Client\nfrom vertexai.evaluation import EvalTask\n"
        "client = Client()\n"
        'r = client.evals.run_inference(model=M, src="gs://evals/test_prompts.jsonl")\n'
        'task = EvalTask(dataset="gs://evals/qa.jsonl", metrics=["exact_match"])\n'
        "frame = EvalTask(dataset=df, metrics=[])",
        "import json, pandas as pd\n"
        'rows = pd.read_json("eval_prompts.jsonl", lines=True)\n'
        'judge = json.load(open("judge_prompt.json"))\n'
        'logo = Image(src="gs://site/logo.jsonl")',
    )
    assert found == [("NBG201", 3, 2), ("NBG202", 2, 4), ("NBG202", 2, 5)]


def test_a_download_helper_composing_its_url_from_parameters(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "import requests\n"
        "def fetch(base, name):\n"
        "    reply = requests.get(base + name)\n"
        '    with open(name, "wb") as out:\n'
        "        out.write(reply.content)\n"
        "def fetch_pinned(name):\n"
        '    reply = requests.get(f"https://example.org/archive/v1/{name}")\n'
        "    return reply.json()",
        'DOCS = "https://github.com/org/papers/raw/main/pdfs/"\n'
        'for paper in ["a.pdf", "b.pdf"]:\n'
        "    fetch(DOCS, paper)\n"
        'fetch("https://github.com/org/papers/raw/'
        '3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a/pdfs/", "c.pdf")\n'
        'fetch_pinned("qa.json")',
        codes="NBG202",
    )
    assert found == [("NBG202", 3, 1)]


def test_data_read_from_an_unpinned_git_clone(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "!git clone --depth 1 https://github.com/org/eval-data\n"
        "!git clone https://github.com/org/helpers.git",
        "import pandas as pd, sys\n"
        'qa = pd.read_csv("eval-data/qa.csv")\n'
        'sys.path.append("helpers")',
        "!git clone https://github.com/org/bench bench_repo\n"
        "!git -C bench_repo checkout 3f1c2a9b\n"
        'cases = pd.read_json("bench_repo/cases.jsonl", lines=True)',
    )
    assert found == [("NBG202", 2, 1)]


def test_a_random_id_of_letters_and_digits_is_not_eval_randomness(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "import random, string\n"
        "def get_id(length=8):\n"
        '    return "".join(random.choices(string.ascii_lowercase + string.digits, k=length))\n'
        "def pick(rows):\n"
        "    return random.choices(rows, k=3)",
        'run = f"eval-{get_id()}"\nshots = pick(examples)',
        codes="NBG301",
    )
    assert found == [("NBG301", 2, 5)]


def test_rows_sampled_only_to_be_shown_are_not_the_eval_subset(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "import pandas as pd\n"
        'df = pd.read_csv("qa.csv")\n'
        "display(df.sample(3))\n"
        "print(df.sample(2))\n"
        "df.sample(5)",
        "def display_explanations(table, n=1):\n"
        "    for _, row in table.sample(n=n).iterrows():\n"
        '        print(row["explanation"])\n'
        "eval_rows = df.sample(n=50)",
        codes="NBG302",
    )
    assert found == [("NBG302", 3, 4)]


def test_fsspec_and_smart_open_read_remote_and_local_files(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "import fsspec, json, smart_open\n"
        'with fsspec.open("s3://pub-evals/qa.jsonl") as f:\n'
        "    rows = [json.loads(line) for line in f]\n"
        'with smart_open.open("data/gold.jsonl") as g:\n'
        "    gold = g.read()\n"
        'with fsspec.open("gs://my-evals/out.jsonl", "w") as h:\n'
        '    h.write("done")',
    )
    assert found == [("NBG201", 2, 4), ("NBG202", 2, 2)]


def test_a_judge_rubric_in_markdown_is_a_prompt_not_a_corpus(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        'rubric = open("judge_rubric.md").read()\n'
        'guide = open("labelling_guidelines.txt").read()\n'
        'faq = open("support_faq.md").read()',
        codes="NBG201",
    )
    assert found == [("NBG201", 2, 3)]


def test_a_url_with_a_blank_bucket_placeholder_names_no_location(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        'BUCKET = ""  # @param {type: "string"}\n'
        "import pandas as pd\n"
        'results = pd.read_json(f"gs://{BUCKET}/run/eval_results.json")\n'
        'gold = pd.read_json("gs://public-evals/gold.jsonl", lines=True)',
        codes="NBG202",
    )
    assert found == [("NBG202", 2, 4)]


# -- models and sampling --------------------------------------------------------------------------


def test_a_vertex_eval_task_run_on_a_model_name_samples_with_its_defaults(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "from vertexai.evaluation import EvalTask\n"
        "from vertexai.generative_models import GenerativeModel\n"
        'task = EvalTask(dataset=rows, metrics=["fluency"])\n'
        'named = task.evaluate(model="gemini-2.0-flash-001", prompt_template="{q}")\n'
        "def answer(prompt):\n    return prompt\n"
        "own = task.evaluate(model=answer)\n"
        "tuned = task.evaluate(\n"
        '    model=GenerativeModel("gemini-2.0-flash-001", generation_config={"temperature": 0}))\n'
        'bare = task.evaluate(model=GenerativeModel("gemini-2.0-flash-001"))',
        codes="NBG103",
    )
    assert found == [("NBG103", 2, 4), ("NBG103", 2, 10)]


def test_an_http_request_to_an_llm_server_samples_as_its_payload_says(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "import requests\n"
        'url = "http://localhost:8000/v1/chat/completions"\n'
        'plain = requests.post(url, json={"model": "org/chat-7b", "messages": []})\n'
        'payload = {"model": "org/chat-7b", "messages": [], "temperature": 0.7}\n'
        "hot = requests.post(url, json=payload)",
        "import httpx\n"
        'ollama = httpx.post("http://localhost:11434/api/generate",\n'
        '    json={"model": "llama3", "prompt": "hi", "options": {"temperature": 0, "seed": 1}})\n'
        'hook = requests.post(webhook, json={"text": "done", "model": "report"})',
        codes="NBG103,NBG303",
    )
    assert found == [("NBG103", 2, 3), ("NBG303", 2, 4)]


def test_a_guardrails_guard_asked_to_call_an_llm_is_an_llm_call(tmp_path: Path) -> None:
    guard = "from guardrails import Guard\nimport openai\nguard = Guard().use(Checker())"
    bad = lint_cells(
        tmp_path,
        guard,
        "out = guard(openai.chat.completions.create,\n"
        '    model="gpt-4o-2024-08-06", messages=[], temperature=0.7)',
        "fixed = guard.parse(llm_output=text, llm_api=openai.chat.completions.create,\n"
        '    model="gpt-4o-2024-08-06", num_reasks=1)',
        'typed = Guard.for_pydantic(Answer)(model="gpt-4o-2024-08-06", messages=[],\n'
        "    temperature=0.4)",
        codes="NBG103,NBG303",
    )
    assert bad == [("NBG103", 4, 1), ("NBG303", 3, 2), ("NBG303", 5, 2)]
    good = lint_cells(
        tmp_path,
        guard,
        "out = guard(openai.chat.completions.create,\n"
        '    model="gpt-4o-2024-08-06", messages=[], temperature=0.7, seed=13)',
        "checked = guard.validate(text)\nparsed = guard.parse(text)",
        'reply = guard(model="claude-3-5-sonnet-20241022", messages=[], temperature=0.7)',
        codes="NBG103,NBG303",
    )
    assert good == []


def test_each_gemini_request_needs_its_own_temperature(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "from google import genai\nfrom vertexai.generative_models import GenerativeModel\n"
        "client = genai.Client()\n"
        'tuned = GenerativeModel("gemini-1.5-pro-002", generation_config={"temperature": 0})',
        'a = tuned.generate_content("hi")\n'
        'b = client.models.generate_content(model="gemini-2.0-flash-001", contents="hi")',
        "for chunk in client.models.generate_content_stream(\n"
        '        model="gemini-2.0-flash-001", contents="hi", config={"temperature": 0.8}):\n'
        "    print(chunk.text)",
        'c = client.models.generate_content_stream(model="gemini-2.0-flash-001", contents="x")',
        codes="NBG103,NBG303",
    )
    assert found == [("NBG103", 3, 2), ("NBG103", 5, 1), ("NBG303", 4, 2)]


def _messages(tmp_path: Path, source: str, code: str) -> list[str]:
    path = write_notebook(tmp_path / "eval.ipynb", source)
    result = lint_file(FileJob(path, path.name, frozenset({code})))
    assert result.error is None, result.error
    return [d.message for d in result.diagnostics]


def test_an_org_name_id_sent_to_a_hosted_api_floats_with_no_revision_to_pin(
    tmp_path: Path,
) -> None:
    hosted = _messages(
        tmp_path,
        "from openai import OpenAI\nfrom groq import Groq\n"
        'together = OpenAI(base_url="https://api.together.xyz/v1")\n'
        'a = together.chat.completions.create(model="meta-llama/Llama-3.3-70B-Instruct-Turbo",\n'
        "    messages=[], temperature=0)\n"
        'MODEL = "meta-llama/llama-4-scout-17b-16e-instruct"\n'
        "b = Groq().chat.completions.create(model=MODEL, messages=[], temperature=0)",
        "NBG101",
    )
    assert len(hosted) == 2
    assert "Together AI's name" in hosted[0] and "Groq's name" in hosted[1]
    assert not any("revision=" in message for message in hosted)
    local = _messages(
        tmp_path,
        "from openai import OpenAI\n"
        'vllm = OpenAI(base_url="http://localhost:8000/v1", api_key="EMPTY")\n'
        'c = vllm.chat.completions.create(model="Qwen/Qwen2.5-7B-Instruct", messages=[],\n'
        "    temperature=0)",
        "NBG101",
    )
    assert len(local) == 1 and 'revision="<40-hex commit>"' in local[0]
    batch = "from together import Together\nclient = Together()\n" + (
        'JUDGE_MODEL_NAME = "deepseek-ai/DeepSeek-V3"\n'
        'request = {"body": {"model": JUDGE_MODEL_NAME, "messages": []}}'
    )
    assert "Together AI's name" in _messages(tmp_path, batch, "NBG101")[0]
    weights = "from transformers import AutoModel\nm = AutoModel.from_pretrained(JUDGE_MODEL_NAME)"
    both = _messages(tmp_path, batch + "\n" + weights, "NBG101")
    assert len(both) == 1 and "revision=" in both[0]


def test_readers_and_openers_imported_under_another_name_still_read(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "import json\nfrom smart_open import open as sopen\nfrom pandas import read_csv as rc\n"
        'with sopen("s3://pub-evals/qa.jsonl") as f:\n'
        "    rows = [json.loads(line) for line in f]\n"
        'gold = rc("data/gold.csv")',
        'from pandas import DataFrame as Frame\nFrame(rows).to_csv("scored.csv")\nscored = rc("scored.csv")',
    )
    assert found == [("NBG201", 2, 6), ("NBG202", 2, 4)]


def test_a_split_imported_under_another_name_is_still_unseeded(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "from sklearn.model_selection import train_test_split as tts\n"
        "dev, test = tts(rows, test_size=0.2)\n"
        "dev2, test2 = tts(rows, test_size=0.2, random_state=7)",
        codes="NBG302",
    )
    assert found == [("NBG302", 2, 2)]


def test_the_dataset_key_of_a_hosted_eval_job_is_remote_data(tmp_path: Path) -> None:
    job = (
        'bedrock.create_evaluation_job(jobName="qa", roleArn=ROLE,\n'
        '    evaluationConfig={"automated": {"datasetMetricConfigs": metric_configs}},\n'
        '    outputDataConfig={"s3Uri": f"s3://{BUCKET}/out/"})'
    )
    configs = (
        "metric_configs = [{\n"
        '    "taskType": "QuestionAndAnswer",\n'
        '    "dataset": {"name": "qa", "datasetLocation": {"s3Uri": qa_uri}},\n'
        "}]"
    )
    found = lint_cells(
        tmp_path / "read",
        'import boto3\nbedrock = boto3.client("bedrock")\nBUCKET = "team-evals"\n'
        'qa_uri = f"s3://{BUCKET}/qa/questions.jsonl"',
        configs,
        job,
        "bedrock.create_model_invocation_job(jobName='batch', roleArn=ROLE, modelId=MODEL,\n"
        "    inputDataConfig={'s3InputDataConfig': {'s3Uri': 's3://team-evals/batch/in.jsonl'}},\n"
        "    outputDataConfig={'s3OutputDataConfig': {'s3Uri': 's3://team-evals/batch/out/'}})",
        codes="NBG202",
    )
    assert found == [("NBG202", 2, 4), ("NBG202", 5, 2)]
    uploaded = lint_cells(
        tmp_path / "uploaded",
        'import boto3\nbedrock = boto3.client("bedrock")\nBUCKET = "team-evals"\n'
        'qa_uri = f"s3://{BUCKET}/qa/questions.jsonl"\n'
        'boto3.client("s3").upload_file("questions.jsonl", BUCKET, "qa/questions.jsonl")',
        configs,
        job,
        codes="NBG202",
    )
    assert uploaded == []


def test_rows_sampled_into_a_shown_list_or_text_are_not_the_eval_subset(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        'import pandas as pd\ndf = pd.read_csv("qa.csv")',
        'df[df["label"] == "bad"]["reason"].sample(5).values.tolist()',
        "print(df.sample(3).to_string())",
        'df.sample(frac=1).reset_index(drop=True).to_csv("eval_subset.csv")',
        "subset = df.sample(20).values.tolist()",
        codes="NBG302",
    )
    assert found == [("NBG302", 5, 1), ("NBG302", 6, 1)]


# -- cells written for Python 3.12 (PEP 701 f-strings) --------------------------------------------


def _positions(tmp_path: Path, *sources: str) -> list[tuple[str, int, int, int]]:
    path = write_notebook(tmp_path / "eval.ipynb", *sources)
    result = lint_file(FileJob(path, path.name, frozenset({"NBG101", "NBG301", "NBG703"})))
    assert result.error is None, result.error
    return sorted((d.code, d.cell, d.row, d.column) for d in result.diagnostics)


_PEP_701_CELL = (
    'row = {"question": "2+2?"}\n'
    'prompt = f"Q: {row["question"]}\\n{"\\n".join(random.sample(hints, 2))}"\n'
    'reply = client.chat.completions.create(model="{model}", temperature=0, seed=7, '
    'messages=[{"role": "user", "content": prompt}])\n'
    'print(f"{reply.choices[0].message.content  # the answer\n}")'
)


def test_a_cell_with_python_312_fstrings_is_analysed_on_every_python(tmp_path: Path) -> None:
    # The nested quotes, the backslash and the comment inside replacement fields parse only on
    # Python 3.12+; on older Pythons the cell is rewritten, not left out as a syntax error.
    setup = "import random\nfrom openai import OpenAI\nclient = OpenAI()\nhints = ['a', 'b']"
    found = _positions(tmp_path / "bad", setup, _PEP_701_CELL.replace("{model}", "gpt-4o"))
    assert found == [("NBG101", 3, 3, 46), ("NBG301", 3, 2, 45)]
    seeded = setup + "\nrandom.seed(0)"
    pinned = _PEP_701_CELL.replace("{model}", "gpt-4o-2024-08-06")
    assert _positions(tmp_path / "good", seeded, pinned) == []


def test_a_python_312_cell_broken_for_another_reason_is_still_a_syntax_error(
    tmp_path: Path,
) -> None:
    found = _positions(tmp_path, 'x = f"{row["a"]}"\ndef broken(:\n    pass', "y = 1")
    assert [code for code, *_ in found] == ["NBG703"]


def test_ab_comparison_names_and_validator_llms_hold_model_ids(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        'MODEL_A_NAME = "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo"\n'
        'model_b = "gpt-4o"\n'
        'MODEL_C_CONFIG = "gpt-4o"',
        "from guardrails.hub import RestrictToTopic\n"
        'topic = RestrictToTopic(valid_topics=["sports"], llm_callable="gpt-4o-mini")',
        codes="NBG101",
    )
    assert found == [("NBG101", 2, 1), ("NBG101", 2, 2), ("NBG101", 3, 2)]


def test_a_dict_keyed_by_model_ids_describes_them(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        'JUDGE_MODELS = ["gpt-4o-2024-08-06", "claude-3-5-sonnet-20241022"]\n'
        'JUDGE_NAMES = {"gpt-4o-2024-08-06": "GPT-4o", "claude-3-5-sonnet-20241022": "Claude"}\n'
        'MODELS = {"fast": "gpt-4o-mini"}\n'
        'MODEL_IDS = {"gpt-4o-2024-08-06": "gpt-4o-2024-08-06", "gemini-2.5-pro-001": "gemini-2.5-pro"}',
        codes="NBG101",
    )
    assert found == [("NBG101", 2, 3), ("NBG101", 2, 4)]


def test_gpt5_reasoning_models_take_no_temperature_to_pin(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "from openai import OpenAI\nclient = OpenAI()\n"
        'a = client.chat.completions.create(model="gpt-5-mini-2025-08-07", messages=[])\n'
        'b = client.chat.completions.create(model="gpt-5-chat-latest", messages=[])\n'
        'c = client.chat.completions.create(model="gpt-5.1-2025-11-13", messages=[])',
        codes="NBG103",
    )
    assert found == [("NBG103", 2, 4), ("NBG103", 2, 5)]


def test_urls_unpacked_from_rows_of_a_list_or_a_dict_are_downloaded(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "import requests\nFILES = [\n"
        '    ("a.pdf", "https://raw.githubusercontent.com/org/docs/refs/heads/main/a.pdf"),\n'
        '    ("b.pdf", "https://raw.githubusercontent.com/org/docs/3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a/b.pdf"),\n'
        "]\n"
        'PAGES = {"faq.json": "https://example.org/data/faq/latest.json"}',
        "for name, url in FILES:\n"
        "    response = requests.get(url)\n"
        '    with open(f"data/{name}", "wb") as f:\n'
        "        f.write(response.content)\n"
        "for name, url in PAGES.items():\n"
        '    open(name, "wb").write(requests.get(url).content)',
        codes="NBG202",
    )
    assert found == [("NBG202", 2, 3), ("NBG202", 2, 6)]


def test_a_response_written_inside_the_with_that_opens_its_file_is_a_download(
    tmp_path: Path,
) -> None:
    found = lint_cells(
        tmp_path,
        'import requests\nurl = "https://arxiv.org/pdf/1706.03762"\n'
        'with open("data/paper.pdf", "wb") as f:\n'
        "    f.write(requests.get(url).content)",
        'status = requests.get("https://api.example.org/v1/status").json()',
        codes="NBG202",
    )
    assert found == [("NBG202", 2, 2)]


def test_vertex_eval_inference_samples_as_its_nested_content_config_says(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "import vertexai\nclient = vertexai.Client(project=PROJECT, location=LOCATION)",
        "first = client.evals.run_inference(\n"
        '    model="gemini-2.0-flash-001", src=prompts,\n'
        '    config={"generate_content_config": {"temperature": 1.6}},\n'
        ")\n"
        'second = client.evals.run_inference(model="gemini-2.0-flash-001", src=prompts)',
        "def my_agent(prompt):\n    return prompt\n"
        "third = client.evals.run_inference(model=my_agent, src=prompts)\n"
        "seeded = client.evals.run_inference(\n"
        '    model="gemini-2.0-flash-001", src=prompts,\n'
        '    config={"generate_content_config": {"temperature": 0.4, "seed": 7}},\n'
        ")",
        codes="NBG103,NBG303",
    )
    assert found == [("NBG103", 3, 5), ("NBG303", 3, 3)]


def test_the_unbound_path_open_writes_and_reads_like_open(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "from pathlib import Path\nimport pandas as pd\n"
        'out_path = "simulated_outputs.jsonl"\n'
        'with Path.open(Path(out_path), "w") as file:\n'
        "    file.write(simulated)",
        "scored = pd.read_json(out_path, lines=True)",
        'with Path.open(Path("golden.jsonl")) as f:\n    gold = f.read()',
        'with Path("adv_eval.jsonl").open("w") as f:\n    f.write(simulated)\n'
        'adv = pd.read_json("adv_eval.jsonl", lines=True)',
        codes="NBG201",
    )
    assert found == [("NBG201", 4, 1)]


def test_eval_service_data_arguments_name_their_files(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "from fmeval.data_loaders.data_config import DataConfig\n"
        'remote = DataConfig(dataset_name="qa", dataset_uri="s3://team-evals/qa.jsonl")\n'
        'local = DataConfig(dataset_name="qa", dataset_uri="data/qa.jsonl")',
        "from langsmith import Client\n"
        'Client().upload_csv(csv_file="golden.csv", input_keys=["q"], output_keys=["a"])\n'
        'report.export(csv_file="scores.csv")',
        'session.upload_data(path="test.jsonl", bucket=BUCKET, key_prefix="eval")',
    )
    assert found == [("NBG201", 2, 3), ("NBG201", 3, 2), ("NBG201", 4, 1), ("NBG202", 2, 2)]


def test_openai_evals_api_run_samples_as_its_data_source_says(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "from openai import OpenAI\nclient = OpenAI()\n"
        'source = {"type": "completions", "model": "gpt-4.1-2025-04-14", "source": rows}\n'
        "run = client.evals.runs.create(eval_id=eval_id, data_source=source)",
        "hot = client.evals.runs.create(eval_id=eval_id, data_source={\n"
        '    "type": "completions", "model": "gpt-4.1-2025-04-14",\n'
        '    "sampling_params": {"temperature": 0.7}, "source": rows})\n'
        "seeded = client.evals.runs.create(eval_id=eval_id, data_source={\n"
        '    "type": "completions", "model": "gpt-4.1-2025-04-14",\n'
        '    "sampling_params": {"temperature": 0.7, "seed": 7}, "source": rows})\n'
        'scored = client.evals.runs.create(eval_id=eval_id, data_source={"type": "jsonl"})',
        codes="NBG103,NBG303",
    )
    assert found == [("NBG103", 2, 4), ("NBG303", 3, 3)]


def test_a_seed_everything_helper_imported_under_another_name_seeds(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "import random\nfrom accelerate.utils import set_seed as seed_all_generators\n"
        "seed_all_generators(13)\nrandom.shuffle(rows)",
        codes="NBG301",
    )
    assert found == []
    unseeded = lint_cells(
        tmp_path / "unseeded",
        "import random\nfrom accelerate.utils import set_seed as seed_all_generators\n"
        "random.shuffle(rows)\nseed_all_generators(13)",
        codes="NBG301",
    )
    assert unseeded == [("NBG301", 2, 3)]


def test_gemini_chat_sessions_sample_as_their_model_or_config_says(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "from vertexai.generative_models import GenerativeModel\n"
        'plain = GenerativeModel("gemini-1.5-pro-002").start_chat()\n'
        'tuned = GenerativeModel("gemini-1.5-pro-002", generation_config={"temperature": 0})\n'
        "chat = tuned.start_chat()",
        'a = plain.send_message("hi")\nb = chat.send_message("hi")\n'
        'c = chat.send_message("hi", generation_config={"temperature": 0.9})',
        "from google import genai\nclient = genai.Client()\n"
        'talk = client.chats.create(model="gemini-2.0-flash-001")\n'
        'calm = client.chats.create(model="gemini-2.0-flash-001", config={"temperature": 0})\n'
        'reply = calm.send_message("hi")',
        codes="NBG103,NBG303",
    )
    assert found == [("NBG103", 3, 1), ("NBG103", 4, 3), ("NBG303", 3, 3)]


def test_a_seed_read_from_the_clock_is_no_seed(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "import random, time\nimport numpy as np\n"
        "picker = random.Random(time.time())\n"
        "np.random.seed(int(time.time()))\n"
        "subset = np.random.choice(rows, 20)\n"
        "fixed = random.Random(13)",
        codes="NBG301",
    )
    assert found == [("NBG301", 2, 3), ("NBG301", 2, 5)]


def test_a_seed_variable_holding_none_is_no_seed(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "SEED = None\nsubset = ds.shuffle(seed=SEED)",
        "def make_split(ds, seed=None):\n"
        "    return ds.train_test_split(test_size=0.2, seed=seed)\n"
        "parts = make_split(ds, seed=13)",
        codes="NBG302",
    )
    assert found == [("NBG302", 2, 2)]


def test_an_openai_model_logged_with_mlflow_keeps_its_request_settings(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "import mlflow\nimport openai\n"
        'plain = mlflow.openai.log_model(model="gpt-4o-2024-08-06", task=openai.chat.completions,\n'
        '    artifact_path="qa", messages=[])\n'
        'hot = mlflow.openai.log_model(model="gpt-4o-2024-08-06", task=openai.chat.completions,\n'
        '    artifact_path="qa", messages=[], temperature=0.5)\n'
        'emb = mlflow.openai.log_model(model="text-embedding-3-small", task=openai.embeddings,\n'
        '    artifact_path="emb")',
        codes="NBG103,NBG303",
    )
    assert found == [("NBG103", 2, 3), ("NBG303", 2, 6)]


def test_a_vector_store_restored_from_a_remote_snapshot_is_downloaded(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        'from qdrant_client import QdrantClient\nclient = QdrantClient(":memory:")\n'
        'SNAPSHOT = "https://snapshots.example.org/docs.snapshot"\n'
        'client.recover_snapshot("docs", location=SNAPSHOT)',
        'client.recover_snapshot("wiki", "https://snapshots.example.org/wiki.snapshot",\n'
        '    checksum="9f2c1d0e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d")\n'
        'client.recover_snapshot("own", "file:///qdrant/snapshots/own.snapshot")',
        codes="NBG202",
    )
    assert found == [("NBG202", 2, 3)]


def test_a_random_server_port_is_not_eval_randomness(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "import random\nport = random.randint(8000, 9000)\n"
        "server = start_server(port=port)\nserver_port = random.choice([7860, 7861])\n"
        "shot = random.choice(examples)",
        codes="NBG301",
    )
    assert found == [("NBG301", 2, 5)]


def test_a_registry_dataset_downloaded_by_name_follows_the_registry_head(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "from llama_index.core.llama_dataset import download_llama_dataset, LabelledRagDataset\n"
        'rag_dataset, documents = download_llama_dataset("PaulGrahamEssayDataset", "./pg")',
        'again = LabelledRagDataset.from_json("./pg/rag_dataset.json")\n'
        'mirrored = download_llama_dataset("Uber10KDataset2021", "./uber", llama_datasets_url=MIRROR)',
        codes="NBG201,NBG202",
    )
    assert found == [("NBG202", 2, 2)]


def test_paths_on_the_home_folder_are_followed_and_machine_local(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "import os, json\nfrom pathlib import Path\nimport pandas as pd\n"
        'qa = pd.read_csv(Path.home() / "evals" / "qa.csv")\n'
        'gold = pd.read_json(os.path.expanduser("~/evals/gold.jsonl"), lines=True)',
        'cache = json.load(open(Path.home() / ".cache" / "evalkit" / "results.json"))\n'
        'rel = pd.read_csv(os.path.abspath("data/extra.csv"))',
        codes="NBG201,NBG203",
    )
    assert found == [
        ("NBG201", 2, 4),
        ("NBG201", 2, 5),
        ("NBG201", 3, 2),
        ("NBG203", 2, 4),
        ("NBG203", 2, 5),
    ]


def test_a_database_file_queried_as_eval_data_is_read(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        'import sqlite3\nconn = sqlite3.connect("Chinook.db")\n'
        'albums = conn.execute("select * from Album").fetchall()\n'
        'scratch = sqlite3.connect(":memory:")',
        "from langchain_community.utilities import SQLDatabase\n"
        'db = SQLDatabase.from_uri("sqlite:///data/Northwind.sqlite")',
    )
    assert found == [("NBG201", 2, 2), ("NBG201", 3, 2)]


def test_a_database_the_notebook_fills_is_its_own(tmp_path: Path) -> None:
    piped = lint_cells(
        tmp_path / "piped",
        "!curl -s https://example.org/chinook/v1.4/Chinook_Sqlite.sql | sqlite3 Chinook.db",
        'from langchain_community.utilities import SQLDatabase\ndb = SQLDatabase.from_uri("sqlite:///Chinook.db")',
        codes="NBG201",
    )
    assert piped == []
    filled = lint_cells(
        tmp_path / "filled",
        'import sqlite3\nconn = sqlite3.connect("scores.db")\n'
        'conn.execute("CREATE TABLE IF NOT EXISTS scores (id INTEGER, score REAL)")',
        codes="NBG201",
    )
    assert filled == []


def test_an_eval_dataset_loaded_from_jsonl_is_read(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        'from ragas import EvaluationDataset\nqa = EvaluationDataset.from_jsonl("testset.jsonl")',
        'generated.to_jsonl("generated.jsonl")\nagain = EvaluationDataset.from_jsonl("generated.jsonl")',
        codes="NBG201",
    )
    assert found == [("NBG201", 2, 2)]


def test_a_pickled_model_is_not_a_dataset(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "import pickle\nimport pandas as pd\n"
        'clf = pickle.load(open("intent_classifier_model.pkl", "rb"))\n'
        'weights = pd.read_pickle("model_weights.pkl")\n'
        'outputs = pd.read_pickle("model_outputs.pkl")\n'
        'cases = pickle.load(open("eval_cases.pkl", "rb"))',
        codes="NBG201",
    )
    assert found == [("NBG201", 2, 5), ("NBG201", 2, 6)]


def test_objects_read_through_an_object_store_filesystem_or_blob(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "import s3fs, fsspec\nfs = s3fs.S3FileSystem(anon=True)\n"
        'with fs.open("team-evals/qa/questions.jsonl") as f:\n    rows = f.read()\n'
        'gcs = fsspec.filesystem("gcs")\nfaq = gcs.cat("gs://team-evals/faq.json")',
        'fs.get("team-evals/qa/gold.jsonl", "gold.jsonl")\n'
        'import pandas as pd\ngold = pd.read_json("gold.jsonl", lines=True)\n'
        'with fs.open("team-evals/out/scores.json", "w") as out:\n    out.write("{}")',
        'from google.cloud import storage\nbucket = storage.Client().bucket("team-evals")\n'
        'bucket.blob("qa/golden.csv").download_to_filename("golden.csv")\n'
        'pinned = bucket.blob("qa/old.csv", generation=1712345678).download_as_text()',
        codes="NBG201,NBG202",
    )
    assert found == [("NBG202", 2, 3), ("NBG202", 2, 6), ("NBG202", 3, 1), ("NBG202", 4, 3)]


def test_data_fetched_through_an_http_client_session(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "import requests, httpx\nsession = requests.Session()\n"
        'qa = session.get("https://raw.githubusercontent.com/org/evals/main/qa.jsonl").text',
        "with httpx.Client() as client:\n"
        '    gold = client.get("https://example.org/evals/gold.json").json()\n'
        '    health = client.get("https://api.example.org/v1/health").json()',
        codes="NBG202",
    )
    assert found == [("NBG202", 2, 3), ("NBG202", 3, 2)]


def test_tables_of_a_live_page_and_a_response_parsed_as_a_table(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "import io, requests\nimport pandas as pd\n"
        'tables = pd.read_html("https://en.wikipedia.org/wiki/List_of_sovereign_states")\n'
        'saved = pd.read_html("report_tables.html")\n'
        'rows = pd.read_csv(io.StringIO(requests.get("https://example.org/export?t=gold").text))\n'
        'status = requests.get("https://api.example.org/v1/status").json()',
        codes="NBG202",
    )
    assert found == [("NBG202", 2, 3), ("NBG202", 2, 5)]


def test_a_remote_object_or_hub_dataset_the_notebook_wrote_is_its_own(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "import pandas as pd\nfrom datasets import Dataset, load_dataset\n"
        'Dataset.from_list(rows).push_to_hub("me/generated-evals")\n'
        'scores.to_parquet("s3://team-evals/out/scores.parquet")',
        'again = load_dataset("me/generated-evals", split="train")\n'
        'back = pd.read_parquet("s3://team-evals/out/scores.parquet")\n'
        'source = pd.read_parquet("s3://team-evals/in/eval.parquet")\n'
        'source.to_parquet("s3://team-evals/in/eval.parquet")',
        codes="NBG202",
    )
    assert found == [("NBG202", 3, 3)]


def test_programs_and_model_packages_from_release_pages_are_not_data(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "!wget https://github.com/explosion/spacy-models/releases/download/"
        "en_core_web_sm-3.7.1/en_core_web_sm-3.7.1.tar.gz\n"
        "!wget https://github.com/org/server/releases/download/v0.1.32/server-linux-amd64\n"
        "!wget https://github.com/org/tool/releases/download/v2/tool-linux-amd64.tar.gz\n"
        "!wget https://github.com/org/bench/releases/download/v1.0/qa.jsonl",
        codes="NBG202",
    )
    assert found == [("NBG202", 2, 4)]


def test_a_platform_clients_own_load_dataset_is_not_a_hub_dataset(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "from evalplatform.workspace import RemoteWorkspace\n"
        'ws = RemoteWorkspace(url="https://platform.example")\n'
        'runs = ws.load_dataset("0196e7e5-948b-71d9-b21d-e9213560262f")',
        'import datasets\nhub = datasets\ngolden = hub.load_dataset("org/golden-qa", split="test")',
    )
    assert found == [("NBG202", 3, 3)]


def test_a_data_file_under_a_folder_constant_of_the_projects_code_is_read(
    tmp_path: Path,
) -> None:
    found = lint_cells(
        tmp_path,
        "import json\nfrom pathlib import Path\nfrom evalkit.config import ROOT_DIR, OUT_DIR",
        'with open(Path(ROOT_DIR, "datasets/eval-v1.jsonl")) as f:\n'
        "    rows = [json.loads(line) for line in f]",
        'with open(Path(OUT_DIR, "scores.json"), "w") as f:\n    json.dump(rows, f)\n'
        'again = json.load(open(Path(OUT_DIR, "scores.json")))\n'
        'runs = [json.load(open(p)) for p in Path(OUT_DIR, "runs").iterdir()]',
        "import pandas as pd\nfrom evalkit import constants\n"
        'board = pd.read_csv(constants.BOARD_DIR / "leaderboard.csv")',
    )
    assert found == [("NBG201", 3, 1), ("NBG201", 5, 3)]


def test_a_file_downloaded_into_a_folder_is_its_own_under_colabs_working_directory(
    tmp_path: Path,
) -> None:
    found = lint_cells(
        tmp_path,
        "!wget -P ./data/ https://example.org/bench/v3/chunks.json",
        'import json\ndef load(path="/content/data/chunks.json"):\n'
        "    with open(path) as f:\n        return json.load(f)\nrows = load()",
        'notes = json.load(open("/content/notes/cases.json"))',
    )
    assert found == [("NBG201", 4, 1), ("NBG202", 2, 1)]


def test_a_torch_draw_from_its_own_generator_is_not_a_global_draw(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "import torch\ng = torch.Generator()\ng.manual_seed(13)\n"
        "order = torch.randperm(10, generator=g)",
        "loose = torch.Generator()\npicks = torch.randint(0, 10, (4,), generator=loose)",
        "noise = torch.rand(3)",
        codes="NBG301",
    )
    assert found == [("NBG301", 3, 1), ("NBG301", 4, 1)]


def test_files_a_shell_loop_downloads_under_substituted_names_are_its_own(
    tmp_path: Path,
) -> None:
    found = lint_cells(
        tmp_path,
        'FILES = {"english": "1AbC", "french": "2DeF"}\n'
        "for lang, file_id in FILES.items():\n"
        "    !wget -O {lang}.txt https://example.org/corpus?id={file_id}",
        'with open("/content/english.txt") as f:\n    english = f.read()\n'
        'french = open("french.txt").read()',
        'notes = open("notes/english.txt").read()',
    )
    assert found == [("NBG201", 4, 1), ("NBG202", 2, 3)]


def test_a_program_fetched_with_an_http_client_and_saved_is_not_data(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "import requests\n"
        'res = requests.get("https://raw.githubusercontent.com/org/repo/main/tools/chains.py")\n'
        'with open("chains.py", "w") as fp:\n    fp.write(res.text)',
        'cases = requests.get("https://raw.githubusercontent.com/org/repo/main/data/cases")\n'
        'with open("cases.jsonl", "w") as fp:\n    fp.write(cases.text)',
        codes="NBG202",
    )
    assert found == [("NBG202", 3, 1)]


def test_files_written_under_names_composed_at_run_time_are_the_notebooks_own(
    tmp_path: Path,
) -> None:
    found = lint_cells(
        tmp_path,
        "import pandas as pd\nfrom pathlib import Path\n"
        "def prepare(config, rows):\n"
        '    name = config.pop("name")\n'
        '    out = Path(f"retrieval-{name}.jsonl")\n'
        '    pd.DataFrame(rows).to_json(out, lines=True, orient="records")\n'
        "    return out",
        "for config in CONFIGS:\n    prepare(dict(config), ROWS)",
        'text = pd.read_json("retrieval-text.jsonl", lines=True)\n'
        'golden = pd.read_json("golden-text.jsonl", lines=True)',
    )
    assert found == [("NBG201", 4, 2)]


def test_eval_files_staged_with_sagemakers_s3_uploader_are_read(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "from sagemaker.s3 import S3Uploader\n"
        'S3Uploader.upload("../datasets/eval_trivia.jsonl", "s3://bucket/eval")',
        'uploader.upload("notes/draft.jsonl")',
        codes="NBG201",
    )
    assert found == [("NBG201", 2, 2)]


def test_a_lighteval_task_names_its_hub_dataset(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "from lighteval.tasks.lighteval_task import LightevalTaskConfig",
        "class QuizTask(LightevalTaskConfig):\n"
        "    def __init__(self, name):\n"
        '        super().__init__(name=name, hf_repo="org/quiz", hf_subset="hard")',
        'pinned = LightevalTaskConfig(name="quiz", hf_repo="org/quiz",\n'
        '    hf_revision="3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a")',
        codes="NBG202",
    )
    assert found == [("NBG202", 3, 3)]


def test_keras_and_transformers_determinism_helpers_seed_every_generator(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "import random\nimport numpy as np\nimport keras\nkeras.utils.set_random_seed(13)\n"
        "picked = random.sample(range(100), 10)\nnoise = np.random.rand(3)",
        "import transformers\ntransformers.enable_full_determinism(7)\norder = np.random.permutation(5)",
        codes="NBG301",
    )
    assert found == []


def test_paths_kept_on_config_classes_and_namespaces_are_followed(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "import json\nimport pandas as pd\nfrom dataclasses import dataclass\n"
        "from types import SimpleNamespace\n"
        'class Paths:\n    GOLDEN = "data/golden.csv"\n'
        "@dataclass\nclass RunConfig:\n"
        '    eval_file: str = "data/eval.jsonl"\n    out_file: str = "out/scores.json"',
        "golden = pd.read_csv(Paths.GOLDEN)\ncfg = RunConfig()\n"
        "rows = [json.loads(line) for line in open(cfg.eval_file)]",
        'args = SimpleNamespace(cases="data/cases.json")\ncases = json.load(open(args.cases))',
        'with open(cfg.out_file, "w") as f:\n    json.dump(rows, f)\n'
        "again = json.load(open(cfg.out_file))",
    )
    assert found == [("NBG201", 2, 6), ("NBG201", 2, 9), ("NBG201", 4, 1)]


def test_files_written_with_jsonlines_or_renamed_into_place_are_the_notebooks_own(
    tmp_path: Path,
) -> None:
    found = lint_cells(
        tmp_path,
        "import jsonlines, os\nimport pandas as pd\n"
        'with jsonlines.open("answers.jsonl", mode="w") as out:\n    out.write_all(rows)\n'
        'answers = pd.read_json("answers.jsonl", lines=True)',
        'os.rename("scores.tmp", "scores.csv")\nscores = pd.read_csv("scores.csv")',
        'with jsonlines.open("data/cases.jsonl") as cases:\n    examples = list(cases)',
    )
    assert found == [("NBG201", 4, 1)]


def test_downloads_run_from_python_through_os_system_or_subprocess(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "import os, subprocess\nimport pandas as pd\n"
        'os.system("wget https://example.org/bench/qa.csv -O qa.csv")\nqa = pd.read_csv("qa.csv")',
        'subprocess.run(["curl", "-L", "-o", "cases.json",\n'
        '                "https://example.org/bench/cases.json"], check=True)\n'
        'cases = pd.read_json("cases.json")',
        'subprocess.run(["ls", "-la"])\nos.system("echo done")',
    )
    assert found == [("NBG202", 2, 3), ("NBG202", 3, 2)]


def test_a_torch_distribution_sample_is_a_torch_draw_not_a_row_subset(tmp_path: Path) -> None:
    found = lint_cells(
        tmp_path,
        "import torch\nprior = torch.distributions.Normal(0.0, 1.0)\nnoise = prior.sample((4,))",
        "torch.manual_seed(13)\nlater = prior.sample((4,))",
        codes="NBG301,NBG302",
    )
    assert found == [("NBG301", 2, 3)]
