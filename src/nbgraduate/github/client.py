"""Post nbgraduate's summary on a pull request through the GitHub REST API, or update it.

Requests go through nbgraduate's one HTTP policy (:mod:`nbgraduate.core.http`): a total
deadline per request, a body limit, bounded JSON, jittered retries of 5xx and network errors
(never of a POST that may have arrived), and rate-limit headers read in one place. Redirects
are followed only within the API's own origin: a POST is never sent to another host or port.
Credentials in the summary are masked (at most 4 characters shown) before it is posted.
"""

from __future__ import annotations

import ipaddress
import os
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urljoin, urlsplit

from nbgraduate import __version__
from nbgraduate.core.errors import NbgraduateError, UsageError, one_line
from nbgraduate.core.http import (
    BodyTooLarge,
    DeadlineExceeded,
    HttpError,
    Limits,
    MalformedBody,
    NetworkFailure,
    Response,
    RetryPolicy,
    describe_seconds,
    request,
    server_wait,
    shorten,
)
from nbgraduate.github.markers import DEFAULT_MARKER

if TYPE_CHECKING:
    # httpx costs tens of milliseconds to import; only `nbgraduate comment` pays for it.
    import httpx

__all__ = [
    "API_URL_ENV",
    "API_VERSION",
    "DEFAULT_API_URL",
    "DEFAULT_MARKER",
    "DEFAULT_RETRY",
    "TOKEN_ENV",
    "AuthenticationError",
    "CommentResult",
    "GitHubClient",
    "GitHubError",
    "GitHubUnavailableError",
    "MissingTokenError",
    "NetworkError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitedError",
    "RetryPolicy",
    "ServerError",
    "ValidationFailedError",
    "api_url_from_environment",
    "find_marked_comment",
    "parse_repository",
    "token_from_environment",
    "upsert_comment",
    "with_marker",
]

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
TOKEN_ENV = "GITHUB_TOKEN"
API_URL_ENV = "GITHUB_API_URL"

# GitHub's largest page; a pull request with more than 100 comments costs one request per 100.
_PER_PAGE = 100
# A guard against a server whose `next` links loop: 10,000 comments is beyond any real PR.
_MAX_PAGES = 100
# Only these may be resent after a network error that struck once the request was on its way:
# resending a POST whose first copy arrived would post the comment twice.
_IDEMPOTENT_METHODS = frozenset({"GET", "PATCH"})
_MASK = "***"
#: Retries of 5xx and network errors; a server asking for more than a minute is not waited for.
DEFAULT_RETRY = RetryPolicy(attempts=4, base_delay=1.0, max_delay=60.0, max_wait=60.0)
# A reset further away than this is a usage limit (a plan's quota), not a pause to wait out.
_USAGE_LIMIT_SECONDS = 24 * 3600
# Same-origin redirects followed (GitHub answers 301/307 for a renamed repository).
_MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


# --- errors --------------------------------------------------------------------------------


class GitHubError(NbgraduateError):
    """GitHub refused or could not serve a request; the message is one line, token-free.

    ``status`` is the HTTP status when there was a response.
    """

    exit_code = 2

    def __init__(self, message: str, *, status: int | None = None) -> None:
        self.message = one_line(message)
        self.status = status
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class MissingTokenError(GitHubError):
    """``GITHUB_TOKEN`` is not set, blank, or holds something that cannot be a token."""


class AuthenticationError(GitHubError):
    """401: the token is wrong, expired or revoked."""


class PermissionDeniedError(GitHubError):
    """403 that is not a rate limit: the token may read but not write (fork PRs) or not see."""


class NotFoundError(GitHubError):
    """404: the repository or pull request does not exist, or the token cannot see it."""


class ValidationFailedError(GitHubError):
    """422: GitHub rejected the request's content (for example a comment that is too long)."""


class GitHubUnavailableError(GitHubError):
    """GitHub cannot serve the request now; the same command may well succeed later.

    Exit code 3, like ``nbgraduate run``'s infrastructure errors, so CI can tell "retry the job"
    apart from "fix the workflow" (exit code 2).
    """

    exit_code = 3


