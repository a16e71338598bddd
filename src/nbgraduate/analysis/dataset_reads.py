"""Find every dataset the notebook reads or downloads, and the files it writes itself.

A *read* is a call that consumes a data file or a hub dataset: pandas, polars, numpy, pyarrow,
``open`` of a data file, Hugging Face ``load_dataset``, eval frameworks' data arguments
(promptflow ``evaluate(data=...)``, deepeval ``add_test_cases_from_csv_file``, uptrain
``JsonReader(fpath=...)``, Inspect ``json_dataset``), and downloads (``urlretrieve``,
``wget.download``, ``gdown``, ``pooch.retrieve``, ``keras.utils.get_file``, ``kagglehub``,
``requests.get``/``httpx.get`` of a data URL). Paths are followed through constants, config
dicts and compositions (``DATA_DIR / "eval.csv"``, ``os.path.join``), and through functions the
notebook defines: ``read_jsonl(DATA / "val.jsonl")`` reads ``data/val.jsonl`` when
``read_jsonl`` opens its parameter. Each read is located where a human would edit the path.

Files the notebook writes itself before reading them back (``to_csv``, ``open(..., "w")``,
a download's destination, an extracted archive's folder, ``!wget -O``) are not datasets: the
download that produced them is.
"""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Iterable, Iterator
from functools import cached_property
from urllib.parse import urlsplit

from nbgraduate.analysis import catalog
from nbgraduate.analysis.facts import CallSite, Scope, dotted_name, unaliased
from nbgraduate.analysis.model_refs import is_commit_sha
from nbgraduate.analysis.path_values import normalise_path, path_pattern, path_values
from nbgraduate.analysis.shell_downloads import is_data_download_url
from nbgraduate.analysis.values import ResolvedValue, ValueResolver
from nbgraduate.core import regex_cache
from nbgraduate.core.records import Record

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from nbgraduate.analysis.digest_checks import DigestCheck
    from nbgraduate.analysis.shell_downloads import ShellEffects

__all__ = [
    "DatasetKind",
    "DatasetRead",
    "WrittenFiles",
    "digest_verified",
    "find_dataset_reads",
    "first_use",
    "is_data_like_url",
    "normalise_path",
    "remote_pin_problem",
]

if TYPE_CHECKING:
    from typing import Literal

    DatasetKind = Literal["local", "remote", "hub"]
else:  # at run time the alias names what the values are
    DatasetKind = str

_URL = regex_cache.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
#: A Wayback Machine capture at a 14-digit timestamp: a snapshot that does not change.
_ARCHIVED_SNAPSHOT = regex_cache.compile(r"^https?://web\.archive\.org/web/\d{14}(?:id_)?/")
_LOCAL_URL = regex_cache.compile(r"^(?:file:|https?://(?:localhost|127\.|0\.0\.0\.0)(?:[:/]|$))")
_SHA_ANYWHERE = regex_cache.compile(r"(?<![0-9a-fA-F])[0-9a-f]{40}(?![0-9a-fA-F])")
_MUTABLE_SEGMENT = regex_cache.compile(
    r"/(?:main|master|HEAD|head|latest|develop|dev|trunk|nightly|current|refs/heads/[^/]+)(?:/|$|\?|\.)",
)
_OBJECT_STORE = regex_cache.compile(
    r"^(?:s3|s3a|gs|gcs|az|abfs|abfss|wasbs|r2|oss)://", re.IGNORECASE
)
_GIT_HOSTS = (
    "github.com",
    "raw.githubusercontent.com",
    "gitlab.com",
    "huggingface.co",
    "bitbucket.org",
)
#: Hosts whose GET responses are files (code hosts, object stores, file shares, data archives).
_DATA_HOSTS = (
    "raw.githubusercontent.com",
    "gist.githubusercontent.com",
    "github.com",
    "api.github.com",
    "gitlab.com",
    "huggingface.co",
    "drive.google.com",
    "docs.google.com",
    "storage.googleapis.com",
    "s3.amazonaws.com",
    "blob.core.windows.net",
    "zenodo.org",
    "figshare.com",
    "dropbox.com",
    "dropboxusercontent.com",
    "kaggle.com",
)
#: Extensions of fetched files that are documents or archives of data, beyond data files.
_FETCHED_DATA_EXTENSIONS = (".txt", ".md", ".zip", ".gz", ".tgz", ".tar", ".sql", ".xml", ".bz2")
_S3_HOST = regex_cache.compile(r"^(?:[\w.-]+\.)?s3[.-][\w.-]*amazonaws\.com$")
#: How many lines after a GET a file write still counts as saving its response.
_SAVED_RESPONSE_LINES = 15
#: Methods that write their argument to a file or stream.
_WRITE_METHODS = frozenset({"write", "write_bytes", "write_text"})
_OPEN_CALLS = frozenset(
    {
        "open",
        "io.open",
        "codecs.open",
        "gzip.open",
        "bz2.open",
        "lzma.open",
        # openers of local paths and URLs alike (``fsspec.open("s3://evals/qa.jsonl")``)
        "fsspec.open",
        "smart_open.open",
        "smart_open.smart_open",
    }
)
_DVC_READS = frozenset({"dvc.api.open", "dvc.api.read"})
_KAGGLE_VERSION = regex_cache.compile(r"/versions/\d+$")

if TYPE_CHECKING:
    Role = Literal[
        "read",
        "write",
        "folder",
        "download",
        "http",
        "hub",
        "hf",
        "kaggle",
        "s3",
        "listing",
        "directory",
        "made",
        "web",
        "sql",
        "db",
        "store",
        "blob",
    ]


class DatasetRead(Record):
    """One dataset location read by a call; ``location.node`` is where the path is written.

    ``line`` is the program line at which the read happens in notebook order (a read inside a
    function the notebook defines happens when that function is first called). A download has
    ``download=True`` and, when known, the ``destination`` file it writes; ``verified_by`` names
    the fetcher argument that makes it check a hash (``pooch.retrieve(known_hash=...)``).
    ``folder`` marks a folder whose files are read (``os.listdir``, ``glob``, a directory reader):
    the lock records files, so folder reads are kept apart (see :func:`find_dataset_reads`).
    """

    _fields = (
        "call",
        "location",
        "kind",
        "revision",
        "line",
        "download",
        "destination",
        "verified_by",
        "hub",
        "folder",
        "web",
    )
    __slots__ = _fields

    def __init__(
        self,
        call: CallSite,
        location: ResolvedValue,
        kind: DatasetKind,
        revision: str | None = None,
        line: int = 0,
        download: bool = False,
        destination: str | None = None,
        verified_by: str | None = None,
        hub: str = "huggingface",
        folder: bool = False,
        web: bool = False,
    ) -> None:
        self.call = call
        self.location = location
        self.kind = kind
        self.revision = revision
        self.line = line
        self.download = download
        self.destination = destination
        self.verified_by = verified_by
        self.hub = hub
        self.folder = folder
        #: Live web content (a page loader, a Wikipedia reader): it has no version at all.
        self.web = web

    @property
    def path(self) -> str:
        return str(self.location.value)


class _Sink(Record):
    """A call argument that names a dataset (or a written file), where its value is read."""

    _fields = (
        "role",
        "call",
        "argument",
        "scope",
        "line",
        "data_extension",
        "revision",
        "verified_by",
        "destination",
        "documents",
        "pattern",
        "scheme",
        "urls_only",
    )
    __slots__ = _fields

    def __init__(
        self,
        role: Role,
        call: CallSite,
        argument: ast.expr | None,
        scope: Scope,
        line: int,
        data_extension: bool = False,
        revision: ast.expr | None = None,
        verified_by: str | None = None,
        destination: ast.expr | None = None,
        documents: bool = False,
        pattern: ast.expr | None = None,
        scheme: str | None = None,
        urls_only: bool = False,
    ) -> None:
        self.role = role
        self.call = call
        self.argument = argument
        self.scope = scope
        self.line = line
        self.data_extension = data_extension
        self.revision = revision
        self.verified_by = verified_by
        self.destination = destination
        #: Documents and images (``.pdf``, ``.png``...) count as data files too.
        self.documents = documents
        #: A glob pattern applied to the folder the argument names (``Path(p).glob("*.json")``).
        self.pattern = pattern
        #: The object store a filesystem object reads from (``s3://`` for ``s3fs.S3FileSystem()``),
        #: put before a path written without one (``fs.open("bucket/key")``).
        self.scheme = scheme
        #: Only URLs count (``pd.read_html(url)``; a local HTML file is not the web).
        self.urls_only = urls_only


#: An IPython ``{expression}`` left in a shell command's file name.
_SUBSTITUTED = regex_cache.compile(r"\{[^{}/]+\}")


class WrittenFiles:
    """Files and folders the notebook writes, each from a program line on."""

    def __init__(self) -> None:
        self._files: dict[str, int] = {}
        self._folders: dict[str, int] = {}
        #: Folders the notebook creates (``os.makedirs``, ``Path.mkdir``): what is listed in
        #: them later is its own output. Reads of single files in them are still checked.
        self._made: dict[str, int] = {}
        #: Files named with an IPython substitution lint could not expand (``!wget -O
        #: {lang}.txt URL`` in a loop): each ``{...}`` stands for any name within a folder.
        self._patterns: list[re.Pattern[str]] = []

    def made(self, path: str, line: int) -> None:
        path = "." if path.strip() in ("", ".", "./") else normalise_path(path)
        self._made[path] = min(line, self._made.get(path, line))

    def add(self, path: str, line: int, *, folder: bool = False) -> None:
        path = "." if path.strip() in ("", ".", "./") else normalise_path(path)
        table = self._folders if folder else self._files
        table[path] = min(line, table.get(path, line))
        pieces = _SUBSTITUTED.split(path)
        if not folder and len(pieces) > 1 and pieces[-1]:  # ``{lang}.txt``, not a bare ``{out}``
            self._patterns.append(re.compile("[^/]+".join(re.escape(p) for p in pieces)))
        if not folder and "/" not in path:
            # Colab's working directory: ``!wget URL`` then ``read_csv("/content/<file>")``.
            table.setdefault(f"/content/{path}", line)

    def wrote_before(self, path: str, line: int) -> bool:
        """Whether the notebook writes the file ``path`` anywhere (a cache is often written
        after the cell that reads it when it exists), or a folder holding it before ``line``."""
        path = normalise_path(path)
        if path.startswith("/content/") and self._wrote_before(
            path.removeprefix("/content/"), line
        ):
            return (
                True  # Colab's working directory: ``!wget -P data/ URL``, then ``/content/data/``
            )
        return self._wrote_before(path, line)

    def _wrote_before(self, path: str, line: int) -> bool:
        if path in self._files:
            return True
        if any(pattern.fullmatch(path) for pattern in self._patterns):
            return True
        for folder, written in self._folders.items():
            if written >= line:
                continue
            if folder == "." and not path.startswith(("/", "..")):
                return True
            if folder == "/content" and path.startswith("/content/"):
                return True
            if path == folder or path.startswith(folder.rstrip("/") + "/"):
                return True
        return False

    def wrote_object(self, location: str, line: int) -> bool:
        """Whether the notebook writes exactly this remote object or hub repository
        (``df.to_parquet("s3://...")``, ``ds.push_to_hub("me/evals")``) before ``line``."""
        written = self._files.get(normalise_path(location))
        return written is not None and written < line

    def wrote_into(self, folder: str, line: int) -> bool:
        """Whether the notebook writes or creates the folder ``folder`` (or a folder holding
        it; a glob's folder) before ``line``, or writes any file inside it: listing it lists the
        notebook's own output."""
        folder = split_glob(folder)[0]
        if self.wrote_before(folder, line):
            return True
        normal = normalise_path(folder)
        if any(
            normal == made or normal.startswith(made.rstrip("/") + "/")
            for made, at in self._made.items()
            if at < line and made != "."
        ):
            return True
        prefix = normal.rstrip("/") + "/"
        if prefix == "./":
            return bool(self._files)
        return any(path.startswith(prefix) for path in self._files) or any(
            path.startswith(prefix) for path in self._folders
        )


