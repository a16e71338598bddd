"""One HTTP policy for every client nbgraduate has (the judge API, GitHub, package indexes).

A server can be slow, overloaded, wrong or hostile; whatever it does, a request ends within its
deadline with a response that fits in memory, or with one :class:`HttpError` line:

- **bounded attempts** with jittered exponential backoff (:class:`RetryPolicy`);
- **what the server asks to wait** (``retry-after-ms``, ``Retry-After`` as seconds or an HTTP
  date, rate-limit reset headers) read in one place (:func:`server_wait`); an absurd wait
  (a reset in the year 3 billion) is a usage limit to report, never a crash;
- **a total deadline** per request, from connecting to the last byte: a server that drips one
  byte a second cannot extend it (the socket is shut down when it passes);
- **a maximum body size**, enforced while reading, and **JSON nested at most**
  :data:`MAX_JSON_DEPTH` deep, so parsing never recurses without limit;
- **one-line errors** quoting at most :data:`MESSAGE_CHARS` characters of what the server said.

Error tree (all :class:`~nbgraduate.core.errors.NbgraduateError`, exit code 3: the request may
well succeed later)::

    HttpError
    ├── DeadlineExceeded     no complete answer within the deadline
    ├── BodyTooLarge         the answer is larger than the limit
    ├── NetworkFailure       connection refused or dropped; ``maybe_sent`` says if it may
    │                        have reached the server
    └── MalformedBody        the answer is not the JSON it should be (or nested too deep)

``httpx`` is imported only when a request is made.
"""

from __future__ import annotations

import contextlib
import json
import math
import random
import re
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from nbgraduate.core.errors import NbgraduateError, one_line

if TYPE_CHECKING:
    import httpx

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_JSON_DEPTH",
    "MESSAGE_CHARS",
    "BodyTooLarge",
    "DeadlineExceeded",
    "Exchange",
    "HttpError",
    "Limits",
    "MalformedBody",
    "NetworkFailure",
    "RequestCancelled",
    "Response",
    "RetryPolicy",
    "ServerWait",
    "describe_seconds",
    "new_client",
    "parse_json",
    "request",
    "send",
    "server_wait",
    "shorten",
]

#: Far more than any API answer nbgraduate reads (a chat completion, a page of comments).
MAX_BODY_BYTES = 10 * 1024 * 1024
#: Real API answers nest a handful of levels; this leaves room and stays far from recursion.
MAX_JSON_DEPTH = 64
#: How much of a server's own words an error message quotes.
MESSAGE_CHARS = 300
# Header values longer than this are not numbers or dates any server means.
_MAX_HEADER_NUMBER_CHARS = 40
_SECONDS_PER_YEAR = 365.25 * 24 * 3600
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_JSON_STRUCTURE = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


class HttpError(NbgraduateError):
    """A request that did not produce a usable answer; ``str()`` is one line."""

    exit_code = 3

    def __init__(self, message: str) -> None:
        self.message = one_line(message)
        #: Tries made before giving up (set by :func:`request`).
        self.attempts = 1
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class DeadlineExceeded(HttpError):
    """No complete answer within the request's deadline (slow, stalled or dripping server)."""


class BodyTooLarge(HttpError):
    """The answer is larger than the body limit; it was not read further."""


class NetworkFailure(HttpError):
    """The connection failed; ``maybe_sent`` is True when the request may have arrived."""

    def __init__(self, message: str, *, maybe_sent: bool) -> None:
        super().__init__(message)
        self.maybe_sent = maybe_sent


class MalformedBody(HttpError):
    """The answer is not JSON, or JSON nested deeper than :data:`MAX_JSON_DEPTH`."""


class RequestCancelled(Exception):
    """The caller asked to stop while the request waited to be retried."""


