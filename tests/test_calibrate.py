"""End-to-end tests of ``nbgraduate calibrate`` against a real HTTP server on 127.0.0.1.

Every test builds a pipeline directory by hand (notebook with a parameters cell, a judge prompt,
``calibration/``), locks it with the real ``lock_pipeline``, and runs the command through
typer's ``CliRunner`` on an app built with ``register``. The judge is a ``ThreadingHTTPServer``
speaking the Chat Completions shape; each test scripts how it misbehaves (429 with
Retry-After, 500s, stalls, other served models or fingerprints, drifted verdicts).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import nbformat
import pytest
import typer
from click.testing import Result
from hostile_server import Connection, HostileServer, Script, answer, hostile_server, response
from nbformat.v4 import new_code_cell, new_notebook
from typer.testing import CliRunner

from nbgraduate.calibrate.client import ChatClient, JudgeApiError, RetryPolicy
from nbgraduate.cli.calibrate import register
from nbgraduate.lock.locking import lock_pipeline
from nbgraduate.runs.records import RunStatus
from nbgraduate.runs.store import open_store

SNAPSHOT = "gpt-4o-2024-08-06"
API_KEY = "sk-proj-T3stK3yF0rCal1brat10nXq9Zr8Wv7Uu6Ts5Rq4Pp3"
QUESTIONS = [f"q{number:02d}" for number in range(1, 13)]
# The frozen reference: q01 pass, q02 fail, q03 pass, ...
REFERENCE = {q: "pass" if index % 2 == 0 else "fail" for index, q in enumerate(QUESTIONS)}
PROMPT = (
    "You grade answers.\n"
    "Question: {question}\n"
    "Answer: {answer}\n"
    'Reply with JSON like {"verdict": "pass"} or {{"verdict": "fail"}}.\n'
)
FAST = ["--retry-wait", "0.01", "--timeout", "5"]


# --- the judge server ---------------------------------------------------------------------


@dataclass
class JudgeServer:
    """A scripted OpenAI-compatible judge. ``verdicts`` maps a question to the answer text."""

    url: str = ""
    verdicts: dict[str, str] = field(default_factory=dict)
    served_model: str | None = None  # None: echo the requested model
    fingerprint: str | None = "fp_first"
    rate_limited: int = 0  # answer this many requests with 429 + Retry-After first
    retry_after: str = "1"
    failing: int = 0  # then this many with 500
    status: int | None = None  # answer every request with this status
    error_message: str = "server exploded"
    stall: float = 0.0  # sleep this long before answering
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer_labels(self, labels: dict[str, str]) -> None:
        self.verdicts = {q: json.dumps({"verdict": label}) for q, label in labels.items()}

    def respond(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length", "0"))
        payload = json.loads(handler.rfile.read(length))
        with self.lock:
            self.requests.append(payload)
            self.headers.append(dict(handler.headers))
            number = len(self.requests)
        if handler.path != "/v1/chat/completions":
            self._send(handler, 404, {"error": {"message": f"no route {handler.path}"}})
            return
        if self.stall:
            self.release.wait(self.stall)
        if number <= self.rate_limited:
            self._send(
                handler,
                429,
                {"error": {"message": "Rate limit reached", "type": "requests"}},
                {"Retry-After": self.retry_after},
            )
            return
        if number <= self.rate_limited + self.failing:
            self._send(handler, 500, {"error": {"message": "The server had an error"}})
            return
        if self.status is not None:
            self._send(handler, self.status, {"error": {"message": self.error_message}})
            return
        user = payload["messages"][-1]["content"]
        question = re.search(r"Question: (\S+)", user).group(1)  # type: ignore[union-attr]
        body = {
            "id": f"chatcmpl-{number}",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": self.served_model or payload["model"],
            "system_fingerprint": self.fingerprint,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": self.verdicts[question]},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 50, "completion_tokens": 5, "total_tokens": 55},
        }
        self._send(handler, 200, body)

    @staticmethod
    def _send(
        handler: BaseHTTPRequestHandler,
        status: int,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        data = json.dumps(body).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test); nothing to answer


@pytest.fixture
def server() -> Iterator[JudgeServer]:
    judge = JudgeServer()
    judge.answer_labels(REFERENCE)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            judge.respond(self)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    judge.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    try:
        yield judge
    finally:
        judge.release.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_BASE_URL", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)


# --- the pipeline -------------------------------------------------------------------------


def make_pipeline(
    root: Path,
    *,
    declaration: str | None = None,
    reference: list[dict[str, Any]] | None = None,
    judge_model: str = SNAPSHOT,
    allow_floating: bool = False,
) -> Path:
    """A locked pipeline: notebook, judge prompt and calibration set for label verdicts."""
    pipeline = root / "support_judge"
    (pipeline / "prompts").mkdir(parents=True)
    (pipeline / "prompts" / "judge_prompt.txt").write_text(PROMPT, encoding="utf-8")
    parameters = new_code_cell(
        f'judge_model: str = "{judge_model}"  # judge model id\n'
        "temperature: float = 0.0  # judge temperature\n"
        "max_tokens: int = 32  # judge max tokens\n"
        "seed: int = 7  # seed\n"
    )
    parameters.metadata["tags"] = ["parameters"]
    notebook = new_notebook(
        cells=[
            parameters,
            new_code_cell(
                "from openai import OpenAI\n"
                "client = OpenAI()\n"
                'prompt = open("prompts/judge_prompt.txt").read()\n'
                "response = client.chat.completions.create(model=judge_model, "
                "temperature=temperature, max_tokens=max_tokens, seed=seed, "
                'messages=[{"role": "user", "content": prompt}])\n'
            ),
        ],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}},
    )
    nbformat.write(notebook, str(pipeline / "support_judge.ipynb"))
    (pipeline / "requirements.txt").write_text("openai==1.40.0\n", encoding="utf-8")
    calibration = pipeline / "calibration"
    calibration.mkdir()
    (calibration / "calibration.toml").write_text(
        declaration
        if declaration is not None
        else 'prompt = "prompts/judge_prompt.txt"\nkind = "label"\nlabels = ["pass", "fail"]\n'
        '\n[parser]\njson_field = "verdict"\n',
        encoding="utf-8",
    )
    rows = (
        reference
        if reference is not None
        else [
            {"id": q, "input": {"question": q, "answer": f"answer to {q}"}, "reference": label}
            for q, label in REFERENCE.items()
        ]
    )
    (calibration / "reference.jsonl").write_text(
        "".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8"
    )
    lock_pipeline(pipeline, allow_floating=allow_floating)
    return pipeline


@pytest.fixture
def pipeline(tmp_path: Path) -> Path:
    return make_pipeline(tmp_path)


def calibrate(
    pipeline: Path, server: JudgeServer | HostileServer, *options: str, store: str | None = None
) -> Result:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Test application."""

    register(app)
    store = store or str(pipeline.parent / ".nbgraduate")
    arguments = ["calibrate", str(pipeline), "--base-url", server.url, "--store", store]
    return CliRunner().invoke(app, [*arguments, *FAST, *options])