class RateLimitedError(GitHubUnavailableError):
    """403 or 429 from a primary or secondary rate limit; never retried (that risks a ban)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        reset_at: datetime | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status=status)
        self.reset_at = reset_at
        self.retry_after = retry_after


class ServerError(GitHubUnavailableError):
    """5xx on every attempt the retry policy allowed."""


class NetworkError(GitHubUnavailableError):
    """No usable response: connection refused, DNS failure, timeout, connection reset."""


# --- configuration -------------------------------------------------------------------------


def token_from_environment(environ: Mapping[str, str] = os.environ) -> str:
    """The token in ``GITHUB_TOKEN``, stripped of the newline a secrets file leaves behind."""
    token = environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise MissingTokenError(
            f"{TOKEN_ENV} is not set: export a token that may write pull-request comments "
            f"(in GitHub Actions: `env: {TOKEN_ENV}: ${{{{ secrets.GITHUB_TOKEN }}}}`)"
        )
    if not all(33 <= ord(character) < 127 for character in token):
        # Saying which character would start to reveal the token.
        raise MissingTokenError(
            f"{TOKEN_ENV} contains spaces, control or non-ASCII characters; it is not a token"
        )
    return token


def api_url_from_environment(environ: Mapping[str, str] = os.environ) -> str:
    """``GITHUB_API_URL`` (set by GitHub Actions, also on GitHub Enterprise Server), checked."""
    return check_api_url(environ.get(API_URL_ENV, "").strip() or DEFAULT_API_URL)


def check_api_url(url: str) -> str:
    """``url`` without a trailing slash; https, or plain http to this machine only.

    The token travels in a header, so plain http would hand it to anyone on the path.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{API_URL_ENV} {url!r} is not an http(s) URL")
    if parts.query or parts.fragment:
        raise UsageError(f"{API_URL_ENV} {url!r} must not have a query or fragment")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise UsageError(
            f"{API_URL_ENV} {url!r} uses plain http, which would send the token unencrypted; "
            "use https (http is accepted for localhost only)"
        )
    return url.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_repository(text: str) -> tuple[str, str]:
    """``OWNER/NAME`` as ``(owner, name)``; anything that is not a GitHub name is a usage error."""
    owner, slash, name = text.strip().partition("/")
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
    for part in (owner, name):
        # All-dot names would turn into `..` path segments of the request URL.
        if not slash or not part or not set(part) <= allowed or set(part) == {"."}:
            raise UsageError(f"--repo {text!r} is not OWNER/NAME (for example octo-org/evals)")
    return owner, name


# --- the comment -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CommentResult:
    """What :func:`upsert_comment` did, and where the comment is."""

    action: Literal["created", "updated"]
    url: str
    comment_id: int
    #: Credentials masked in the summary before it was posted.
    masked: int = 0


def with_marker(body: str, marker: str = DEFAULT_MARKER) -> str:
    """``body`` carrying ``marker``, prepended on a line of its own when it is missing."""
    return body if marker in body else f"{marker}\n{body}"


def find_marked_comment(
    comments: Iterable[Mapping[str, Any]], marker: str, author: str | None
) -> Mapping[str, Any] | None:
    """The oldest comment whose body carries ``marker``, written by ``author`` when known.

    With a known author, marked comments of anyone else are left alone: a person quoting the
    marker must not have their comment overwritten. Tokens that cannot tell who they are
    (GitHub Actions' ``GITHUB_TOKEN``, app tokens) match on the marker alone. Stops reading
    comments (and pages) at the first match.
    """
    for comment in comments:
        body = comment.get("body")
        if not isinstance(comment.get("id"), int) or not isinstance(body, str):
            continue
        if marker not in body:
            continue
        login = (comment.get("user") or {}).get("login")
        if author is None or login == author:
            return comment
    return None


def upsert_comment(
    github: GitHubClient,
    repository: str,
    pull_number: int,
    body: str,
    *,
    marker: str = DEFAULT_MARKER,
) -> CommentResult:
    """Update nbgraduate's comment on pull request ``pull_number``, or create it if none.

    Raises a :class:`GitHubError` subclass when GitHub refuses or cannot be reached.
    """
    owner, name = parse_repository(repository)
    body, masked = github.mask_credentials(with_marker(body, marker))
    author = github.viewer_login()
    existing = find_marked_comment(
        github.iter_issue_comments(owner, name, pull_number), marker, author
    )
    if existing is not None:
        try:
            updated = github.update_issue_comment(owner, name, existing["id"], body)
        except NotFoundError:
            pass  # deleted since it was listed: post a fresh one below
        else:
            return _result("updated", updated, masked)
    created = github.create_issue_comment(owner, name, pull_number, body)
    return _result("created", created, masked)