def find_dataset_reads(
    values: ValueResolver,
    shell: ShellEffects | None = None,
    own_output: list[DatasetRead] | None = None,
    folders: list[DatasetRead] | None = None,
) -> list[DatasetRead]:
    """Dataset reads and downloads in notebook order; a hub dataset is one read of its repo id.

    Reads of files the notebook wrote before (in Python or, with ``shell``, in ``!`` commands)
    are left out: they are the notebook's own output, not a dataset. They are appended to
    ``own_output`` when given (a download's first use is the first read of what it wrote).
    Folders whose files are read (a listing loop, a directory reader) are appended to
    ``folders`` when given, not returned: the lock and the converter handle files.
    """
    finder = _ReadFinder(values)
    found: list[_Sink] = []
    verdicts = _SINK_NAME_VERDICTS
    for call in values.facts.calls:
        # Whether the call may be a sink, by its qualified name (one lookup) or its keywords: the
        # many calls that read or write nothing (``print``, ``df.head``) cost no more.
        named = verdicts.get(call.qualified_name)
        if named is None:
            named = verdicts[call.qualified_name] = _named_as_sink(call.qualified_name)
        keywords = call.keywords
        if named or (keywords and not _SINK_KEYWORDS.isdisjoint(keywords)):
            found += finder.sinks_of(unaliased(call))
    sinks = finder.through_helpers(found)
    written = WrittenFiles()
    for sink in sinks:
        if sink.role in ("write", "folder"):
            paths = path_values(sink.argument, sink.scope, values)
            for value in paths:
                written.add(str(value.value), sink.line, folder=sink.role == "folder")
            if not paths and sink.role == "write":
                pattern = path_pattern(sink.argument, sink.scope, values)
                if pattern is not None:
                    written.add(pattern, sink.line)
        elif sink.role == "made":
            for value in path_values(sink.argument, sink.scope, values):
                written.made(str(value.value), sink.line)
    if shell is not None:
        for path, folder, line in shell.written:
            written.add(path, line, folder=folder)
    reads: list[DatasetRead] = []
    for sink in sinks:
        for read in finder.reads(sink):
            if read.kind == "remote" and _blank_host(read.path):
                continue  # ``f"gs://{BUCKET}/..."`` with ``BUCKET = ""`` left for the user
            if read.kind == "local" and read.path.startswith("~/."):
                continue  # ``~/.cache/...``: a tool's state under the home folder, not eval data
            if read.kind == "local" and _model_artifact(read.path):
                continue  # ``classifier_model.pkl``: a trained model (the models family's)
            if read.download and read.destination:
                written.add(read.destination, read.line)
            reads.append(read)
    downloaded_at = min((read.line for read in reads if read.download), default=None)
    kept: list[DatasetRead] = []
    for read in reads:
        if read.folder:
            if folders is not None and not written.wrote_into(read.path, read.line):
                folders.append(read)
        elif read.kind == "local" and (
            written.wrote_before(read.path, read.line)
            or _tool_named(read.path, read.line, downloaded_at)
        ):
            if own_output is not None:
                own_output.append(read)
        elif read.kind != "local" and not read.web and written.wrote_object(read.path, read.line):
            continue  # an object or hub dataset the notebook itself writes, read back
        else:
            kept.append(read)
    kept.sort(key=lambda read: read.line)
    if folders is not None:
        folders.sort(key=lambda read: read.line)
    return kept


#: How many assignments back a listed file name is followed (``names`` -> ``files`` -> listing).
_MAX_DERIVATION = 3
_LOADER_FILE_KEYWORDS = ("file", "file_path", "input_file")
#: Keywords naming where a download helper writes (``download_pdf(filename=...)``).
_DOWNLOAD_DESTINATION_KEYWORDS = (
    "output",
    "destination",
    "dest",
    "filename",
    "file_name",
    "dirpath",
    "local_path",
    "target_path",
)
_MAKE_FOLDER_CALLS = frozenset({"os.makedirs", "os.mkdir"})
_DISPLAY_METHODS = frozenset({"display", "imshow", "show"})
_FILE_READ_METHODS = frozenset({"read_text", "read_bytes", "load", "load_data", "imread"})
_EXTENSION = regex_cache.compile(r"\.[A-Za-z0-9]+$")
#: Row-per-example formats, and names of a set of prompts in one (``eval_prompts.jsonl``).
_ROW_FILE_EXTENSIONS = (".jsonl", ".csv", ".tsv", ".parquet")
_MODEL_OUTPUT_WORDS = (
    "output",
    "response",
    "answer",
    "prediction",
    "result",
    "generation",
    "completion",
    "example",
    "sample",
)
_PROMPT_ROWS = regex_cache.compile(r"prompts(?![a-z])")
_FORMAT_FIELD = regex_cache.compile(r"\{[^{}]*\}")
_GLOB_CHARACTERS = regex_cache.compile(r"[*?\[]")
_WORD = regex_cache.compile(r"[a-z0-9]+")
#: Folders listed by system or temporary paths, not eval data.
_SYSTEM_FOLDERS = ("/tmp", "/proc", "/dev", "/sys", "/usr", "/etc", "/var", "/bin", "/opt")


def split_glob(path: str) -> tuple[str, str]:
    """``("data/qa", "*.jsonl")`` for ``data/qa/*.jsonl``: the folder before the first
    component with a wildcard, and the rest (empty when there is no wildcard)."""
    parts = path.replace("\\", "/").split("/")
    for index, part in enumerate(parts):
        if _GLOB_CHARACTERS.search(part):
            folder = "/".join(parts[:index]) or "."
            return normalise_path(folder) if folder != "/" else "/", "/".join(parts[index:])
    return normalise_path(path), ""


def _is_data_folder(folder: str, has_pattern: bool) -> bool:
    """A folder that may hold eval data: not the working folder itself (unless a pattern picks
    files from it), a system folder, or one whose name says it holds output, caches or models."""
    if folder in ("", "."):
        return has_pattern
    if folder.startswith(_SYSTEM_FOLDERS):
        return False
    name = folder.rstrip("/").rsplit("/", 1)[-1].lower()
    return not any(
        word == avoid or word == avoid + "s" or (len(avoid) > 4 and word.startswith(avoid))
        for word in _WORD.findall(name)
        for avoid in catalog.NOT_DATA_FOLDER_WORDS
    )


def _returned_values(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.expr]:
    """The expressions ``function`` returns (not those of functions nested in it)."""
    found: list[ast.expr] = []
    stack: list[ast.AST] = list(function.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Return):
            if node.value is not None:
                found.append(node.value)
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            stack.extend(
                child
                for child in ast.iter_child_nodes(node)
                if isinstance(child, (ast.stmt, ast.excepthandler))
            )
    return found


_UUID_NAME = regex_cache.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.[a-z0-9.]+$", re.IGNORECASE
)


def _tool_named(path: str, line: int, downloaded_at: int | None) -> bool:
    """A file named by a UUID, read after a download: a tool chose its name (LangSmith's
    ``download_public_dataset`` writes ``<dataset id>.json``), so the download wrote it."""
    if downloaded_at is None or downloaded_at > line:
        return False
    return bool(_UUID_NAME.match(normalise_path(path)))


def first_use(
    destinations: Iterable[str],
    after: int,
    own_output: Iterable[DatasetRead],
    checks: Iterable[DigestCheck] = (),
) -> int:
    """The first line after ``after`` that reads one of ``destinations`` (a file, or a folder
    ending in ``/``) other than to hash it; a very large number when nothing reads them."""
    wanted = [normalise_path(d) + ("/" if d.endswith("/") else "") for d in destinations]
    hashing = {call for check in checks for call in check.hashing_calls}
    lines = [
        read.line
        for read in own_output
        if read.line > after
        and id(read.call.node) not in hashing
        and any(
            normalise_path(read.path) == d
            or normalise_path(read.path).startswith(d.rstrip("/") + "/")
            for d in wanted
        )
    ]
    return min(lines, default=1 << 30)


def digest_verified(
    read: DatasetRead, checks: Iterable[DigestCheck], first_use: int | None = None
) -> bool:
    """Whether a digest check covers ``read`` before its data is used.

    A local read is covered by a check of its path on an earlier line. A download is covered by
    a check of its URL or destination at or after the download and before ``first_use`` (the
    first read of what it fetched; the caller knows it), so checking after using is no check.
    """
    keys = {normalise_path(read.path), read.path}
    if read.destination:
        keys.add(normalise_path(read.destination))
    for check in checks:
        if not keys & check.paths:
            continue
        if id(read.call.node) in check.hashing_calls:
            return True  # the read that feeds the hash is the check itself
        if read.download or read.kind == "remote":
            if check.line >= read.line and (first_use is None or check.line < first_use):
                return True
        elif check.line < read.line or (
            # Both run in one call of a notebook function: its lines decide the order.
            check.line == read.line and getattr(check.node, "lineno", 0) < read.call.line
        ):
            return True
    return False


def remote_pin_problem(url: str) -> str | None:
    """Why a remote dataset URL can change under the notebook, or ``None`` when it cannot."""
    if url.startswith("hf://"):
        repository = url[len("hf://") :]
        head = repository.split("/", 3)
        ref = "/".join(head[:3])
        if "@" in ref and is_commit_sha(ref.rsplit("@", 1)[1]):
            return None
        return "a Hugging Face path without an @<40-hex commit> revision follows the branch head"
    if _OBJECT_STORE.match(url):
        lowered = url.lower()
        if "versionid=" in lowered or "generation=" in lowered or "#generation" in lowered:
            return None
        return "an object-store key without a version id can be overwritten in place"
    lowered = url.lower()
    if "versionid=" in lowered and ("amazonaws.com" in lowered or "s3." in lowered):
        return None
    if "generation=" in lowered and "storage.googleapis.com" in lowered:
        return None
    if _SHA_ANYWHERE.search(url) or _ARCHIVED_SNAPSHOT.match(url):
        return None
    if _MUTABLE_SEGMENT.search(url):
        return "the URL points at a moving ref (branch or 'latest'), not a commit"
    host = url.split("://", 1)[-1].split("/", 1)[0].lower()
    if host.endswith(("drive.google.com", "docs.google.com")):
        return "a Google Drive file can be replaced in place; check the download's digest"
    if host.endswith(_GIT_HOSTS):
        return "the URL does not name a commit sha, so its content can change"
    return "a remote file without a commit, version id or digest check can change at any time"


