"""A small client for OpenAI-compatible Chat Completions: bounded concurrency, deadlines, retries.

Requests go through nbgraduate's one HTTP policy (:mod:`nbgraduate.core.http`): ``429`` and
``5xx`` answers, deadlines and dropped connections are retried with exponential backoff and
jitter, waiting at least as long as the server asks (``retry-after-ms``, ``Retry-After``,
rate-limit resets); any other ``4xx`` is final. Each request has a total deadline and a body
limit. When a request cannot succeed, or the answer is not the JSON the API defines (too large,
too deep, the wrong shape), the whole batch stops and :class:`JudgeApiError` (an infrastructure
failure, exit code 3, never drift) says why. The API key is sent only in the ``Authorization``
header and masked in anything a server echoes back.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Mapping
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from nbgraduate.core.errors import NbgraduateError, UsageError, one_line
from nbgraduate.core.http import (
    MESSAGE_CHARS,
    HttpError,
    Limits,
    MalformedBody,
    RequestCancelled,
    Response,
    RetryPolicy,
    new_client,
    request,
    shorten,
)
from nbgraduate.knowledge.secrets import mask, redact

__all__ = [
    "API_KEY_VARIABLE",
    "BASE_URL_VARIABLE",
    "DEFAULT_BASE_URL",
    "DEFAULT_RETRY",
    "ChatAnswer",
    "ChatClient",
    "ClientStats",
    "JudgeApiError",
    "RetryPolicy",
    "api_key_from",
    "display_url",
    "resolve_base_url",
]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
BASE_URL_VARIABLE = "OPENAI_BASE_URL"
API_KEY_VARIABLE = "OPENAI_API_KEY"

_KEY_REQUIRED_HOSTS = frozenset({"api.openai.com"})
#: Retries of a chat completion: 429s and 5xx are routine at providers.
DEFAULT_RETRY = RetryPolicy(attempts=6, base_delay=1.0, max_delay=30.0, max_wait=120.0)
# Longer than any model id or fingerprint a provider serves; longer is a broken or hostile answer.
_MAX_LABEL_CHARS = 200
# More tokens than any one request uses; a larger count is not a count.
_MAX_TOKEN_COUNT = 10**9


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


class ChatClient:
    """``POST {base_url}/chat/completions`` for many requests at once.

    ``concurrency`` threads share one client. ``timeout`` is each request's total deadline,
    from connecting to the last byte of the answer. Use as a context manager (or call
    :meth:`close`).
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
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}")
        self.endpoint = f"{base_url.rstrip('/')}/chat/completions"
        self.timeout = timeout
        self.concurrency = concurrency
        self.retry = retry or DEFAULT_RETRY
        self.limits = Limits(deadline=timeout)
        self.stats = ClientStats()
        self._api_key = api_key
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        headers = {"Accept": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._http = new_client(
            headers=headers,
            max_connections=concurrency,
            connect_timeout=min(timeout, 10.0),
            read_timeout=timeout,
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
        if self._stop.is_set():
            raise _Cancelled()
        where = display_url(self.endpoint)
        retries: list[str] = []

        def count_retry(reason: str, delay: float) -> None:
            retries.append(reason)
            with self._lock:
                self.stats.retries += 1
                self.stats.retry_reasons[reason] += 1
                self.stats.waits.append(delay)

        try:
            exchange = request(
                self._http,
                "POST",
                self.endpoint,
                json=payload,
                policy=self.retry,
                limits=self.limits,
                sleep=self._stop.wait,
                rng=self._rng,
                on_retry=count_retry,
            )
        except RequestCancelled:
            raise _Cancelled() from None
        except HttpError as error:
            attempts = len(retries) + 1
            raise JudgeApiError(
                f"{where} failed after {attempts} attempt{'s' if attempts != 1 else ''}: "
                f"{self._scrub(str(error))}"
            ) from None
        finally:
            with self._lock:
                self.stats.requests += len(retries) + 1
        response = exchange.response
        if response.is_success:
            return self._answer(response)
        status_code = response.status_code
        failure = f"HTTP {status_code}: {self._error_message(response)}"
        if exchange.refused_wait is not None:
            wait = exchange.refused_wait
            raise JudgeApiError(
                f"{where} asked to retry {wait.describe()}, longer than the "
                f"{self.retry.max_wait:g} s nbgraduate waits (a usage limit, not a pause): "
                f"{failure}",
                status_code=status_code,
            )
        if status_code != 429 and status_code < 500:
            raise JudgeApiError(
                f"{where} refused the request ({failure}); not retried", status_code=status_code
            )
        raise JudgeApiError(
            f"{where} failed after {exchange.attempts} attempts: {failure}",
            status_code=status_code,
        )

    def _answer(self, response: Response) -> ChatAnswer:
        where = display_url(self.endpoint)
        try:
            body = response.json()
        except MalformedBody as error:
            raise JudgeApiError(
                f"{where} answered HTTP {response.status_code} with a body that is {error}"
                if str(error).startswith("not JSON")
                else f"{where} answered HTTP {response.status_code} with {error}"
            ) from None
        try:
            message = body["choices"][0]["message"]
        except (KeyError, IndexError, TypeError):
            raise JudgeApiError(
                f"{where} answered without choices[0].message; is it an "
                "OpenAI-compatible Chat Completions endpoint?"
            ) from None
        usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
        answer = ChatAnswer(
            content=self._scrub(_message_text(message), limit=None),
            served_model=self._label(body.get("model"), "model"),
            system_fingerprint=self._label(body.get("system_fingerprint"), "system_fingerprint"),
            prompt_tokens=self._count(usage.get("prompt_tokens"), "prompt_tokens"),
            completion_tokens=self._count(usage.get("completion_tokens"), "completion_tokens"),
            total_tokens=self._count(usage.get("total_tokens"), "total_tokens"),
        )
        with self._lock:
            self.stats.prompt_tokens += answer.prompt_tokens
            self.stats.completion_tokens += answer.completion_tokens
            self.stats.total_tokens += answer.total_tokens or (
                answer.prompt_tokens + answer.completion_tokens
            )
        return answer

    def _label(self, value: object, field_name: str) -> str | None:
        """A short identifier the answer carries (served model, fingerprint), or ``None``."""
        if not isinstance(value, str) or not value:
            return None
        if len(value) > _MAX_LABEL_CHARS or not value.isprintable():
            raise JudgeApiError(
                f"{display_url(self.endpoint)} answered with a {field_name} of "
                f"{len(value):,} characters that is not an identifier"
            )
        return self._scrub(value)

    def _count(self, value: object, field_name: str) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            return 0
        if value > _MAX_TOKEN_COUNT:
            raise JudgeApiError(
                f"{display_url(self.endpoint)} answered with usage.{field_name} beyond any real "
                "token count"
            )
        return value

    def _error_message(self, response: Response) -> str:
        text = ""
        try:
            body = response.json()
        except MalformedBody:
            text = response.text[: MESSAGE_CHARS * 4]
        else:
            error = body.get("error") if isinstance(body, dict) else None
            if isinstance(error, dict) and isinstance(error.get("message"), str):
                text = error["message"]
            elif isinstance(error, str):
                text = error
            else:
                text = response.text[: MESSAGE_CHARS * 4]
        return self._scrub(text) or response.reason_phrase or "no message"

    def _scrub(self, text: str, *, limit: int | None = MESSAGE_CHARS) -> str:
        """``text`` with our API key (and anything shaped like a provider key) masked."""
        if self._api_key and self._api_key in text:
            text = text.replace(self._api_key, mask(self._api_key))
        text = redact(text)
        return text if limit is None else shorten(text, limit)


def _message_text(message: object) -> str:
    if not isinstance(message, dict):
        return ""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        # Content parts: [{"type": "text", "text": "..."}, ...]
        return "".join(
            part["text"]
            for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    return ""
