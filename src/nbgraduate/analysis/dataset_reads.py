"""Find every dataset the notebook reads and whether something pins its content."""

from __future__ import annotations

import ast
import posixpath
import re
from dataclasses import dataclass
from typing import Literal

from nbgraduate.analysis import catalog
from nbgraduate.analysis.facts import CallSite, dotted_name
from nbgraduate.analysis.model_refs import is_commit_sha
from nbgraduate.analysis.values import ResolvedValue, ValueResolver

DatasetKind = Literal["local", "remote", "hub"]

_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_HEX_DIGEST = re.compile(r"^[0-9a-fA-F]{32,128}$")
_SHA_ANYWHERE = re.compile(r"(?<![0-9a-fA-F])[0-9a-f]{40}(?![0-9a-fA-F])")
_MUTABLE_SEGMENT = re.compile(
    r"/(?:main|master|HEAD|head|latest|develop|dev|trunk|nightly|current|refs/heads/[^/]+)(?:/|$|\?|\.)",
)
_OBJECT_STORE = re.compile(r"^(?:s3|s3a|gs|gcs|az|abfs|abfss|wasbs|r2|oss)://", re.IGNORECASE)
_GIT_HOSTS = (
    "github.com",
    "raw.githubusercontent.com",
    "gitlab.com",
    "huggingface.co",
    "bitbucket.org",
)


@dataclass(frozen=True, slots=True)
class DatasetRead:
    """One dataset location read by a call; ``location.node`` is where the path is written."""

    call: CallSite
    location: ResolvedValue
    kind: DatasetKind
    revision: str | None = None

    @property
    def path(self) -> str:
        return str(self.location.value)


def find_dataset_reads(values: ValueResolver) -> list[DatasetRead]:
    """Dataset reads in notebook order; a hub dataset is one read of its repo id."""
    reads: list[DatasetRead] = []
    for call in values.facts.calls:
        reads.extend(_reads_of(call, values))
    return reads


def normalise_path(path: str) -> str:
    """The form in which lock files and digest checks record a local path."""
    return posixpath.normpath(path.replace("\\", "/")).removeprefix("./")


def digest_verified_paths(values: ValueResolver) -> set[str]:
    """Paths (and URLs) whose content the notebook checks against a literal digest.

    ``hashlib.sha256(open(PATH, "rb").read()).hexdigest() == "9f2c..."`` verifies PATH; so does any
    comparison of an expression that mentions PATH with a hex digest literal.
    """
    verified: set[str] = set()
    for compare in values.facts.digest_checks:
        sides = [compare.left, *compare.comparators]
        digest_sides = [side for side in sides if _is_digest_literal(side, values)]
        if not digest_sides:
            continue
        for side in sides:
            if not any(side is digest for digest in digest_sides):
                verified |= _paths_mentioned(side, values)
    return verified


def _paths_mentioned(expression: ast.expr, values: ValueResolver) -> set[str]:
    """Every string an expression is built from, following names to what they were assigned
    (``digest = sha256(open(PATH, "rb").read()).hexdigest()`` mentions PATH)."""
    paths: set[str] = set()
    pending: list[ast.expr] = [expression]
    visited: set[int] = set()
    while pending and len(visited) < 200:
        node = pending.pop()
        if id(node) in visited:
            continue
        visited.add(id(node))
        for child in ast.walk(node):
            if isinstance(child, (ast.Constant, ast.Name, ast.Attribute, ast.Subscript)):
                for value in values.strings(child):
                    paths.add(normalise_path(str(value.value)))
            if isinstance(child, ast.Name):
                bound = values.follow(child)
                if bound is not None and not isinstance(bound, ast.Name):
                    pending.append(bound)
    return paths


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
    if _SHA_ANYWHERE.search(url):
        return None
    if _MUTABLE_SEGMENT.search(url):
        return "the URL points at a moving ref (branch or 'latest'), not a commit"
    host = url.split("://", 1)[-1].split("/", 1)[0].lower()
    if host.endswith(_GIT_HOSTS):
        return "the URL does not name a commit sha, so its content can change"
    return "a remote file without a commit, version id or digest check can change at any time"


def _is_digest_literal(node: ast.expr, values: ValueResolver) -> bool:
    values = values.strings(node)
    return bool(values) and all(_HEX_DIGEST.match(str(v.value)) for v in values)


