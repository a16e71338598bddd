"""Start the first repeat's kernel before ``nbgraduate run`` has finished importing and verifying.

A kernel takes about half a second to boot; importing the lock and record models and verifying
the lock take a few hundred milliseconds more. Started first, the kernel boots while the rest
happens, so a one-cell pipeline costs about what papermill alone costs. This module imports
only the standard library until it launches the kernel: it runs before everything else.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from nbgraduate.lock import LOCK_FILENAME
from nbgraduate.runs.layout import ARTIFACTS_DIRNAME, StoreLocation, default_store_root
from nbgraduate.runs.recording import RECORD_FILE_ENV, REPEAT_ENV


def new_run_id() -> str:
    """Sortable by time, unique across machines: ``20261126T031500Z-3f1c2a``."""
    return f"{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


@dataclass(slots=True)
class WarmKernel:
    """A kernel launched for repeat 0 of a planned run, with the environment that repeat needs."""

    run_id: str
    store: StoreLocation
    output_dir: Path
    kernel_name: str
    cwd: Path
    env: dict[str, str]
    manager: Any
    log: IO[bytes]
    used: bool = field(default=False)

    def matches(self, kernel_name: str, cwd: Path, env: dict[str, str]) -> bool:
        return (self.kernel_name, self.cwd, self.env) == (kernel_name, cwd.resolve(), env)

    def shutdown(self, *, remove_output: bool = False) -> None:
        """Stop the kernel if nobody ran on it; ``remove_output`` for a run that never started."""
        try:
            if not self.used:
                stop_kernel(self.manager)
        finally:
            self.log.close()
            if remove_output:
                shutil.rmtree(self.output_dir, ignore_errors=True)


def stop_kernel(manager: Any) -> None:
    """Shut down a kernel started by :func:`start_warm_kernel`, if it still runs."""
    import asyncio

    if manager.has_kernel:
        asyncio.run(manager.shutdown_kernel(now=True))


def start_warm_kernel(pipeline_dir: Path, store: StoreLocation | None = None) -> WarmKernel | None:
    """Launch the pipeline's kernel for repeat 0 of a new run; ``None`` when anything is off
    (no readable lock, no such kernel): the run then starts its kernel the ordinary way and
    reports any problem itself."""
    pipeline_dir = pipeline_dir.resolve()
    from nbgraduate.core.files import read_regular_text

    try:
        # Never a FIFO or device, never a tampered giant: the run's own checks report those.
        lock = json.loads(read_regular_text(pipeline_dir / LOCK_FILENAME, max_bytes=1 << 24))
        kernel_name = str(lock["kernel_name"])
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return None
    store = store or StoreLocation(root=default_store_root(pipeline_dir))
    run_id = new_run_id()
    log: IO[bytes] | None = None
    output_dir: Path | None = None
    root = store.root
    created = (
        [path for path in (root, root / ARTIFACTS_DIRNAME) if not path.exists()]
        if root is not None and store.keeps_run_directories
        else []
    )
    try:
        import asyncio
        import os

        # nbclient drives kernels asynchronously: with a blocking KernelManager its cell
        # timeouts never fire, so the early kernel must be an AsyncKernelManager's too.
        from jupyter_client.manager import AsyncKernelManager

        output_dir = store.make_work_directory(run_id)
        env = {RECORD_FILE_ENV: str(output_dir / "repeat-0.metrics.jsonl"), REPEAT_ENV: "0"}
        log = open(output_dir / "repeat-0.kernel.log", "wb")  # noqa: SIM115 - lives with the kernel
        manager = AsyncKernelManager(kernel_name=kernel_name)
        asyncio.run(
            manager.start_kernel(cwd=str(pipeline_dir), env={**os.environ, **env}, stderr=log)
        )
    except Exception:
        if log is not None:
            log.close()
        if output_dir is not None:
            shutil.rmtree(output_dir, ignore_errors=True)
        for path in reversed(created):  # leave no empty store behind for a run that never was
            with contextlib.suppress(OSError):
                path.rmdir()
        return None
    return WarmKernel(run_id, store, output_dir, kernel_name, pipeline_dir, env, manager, log)