def is_data_like_url(url: str) -> bool:
    """Whether a GET of ``url`` fetches a file: a data host or a data-file extension."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host or host in ("localhost", "0.0.0.0") or host.startswith("127."):
        return False
    path = parts.path.lower()
    if path.endswith(catalog.NOT_DATA_DOWNLOAD_EXTENSIONS):
        return False
    if path.endswith(catalog.DATA_FILE_EXTENSIONS + _FETCHED_DATA_EXTENSIONS):
        return True
    if host == "api.github.com":
        return "/contents/" in path
    if host in ("github.com", "gitlab.com"):
        # A repository's web pages are not files; its raw, blob and release paths are.
        return any(part in path for part in ("/raw/", "/blob/", "/-/raw/", "/releases/download/"))
    if host == "huggingface.co":
        return "/resolve/" in path or "/datasets/" in path
    return host.endswith(_DATA_HOSTS) or bool(_S3_HOST.match(host))


class _ReadFinder:
    """Turns calls into sinks (which argument names what), follows them through the notebook's
    own functions, and resolves them into :class:`DatasetRead` values."""

    def __init__(self, values: ValueResolver) -> None:
        self.values = values
        self.facts = values.facts
        self._read_sites: list[CallSite] | None = None

    @cached_property
    def _calls_by_name(self) -> dict[str, list[CallSite]]:
        """The calls of each of the notebook's own functions (``read_jsonl(...)``), by name;
        most notebooks ask for none, or for none of their sinks."""
        functions = self.facts.functions
        found: dict[str, list[CallSite]] = {}
        if functions:
            for call in self.facts.calls:
                # A function's name has no dot: this is a plain call of it.
                if call.written_name in functions:
                    found.setdefault(call.written_name, []).append(call)
        return found

    @cached_property
    def _file_writes(self) -> list[tuple[Scope, int]]:
        """Where each file is opened for writing: its scope and line."""
        return [
            (call.scope, call.line)
            for call in self.facts.calls
            if call.qualified_name in _OPEN_CALLS and self._open_mode(call) == "write"
        ]

    @cached_property
    def _uses_lighteval(self) -> bool:
        """Whether the notebook imports lighteval, whose task configs name their hub dataset."""
        return any(name.startswith("lighteval") for name in self.facts.imports.values())

    # -- sinks ----------------------------------------------------------------------------------
    def sinks_of(self, call: CallSite) -> list[_Sink]:
        """The sinks of a call that may be one (:func:`_named_as_sink`, or a keyword among
        :data:`_SINK_KEYWORDS`), seen through import aliases
        (:func:`~nbgraduate.analysis.facts.unaliased`)."""
        sink = _SinkMaker(call, self)
        qualified = call.qualified_name
        method = call.method
        if method in ("load_dataset", "dataset_load") and "kagglehub" in qualified:
            return [sink("kaggle", call.argument(1, "handle"))]
        if "hf_repo" in call.keywords and self._uses_lighteval:
            # lighteval ``LightevalTaskConfig(hf_repo="allenai/ai2_arc", hf_revision=...)``
            hub = call.keywords["hf_repo"]
            return [sink("hf", hub, revision=call.keywords.get("hf_revision"))]
        if method in _S3_METHODS and _is_s3_client_call(call):
            key = call.argument(1 if method != "get_object" else 99, "Key")
            if key is not None and call.argument(0, "Bucket") is not None:
                return [sink("s3", key, destination=call.argument(2, "Filename"))]
            return []
        if qualified == "datasets.load_dataset" or (
            method == "load_dataset" and qualified.endswith("load_dataset")
        ):
            if self._method_of_other_client(call):
                return []
            return [sink("hf", call.argument(0, "path"), revision=call.keywords.get("revision"))]
        if method in ("hf_hub_download", "snapshot_download"):
            return self._hub_download(call, sink)
        if method == "hf_dataset" and "inspect" in qualified:
            return [sink("hub", call.argument(0, "path"), revision=call.keywords.get("revision"))]
        if method == "from_huggingface":
            argument = call.argument(0, "dataset_name", "path")
            return [sink("hub", argument, revision=call.keywords.get("revision"))]
        if method in ("dataset_download", "competition_download") and "kagglehub" in qualified:
            return [sink("kaggle", call.argument(0, "handle"))]
        if qualified in _DVC_READS:
            return self._dvc_read(call, sink)
        if method in catalog.OBJECT_STORE_FILE_METHODS and isinstance(
            call.node.func, ast.Attribute
        ):
            scheme = self._object_store_scheme(call.node.func.value, call.scope)
            if scheme is not None:
                return self._object_store_file(call, sink, scheme)
        if method in catalog.CLOUD_BLOB_DOWNLOADS and isinstance(call.node.func, ast.Attribute):
            blob = self.values.resolve_call(call.node.func.value, call.scope)
            if (
                blob is not None
                and isinstance(blob.func, ast.Attribute)
                and blob.func.attr == "blob"
            ):
                local = call.argument(0, "filename") if method == "download_to_filename" else None
                return [sink("blob", blob)] + ([sink("write", local)] if local is not None else [])
        if method in catalog.NAMED_DATASET_DOWNLOADS:
            name_keyword, folder_keyword, elsewhere, _ = catalog.NAMED_DATASET_DOWNLOADS[method]
            if elsewhere in call.keywords:
                return []  # fetched from a location the notebook chose, not the registry head
            folder = call.argument(1, folder_keyword)
            found = [sink("download", call.argument(0, name_keyword))]
            return found + ([sink("folder", folder)] if folder is not None else [])
        if method in catalog.SNAPSHOT_RESTORES and isinstance(call.node.func, ast.Attribute):
            keywords, checksum = catalog.SNAPSHOT_RESTORES[method]
            given = call.keywords.get(checksum)
            verified = (
                f"{method}({checksum}=...)"
                if given is not None and not (isinstance(given, ast.Constant) and not given.value)
                else None
            )
            return [sink("download", call.argument(1, *keywords), verified_by=verified)]
        if method == "push_to_hub" and isinstance(call.node.func, ast.Attribute):
            return [sink("write", call.argument(0, "repo_id"))]
        if method in catalog.HOSTED_EVAL_JOB_CALLS:
            return [sink("read", uri) for uri in self._job_dataset_uris(call)]
        if method in catalog.PUBLIC_DATASET_CLONES:
            argument = call.argument(0, *catalog.PUBLIC_DATASET_CLONES[method])
            return [sink("download", argument)]
        if qualified in _MAKE_FOLDER_CALLS:
            return [sink("made", call.argument(0, "name", "path"))]
        if method == "mkdir" and isinstance(call.node.func, ast.Attribute):
            receiver = self._path_receiver(call)
            return [sink("made", receiver)] if receiver is not None else []
        folders = self._folder_sinks(call, sink)
        if folders is not None:
            return folders
        if method in catalog.DOCUMENT_READERS:
            argument = call.argument(0, *catalog.DOCUMENT_READERS[method])
            return [sink("read", argument, documents=True)]
        if qualified in catalog.DOCUMENT_READ_FUNCTIONS:
            if self._displayed(call) or id(call.node) in self.facts.statement_calls:
                return []  # opened to be shown (or a cell's last value), not fed to a model
            return [sink("read", call.argument(0, "fp", "filename", "path"), documents=True)]
        if method in catalog.FILE_UPLOAD_METHODS and isinstance(call.node.func, ast.Attribute):
            # ``client.files.upload(file="report.pdf")``: a file sent to the model's API
            positional = method in catalog.FILE_UPLOAD_POSITIONAL
            position = 0 if positional or qualified in _POSITIONAL_UPLOADS else 99
            argument = call.argument(position, *catalog.FILE_UPLOAD_METHODS[method])
            if self.values.resolve_dict(argument, call.scope) is not None:
                # ``file={"file_name": "batch.jsonl", "content": ...}``: the name the upload
                # gets; the content is read (or built) elsewhere.
                return []
            return [sink("read", argument, data_extension=True, documents=True)]
        if method in catalog.WEB_PAGE_LOADERS:
            return [sink("web", call.argument(0, *catalog.WEB_PAGE_LOADERS[method]))]
        if qualified == "pandas.read_html":
            # the tables of a live page; a local HTML file is a document, not the web
            return [sink("web", call.argument(0, "io"), urls_only=True)]
        if qualified in catalog.WIKIPEDIA_PAGE_CALLS:
            return [sink("web", self._wikipedia_title(call))]
        if method in _WEB_READ_METHODS and isinstance(call.node.func, ast.Attribute):
            reader = self._web_reader(call)
            if reader is not None:
                return [sink("web", call.argument(0, *catalog.WEB_READER_METHODS[reader]))]
            if method == "run" and self._pipeline_fetchers:
                fed = self._pipeline_web_inputs(call)
                if fed:
                    return [sink("web", expression) for expression in fed]
        if method in ("load_data", "load") and isinstance(call.node.func, ast.Attribute):
            # llama-index file readers: ``PDFReader().load_data(file=Path("report.pdf"))``
            keywords = call.keywords
            argument = next((keywords[k] for k in _LOADER_FILE_KEYWORDS if k in keywords), None)
            if argument is not None:
                return [sink("read", argument, documents=True)]
        if method in _SQL_METHODS and self._is_duckdb(call):
            return [sink("sql", call.argument(0, "query"))]
        if qualified in catalog.DATABASE_OPENERS or method in catalog.DATABASE_URL_OPENERS:
            keywords = (
                catalog.DATABASE_OPENERS.get(qualified) or catalog.DATABASE_URL_OPENERS[method]
            )
            return [sink("db", call.argument(0, *keywords))]
        download = self._download(call, sink)
        if download:
            return download
        if _is_reader(call):
            argument = call.argument(0, *catalog.DATA_PATH_KEYWORDS)
            if qualified == "jsonlines.open" and self._open_mode(call) != "read":
                # ``jsonlines.open("out.jsonl", mode="w")`` writes the notebook's own file
                return [sink("write", argument)] if self._open_mode(call) == "write" else []
            return [sink("read", argument)]
        if method in catalog.DATA_FILE_METHODS:
            argument = call.argument(0, *catalog.DATA_FILE_METHODS[method])
            return [sink("read", argument, data_extension=True)]
        if qualified in _OPEN_CALLS:
            mode = self._open_mode(call)
            argument = call.argument(0, "file", "filename")
            if mode == "write":
                return [sink("write", argument)]
            if mode != "read":
                return []
            return [sink("read", argument, data_extension=True, documents=self._binary(call))]
        if method in ("read_text", "read_bytes", "open", "write_text", "write_bytes"):
            return self._path_method(call, sink)
        if method in catalog.DATA_WRITER_METHODS and isinstance(call.node.func, ast.Attribute):
            if not _is_numpy_save_or_method(call):
                return []
            argument = call.argument(0, "path_or_buf", "path", "file", "fname", "file_path")
            return [sink("write", argument)]
        if method in catalog.FIGURE_WRITER_METHODS and isinstance(call.node.func, ast.Attribute):
            return [sink("write", call.argument(0, *catalog.FIGURE_WRITER_METHODS[method]))]
        if method in catalog.DATA_FOLDER_WRITERS:
            argument = call.argument(0, *catalog.DATA_FOLDER_WRITERS[method])
            if method == "extractall" and argument is None:
                return [sink("folder", ast.Constant("."))]
            if method == "unpack_archive":
                argument = call.argument(1, "extract_dir")
                return [sink("folder", argument if argument is not None else ast.Constant("."))]
            return [sink("folder", argument)]
        if qualified in _COPY_CALLS:
            destination = call.argument(1, "dst")
            return [sink("write", destination), sink("folder", destination)]
        keyword_sinks = []
        if _named_as_reader(method) and method not in self.facts.functions:
            # ``load_jsonl("eval.jsonl")`` from a helper module, ``CSVConnector("runs.csv")``
            argument = call.argument(0, *catalog.DATA_PATH_KEYWORDS)
            keyword_sinks.append(sink("read", argument, data_extension=True))
        keyword_sinks += [
            sink("read", value, data_extension=True)
            for name, value in call.keywords.items()
            if name in catalog.DATA_FILE_KEYWORDS
            and method in catalog.DATA_KEYWORD_CALLS.get(name, (method,))
        ]
        keyword_sinks += [
            sink("read", value, data_extension=True, documents=True)
            for name, value in call.keywords.items()
            if name in catalog.INPUT_FILES_KEYWORDS
        ]
        keyword_sinks += [
            sink("write", value)
            for name, value in call.keywords.items()
            if name in catalog.OUTPUT_FILE_KEYWORDS
            or (name == "output" and method in catalog.FILE_CONTENT_SAVERS)
        ]
        return keyword_sinks

    def _method_of_other_client(self, call: CallSite) -> bool:
        """``ws.load_dataset(id)`` on an object the notebook made from another package's class
        (an eval platform's ``CloudWorkspace()``, a tracing client): that platform's own stored
        dataset, fetched by its id, not a Hugging Face hub dataset."""
        if not isinstance(call.node.func, ast.Attribute):
            return False
        created = self.values.resolve_call(call.node.func.value, call.scope)
        if created is None:
            return False
        name = self.values.qualify(dotted_name(created.func) or "")
        package, _, constructor = name.rpartition(".")
        return (
            bool(package)
            and constructor[:1].isupper()
            and package.split(".", 1)[0] not in ("datasets", "nlp")
        )

    def _object_store_scheme(self, receiver: ast.expr, scope: Scope) -> str | None:
        """``s3://`` when ``receiver`` is an object-store filesystem (``s3fs.S3FileSystem()``,
        ``gcsfs.GCSFileSystem()``, ``fsspec.filesystem("s3")``), else ``None``."""
        created = self.values.resolve_call(receiver, scope)
        if created is None:
            return None
        name = self.values.qualify(dotted_name(created.func) or "")
        if name in catalog.OBJECT_STORE_FILESYSTEMS:
            return catalog.OBJECT_STORE_FILESYSTEMS[name]
        if name != "fsspec.filesystem":
            return None
        protocol = created.args[0] if created.args else None
        for keyword in created.keywords:
            if keyword.arg == "protocol":
                protocol = keyword.value
        for value in self.values.strings(protocol, scope):
            scheme = catalog.OBJECT_STORE_PROTOCOLS.get(str(value.value))
            if scheme is not None:
                return scheme
        return None

    def _object_store_file(self, call: CallSite, sink: _SinkMaker, scheme: str) -> list[_Sink]:
        """``fs.open("bucket/key")`` reads the object; ``fs.get(remote, local)`` downloads it
        to ``local``; opening for writing puts the notebook's own object."""
        method = call.method
        remote = call.argument(0, "path", "rpath")
        if method == "open":
            if self._open_mode(call) != "read":
                return []
            return [sink("store", remote, scheme=scheme)]
        if method in ("get", "get_file", "download"):
            local = call.argument(1, "lpath")
            found = [sink("store", remote, scheme=scheme, destination=local)]
            return found + ([sink("write", local)] if local is not None else [])
        return [sink("store", remote, scheme=scheme)]

    def _blob_reads(self, sink: _Sink) -> Iterator[DatasetRead]:
        """``client.bucket("b").blob("k").download_to_filename(...)``: the object
        ``gs://b/k``, pinned by ``blob(..., generation=...)``."""
        blob = sink.argument
        assert isinstance(blob, ast.Call) and isinstance(blob.func, ast.Attribute)
        bucket_call = self.values.resolve_call(blob.func.value, sink.scope)
        if bucket_call is None or not isinstance(bucket_call.func, ast.Attribute):
            return
        if bucket_call.func.attr not in ("bucket", "get_bucket") or not bucket_call.args:
            return
        buckets = self.values.strings(bucket_call.args[0], sink.scope)
        key = blob.args[0] if blob.args else None
        pinned = any(k.arg == "generation" for k in blob.keywords)
        for bucket in buckets[:1]:
            for name in self.values.strings(key, sink.scope):
                url = f"gs://{bucket.value}/{str(name.value).lstrip('/')}"
                if pinned:
                    url += "#generation=<given>"
                yield DatasetRead(
                    sink.call,
                    ResolvedValue(url, name.node),
                    "remote",
                    line=sink.line,
                    download=True,
                )

    def _job_dataset_uris(self, call: CallSite) -> list[ast.expr]:
        """The object-store URIs of the datasets a hosted eval or batch job reads (Bedrock
        ``create_evaluation_job(evaluationConfig={... "datasetLocation": {"s3Uri": ...}})``),
        followed through the dicts and lists the notebook builds. None when the notebook
        uploads objects itself: the job then reads what the notebook put there."""
        if any(
            other.method in _OBJECT_UPLOAD_METHODS and isinstance(other.node.func, ast.Attribute)
            for other in self.facts.calls
        ):
            return []
        found: list[ast.expr] = []
        pending = [v for v in call.keywords.values()]
        seen: set[int] = set()
        while pending and len(seen) < 200:
            expression = pending.pop()
            if id(expression) in seen:
                continue
            seen.add(id(expression))
            followed = self.values.follow(expression, call.scope)
            node = followed if isinstance(followed, (ast.Dict, ast.List, ast.Tuple)) else expression
            if isinstance(node, (ast.List, ast.Tuple)):
                pending.extend(node.elts)
            elif isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    name = key.value if isinstance(key, ast.Constant) else None
                    if name in catalog.JOB_DATASET_LOCATION_KEYS:
                        location = self.values.resolve_dict(value, call.scope)
                        uri = _dict_value(location, "s3Uri") if location is not None else None
                        if uri is not None:
                            found.append(uri)
                    elif value is not None:
                        pending.append(value)
        return found

    def _folder_sinks(self, call: CallSite, sink: _SinkMaker) -> list[_Sink] | None:
        """A folder listing (``os.listdir(p)``, ``glob.glob(p)``, ``Path(p).glob(...)``) or a
        directory reader (``SimpleDirectoryReader("./data")``); ``None`` for other calls."""
        method = call.method
        if call.qualified_name in catalog.FOLDER_LISTING_CALLS:
            return [sink("listing", call.argument(0, "path", "pathname", "top"))]
        if method in catalog.FOLDER_LISTING_METHODS and isinstance(call.node.func, ast.Attribute):
            receiver = self._path_receiver(call)
            if receiver is None:
                return None
            pattern = call.argument(0, "pattern") if method != "iterdir" else None
            return [sink("listing", receiver, pattern=pattern)]
        if method in catalog.DIRECTORY_READERS:
            found = []
            folder = call.argument(0, *catalog.DIRECTORY_READERS[method])
            if folder is not None:
                found.append(sink("directory", folder))
            files = call.keywords.get("input_files")
            if files is not None:
                found.append(sink("read", files, documents=True))
            return found
        return None

    def _wikipedia_title(self, call: CallSite) -> ast.expr | None:
        """The title ``wikipedia.page(title)`` fetches, or the search term when the title is a
        result of ``wikipedia.search(term)`` (``wikipedia.page(wikipedia.search(term)[0])``)."""
        title = call.argument(0, "title")
        found = self.values.follow(title, call.scope) if isinstance(title, ast.Name) else title
        if isinstance(found, ast.Subscript):
            found = found.value
        if isinstance(found, ast.Name):
            found = self.values.follow(found, call.scope)
        if isinstance(found, ast.Call):
            name = self.values.qualify(dotted_name(found.func) or "")
            if name in catalog.WIKIPEDIA_SEARCH_CALLS and found.args:
                return found.args[0]
        return title

    def _web_reader(self, call: CallSite) -> str | None:
        """The web reader class whose instance ``call`` is made on (``SimpleWebPageReader()
        .load_data(...)``, ``loader.load_data(...)`` with ``loader = WikipediaReader()``, the
        class also by way of llama-index ``download_loader("WikipediaReader")``)."""
        assert isinstance(call.node.func, ast.Attribute)
        created = self.values.resolve_call(call.node.func.value, call.scope)
        for _ in range(2):
            if created is None:
                return None
            name = (dotted_name(created.func) or "").rsplit(".", 1)[-1]
            if name == "download_loader" and created.args:
                loaded = created.args[0]
                if isinstance(loaded, ast.Constant) and isinstance(loaded.value, str):
                    name = loaded.value
            if name in catalog.WEB_READER_METHODS:
                return name
            # ``Reader = download_loader("SimpleWebPageReader")`` then ``Reader()``
            created = self.values.resolve_call(created.func, call.scope)
        return None

    def _displayed(self, call: CallSite) -> bool:
        """Whether ``call`` is an argument of ``display(...)``/``imshow(...)``."""
        return any(
            other.method in _DISPLAY_METHODS and any(a is call.node for a in other.node.args)
            for other in self.facts.calls
        )

    def _path_receiver(self, call: CallSite) -> ast.expr | None:
        """The receiver of ``Path(p).method(...)`` (or of a name bound to a ``Path``)."""
        if not isinstance(call.node.func, ast.Attribute):
            return None
        receiver = call.node.func.value
        bound = self.values.follow(receiver, call.scope) if isinstance(receiver, ast.Name) else None
        if _is_path_expression(bound if isinstance(receiver, ast.Name) else receiver):
            return receiver
        return None

    def _binary(self, call: CallSite, position: int = 1) -> bool:
        """Whether ``open`` reads bytes (``"rb"``): images and documents sent to a model."""
        mode = call.argument(position, "mode")
        return any("b" in str(v.value) for v in self.values.strings(mode, call.scope))

    def _hub_download(self, call: CallSite, sink: _SinkMaker) -> list[_Sink]:
        repo_type = call.keywords.get("repo_type")
        if repo_type is None or not any(
            v.value == "dataset" for v in self.values.resolve(repo_type, call.scope)
        ):
            return []
        found = [sink("hub", call.argument(0, "repo_id"), revision=call.keywords.get("revision"))]
        local_dir = call.keywords.get("local_dir")
        if local_dir is not None:
            found.append(sink("folder", local_dir))
        return found

    def _dvc_read(self, call: CallSite, sink: _SinkMaker) -> list[_Sink]:
        revision = call.keywords.get("rev")
        argument = call.argument(0, "path")
        repository = call.keywords.get("repo")
        verified = None
        if any(is_commit_sha(str(v.value)) for v in self.values.strings(revision, call.scope)):
            verified = "dvc.api rev=<commit sha>"
        if repository is not None:
            return [sink("download", repository, revision=revision, verified_by=verified)]
        return [sink("read", argument, verified_by=verified)]

    def _download(self, call: CallSite, sink: _SinkMaker) -> list[_Sink]:
        qualified = call.qualified_name
        method = call.method
        spec = catalog.DOWNLOAD_CALLS.get(qualified) or catalog.DOWNLOAD_CALLS.get(
            qualified.rsplit(".", 1)[-1] if "." not in call.written_name else ""
        )
        verified = self._verifying_keyword(call, qualified)
        if method == "get_file" and ("keras" in qualified or "tensorflow" in qualified):
            url = call.argument(1, "origin")
            return [sink("download", url, verified_by=verified)]
        if spec is not None:
            url_keyword, destination_keyword, destination_position = spec
            url = call.argument(0, url_keyword)
            if qualified.startswith("gdown.") and url is None:
                url = call.keywords.get("id")
            destination = (
                call.argument(destination_position, destination_keyword)
                if destination_keyword and destination_position is not None
                else call.keywords.get(destination_keyword or "")
            )
            found = [sink("download", url, verified_by=verified, destination=destination)]
            if destination is not None:
                found.append(sink("write", destination))
            return found
        if (
            qualified in catalog.HTTP_GET_CALLS
            or (
                method in ("get", "request") and qualified.split(".", 1)[0] in ("requests", "httpx")
            )
            or (method in ("get", "request") and self._http_session(call))
        ):
            if method == "request":
                verb = self.values.strings(call.argument(0, "method"), call.scope)
                if not verb or str(verb[0].value).upper() != "GET":
                    return []
                return [sink("http", call.argument(1, "url"))]
            return [sink("http", call.argument(0, "url"))]
        if "download" in method.lower() and method not in _NOT_DATA_DOWNLOADS:
            url = call.argument(0, "url", "origin", "source")
            keywords = call.keywords
            destination = next(
                (keywords[k] for k in _DOWNLOAD_DESTINATION_KEYWORDS if k in keywords), None
            )
            found = [sink("download", url, verified_by=verified, destination=destination)]
            if destination is not None:
                # ``paper.download_pdf(filename="hnsw.pdf")``: what it writes is its own,
                # whether or not the URL is visible here.
                found += [sink("write", destination), sink("folder", destination)]
            return found
        return []

    def _http_session(self, call: CallSite) -> bool:
        """``session.get(url)`` on ``requests.Session()``, ``httpx.Client()`` or
        ``aiohttp.ClientSession()`` (also bound by ``with ... as session``)."""
        if not isinstance(call.node.func, ast.Attribute):
            return False
        receiver = call.node.func.value
        created = self.values.resolve_call(receiver, call.scope)
        if created is None and isinstance(receiver, ast.Name):
            created = self._entered(receiver.id, call)
        if created is None:
            return False
        return self.values.qualify(dotted_name(created.func) or "") in catalog.HTTP_SESSIONS

    def _entered(self, name: str, call: CallSite) -> ast.Call | None:
        """The call a ``with`` statement entered as ``name`` (``with httpx.Client() as c``)."""
        binding = self.values.binding_before(name, call.line, call.scope)
        if binding is None or not isinstance(binding.node, (ast.With, ast.AsyncWith)):
            return None
        for item in binding.node.items:
            target = item.optional_vars
            if isinstance(target, ast.Name) and target.id == name:
                entered = item.context_expr
                return entered if isinstance(entered, ast.Call) else None
        return None

    def _verifying_keyword(self, call: CallSite, qualified: str) -> str | None:
        if (
            catalog.VERIFYING_KEYWORDS.isdisjoint(call.keywords)
            and qualified != "pooch.retrieve"
            and not qualified.endswith("download_url")
        ):
            return None  # no checksum keyword, and none given by position
        for name in catalog.VERIFYING_KEYWORDS:
            argument = call.keywords.get(name)
            if argument is None and name == "known_hash" and qualified == "pooch.retrieve":
                argument = call.argument(1, "known_hash")
            if argument is None and name == "md5" and qualified.endswith("download_url"):
                argument = call.argument(3, "md5")
            if argument is None:
                continue
            if isinstance(argument, ast.Constant) and argument.value in (None, ""):
                continue
            return f"{call.method}({name}=...)"
        return None

    def _path_method(self, call: CallSite, sink: _SinkMaker) -> list[_Sink]:
        """``Path(p).read_text()``, ``p.open("w")``, ``Path(p).write_bytes(...)``, and the
        unbound forms linters suggest for ``open``: ``Path.open(Path(p), "w")``."""
        mode_at = 0
        func = call.node.func
        if (
            call.qualified_name == f"pathlib.Path.{call.method}"
            and isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and call.node.args
        ):
            target: ast.expr | None = call.node.args[0]
            mode_at = 1
        else:
            target = self._path_receiver(call)
        if target is None:
            return []
        method = call.method
        if method.startswith("write") or (
            method == "open" and self._open_mode(call, position=mode_at) == "write"
        ):
            return [sink("write", target)]
        if method == "open" and self._open_mode(call, position=mode_at) != "read":
            return []
        binary = method == "read_bytes" or (
            method == "open" and self._binary(call, position=mode_at)
        )
        return [sink("read", target, data_extension=True, documents=binary)]

    def _open_mode(self, call: CallSite, position: int = 1) -> str | None:
        """``read``, ``write`` (w, a, x or +), or ``None`` when the mode cannot be known."""
        mode = call.argument(position, "mode")
        if mode is None:
            return "read"
        found = self.values.strings(mode, call.scope)
        if not found:
            return None
        if any(set(str(v.value)) & set("wax+") for v in found):
            return "write"
        return "read"

    # -- through the notebook's own functions ---------------------------------------------------
    def through_helpers(self, sinks: list[_Sink]) -> list[_Sink]:
        """Add, for each sink whose argument is a parameter of a notebook function, a sink at
        every call of that function with the argument it passes (three levels deep)."""
        result: list[_Sink] = []
        frontier = sinks
        for _ in range(3):
            following: list[_Sink] = []
            for sink in frontier:
                function = sink.scope
                parameter = _parameter_of(sink.argument, function)
                if parameter is None and isinstance(
                    function, (ast.FunctionDef, ast.AsyncFunctionDef)
                ):
                    composed = self._composed_at_calls(sink, function)
                    if composed:
                        following += composed
                        continue
                if parameter is None or not isinstance(
                    function, (ast.FunctionDef, ast.AsyncFunctionDef)
                ):
                    result.append(sink)
                    continue
                calls = self._calls_by_name.get(function.name, [])
                passed = 0
                for call in calls:
                    argument = _argument_for(function, parameter, call)
                    if argument is None:
                        continue
                    passed += 1
                    line = self.effective_line(call.scope, call.line)
                    following.append(sink.replace(argument=argument, scope=call.scope, line=line))
                if passed < len(calls) or not calls:
                    result.append(sink)  # the default (or the bare parameter) still applies
            frontier = following
            if not frontier:
                break
        return result + frontier

    def _composed_at_calls(
        self, sink: _Sink, function: ast.FunctionDef | ast.AsyncFunctionDef
    ) -> list[_Sink]:
        """``requests.get(base_url + filename)`` in ``def get_pdf(base_url, filename)``: at each
        call, the path composed from the arguments it passes, located where the argument the
        path starts with is written (the literal of a constant passed by name)."""
        argument = sink.argument
        if not isinstance(argument, (ast.BinOp, ast.JoinedStr, ast.Call)):
            return []
        names = {p.arg for p in (*function.args.posonlyargs, *function.args.args)}
        names |= {p.arg for p in function.args.kwonlyargs}
        first = _leftmost(argument)
        if not (isinstance(first, ast.Name) and first.id in names):
            return []  # the path starts inside the function, where it is reported
        used = [n for n in ast.walk(argument) if isinstance(n, ast.Name) and n.id in names]
        found = []
        for call in self._calls_by_name.get(function.name, []):
            passed = {n.id: _argument_for(function, n.id, call) for n in used}
            if any(value is None for value in passed.values()):
                continue
            composed = _Substitute(passed).visit(copy.deepcopy(argument))
            start = passed[first.id]
            assert start is not None
            literal = self.values.strings(start, call.scope)
            if isinstance(start, ast.Name) and len(literal) == 1:
                start = literal[0].node  # ``get_pdf(BASE, name)``: where ``BASE`` is written
            ast.copy_location(composed, start)
            composed.end_lineno = getattr(start, "end_lineno", None)
            composed.end_col_offset = getattr(start, "end_col_offset", None)
            line = self.effective_line(call.scope, call.line)
            found.append(sink.replace(argument=composed, scope=call.scope, line=line))
        return found

    def effective_line(self, scope: Scope, line: int, depth: int = 0) -> int:
        """When code at ``line`` runs in notebook order: at its line at module level; inside a
        function, when the function is first called (at its definition if never called)."""
        if scope is None or isinstance(scope, ast.Lambda) or depth > 4:
            return line
        calls = [c for c in self._calls_by_name.get(scope.name, []) if c.scope is not scope]
        if not calls:
            return line
        return min(self.effective_line(c.scope, c.line, depth + 1) for c in calls)

    # -- resolution -----------------------------------------------------------------------------
    def reads(self, sink: _Sink) -> Iterator[DatasetRead]:
        role = sink.role
        if role in ("write", "folder", "made"):
            return
        if role == "hf":
            yield from self._hf_reads(sink)
            return
        if role == "s3":
            yield from self._s3_reads(sink)
            return
        if role in ("listing", "directory"):
            yield from self._folder_reads(sink)
            return
        if role == "sql":
            yield from self._sql_reads(sink)
            return
        if role == "db":
            yield from self._database_reads(sink)
            return
        if role == "blob":
            yield from self._blob_reads(sink)
            return
        if role == "store":
            for value in self._argument_paths(sink.argument, sink.scope):
                path = str(value.value).strip()
                if not path:
                    continue
                if "://" not in path:
                    path = f"{sink.scheme}{path.lstrip('/')}"
                destination = None
                for local in path_values(sink.destination, sink.scope, self.values):
                    destination = str(local.value)
                yield DatasetRead(
                    sink.call,
                    ResolvedValue(path, value.node),
                    "remote",
                    line=sink.line,
                    download=sink.destination is not None,
                    destination=destination,
                )
            return
        if role == "web":
            for value in self._argument_paths(sink.argument, sink.scope):
                page = str(value.value).strip()
                if sink.urls_only and not _URL.match(page):
                    continue
                if page and not _LOCAL_URL.match(page):
                    yield DatasetRead(sink.call, value, "remote", line=sink.line, web=True)
            return
        if role in ("hub", "kaggle"):
            revision = self._revision(sink)
            for value in self.values.strings(sink.argument, sink.scope):
                name = str(value.value)
                if role == "kaggle":
                    pinned = name if _KAGGLE_VERSION.search(name) else None
                    yield DatasetRead(sink.call, value, "hub", pinned, sink.line, hub="kaggle")
                else:
                    yield DatasetRead(sink.call, value, "hub", revision, sink.line)
            return
        found = self._argument_paths(sink.argument, sink.scope)
        if not found:
            found = self._url_templates(sink.argument, sink.scope)
        for value in found:
            path = str(value.value).strip()
            if not path:
                continue
            is_url = bool(_URL.match(path))
            if role == "http":
                if not is_url or _not_data(path):
                    continue  # ``requests.get(".../chains.py")`` saved: a program, not data
                if not _LOCAL_URL.match(path) and self._response_parsed_as_page(sink.call):
                    # ``BeautifulSoup(requests.get(url).text)``: a live page read as a corpus
                    yield DatasetRead(sink.call, value, "remote", line=sink.line, web=True)
                    continue
                if not (
                    is_data_like_url(path)
                    or self._response_saved(sink.call)
                    or id(sink.call.node) in self._read_as_table
                ):
                    continue
                yield DatasetRead(sink.call, value, "remote", line=sink.line, download=True)
                continue
            if role == "download":
                if not is_url and sink.call.qualified_name.startswith("gdown."):
                    value = ResolvedValue(f"https://drive.google.com/uc?id={path}", value.node)
                    path, is_url = str(value.value), True
                registry = catalog.NAMED_DATASET_DOWNLOADS.get(sink.call.method)
                if not is_url and registry is not None:
                    value = ResolvedValue(registry[3].format(name=path), value.node)
                    path, is_url = str(value.value), True
                if not is_url:
                    continue
                if is_url and _not_data(path):
                    continue
                yield DatasetRead(
                    sink.call,
                    value,
                    "remote",
                    self._revision(sink),
                    sink.line,
                    download=True,
                    destination=self._destination(sink, path),
                    verified_by=sink.verified_by,
                )
                continue
            if sink.data_extension and not _has_data_extension(path, sink.documents):
                continue
            yield DatasetRead(
                sink.call,
                value,
                "remote" if is_url else "local",
                line=sink.line,
                verified_by=sink.verified_by,
            )

    def _argument_paths(
        self, argument: ast.expr | None, scope: Scope, depth: int = 0
    ) -> list[ResolvedValue]:
        """Paths an argument names; lists and dicts of paths (``data_files``) are unpacked."""
        if argument is None or depth > 4:
            return []
        if isinstance(argument, (ast.List, ast.Tuple, ast.Set)):
            elements = argument.elts
        elif isinstance(argument, ast.Dict):
            elements = argument.values
        else:
            container = self.values.follow(argument, scope)
            if isinstance(container, (ast.List, ast.Tuple, ast.Dict)) and container is not argument:
                return self._argument_paths(container, scope, depth + 1)
            return path_values(argument, scope, self.values)
        return [v for e in elements for v in self._argument_paths(e, scope, depth + 1)]

    def _folder_reads(self, sink: _Sink) -> Iterator[DatasetRead]:
        """The folder a listing or a directory reader reads. A listing counts when its pattern
        names data, text or document files (``data/*.jsonl``), or when the code right after it
        reads files (``for name in os.listdir(DIR): open(...)``): listing a folder to count or
        delete its files reads no data."""
        patterns = [str(v.value) for v in self.values.strings(sink.pattern, sink.call.scope)]
        for value in path_values(sink.argument, sink.scope, self.values):
            raw = str(value.value).strip()
            if not raw or _URL.match(raw):
                continue
            for pattern in patterns or [""]:
                whole = f"{raw.rstrip('/')}/{pattern}" if pattern else raw
                folder, wildcard = split_glob(whole)
                if not _is_data_folder(folder, bool(wildcard)):
                    continue
                if sink.role == "listing" and not (
                    _has_data_extension(wildcard, documents=True)
                    if _EXTENSION.search(wildcard)
                    else self._reads_listed_files(sink.call)
                ):
                    continue
                location = ResolvedValue(whole if wildcard else folder, value.node)
                yield DatasetRead(sink.call, location, "local", line=sink.line, folder=True)

    def _reads_listed_files(self, call: CallSite) -> bool:
        """Whether a loop or comprehension over what ``call`` lists (directly, or through names
        derived from it: ``files = sorted(f for f in os.listdir(DIR) if ...)``) reads a file in
        its body, or a later read opens a listed name (``open(os.path.join(DIR, files[0]))``)."""
        spans = [
            (loop.first_line, loop.last_line)
            for loop in self.facts.loops
            if self._derives_from(loop.iterable, call, loop.first_line + 1)
        ]
        if self._read_sites is None:
            self._read_sites = [other for other in self.facts.calls if self._reads_file(other)]
        for read in self._read_sites:
            if read.scope is not call.scope:
                continue
            if any(first <= read.line <= last for first, last in spans):
                return True
            if read.line > call.line and self._derives_from(read.node, call, read.line):
                return True
        return False

    def _derives_from(
        self, expression: ast.expr, call: CallSite, line: int, depth: int = 0
    ) -> bool:
        """Whether ``expression`` holds ``call`` or a name bound (before ``line``) to a value
        derived from it, up to a few assignments back."""
        for node in ast.walk(expression):
            if node is call.node:
                return True
            if depth < _MAX_DERIVATION and isinstance(node, ast.Name):
                bound = self.values.binding_before(node.id, line, call.scope)
                if (
                    bound is not None
                    and bound.value is not None
                    and bound.value is not expression
                    and self._derives_from(bound.value, call, bound.line, depth + 1)
                ):
                    return True
        return False

    def _reads_file(self, call: CallSite) -> bool:
        method = call.method
        if call.qualified_name in _OPEN_CALLS:
            return self._open_mode(call) == "read"
        return (
            method in _FILE_READ_METHODS
            or method in _READER_METHODS
            or method in catalog.DOCUMENT_READERS
            or call.qualified_name in catalog.DOCUMENT_READ_FUNCTIONS
        )

    def _url_templates(
        self, expression: ast.expr | None, scope: Scope, depth: int = 0
    ) -> list[ResolvedValue]:
        """URLs the notebook composes from a literal and parts it cannot know: an f-string
        (``f"{BASE}/{name}.json"``), ``+`` or ``.format``, directly, through a name, or returned
        by a function the notebook defines (``url_for("qa")``). Unknown parts read ``*``; the
        host must be known. Located at the composing expression, where the URL is written."""
        expression = _unwrap(expression)
        if expression is None or depth > 3:
            return []
        if isinstance(expression, ast.Name):
            if _parameter_of(expression, scope) is not None:
                return []  # a parameter: the calls' arguments are followed instead
            binding = self.values.binding_before(expression.id, expression.lineno, scope)
            if binding is None or binding.value is None:
                return []
            return self._url_templates(binding.value, binding.scope, depth + 1)
        if isinstance(expression, ast.Call) and isinstance(expression.func, ast.Name):
            found = []
            for function in self.facts.functions.get(expression.func.id, ()):
                for returned in _returned_values(function):
                    found += self._url_templates(returned, function, depth + 1)
            return found
        text = self._template(expression, scope)
        if text is None or not _URL.match(text) or "*" not in text:
            return []
        host = urlsplit(text).hostname or ""
        if not host or "*" in host:
            return []
        return [ResolvedValue(text, expression)]

    def _template(self, expression: ast.expr, scope: Scope, depth: int = 0) -> str | None:
        """The text of a composed string with ``*`` for each part that cannot be resolved."""
        if depth > 6:
            return None
        if isinstance(expression, ast.Constant):
            return expression.value if isinstance(expression.value, str) else None
        if isinstance(expression, ast.JoinedStr):
            pieces = []
            for piece in expression.values:
                if isinstance(piece, ast.FormattedValue):
                    if self._enumerated(piece.value, scope):
                        return None
                    pieces.append(self._known(piece.value, scope) or "*")
                elif isinstance(piece, ast.Constant):
                    pieces.append(str(piece.value))
            return "".join(pieces)
        if isinstance(expression, ast.BinOp) and isinstance(expression.op, ast.Add):
            left = self._template(expression.left, scope, depth + 1)
            if left is None:
                left = self._known(expression.left, scope) or "*"
            right = self._template(expression.right, scope, depth + 1)
            if right is None:
                right = self._known(expression.right, scope) or "*"
            return left + right
        if (
            isinstance(expression, ast.Call)
            and isinstance(expression.func, ast.Attribute)
            and expression.func.attr == "format"
        ):
            template = self._known(expression.func.value, scope)
            return _FORMAT_FIELD.sub("*", template) if template is not None else None
        return None

    def _enumerated(self, expression: ast.expr, scope: Scope) -> bool:
        """Whether ``expression`` is a loop variable over values only known at run time
        (``for id in response.json(): get(f".../item/{id}.json")``): an API walked item by
        item, whose listing call is the remote source, not each composed URL."""
        if not isinstance(expression, ast.Name) or self.values.strings(expression, scope):
            return False
        binding = self.values.binding_before(expression.id, expression.lineno + 1, scope)
        return binding is not None and isinstance(binding.node, (ast.For, ast.AsyncFor))

    def _known(self, expression: ast.expr, scope: Scope) -> str | None:
        found = {str(v.value) for v in self.values.strings(expression, scope)}
        return found.pop() if len(found) == 1 else None

    @cached_property
    def _pipeline_fetchers(self) -> dict[str, tuple[str, ...]]:
        """Components of a Haystack pipeline that fetch web content, by the name they were
        added under: ``pipe.add_component("fetcher", LinkContentFetcher())``."""
        found: dict[str, tuple[str, ...]] = {}
        for call in self.facts.calls:
            if call.method != "add_component" or len(call.node.args) < 2:
                continue
            name, component = call.node.args[0], self.values.follow(call.node.args[1], call.scope)
            if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
                continue
            if isinstance(component, ast.Call):
                reader = (dotted_name(component.func) or "").rsplit(".", 1)[-1]
                if reader in catalog.WEB_READER_METHODS:
                    found[name.value] = catalog.WEB_READER_METHODS[reader]
        return found

    def _pipeline_web_inputs(self, call: CallSite) -> list[ast.expr]:
        """What ``pipe.run(data={"fetcher": {"urls": urls}})`` gives a web fetcher: the list, or
        each element and ``urls.append(x)`` argument of a list built in the same function."""
        data = self.values.resolve_dict(call.argument(0, "data"), call.scope)
        if data is None:
            return []
        found: list[ast.expr] = []
        for key, value in zip(data.keys, data.values, strict=True):
            if not isinstance(key, ast.Constant) or key.value not in self._pipeline_fetchers:
                continue
            inputs = self.values.resolve_dict(value, call.scope)
            if inputs is None:
                continue
            keywords = self._pipeline_fetchers[key.value]
            for input_key, fed in zip(inputs.keys, inputs.values, strict=True):
                if isinstance(input_key, ast.Constant) and input_key.value in keywords:
                    found += self._list_items(fed, call.scope)
        return found

    def _list_items(self, expression: ast.expr, scope: Scope) -> list[ast.expr]:
        """A list literal, or a name bound to one in ``scope`` plus what is appended to it."""
        if not isinstance(expression, ast.Name):
            return [expression]
        bound = self.values.follow(expression, scope)
        items = list(bound.elts) if isinstance(bound, (ast.List, ast.Tuple)) else []
        for other in self.facts.calls:
            if other.scope is scope and other.written_name == f"{expression.id}.append":
                items += other.node.args[:1]
        return items or [expression]

    def _database_reads(self, sink: _Sink) -> Iterator[DatasetRead]:
        """A database file opened to be queried (``sqlite3.connect("Chinook.db")``,
        ``SQLDatabase.from_uri("sqlite:///Chinook.db")``): its tables are the eval's data,
        unless the notebook fills a database itself (``CREATE TABLE``, ``INSERT``,
        ``executescript``, ``to_sql``)."""
        if self._fills_a_database:
            return
        for value in self.values.strings(sink.argument, sink.scope):
            path = str(value.value).strip()
            for prefix in catalog.DATABASE_URL_PREFIXES:
                if path.startswith(prefix):
                    path = path.removeprefix(prefix)
                    break
            if not path.lower().endswith(catalog.DATABASE_FILE_EXTENSIONS):
                continue
            location = ResolvedValue(path, value.node)
            yield DatasetRead(sink.call, location, "local", line=sink.line)

    @cached_property
    def _fills_a_database(self) -> bool:
        for call in self.facts.calls:
            if call.method in catalog.DATABASE_FILLING_METHODS:
                return True
            statement = call.node.args[0] if call.node.args else None
            if (
                call.method in ("execute", "sql")
                and isinstance(statement, ast.Constant)
                and isinstance(statement.value, str)
                and _FILLING_SQL.match(statement.value)
            ):
                return True
        return False

    def _is_duckdb(self, call: CallSite) -> bool:
        """``duckdb.sql(...)``, or ``con.sql(...)``/``con.execute(...)`` on ``duckdb.connect()``."""
        if call.qualified_name.startswith("duckdb."):
            return True
        if not isinstance(call.node.func, ast.Attribute):
            return False
        created = self.values.resolve_call(call.node.func.value, call.scope)
        if created is None:
            return False
        return self.values.qualify(dotted_name(created.func) or "").startswith("duckdb.")

    def _sql_reads(self, sink: _Sink) -> Iterator[DatasetRead]:
        """Files a DuckDB query reads (``FROM 'runs.parquet'``, ``read_csv('qa.csv')``): at the
        constant an f-string puts between the quotes, else at the query's call."""
        query = self.values.follow(sink.argument, sink.scope)
        if isinstance(query, ast.JoinedStr):
            text = ""
            for part in query.values:
                if isinstance(part, ast.Constant) and isinstance(part.value, str):
                    text += part.value
                    continue
                if isinstance(part, ast.FormattedValue) and _SQL_FILE_BEFORE.search(text):
                    for value in path_values(part.value, sink.scope, self.values):
                        if _has_data_extension(str(value.value)):
                            yield self._sql_read(sink, value)
                text += "{}"
            return
        for query_text in self.values.strings(sink.argument, sink.scope):
            for match in _SQL_FILE.finditer(str(query_text.value)):
                if _has_data_extension(match.group(1)):
                    yield self._sql_read(sink, ResolvedValue(match.group(1), sink.call.node))

    def _sql_read(self, sink: _Sink, value: ResolvedValue) -> DatasetRead:
        kind: DatasetKind = "remote" if _URL.match(str(value.value)) else "local"
        return DatasetRead(sink.call, value, kind, line=sink.line)

    def _response_parsed_as_page(self, call: CallSite) -> bool:
        """Whether a GET's response is parsed as a web page (``BeautifulSoup(response.text)``,
        ``markdownify``, ``html2text``) just after it, in the same
        function: the page's text is what the eval reads."""
        response = self._response_name(call)
        for parser in self._page_parsers:
            if parser.scope is not call.scope or not 0 <= parser.line - call.line <= 5:
                continue
            argument = parser.argument(0, "markup", "html", "filecontent")
            if argument is None:
                continue
            if any(node is call.node for node in ast.walk(argument)):
                return True
            if response is not None and any(
                isinstance(node, ast.Name) and node.id == response for node in ast.walk(argument)
            ):
                return True
        return False

    def _response_name(self, call: CallSite) -> str | None:
        """``response`` in ``response = requests.get(url)``."""
        for binding in self._bindings_by_value.get(id(call.node), ()):
            return binding
        return None

    @cached_property
    def _page_parsers(self) -> list[CallSite]:
        return [c for c in self.facts.calls if c.method in catalog.HTML_PAGE_PARSERS]

    @cached_property
    def _bindings_by_value(self) -> dict[int, list[str]]:
        found: dict[int, list[str]] = {}
        for name, bindings in self.facts.bindings.items():
            for binding in bindings:
                if binding.key is None and isinstance(binding.value, ast.Call):
                    found.setdefault(id(binding.value), []).append(name)
        return found

    def _response_saved(self, call: CallSite) -> bool:
        """Whether a file is opened for writing just after a GET, in the same function, or
        the response is written as it arrives (``f.write(requests.get(url).content)``,
        ``path.write_bytes(requests.get(url).content)``)."""
        if id(call.node) in self._written_calls:
            return True
        return any(
            scope is call.scope and 0 <= line - call.line <= _SAVED_RESPONSE_LINES
            for scope, line in self._file_writes
        )

    @cached_property
    def _read_as_table(self) -> set[int]:
        """``id`` of every call inside the arguments of a table reader
        (``pd.read_csv(io.StringIO(requests.get(url).text))``): a response parsed as data."""
        return {
            id(node)
            for call in self.facts.calls
            if call.qualified_name in catalog.DATA_READERS
            for argument in call.node.args
            for node in ast.walk(argument)
            if isinstance(node, ast.Call)
        }

    @cached_property
    def _written_calls(self) -> set[int]:
        """``id`` of every call inside the arguments of a ``write``/``write_bytes`` call."""
        return {
            id(node)
            for call in self.facts.calls
            if call.method in _WRITE_METHODS
            for argument in call.node.args
            for node in ast.walk(argument)
            if isinstance(node, ast.Call)
        }

    def _s3_reads(self, sink: _Sink) -> Iterator[DatasetRead]:
        """boto3 ``download_file(Bucket, Key, Filename)`` / ``get_object(Bucket=, Key=)``: the
        object ``s3://bucket/key``, pinned by a ``VersionId`` (keyword or in ``ExtraArgs``)."""
        call = sink.call
        buckets = self.values.strings(call.argument(0, "Bucket"), call.scope)
        keys = self.values.strings(sink.argument, sink.scope)
        if len(buckets) != 1:
            return
        extra = self.values.resolve_dict(call.keywords.get("ExtraArgs"), call.scope)
        versioned = "VersionId" in call.keywords or (
            extra is not None
            and any(isinstance(k, ast.Constant) and k.value == "VersionId" for k in extra.keys)
        )
        for key in keys:
            url = f"s3://{buckets[0].value}/{str(key.value).lstrip('/')}"
            if versioned:
                url += "?versionId=<given>"
            yield DatasetRead(
                call,
                ResolvedValue(url, key.node),
                "remote",
                line=sink.line,
                download=True,
                destination=self._destination(sink, url),
            )

    def _hf_reads(self, sink: _Sink) -> Iterator[DatasetRead]:
        call = sink.call
        for name in self.values.strings(sink.argument, sink.scope):
            text = str(name.value)
            if text in catalog.HF_FILE_BUILDERS:
                files = call.keywords.get("data_files") or call.keywords.get("data_dir")
                file_sink = sink.replace(role="read", argument=files, scope=call.scope)
                yield from self.reads(file_sink)
            elif _URL.match(text) or _names_a_file(text):
                yield from self.reads(sink.replace(role="read"))
            elif text.startswith((".", "/", "~")):
                yield DatasetRead(call, name, "local", line=sink.line)  # a local dataset folder
            else:
                yield DatasetRead(call, name, "hub", self._revision(sink), sink.line)

    def _revision(self, sink: _Sink) -> str | None:
        for value in self.values.strings(sink.revision, sink.call.scope):
            return str(value.value)
        return None

    def _destination(self, sink: _Sink, url: str) -> str | None:
        for value in path_values(sink.destination, sink.scope, self.values):
            return str(value.value)
        if sink.call.qualified_name.startswith(("urllib.", "gdown.", "pooch.")):
            return None  # a temporary file, or a name the server chooses
        if sink.call.method in catalog.PUBLIC_DATASET_CLONES:
            return None  # copied into the platform, not into a file
        if sink.call.method in catalog.NAMED_DATASET_DOWNLOADS:
            return None  # a folder of files, recorded by its ``folder`` sink
        from nbgraduate.analysis.shell_downloads import url_file_name

        return url_file_name(url)  # wget.download and most helpers keep the URL's file name


