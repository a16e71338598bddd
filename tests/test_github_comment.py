"""``nbgraduate comment`` end to end, against an imitation of GitHub's REST API on 127.0.0.1.

Nothing here talks to a non-loopback address: every test points ``GITHUB_API_URL`` at a
:class:`FakeGitHub` served by ``http.server`` in a thread (or at a closed loopback port), and
an autouse fixture points it at a closed loopback port for any test that forgets.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import typer
from click.testing import Result
from hostile_server import Connection, hostile_server, response
from typer.testing import CliRunner

from nbgraduate import __version__
from nbgraduate.cli.comment import register
from nbgraduate.core.errors import UsageError
from nbgraduate.github.client import (
    DEFAULT_MARKER,
    AuthenticationError,
    GitHubClient,
    RetryPolicy,
    ServerError,
    check_api_url,
    find_marked_comment,
    parse_repository,
    upsert_comment,
    with_marker,
)

OWNER, NAME, PR = "octo-org", "evals", 7
REPO = f"{OWNER}/{NAME}"
BOT = "nbgraduate-bot"
# Built at run time so no token-shaped literal lives in the repository.
TOKEN = "ghp_" + "Tok3n" * 8
# A token of no known format: only the exact-match mask can hide it.
PLAIN_TOKEN = "plain-" + "secret" * 4
SUMMARY = f"{DEFAULT_MARKER}\n## nbgraduate gate\n\naccuracy: 0.91 (95% CI 0.88-0.94)\n"


# --- an imitation of GitHub ----------------------------------------------------------------


@dataclass
class Reply:
    status: int
    payload: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class _Rule:
    method: str
    path: str
    reply: Reply
    times: int | None


class FakeGitHub:
    """``GET /user`` and the issue-comment endpoints of one repository, with state, plus
    scripted replies that take precedence (failures, delays, odd headers)."""

    _COMMENTS = re.compile(r"^/repos/([^/]+)/([^/]+)/issues/(\d+)/comments$")
    _COMMENT = re.compile(r"^/repos/([^/]+)/([^/]+)/issues/comments/(\d+)$")

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        #: The token's user; None answers ``GET /user`` with 403, as GITHUB_TOKEN gets.
        self.login: str | None = BOT
        self.comments: dict[int, list[dict[str, Any]]] = {PR: []}
        #: The largest page the server hands out, whatever per_page asks for.
        self.page_size = 100
        #: Where ``next`` links point (default: this server).
        self.link_base = ""
        #: Put the bearer token into every message and URL, like a careless proxy.
        self.echo_token = False
        self.seen: list[Seen] = []
        self.url = ""
        self._rules: list[_Rule] = []
        self._next_id = 1000
        self._lock = threading.Lock()

    # -- set-up --

    def script(
        self,
        method: str,
        status: int,
        *,
        path: str = "",
        payload: Any = None,
        headers: dict[str, str] | None = None,
        times: int | None = 1,
        delay: float = 0.0,
    ) -> None:
        """Answer the next ``times`` (None: all) ``method`` requests whose path contains
        ``path`` with this reply instead of the emulated endpoint."""
        reply = Reply(status, payload, headers or {}, delay)
        self._rules.append(_Rule(method, path, reply, times))

    def add_comment(self, body: str, login: str = BOT, pr: int = PR) -> dict[str, Any]:
        self._next_id += 1
        comment = {
            "id": self._next_id,
            "body": body,
            "user": {"login": login, "type": "Bot" if login.endswith("[bot]") else "User"},
            "html_url": f"https://github.com/{REPO}/pull/{pr}#issuecomment-{self._next_id}",
        }
        self.comments[pr].append(comment)
        return comment

    # -- what happened --

    def requests(self, method: str, path_part: str = "") -> list[Seen]:
        return [s for s in self.seen if s.method == method and path_part in s.path]

    # -- serving --

    def handle(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> Reply:
        with self._lock:
            parts = urlsplit(target)
            body = json.loads(raw) if raw else None
            self.seen.append(Seen(method, parts.path, parse_qs(parts.query), headers, body))
            for rule in self._rules:
                if rule.method == method and rule.path in parts.path and rule.times != 0:
                    if rule.times is not None:
                        rule.times -= 1
                    return rule.reply
            reply = self._route(method, parts.path, parse_qs(parts.query), headers, body)
            if self.echo_token:
                reply = self._echo(reply, headers.get("authorization", ""))
            return reply

    def _route(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: Any,
    ) -> Reply:
        if headers.get("authorization") != f"Bearer {self.token}":
            return Reply(401, {"message": "Bad credentials", "status": "401"})
        if path == "/user" and method == "GET":
            if self.login is None:
                return Reply(403, {"message": "Resource not accessible by integration"})
            return Reply(200, {"login": self.login, "type": "User"})
        if match := self._COMMENTS.match(path):
            owner, name, number = match[1], match[2], int(match[3])
            if (owner, name) != (OWNER, NAME) or number not in self.comments:
                return Reply(404, {"message": "Not Found"})
            if method == "GET":
                return self._page(path, query, self.comments[number])
            if method == "POST":
                comment = self.add_comment(body["body"], login=self.login or "github-actions[bot]")
                return Reply(201, comment)
        if (match := self._COMMENT.match(path)) and method == "PATCH":
            wanted = int(match[3])
            for comment in (c for comments in self.comments.values() for c in comments):
                if comment["id"] == wanted:
                    comment["body"] = body["body"]
                    return Reply(200, comment)
        return Reply(404, {"message": "Not Found"})

    def _page(self, path: str, query: dict[str, list[str]], comments: list[dict]) -> Reply:
        per_page = min(int(query.get("per_page", ["30"])[0]), self.page_size)
        page = int(query.get("page", ["1"])[0])
        chunk = comments[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(comments):
            base = self.link_base or self.url
            headers["Link"] = (
                f'<{base}{path}?per_page={per_page}&page={page + 1}>; rel="next", '
                f'<{base}{path}?per_page={per_page}&page=1>; rel="first"'
            )
        return Reply(200, chunk, headers)

    @staticmethod
    def _echo(reply: Reply, authorization: str) -> Reply:
        payload = reply.payload
        if isinstance(payload, dict):
            payload = dict(payload)
            if "message" in payload:
                payload["message"] = f"{payload['message']} (you sent {authorization!r})"
            if "html_url" in payload:
                payload["html_url"] = f"{payload['html_url']}?auth={authorization}"
        return Reply(reply.status, payload, reply.headers, reply.delay)


def _handler_for(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            headers = {key.lower(): value for key, value in self.headers.items()}
            reply = fake.handle(self.command, self.path, headers, raw)
            time.sleep(reply.delay)
            if isinstance(reply.payload, bytes):
                data = reply.payload
            else:
                data = b"" if reply.payload is None else json.dumps(reply.payload).encode()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (timeout tests)

        do_GET = do_POST = do_PATCH = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def serve() -> Iterator[Any]:
    """Start FakeGitHub servers on 127.0.0.1; all are stopped after the test."""
    servers: list[ThreadingHTTPServer] = []

    def start(fake: FakeGitHub) -> FakeGitHub:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(fake))
        servers.append(server)
        threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
        fake.url = f"http://127.0.0.1:{server.server_address[1]}"
        return fake

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def github(serve: Any) -> FakeGitHub:
    return serve(FakeGitHub())


def closed_port_url() -> str:
    """A loopback URL nothing listens on: connections are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach api.github.com or go through a proxy, whatever the host has set."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("all_proxy", raising=False)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.setenv("GITHUB_API_URL", closed_port_url())


