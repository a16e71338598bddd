"""nbgraduate's one HTTP policy against servers on 127.0.0.1 that misbehave on purpose.

Every bound is tested with a server that would break it: a gigabyte promised, a body that never
ends, headers or a body dripped a byte at a time, JSON nested 100,000 deep, a redirect, and a
rate-limit reset in the year 3 billion.
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timezone
from email.utils import format_datetime

import pytest
from hostile_server import Connection, answer, closed_port_url, hostile_server, response

from nbgraduate.core.http import (
    BodyTooLarge,
    DeadlineExceeded,
    Limits,
    MalformedBody,
    NetworkFailure,
    RequestCancelled,
    RetryPolicy,
    describe_seconds,
    new_client,
    parse_json,
    request,
    send,
    server_wait,
    shorten,
)

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc).timestamp()
FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02, max_wait=5)


# --- what the server asks to wait ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "2"}, 2.0),
        ({"retry-after": " 0 "}, 0.0),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after-ms": "soon", "retry-after": "3"}, 3.0),
        ({"retry-after": format_datetime(datetime.fromtimestamp(NOW + 30, timezone.utc))}, 30.0),
        ({"retry-after": format_datetime(datetime.fromtimestamp(NOW - 30, timezone.utc))}, 0.0),
        ({"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 90)}, 90.0),
        ({"x-ratelimit-remaining": "10", "x-ratelimit-reset": str(int(NOW) + 90)}, None),
        ({"x-ratelimit-reset-requests": "6m0s", "x-ratelimit-reset-tokens": "20ms"}, 360.0),
        ({"x-ratelimit-reset-requests": "1h2m3.5s"}, 3723.5),
        ({"retry-after": "-5"}, None),
        ({"retry-after": "whenever"}, None),
        ({"retry-after": "9" * 5000}, None),
        ({"x-ratelimit-reset-requests": "soon"}, None),
        ({}, None),
    ],
)
def test_server_wait(headers: dict[str, str], seconds: float | None) -> None:
    wait = server_wait(headers, NOW)
    assert (wait.seconds if wait else None) == seconds


@pytest.mark.parametrize(
    "headers",
    [
        {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "99999999999999999"},
        {"retry-after": "1e400"},
        {"retry-after-ms": "99999999999999999999999"},
    ],
)
def test_an_absurd_wait_is_described_not_a_crash(headers: dict[str, str]) -> None:
    wait = server_wait(headers, NOW)
    assert wait is not None and wait.reset_at is None
    assert wait.describe() == "in more than a year"


def test_a_real_reset_is_described_with_its_date() -> None:
    wait = server_wait(
        {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 600)}, NOW
    )
    assert wait is not None
    assert wait.describe() == "at 2026-01-05 12:10:00 UTC (in about 10 min)"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(2.5, "2.5 s"), (150, "about 2 min"), (4 * 3600, "about 4 h"), (5 * 86400, "about 5 days")],
)
def test_describe_seconds(seconds: float, text: str) -> None:
    assert describe_seconds(seconds) == text


def test_backoff_doubles_with_jitter_up_to_the_cap() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=5.0)
    rng = random.Random(0)
    for retry, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 5.0), (9, 5.0)]:
        delays = [policy.backoff(retry, rng) for _ in range(50)]
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert len(set(delays)) > 1


# --- bodies ------------------------------------------------------------------------------------


def test_json_nested_without_limit_is_refused_before_parsing() -> None:
    started = time.monotonic()
    with pytest.raises(MalformedBody, match="nested more than 64 levels"):
        parse_json(b"[" * 100_000 + b"]" * 100_000)
    assert time.monotonic() - started < 2
    # Brackets inside strings are text, not nesting.
    quoted = b'{"a": "' + b"[" * 100 + b'"}'
    assert parse_json(quoted) == {"a": "[" * 100}
    with pytest.raises(MalformedBody, match="not JSON"):
        parse_json(b"<html>")


def test_messages_are_one_line_and_cut() -> None:
    assert shorten("a\nb\r\nc" + "x" * 500, 20) == "a b c" + "x" * 14 + "…"


def test_a_promised_gigabyte_is_refused_before_reading() -> None:
    script = answer(200, b"{}", {"Content-Length": str(1024**3)})
    with (
        hostile_server(script) as server,
        new_client() as client,
        pytest.raises(BodyTooLarge, match="1,073,741,824 bytes"),
    ):
        send(client, "GET", server.url, limits=Limits(max_body_bytes=1024 * 1024))


def test_an_endless_body_is_cut_at_the_limit() -> None:
    def endless(connection: Connection) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n"
        if connection.send(head):
            while not connection.stop.is_set() and connection.send(b" " * 65536):
                pass

    with hostile_server(endless) as server, new_client() as client:
        started = time.monotonic()
        with pytest.raises(BodyTooLarge, match="more than the 1,048,576-byte limit"):
            send(client, "GET", server.url, limits=Limits(max_body_bytes=1024 * 1024))
        assert time.monotonic() - started < 5


@pytest.mark.parametrize("phase", ["headers", "body"])
def test_a_dripping_server_cannot_extend_the_deadline(phase: str) -> None:
    def drip(connection: Connection) -> None:
        body = b"[" + b"1," * 1000 + b"1]"
        whole = response(200, body)
        split = whole.index(b"\r\n\r\n") + 4 if phase == "body" else 0
        connection.send(whole[:split]) and connection.drip(whole[split:], every=0.05)

    with hostile_server(drip) as server, new_client(read_timeout=10) as client:
        started = time.monotonic()
        with pytest.raises(DeadlineExceeded, match=r"no complete answer within 0\.6 s"):
            send(client, "GET", server.url, limits=Limits(deadline=0.6))
        assert time.monotonic() - started < 3


def test_a_redirect_is_returned_not_followed() -> None:
    with hostile_server(answer(200, b'{"ok": true}')) as elsewhere:
        script = answer(307, b"", {"Location": f"{elsewhere.url}/steal"})
        with hostile_server(script) as server, new_client() as client:
            result = send(client, "POST", server.url, json={"body": "secret"})
    assert result.status_code == 307
    assert elsewhere.connections == []


def test_a_refused_connection_was_not_sent() -> None:
    with new_client() as client, pytest.raises(NetworkFailure) as raised:
        send(client, "GET", closed_port_url())
    assert raised.value.maybe_sent is False
    assert "\n" not in str(raised.value)


# --- retries -----------------------------------------------------------------------------------


def test_retries_follow_the_policy_and_stop_at_the_last_attempt() -> None:
    with hostile_server(answer(503, b'{"message": "busy"}')) as server, new_client() as client:
        reasons: list[str] = []
        exchange = request(
            client,
            "GET",
            server.url,
            policy=FAST,
            on_retry=lambda reason, _delay: reasons.append(reason),
        )
    assert (exchange.response.status_code, exchange.attempts) == (503, 3)
    assert reasons == ["503", "503"]
    assert len(server.connections) == 3


def test_a_wait_longer_than_the_policy_allows_is_not_waited_for() -> None:
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "99999999999999999"}
    with hostile_server(answer(429, b"{}", headers)) as server, new_client() as client:
        started = time.monotonic()
        exchange = request(client, "GET", server.url, policy=FAST)
    assert time.monotonic() - started < 2
    assert exchange.attempts == 1 and exchange.refused_wait is not None
    assert exchange.refused_wait.describe() == "in more than a year"


def test_a_post_that_may_have_arrived_is_not_resent_when_told() -> None:
    def hang_up(connection: Connection) -> None:
        connection.sock.close()

    with (
        hostile_server(hang_up) as server,
        new_client() as client,
        pytest.raises(NetworkFailure) as raised,
    ):
        request(client, "POST", server.url, policy=FAST, resend_if_maybe_sent=False, json={})
    assert raised.value.maybe_sent is True
    assert len(server.connections) == 1


def test_a_stop_request_ends_the_wait() -> None:
    with (
        hostile_server(answer(500)) as server,
        new_client() as client,
        pytest.raises(RequestCancelled),
    ):
        request(client, "GET", server.url, policy=FAST, sleep=lambda _seconds: True)
    assert len(server.connections) == 1


def test_an_answer_is_read_whole() -> None:
    body = b'{"items": [' + b",".join(b'"%d"' % n for n in range(5000)) + b"]}"
    link = {"Link": '<http://x/?page=2>; rel="next"'}
    with hostile_server(answer(200, body, link)) as server, new_client() as client:
        result = send(client, "GET", server.url)
    assert result.is_success and len(result.json()["items"]) == 5000
    assert result.next_link() == "http://x/?page=2"
    assert "accept-encoding: identity" in server.connections[0].request_head.decode().lower()
