"""NBG201: a local data file read with nothing that pins its content."""

from __future__ import annotations

from collections.abc import Iterator

from nbgraduate.analysis.dataset_reads import digest_verified, split_glob
from nbgraduate.lint.rules.base import Example, Finding, Rule

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from nbgraduate.lint.context import LintContext


class UnversionedDataset(Rule):
    """Reports local data files the notebook reads when nothing pins their content. Reads are
    pandas, polars, numpy and pyarrow readers, ``open`` (and ``fsspec.open``,
    ``smart_open.open``) of a data file, ``json.load``, Hugging
    Face ``load_dataset("json", data_files=...)``, Inspect ``json_dataset``/``csv_dataset``,
    promptflow ``evaluate(data=...)``, Vertex AI ``client.evals.run_inference(src=...)`` and
    ``EvalTask(dataset=...)`` (a file of prompts, ``test_prompts.jsonl``, is data), deepeval ``add_test_cases_from_csv_file``, uptrain
    ``JsonReader(fpath=...)``, fmeval ``DataConfig(dataset_uri=...)``, LangSmith
    ``upload_csv(csv_file=...)``, a database file queried as data (``sqlite3.connect(
    "Chinook.db")``, ``SQLDatabase.from_uri("sqlite:///Chinook.db")``; not one the notebook fills
    itself with ``CREATE``/``INSERT``, ``executescript``, ``to_sql`` or ``... | sqlite3 db``),
    ``eval_path=``/``dataset_path=`` keywords, functions the
    notebook defines that read their argument, and imported helpers named as readers given a
    data file (``load_jsonl("cases.jsonl")``, ``CSVConnector("runs.csv")``; not ``load_model``,
    ``load_prompt``, ``load_config``...), DuckDB queries reading a file (``FROM 'runs.parquet'``,
    ``read_csv('qa.csv')``), documents uploaded to a hosted RAG collection
    (``upload_document``) and files uploaded for a hosted eval job (Azure AI
    ``project_client.upload_file("eval.jsonl")``, boto3 ``s3.upload_file(path, bucket, key)``,
    SageMaker ``session.upload_data(path=...)``, ``S3Uploader.upload(path, s3_uri)``);
    paths are followed through constants, config
    dicts, ``Path /`` and ``os.path.join``. Documents and images fed to a model count too:
    LangChain document loaders (``PyPDFLoader``, ``TextLoader``...), pypdf ``PdfReader``,
    ``PIL.Image.open`` (not inside ``display`` nor a bare statement, which only shows it),
    llama-index readers' ``load_data(file=...)``, Haystack converters' ``sources=``,
    ``open(path, "rb")`` of an image, and files uploaded to a model API
    (``client.files.upload(file=...)``). So do folders whose
    files are read: ``os.listdir``/``os.walk``/``glob.glob``/``Path.glob``/``rglob``/
    ``iterdir`` over a folder when the pattern names data files (``data/*.jsonl``) or the code
    right after the listing reads files, and directory readers (llama-index
    ``SimpleDirectoryReader``, LangChain ``DirectoryLoader``); a folder named for outputs,
    results, logs, caches or models is not data, and a listing is reported at the folder's
    literal. Files the notebook wrote itself before reading them back (``to_csv``,
    ``open(..., "w")``, ``savefig``, any call's ``output_file=``/``output_path=``/``save_path=``,
    a download's destination (an image fetched by ``!wget`` too, a download helper's
    ``filename=``), a ``!git clone``'s folder, an extracted archive, a file named by a UUID
    after a download) are not datasets, nor is a folder it writes into or creates
    (``os.makedirs``, ``Path.mkdir``) before listing it, nor the name an upload gives bytes
    (``files.upload(file={"file_name": ...})``).

    A read is versioned, and not reported, when any of these pins it:

    - **a digest check before use**: an ``assert``, or an ``if`` that raises or exits, compares
      the file's digest (``hashlib.sha256/sha512/md5/new(...)``, ``hashlib.file_digest``, a
      hasher fed with ``.update``, or a hashing function the notebook defines and calls with
      the path) with a recorded value: a hex literal, a constant, a config-dict entry, or a
      value read from another file (a ``.sha256`` sidecar); the check may live in a function
      the notebook defines and calls with the path (``verify(DATA, DIGEST)``). Not a check: a
      digest computed and never compared, compared without stopping, compared after the data
      was read, or compared with a value read from the same file;
    - **DVC**: a ``<file>.dvc`` beside the file (or ``<folder>.dvc`` for a folder holding it)
      that lists it with a hash, or a ``dvc.lock`` stage output (both read as YAML; ``dvc`` is
      never imported), or ``dvc.api.open/read(path, rev=<40-hex commit>)``;
    - **git**: the file (for a folder: every file in it) is committed and unmodified, or staged
      with the work tree equal to the index, so the commit being made versions it (the pre-commit hook does not block the commit
      that adds a dataset with its notebook). The run record's commit (``nbgraduate run``
      records it, with a dirty flag) then pins the data. A file that git ignores, does not
      track, or has unstaged changes to is reported, and the message says which. Git is asked
      once per lint run (``git ls-files -s`` and ``git status``);
    - **a graduated pipeline's lock**: ``nbgraduate.lock`` beside the notebook records the
      file's sha256.

    Remote data is NBG202's: a download is versioned by a fetcher that verifies a hash
    (``pooch.retrieve(known_hash=...)``, ``keras.utils.get_file(file_hash=...)``), a hub
    revision that is a 40-hex commit (``hf_hub_download``, ``load_dataset``), a URL that embeds
    a commit sha or an object-store version id, or a digest check of what it fetched before
    use; the file it writes is the notebook's own output, not a dataset of its own.
    """

    code = "NBG201"
    name = "unversioned-dataset"
    summary = "Dataset file is read with no digest check, lock, DVC file or git commit"
    rationale = """
        ``eval.csv`` is edited in place: rows are fixed, added, dropped. Without a recorded
        digest, two runs of the same notebook may score different data and nobody can tell.
        Commit the file (then the run's commit pins it), track it with DVC, verify its sha256
        before use, or graduate the notebook so its lock records it.
    """
    bad = (
        Example('import pandas as pd\ndf = pd.read_csv("data/eval.csv")\n'),
        Example(
            'import json\nDATA = "golden.jsonl"\n# %%\nrows = [json.loads(l) for l in open(DATA)]\n'
        ),
        Example(
            "import polars as pl\n"
            'questions = pl.read_ndjson("data/questions.jsonl")\n'
            'answers = pl.scan_parquet("data/answers.parquet")\n',
            note="Readers beyond pandas: polars, numpy, Hugging Face file builders:",
        ),
        Example('import numpy as np\nembeddings = np.load("data/queries.npy")\n'),
        Example(
            "from datasets import load_dataset\n"
            'ds = load_dataset("json", data_files={"test": "data/test.jsonl"})\n'
        ),
        Example(
            "from promptflow.evals.evaluate import evaluate\n"
            'result = evaluate(data="data/eval.jsonl", evaluators={"f1": f1})\n',
            note="Eval frameworks' data arguments:",
        ),
        Example(
            "from promptflow.client import PFClient\n"
            "pf = PFClient()\n"
            'run = pf.run(flow="./flow", data="data/eval.jsonl")\n'
        ),
        Example(
            "dataset = EvaluationDataset()\n"
            "dataset.add_test_cases_from_json_file(\n"
            '    file_path="data/cases.json", input_key_name="q", actual_output_key_name="a"\n'
            ")\n"
        ),
        Example(
            "from deepeval.dataset import EvaluationDataset\n"
            "dataset = EvaluationDataset()\n"
            "dataset.add_test_cases_from_csv_file(\n"
            '    file_path="data/cases.csv", input_col_name="q", actual_output_col_name="a"\n'
            ")\n"
        ),
        Example('from uptrain import JsonReader\nreader = JsonReader(fpath="data/qa.json")\n'),
        Example(
            "from inspect_ai.dataset import csv_dataset, json_dataset\n"
            'train = json_dataset("data/train.jsonl")\n'
            'test = csv_dataset("data/test.csv")\n'
        ),
        Example('results = run_eval(eval_path="data/eval.jsonl", dataset_path="data/qa.csv")\n'),
        Example(
            "import os\n"
            "from pathlib import Path\n"
            "import pandas as pd\n"
            'DATA_DIR = "data"\n'
            "# %%\n"
            'a = pd.read_csv(os.path.join(DATA_DIR, "a.csv"))\n'
            'b = pd.read_csv(Path(DATA_DIR) / "b.csv")\n',
            note="Paths composed from constants (reported where composed):",
        ),
        Example(
            "import json\n"
            "def read_jsonl(path):\n"
            "    with open(path) as f:\n"
            "        return [json.loads(line) for line in f]\n"
            "# %%\n"
            'rows = read_jsonl("data/val.jsonl")\n',
            note="Through a function the notebook defines (reported at the call's path):",
        ),
        Example(
            "import os\n"
            'CORPUS = "./blog/"\n'
            "docs = []\n"
            "for name in os.listdir(CORPUS):\n"
            "    with open(os.path.join(CORPUS, name)) as f:\n"
            "        docs.append(f.read())\n",
            note="A folder whose files the notebook lists and reads (reported at the folder):",
        ),
        Example(
            "import os\n"
            'NOTES = "cases/"\n'
            'names = sorted(n for n in os.listdir(NOTES) if n.endswith(".txt"))\n'
            "first = open(os.path.join(NOTES, names[0])).read()\n",
            note="Also when the listing is filtered into a name first:",
        ),
        Example(
            "import os\n"
            "import pandas as pd\n"
            "from pathlib import Path\n"
            'gold = pd.read_csv(Path.cwd() / "gold.csv")\n'
            'qa = pd.read_json(f"{os.getcwd()}/data/qa.jsonl", lines=True)\n',
            note="Paths anchored at the working directory:",
        ),
        Example(
            "import glob, json\n"
            "from pathlib import Path\n"
            'rows = [json.load(open(p)) for p in glob.glob("data/cases/*.json")]\n'
            'pages = [p.read_text() for p in Path("corpus").rglob("*.md")]\n'
        ),
        Example(
            "from llama_index.core import SimpleDirectoryReader\n"
            'documents = SimpleDirectoryReader("./data").load_data()\n'
            "# %%\n"
            "from langchain_community.document_loaders import DirectoryLoader\n"
            'docs = DirectoryLoader("./handbook", glob="**/*.md").load()\n',
            note="Directory readers:",
        ),
        Example(
            "from langchain_community.document_loaders import PyPDFLoader\n"
            'pages = PyPDFLoader("docs/handbook.pdf").load()\n'
            "# %%\n"
            "import base64\n"
            'with open("inputs/receipt.png", "rb") as f:\n'
            "    image = base64.b64encode(f.read()).decode()\n"
            "# %%\n"
            "from PIL import Image\n"
            'chart = Image.open("inputs/chart.jpg")\n',
            note="Documents and images the eval feeds to a model:",
        ),
        Example(
            "import boto3\n"
            's3 = boto3.client("s3")\n'
            's3.upload_file("data/gold.jsonl", "evals", "inputs/gold.jsonl")\n',
            note="A file uploaded for a hosted eval job to read:",
        ),
        Example(
            "import duckdb\n"
            'RUNS = "assets/runs.parquet"\n'
            "duckdb.sql(f\"CREATE TABLE runs AS SELECT * FROM '{RUNS}'\")\n"
            "con = duckdb.connect()\n"
            "con.execute(\"SELECT * FROM read_csv('data/qa.csv')\")\n",
            note="Files a DuckDB query reads (`FROM 'file'`, `read_*('file')`):",
        ),
        Example(
            "import hashlib\n"
            "import pandas as pd\n"
            'DATA = "data/eval.csv"\n'
            'digest = hashlib.sha256(open(DATA, "rb").read()).hexdigest()\n'
            "print(digest)  # computed, never compared\n"
            "df = pd.read_csv(DATA)\n",
            note="A digest computed but never compared checks nothing:",
        ),
        Example(
            "import hashlib\n"
            "import pandas as pd\n"
            'DATA = "data/eval.csv"\n'
            "df = pd.read_csv(DATA)\n"
            'assert hashlib.sha256(open(DATA, "rb").read()).hexdigest() == "9f2c1d0e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d"\n',
            note="Compared after the data was already used:",
        ),
        Example(
            "import hashlib, json\n"
            'DATA = "data/eval.json"\n'
            "record = json.load(open(DATA))\n"
            'assert hashlib.sha256(open(DATA, "rb").read()).hexdigest() == record["sha256"]\n',
            note="Compared with a value read from the same file:",
        ),
        Example(
            "import hashlib\n"
            "import pandas as pd\n"
            'DATA = "data/eval.csv"\n'
            'if hashlib.sha256(open(DATA, "rb").read()).hexdigest() != "9f2c1d0e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d":\n'
            '    print("the eval set changed")  # warns, does not stop\n'
            "df = pd.read_csv(DATA)\n",
            note="Compared without stopping:",
        ),
        Example(
            'import pandas as pd\ndf = pd.read_csv("data/eval.csv")\n',
            note="A `.dvc` file for a different path:",
            files="==> data/train.csv.dvc <==\nouts:\n- md5: 1f2e3d4c5b6a79881f2e3d4c5b6a7988\n  path: train.csv\n",
        ),
        Example(
            "import os\n"
            'for name in os.listdir("corpus"):\n'
            '    text = open(os.path.join("corpus", name)).read()\n',
            note="A listed folder with a file git does not track:",
            files="==> corpus/a.txt [committed] <==\nfirst\n==> corpus/b.txt [untracked] <==\nsecond\n",
        ),
        Example(
            'import pandas as pd\ndf = pd.read_csv("data/eval.csv")\n',
            note="Git does not track the file (likewise for an ignored file):",
            files="==> data/eval.csv [untracked] <==\nquestion,answer\n",
        ),
        Example(
            'import pandas as pd\ndf = pd.read_csv("data/eval.csv")\n',
            note="Committed, then changed and not staged:",
            files="==> data/eval.csv [modified] <==\nquestion,answer\n",
        ),
    )
    good = (
        Example(
            "import hashlib\n"
            "import pandas as pd\n"
            'DATA = "data/eval.csv"\n'
            'DIGEST = "9f2c1d0e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d"\n'
            'with open(DATA, "rb") as fh:\n'
            "    assert hashlib.sha256(fh.read()).hexdigest() == DIGEST\n"
            "df = pd.read_csv(DATA)\n",
            note="A digest check before use, the path and the digest in constants:",
        ),
        Example(
            "import hashlib\n"
            "import polars as pl\n"
            'CONFIG = {"dataset": "data/eval.parquet", "sha256": "9f2c1d0e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d"}\n'
            "# %%\n"
            'with open(CONFIG["dataset"], "rb") as handle:\n'
            '    digest = hashlib.file_digest(handle, "sha256").hexdigest()\n'
            'if digest != CONFIG["sha256"]:\n'
            '    raise ValueError("the eval set changed")\n'
            "# %%\n"
            'df = pl.read_parquet(CONFIG["dataset"])\n',
            note="`hashlib.file_digest`, the digest in a config dict, `if ...: raise`:",
        ),
        Example(
            "import hashlib\n"
            "import json\n"
            "from pathlib import Path\n"
            'DATA = Path("data") / "golden.jsonl"\n'
            "def sha256_of(path):\n"
            "    digest = hashlib.sha256()\n"
            '    with open(path, "rb") as f:\n'
            '        for block in iter(lambda: f.read(1 << 20), b""):\n'
            "            digest.update(block)\n"
            "    return digest.hexdigest()\n"
            "# %%\n"
            'assert sha256_of(DATA) == "9f2c1d0e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d"\n'
            "rows = [json.loads(line) for line in DATA.open()]\n",
            note="A hashing function the notebook defines, called with the path:",
        ),
        Example(
            "import hashlib\n"
            "import pandas as pd\n"
            "def verify(path, expected):\n"
            '    if hashlib.md5(open(path, "rb").read()).hexdigest() != expected:\n'
            '        raise RuntimeError(f"{path} changed")\n'
            'verify("data/eval.csv", "9f2c1d0e8b7a6c5d4e3f2a1b0c9d8e7f")\n'
            'df = pd.read_csv("data/eval.csv")\n',
            note="The whole check in a function the notebook defines:",
        ),
        Example(
            'import pandas as pd\ndf = pd.read_csv("data/eval.csv")\n',
            note="DVC tracks the file:",
            files="==> data/eval.csv.dvc <==\nouts:\n- md5: 1f2e3d4c5b6a79881f2e3d4c5b6a7988\n  size: 16\n  hash: md5\n  path: eval.csv\n",
        ),
        Example(
            'import pandas as pd\ndf = pd.read_csv("data/prepared.csv")\n',
            note="A DVC pipeline's `dvc.lock` records it:",
            files=(
                "==> dvc.lock <==\nschema: '2.0'\nstages:\n  prepare:\n    cmd: python prepare.py\n"
                "    outs:\n    - path: data/prepared.csv\n      hash: md5\n"
                "      md5: 1f2e3d4c5b6a79881f2e3d4c5b6a7988\n"
            ),
        ),
        Example(
            "import dvc.api\n"
            'text = dvc.api.read("data/eval.csv", rev="3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a")\n',
            note="Read through DVC at a commit:",
        ),
        Example(
            'import pandas as pd\ndf = pd.read_csv("data/eval.csv")\n',
            note="Git versions the file (the run record's commit pins it):",
            files="==> data/eval.csv [committed] <==\nquestion,answer\n",
        ),
        Example(
            'import pandas as pd\ndf = pd.read_csv("data/eval.csv")\n',
            note="Staged with the notebook, in the commit being made:",
            files="==> data/eval.csv [staged] <==\nquestion,answer\n",
        ),
        Example(
            "import os\n"
            'for name in os.listdir("corpus"):\n'
            '    text = open(os.path.join("corpus", name)).read()\n',
            note="Git versions every file of a listed folder:",
            files="==> corpus/a.txt [committed] <==\nfirst\n==> corpus/b.txt [staged] <==\nsecond\n",
        ),
        Example(
            "import os\n"
            'print(len(os.listdir("data")), "files")\n'
            "# %%\n"
            "import glob, json\n"
            'for path in glob.glob("runs/*.json"):\n'
            "    summary = json.load(open(path))\n",
            note="Counting a folder's files reads no data; a folder of runs or outputs holds none:",
        ),
        Example(
            "from IPython.display import display\n"
            "from PIL import Image\n"
            'display(Image.open("docs/architecture.png"))\n',
            note="An image opened to be shown:",
        ),
        Example(
            "import polars as pl\n"
            "scores = compute_scores()\n"
            'scores.write_csv("out/scores.csv")\n'
            "# %%\n"
            'again = pl.read_csv("out/scores.csv")\n',
            note="A file the notebook wrote itself and reads back is not a dataset:",
        ),
        Example(
            "from pathlib import Path\n"
            "import pandas as pd\n"
            'with Path.open(Path("simulated.jsonl"), "w") as file:\n'
            "    file.write(simulated)\n"
            'rows = pd.read_json("simulated.jsonl", lines=True)\n',
            note="Written through the unbound `Path.open(path, mode)` too:",
        ),
        Example(
            'import pickle\nclassifier = pickle.load(open("intent_classifier_model.pkl", "rb"))\n',
            note="A pickled model (its name says model, weights, classifier...) is not eval data:",
        ),
        Example(
            "import urllib.request\n"
            "import pandas as pd\n"
            'URL = "https://raw.githubusercontent.com/org/evals/'
            '3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a/eval.csv"\n'
            'urllib.request.urlretrieve(URL, "eval.csv")\n'
            'df = pd.read_csv("eval.csv")\n',
            note="A file the notebook downloaded (NBG202 judges the download) or wrote itself:",
        ),
        Example(
            "import pandas as pd\n"
            "from together import Together\n"
            "client = Together()\n"
            'client.files.retrieve_content(job.output_file_id, output="judged.jsonl")\n'
            "# %%\n"
            'judged = pd.read_json("judged.jsonl", lines=True)\n',
            note="API results the notebook saves and reads back:",
        ),
    )

    def check(self, context: LintContext) -> Iterator[Finding]:
        reported: set[int] = set()
        for read in (*context.dataset_reads, *context.dataset_folder_reads):
            node = read.location.node
            if read.kind != "local" or read.verified_by or id(node) in reported:
                continue
            if digest_verified(read, context.digest_checks):
                continue
            pins = context.dataset_pins
            where = split_glob(read.path)[0] if read.folder else read.path
            if pins.pinned_by(where, folder=read.folder) is not None:
                continue
            reported.add(id(node))
            problem = pins.git_problem(where, folder=read.folder)
            because = f" ({problem})" if problem else ""
            if not read.folder:
                what = f"dataset {read.path!r} is read"
            elif split_glob(read.path)[1]:
                what = f"dataset files {read.path!r} are read"
            else:
                what = f"dataset folder {read.path!r} has its files read"
            them, their = ("them", "their") if read.folder else ("it", "its")
            message = (
                f"{what} with no digest check, lock, DVC file or git commit pinning {them}"
                f"{because}; {their} content can change between runs"
            )
            yield self.finding(message, context.position(node), context.end_position(node))