# --- running the command ---------------------------------------------------------------------


def make_app() -> typer.Typer:
    """A command line with ``comment`` registered, as ``nbgraduate.cli.app`` does it."""
    app = typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False)

    @app.callback()
    def root() -> None:
        """nbgraduate (test harness)."""

    register(app)
    return app


APP = make_app()
runner = CliRunner()


def run_comment(
    github: FakeGitHub | None,
    *args: str,
    summary: str | None = SUMMARY,
    token: str | None = TOKEN,
    api_url: str | None = None,
    repo: str = REPO,
    pr: int = PR,
) -> Result:
    env = {
        "GITHUB_TOKEN": token,
        "NBGRADUATE_GITHUB_BACKOFF": "0.001",
        "GITHUB_API_URL": api_url or (github.url if github else None),
    }
    return runner.invoke(
        APP,
        ["comment", "--repo", repo, "--pr", str(pr), *args],
        input=summary,
        env={key: value for key, value in env.items() if value is not None},
        catch_exceptions=False,
    )


def one_line_error(result: Result) -> str:
    """The command's only stderr line, after ``error: ``."""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("error: ")
    return result.stderr[len("error: ") :].rstrip("\n")


def assert_no_token(result: Result, *tokens: str) -> None:
    for token in tokens or (TOKEN, PLAIN_TOKEN):
        assert token not in result.stdout
        assert token not in result.stderr