class _SinkMaker:
    """Builds the sinks of one call (same call, scope and line; the line only when needed)."""

    def __init__(self, call: CallSite, finder: _ReadFinder) -> None:
        self.call = call
        self.finder = finder
        self._line: int | None = None

    def __call__(
        self,
        role: Role,
        argument: ast.expr | None,
        *,
        data_extension: bool = False,
        revision: ast.expr | None = None,
        verified_by: str | None = None,
        destination: ast.expr | None = None,
        documents: bool = False,
        pattern: ast.expr | None = None,
        scheme: str | None = None,
        urls_only: bool = False,
    ) -> _Sink:
        if self._line is None:
            self._line = self.finder.effective_line(self.call.scope, self.call.line)
        return _Sink(
            role,
            self.call,
            argument,
            self.call.scope,
            self._line,
            data_extension,
            revision,
            verified_by,
            destination,
            documents,
            pattern,
            scheme,
            urls_only,
        )


#: Upload calls whose generic method name (``upload``) takes the local file first: SageMaker
#: ``S3Uploader.upload("eval.jsonl", "s3://bucket/prefix")`` stages eval data for a job.
_POSITIONAL_UPLOADS = frozenset({"sagemaker.s3.S3Uploader.upload"})

#: Calls that copy or move a file to the destination named by their second argument.
_COPY_CALLS = frozenset(
    {"shutil.copy", "shutil.copyfile", "shutil.copy2", "shutil.move", "os.rename"}
)

