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
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
)

from nbgraduate.core.atomic import write_text_atomic
from nbgraduate.core.errors import ConfigError
from nbgraduate.lock import LOCK_FILENAME

#: 2: requirements record their extras and environment marker, and the requirements digest
#: covers every requirement and option line in canonical (PEP 503) form.
#: 3: ``graduated_from``, the legacy notebook ``nbgraduate convert`` graduated the pipeline from.
LOCK_SCHEMA_VERSION = 3


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LockedParameter(_Strict):
    """A papermill parameter: ``name: type = default  # help`` in the parameters cell."""

    name: str
    type: Literal["str", "int", "float", "bool", "list", "dict"]
    default: Any
    help: str = ""


class LockedDataset(_Strict):
    """A file or URI the notebook reads; ``rows`` for tabular text formats."""

    path: str
    sha256: str | None = None
    size: int | None = None
    rows: int | None = None
    remote: bool = False


class LockedPrompt(_Strict):
    path: str
    sha256: str


class LockedModel(_Strict):
    model_id: str
    role: Literal["judge", "candidate"]
    provider: str | None = None
    pinned: bool
    parameter: str | None = None


class LockedRequirement(_Strict):
    """An exact pin of ``requirements.txt``: ``name[extras]==version ; marker``."""

    name: str
    version: str
    extras: list[str] = Field(default_factory=list)
    marker: str | None = None

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

    path: str
    notebook_digest: str


class PipelineLock(_Strict):
    """The locked eval contract of one pipeline directory."""

    schema_version: int = LOCK_SCHEMA_VERSION
    nbgraduate_version: str
    contract_version: str = "1.0.0"
    notebook: str
    notebook_digest: str
    scoring_digest: str
    kernel_name: str
    python_version: str
    parameters: list[LockedParameter] = Field(default_factory=list)
    datasets: list[LockedDataset] = Field(default_factory=list)
    prompts: list[LockedPrompt] = Field(default_factory=list)
    models: list[LockedModel] = Field(default_factory=list)
    sampling: SamplingParameters = Field(default_factory=SamplingParameters)
    requirements: list[LockedRequirement] = Field(default_factory=list)
    requirements_digest: str = ""
    floating_allowed: bool = False
    graduated_from: GraduatedFrom | None = None

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
    """Load and validate a pipeline's lock; a one-line :class:`ConfigError` when it cannot."""
    path = lock_path(pipeline_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, "no lock file; run `nbgraduate lock` first") from None
    except OSError as error:
        raise ConfigError(path, f"cannot read: {error.strerror or error}") from None
    try:
        return PipelineLock.model_validate_json(text)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ()))
        raise ConfigError(path, f"invalid lock: {where}: {first.get('msg')}") from None


def write_lock(pipeline_dir: Path, lock: PipelineLock) -> Path:
    path = lock_path(pipeline_dir)
    write_text_atomic(path, lock.to_json())
    return path
