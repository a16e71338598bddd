"""Step 3: the environment the reproduction runs in, against the one the run recorded.

When ``nbgraduate env`` has built the pipeline's pinned environment (a virtual environment from
its hashed lock, under the run store), the reproduction runs there; otherwise in this
interpreter's environment. Either way each difference from the recorded Python and package
versions is reported, not refused: a patch release of a dependency rarely changes an eval, and
when one does, a diverged verdict can be read against the list.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from pathlib import Path

from nbgraduate.runs.environment import (
    ENV_FILENAME,
    EnvironmentError_,
    PipelineEnvironment,
    canonical,
    environment_dir,
    installed_distributions,
    load_environment,
)
from nbgraduate.runs.records import RunRecord

__all__ = ["ReproductionEnvironment", "reproduction_environment"]

_NOT_INSTALLED = "not installed"


@dataclass(frozen=True)
class ReproductionEnvironment:
    """Where the reproduction runs, and how that differs from what the run recorded."""

    #: The environment ``nbgraduate env`` built, or ``None`` for this interpreter's.
    pinned: PipelineEnvironment | None
    differences: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def reproduction_environment(record: RunRecord, store_root: Path) -> ReproductionEnvironment:
    """The pipeline's pinned environment when it was built, and its differences from ``record``."""
    notes: list[str] = []
    pinned: PipelineEnvironment | None = None
    directory = environment_dir(store_root, record.pipeline)
    if (directory / ENV_FILENAME).is_file():
        try:
            pinned = load_environment(directory)
        except EnvironmentError_ as error:
            notes.append(f"the pinned environment is not usable ({error}); running in this one")
    if pinned is not None:
        notes.append(f"running in the pinned environment `nbgraduate env` built: {pinned.path}")
        installed = installed_distributions(pinned.site_dirs())
    else:
        installed = installed_distributions()
    return ReproductionEnvironment(pinned, differences(record, installed), notes)


def differences(record: RunRecord, installed: dict[str, str]) -> list[str]:
    """One line per difference between the recorded and the present Python and packages
    (``installed``: canonical name -> version)."""
    found = []
    here = platform.python_version()
    if record.python_version != here:
        found.append(f"python {record.python_version} recorded, {here} here")
    for name, recorded in sorted(record.packages.items(), key=lambda item: canonical(item[0])):
        present = installed.get(canonical(name), _NOT_INSTALLED)
        if present != recorded:
            found.append(f"{name} {recorded} recorded, {present} here")
    return found