# --- what to wait ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry.

    ``attempts`` counts every try, the first included. The ``n``-th retry waits between half
    and all of ``min(max_delay, base_delay * 2**(n-1))`` (jitter spreads out clients that
    failed together), or what the server asks if that is longer. A server asking for more
    than ``max_wait`` seconds is not waited for: that is a usage limit to report.
    """

    attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 30.0
    max_wait: float = 120.0

    def backoff(self, retry_number: int, rng: random.Random) -> float:
        ceiling = min(self.max_delay, self.base_delay * 2 ** max(retry_number - 1, 0))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


@dataclass(frozen=True, slots=True)
class ServerWait:
    """How long a server asks to wait, and which header said so.

    ``seconds`` may be huge (a reset years away) or infinite; ``reset_at`` is the moment it
    names when that is a real date, else ``None``.
    """

    seconds: float
    header: str
    reset_at: datetime | None = None

    def describe(self) -> str:
        """``in 30 s``, ``at 2026-01-05 12:00:00 UTC (in about 5 min)``, ``in more than a year``."""
        if self.reset_at is not None and self.seconds >= 120:
            return f"at {self.reset_at:%Y-%m-%d %H:%M:%S} UTC (in {describe_seconds(self.seconds)})"
        return f"in {describe_seconds(self.seconds)}"


def describe_seconds(seconds: float) -> str:
    """A duration as people read it; never an overflow, whatever the server sent."""
    if not math.isfinite(seconds) or seconds >= _SECONDS_PER_YEAR:
        return "more than a year"
    if seconds < 120:
        return f"{seconds:g} s"
    if seconds < 2 * 3600:
        return f"about {round(seconds / 60)} min"
    if seconds < 2 * 86400:
        return f"about {round(seconds / 3600)} h"
    return f"about {round(seconds / 86400)} days"


def server_wait(headers: Mapping[str, str], now: float | None = None) -> ServerWait | None:
    """What the response's headers ask: ``retry-after-ms``, then ``Retry-After`` (seconds or an
    HTTP date), then a rate-limit reset (``x-ratelimit-reset`` as epoch seconds when
    ``x-ratelimit-remaining`` is 0; OpenAI's ``x-ratelimit-reset-requests``/``-tokens`` as
    durations like ``6m0s``). ``None`` when they say nothing readable."""
    now = time.time() if now is None else now
    milliseconds = _number(headers.get("retry-after-ms"))
    if milliseconds is not None and milliseconds >= 0:
        return _wait(milliseconds / 1000, "retry-after-ms", now)
    retry_after = (headers.get("retry-after") or "").strip()
    if retry_after:
        seconds = _number(retry_after)
        if seconds is not None:
            if seconds >= 0:
                return _wait(seconds, "retry-after", now)
        else:
            moment = _http_date(retry_after)
            if moment is not None:
                return _wait(max(moment - now, 0.0), "retry-after", now)
    if (headers.get("x-ratelimit-remaining") or "").strip() == "0":
        reset = _number(headers.get("x-ratelimit-reset"))
        if reset is not None and reset >= 0:
            return _wait(max(reset - now, 0.0), "x-ratelimit-reset", now)
    durations = [
        seconds
        for name in ("x-ratelimit-reset-requests", "x-ratelimit-reset-tokens")
        if (seconds := _duration(headers.get(name))) is not None
    ]
    if durations:
        return _wait(max(durations), "x-ratelimit-reset-requests", now)
    return None


def _wait(seconds: float, header: str, now: float) -> ServerWait:
    try:
        reset_at = datetime.fromtimestamp(now + seconds, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        reset_at = None  # beyond what a date can say: a usage limit, not a pause
    return ServerWait(seconds, header, reset_at)


def _number(value: str | None) -> float | None:
    if value is None or len(value) > _MAX_HEADER_NUMBER_CHARS:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return None if math.isnan(number) else number


def _http_date(value: str) -> float | None:
    if len(value) > 64:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _duration(value: str | None) -> float | None:
    """``6m0s``, ``1s``, ``20ms``, ``1h2m3.5s`` in seconds."""
    if not value or len(value) > _MAX_HEADER_NUMBER_CHARS:
        return None
    text = value.strip()
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        return None
    scale = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    return sum(float(number) * scale[unit] for number, unit in parts)


# --- one request --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds of one request: ``deadline`` seconds from connecting to the last byte of the
    body, at most ``max_body_bytes`` of body, JSON at most ``max_json_depth`` deep."""

    deadline: float = 60.0
    max_body_bytes: int = MAX_BODY_BYTES
    max_json_depth: int = MAX_JSON_DEPTH


