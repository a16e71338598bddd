"""NBG202: a remote dataset on a moving reference (branch, ``latest``, unversioned object)."""

from __future__ import annotations

from collections.abc import Iterator

from nbgraduate.analysis.dataset_reads import (
    digest_verified,
    first_use,
    normalise_path,
    remote_pin_problem,
)
from nbgraduate.analysis.model_refs import is_commit_sha
from nbgraduate.lint.rules.base import Example, Finding, Rule

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from nbgraduate.analysis.dataset_reads import DatasetRead
    from nbgraduate.analysis.shell_downloads import ShellDownload
    from nbgraduate.lint.context import LintContext


class MutableRemoteDataset(Rule):
    """Reports remote data whose bytes can change under the notebook: URLs on branches
    (``/main/``, ``/master/``) or ``latest``, object-store keys without a version id
    (``s3://bucket/latest.parquet``), Google Drive files, Hugging Face datasets
    (``load_dataset``, ``hf_hub_download(repo_type="dataset")``, ``hf://`` paths, dspy
    ``from_huggingface``, a lighteval task's ``hf_repo``) without a 40-hex commit ``revision``
    (``hf_revision``), Kaggle datasets without a
    version, and any download whose bytes are not checked against a digest before use:
    ``!wget``, ``!curl -O``/``-o``, ``%%bash`` ``curl``, ``!gdown``, ``urlretrieve``,
    ``wget.download``, ``gdown.download``, ``requests.get``/``httpx.get`` (or ``get`` on a
    ``requests.Session``/``httpx.Client``/``aiohttp.ClientSession``) of a data file or
    written to a file (the GitHub contents API too), ``kagglehub.dataset_download``/
    ``load_dataset``, boto3 ``download_file``/``get_object``, objects read through an
    object-store filesystem (``s3fs.S3FileSystem().open("bucket/key")``, ``fsspec.filesystem(
    "gcs").cat(...)``, ``fs.get(remote, local)``) or a Cloud Storage blob
    (``bucket.blob(key).download_to_filename(...)``, pinned by ``generation=``), the dataset ``s3Uri`` of a hosted
    eval or batch job (Bedrock ``create_evaluation_job`` ``datasetLocation``,
    ``create_model_invocation_job`` ``s3InputDataConfig``; not when the notebook uploads its own
    objects with ``upload_file``/``put_object``), a vector store restored from a snapshot at a
    URL (Qdrant ``recover_snapshot(name, location=url)``, verified by ``checksum=``), a
    llama-index registry dataset downloaded by name (``download_llama_dataset(name, folder)``,
    fetched from the registry's default branch), download helpers the notebook
    defines, LangSmith ``clone_public_dataset(<share link>)``, and hub datasets an
    lm-evaluation-harness task configuration names (``dataset_path: org/name`` in a YAML
    string or a ``%%writefile`` cell; pinned by ``dataset_kwargs: revision: <40-hex>``).
    A URL held in a variable (cells earlier, or ``!wget {URL}``) is reported at its literal; a
    URL composed from a literal and parts the notebook cannot know (an f-string, ``+`` or
    ``.format``, directly or returned by a function the notebook defines) at the composing
    expression; not when the unknown part is a loop variable over what a request returned
    (an API walked item by item: its listing request is the one reported). A ``curl`` whose
    output is only printed to the cell (no ``-o``/``-O``, redirect or pipe) counts when its URL
    names a data file or an archive; an API or health call does not, nor does a signing key
    piped into ``gpg``/``apt-key``, nor model weights, executables (``.llamafile``) or images.

    Live web content read as a corpus is reported at each URL (or page title): LangChain URL
    loaders (``WebBaseLoader``, ``RecursiveUrlLoader``, ``SitemapLoader``...), llama-index web
    and Wikipedia readers (``SimpleWebPageReader().load_data(urls=...)``, ``WikipediaReader``,
    also through ``download_loader``), the ``wikipedia`` package (``wikipedia.page(title)``,
    ``wikipedia.summary(title)``; reported at the search term when the title is a result of
    ``wikipedia.search(term)``), Haystack ``LinkContentFetcher().run(urls=...)`` and the
    URLs a pipeline's ``LinkContentFetcher`` gets in ``pipe.run(data={"fetcher": {"urls":
    ...}})``, and a page fetched with ``requests.get``/``httpx.get`` whose response is parsed
    as HTML (``BeautifulSoup``, ``markdownify``, ``html2text``), and the tables of a live page
    (``pd.read_html(url)``). A GET response parsed as a table
    (``pd.read_csv(io.StringIO(requests.get(url).text))``) is a download.

    A ``!git clone`` whose files the notebook then reads as data is reported at its URL unless
    a ``git checkout <sha>`` (or ``git -C <folder> checkout <sha>``) runs between the clone and
    the first read; a clone only imported from or run is code, not data.

    Versioned, and not reported: a ``web.archive.org/web/<timestamp>/`` capture; a URL that
    embeds a commit sha or an object version id (``?versionId=``, ``?generation=``, ``hf://...@<sha>``); a hub ``revision=<40-hex>``
    (``load_dataset``, ``hf_hub_download``); a Kaggle handle ending ``/versions/<n>``;
    ``dvc.api.open/read(..., rev=<40-hex>)``; a boto3 ``VersionId``; a fetcher that verifies a
    hash (``pooch.retrieve(url, known_hash=...)``, ``keras.utils.get_file(..., file_hash=...)``,
    ``gdown.cached_download(..., hash=...)``); a digest check (see NBG201) of the downloaded
    file or response after the download and before the data is first read, in Python or with
    ``sha256sum -c``.
    """

    code = "NBG202"
    name = "mutable-remote-dataset"
    summary = "Remote dataset on a mutable reference, or downloaded unverified"
    rationale = """
        A branch head or an overwritable object key is a pointer, not a version: the data
        behind it changes whenever someone pushes. Pin a commit sha, an object version id or a
        dataset revision, or check the downloaded file's digest before using it.
    """
    bad = (
        Example(
            'import pandas as pd\ndf = pd.read_csv("https://raw.githubusercontent.com/org/evals/main/golden.csv")\n'
        ),
        Example(
            'from datasets import load_dataset\nds = load_dataset("org/golden-qa", split="test")\n'
        ),
        Example('import pandas as pd\ndf = pd.read_parquet("s3://evals/latest.parquet")\n'),
        Example(
            "from vertexai import Client\n"
            "client = Client()\n"
            "answers = client.evals.run_inference(\n"
            '    model="gemini-2.0-flash-001", src="gs://evals/test_prompts.jsonl"\n'
            ")\n",
            note="An object-store file given to an eval service (Vertex AI `src=`, `EvalTask(dataset=)`):",
        ),
        Example(
            "import boto3\n"
            'BUCKET = "team-evals"\n'
            'dataset = {"name": "qa", "datasetLocation": {"s3Uri": f"s3://{BUCKET}/qa.jsonl"}}\n'
            'boto3.client("bedrock").create_evaluation_job(\n'
            '    jobName="qa", roleArn=ROLE, outputDataConfig={"s3Uri": f"s3://{BUCKET}/out/"},\n'
            '    evaluationConfig={"automated": {"datasetMetricConfigs": [{"dataset": dataset}]}},\n'
            ")\n",
            note="The dataset key of a hosted eval or batch job (Bedrock `create_evaluation_job`, "
            "`create_model_invocation_job`):",
        ),
        Example(
            "!wget -q https://raw.githubusercontent.com/org/evals/main/golden.csv\n"
            "# %%\n"
            "import pandas as pd\n"
            'df = pd.read_csv("golden.csv")  # its own download: not NBG201\n',
            note="Shell downloads (`!wget`, `!curl -O`, `%%bash` bodies, `!gdown`):",
        ),
        Example("!curl -sLO https://example.org/benchmarks/qa.jsonl\n"),
        Example("%%bash\ncurl -L https://example.org/benchmarks/qa.jsonl -o qa.jsonl\n"),
        Example("!gdown https://drive.google.com/uc?id=1bs4kwwiD30DUeCjuqEdOeixCuI-3i9F5\n"),
        Example(
            'DATA_URL = "https://raw.githubusercontent.com/org/evals/main/golden.csv"\n'
            "# %%\n"
            "import urllib.request\n"
            'urllib.request.urlretrieve(DATA_URL, "golden.csv")\n',
            note="A URL in a variable, downloaded cells later (reported at the literal):",
        ),
        Example(
            "import requests\n"
            "def fetch(base, name):\n"
            '    with open(name, "wb") as out:\n'
            "        out.write(requests.get(base + name).content)\n"
            "# %%\n"
            'PAPERS = "https://github.com/org/papers/raw/main/pdfs/"\n'
            'fetch(PAPERS, "hnsw.pdf")\n',
            note="A download helper that composes the URL from its parameters:",
        ),
        Example(
            "!git clone https://github.com/org/eval-data\n"
            "# %%\n"
            "import pandas as pd\n"
            'qa = pd.read_csv("eval-data/qa.csv")\n',
            note="Data read from a clone at the default branch:",
        ),
        Example(
            "import requests\n"
            'response = requests.get("https://example.org/evals/golden.jsonl")\n'
            'with open("golden.jsonl", "wb") as f:\n'
            "    f.write(response.content)\n"
        ),
        Example(
            "import httpx\n"
            'rows = httpx.get("https://raw.githubusercontent.com/org/evals/main/qa.json").json()\n'
        ),
        Example(
            "import httpx\n"
            'r = httpx.get("https://example.org/evals/golden")\n'
            'with open("golden.jsonl", "wb") as f:\n'
            "    f.write(r.content)\n"
        ),
        Example('import wget\nwget.download("https://example.org/evals/golden.csv")\n'),
        Example(
            "from qdrant_client import QdrantClient\n"
            'client = QdrantClient(":memory:")\n'
            'client.recover_snapshot("docs", location="https://example.org/snapshots/docs.snapshot")\n',
            note="A retrieval corpus restored from a snapshot at a URL, no `checksum=`:",
        ),
        Example(
            "import s3fs\n"
            "fs = s3fs.S3FileSystem(anon=True)\n"
            'with fs.open("team-evals/qa/questions.jsonl") as f:\n'
            "    rows = f.read()\n",
            note="An object read through an object-store filesystem (s3fs, gcsfs, fsspec):",
        ),
        Example(
            "from llama_index.core.llama_dataset import download_llama_dataset\n"
            'rag_dataset, documents = download_llama_dataset("PaulGrahamEssayDataset", "./data")\n',
            note="A registry dataset downloaded by name from the registry's default branch:",
        ),
        Example(
            "import requests\n"
            'FILES = [("a.pdf", "https://raw.githubusercontent.com/org/docs/main/a.pdf")]\n'
            "for name, url in FILES:\n"
            '    with open(name, "wb") as f:\n'
            "        f.write(requests.get(url).content)\n",
            note="URLs in the rows of a list (or a dict's `.items()`) a loop unpacks, each "
            "response written to a file as it arrives:",
        ),
        Example(
            'import gdown\ngdown.download(id="1bs4kwwiD30DUeCjuqEdOeixCuI", output="qa.csv")\n'
        ),
        Example('import kagglehub\npath = kagglehub.dataset_download("owner/qa-benchmark")\n'),
        Example(
            'import pooch\npath = pooch.retrieve("https://example.org/qa.csv", known_hash=None)\n'
        ),
        Example(
            "import boto3\n"
            's3 = boto3.client("s3")\n'
            's3.download_file("evals-bucket", "golden/qa.csv", "qa.csv")\n'
        ),
        Example(
            "import requests\n"
            "def download(url, path):\n"
            '    with open(path, "wb") as f:\n'
            "        f.write(requests.get(url).content)\n"
            'download("https://example.org/evals/golden.csv", "golden.csv")\n',
            note="Through a download helper the notebook defines:",
        ),
        Example(
            "import requests\n"
            "def url_for(split):\n"
            '    return f"https://raw.githubusercontent.com/org/evals/main/{split}.jsonl"\n'
            "# %%\n"
            'rows = requests.get(url_for("test")).text.splitlines()\n',
            note="A URL a notebook function composes, fetched later (reported at the f-string):",
        ),
        Example(
            "import requests\n"
            'API = "https://api.github.com/repos/org/evals/contents/cases"\n'
            "for item in requests.get(API).json():\n"
            '    case = requests.get(item["download_url"]).text\n',
            note="The GitHub contents API (the default branch):",
        ),
        Example(
            "from langchain_benchmarks import clone_public_dataset\n"
            "clone_public_dataset(\n"
            '    "https://smith.langchain.com/public/452ccafc-18e1-4314-885b-edd735f17b9d/examples"\n'
            ")\n",
            note="A public LangSmith dataset, copied by its share link:",
        ),
        Example(
            'TASK = """task: golden_qa\n'
            "dataset_path: org/golden-qa\n"
            "output_type: generate_until\n"
            '"""\n'
            'with open("tasks/golden_qa.yaml", "w") as f:\n'
            "    f.write(TASK)\n"
            "# %%\n"
            "!lm_eval --model hf --tasks golden_qa --include_path tasks\n",
            note="A hub dataset named by an lm-evaluation-harness task written in the notebook "
            "(also in a `%%writefile` cell):",
        ),
        Example(
            "import hashlib, urllib.request\n"
            "import pandas as pd\n"
            'urllib.request.urlretrieve("https://example.org/qa.csv", "qa.csv")\n'
            'df = pd.read_csv("qa.csv")\n'
            'assert hashlib.sha256(open("qa.csv", "rb").read()).hexdigest() == "9f2c1d0e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d"\n',
            note="Checked only after the data was used:",
        ),
        Example(
            "from langchain_community.document_loaders import WebBaseLoader\n"
            'urls = ["https://example.org/blog/agents/", "https://example.org/blog/evals/"]\n'
            "docs = [WebBaseLoader(url).load() for url in urls]\n"
            "import requests\n"
            "from bs4 import BeautifulSoup\n"
            'page = requests.get("https://example.org/blog/rag/")\n'
            'context = BeautifulSoup(page.text, "html.parser").get_text()\n',
            note="Live web pages loaded as the corpus (LangChain URL loaders, llama-index web "
            "and Wikipedia readers, Haystack `LinkContentFetcher().run(urls=...)`):",
        ),
        Example(
            "import wikipedia\n"
            'title = wikipedia.search("Ada Lovelace")[0]\n'
            "source_text = wikipedia.page(title).content\n",
            note="A Wikipedia article fetched by the `wikipedia` package (at the search term):",
        ),
    )
    good = (
        Example(
            "import pandas as pd\n"
            'df = pd.read_csv("https://raw.githubusercontent.com/org/evals/'
            '3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a/golden.csv")\n'
        ),
        Example(
            "!gsutil -m rsync -r ./scores gs://my-evals/scores\n",
            note="A copy to a bucket uploads; it downloads nothing:",
        ),
        Example(
            "from datasets import Dataset, load_dataset\n"
            'Dataset.from_list(rows).push_to_hub("me/generated-evals")\n'
            "# %%\n"
            'again = load_dataset("me/generated-evals", split="train")\n',
            note="A dataset the notebook pushed (or an object it wrote) and reads back:",
        ),
        Example(
            "import boto3\n"
            'boto3.client("s3").put_object(Bucket="team-evals", Key="qa.jsonl", Body=rows_jsonl)\n'
            'location = {"s3Uri": "s3://team-evals/qa.jsonl"}\n'
            'boto3.client("bedrock").create_evaluation_job(\n'
            '    jobName="qa", roleArn=ROLE, outputDataConfig={"s3Uri": "s3://team-evals/out/"},\n'
            '    evaluationConfig={"automated": {"datasetMetricConfigs": [\n'
            '        {"dataset": {"name": "qa", "datasetLocation": location}}]}},\n'
            ")\n",
            note="A job that reads the objects the notebook put in the bucket itself:",
        ),
        Example(
            "!git clone https://github.com/org/eval-data\n"
            "!git -C eval-data checkout 3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a\n"
            "# %%\n"
            "import pandas as pd\n"
            'qa = pd.read_csv("eval-data/qa.csv")\n',
            note="A clone checked out at a commit before its data is read:",
        ),
        Example(
            "from datasets import load_dataset\n"
            'ds = load_dataset("org/golden-qa", revision="3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a")\n'
        ),
        Example(
            "from huggingface_hub import hf_hub_download\n"
            'path = hf_hub_download("org/golden-qa", "test.jsonl", repo_type="dataset",\n'
            '                       revision="3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a")\n'
        ),
        Example(
            'import pandas as pd\ndf = pd.read_parquet("s3://evals/qa.parquet?versionId=3HL4kqtJlcpXroDTDmJ")\n'
        ),
        Example(
            'import pooch\npath = pooch.retrieve("https://example.org/qa.csv", known_hash="sha256:9f2c1d0e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d")\n'
        ),
        Example(
            "import keras\n"
            'path = keras.utils.get_file("qa.csv", "https://example.org/qa.csv", file_hash="9f2c1d0e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d")\n'
        ),
        Example(
            'import kagglehub\npath = kagglehub.dataset_download("owner/qa-benchmark/versions/3")\n'
        ),
        Example(
            "import boto3\n"
            's3 = boto3.client("s3")\n'
            's3.download_file("evals-bucket", "golden/qa.csv", "qa.csv",\n'
            '                 ExtraArgs={"VersionId": "3HL4kqtJlcpXroDTDmJ"})\n'
        ),
        Example(
            "import dvc.api\n"
            'text = dvc.api.read("data/qa.csv", repo="https://github.com/org/evals", rev="3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a")\n'
        ),
        Example(
            "%%writefile tasks/golden_qa.yaml\n"
            "task: golden_qa\n"
            "dataset_path: org/golden-qa\n"
            "dataset_kwargs:\n"
            "  revision: 3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a\n",
            note="The task's dataset at a commit:",
        ),
        Example(
            "import hashlib, urllib.request\n"
            "import pandas as pd\n"
            'URL = "https://example.org/qa.csv"\n'
            "# %%\n"
            'urllib.request.urlretrieve(URL, "qa.csv")\n'
            'assert hashlib.sha256(open("qa.csv", "rb").read()).hexdigest() == "9f2c1d0e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d"\n'
            'df = pd.read_csv("qa.csv")\n',
            note="The downloaded file's digest checked before use:",
        ),
        Example(
            "from langchain_community.document_loaders import WebBaseLoader\n"
            'docs = WebBaseLoader("https://web.archive.org/web/20240601000000/https://example.org/blog/agents/").load()\n',
            note="A web page as archived at a fixed time:",
        ),
        Example(
            "!wget -q https://example.org/qa.csv\n"
            '!echo "9f2c1d0e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d  qa.csv" | sha256sum -c\n'
        ),
        Example(
            "import gdown\n"
            "path = gdown.cached_download(\n"
            '    "https://drive.google.com/uc?id=1bs4kwwiD30DUeCjuqEdOeixCuI-3i9F5", "qa.csv",\n'
            '    hash="sha256:9f2c1d0e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d",\n'
            ")\n",
            note="A Google Drive file fetched with its digest (or checked after `!gdown`):",
        ),
        Example(
            "!gdown 1bs4kwwiD30DUeCjuqEdOeixCuI-3i9F5 -O qa.csv\n"
            '!echo "9f2c1d0e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d  qa.csv" | sha256sum -c\n'
            "# %%\n"
            "import pandas as pd\n"
            'df = pd.read_csv("qa.csv")\n'
        ),
        Example(
            "import hashlib\n"
            "import httpx\n"
            'r = httpx.get("https://example.org/evals/golden")\n'
            'assert hashlib.sha256(r.content).hexdigest() == "9f2c1d0e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d"\n'
            'with open("golden.jsonl", "wb") as f:\n'
            "    f.write(r.content)\n",
            note="A response checked before it is written:",
        ),
    )

    def check(self, context: LintContext) -> Iterator[Finding]:
        reported: set[int] = set()
        for read in context.dataset_reads:
            node = read.location.node
            if read.kind == "local" or read.verified_by or id(node) in reported:
                continue
            if read.kind == "hub":
                message = _hub_problem(read.hub, read.path, read.revision)
            else:
                problem = _revision_problem(read) or remote_pin_problem(read.path)
                if problem is None:
                    continue
                use = first_use(
                    [read.destination] if read.destination else [],
                    read.line,
                    context.own_output_reads,
                    context.digest_checks,
                )
                if digest_verified(read, context.digest_checks, use):
                    continue
                noun = "download" if read.download else "remote dataset"
                message = f"{noun} {read.path!r}: {problem}"
                if read.web:
                    message = f"live web content {read.path!r}: {_WEB_PROBLEM}"
            if message is None:
                continue
            reported.add(id(node))
            yield self.finding(message, context.position(node), context.end_position(node))
        yield from self._shell_downloads(context, reported)

    def _shell_downloads(self, context: LintContext, reported: set[int]) -> Iterator[Finding]:
        shell = context.shell_effects
        places: set[tuple[int, int, int]] = set()
        for download in shell.downloads:
            if download.hub is not None:
                message = _hub_problem(download.hub, download.url, download.revision)
            else:
                problem = remote_pin_problem(download.url)
                if problem is None or _shell_verified(context, download):
                    continue
                message = f"{download.tool} download {download.url!r}: {problem}"
            if message is None:
                continue
            if download.node is not None:
                if id(download.node) in reported:
                    continue
                reported.add(id(download.node))
                start = context.position(download.node)
                end = context.end_position(download.node)
            else:
                place = (download.cell_index, download.row, download.column)
                if place in places:
                    continue
                places.add(place)
                start = context.cell_position(*place)
                end = context.cell_position(download.cell_index, download.row, download.end_column)
            yield self.finding(message, start, end)
        yield from self._data_clones(context)

    def _data_clones(self, context: LintContext) -> Iterator[Finding]:
        """``!git clone URL`` whose files the notebook reads as data, with no ``git checkout
        <sha>`` after it: the clone is whatever the default branch holds that day."""
        shell = context.shell_effects
        for clone in shell.clones:
            use = first_use(clone.destinations, clone.line, context.own_output_reads)
            if use >= 1 << 30:
                continue  # code or tools, not data the notebook reads
            if any(
                clone.line < line <= use and (folder is None or folder in clone.destinations)
                for folder, line in shell.checkouts
            ):
                continue
            folder = clone.destinations[0].rstrip("/")
            message = (
                f"git clone {clone.url!r}: data is read from the clone at the repository's "
                f"default branch, which moves; check out a commit (git -C {folder} checkout "
                "<sha>) before reading it"
            )
            if clone.node is not None:
                start = context.position(clone.node)
                end = context.end_position(clone.node)
            else:
                start = context.cell_position(clone.cell_index, clone.row, clone.column)
                end = context.cell_position(clone.cell_index, clone.row, clone.end_column)
            yield self.finding(message, start, end)