#: Calls that put the notebook's own objects in a bucket (boto3, a SageMaker session).
_OBJECT_UPLOAD_METHODS = frozenset({"upload_file", "upload_fileobj", "put_object", "upload_data"})


def _dict_value(literal: ast.Dict, key: str) -> ast.expr | None:
    for name, value in zip(literal.keys, literal.values, strict=True):
        if isinstance(name, ast.Constant) and name.value == key:
            return value
    return None


#: boto3 calls that fetch one object (``Bucket``, ``Key``).
_S3_METHODS = frozenset({"download_file", "get_object", "download_fileobj"})

#: ``*download*`` calls that fetch models or are handled by name elsewhere.
_NOT_DATA_DOWNLOADS = frozenset(
    {
        "hf_hub_download",
        "snapshot_download",
        "model_download",
        "dataset_download",
        "competition_download",
        "download_model",
        "download_checkpoint",
        "download_weights",
        "download_nltk_data",
    }
)


#: DuckDB calls that run a query, and where a quoted file name in it is read (``FROM``,
#: ``JOIN``, a ``read_*(`` table function); a ``COPY ... TO 'file'`` writes.
_SQL_METHODS = frozenset({"sql", "query", "execute"})
#: SQL that makes or fills a table: the database is the notebook's own.
_FILLING_SQL = regex_cache.compile(r"(?is)^\s*(?:CREATE|INSERT|COPY|ATTACH)\b")
_SQL_FILE_BEFORE = regex_cache.compile(r"(?i)(?:\bFROM|\bJOIN|\bread_\w+\s*\()\s*'$")
_SQL_FILE = regex_cache.compile(r"(?i)(?:\bFROM|\bJOIN|\bread_\w+\s*\()\s*'([^']+)'")