# --- create, then update ---------------------------------------------------------------------


def test_first_run_creates_second_run_updates_the_same_comment(github: FakeGitHub) -> None:
    first = run_comment(github)
    assert first.exit_code == 0, first.stderr
    [created] = github.comments[PR]
    assert first.stdout == f"created comment {created['html_url']}\n"
    assert created["body"] == SUMMARY

    second = run_comment(github, summary=SUMMARY.replace("0.91", "0.93"))
    assert second.exit_code == 0, second.stderr
    assert second.stdout == f"updated comment {created['html_url']}\n"
    assert [c["id"] for c in github.comments[PR]] == [created["id"]]
    assert "0.93" in github.comments[PR][0]["body"]
    assert len(github.requests("POST")) == 1
    [patch] = github.requests("PATCH")
    assert patch.path == f"/repos/{REPO}/issues/comments/{created['id']}"


def test_requests_carry_token_api_version_and_user_agent(github: FakeGitHub) -> None:
    assert run_comment(github).exit_code == 0
    for seen in github.seen:
        assert seen.headers["authorization"] == f"Bearer {TOKEN}"
        assert seen.headers["accept"] == "application/vnd.github+json"
        assert seen.headers["x-github-api-version"] == "2022-11-28"
        assert seen.headers["user-agent"].startswith(f"nbgraduate/{__version__}")
    assert github.requests("GET", "/comments")[0].query["per_page"] == ["100"]


def test_marker_is_prepended_when_the_summary_lacks_it(github: FakeGitHub) -> None:
    assert run_comment(github, summary="## gate\npassed\n").exit_code == 0
    assert github.comments[PR][0]["body"] == f"{DEFAULT_MARKER}\n## gate\npassed\n"
    # ... and found again next time.
    assert run_comment(github, summary="## gate\nfailed\n").stdout.startswith("updated")
    assert len(github.comments[PR]) == 1


def test_custom_marker_keeps_two_comments_apart(github: FakeGitHub) -> None:
    assert run_comment(github).exit_code == 0
    other = "<!-- nbgraduate-nightly -->"
    result = run_comment(github, "--marker", other, summary="nightly\n")
    assert result.stdout.startswith("created")
    assert [c["body"].splitlines()[0] for c in github.comments[PR]] == [DEFAULT_MARKER, other]


# --- finding the earlier comment -------------------------------------------------------------


