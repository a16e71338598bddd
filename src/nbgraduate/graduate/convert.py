"""``nbgraduate convert``: graduate a legacy notebook into a parameterised, locked pipeline.

:mod:`nbgraduate.graduate.plan` decides the edits; this module checks the notebook can
be converted safely, applies the plan, pins requirements, locks, and writes the pipeline
directory in one atomic step: built next to the target, then renamed into place.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

from nbgraduate.core import regex_cache
from nbgraduate.core.errors import InputFileError, NbgraduateError
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
from nbgraduate.knowledge.secrets import redact
from nbgraduate.lint.linter import lint_notebook, secret_findings
from nbgraduate.lint.pipeline_baseline import record_pipeline_baseline
from nbgraduate.lint.rules import ALL_CODES
from nbgraduate.lock import LOCK_FILENAME
from nbgraduate.lock.builder import compute_lock
from nbgraduate.lock.contract import CHANGELOG_FILENAME, append_changelog
from nbgraduate.lock.digests import notebook_digest
from nbgraduate.lock.layout import LEGACY_DIRNAME, locked_local_datasets
from nbgraduate.lock.lockfile import GraduatedFrom, write_lock
from nbgraduate.lock.requirements import REQUIREMENTS_FILENAME
from nbgraduate.notebook.model import Notebook
from nbgraduate.notebook.parameters import PARAMETERS_TAG
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
    target = checked_target(source, options.output_dir or default_pipeline_dir(source), options)

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
    _refuse_credentials(source, notebook, converted, planner)
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

    def finish(staging: Path) -> str:
        """The report, once the lock is in the staging directory (lint reads its datasets)."""
        remaining = lint_notebook(
            converted,
            ALL_CODES,
            planner.context.model_policy,
            locked_local_datasets(staging, digested_only=True),
        )
        result.remaining_codes = sorted({finding.code for finding in remaining})
        if result.human:
            result.status = "needs-human"
        return render_report(result)

    source_digest = notebook_digest([(c.cell_type, c.source, c.tags) for c in notebook.cells])
    _write_pipeline(
        target,
        source,
        pipeline_text,
        files,
        requirements.text(),
        result,
        finish,
        options,
        source_digest,
    )
    return result


def _refuse_credentials(
    source: Path, notebook: Notebook, converted: Notebook, planner: ConversionPlanner
) -> None:
    """Refuse when the pipeline would carry a credential (a key in a cell, a key-like literal
    in the parameters cell): the pipeline is committed, so it must read keys from the
    environment. Suppressions do not count here: ``# noqa`` hides a finding, not a key."""
    found = secret_findings(converted, planner.context.model_policy)
    if not found:
        return
    first = found[0]
    cell = converted.cells[first.start.cell_index]
    if PARAMETERS_TAG in cell.tags:
        where = "the parameters cell"
        advice = (
            "a key-like value is never lifted into a parameter default; read it from the"
            ' environment instead (api_key = os.environ["API_KEY"]) and convert again'
        )
    else:
        numbers = {c.cell_id: c.number for c in notebook.cells if c.cell_id}
        number = numbers.get(cell.cell_id)
        where = f"cell {number}" if number is not None else f"pipeline cell {cell.number}"
        advice = "read it from the environment (os.environ) before converting"
    raise ConversionRefused(
        source, f"{where}, line {first.start.row}: {first.message.split(';')[0]}; {advice}"
    )


# --- where the pipeline goes, and what --force may replace ---------------------------------

#: Files and directories a pipeline nbgraduate wrote is recognised by (either one suffices).
_OUR_MARKERS = (LOCK_FILENAME, REPORT_FILENAME)
#: Interrupted conversions leave ``.<name>.nbgraduate-staging-<pid>-<random>`` (a pipeline being
#: built) or ``.<name>.nbgraduate-replaced-<pid>-<random>`` (the pipeline being replaced); the
#: next conversion to the same target removes them (or puts a replaced pipeline back).
_STAGING = "nbgraduate-staging"
_REPLACED = "nbgraduate-replaced"


