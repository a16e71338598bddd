"""What a conversion decided: options in, a result out, and the tasks left for a human."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from nbgraduate.core.errors import NbgraduateError
from nbgraduate.notebook.parameters import Parameter

if TYPE_CHECKING:
    from nbgraduate.graduate.metrics import MetricInstruction, MetricWiring


class ConversionRefused(NbgraduateError):
    """The notebook cannot be converted safely; nothing was written."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")

    def __str__(self) -> str:
        return f"{self.path}: cannot convert: {self.reason}"


@dataclass(frozen=True, slots=True)
class ConversionOptions:
    output_dir: Path | None = None
    pins: dict[str, str] = field(default_factory=dict)
    force: bool = False
    #: Move the source into the pipeline directory as ``legacy/<name>.ipynb`` (same bytes, so
    #: git records a rename) instead of leaving it where it was.
    move_source: bool = False


@dataclass(frozen=True, slots=True)
class HumanTask:
    """Something conversion could not decide: shown in the report with its lint code."""

    code: str
    message: str
    where: str = ""


@dataclass(slots=True)
class ConversionResult:
    source: Path
    status: str  # "converted", "needs-human", "refused"
    pipeline_dir: Path | None = None
    parameters: list[Parameter] = field(default_factory=list)
    lifted: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    prompts: list[str] = field(default_factory=list)
    seeded: list[str] = field(default_factory=list)
    #: Relative paths re-pointed from the pipeline directory, or left alone on purpose.
    relocated: list[str] = field(default_factory=list)
    human: list[HumanTask] = field(default_factory=list)
    pinned_requirements: dict[str, str] = field(default_factory=dict)
    unresolved_requirements: dict[str, str] = field(default_factory=dict)
    #: Where each pinned version came from: ``environment`` or ``index``.
    requirement_origins: dict[str, str] = field(default_factory=dict)
    #: What became of ``requirements.lock`` (written by which resolver, or why not).
    requirements_lock: str = ""
    remaining_codes: list[str] = field(default_factory=list)
    reason: str = ""
    #: What :mod:`nbgraduate.graduate.metrics` wired, the instruction for a human, or ``None``
    #: when the notebook records already.
    metric: MetricWiring | MetricInstruction | None = None
    #: Where the source notebook is now, relative to the pipeline (``legacy/x.ipynb`` when
    #: moved), as the lock's ``graduated_from`` records it.
    source_kept_at: str = ""