def test_marker_on_the_second_page_is_found(github: FakeGitHub) -> None:
    github.page_size = 2
    for text in ("LGTM", "what changed in the judge?", "rerun please"):
        github.add_comment(text, login="alice")
    ours = github.add_comment(f"{DEFAULT_MARKER}\nold summary")
    github.add_comment("thanks", login="alice")

    result = run_comment(github)

    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("updated")
    assert ours["body"] == SUMMARY
    pages = [s.query.get("page", ["1"])[0] for s in github.requests("GET", "/comments")]
    assert pages == ["1", "2"]  # stops at the page with the match
    assert github.requests("POST") == []


def test_no_marker_on_any_page_reads_every_page_then_creates(github: FakeGitHub) -> None:
    github.page_size = 2
    for text in ("one", "two", "three", "four", "five"):
        github.add_comment(text, login="alice")
    result = run_comment(github)
    assert result.stdout.startswith("created")
    assert len(github.requests("GET", "/comments")) == 3
    assert len(github.comments[PR]) == 6


def test_a_known_token_user_leaves_other_peoples_marked_comments_alone(
    github: FakeGitHub,
) -> None:
    quoted = github.add_comment(f"why does the bot write {DEFAULT_MARKER}?", login="alice")
    result = run_comment(github)
    assert result.stdout.startswith("created")
    assert quoted["body"].startswith("why does the bot")
    assert github.comments[PR][-1]["user"]["login"] == BOT


def test_github_token_that_cannot_name_its_user_matches_on_the_marker(
    github: FakeGitHub,
) -> None:
    github.login = None  # GET /user answers 403, as it does for GitHub Actions' GITHUB_TOKEN
    ours = github.add_comment(f"{DEFAULT_MARKER}\nold", login="github-actions[bot]")
    result = run_comment(github)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("updated")
    assert ours["body"] == SUMMARY


def test_comment_deleted_between_listing_and_updating_is_posted_afresh(
    github: FakeGitHub,
) -> None:
    github.add_comment(f"{DEFAULT_MARKER}\nold")
    github.script("PATCH", 404, payload={"message": "Not Found"})
    result = run_comment(github)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("created")


def test_next_link_to_another_host_is_not_followed(serve: Any) -> None:
    github = serve(FakeGitHub())
    elsewhere = serve(FakeGitHub())
    github.page_size = 1
    github.link_base = elsewhere.url
    github.add_comment("first", login="alice")
    github.add_comment("second", login="alice")

    result = run_comment(github)

    assert result.exit_code == 2
    assert "link to another host" in one_line_error(result)
    assert elsewhere.seen == []  # the token never left for the other host
    assert github.requests("POST") == []


@pytest.mark.parametrize("status", [307, 308])
def test_a_redirect_to_another_port_is_not_followed_with_the_post(serve: Any, status: int) -> None:
    github = serve(FakeGitHub())
    elsewhere = serve(FakeGitHub())
    target = f"{elsewhere.url}/repos/{REPO}/issues/{PR}/comments"
    github.script("POST", status, payload={}, headers={"Location": target})

    result = run_comment(github)

    assert result.exit_code == 2
    message = one_line_error(result)
    assert f"redirected the request (HTTP {status}) to another host or port" in message
    assert elsewhere.seen == []  # neither the comment nor the token went there
    assert len(github.requests("POST")) == 1


def test_a_redirect_within_the_api_is_followed(github: FakeGitHub) -> None:
    # GitHub answers for a renamed repository with a redirect to its new name.
    moved = f"{github.url}/repos/{REPO}/issues/{PR}/comments"
    for method, status in (("GET", 301), ("POST", 307)):
        github.script(method, status, path="/old-name/", headers={"Location": moved}, times=None)
    result = run_comment(github, repo=f"{OWNER}/old-name")
    assert result.exit_code == 0, result.stderr
    assert [comment["body"] for comment in github.comments[PR]] == [SUMMARY]


