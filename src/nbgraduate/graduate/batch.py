"""Migrate a legacy folder in one call: many notebooks, one pipeline each, one summary."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from nbgraduate.core.errors import InputFileError
from nbgraduate.graduate.convert import (
    ConversionOptions,
    ConversionRefused,
    ConversionResult,
    convert_notebook,
    default_pipeline_dir,
)
from nbgraduate.lint.discovery import DEFAULT_SKIP_DIRS
from nbgraduate.lock import LOCK_FILENAME


def notebooks_under(paths: Sequence[Path]) -> list[Path]:
    """Legacy notebooks to convert: files as given; directories searched, skipping pipelines
    (directories holding a lock), checkpoints and hidden or tool directories."""
    found: dict[Path, None] = {}
    for path in paths:
        if path.is_file():
            found[path] = None
        elif path.is_dir():
            for directory, subdirectories, files in os.walk(path):
                subdirectories[:] = sorted(
                    name
                    for name in subdirectories
                    if not name.startswith(".")
                    and name not in DEFAULT_SKIP_DIRS
                    and not (Path(directory) / name / LOCK_FILENAME).exists()
                )
                if (Path(directory) / LOCK_FILENAME).exists():
                    continue
                for name in sorted(files):
                    if name.endswith(".ipynb") and not name.startswith("."):
                        found[Path(directory) / name] = None
        else:
            raise InputFileError(path, "No such file or directory")
    return list(found)


def convert_paths(paths: Sequence[Path], options: ConversionOptions) -> list[ConversionResult]:
    """Convert every notebook; a refusal is a result, not an exception, so the rest go on."""
    notebooks = notebooks_under(paths)
    several = len(notebooks) > 1
    results = []
    # Two notebooks of one name (``v1/judge.ipynb``, ``v2/judge.ipynb``) would both graduate
    # into ``out/judge``, the second replacing the first: the second is refused instead.
    claimed: dict[Path, Path] = {}
    for notebook in notebooks:
        notebook_options = options
        if several and options.output_dir is not None:
            notebook_options = replace(options, output_dir=options.output_dir / notebook.stem)
        target = Path(
            os.path.abspath(notebook_options.output_dir or default_pipeline_dir(notebook))
        )
        if target in claimed:
            reason = (
                f"{target} is already the pipeline of {claimed[target]} in this batch;"
                " convert this one on its own with -o"
            )
            results.append(ConversionResult(source=notebook, status="refused", reason=reason))
            continue
        claimed[target] = notebook
        try:
            results.append(convert_notebook(notebook, notebook_options))
        except ConversionRefused as refusal:
            results.append(
                ConversionResult(source=notebook, status="refused", reason=refusal.reason)
            )
    return results


def render_summary(results: Sequence[ConversionResult]) -> str:
    """A table of what converted, what needs a human, and what was refused."""
    rows = [("notebook", "status", "pipeline", "notes")]
    for result in results:
        if result.status == "refused":
            notes = result.reason
        elif result.human:
            codes = sorted({task.code for task in result.human})
            notes = f"{len(result.human)} to do ({', '.join(codes)})"
        else:
            notes = "graduated"
        rows.append((str(result.source), result.status, str(result.pipeline_dir or "-"), notes))
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    lines = [
        "  ".join(value.ljust(width) for value, width in zip(row[:3], widths, strict=True))
        + "  "
        + row[3]
        for row in rows
    ]
    counts = {
        status: sum(r.status == status for r in results)
        for status in ("converted", "needs-human", "refused")
    }
    lines.append("")
    lines.append(
        f"{counts['converted']} converted, {counts['needs-human']} need a human, "
        f"{counts['refused']} refused"
    )
    from nbgraduate.knowledge.secrets import redact

    return redact("\n".join(lines) + "\n")