def stored_runs(pipeline: Path) -> list[Any]:
    with open_store(pipeline.parent / ".nbgraduate") as store:
        return store.list(kind="calibration")


def drift(labels: dict[str, str], flipped: list[str]) -> dict[str, str]:
    return {
        q: ("fail" if v == "pass" else "pass") if q in flipped else v for q, v in labels.items()
    }


# --- a normal run -------------------------------------------------------------------------


def test_first_run_calls_the_pinned_judge_and_records_a_baseline(
    pipeline: Path, server: JudgeServer
) -> None:
    result = calibrate(pipeline, server)
    assert result.exit_code == 0, result.output
    assert "agreement with reference: 12/12 = 1.000, Cohen's kappa 1.000" in result.stdout
    assert "this run is the baseline" in result.stdout
    assert "result: no drift (exit 0)" in result.stdout
    assert API_KEY not in result.output

    payload = server.requests[0]
    assert payload["model"] == SNAPSHOT
    assert (payload["temperature"], payload["max_tokens"], payload["seed"]) == (0.0, 32, 7)
    user = payload["messages"][-1]["content"]
    assert user.startswith("You grade answers.\nQuestion: q")
    # {placeholders} filled, {{ }} unescaped, an unescaped JSON example left as it is
    assert 'Reply with JSON like {"verdict": "pass"} or {"verdict": "fail"}.' in user
    assert {headers["Authorization"] for headers in server.headers} == {f"Bearer {API_KEY}"}

    (record,) = stored_runs(pipeline)
    assert record.kind == "calibration" and record.status is RunStatus.PASSED
    assert record.pipeline == "support_judge"
    assert [m.model_id for m in record.models] == [SNAPSHOT]
    agreement = next(series for series in record.metrics if series.name == "agreement")
    assert agreement.values == [1.0] * 12 and agreement.ids == QUESTIONS
    assert record.usage["total_tokens"] == 12 * 55 and record.usage["requests"] == 12
    assert record.parameters["served_models"] == [SNAPSHOT]
    assert record.parameters["system_fingerprints"] == ["fp_first"]
    assert record.parameters["verdicts"] == REFERENCE
    assert record.dataset_digests.keys() == {"calibration/reference.jsonl"}
    assert API_KEY not in record.model_dump_json()
    store_text = "".join(
        path.read_text(encoding="utf-8", errors="replace")
        for path in (pipeline.parent / ".nbgraduate").rglob("*")
        if path.is_file()
    )
    assert API_KEY not in store_text