#: Methods of a web reader that fetch what it reads (``reader.load_data(urls=[...])``).
_WEB_READ_METHODS = frozenset({"load_data", "aload_data", "load", "run", "run_async"})

#: Method names (the last part of a call's name) that :meth:`_ReadFinder.sinks` looks at.
_SINK_METHODS = frozenset(
    {
        "load_dataset",
        "hf_hub_download",
        "snapshot_download",
        "hf_dataset",
        "from_huggingface",
        "dataset_download",
        "competition_download",
        "get_file",
        "get",
        "request",
        "urlopen",
        "read_text",
        "read_bytes",
        "open",
        "write_text",
        "write_bytes",
        "json_dataset",
        "csv_dataset",
        "copy",
        "copyfile",
        "copy2",
        "move",
        "rename",
        "retrieve",
        "get_object",
        *catalog.DATA_FILE_METHODS,
        *catalog.DATA_WRITER_METHODS,
        *catalog.DATA_FOLDER_WRITERS,
        "load_data",
        "load",
        *_WEB_READ_METHODS,
        *_SQL_METHODS,
        *catalog.WEB_PAGE_LOADERS,
        *(name.rsplit(".", 1)[-1] for name in catalog.WIKIPEDIA_PAGE_CALLS),
        "mkdir",
        "makedirs",
        "read_html",
        "push_to_hub",
        *catalog.PUBLIC_DATASET_CLONES,
        *catalog.HOSTED_EVAL_JOB_CALLS,
        *catalog.SNAPSHOT_RESTORES,
        *catalog.NAMED_DATASET_DOWNLOADS,
        *catalog.DATABASE_URL_OPENERS,
        "connect",
        *catalog.OBJECT_STORE_FILE_METHODS,
        *catalog.CLOUD_BLOB_DOWNLOADS,
        *catalog.FILE_UPLOAD_METHODS,
        *catalog.DOCUMENT_READERS,
        *catalog.DIRECTORY_READERS,
        *catalog.FIGURE_WRITER_METHODS,
        *catalog.FILE_CONTENT_SAVERS,
        *catalog.FOLDER_LISTING_METHODS,
        *(name.rsplit(".", 1)[-1] for name in catalog.FOLDER_LISTING_CALLS),
        *(name.rsplit(".", 1)[-1] for name in catalog.DOCUMENT_READ_FUNCTIONS),
    }
)
_READER_METHODS = frozenset(name.rsplit(".", 1)[-1] for name in catalog.DATA_READERS)