def test_credentials_in_the_summary_are_masked_before_posting(github: FakeGitHub) -> None:
    key = "sk-proj-" + "T3stK3yF0rC0mm3ntB0dyXq9Zr8Wv7Uu6Ts5Rq4Pp3"
    summary = f"{SUMMARY}\nrun with OPENAI_API_KEY={key} and {TOKEN}\n"
    result = run_comment(github, summary=summary)
    assert result.exit_code == 0, result.stderr
    [posted] = github.comments[PR]
    assert key not in posted["body"] and TOKEN not in posted["body"]
    assert "sk-p…" in posted["body"] and "***" in posted["body"]
    assert posted["body"].startswith(DEFAULT_MARKER)
    assert "masked 2 credential(s)" in result.stderr
    assert_no_token(result, TOKEN, key)


@pytest.mark.parametrize(
    ("headers", "fragment"),
    [
        (
            {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "99999999999999999"},
            "it resets in more than a year (a usage limit, not a pause)",
        ),
        ({"retry-after": "1e400"}, "GitHub asks to wait more than a year"),
    ],
)
def test_an_absurd_rate_limit_reset_is_a_usage_limit_message(
    github: FakeGitHub, headers: dict[str, str], fragment: str
) -> None:
    github.script("GET", 403, payload={"message": "API rate limit exceeded"}, headers=headers)
    result = run_comment(github)
    assert result.exit_code == 3
    assert fragment in one_line_error(result)


@pytest.mark.parametrize(
    ("payload", "exit_code", "fragment"),
    [
        (b"[" * 100_000 + b"]" * 100_000, 2, "nested more than 64 levels"),
        (b"{" + b" " * (11 * 1024 * 1024) + b"}", 3, "-byte limit"),
        (json.dumps({"message": "x" * 100_000}).encode(), 2, "…"),
    ],
)
def test_a_hostile_answer_is_one_line(
    github: FakeGitHub, payload: bytes, exit_code: int, fragment: str
) -> None:
    github.script("GET", 200 if exit_code == 3 or payload[:1] == b"[" else 422, payload=payload)
    result = run_comment(github)
    assert result.exit_code == exit_code
    message = one_line_error(result)
    assert fragment in message and len(message) < 1000


def test_a_dripping_github_cannot_hold_the_command(serve: Any) -> None:
    def drip(connection: Connection) -> None:
        connection.drip(response(200, b'{"login": "x"}'), every=0.1)

    with hostile_server(drip) as server:
        started = time.monotonic()
        result = run_comment(None, "--timeout", "0.5", "--max-attempts", "1", api_url=server.url)
    assert time.monotonic() - started < 10
    assert result.exit_code == 3
    assert "timed out talking to" in one_line_error(result)


# --- errors: one line, the right exit code, never the token ------------------------------------


def test_bad_token_401(github: FakeGitHub) -> None:
    result = run_comment(github, token="ghp_" + "Wr0ng" * 8)
    assert result.exit_code == 2
    message = one_line_error(result)
    assert "HTTP 401: Bad credentials" in message
    assert "GITHUB_TOKEN is wrong, expired or revoked" in message
    assert len(github.seen) == 1  # not retried


def test_read_only_token_403_explains_fork_pull_requests(github: FakeGitHub) -> None:
    github.script(
        "POST", 403, payload={"message": "Resource not accessible by integration"}, times=None
    )
    result = run_comment(github)
    assert result.exit_code == 2
    message = one_line_error(result)
    assert "HTTP 403: Resource not accessible by integration" in message
    assert "read-only" in message
    assert "pull_request_target" in message
    assert "pull-requests: write" in message
    assert len(github.requests("POST")) == 1
    assert github.comments[PR] == []