_WEB_PROBLEM = (
    "a web page has no version, so the documents change with the site; save them into the"
    " repository, or load a web.archive.org/web/<timestamp>/ capture"
)


def _revision_problem(read: DatasetRead) -> str | None:
    """``dvc.api.read(..., repo=URL, rev=...)``: the revision, not the URL, decides."""
    if read.call.qualified_name not in ("dvc.api.open", "dvc.api.read"):
        return None
    if read.revision is None:
        return "no rev= pins a commit, so it reads the repository's default branch"
    return f"rev={read.revision!r} is a branch or tag, not a commit sha"


def _hub_problem(hub: str, name: str, revision: str | None) -> str | None:
    """Why a hub dataset follows its newest version, or ``None`` when a version pins it."""
    if hub == "kaggle":
        if revision:
            return None
        return (
            f"Kaggle dataset {name!r}: no version (owner/name/versions/<n>) pins it,"
            " so it follows the newest version"
        )
    if is_commit_sha(revision):
        return None
    problem = (
        f"revision {revision!r} is a branch or tag, not a commit sha"
        if revision
        else "no revision= pins a commit, so it follows the dataset's main branch"
    )
    return f"Hugging Face dataset {name!r}: {problem}"


def _shell_verified(context: LintContext, download: ShellDownload) -> bool:
    """A digest check (Python, or ``sha256sum -c``) of the URL or of what the command wrote,
    after the download and before the first read of it."""
    use = first_use(
        download.destinations, download.line, context.own_output_reads, context.digest_checks
    )
    keys = {download.url, *(normalise_path(d) for d in download.destinations)}
    for check in context.digest_checks:
        if keys & check.paths and download.line <= check.line < use:
            return True
    return any(
        path in keys and download.line <= line < use for path, line in context.shell_effects.checked
    )
