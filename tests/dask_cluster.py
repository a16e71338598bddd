"""A real Dask cluster for the tests: ``dask scheduler`` and ``dask worker`` processes on
127.0.0.1 (ephemeral ports, no dashboards), found through a scheduler file, always stopped.

Not a test module. Each worker runs one thread under a nanny, so a test that kills a worker
process mid-task gets it back (the nanny starts a new one) and Dask reschedules the task.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["DaskCluster", "dask_missing"]

_START_TIMEOUT_S = 90


def dask_missing() -> str | None:
    """Why a real cluster cannot be started here, or ``None``."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        return "distributed is not installed (pip install 'nbgraduate[dask]')"
    if _dask_command() is None:
        return "no `dask` command next to this interpreter"
    return None


def _dask_command() -> str | None:
    beside = Path(sys.executable).parent / "dask"
    return str(beside) if beside.exists() else shutil.which("dask")


@dataclass
class DaskCluster:
    """A scheduler and ``workers`` named ``w1``, ``w2``, ..."""

    workers: int = 2
    directory: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="nbg-dask-")))
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    address: str = ""

    @property
    def scheduler_file(self) -> Path:
        return self.directory / "scheduler.json"

    def start(self) -> None:
        dask = _dask_command()
        assert dask is not None
        env = dict(os.environ)
        self._spawn(
            [
                dask,
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--dashboard-address",
                ":0",
                "--no-show",
                "--scheduler-file",
                str(self.scheduler_file),
            ],
            "scheduler",
            env,
        )
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not self.scheduler_file.is_file():
            self._check_alive(deadline)
            time.sleep(0.1)
        for number in range(1, self.workers + 1):
            self._spawn(
                [
                    dask,
                    "worker",
                    "--scheduler-file",
                    str(self.scheduler_file),
                    "--nthreads",
                    "1",
                    "--host",
                    "127.0.0.1",
                    "--no-dashboard",
                    "--name",
                    f"w{number}",
                    "--local-directory",
                    str(self.directory / f"w{number}"),
                ],
                f"w{number}",
                env,
            )
        self.address = json.loads(self.scheduler_file.read_text(encoding="utf-8"))["address"]
        self.wait_for_workers(self.workers, deadline)

    def wait_for_workers(self, count: int, deadline: float | None = None) -> None:
        from distributed import Client

        deadline = deadline or time.monotonic() + _START_TIMEOUT_S
        with Client(self.address, timeout=30) as client:
            while len(client.scheduler_info(n_workers=-1)["workers"]) < count:
                self._check_alive(deadline)
                time.sleep(0.2)

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)
        shutil.rmtree(self.directory, ignore_errors=True)

    def log(self, name: str) -> str:
        path = self.directory / f"{name}.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""

    def _spawn(self, command: list[str], name: str, env: dict[str, str]) -> None:
        with open(self.directory / f"{name}.log", "wb") as log:
            self.processes.append(
                subprocess.Popen(
                    command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.directory
                )
            )

    def _check_alive(self, deadline: float) -> None:
        for process in self.processes:
            if process.poll() is not None:
                raise RuntimeError(
                    f"{' '.join(process.args[:2])} exited with {process.returncode}:"
                    f" {self.log('scheduler')[-2000:]}"
                )
        if time.monotonic() > deadline:
            raise RuntimeError(f"the Dask cluster did not start in {_START_TIMEOUT_S}s")