def test_an_unchanged_judge_passes_against_the_previous_run(
    pipeline: Path, server: JudgeServer
) -> None:
    assert calibrate(pipeline, server).exit_code == 0
    result = calibrate(pipeline, server)
    assert result.exit_code == 0, result.output
    assert "exact McNemar on agreement: 12/12 -> 12/12 (0 lost, 0 gained)" in result.stdout
    assert "no example changed its verdict" in result.stdout
    first, second = stored_runs(pipeline)[::-1]
    assert second.parameters["previous_run"] == first.run_id


def test_drifted_verdicts_exit_1_and_list_the_flipped_examples(
    pipeline: Path, server: JudgeServer
) -> None:
    assert calibrate(pipeline, server).exit_code == 0
    flipped = ["q01", "q02", "q03", "q05", "q07", "q08", "q10", "q11"]
    server.answer_labels(drift(REFERENCE, flipped))

    result = calibrate(pipeline, server)

    assert result.exit_code == 1, result.output
    assert "12/12 -> 4/12 (8 lost, 0 gained), p = 0.007812: SIGNIFICANT CHANGE" in result.stdout
    assert "flipped examples (8):" in result.stdout
    rows = re.findall(r"^ {4}(q\d\d) +(\w+) +(\w+) +(\w+)$", result.stdout, re.MULTILINE)
    assert rows == [(q, REFERENCE[q], REFERENCE[q], drift(REFERENCE, flipped)[q]) for q in flipped]
    assert "result: DRIFT (exit 1)" in result.stdout
    latest = stored_runs(pipeline)[0]
    assert latest.status is RunStatus.EVAL_FAILED
    assert "8 examples flipped" in latest.status_detail


def test_drift_is_caught_against_a_shared_postgresql_store(
    pipeline: Path, server: JudgeServer, postgres_url: str
) -> None:
    assert calibrate(pipeline, server, store=postgres_url).exit_code == 0
    server.answer_labels(drift(REFERENCE, ["q01", "q02", "q03", "q05", "q07", "q08", "q10"]))

    result = calibrate(pipeline, server, store=postgres_url)

    assert result.exit_code == 1, result.output
    assert "result: DRIFT (exit 1)" in result.stdout
    assert not (pipeline.parent / ".nbgraduate").exists()
    with open_store(postgres_url) as store:
        latest, first = store.list(kind="calibration")
        assert latest.parameters["previous_run"] == first.run_id
        answers = store.read_artifact(latest.run_id, "answers.jsonl").decode()
    assert len(answers.splitlines()) == len(REFERENCE)


