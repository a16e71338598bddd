"""``nbgraduate.lock``: the locked manifest of a graduated pipeline, one pydantic model.

Everything that reads or writes the lock goes through :class:`PipelineLock`, so the file has one
schema, one serialisation (sorted, indented JSON, so diffs read well) and one atomic writer.

Every older schema is read: a field a later schema added is optional and left out of the text
while unset, so an older lock reads, verifies and digests as its own version wrote it (its
``schema_version`` still says which), and the next ``nbgraduate lock`` writes the current one.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    ValidationError,
    field_validator,
    model_serializer,
)

from nbgraduate.core import regex_cache
from nbgraduate.core.atomic import write_text_atomic
from nbgraduate.core.errors import ConfigError
from nbgraduate.core.files import NotARegularFile, read_regular_text
from nbgraduate.lock import LOCK_FILENAME

#: 2: requirements record their extras and environment marker, and the requirements digest
#: covers every requirement and option line in canonical (PEP 503) form.
#: 3: ``graduated_from``, the legacy notebook ``nbgraduate convert`` graduated the pipeline from.
LOCK_SCHEMA_VERSION = 3
#: Every schema version this nbgraduate reads (older ones are read by the same model).
READABLE_SCHEMA_VERSIONS = frozenset({1, 2, 3})
#: A lock is a few kilobytes; anything near this is not a lock nbgraduate wrote.
MAX_LOCK_BYTES = 16 * 1024 * 1024

# Bounds on what a lock may hold, so a tampered lock cannot make every reader (the hooks run on
# each commit) spend its memory or time; each is far above what a real pipeline records.
_Name = Annotated[str, StringConstraints(max_length=1024)]
_Path = Annotated[str, StringConstraints(min_length=1, max_length=4096)]
_Digest = Annotated[str, StringConstraints(max_length=128)]
_Text = Annotated[str, StringConstraints(max_length=65536)]
_MAX_ITEMS = 100_000
_SEMVER = regex_cache.compile(r"(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LockedParameter(_Strict):
    """A papermill parameter: ``name: type = default  # help`` in the parameters cell."""

    name: _Name
    type: Literal["str", "int", "float", "bool", "list", "dict"]
    default: Any
    help: _Text = ""


class LockedDataset(_Strict):
    """A file or URI the notebook reads; ``rows`` for tabular text formats."""

    path: _Path
    sha256: _Digest | None = None
    size: int | None = Field(default=None, ge=0)
    rows: int | None = Field(default=None, ge=0)
    remote: bool = False


class LockedPrompt(_Strict):
    path: _Path
    sha256: _Digest


class LockedModel(_Strict):
    model_id: _Name
    role: Literal["judge", "candidate"]
    provider: _Name | None = None
    pinned: bool
    parameter: _Name | None = None