def _result(
    action: Literal["created", "updated"], comment: Mapping[str, Any], masked: int
) -> CommentResult:
    return CommentResult(
        action=action, url=comment["html_url"], comment_id=comment["id"], masked=masked
    )


# --- the client ------------------------------------------------------------------------------


class GitHubClient:
    """The few GitHub REST calls ``nbgraduate comment`` needs, over an ``httpx.Client``.

    Pass ``http`` to supply the transport (tests, proxies); otherwise the client makes and
    closes its own. ``timeout`` is each request's total deadline. Every message it raises has
    the token masked, even when the server echoes it back.
    """

    def __init__(
        self,
        token: str,
        *,
        api_url: str = DEFAULT_API_URL,
        http: httpx.Client | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 10.0,
        sleep: Callable[[float], object] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        from nbgraduate.core.http import new_client

        self.api_url = check_api_url(api_url)
        self.retry = retry or DEFAULT_RETRY
        self.limits = Limits(deadline=timeout)
        self._token = token
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._owns_http = http is None
        self._http = (
            http
            if http is not None
            else new_client(max_connections=1, connect_timeout=timeout, read_timeout=timeout)
        )
        self._headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": f"nbgraduate/{__version__}",
        }

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the ``httpx.Client`` if this client made it; a supplied one is the caller's."""
        if self._owns_http:
            self._http.close()

    def mask_credentials(self, text: str) -> tuple[str, int]:
        """``text`` with this client's token and anything shaped like a credential masked
        (at most 4 characters shown), and how many were masked."""
        from nbgraduate.knowledge.secrets import find_secrets

        without_token = text.replace(self._token, _MASK)
        count = text.count(self._token) + len(find_secrets(without_token))
        return (self._redact(text), count) if count else (text, 0)

    # -- endpoints --

    def viewer_login(self) -> str | None:
        """The login the token acts as, or None when the token may not ask (``GITHUB_TOKEN``
        and app installation tokens get 403 from ``GET /user``)."""
        try:
            user = self._json(self._request("GET", "/user", "find out who the token belongs to"))
        except (PermissionDeniedError, NotFoundError):
            return None
        login = user.get("login") if isinstance(user, dict) else None
        return login if isinstance(login, str) else None

    def iter_issue_comments(self, owner: str, name: str, number: int) -> Iterator[dict[str, Any]]:
        """Every comment on issue or pull request ``number``, oldest first, page by page."""
        action = f"list the comments of {owner}/{name}#{number}"
        url: str | None = f"/repos/{owner}/{name}/issues/{number}/comments"
        params: dict[str, int] | None = {"per_page": _PER_PAGE}
        pages = 0
        while url is not None:
            pages += 1
            if pages > _MAX_PAGES:
                raise GitHubError(f"cannot {action}: more than {_MAX_PAGES} pages of comments")
            response = self._request("GET", url, action, params=params)
            page = self._json(response)
            if not isinstance(page, list):
                raise GitHubError(f"cannot {action}: the answer is not a list of comments")
            yield from (comment for comment in page if isinstance(comment, dict))
            # The next link carries per_page and page itself.
            url, params = response.next_link(), None

    def create_issue_comment(self, owner: str, name: str, number: int, body: str) -> dict[str, Any]:
        """``POST /repos/{owner}/{name}/issues/{number}/comments``; the new comment, its
        ``html_url`` token-free."""
        path = f"/repos/{owner}/{name}/issues/{number}/comments"
        action = f"comment on {owner}/{name}#{number}"
        return self._comment(self._request("POST", path, action, json={"body": body}), action)

    def update_issue_comment(
        self, owner: str, name: str, comment_id: int, body: str
    ) -> dict[str, Any]:
        """``PATCH /repos/{owner}/{name}/issues/comments/{comment_id}``; the comment, its
        ``html_url`` token-free."""
        path = f"/repos/{owner}/{name}/issues/comments/{int(comment_id)}"
        action = f"update comment {comment_id} in {owner}/{name}"
        return self._comment(self._request("PATCH", path, action, json={"body": body}), action)

    # -- transport --

    def _request(
        self,
        method: str,
        url: str,
        action: str,
        *,
        params: Mapping[str, int] | None = None,
        json: Any = None,
    ) -> Response:
        """Send with retries on 5xx and network errors; a 2xx response or a typed error."""
        if url.startswith("/"):
            url = self.api_url + url
        elif _origin(url) != _origin(self.api_url):
            # A `next` link elsewhere would receive the token with the request.
            raise GitHubError(f"cannot {action}: GitHub sent a link to another host; not followed")
        resendable = method in _IDEMPOTENT_METHODS
        for _ in range(_MAX_REDIRECTS + 1):
            try:
                exchange = request(
                    self._http,
                    method,
                    url,
                    policy=self.retry,
                    limits=self.limits,
                    retry_status=lambda status: status >= 500,
                    resend_if_maybe_sent=resendable,
                    sleep=self._sleep,
                    rng=self._rng,
                    params=params,
                    json=json,
                    headers=self._headers,
                )
            except (DeadlineExceeded, NetworkFailure) as error:
                raise self._network_error(error, action, resendable) from None
            except BodyTooLarge as error:
                raise GitHubUnavailableError(self._redact(f"cannot {action}: {error}")) from None
            except HttpError as error:
                raise GitHubError(self._redact(f"cannot {action}: {error}")) from None
            response = exchange.response
            if response.status_code in _REDIRECTS:
                url, params = self._redirect_target(response, method, url, action), None
                continue
            if response.is_success:
                return response
            if response.status_code < 500:
                raise self._response_error(response, action)
            tail = f"gave up after {_attempts(exchange.attempts)}"
            if exchange.refused_wait is not None:
                wait = describe_seconds(exchange.refused_wait.seconds)
                tail += f" (GitHub asks to wait {wait}, longer than nbgraduate waits)"
            raise ServerError(
                self._redact(
                    f"cannot {action}: GitHub answered HTTP {response.status_code}"
                    f"{_reason(response)}; {tail} (GitHub may be having an outage; retry the "
                    "job later)"
                ),
                status=response.status_code,
            )
        raise GitHubError(f"cannot {action}: more than {_MAX_REDIRECTS} redirects")

    def _redirect_target(self, response: Response, method: str, url: str, action: str) -> str:
        """Where a redirect may be followed: the API's own origin, the method unchanged."""
        status = response.status_code
        location = (response.headers.get("location") or "").strip()
        target = urljoin(url, location) if location else ""
        if not target or _origin(target) != _origin(self.api_url):
            shown = shorten(self._redact(target or "nowhere"), 120)
            raise GitHubError(
                f"cannot {action}: GitHub redirected the request (HTTP {status}) to another host "
                f"or port ({shown}); not followed, so the token and the {method} stay here"
            )
        if method != "GET" and status in (301, 302, 303):
            raise GitHubError(
                f"cannot {action}: GitHub answered HTTP {status}, which would turn the {method} "
                "into a GET; not followed"
            )
        return target

    def _network_error(
        self, error: DeadlineExceeded | NetworkFailure, action: str, resendable: bool
    ) -> NetworkError:
        what = "timed out" if isinstance(error, DeadlineExceeded) else "network error"
        maybe_sent = isinstance(error, DeadlineExceeded) or error.maybe_sent
        if resendable or not maybe_sent:
            tail = f"gave up after {_attempts(error.attempts)}"
        else:
            tail = "not resent, since GitHub may have posted it already (the next run updates it)"
        return NetworkError(
            self._redact(f"cannot {action}: {what} talking to {self.api_url} ({error}); {tail}")
        )

    def _response_error(self, response: Response, action: str) -> GitHubError:
        status = response.status_code
        said = _reason(response)
        if status == 401:
            cls: type[GitHubError] = AuthenticationError
            text = (
                f"GitHub rejected the token (HTTP 401{said}): {TOKEN_ENV} is wrong, expired or "
                "revoked"
            )
        elif status == 429 or (status == 403 and _is_rate_limited(response)):
            return self._rate_limit_error(response, action)
        elif status == 403:
            cls = PermissionDeniedError
            text = (
                f"GitHub refused (HTTP 403{said}): the token lacks permission (a read-only "
                "token cannot comment; the job needs `permissions: pull-requests: write`). On "
                "pull requests from forks GitHub Actions makes GITHUB_TOKEN read-only whatever "
                "the workflow asks: post from a `pull_request_target` or `workflow_run` "
                "workflow that does not run the fork's code"
            )
        elif status == 404:
            cls = NotFoundError
            text = (
                f"not found (HTTP 404{said}): check --repo and --pr, and that the token can "
                "read the repository"
            )
        elif status == 422:
            cls = ValidationFailedError
            text = f"GitHub rejected the request (HTTP 422{said}{_validation_details(response)})"
        else:
            cls = GitHubError
            text = f"unexpected answer from GitHub (HTTP {status}{said})"
        return cls(self._redact(f"cannot {action}: {text}"), status=status)

    def _rate_limit_error(self, response: Response, action: str) -> RateLimitedError:
        wait = server_wait(response.headers)
        if wait is None:
            when = "wait a few minutes"
        elif wait.header == "x-ratelimit-reset":
            when = f"it resets {wait.describe()}"
        else:
            when = f"GitHub asks to wait {describe_seconds(wait.seconds)}"
        if wait is not None and wait.seconds > _USAGE_LIMIT_SECONDS:
            when += " (a usage limit, not a pause)"
        return RateLimitedError(
            self._redact(
                f"cannot {action}: GitHub API rate limit exceeded "
                f"(HTTP {response.status_code}{_reason(response)}); {when}, then retry the job"
            ),
            status=response.status_code,
            reset_at=wait.reset_at if wait and wait.header == "x-ratelimit-reset" else None,
            retry_after=wait.seconds if wait and wait.header != "x-ratelimit-reset" else None,
        )

    def _json(self, response: Response) -> Any:
        try:
            return response.json()
        except MalformedBody as error:
            path = urlsplit(response.url).path
            raise GitHubError(
                self._redact(
                    f"{response.method} {path}: GitHub answered HTTP {response.status_code} "
                    f"with something that is not the JSON it documents ({error})"
                )
            ) from None

    def _comment(self, response: Response, action: str) -> dict[str, Any]:
        comment = self._json(response)
        if not isinstance(comment, dict) or not isinstance(comment.get("id"), int):
            raise GitHubError(f"cannot {action}: GitHub's answer has no comment id")
        # The URL gets printed; a server that echoes the token must not get it printed.
        comment["html_url"] = shorten(self._redact(str(comment.get("html_url") or "")), 300)
        return comment

    def _redact(self, text: str) -> str:
        from nbgraduate.knowledge.secrets import redact

        # The exact token first (any format), then anything else that looks like a credential.
        return redact(text.replace(self._token, _MASK))


