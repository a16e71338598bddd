"""``nbgraduate convert``: graduate a legacy notebook into a parameterised, locked pipeline.

:mod:`nbgraduate.graduate.plan` decides the edits; this module checks the notebook can
be converted safely, applies the plan, pins requirements, locks, and writes the pipeline
directory in one atomic step: built next to the target, then renamed into place.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from datetime import date
from pathlib import Path

from nbgraduate.core.errors import InputFileError
from nbgraduate.core.git import repository_root
from nbgraduate.graduate.metrics import wire_metric
from nbgraduate.graduate.package_index import PackageIndexClient
from nbgraduate.graduate.plan import ConversionPlanner
from nbgraduate.graduate.requirements import resolve_requirements
from nbgraduate.graduate.resolve import transitive_lock
from nbgraduate.graduate.result import (
    ConversionOptions,
    ConversionRefused,
    ConversionResult,
    HumanTask,
)
from nbgraduate.lint.linter import lint_notebook
from nbgraduate.lint.pipeline_baseline import record_pipeline_baseline
from nbgraduate.lint.rules import ALL_CODES
from nbgraduate.lock.builder import compute_lock
from nbgraduate.lock.contract import CHANGELOG_FILENAME, append_changelog
from nbgraduate.lock.digests import notebook_digest
from nbgraduate.lock.layout import LEGACY_DIRNAME, locked_local_datasets
from nbgraduate.lock.lockfile import GraduatedFrom, write_lock
from nbgraduate.lock.requirements import REQUIREMENTS_FILENAME
from nbgraduate.notebook.reader import notebook_from_text, read_notebook

REPORT_FILENAME = "CONVERSION.md"


def default_pipeline_dir(source: Path) -> Path:
    """Next to the source: ``evals/judge.ipynb`` graduates into ``evals/judge/``."""
    return source.parent / source.stem


def convert_notebook(source: Path, options: ConversionOptions) -> ConversionResult:
    """Convert one notebook; raises :class:`ConversionRefused` (nothing written) when unsafe."""
    if source.suffix != ".ipynb":
        raise ConversionRefused(source, "only .ipynb notebooks are converted")
    try:
        notebook = read_notebook(source)
    except InputFileError as error:
        raise ConversionRefused(source, error.reason) from None
    if notebook.language not in ("python", "python3", "ipython", "ipython3"):
        raise ConversionRefused(source, f"kernel language {notebook.language!r} is not Python")
    if notebook.syntax_errors:
        error = notebook.syntax_errors[0]
        raise ConversionRefused(
            source,
            f"cell {error.cell_index + 1} does not parse ({error.message}); fix it first (NBG703)",
        )
    target = (options.output_dir or default_pipeline_dir(source)).resolve()
    if target.exists() and any(target.iterdir()) and not options.force:
        raise ConversionRefused(source, f"{target} already exists; pass --force to replace it")
    if target == source.parent.resolve():
        raise ConversionRefused(
            source, "the pipeline directory must not be the notebook's own directory"
        )

    raw = json.loads(notebook.raw_text)
    result = ConversionResult(source=source, status="converted", pipeline_dir=target)
    planner = ConversionPlanner(notebook, source.parent.resolve(), target, options, result)
    planner.plan()
    new_cells = planner.apply(raw)
    document = _pipeline_document(raw, new_cells)
    # One nbgraduate.record(...) after the per-example results, or where to add it by hand.
    result.metric = wire_metric(
        document,
        target / f"{source.stem}.ipynb",
        planner.context.model_policy,
        repository_root(source.parent),
    )
    pipeline_text = json.dumps(document, indent=1, ensure_ascii=False) + "\n"

    converted = notebook_from_text(target / f"{source.stem}.ipynb", pipeline_text)
    if converted.syntax_errors:
        error = converted.syntax_errors[0]
        raise ConversionRefused(
            source,
            f"rewriting produced a cell that does not parse "
            f"(cell {error.cell_index + 1}: {error.message})",
        )
    index = PackageIndexClient()
    requirements = resolve_requirements(notebook, planner.context.facts, source.parent, index)
    result.pinned_requirements = dict(requirements.pinned)
    result.requirement_origins = dict(requirements.origins)
    result.unresolved_requirements = dict(requirements.unresolved)
    for name, reason in sorted(requirements.unresolved.items()):
        result.human.append(
            HumanTask("NBG401", f"requirement {name} could not be pinned: {reason}")
        )
    # The transitive, hashed lock travels with the prompts into the staging directory.
    files = dict(planner.prompt_files)
    result.requirements_lock = transitive_lock(requirements.pinned, index, files)
    index.close()

    source_digest = notebook_digest([(c.cell_type, c.source, c.tags) for c in notebook.cells])
    _write_pipeline(
        target,
        source,
        pipeline_text,
        files,
        requirements.text(),
        result,
        options,
        source_digest,
    )
    remaining = lint_notebook(
        converted,
        ALL_CODES,
        planner.context.model_policy,
        locked_local_datasets(target, digested_only=True),
    )
    result.remaining_codes = sorted({finding.code for finding in remaining})
    if result.human:
        result.status = "needs-human"
    report = render_report(result)
    from nbgraduate.core.atomic import write_text_atomic

    write_text_atomic(target / REPORT_FILENAME, report)
    return result


def _write_pipeline(
    target: Path,
    source: Path,
    pipeline_text: str,
    prompt_files: dict[str, str],
    requirements_text: str,
    result: ConversionResult,
    options: ConversionOptions,
    source_digest: str,
) -> None:
    """Build the pipeline directory beside the target and rename it into place.

    With ``move_source`` the source's bytes are copied into ``legacy/`` of the new pipeline and
    the original is removed only once the pipeline is in place: nothing is lost if any step
    fails, and git sees a rename.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        (staging / f"{source.stem}.ipynb").write_text(pipeline_text, encoding="utf-8")
        (staging / REQUIREMENTS_FILENAME).write_text(requirements_text, encoding="utf-8")
        for relative, text in prompt_files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("w", encoding="utf-8", newline="") as handle:
                handle.write(text)
        if options.move_source:
            kept = f"{LEGACY_DIRNAME}/{source.name}"
            (staging / LEGACY_DIRNAME).mkdir()
            shutil.copyfile(source, staging / kept)
        else:
            kept = Path(os.path.relpath(source.resolve(), target)).as_posix()
        result.source_kept_at = kept
        computation = compute_lock(staging)
        for problem in computation.problems:
            result.human.append(HumanTask("NBG201", problem))
        lock = computation.lock.model_copy(
            update={
                "floating_allowed": bool(computation.floating_models),
                "graduated_from": GraduatedFrom(path=kept, notebook_digest=source_digest),
            }
        )
        write_lock(staging, lock)
        # What the guard finds in the new pipeline now is what conversion left to a human
        # (listed in CONVERSION.md); only what is added later blocks a commit.
        record_pipeline_baseline(staging / f"{source.stem}.ipynb")
        append_changelog(
            staging / CHANGELOG_FILENAME,
            version=lock.contract_version,
            date=date.today().isoformat(),
            changes=[f"graduated from {source.name} by nbgraduate convert"],
        )
        os.chmod(staging, 0o755)
        if target.is_dir() and not any(target.iterdir()):
            target.rmdir()  # an empty directory the user prepared is not something to protect
        if target.exists():
            if not options.force:
                raise ConversionRefused(
                    source, f"{target} appeared while converting; nothing replaced"
                )
            retired = target.with_name(f".{target.name}.replaced-{uuid.uuid4().hex[:8]}")
            os.replace(target, retired)
            os.replace(staging, target)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if options.move_source:
        source.unlink()


