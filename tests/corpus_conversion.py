"""Converting the real-notebook corpus once per test session, for every test that needs it.

``tests/conftest.py`` exposes it as the session fixture ``converted_corpus``. Every notebook
is converted (about 0.25 s each, half a minute for the corpus); ``NBGRADUATE_CORPUS_QUICK=1``
converts a deterministic third (every third notebook in name order) for a quick local run.
Conversion runs in
this process (the same code the CLI runs) and writes each pipeline under a temporary directory,
never beside the corpus. Anything but a conversion or a refusal is kept as a traceback.
"""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass
from pathlib import Path

from corpus_dir import CORPUS

from nbgraduate.graduate.result import ConversionResult

QUICK_ENV = "NBGRADUATE_CORPUS_QUICK"
#: A package index nothing listens on: conversion must pin from the environment or list.
OFFLINE_INDEX = "http://127.0.0.1:9/simple/"


@dataclass
class CorpusConversion:
    """One corpus notebook's conversion: a result, a refusal reason, or a traceback."""

    source: Path
    result: ConversionResult | None = None
    refusal: str | None = None
    traceback: str | None = None


def corpus_selection() -> list[Path]:
    notebooks = sorted(CORPUS.glob("*.ipynb"))
    if os.environ.get(QUICK_ENV) == "1":
        return notebooks[::3]
    return notebooks


def convert_corpus(notebooks: list[Path], output_root: Path) -> list[CorpusConversion]:
    """Convert each notebook with the package index unreachable (nothing may be dropped then)."""
    conversions = []
    saved = os.environ.get("PIP_INDEX_URL")
    os.environ["PIP_INDEX_URL"] = OFFLINE_INDEX
    try:
        for source in notebooks:
            conversions.append(_convert(source, output_root))
    finally:
        if saved is None:
            os.environ.pop("PIP_INDEX_URL", None)
        else:
            os.environ["PIP_INDEX_URL"] = saved
    return conversions


def _convert(source: Path, output_root: Path) -> CorpusConversion:
    from nbgraduate.graduate.convert import convert_notebook
    from nbgraduate.graduate.result import ConversionOptions, ConversionRefused

    conversion = CorpusConversion(source)
    try:
        conversion.result = convert_notebook(
            source, ConversionOptions(output_dir=output_root / source.stem)
        )
    except ConversionRefused as refused:
        conversion.refusal = refused.reason
    except Exception:  # the very thing this test looks for
        conversion.traceback = traceback.format_exc()
    return conversion