def test_a_single_flip_is_listed_but_is_not_significant(
    pipeline: Path, server: JudgeServer
) -> None:
    assert calibrate(pipeline, server).exit_code == 0
    server.answer_labels(drift(REFERENCE, ["q04"]))
    result = calibrate(pipeline, server)
    assert result.exit_code == 0, result.output
    assert "(1 lost, 0 gained), p = 1: no significant change" in result.stdout
    assert re.search(r"^ {4}q04 +fail +fail +pass$", result.stdout, re.MULTILINE)


def test_unparseable_answers_are_counted_and_shown(pipeline: Path, server: JudgeServer) -> None:
    server.verdicts["q03"] = "I would rather not say."
    server.verdicts["q04"] = '```json\n{"verdict": "FAIL"}\n```'  # fenced, other case: parses
    server.verdicts["q05"] = '{"verdict": "maybe"}'  # not a declared label
    result = calibrate(pipeline, server)
    assert result.exit_code == 0, result.output
    assert "agreement with reference: 10/12 = 0.833" in result.stdout
    assert "unparseable 2" in result.stdout
    assert "unparseable answers (2):" in result.stdout
    assert "q03: 'I would rather not say.'" in result.stdout
    (record,) = stored_runs(pipeline)
    unparseable = next(series for series in record.metrics if series.name == "unparseable")
    assert sum(unparseable.values) == 2
    assert record.parameters["verdicts"]["q03"] is None


# --- what the provider says it served -----------------------------------------------------


def test_a_served_model_other_than_the_pinned_one_is_drift(
    pipeline: Path, server: JudgeServer
) -> None:
    assert calibrate(pipeline, server).exit_code == 0
    server.served_model = "gpt-4o-2024-11-20"
    result = calibrate(pipeline, server)
    assert result.exit_code == 1, result.output
    assert "no significant change" in result.stdout  # the verdicts did not move
    assert (
        "drift: the server served gpt-4o-2024-11-20, not the pinned gpt-4o-2024-08-06"
        in result.stdout
    )
    latest = stored_runs(pipeline)[0]
    assert latest.parameters["served_models"] == ["gpt-4o-2024-11-20"]
    assert latest.status is RunStatus.EVAL_FAILED


def test_a_fingerprint_change_alone_is_a_warning(pipeline: Path, server: JudgeServer) -> None:
    assert calibrate(pipeline, server).exit_code == 0
    server.fingerprint = "fp_second"
    result = calibrate(pipeline, server)
    assert result.exit_code == 0, result.output
    assert "warning: system_fingerprint changed since run " in result.stdout
    assert "fp_first -> fp_second (scores did not move)" in result.stdout
    latest = stored_runs(pipeline)[0]
    assert latest.status is RunStatus.PASSED
    assert latest.parameters["system_fingerprints"] == ["fp_second"]
    assert "system_fingerprint fp_first -> fp_second" in latest.status_detail


# --- an unreliable API --------------------------------------------------------------------


def test_429_with_retry_after_is_waited_out_then_succeeds(
    pipeline: Path, server: JudgeServer
) -> None:
    server.rate_limited = 1
    started = time.monotonic()
    result = calibrate(pipeline, server, "--concurrency", "1")
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started >= 1.0  # Retry-After: 1, not the 0.01 s backoff
    assert "13 requests (1 retried: 429 x1)" in result.stdout
    (record,) = stored_runs(pipeline)
    assert record.usage["retries"] == 1


def test_transient_500s_are_retried(pipeline: Path, server: JudgeServer) -> None:
    server.failing = 3
    result = calibrate(pipeline, server, "--concurrency", "1")
    assert result.exit_code == 0, result.output
    assert "(3 retried: 500 x3)" in result.stdout