def _pipeline_document(raw: dict, cells: list[dict]) -> dict:
    metadata = dict(raw.get("metadata") or {})
    metadata.pop("widgets", None)
    metadata.setdefault(
        "kernelspec", {"name": "python3", "display_name": "Python 3", "language": "python"}
    )
    return {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}


def render_report(result: ConversionResult) -> str:
    """The conversion report: printed by the CLI and saved as CONVERSION.md."""
    lines = [f"# Conversion of {result.source.name}", ""]
    lines.append(f"Status: **{result.status}**; pipeline: `{result.pipeline_dir}`")
    lines.append("")
    if result.source_kept_at.startswith(f"{LEGACY_DIRNAME}/"):
        lines += [
            f"The source notebook moved to `{result.source_kept_at}` in the pipeline (lint and"
            " the guard hook skip it); delete it once the pipeline is reviewed.",
            "",
        ]
    elif result.source_kept_at:
        lines += [
            f"The source notebook stays at `{result.source_kept_at}` (relative to the"
            " pipeline), recorded in `nbgraduate.lock` as what the pipeline was graduated from;"
            " the guard hook lets it be committed unchanged. Archive or delete it once the"
            " pipeline is reviewed.",
            "",
        ]
    if result.parameters:
        lines += ["## Parameters", ""]
        lines += [f"- `{p.line()}`" for p in result.parameters]
        lines.append("")
    for title, items in (
        ("Lifted into parameters", result.lifted),
        ("Prompts extracted", result.prompts),
        ("Seeding added", result.seeded),
        ("Relative paths", result.relocated),
        ("Removed", result.removed),
    ):
        if items:
            lines += [f"## {title}", "", *(f"- {item}" for item in items), ""]
    if result.pinned_requirements:
        lines += ["## Pinned requirements", ""]
        lines += [
            f"- {name}=={version}"
            + (
                f" ({result.requirement_origins[name]})"
                if name in result.requirement_origins
                else ""
            )
            for name, version in sorted(result.pinned_requirements.items())
        ]
        if result.requirements_lock:
            lines.append(f"- requirements.lock: {result.requirements_lock}")
        lines.append("")
    lines += _metric_section(result)
    lines += ["## Needs a human", ""]
    if result.human:
        lines += [
            f"- {task.code}: {task.message}" + (f" ({task.where})" if task.where else "")
            for task in result.human
        ]
    else:
        lines.append("- nothing: the pipeline is graduated")
    lines.append("")
    if result.remaining_codes:
        lines += [
            f"Remaining lint findings in the pipeline: {', '.join(result.remaining_codes)}",
            "",
        ]
    return "\n".join(lines)