class LockedRequirement(_Strict):
    """An exact pin of ``requirements.txt``: ``name[extras]==version ; marker``."""

    name: _Name
    version: _Name
    extras: list[_Name] = Field(default_factory=list, max_length=1000)
    marker: _Text | None = None

    @model_serializer(mode="wrap")
    def _omit_defaults(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # A pin without extras or marker serialises as schema 1 wrote it, so an unchanged
        # requirement keeps its lock text (and the lock digest runs record).
        data: dict[str, Any] = handler(self)
        if not data.get("extras"):
            data.pop("extras", None)
        if data.get("marker") is None:
            data.pop("marker", None)
        return data


class SamplingParameters(_Strict):
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    seed: int | None = None


class GraduatedFrom(_Strict):
    """The legacy notebook a pipeline was converted from: where it was (relative to the
    pipeline directory, ``../judge.ipynb`` or ``legacy/judge.ipynb`` after ``--move-source``)
    and the digest of its code and markdown (outputs left out, so clearing them keeps it).

    The guard hook accepts that notebook, unchanged, while the pipeline is reviewed.
    """

    path: _Path
    notebook_digest: _Digest


class PipelineLock(_Strict):
    """The locked eval contract of one pipeline directory."""

    schema_version: int = LOCK_SCHEMA_VERSION
    nbgraduate_version: _Name
    contract_version: str = "1.0.0"
    notebook: _Path
    notebook_digest: _Digest
    scoring_digest: _Digest
    kernel_name: _Name
    python_version: _Name
    parameters: list[LockedParameter] = Field(default_factory=list, max_length=_MAX_ITEMS)
    datasets: list[LockedDataset] = Field(default_factory=list, max_length=_MAX_ITEMS)
    prompts: list[LockedPrompt] = Field(default_factory=list, max_length=_MAX_ITEMS)
    models: list[LockedModel] = Field(default_factory=list, max_length=_MAX_ITEMS)
    sampling: SamplingParameters = Field(default_factory=SamplingParameters)
    requirements: list[LockedRequirement] = Field(default_factory=list, max_length=_MAX_ITEMS)
    requirements_digest: _Digest = ""
    floating_allowed: bool = False
    graduated_from: GraduatedFrom | None = None

    @field_validator("schema_version")
    @classmethod
    def _known_schema(cls, version: int) -> int:
        if version not in READABLE_SCHEMA_VERSIONS:
            newest = max(READABLE_SCHEMA_VERSIONS)
            advice = "; upgrade nbgraduate" if version > newest else ""
            raise ValueError(
                f"schema_version {version} is not one this nbgraduate reads (1 to {newest}){advice}"
            )
        return version

    @field_validator("contract_version")
    @classmethod
    def _semantic_version(cls, version: str) -> str:
        if _SEMVER.fullmatch(version) is None:
            shown = version if len(version) <= 40 else f"{version[:20]}... ({len(version)} chars)"
            raise ValueError(f"contract_version {shown!r} is not MAJOR.MINOR.PATCH (like 1.0.0)")
        return version

    def canonical(self) -> PipelineLock:
        """The same lock with every list in a stable order, so equal contracts serialise equally."""
        return self.model_copy(
            update={
                "parameters": sorted(self.parameters, key=lambda p: p.name),
                "datasets": sorted(self.datasets, key=lambda d: d.path),
                "prompts": sorted(self.prompts, key=lambda p: p.path),
                "models": sorted(self.models, key=lambda m: (m.role, m.model_id)),
                "requirements": sorted(self.requirements, key=lambda r: r.name.lower()),
            }
        )

    def to_json(self) -> str:
        data = self.canonical().model_dump(mode="json")
        if data.get("graduated_from") is None:
            # Absent rather than null: a lock without it reads (and digests) as it always did.
            data.pop("graduated_from", None)
        return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    def digest(self) -> str:
        """sha256 of the canonical text: the identity a run record stores."""
        return hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()

    def parameter(self, name: str) -> LockedParameter | None:
        return next((p for p in self.parameters if p.name == name), None)


def lock_path(pipeline_dir: Path) -> Path:
    return pipeline_dir / LOCK_FILENAME


def read_lock(pipeline_dir: Path) -> PipelineLock:
    """Load and validate a pipeline's lock; a one-line :class:`ConfigError` when it cannot.

    Validation is strict: a known ``schema_version``, a semantic ``contract_version``, bounded
    sizes, and every path it names inside the pipeline's repository (see
    :func:`nbgraduate.lock.layout.lock_path_problems`), so no command reads, hashes or runs a
    file outside it because a lock says so.
    """
    from nbgraduate.lock.layout import lock_path_problems

    path = lock_path(pipeline_dir)
    try:
        text = read_regular_text(path, max_bytes=MAX_LOCK_BYTES)
    except FileNotFoundError:
        raise ConfigError(path, "no lock file; run `nbgraduate lock` first") from None
    except NotARegularFile as error:
        raise ConfigError(path, f"cannot read the lock: {error}") from None
    except UnicodeDecodeError as error:
        raise ConfigError(
            path, f"not a lock: not UTF-8 text (undecodable byte at offset {error.start})"
        ) from None
    except OSError as error:
        raise ConfigError(path, f"cannot read: {error.strerror or error}") from None
    try:
        lock = PipelineLock.model_validate_json(text)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ())) or "document"
        message = str(first.get("msg", "")).removeprefix("Value error, ")
        raise ConfigError(path, f"invalid lock: {where}: {message}"[:500]) from None
    problems = lock_path_problems(pipeline_dir, lock)
    if problems:
        raise ConfigError(path, f"invalid lock: {problems[0]}"[:500])
    return lock


def write_lock(pipeline_dir: Path, lock: PipelineLock) -> Path:
    path = lock_path(pipeline_dir)
    write_text_atomic(path, lock.to_json())
    return path