def _attempts(count: int) -> str:
    return f"{count} attempt{'s' if count != 1 else ''}"


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc.lower()


def _is_rate_limited(response: Response) -> bool:
    # Primary limits zero the remaining count; secondary ones say so or send retry-after.
    return (
        response.headers.get("x-ratelimit-remaining") == "0"
        or "retry-after" in response.headers
        or "rate limit" in _message(response).lower()
    )


def _payload(response: Response) -> Any:
    try:
        return response.json()
    except MalformedBody:
        return None


def _message(response: Response) -> str:
    payload = _payload(response)
    message = payload.get("message") if isinstance(payload, dict) else None
    return shorten(message) if isinstance(message, str) else ""


def _reason(response: Response) -> str:
    """``: <GitHub's message>``, or nothing when it sent none."""
    message = _message(response)
    return f": {message}" if message else ""


def _validation_details(response: Response) -> str:
    """GitHub's 422 ``errors`` list, joined: ``; body is too long (maximum is 65536 ...)``."""
    payload = _payload(response)
    errors = payload.get("errors") if isinstance(payload, dict) else None
    details = []
    for error in errors if isinstance(errors, list) else []:
        if isinstance(error, str):
            details.append(error)
        elif isinstance(error, dict):
            message = error.get("message")
            if isinstance(message, str):
                details.append(message)
            else:
                details.append(" ".join(str(error[k]) for k in ("field", "code") if k in error))
    return shorten("".join(f"; {detail}" for detail in details[:10] if detail))