def test_persistent_500s_are_an_infrastructure_failure(pipeline: Path, server: JudgeServer) -> None:
    assert calibrate(pipeline, server).exit_code == 0
    server.status = 500
    result = calibrate(pipeline, server, "--retries", "2", "--concurrency", "2")
    assert result.exit_code == 3, result.output
    assert "failed after 3 attempts: HTTP 500: server exploded" in result.stdout
    assert "INFRASTRUCTURE ERROR (exit 3)" in result.stdout
    assert "DRIFT" not in result.stdout
    # The batch stops at the first request that fails for good: 2 in flight, 3 attempts each.
    assert len(server.requests) <= 12 + 2 * 3
    latest = stored_runs(pipeline)[0]
    assert latest.status is RunStatus.INFRASTRUCTURE_ERROR
    assert latest.metrics == [] and "verdicts" not in latest.parameters

    # A failed run is never the run the next one is compared with.
    server.status = None
    again = calibrate(pipeline, server)
    assert again.exit_code == 0
    assert stored_runs(pipeline)[0].parameters["previous_run"] == stored_runs(pipeline)[2].run_id


def test_a_stall_past_the_timeout_is_an_infrastructure_failure(
    pipeline: Path, server: JudgeServer
) -> None:
    server.stall = 10.0
    started = time.monotonic()
    result = calibrate(pipeline, server, "--timeout", "0.3", "--retries", "1")
    assert result.exit_code == 3, result.output
    assert "failed after 2 attempts: no complete answer within 0.3 s" in result.stdout
    assert time.monotonic() - started < 5


def test_other_4xx_are_not_retried_and_an_echoed_key_is_masked(
    pipeline: Path, server: JudgeServer
) -> None:
    server.status = 401
    server.error_message = f"Incorrect API key provided: {API_KEY}. Find your key at ..."
    result = calibrate(pipeline, server, "--concurrency", "1")
    assert result.exit_code == 3, result.output
    assert len(server.requests) == 1
    assert "refused the request (HTTP 401: Incorrect API key provided: sk-p…" in result.stdout
    assert API_KEY not in result.output
    (record,) = stored_runs(pipeline)
    assert API_KEY not in record.model_dump_json()


# --- a hostile API: never drift, always an infrastructure failure ---------------------------


def completion(content: str, padding: int = 0) -> bytes:
    body = {
        "model": SNAPSHOT,
        "choices": [{"message": {"role": "assistant", "content": content}}],
        "padding": "x" * padding,
    }
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        # 20 MB of otherwise valid answer: the body limit is 10 MiB.
        (answer(200, completion('{"verdict": "pass"}', padding=20_000_000)), "-byte limit"),
        # JSON nested 100,000 deep once made json.loads raise RecursionError (a traceback).
        (answer(200, b"[" * 100_000 + b"]" * 100_000), "nested more than 64 levels"),
        (answer(200, b"<html>oops</html>"), "not JSON"),
        (answer(200, b'{"choices": [{"message": {"content": [{"text": 7}]}}], "model": 7}'), None),
        (
            answer(
                200,
                completion("pass").replace(b'"model"', b'"usage": {"total_tokens": 1e999}, "x"'),
            ),
            None,
        ),
        (
            answer(200, completion("pass").replace(SNAPSHOT.encode(), b"m" * 5000)),
            "not an identifier",
        ),
        (
            answer(429, b"{}", {"x-ratelimit-reset-requests": "2h0m0s"}),
            "a usage limit, not a pause",
        ),
        (answer(429, b"{}", {"retry-after": "99999999999999999"}), "in more than a year"),
    ],
)
def test_a_hostile_answer_is_an_infrastructure_failure_never_drift(
    pipeline: Path, script: Script, reason: str | None
) -> None:
    with hostile_server(script) as hostile:
        result = calibrate(pipeline, hostile, "--retries", "1")
    if result.exit_code == 3:
        assert "INFRASTRUCTURE ERROR (exit 3)" in result.stdout
        if reason is not None:
            assert reason in result.stdout, result.stdout
    else:
        # An answer the API allows but the parser cannot read is an unparseable verdict.
        assert reason is None and result.exit_code == 0, result.output
    assert "DRIFT" not in result.stdout
    assert "Traceback" not in result.output


