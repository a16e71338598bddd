"""A small client for OpenAI-compatible Chat Completions: bounded concurrency, timeouts, retries.

Retries follow what providers ask for: ``429`` and ``5xx`` answers, timeouts and dropped
connections are retried with exponential backoff and jitter, waiting at least as long as the
server's ``Retry-After`` (or OpenAI's ``retry-after-ms``) says; any other ``4xx`` is final.
When a request cannot succeed the whole batch stops and :class:`JudgeApiError` (an
infrastructure failure, exit code 3) says why. The API key is sent only in the
``Authorization`` header and masked in anything a server echoes back.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Mapping
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from nbgraduate.core.errors import NbgraduateError, UsageError, one_line
from nbgraduate.knowledge.secrets import mask, redact

__all__ = [
    "API_KEY_VARIABLE",
    "BASE_URL_VARIABLE",
    "DEFAULT_BASE_URL",
    "ChatAnswer",
    "ChatClient",
    "ClientStats",
    "JudgeApiError",
    "RetryPolicy",
    "api_key_from",
    "display_url",
    "resolve_base_url",
    "retry_after_seconds",
]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
BASE_URL_VARIABLE = "OPENAI_BASE_URL"
API_KEY_VARIABLE = "OPENAI_API_KEY"

_KEY_REQUIRED_HOSTS = frozenset({"api.openai.com"})
_MAX_MESSAGE_CHARS = 300


class JudgeApiError(NbgraduateError):
    """The judge API could not answer: an infrastructure failure, never drift, never a pass."""

    exit_code = 3

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        self.message = one_line(message)
        self.status_code = status_code
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class _Cancelled(Exception):
    """Another request of the batch failed for good; this one stops without an answer."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry. The ``n``-th retry waits between half and all of
    ``min(max_delay, base_delay * 2**(n-1))`` (jitter spreads out clients that failed
    together), or what the server's ``Retry-After`` asks if that is longer. A server asking
    for more than ``max_retry_after`` seconds is not waited for."""

    max_retries: int = 5
    base_delay: float = 1.0
    max_delay: float = 30.0
    max_retry_after: float = 120.0

    def backoff(self, retry_number: int, rng: random.Random) -> float:
        ceiling = min(self.max_delay, self.base_delay * 2 ** max(retry_number - 1, 0))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


@dataclass(frozen=True, slots=True)
class ChatAnswer:
    """What the provider answered to one request, and what it says it served."""

    content: str
    served_model: str | None
    system_fingerprint: str | None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


@dataclass(slots=True)
class ClientStats:
    """Counters over a batch; ``retry_reasons`` counts retries by what caused them."""

    requests: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    retry_reasons: Counter[str] = field(default_factory=Counter)
    waits: list[float] = field(default_factory=list)


def resolve_base_url(option: str | None, environ: Mapping[str, str]) -> str:
    """``--base-url``, else ``$OPENAI_BASE_URL``, else the OpenAI API; without a trailing slash."""
    url = (option or environ.get(BASE_URL_VARIABLE) or DEFAULT_BASE_URL).strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(
            f"base URL {display_url(url)!r} is not an http(s) URL like {DEFAULT_BASE_URL}"
        )
    return url.rstrip("/")


def api_key_from(environ: Mapping[str, str], base_url: str) -> str | None:
    """The API key from ``$OPENAI_API_KEY`` (the only place it is read from).

    Local OpenAI-compatible servers often need none; the OpenAI API always does.
    """
    key = (environ.get(API_KEY_VARIABLE) or "").strip() or None
    if key is None and urlsplit(base_url).hostname in _KEY_REQUIRED_HOSTS:
        raise UsageError(
            f"{API_KEY_VARIABLE} is not set; export it in the environment (it is never read "
            "from a file or the command line)"
        )
    return key


def display_url(url: str) -> str:
    """``url`` without credentials, query or fragment: safe to print and to record."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def retry_after_seconds(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """How long the server asks to wait: ``retry-after-ms``, else ``Retry-After`` as seconds or
    an HTTP date; ``None`` when it says nothing readable."""
    milliseconds = headers.get("retry-after-ms")
    if milliseconds is not None:
        try:
            value = float(milliseconds) / 1000
        except ValueError:
            value = -1.0
        if value >= 0:
            return value
    header = headers.get("retry-after")
    if header is None:
        return None
    header = header.strip()
    try:
        seconds = float(header)
    except ValueError:
        pass
    else:
        return seconds if seconds >= 0 else None
    try:
        moment = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max((moment - (now or datetime.now(timezone.utc))).total_seconds(), 0.0)


class ChatClient:
    """``POST {base_url}/chat/completions`` for many requests at once.

    ``concurrency`` threads share one connection pool of the same size. Use as a context
    manager (or call :meth:`close`).
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        timeout: float = 60.0,
        concurrency: int = 4,
        retry: RetryPolicy | None = None,
        rng: random.Random | None = None,
    ) -> None:
        import httpx

        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}")
        self.endpoint = f"{base_url.rstrip('/')}/chat/completions"
        self.timeout = timeout
        self.concurrency = concurrency
        self.retry = retry or RetryPolicy()
        self.stats = ClientStats()
        self._api_key = api_key
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        headers = {"Accept": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._http = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            follow_redirects=False,
        )

    def __enter__(self) -> ChatClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- batches -----------------------------------------------------------------------------

    def complete_all(self, payloads: Mapping[str, dict[str, Any]]) -> dict[str, ChatAnswer]:
        """Answers keyed like ``payloads``; the first request that fails for good stops the
        batch (requests not yet sent are never sent) and its :class:`JudgeApiError` is raised."""
        answers: dict[str, ChatAnswer] = {}
        pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="judge")
        try:
            futures: dict[Future[ChatAnswer], str] = {
                pool.submit(self._complete_in_batch, payload): key
                for key, payload in payloads.items()
            }
            pending = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_EXCEPTION)
                failure = next(
                    (
                        future.exception()
                        for future in done
                        if not future.cancelled()
                        and future.exception() is not None
                        and not isinstance(future.exception(), _Cancelled)
                    ),
                    None,
                )
                if failure is not None:
                    self._stop.set()
                    for future in pending:
                        future.cancel()
                    raise failure
                for future in done:
                    answers[futures[future]] = future.result()
        finally:
            self._stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
        return answers

    def _complete_in_batch(self, payload: dict[str, Any]) -> ChatAnswer:
        try:
            return self.complete(payload)
        except JudgeApiError:
            # Stop the other workers at once: none of them starts another request.
            self._stop.set()
            raise

    # -- one request -------------------------------------------------------------------------

    def complete(self, payload: dict[str, Any]) -> ChatAnswer:
        """One chat completion, retried as the policy allows."""
        import httpx

        retries = 0
        while True:
            if self._stop.is_set():
                raise _Cancelled()
            retry_after: float | None = None
            status_code: int | None = None
            with self._lock:
                self.stats.requests += 1
            try:
                response = self._http.post(self.endpoint, json=payload)
            except httpx.TimeoutException as error:
                failure = f"no response within {self.timeout:g} s ({type(error).__name__})"
                reason = "timeout"
            except httpx.TransportError as error:
                failure = f"connection failed: {self._scrub(str(error) or type(error).__name__)}"
                reason = "connection"
            else:
                status_code = response.status_code
                if response.is_success:
                    return self._answer(response)
                failure = f"HTTP {status_code}: {self._error_message(response)}"
                reason = str(status_code)
                if status_code != 429 and not 500 <= status_code <= 599:
                    raise JudgeApiError(
                        f"{display_url(self.endpoint)} refused the request ({failure}); "
                        "not retried",
                        status_code=status_code,
                    )
                retry_after = retry_after_seconds(response.headers)
            if retries >= self.retry.max_retries:
                raise JudgeApiError(
                    f"{display_url(self.endpoint)} failed after {retries + 1} attempts: {failure}",
                    status_code=status_code,
                )
            if retry_after is not None and retry_after > self.retry.max_retry_after:
                raise JudgeApiError(
                    f"{display_url(self.endpoint)} asked to retry after {retry_after:g} s, "
                    f"longer than the {self.retry.max_retry_after:g} s nbgraduate waits: {failure}",
                    status_code=status_code,
                )
            retries += 1
            delay = self.retry.backoff(retries, self._rng)
            if retry_after is not None:
                delay = max(delay, retry_after)
            with self._lock:
                self.stats.retries += 1
                self.stats.retry_reasons[reason] += 1
                self.stats.waits.append(delay)
            if self._stop.wait(delay):
                raise _Cancelled()

    def _answer(self, response: Any) -> ChatAnswer:
        try:
            body = response.json()
        except ValueError:
            raise JudgeApiError(
                f"{display_url(self.endpoint)} answered HTTP {response.status_code} with a body "
                "that is not JSON"
            ) from None
        try:
            message = body["choices"][0]["message"]
        except (KeyError, IndexError, TypeError):
            raise JudgeApiError(
                f"{display_url(self.endpoint)} answered without choices[0].message; is it an "
                "OpenAI-compatible Chat Completions endpoint?"
            ) from None
        usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
        answer = ChatAnswer(
            content=self._scrub(_message_text(message), limit=None),
            served_model=_optional_text(body.get("model")),
            system_fingerprint=_optional_text(body.get("system_fingerprint")),
            prompt_tokens=_count(usage.get("prompt_tokens")),
            completion_tokens=_count(usage.get("completion_tokens")),
            total_tokens=_count(usage.get("total_tokens")),
        )
        with self._lock:
            self.stats.prompt_tokens += answer.prompt_tokens
            self.stats.completion_tokens += answer.completion_tokens
            self.stats.total_tokens += answer.total_tokens or (
                answer.prompt_tokens + answer.completion_tokens
            )
        return answer

    def _error_message(self, response: Any) -> str:
        text = ""
        try:
            body = response.json()
        except ValueError:
            text = response.text
        else:
            error = body.get("error") if isinstance(body, dict) else None
            if isinstance(error, dict) and isinstance(error.get("message"), str):
                text = error["message"]
            elif isinstance(error, str):
                text = error
            else:
                text = response.text
        return self._scrub(text) or response.reason_phrase or "no message"

    def _scrub(self, text: str, *, limit: int | None = _MAX_MESSAGE_CHARS) -> str:
        """``text`` with our API key (and anything shaped like a provider key) masked."""
        if self._api_key and self._api_key in text:
            text = text.replace(self._api_key, mask(self._api_key))
        text = redact(text)
        if limit is None:
            return text
        text = one_line(text)
        return text if len(text) <= limit else text[: limit - 1] + "…"


def _message_text(message: object) -> str:
    if not isinstance(message, dict):
        return ""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        # Content parts: [{"type": "text", "text": "..."}, ...]
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def _optional_text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0