def checked_target(source: Path, given: Path, options: ConversionOptions) -> Path:
    """The resolved pipeline directory, or :class:`ConversionRefused` when writing it could
    lose anything: a symlink, the notebook's own directory or one of its ancestors, a file, or
    (with ``--force``) a directory that is not a pipeline nbgraduate wrote. What interrupted
    conversions to it left behind is cleaned up first (see :func:`clean_leftovers`)."""
    if os.path.islink(given):
        raise ConversionRefused(
            source, f"{given} is a symbolic link; give the real directory (links are not followed)"
        )
    target = given.resolve()
    source_path = source.resolve()
    if target == source_path.parent:
        raise ConversionRefused(
            source, "the pipeline directory must not be the notebook's own directory"
        )
    if _is_within(source_path, target):
        raise ConversionRefused(
            source, f"{target} contains the notebook being converted; choose another directory"
        )
    clean_leftovers(target)
    if not target.exists():
        return target
    if not target.is_dir():
        raise ConversionRefused(source, f"{target} exists and is not a directory")
    try:
        entries = os.listdir(target)
    except OSError as error:
        raise ConversionRefused(source, f"{target}: {error.strerror or error}") from None
    if not entries:
        return target
    if not options.force:
        raise ConversionRefused(source, f"{target} already exists; pass --force to replace it")
    if not any(os.path.isfile(target / marker) for marker in _OUR_MARKERS):
        raise ConversionRefused(
            source,
            f"{target} is not a pipeline nbgraduate wrote (no {LOCK_FILENAME} or"
            f" {REPORT_FILENAME}); --force replaces only those, so move it away yourself",
        )
    if ".git" in entries:
        raise ConversionRefused(source, f"{target} holds a git repository; it is not replaced")
    return target


def _is_within(path: Path, directory: Path) -> bool:
    return path == directory or directory in path.parents


def _leftover_pattern(target: Path) -> re.Pattern[str]:
    return regex_cache.compile(
        rf"^\.{re.escape(target.name)}\.(?P<kind>{_STAGING}|{_REPLACED})-(?P<pid>\d+)-[A-Za-z0-9_]+$"
    )


def clean_leftovers(target: Path) -> list[Path]:
    """Remove what interrupted conversions to ``target`` left beside it; returns what went.

    A replaced pipeline whose replacement never arrived (the process died between the two
    renames) is put back instead. Leftovers of a conversion that is still running (its
    process is alive) are left alone.
    """
    pattern = _leftover_pattern(target)
    try:
        names = sorted(os.listdir(target.parent))
    except OSError:
        return []
    handled = []
    for name in names:
        match = pattern.match(name)
        if match is None or _process_alive(int(match["pid"])):
            continue
        leftover = target.parent / name
        if leftover.is_symlink() or not leftover.is_dir():
            continue
        if match["kind"] == _REPLACED and not os.path.lexists(target):
            os.replace(leftover, target)
        else:
            shutil.rmtree(leftover, ignore_errors=True)
        handled.append(leftover)
    return handled


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # an earlier conversion in this process, which has finished
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True
    return True


def _write_pipeline(
    target: Path,
    source: Path,
    pipeline_text: str,
    prompt_files: dict[str, str],
    requirements_text: str,
    result: ConversionResult,
    finish: Callable[[Path], str],
    options: ConversionOptions,
    source_digest: str,
) -> None:
    """Build the whole pipeline, report included, beside the target; then rename it into place.

    A conversion killed at any point leaves either no pipeline or a complete one: the target
    only ever appears by one rename of a finished directory. With ``move_source`` the source's
    bytes are copied into ``legacy/`` of the new pipeline and the original is removed only once
    the pipeline is in place: nothing is lost if any step fails, and git sees a rename.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(
        tempfile.mkdtemp(prefix=f".{target.name}.{_STAGING}-{os.getpid()}-", dir=target.parent)
    )
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
        try:
            computation = compute_lock(staging)
        except NbgraduateError as error:
            raise ConversionRefused(source, getattr(error, "message", str(error))) from None
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
        (staging / REPORT_FILENAME).write_text(finish(staging), encoding="utf-8")
        os.chmod(staging, 0o755)
        with _signals_deferred():
            _swap_into_place(staging, target, source, force=options.force)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if options.move_source:
        source.unlink()


def _swap_into_place(staging: Path, target: Path, source: Path, *, force: bool) -> None:
    if target.is_dir() and not any(target.iterdir()):
        target.rmdir()  # an empty directory the user prepared is not something to protect
    if not os.path.lexists(target):
        os.replace(staging, target)
        return
    ours = any(os.path.isfile(target / marker) for marker in _OUR_MARKERS)
    if not force or target.is_symlink() or not ours:
        raise ConversionRefused(source, f"{target} appeared while converting; nothing replaced")
    retired = target.with_name(f".{target.name}.{_REPLACED}-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    os.replace(target, retired)
    try:
        os.replace(staging, target)
    except BaseException:
        os.replace(retired, target)  # put the old pipeline back
        raise
    shutil.rmtree(retired, ignore_errors=True)


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM while the pipeline is swapped in: Ctrl-C between the two
    renames would leave no pipeline where one was. They are delivered right after."""
    can_block = hasattr(signal, "pthread_sigmask") and threading.current_thread() is (
        threading.main_thread()
    )
    if not can_block:
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


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
    # Quoted user text (removed install lines, lifted values, human tasks) may hold a token:
    # ``%pip install git+https://<token>@github.com/...``.
    return redact("\n".join(lines))


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
    "checked_target",
    "clean_leftovers",
    "convert_notebook",
    "default_pipeline_dir",
    "normalise_pin",
    "render_report",
]