def _reads_of(call: CallSite, values: ValueResolver) -> list[DatasetRead]:
    qualified = call.qualified_name
    method = call.method
    if qualified == "datasets.load_dataset" or (
        method == "load_dataset" and qualified.endswith("load_dataset")
    ):
        return _hf_load_dataset(call, values)
    if method in ("hf_hub_download", "snapshot_download"):
        repo_type = call.keywords.get("repo_type")
        if repo_type is None or not any(
            v.value == "dataset" for v in values.resolve(repo_type, call.scope)
        ):
            return []
        return _hub_read(call, values, call.argument(0, "repo_id"))
    if method == "hf_dataset" and "inspect" in qualified:
        return _hub_read(call, values, call.argument(0, "path"))
    if _is_reader(call):
        return _file_reads(call, values, call.argument(0, *catalog.DATA_PATH_KEYWORDS))
    if qualified in ("open", "io.open", "codecs.open") and _read_mode(call, values):
        return _file_reads(
            call, values, call.argument(0, "file", "filename"), require_data_extension=True
        )
    if method in ("read_text", "read_bytes", "open") and isinstance(call.node.func, ast.Attribute):
        receiver = call.node.func.value
        if isinstance(receiver, ast.Call) and (dotted_name(receiver.func) or "").endswith("Path"):
            argument = receiver.args[0] if receiver.args else None
            return _file_reads(call, values, argument, require_data_extension=True)
    return []


def _is_reader(call: CallSite) -> bool:
    if call.qualified_name in catalog.DATA_READERS:
        return True
    return call.method in ("json_dataset", "csv_dataset") and "inspect" in call.qualified_name


def _read_mode(call: CallSite, values: ValueResolver) -> bool:
    mode = call.argument(1, "mode")
    if mode is None:
        return True
    values = values.strings(mode, call.scope)
    return bool(values) and not any(set(str(v.value)) & set("wax+") for v in values)


def _file_reads(
    call: CallSite,
    values: ValueResolver,
    argument: ast.expr | None,
    *,
    require_data_extension: bool = False,
) -> list[DatasetRead]:
    reads = []
    for value in _path_values(argument, call, values):
        path = str(value.value)
        if require_data_extension and not path.lower().endswith(catalog.DATA_FILE_EXTENSIONS):
            continue
        kind: DatasetKind = "remote" if _URL.match(path) else "local"
        reads.append(DatasetRead(call, value, kind))
    return reads


def _path_values(
    argument: ast.expr | None, call: CallSite, values: ValueResolver
) -> list[ResolvedValue]:
    """String values of a path argument; lists and dicts of paths (``data_files``) are unpacked."""
    if argument is None:
        return []
    if isinstance(argument, (ast.List, ast.Tuple)):
        return [v for element in argument.elts for v in _path_values(element, call, values)]
    if isinstance(argument, ast.Dict):
        return [v for element in argument.values for v in _path_values(element, call, values)]
    resolved_dict = values.resolve_dict(argument, call.scope)
    if resolved_dict is not None:
        return [v for element in resolved_dict.values for v in _path_values(element, call, values)]
    return [v for v in values.strings(argument, call.scope) if str(v.value).strip()]


def _hf_load_dataset(call: CallSite, values: ValueResolver) -> list[DatasetRead]:
    name_argument = call.argument(0, "path")
    names = values.strings(name_argument, call.scope)
    reads: list[DatasetRead] = []
    for name in names:
        if str(name.value) in catalog.HF_FILE_BUILDERS:
            reads += _file_reads(
                call, values, call.keywords.get("data_files") or call.keywords.get("data_dir")
            )
        elif _URL.match(str(name.value)) or "." in str(name.value).rsplit("/", 1)[-1]:
            reads += _file_reads(call, values, name_argument)
        else:
            reads.append(DatasetRead(call, name, "hub", _revision(call, values)))
    return reads


def _hub_read(
    call: CallSite, values: ValueResolver, argument: ast.expr | None
) -> list[DatasetRead]:
    revision = _revision(call, values)
    return [
        DatasetRead(call, value, "hub", revision) for value in values.strings(argument, call.scope)
    ]


def _revision(call: CallSite, values: ValueResolver) -> str | None:
    for value in values.strings(call.keywords.get("revision"), call.scope):
        return str(value.value)
    return None