def test_rate_limited_403_says_when_it_resets_and_does_not_retry(github: FakeGitHub) -> None:
    reset = int(time.time()) + 17 * 60
    github.script(
        "GET",
        403,
        payload={"message": "API rate limit exceeded for installation ID 1."},
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)},
    )
    result = run_comment(github)
    assert result.exit_code == 3
    message = one_line_error(result)
    expected = datetime.fromtimestamp(reset, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    assert "rate limit exceeded" in message
    assert f"resets at {expected} UTC" in message
    assert len(github.seen) == 1


@pytest.mark.parametrize("status", [403, 429])
def test_secondary_rate_limit_says_how_long_to_wait(github: FakeGitHub, status: int) -> None:
    github.script(
        "GET",
        status,
        payload={"message": "You have exceeded a secondary rate limit."},
        headers={"retry-after": "60"},
    )
    result = run_comment(github)
    assert result.exit_code == 3
    assert "wait 60 s" in one_line_error(result)
    assert len(github.seen) == 1


@pytest.mark.parametrize(("repo", "pr"), [(f"{OWNER}/missing", PR), (REPO, 99)])
def test_unknown_repository_or_pull_request_404(github: FakeGitHub, repo: str, pr: int) -> None:
    result = run_comment(github, repo=repo, pr=pr)
    assert result.exit_code == 2
    message = one_line_error(result)
    assert f"{repo}#{pr}" in message
    assert "not found (HTTP 404" in message
    assert "--repo and --pr" in message


def test_validation_failure_422_shows_githubs_reason(github: FakeGitHub) -> None:
    github.script(
        "POST",
        422,
        payload={
            "message": "Validation Failed",
            "errors": [
                {
                    "resource": "IssueComment",
                    "code": "custom",
                    "field": "body",
                    "message": "body is too long (maximum is 65536 characters)",
                }
            ],
        },
    )
    result = run_comment(github)
    assert result.exit_code == 2
    message = one_line_error(result)
    assert "HTTP 422: Validation Failed; body is too long (maximum is 65536 characters)" in message


def test_server_errors_are_retried_until_success(github: FakeGitHub) -> None:
    github.script("GET", 502, path="/comments", payload={"message": "Server Error"}, times=2)
    result = run_comment(github)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("created")
    assert len(github.requests("GET", "/comments")) == 3


def test_persistent_server_errors_give_up_after_max_attempts(github: FakeGitHub) -> None:
    github.script("GET", 503, payload={"message": "Service Unavailable"}, times=None)
    result = run_comment(github, "--max-attempts", "3")
    assert result.exit_code == 3
    message = one_line_error(result)
    assert "HTTP 503: Service Unavailable; gave up after 3 attempts" in message
    assert len(github.seen) == 3


def test_connection_refused_gives_up_with_exit_3(github: FakeGitHub) -> None:
    result = run_comment(None, "--max-attempts", "2", api_url=closed_port_url())
    assert result.exit_code == 3
    message = one_line_error(result)
    assert "network error talking to http://127.0.0.1:" in message
    assert "gave up after 2 attempts" in message


def test_timeouts_are_retried_then_reported(github: FakeGitHub) -> None:
    github.script("GET", 200, payload={"login": BOT}, delay=1.0, times=None)
    result = run_comment(github, "--timeout", "0.2", "--max-attempts", "2")
    assert result.exit_code == 3
    assert "timed out talking to" in one_line_error(result)
    assert len(github.requests("GET", "/user")) == 2


def test_a_post_that_timed_out_is_not_resent(github: FakeGitHub) -> None:
    # The first POST may have reached GitHub; a second one could post the comment twice.
    github.script("POST", 201, payload={}, delay=1.0)
    result = run_comment(github, "--timeout", "0.3")
    assert result.exit_code == 3
    assert "not resent" in one_line_error(result)
    assert len(github.requests("POST")) == 1


@pytest.mark.parametrize("token", [TOKEN, PLAIN_TOKEN])
def test_a_server_echoing_the_token_never_gets_it_printed(serve: Any, token: str) -> None:
    github = serve(FakeGitHub(token=token))
    github.echo_token = True

    created = run_comment(github, token=token)
    assert created.exit_code == 0, created.stderr
    assert "***" in created.stdout
    assert_no_token(created, token)

    github.script(
        "PATCH",
        422,
        payload={"message": f"Validation Failed for {token}", "errors": [f"token {token}"]},
    )
    rejected = run_comment(github, token=token)
    assert rejected.exit_code == 2
    assert "***" in one_line_error(rejected)
    assert_no_token(rejected, token)


def test_a_401_echoing_the_token_never_gets_it_printed(serve: Any) -> None:
    github = serve(FakeGitHub(token="the-right-one"))
    github.echo_token = True
    result = run_comment(github, token=PLAIN_TOKEN)
    assert result.exit_code == 2
    assert "(you sent 'Bearer ***')" in one_line_error(result)
    assert_no_token(result)


@pytest.mark.parametrize("token", [None, "", "  \n"])
def test_missing_token_exits_2_before_any_request(github: FakeGitHub, token: str | None) -> None:
    result = run_comment(github, token=token)
    assert result.exit_code == 2
    assert one_line_error(result).startswith("GITHUB_TOKEN is not set")
    assert github.seen == []


def test_token_with_inner_whitespace_is_refused_without_showing_it(github: FakeGitHub) -> None:
    result = run_comment(github, token="abc def-secret")
    assert result.exit_code == 2
    assert "secret" not in one_line_error(result)
    assert github.seen == []


# --- the command line ------------------------------------------------------------------------


def test_summary_from_a_file(github: FakeGitHub, tmp_path: Path) -> None:
    summary = tmp_path / "gate.md"
    summary.write_text("## from a file\n", encoding="utf-8")
    result = run_comment(github, "--from", str(summary), summary=None)
    assert result.exit_code == 0, result.stderr
    assert github.comments[PR][0]["body"] == f"{DEFAULT_MARKER}\n## from a file\n"


def test_dash_reads_standard_input(github: FakeGitHub) -> None:
    assert run_comment(github, "--from", "-").exit_code == 0
    assert github.comments[PR][0]["body"] == SUMMARY


@pytest.mark.parametrize(
    ("args", "summary", "expected"),
    [
        (["--from", "missing.md"], None, "missing.md: cannot read"),
        ([], " \n", "the summary from standard input is empty"),
        (["--marker", "nbgraduate"], SUMMARY, "is not a one-line HTML comment"),
        (["--marker", "<!-- a -- b -->"], SUMMARY, "is not a one-line HTML comment"),
    ],
)
def test_input_problems_exit_2_before_any_request(
    github: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    summary: str | None,
    expected: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_comment(github, *args, summary=summary)
    assert result.exit_code == 2
    assert expected in one_line_error(result)
    assert github.seen == []


@pytest.mark.parametrize("repo", ["evals", "octo-org/", "octo-org/evals/extra", "../..", "a b/c"])
def test_bad_repo_exits_2_before_any_request(github: FakeGitHub, repo: str) -> None:
    result = run_comment(github, repo=repo)
    assert result.exit_code == 2
    assert "is not OWNER/NAME" in one_line_error(result)
    assert github.seen == []


def test_plain_http_to_another_host_is_refused_before_sending_the_token() -> None:
    result = run_comment(None, api_url="http://github.example.com/api/v3")
    assert result.exit_code == 2
    assert "plain http" in one_line_error(result)


def test_help_documents_token_and_exit_codes() -> None:
    result = runner.invoke(APP, ["comment", "--help"])
    assert result.exit_code == 0
    for fragment in ("--repo", "--pr", "--from", "--marker", "GITHUB_TOKEN", "Exit codes"):
        assert fragment in result.stdout


def test_importing_the_command_does_not_import_httpx() -> None:
    code = (
        "import sys, nbgraduate.cli.app, nbgraduate.cli.comment, nbgraduate.github.client\n"
        "assert 'httpx' not in sys.modules, 'httpx imported at start-up'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# --- the core, without the command line ------------------------------------------------------


def test_retry_after_is_honoured_then_backoff_doubles(github: FakeGitHub) -> None:
    github.script("GET", 503, headers={"Retry-After": "2"})
    github.script("GET", 502)
    github.script("GET", 500)
    waits: list[float] = []
    retry = RetryPolicy(attempts=4, base_delay=0.5, max_wait=60)
    with GitHubClient(TOKEN, api_url=github.url, retry=retry, sleep=waits.append) as client:
        assert client.viewer_login() == BOT
    # Retry-After wins over the first backoff (0.25-0.5 s); then 0.5-1 s, then 1-2 s (jitter).
    first, second, third = waits
    assert first == 2.0 and 0.5 <= second <= 1.0 and 1.0 <= third <= 2.0


def test_retry_after_beyond_the_limit_is_not_waited_for(github: FakeGitHub) -> None:
    github.script("GET", 503, headers={"Retry-After": "3600"})
    waits: list[float] = []
    retry = RetryPolicy(attempts=4, max_wait=60)
    with (
        GitHubClient(TOKEN, api_url=github.url, retry=retry, sleep=waits.append) as client,
        pytest.raises(ServerError, match="gave up after 1 attempt ") as raised,
    ):
        client.viewer_login()
    assert waits == []
    assert raised.value.exit_code == 3
    assert raised.value.status == 503


def test_injected_http_client_is_used_and_left_open() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.host == "127.0.0.1"
        if request.url.path == "/user":
            return httpx.Response(401, json={"message": f"Bad credentials {PLAIN_TOKEN}"})
        raise AssertionError(request.url)

    http = httpx.Client(transport=httpx.MockTransport(answer))
    with (
        GitHubClient(PLAIN_TOKEN, api_url="http://127.0.0.1:1", http=http) as client,
        pytest.raises(AuthenticationError) as raised,
    ):
        upsert_comment(client, REPO, PR, "body")
    assert PLAIN_TOKEN not in str(raised.value)
    assert "GITHUB_TOKEN is wrong, expired or revoked" in str(raised.value)
    assert (raised.value.exit_code, raised.value.status) == (2, 401)
    assert not http.is_closed
    http.close()


def test_find_marked_comment_prefers_the_tokens_user_and_the_oldest() -> None:
    comments = [
        {"id": 1, "body": "no marker", "user": {"login": BOT}},
        {"id": 2, "body": f"quote {DEFAULT_MARKER}", "user": {"login": "alice"}},
        {"id": 3, "body": f"{DEFAULT_MARKER}\nours", "user": {"login": BOT}},
        {"id": 4, "body": f"{DEFAULT_MARKER}\nduplicate", "user": {"login": BOT}},
        {"id": 5, "body": None, "user": None},
    ]
    assert find_marked_comment(comments, DEFAULT_MARKER, BOT)["id"] == 3
    assert find_marked_comment(comments, DEFAULT_MARKER, None)["id"] == 2
    assert find_marked_comment(comments, DEFAULT_MARKER, "carol") is None
    assert find_marked_comment(comments, "<!-- other -->", None) is None


def test_with_marker() -> None:
    assert with_marker("text") == f"{DEFAULT_MARKER}\ntext"
    assert with_marker(SUMMARY) == SUMMARY


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.github.com/", "https://api.github.com"),
        ("https://ghe.example.com/api/v3", "https://ghe.example.com/api/v3"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://localhost:8080/", "http://localhost:8080"),
        ("http://[::1]:8080", "http://[::1]:8080"),
    ],
)
def test_check_api_url_accepts(url: str, expected: str) -> None:
    assert check_api_url(url) == expected


@pytest.mark.parametrize(
    "url", ["http://api.github.com", "ftp://x", "api.github.com", "https://h/?q=1"]
)
def test_check_api_url_refuses(url: str) -> None:
    with pytest.raises(UsageError):
        check_api_url(url)


def test_parse_repository() -> None:
    assert parse_repository("octo-org/evals.v2") == ("octo-org", "evals.v2")
    with pytest.raises(UsageError):
        parse_repository("octo-org/..")