def _is_s3_client_call(call: CallSite) -> bool:
    """``s3.download_file(...)`` on a boto3 client (not a download helper of the notebook)."""
    if not isinstance(call.node.func, ast.Attribute):
        return False
    receiver = call.written_name.rsplit(".", 1)[0].lower()
    return "Bucket" in call.keywords or "s3" in receiver or "boto" in call.qualified_name


#: What makes a call a possible sink: its method names, its qualified names, its keywords.
_SINK_NAMES = _SINK_METHODS | _READER_METHODS
_SINK_FUNCTIONS = _DVC_READS | frozenset(catalog.DOWNLOAD_CALLS)
_SINK_KEYWORDS = (
    catalog.DATA_FILE_KEYWORDS
    | catalog.INPUT_FILES_KEYWORDS
    | catalog.OUTPUT_FILE_KEYWORDS
    | {"hf_repo"}
)


def _named_as_sink(qualified: str) -> bool:
    """Whether a call of this qualified name may be a sink whatever its keywords.

    The name is all it takes: seen through import aliases
    (:func:`~nbgraduate.analysis.facts.unaliased`), a call's method is the last part of its
    qualified name (``rc`` after ``from pandas import read_csv as rc`` is ``read_csv``).
    """
    method = qualified.rsplit(".", 1)[-1]
    named = _SINK_METHOD_VERDICTS.get(method)
    if named is None:
        named = _SINK_METHOD_VERDICTS[method] = (
            method in _SINK_NAMES or "download" in method.lower() or _named_as_reader(method)
        )
    return named or qualified in _SINK_FUNCTIONS


