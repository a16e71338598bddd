"""Tests of the Chat Completions client's pure parts: Retry-After, backoff, URLs and keys."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from nbgraduate.calibrate.client import (
    DEFAULT_BASE_URL,
    RetryPolicy,
    api_key_from,
    display_url,
    resolve_base_url,
    retry_after_seconds,
)
from nbgraduate.core.errors import UsageError

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "2"}, 2.0),
        ({"retry-after": " 0 "}, 0.0),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after-ms": "soon", "retry-after": "3"}, 3.0),
        ({"retry-after": format_datetime(NOW + timedelta(seconds=30), usegmt=True)}, 30.0),
        ({"retry-after": format_datetime(NOW - timedelta(seconds=30), usegmt=True)}, 0.0),
        ({"retry-after": "-5"}, None),
        ({"retry-after": "whenever"}, None),
        ({}, None),
    ],
)
def test_retry_after_seconds(headers: dict[str, str], seconds: float | None) -> None:
    assert retry_after_seconds(headers, NOW) == seconds


def test_backoff_doubles_with_jitter_up_to_the_cap() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=5.0)
    rng = random.Random(0)
    for retry, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 5.0), (9, 5.0)]:
        delays = [policy.backoff(retry, rng) for _ in range(50)]
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert len(set(delays)) > 1


def test_base_url_comes_from_the_option_then_the_environment() -> None:
    environment = {"OPENAI_BASE_URL": "http://gateway:8080/v1/"}
    assert resolve_base_url(None, {}) == DEFAULT_BASE_URL
    assert resolve_base_url(None, environment) == "http://gateway:8080/v1"
    assert resolve_base_url("http://127.0.0.1:9/v1", environment) == "http://127.0.0.1:9/v1"
    with pytest.raises(UsageError, match="not an http"):
        resolve_base_url("ftp://example.com", {})


def test_display_url_drops_credentials() -> None:
    assert display_url("https://user:secret@host:8443/v1?key=abc") == "https://host:8443/v1"


def test_the_key_is_only_read_from_the_environment() -> None:
    assert api_key_from({"OPENAI_API_KEY": " sk-abc "}, DEFAULT_BASE_URL) == "sk-abc"
    assert api_key_from({}, "http://127.0.0.1:8000/v1") is None
    with pytest.raises(UsageError, match="OPENAI_API_KEY is not set"):
        api_key_from({}, DEFAULT_BASE_URL)