def test_a_dripping_judge_cannot_hold_a_request_past_its_deadline(pipeline: Path) -> None:
    def drip(connection: Connection) -> None:
        whole = response(200, completion('{"verdict": "pass"}'))
        connection.drip(whole, every=0.1)

    with hostile_server(drip) as hostile:
        started = time.monotonic()
        result = calibrate(pipeline, hostile, "--timeout", "0.5", "--retries", "0")
    assert time.monotonic() - started < 10
    assert result.exit_code == 3, result.output
    assert "no complete answer within 0.5 s" in result.stdout


# --- --write-reference --------------------------------------------------------------------


def test_write_reference_records_the_current_verdicts_and_relocks(
    pipeline: Path, server: JudgeServer
) -> None:
    assert calibrate(pipeline, server).exit_code == 0
    new_labels = drift(REFERENCE, ["q01", "q02", "q03", "q04", "q05", "q06"])
    server.answer_labels(new_labels)
    before = (pipeline / "calibration" / "reference.jsonl").read_text(encoding="utf-8")

    result = calibrate(pipeline, server, "--write-reference")

    assert result.exit_code == 0, result.output
    assert "SIGNIFICANT CHANGE" in result.stdout  # reported, then accepted
    assert "wrote 6 changed reference verdicts" in result.stdout
    assert "result: new reference recorded (exit 0)" in result.stdout
    after = (pipeline / "calibration" / "reference.jsonl").read_text(encoding="utf-8")
    rows = [json.loads(line) for line in after.splitlines()]
    assert {row["id"]: row["reference"] for row in rows} == new_labels
    # Unchanged lines are kept byte for byte.
    assert before.splitlines()[6:] == after.splitlines()[6:]

    # The next run compares with the run that wrote the reference: same judge, no drift.
    again = calibrate(pipeline, server)
    assert again.exit_code == 0, again.output
    assert "agreement with reference: 12/12" in again.stdout
    assert "no example changed its verdict" in again.stdout