@dataclass(frozen=True, slots=True)
class Response:
    """A complete answer, read within the limits."""

    status_code: int
    reason_phrase: str
    headers: Mapping[str, str]
    content: bytes
    method: str
    url: str
    max_json_depth: int = MAX_JSON_DEPTH

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON; :class:`MalformedBody` when it is not JSON or nests too deep."""
        return parse_json(self.content, max_depth=self.max_json_depth)

    def next_link(self) -> str | None:
        """The ``rel="next"`` URL of an RFC 8288 ``Link`` header (pagination)."""
        for part in (self.headers.get("link") or "").split(","):
            target, _, parameters = part.partition(";")
            target = target.strip()
            if target.startswith("<") and target.endswith(">"):
                rels = re.findall(r'rel\s*=\s*"?([^";]+)"?', parameters)
                if any("next" in rel.split() for rel in rels):
                    return target[1:-1]
        return None


def parse_json(content: bytes | str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` that refuses, as :class:`MalformedBody`, what is not JSON or nests deeper
    than ``max_depth``: the depth is measured before parsing, so parsing cannot recurse
    without limit."""
    data = content.encode("utf-8", errors="surrogatepass") if isinstance(content, str) else content
    depth = deepest = 0
    for match in _JSON_STRUCTURE.finditer(data):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > max_depth:
                raise MalformedBody(f"JSON nested more than {max_depth} levels deep")
            deepest = max(deepest, depth)
        elif token in (b"]", b"}"):
            depth -= 1
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as error:
        raise MalformedBody(f"not JSON ({shorten(str(error), 80)})") from None


def shorten(text: str, limit: int = MESSAGE_CHARS) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    text = one_line(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def new_client(
    *,
    headers: Mapping[str, str] | None = None,
    max_connections: int = 4,
    connect_timeout: float = 10.0,
    read_timeout: float = 60.0,
) -> httpx.Client:
    """An ``httpx.Client`` for :func:`send`: no redirects followed, one connection per request.

    Keep-alive is off so that each request owns its socket and its deadline can close it.
    """
    import httpx

    # Compressed answers could expand past the body limit inside one chunk; ask for none.
    return httpx.Client(
        headers={"Accept-Encoding": "identity", **dict(headers or {})},
        timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
        limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=0),
        follow_redirects=False,
    )


def send(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    limits: Limits | None = None,
    **options: Any,
) -> Response:
    """One request, no retry: a complete :class:`Response` (any status) or an :class:`HttpError`.

    ``options`` are ``httpx.Client.build_request``'s (``json``, ``params``, ``headers``).
    Redirects are never followed: a client that wants one decides where it may go.
    """
    import httpx

    limits = limits or Limits()
    request_ = client.build_request(method, url, **options)
    deadline = time.monotonic() + limits.deadline
    sockets: list[socket.socket] = []
    guard = threading.Lock()
    expired = threading.Event()

    def trace(event: str, info: Mapping[str, Any]) -> None:
        stream = info.get("return_value") if event.endswith(".complete") else None
        raw = stream.get_extra_info("socket") if hasattr(stream, "get_extra_info") else None
        if isinstance(raw, socket.socket):
            with guard:
                sockets.append(raw)
                if expired.is_set():
                    _shut(raw)

    def expire() -> None:
        with guard:
            expired.set()
            for raw in sockets:
                _shut(raw)

    request_.extensions = {**request_.extensions, "trace": trace}
    timer = threading.Timer(limits.deadline, expire)
    timer.daemon = True
    timer.start()
    sent = False
    try:
        response = client.send(request_, stream=True)
        sent = True
        try:
            return _read(response, request_, limits, deadline)
        finally:
            response.close()
    except httpx.HTTPError as error:
        if expired.is_set() or time.monotonic() >= deadline:
            raise DeadlineExceeded(f"no complete answer within {limits.deadline:g} s") from None
        if isinstance(error, httpx.TimeoutException):
            raise DeadlineExceeded(
                f"the server stopped answering ({type(error).__name__})"
            ) from None
        not_sent = isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))
        detail = shorten(str(error) or type(error).__name__, 120)
        raise NetworkFailure(
            f"connection failed: {detail}", maybe_sent=sent or not not_sent
        ) from None
    finally:
        timer.cancel()


