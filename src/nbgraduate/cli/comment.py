"""The ``nbgraduate comment`` command: keep one nbgraduate summary comment on a pull request."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from nbgraduate.cli.exits import error_boundary
from nbgraduate.github.markers import DEFAULT_MARKER

__all__ = ["comment", "register"]

BACKOFF_ENV = "NBGRADUATE_GITHUB_BACKOFF"


def comment(
    repo: Annotated[
        str,
        typer.Option(
            "--repo",
            metavar="OWNER/NAME",
            help="Repository of the pull request (in GitHub Actions: ${{ github.repository }}).",
        ),
    ],
    pr: Annotated[
        int,
        typer.Option(
            "--pr",
            metavar="N",
            min=1,
            help="Pull request number (in GitHub Actions: "
            "${{ github.event.pull_request.number }}).",
        ),
    ],
    source: Annotated[
        Path | None,
        typer.Option(
            "--from",
            metavar="FILE",
            help="Markdown file to post (default, or '-': read standard input).",
        ),
    ] = None,
    marker: Annotated[
        str,
        typer.Option(
            metavar="HTML-COMMENT",
            help="Hidden HTML comment that identifies the comment to update; "
            "prepended to the summary when missing.",
        ),
    ] = DEFAULT_MARKER,
    max_attempts: Annotated[
        int,
        typer.Option(
            metavar="N",
            min=1,
            max=10,
            help="Tries per request when GitHub answers 5xx or the network fails.",
        ),
    ] = 4,
    backoff: Annotated[
        float,
        typer.Option(
            metavar="SECONDS",
            min=0.0,
            envvar=BACKOFF_ENV,
            help="Seconds before the first retry, doubling after each, with jitter "
            "(Retry-After wins when longer).",
        ),
    ] = 1.0,
    timeout: Annotated[
        float,
        typer.Option(
            metavar="SECONDS",
            min=0.1,
            help="Seconds each request may take, from connecting to the last byte.",
        ),
    ] = 10.0,
) -> None:
    """Post a Markdown summary as a pull-request comment; later runs update that comment.

    The comment is found again by its hidden marker, so a pull request keeps one nbgraduate
    comment however often the job runs. When the token can say who it is (a personal or
    fine-grained token), only that user's comments are candidates; GitHub Actions'
    GITHUB_TOKEN cannot, and then any comment with the marker is updated.

    The token comes from the GITHUB_TOKEN environment variable only, never from the command
    line; the API from GITHUB_API_URL (default https://api.github.com; GitHub Enterprise
    Server sets it in Actions). The job needs `permissions: pull-requests: write`; on pull
    requests from forks GITHUB_TOKEN is read-only, so post from a `pull_request_target` or
    `workflow_run` workflow.

    Credentials in the summary (provider keys, tokens, passwords in URLs) are masked before it
    is posted, showing at most their first 4 characters. Redirects are followed only within
    GITHUB_API_URL's own host and port.

    Exit codes: 0 posted or updated; 2 usage error, missing or rejected token, no permission,
    repository or pull request not found, or comment rejected; 3 GitHub unavailable (rate
    limited, 5xx after retries, network error or timeout): retry the job later.
    """
    from dataclasses import replace

    from nbgraduate.github.client import (
        DEFAULT_RETRY,
        GitHubClient,
        api_url_from_environment,
        parse_repository,
        token_from_environment,
        upsert_comment,
    )

    parse_repository(repo)
    _check_marker(marker)
    token = token_from_environment()
    api_url = api_url_from_environment()
    body = _read_summary(source)
    retry = replace(DEFAULT_RETRY, attempts=max_attempts, base_delay=backoff)
    with GitHubClient(token, api_url=api_url, retry=retry, timeout=timeout) as github:
        result = upsert_comment(github, repo, pr, body, marker=marker)
    if result.masked:
        typer.echo(
            f"warning: masked {result.masked} credential(s) in the summary before posting it "
            "(at most 4 characters are shown)",
            err=True,
        )
    typer.echo(f"{result.action} comment {result.url or result.comment_id}")


def register(app: typer.Typer) -> None:
    """Add ``comment`` to the ``nbgraduate`` command line."""
    app.command("comment")(error_boundary(comment))


def _check_marker(marker: str) -> None:
    from nbgraduate.core.errors import UsageError

    inner = marker[4:-3]
    hidden = marker.startswith("<!--") and marker.endswith("-->") and "--" not in inner
    if not hidden or not inner.strip() or "\n" in marker:
        # Anything else would show in the rendered comment (or end the HTML comment early).
        raise UsageError(
            f"--marker {marker!r} is not a one-line HTML comment like {DEFAULT_MARKER}"
        )


def _read_summary(source: Path | None) -> str:
    from nbgraduate.core.errors import InputFileError, UsageError

    if source is None or str(source) == "-":
        if sys.stdin is None or sys.stdin.isatty():
            raise UsageError("no summary to post: pass --from FILE or pipe Markdown on stdin")
        text = sys.stdin.read()
        where = "standard input"
    else:
        try:
            text = source.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise InputFileError(source, "not UTF-8 text") from None
        except OSError as error:
            raise InputFileError(source, f"cannot read: {error.strerror or error}") from None
        where = str(source)
    if not text.strip():
        raise UsageError(f"the summary from {where} is empty; nothing to post")
    return text