def _metric_section(result: ConversionResult) -> list[str]:
    """How the pipeline records its per-example results, or exactly where to make it."""
    from nbgraduate.graduate.metrics import MetricInstruction, MetricWiring

    metric = result.metric
    lines = ["## Metric", ""]
    if isinstance(metric, MetricWiring):
        lines.append(
            f"Recorded `{metric.name}` from {metric.found}, in cell {metric.cell_index + 1}"
            f" after line {metric.after_row}, so `nbgraduate run` stores it and `nbgraduate"
            " gate` can compare runs example by example:"
        )
        lines += ["", "```python", "import nbgraduate", *metric.lines, "```", ""]
        if metric.ids_note:
            lines += [f"{metric.ids_note[0].upper()}{metric.ids_note[1:]}.", ""]
        lines += ["Check that this is the number the eval is about.", ""]
    elif isinstance(metric, MetricInstruction):
        lines += [
            f"Nothing to gate yet: {metric.reason}. Add, {metric.where()} of"
            f" `{result.source.stem}.ipynb`:",
            "",
            "```python",
            "import nbgraduate",
            metric.line,
            "```",
            "",
            "with one value per example and the example ids (`nbgraduate gate` pairs runs by"
            " id), then `nbgraduate lock` the pipeline.",
            "",
        ]
    elif result.metric is None and result.status != "refused":
        lines += ["The notebook records its metrics with `nbgraduate.record` already.", ""]
    return lines


def normalise_pin(text: str) -> tuple[str, str]:
    """``ALIAS=SNAPSHOT`` from ``--pin``."""
    alias, separator, snapshot = text.partition("=")
    if not separator or not alias.strip() or not snapshot.strip():
        from nbgraduate.core.errors import UsageError

        raise UsageError(f"--pin expects ALIAS=SNAPSHOT, got {text!r}")
    return alias.strip(), snapshot.strip()


__all__ = [
    "ConversionOptions",
    "ConversionRefused",
    "ConversionResult",
    "HumanTask",
    "convert_notebook",
    "default_pipeline_dir",
    "normalise_pin",
    "render_report",
]
