"""What every benchmark script here shares: progress lines, a scratch directory, time formats."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def progress(message: str) -> None:
    """Progress goes to stderr, so the table on stdout can be redirected on its own."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


@contextmanager
def scratch_directory(prefix: str, *, keep: bool) -> Iterator[Path]:
    """A temporary working directory, removed afterwards unless ``keep`` (for inspection)."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield workdir
    finally:
        if keep:
            progress(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def seconds(value: float) -> str:
    """Milliseconds below a second, seconds above."""
    return f"{value * 1000:.0f} ms" if abs(value) < 1 else f"{value:.2f} s"
