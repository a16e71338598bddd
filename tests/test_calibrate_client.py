"""Tests of the Chat Completions client's pure parts: URLs and keys (waits and backoff are
nbgraduate.core.http's, tested in test_http.py)."""

from __future__ import annotations

import pytest

from nbgraduate.calibrate.client import (
    DEFAULT_BASE_URL,
    api_key_from,
    display_url,
    resolve_base_url,
)
from nbgraduate.core.errors import UsageError


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