#: :func:`_named_as_sink` by qualified name, and its verdict on a method name alone by name:
#: notebooks call few distinct names many times (``print``, ``df.head``), so each is judged
#: once per run.
_SINK_NAME_VERDICTS: dict[str, bool] = {}
_SINK_METHOD_VERDICTS: dict[str, bool] = {}


def _named_as_reader(method: str) -> bool:
    """A function or class whose name says it reads its argument (``load_jsonl``,
    ``read_examples``, ``CSVConnector``, ``QALoader``), and not a model, prompt or config."""
    if not (
        method.startswith(("load_", "read_")) or method.endswith(("Loader", "Reader", "Connector"))
    ):
        return False
    lowered = method.lower()
    return not any(word in lowered for word in catalog.NOT_DATA_READER_WORDS)


def _is_reader(call: CallSite) -> bool:
    if call.qualified_name in catalog.DATA_READERS:
        return True
    return call.method in ("json_dataset", "csv_dataset") and "inspect" in call.qualified_name


def _model_artifact(path: str) -> bool:
    """A serialized model rather than examples: a pickle, joblib or HDF5 file whose name says
    model, weights, checkpoint, classifier, vectorizer... (``classifier_model.pkl``,
    ``model_weights.h5``). A table named for a model (``model_answers.csv``) is still data."""
    name = path.lower().replace("\\", "/").rsplit("/", 1)[-1]
    if not name.endswith(catalog.MODEL_ARTIFACT_EXTENSIONS):
        return False
    if any(word in name for word in _MODEL_OUTPUT_WORDS):
        return False  # ``model_outputs.pkl``: what a model produced, read as eval data
    return any(word in name for word in catalog.MODEL_ARTIFACT_WORDS)


def _has_data_extension(path: str, documents: bool = False) -> bool:
    """A data file that is not configuration (``config.json``, ``credentials.json``), or a
    text corpus (``.txt``/``.md``) whose path does not say it is a prompt
    (``prompts/judge.txt``), a template, configuration or a project file; with ``documents``,
    also a document or an image (``.docx``, ``.png``) read as input."""
    lowered = path.lower()
    if lowered.endswith(catalog.DATA_FILE_EXTENSIONS) or (
        documents and lowered.endswith(catalog.DOCUMENT_EXTENSIONS)
    ):
        name = lowered.replace("\\", "/").rsplit("/", 1)[-1]
        if name.endswith(_ROW_FILE_EXTENSIONS) and _PROMPT_ROWS.search(name):
            return True  # ``test_prompts.jsonl``: one eval prompt per row, not a template
        return not any(word in name for word in catalog.NOT_DATA_FILE_WORDS)
    if not lowered.endswith(catalog.TEXT_CORPUS_EXTENSIONS):
        return False
    return not any(word in lowered for word in catalog.NOT_DATA_TEXT_WORDS)


def _blank_host(url: str) -> bool:
    """A URL whose bucket or host is an empty placeholder (``gs:///results.json``): it names
    no location yet, so there is nothing to pin."""
    return "://" in url and url.split("://", 1)[1].startswith("/")


def _not_data(url: str) -> bool:
    """Model weights, installers and programs, or a server on this machine."""
    return not is_data_download_url(url)


def _is_numpy_save_or_method(call: CallSite) -> bool:
    """``np.save(path, array)`` is a write; ``model.save(path)`` is not a dataset write either
    way, but ``df.to_csv(path)`` and ``numpy.save`` are."""
    if call.method in ("save", "savez", "savez_compressed", "savetxt"):
        return call.qualified_name.startswith("numpy.")
    return True


def _is_path_expression(node: ast.expr | None) -> bool:
    if isinstance(node, ast.Call):
        name = dotted_name(node.func) or ""
        return name.endswith("Path")
    return isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)


def _unwrap(argument: ast.expr | None) -> ast.expr | None:
    """``Path(p)``, ``str(p)``, ``os.fspath(p)`` name the same file as ``p``."""
    while (
        isinstance(argument, ast.Call)
        and len(argument.args) == 1
        and not argument.keywords
        and (dotted_name(argument.func) or "").rsplit(".", 1)[-1]
        in ("Path", "str", "fspath", "PurePath")
    ):
        argument = argument.args[0]
    return argument


def _leftmost(expression: ast.expr) -> ast.expr:
    """The part a composed path starts with (``base`` in ``base + name``, ``f"{base}/x"``,
    ``os.path.join(base, name)``)."""
    while True:
        if isinstance(expression, ast.BinOp):
            expression = expression.left
        elif isinstance(expression, ast.JoinedStr) and expression.values:
            first = expression.values[0]
            if not isinstance(first, ast.FormattedValue):
                return first
            expression = first.value
        elif isinstance(expression, ast.Call) and expression.args:
            expression = expression.args[0]
        else:
            return expression


class _Substitute(ast.NodeTransformer):
    """Replace parameter names with the arguments a call passes for them."""

    def __init__(self, passed: dict[str, ast.expr | None]) -> None:
        self.passed = passed

    def visit_Name(self, node: ast.Name) -> ast.expr:
        return self.passed.get(node.id) or node


def _parameter_of(argument: ast.expr | None, function: Scope) -> str | None:
    if function is None or isinstance(function, ast.Lambda):
        return None
    argument = _unwrap(argument)
    if isinstance(argument, (ast.List, ast.Tuple)) and len(argument.elts) == 1:
        argument = _unwrap(argument.elts[0])  # ``embed_image([path])``: the one path given
    if not isinstance(argument, ast.Name):
        return None
    arguments = function.args
    names = {p.arg for p in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)}
    return argument.id if argument.id in names else None


def _argument_for(
    function: ast.FunctionDef | ast.AsyncFunctionDef, parameter: str, call: CallSite
) -> ast.expr | None:
    """The argument ``call`` passes for ``parameter`` (``None`` when it leaves the default)."""
    if parameter in call.keywords:
        return call.keywords[parameter]
    positional = [p.arg for p in (*function.args.posonlyargs, *function.args.args)]
    if parameter not in positional:
        return None
    index = positional.index(parameter)
    return call.argument(index)


#: What a local path given to ``load_dataset`` ends with; a hub id may have a dot in its name
#: (``org/Name-1.5``) without being a file.
_LOADABLE_FILE_SUFFIXES = (*catalog.DATA_FILE_EXTENSIONS, ".py", ".txt", ".gz", ".zip", ".bz2")


def _names_a_file(name: str) -> bool:
    if name.startswith(("./", "../", "/", "~", ".\\", "..\\")) or "\\" in name:
        return True
    return name.rsplit("/", 1)[-1].lower().endswith(_LOADABLE_FILE_SUFFIXES)
