"""Running the real ``nbgraduate`` entry point from tests, the way a user or CI job does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_cli(cwd: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The real entry point, in a fresh interpreter (GitLab's CI_PROJECT_DIR is dropped so
    report paths do not depend on the machine running the tests)."""
    env = {key: value for key, value in os.environ.items() if key != "CI_PROJECT_DIR"}
    return subprocess.run(
        [sys.executable, "-m", "nbgraduate", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=timeout,
        check=False,
    )


#: What coverage's start-up hook reads (``coverage run`` with ``patch = ["subprocess"]``).
COVERAGE_VARIABLES = ("COVERAGE_PROCESS_CONFIG", "COVERAGE_PROCESS_START")


def unmeasured_environment() -> dict[str, str]:
    """``os.environ`` without coverage's start-up variables, for a probe of what a fresh
    process imports: coverage itself imports ``sqlite3`` and ``tomllib``."""
    return {key: value for key, value in os.environ.items() if key not in COVERAGE_VARIABLES}
