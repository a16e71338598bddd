"""GitHub Actions integration: the workflow run's URL and the job's step summary file."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["STEP_SUMMARY_ENV", "append_step_summary", "workflow_run_url"]

STEP_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"


def workflow_run_url(environ: Mapping[str, str]) -> str | None:
    """``$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID`` when all are set."""
    server = environ.get("GITHUB_SERVER_URL", "").rstrip("/")
    repository = environ.get("GITHUB_REPOSITORY", "").strip("/")
    run_id = environ.get("GITHUB_RUN_ID", "").strip()
    if not (server and repository and run_id):
        return None
    return f"{server}/{repository}/actions/runs/{run_id}"


def append_step_summary(environ: Mapping[str, str], markdown: str) -> str | None:
    """Append ``markdown`` to the file ``$GITHUB_STEP_SUMMARY`` names; returns that path.

    Appends, never replaces: other steps of the job write to the same file. ``None`` when the
    variable is unset (not in GitHub Actions). An ``OSError`` is left to the caller.
    """
    path = environ.get(STEP_SUMMARY_ENV, "").strip()
    if not path:
        return None
    text = markdown if markdown.endswith("\n") else markdown + "\n"
    with open(path, "a", encoding="utf-8") as summary:
        summary.write("\n" + text)
    return path