def _read(
    response: httpx.Response, request_: httpx.Request, limits: Limits, deadline: float
) -> Response:
    """The body, chunk by chunk, never more than the limit nor past the deadline."""
    declared = _number(response.headers.get("content-length"))
    if declared is not None and declared > limits.max_body_bytes:
        raise BodyTooLarge(
            f"the answer is {int(declared):,} bytes, more than the "
            f"{limits.max_body_bytes:,}-byte limit"
        )
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limits.max_body_bytes:
            raise BodyTooLarge(
                f"the answer is more than the {limits.max_body_bytes:,}-byte limit; not read on"
            )
        chunks.append(chunk)
        if time.monotonic() >= deadline:
            raise DeadlineExceeded(f"no complete answer within {limits.deadline:g} s")
    return Response(
        status_code=response.status_code,
        reason_phrase=response.reason_phrase,
        headers=response.headers,
        content=b"".join(chunks),
        method=request_.method,
        url=str(request_.url),
        max_json_depth=limits.max_json_depth,
    )


def _shut(raw: socket.socket) -> None:
    # The base class's shutdown: an SSLSocket's own would race the reading thread's TLS state.
    with contextlib.suppress(OSError):  # already closed
        socket.socket.shutdown(raw, socket.SHUT_RDWR)


# --- retries ------------------------------------------------------------------------------------


@dataclass(slots=True)
class Exchange:
    """The outcome of :func:`request`: the last response, how many tries it took, and why
    retrying stopped early (``refused_wait``: the server asked for longer than the policy
    waits)."""

    response: Response
    attempts: int
    refused_wait: ServerWait | None = None
    retry_reasons: list[str] = field(default_factory=list)


def request(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    policy: RetryPolicy,
    limits: Limits | None = None,
    retry_status: Callable[[int], bool] = lambda status: status == 429 or status >= 500,
    resend_if_maybe_sent: bool = True,
    sleep: Callable[[float], object] = time.sleep,
    rng: random.Random | None = None,
    on_retry: Callable[[str, float], None] | None = None,
    **options: Any,
) -> Exchange:
    """:func:`send` with retries under ``policy``.

    A response whose status ``retry_status`` accepts, a deadline or a network failure is
    retried after the backoff (or the server's wait, when longer) while attempts remain. A
    request that may already have reached the server is resent only if
    ``resend_if_maybe_sent`` (False for a POST that must not happen twice). ``sleep`` returning
    True means "stop": :class:`RequestCancelled` is raised. ``on_retry(reason, seconds)`` is
    told about every wait. The last response is returned whatever its status; failures without
    a response are raised.
    """
    rng = rng or random.Random()
    attempts = max(1, policy.attempts)
    reasons: list[str] = []
    for attempt in range(1, attempts + 1):
        wait: ServerWait | None = None
        try:
            response = send(client, method, url, limits=limits, **options)
        except (DeadlineExceeded, NetworkFailure) as error:
            maybe_sent = isinstance(error, DeadlineExceeded) or error.maybe_sent
            if attempt == attempts or (maybe_sent and not resend_if_maybe_sent):
                error.attempts = attempt
                raise
            reason = "timeout" if isinstance(error, DeadlineExceeded) else "connection"
        except HttpError as error:
            error.attempts = attempt
            raise
        else:
            if not retry_status(response.status_code):
                return Exchange(response, attempt, retry_reasons=reasons)
            wait = server_wait(response.headers)
            if wait is not None and wait.seconds > policy.max_wait:
                return Exchange(response, attempt, refused_wait=wait, retry_reasons=reasons)
            if attempt == attempts:
                return Exchange(response, attempt, retry_reasons=reasons)
            reason = str(response.status_code)
        delay = policy.backoff(attempt, rng)
        if wait is not None:
            delay = max(delay, wait.seconds)
        reasons.append(reason)
        if on_retry is not None:
            on_retry(reason, delay)
        if sleep(delay) is True:
            raise RequestCancelled()
    raise AssertionError("unreachable: the last attempt returns or raises")