def test_write_reference_bumps_the_contract_when_the_lock_records_calibration(
    tmp_path: Path, server: JudgeServer
) -> None:
    pipeline = make_pipeline(tmp_path)
    server.answer_labels(drift(REFERENCE, ["q01"]))

    result = calibrate(pipeline, server, "--write-reference")

    assert result.exit_code == 0, result.output
    assert "re-locked: eval contract 1.0.0 -> 2.0.0" in result.stdout
    assert "- dataset reference.jsonl: content changed (same row count)" in result.stdout
    changelog = (pipeline / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## 2.0.0" in changelog and "reference.jsonl: content changed" in changelog
    assert "note: nbgraduate.lock does not record" not in result.stdout


def test_a_reference_edited_since_locking_is_refused(tmp_path: Path, server: JudgeServer) -> None:
    pipeline = make_pipeline(tmp_path)
    reference = pipeline / "calibration" / "reference.jsonl"
    reference.write_text(reference.read_text(encoding="utf-8").replace('"pass"', '"fail"', 1))
    result = calibrate(pipeline, server)
    assert result.exit_code == 2
    assert "reference.jsonl: changed since it was locked" in result.stderr
    assert server.requests == []


def test_write_reference_is_refused_when_answers_do_not_parse(
    pipeline: Path, server: JudgeServer
) -> None:
    server.verdicts["q02"] = "no idea"
    before = (pipeline / "calibration" / "reference.jsonl").read_bytes()
    result = calibrate(pipeline, server, "--write-reference")
    assert result.exit_code == 1, result.output
    assert "reference NOT written: 1 answer did not parse (q02)" in result.stdout
    assert (pipeline / "calibration" / "reference.jsonl").read_bytes() == before


def test_write_reference_refuses_to_accept_unrelated_changes_with_the_relock(
    pipeline: Path, server: JudgeServer
) -> None:
    (pipeline / "requirements.txt").write_text("openai==1.41.0\n", encoding="utf-8")
    lock_before = (pipeline / "nbgraduate.lock").read_bytes()
    result = calibrate(pipeline, server, "--write-reference")
    assert result.exit_code == 2
    assert "would also accept other changes since the lock: requirement openai" in result.stderr
    assert "run `nbgraduate lock` first" in result.stderr
    assert server.requests == []
    assert (pipeline / "nbgraduate.lock").read_bytes() == lock_before


# --- scores -------------------------------------------------------------------------------


SCORE_DECLARATION = (
    'prompt = "prompts/judge_prompt.txt"\nkind = "score"\n\n[parser]\nregex = "Score: *([0-9.]+)"\n'
)
SCORES = {q: float(1 + index % 5) for index, q in enumerate(QUESTIONS)}


def test_scores_report_mad_and_spearman_and_catch_drift(
    tmp_path: Path, server: JudgeServer
) -> None:
    rows = [
        {"id": q, "input": {"question": q, "answer": "..."}, "reference": int(score)}
        for q, score in SCORES.items()
    ]
    pipeline = make_pipeline(tmp_path, declaration=SCORE_DECLARATION, reference=rows)
    server.verdicts = {q: f"Reasoning...\nScore: {score:g}" for q, score in SCORES.items()}
    server.verdicts["q01"] = "Score: 2"  # off by one against the reference

    first = calibrate(pipeline, server)
    assert first.exit_code == 0, first.output
    assert "mean absolute difference 0.083, Spearman" in first.stdout
    (record,) = stored_runs(pipeline)
    errors = next(series for series in record.metrics if series.name == "absolute_error")
    assert errors.values[0] == 1.0 and sum(errors.values) == 1.0

    # Every score drifts by two points: the judge became harsher.
    server.verdicts = {q: f"Score: {score + 2:g}" for q, score in SCORES.items()}
    second = calibrate(pipeline, server)
    assert second.exit_code == 1, second.output
    assert "Wilcoxon signed-rank on absolute error: mean absolute error 0.083 -> 2.000" in (
        second.stdout
    )
    assert re.search(r"^ {4}q02 +2 +2 +4$", second.stdout, re.MULTILINE)


# --- refused before any request -----------------------------------------------------------


def test_a_floating_judge_is_refused(tmp_path: Path, server: JudgeServer) -> None:
    pipeline = make_pipeline(tmp_path, judge_model="gpt-4o", allow_floating=True)
    result = calibrate(pipeline, server)
    assert result.exit_code == 2
    assert "judge model 'gpt-4o' floats" in result.stderr
    assert server.requests == []


def test_a_prompt_edited_since_locking_is_refused(pipeline: Path, server: JudgeServer) -> None:
    prompt = pipeline / "prompts" / "judge_prompt.txt"
    prompt.write_text(PROMPT + "Be strict.\n", encoding="utf-8")
    result = calibrate(pipeline, server)
    assert result.exit_code == 2
    assert "judge_prompt.txt: prompt changed since it was locked" in result.stderr
    assert server.requests == []


def test_the_openai_api_needs_a_key_from_the_environment(
    pipeline: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    app = typer.Typer()
    app.callback()(lambda: None)
    register(app)
    result = CliRunner().invoke(app, ["calibrate", str(pipeline)])
    assert result.exit_code == 2
    assert "OPENAI_API_KEY is not set" in result.stderr


@pytest.mark.parametrize("confidence", ["1", "0", "1.5"])
def test_confidence_must_be_a_probability(
    pipeline: Path, server: JudgeServer, confidence: str
) -> None:
    result = calibrate(pipeline, server, "--confidence", confidence)
    assert result.exit_code == 2
    assert "--confidence must be between 0 and 1" in result.stderr


@pytest.mark.parametrize(
    ("declaration", "message"),
    [
        (
            'prompt = "prompts/judge_prompt.txt"\nkind = "label"\nlables = []\n[parser]\n'
            'json_field = "v"\n',
            "unknown key 'lables'",
        ),
        ('prompt = "prompts/judge_prompt.txt"\nkind = "grade"\n', 'kind must be "label" or'),
        ('prompt = "prompts/judge_prompt.txt"\nkind = "label"\n', "missing [parser] table"),
        (
            'prompt = "prompts/judge_prompt.txt"\nkind = "label"\n[parser]\nregex = "("\n',
            "[parser] regex does not compile",
        ),
        (
            'prompt = "prompts/judge_prompt.txt"\nkind = "label"\n[parser]\nregex = "x"\n'
            'json_field = "v"\n',
            "[parser] needs exactly one of regex and json_field",
        ),
        (
            'prompt = "prompts/other.txt"\nkind = "label"\n[parser]\njson_field = "v"\n',
            "prompts/other.txt is not a prompt recorded in nbgraduate.lock",
        ),
        (
            'prompt = "prompts/judge_prompt.txt"\nkind = "label"\nlabels = ["good", "bad"]\n'
            '[parser]\njson_field = "v"\n',
            "line 1: reference 'pass' is not a declared label (good, bad)",
        ),
        ("kind = = 1\n", "not valid TOML"),
    ],
)
def test_declaration_problems_are_one_line_errors(
    tmp_path: Path, server: JudgeServer, declaration: str, message: str
) -> None:
    pipeline = make_pipeline(tmp_path, declaration=declaration)
    result = calibrate(pipeline, server)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert server.requests == []


def test_reference_problems_name_the_line(tmp_path: Path, server: JudgeServer) -> None:
    rows = [
        {"id": "a", "input": {"question": "a", "answer": "x"}, "reference": "pass"},
        {"id": "a", "input": {"question": "b", "answer": "x"}, "reference": "fail"},
    ]
    pipeline = make_pipeline(tmp_path, reference=rows)
    result = calibrate(pipeline, server)
    assert result.exit_code == 2
    assert "reference.jsonl: line 2: id 'a' already used on line 1" in result.stderr


def test_an_input_missing_a_placeholder_is_refused(tmp_path: Path, server: JudgeServer) -> None:
    rows = [{"id": "a", "input": {"question": "a"}, "reference": "pass"}]
    pipeline = make_pipeline(tmp_path, reference=rows)
    result = calibrate(pipeline, server)
    assert result.exit_code == 2
    assert "line 1: input has no field for placeholder(s) answer" in result.stderr


# --- the client on its own ----------------------------------------------------------------


def test_the_client_stops_the_batch_on_the_first_final_failure(server: JudgeServer) -> None:
    server.status = 400
    payloads = {
        f"q{n}": {"model": SNAPSHOT, "messages": [{"role": "user", "content": "Question: q01"}]}
        for n in range(50)
    }
    with (
        ChatClient(server.url, None, timeout=5, concurrency=2, retry=RetryPolicy()) as client,
        pytest.raises(JudgeApiError) as raised,
    ):
        client.complete_all(payloads)
    assert raised.value.status_code == 400
    assert len(server.requests) <= 3


def test_the_client_never_sends_an_authorization_header_without_a_key(
    server: JudgeServer,
) -> None:
    payload = {"model": SNAPSHOT, "messages": [{"role": "user", "content": "Question: q01"}]}
    with ChatClient(server.url, None, timeout=5, concurrency=1) as client:
        answer = client.complete(payload)
    assert answer.served_model == SNAPSHOT and answer.system_fingerprint == "fp_first"
    assert answer.total_tokens == 55
    assert "Authorization" not in server.headers[0]
