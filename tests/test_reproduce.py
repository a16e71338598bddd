"""``nbgraduate reproduce`` end to end: real git, real kernels, a loopback judge.

One repository, three commits, two tiny pipelines reading datasets git ignores (as data in a
bucket mount or a shared folder often is, so only the run store's snapshot can bring old
bytes back):

* ``evals/even``: deterministic, reads ``data/golden.csv``; between the commits the dataset is
  edited in place and the notebook changes. Its first run reproduces *identical*, from the
  snapshot, in a worktree; with the snapshot deleted it *cannot be reproduced*.
* ``evals/judged``: asks a loopback stand-in judge (``JudgeServer``, 127.0.0.1 only) about each
  question and records the served model and fingerprint; seeded, but the judge samples some
  answers with entropy of its own, as a provider's best-effort seed does, and the run has
  repeats. It reproduces *within variation*; once the judge changed its answers it is
  *diverged*, with the flipped examples and the fingerprint, old and new.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from tiny_pipelines import EVEN_ANSWERS, cli, git, new_project, run_id_of, show, write_pipeline

from nbgraduate.runs.objects import LocalObjectArea
from nbgraduate.runs.store import open_store

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

GOLDEN = "id,answer\nq1,4\nq2,6\nq3,9\nq4,10\nq5,3\n"
QUESTIONS = 40
#: Questions the judge answers by a coin flip of its own (a sampled answer no seed pins).
NOISY = {f"k{index:02d}" for index in range(0, 16, 2)}
#: Stable questions whose answer the judge changes later (PASS -> FAIL).
FLIPPED = [f"k{index:02d}" for index in range(20, 32)]
JUDGE = "judge-2024-08-06"

JUDGED = (
    "import csv, json, os, urllib.request\n"
    "import nbgraduate\n"
    "with open(dataset, encoding='utf-8') as handle:\n"
    "    rows = list(csv.DictReader(handle))\n"
    "def ask(question):\n"
    "    body = json.dumps({'model': judge_model, 'temperature': temperature, 'seed': seed,\n"
    "        'messages': [{'role': 'user', 'content': f'Question: {question}'}]}).encode()\n"
    "    request = urllib.request.Request(os.environ['JUDGE_BASE_URL'] + '/v1/chat/completions',\n"
    "        data=body, headers={'Content-Type': 'application/json'})\n"
    "    with urllib.request.urlopen(request, timeout=30) as response:\n"
    "        return json.load(response)\n"
    "passed = []\n"
    "for row in rows:\n"
    "    reply = ask(row['id'])\n"
    "    nbgraduate.record_served(reply, requested=judge_model)\n"
    "    passed.append(reply['choices'][0]['message']['content'] == 'PASS')\n"
    "nbgraduate.record('passed', passed, ids=[row['id'] for row in rows])\n"
)


@dataclass
class JudgeServer:
    """An OpenAI-compatible stand-in judge on 127.0.0.1: a fixed verdict per question, coin
    flips (fresh entropy, not the request's seed) for the noisy ones."""

    verdicts: dict[str, str]
    noisy: set[str]
    fingerprint: str = "fp_first"
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)
    entropy: random.Random = field(default_factory=random.SystemRandom)

    def answer(self, question: str) -> str:
        with self.lock:
            if question in self.noisy:
                return self.entropy.choice(["PASS", "FAIL"])
            return self.verdicts[question]


@pytest.fixture(scope="module")
def judge() -> Iterator[JudgeServer]:
    server_state = JudgeServer(
        verdicts={f"k{index:02d}": "PASS" if index % 5 else "FAIL" for index in range(QUESTIONS)},
        noisy=set(NOISY),
    )

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            question = payload["messages"][-1]["content"].removeprefix("Question: ")
            body = json.dumps(
                {
                    "id": "chatcmpl-1",
                    "object": "chat.completion",
                    "model": payload["model"],
                    "system_fingerprint": server_state.fingerprint,
                    "choices": [
                        {
                            "index": 0,
                            "message": {
                                "role": "assistant",
                                "content": server_state.answer(question),
                            },
                            "finish_reason": "stop",
                        }
                    ],
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server_state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server_state
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class History:
    """The repository after its three commits, and the runs made at the first."""

    root: Path
    commits: list[str]
    even_run: str
    judged_run: str
    env: dict[str, str]

    def cli(self, *args: str):
        return cli(self.root, *args, env=self.env)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory, judge: JudgeServer) -> History:
    env = {"JUDGE_BASE_URL": judge.url}
    root = new_project(tmp_path_factory.mktemp("reproduce") / "project")
    (root / "data" / "golden.csv").write_text(GOLDEN, encoding="utf-8")
    (root / "data" / "questions.csv").write_text(
        "id\n" + "".join(f"k{index:02d}\n" for index in range(QUESTIONS)), encoding="utf-8"
    )
    even = write_pipeline(
        root / "evals" / "even",
        'dataset: str = "../../data/golden.csv"  # dataset\nseed: int = 0  # seed',
        EVEN_ANSWERS,
    )
    judged = write_pipeline(
        root / "evals" / "judged",
        'dataset: str = "../../data/questions.csv"  # dataset\n'
        f'judge_model: str = "{JUDGE}"  # judge model id\n'
        "temperature: float = 0.7  # judge temperature\n"
        "seed: int = 0  # seed",
        JUDGED,
    )
    commits = []
    for pipeline in (even, judged):
        locked = cli(root, "lock", str(pipeline.relative_to(root)), "--allow-floating")
        assert locked.returncode == 0, locked.stderr
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "two pipelines")
    commits.append(git(root, "rev-parse", "HEAD").strip())

    first_even = cli(root, "run", "evals/even", env=env)
    assert first_even.returncode == 0, first_even.stderr
    first_judged = cli(root, "run", "evals/judged", "--repeats", "2", env=env)
    assert first_judged.returncode == 0, first_judged.stderr

    # Commit 2: the dataset is edited in place (git does not see it), the notebook changes.
    (root / "data" / "golden.csv").write_text(GOLDEN.replace("q3,9", "q3,12"), encoding="utf-8")
    notebook = even / "even.ipynb"
    notebook.write_text(
        notebook.read_text(encoding="utf-8").replace("% 2 == 0", "% 3 == 0"), encoding="utf-8"
    )
    assert cli(root, "lock", "evals/even").returncode == 0
    git(root, "commit", "-q", "-am", "score multiples of three")
    commits.append(git(root, "rev-parse", "HEAD").strip())

    # Commit 3: the judged notebook changes too.
    notebook = judged / "judged.ipynb"
    notebook.write_text(
        notebook.read_text(encoding="utf-8").replace("timeout=30", "timeout=20"),
        encoding="utf-8",
    )
    assert cli(root, "lock", "evals/judged", "--allow-floating").returncode == 0
    git(root, "commit", "-q", "-am", "shorter judge timeout")
    commits.append(git(root, "rev-parse", "HEAD").strip())
    return History(root, commits, run_id_of(first_even), run_id_of(first_judged), env)


def _untouched(history: History, status_before: str) -> None:
    """The user's checkout is as it was: HEAD, status, no worktree left behind."""
    assert git(history.root, "rev-parse", "HEAD").strip() == history.commits[-1]
    assert git(history.root, "status", "--porcelain") == status_before
    assert len(git(history.root, "worktree", "list").splitlines()) == 1


def test_deterministic_run_of_the_first_commit_reproduces_identical_from_its_snapshot(
    history: History,
) -> None:
    status_before = git(history.root, "status", "--porcelain")
    edited = (history.root / "data" / "golden.csv").read_bytes()
    result = history.cli("reproduce", history.even_run)
    assert result.returncode == 0, (result.stdout, result.stderr)
    lines = result.stdout.splitlines()
    assert lines[0] == "nbgraduate reproduce: REPRODUCED (identical)"
    assert f"commit {history.commits[0][:8]}" in lines[1]
    assert "dataset ../../data/golden.csv (sha256 " in result.stdout
    assert "): from the snapshot" in result.stdout
    assert "correct  identical  0.6 -> 0.6  n 5" in result.stdout
    _untouched(history, status_before)
    assert (history.root / "data" / "golden.csv").read_bytes() == edited

    (new_id,) = re.findall(r"^reproduction:\s+(\S+)", result.stdout, flags=re.MULTILINE)
    reproduction = show(history.root, new_id)
    assert reproduction.reproduction is not None
    assert (reproduction.reproduction.of, reproduction.reproduction.verdict) == (
        history.even_run,
        "identical",
    )
    assert reproduction.git_commit == history.commits[0] and reproduction.git_dirty is False
    assert reproduction.pipeline == "evals/even"
    original = show(history.root, history.even_run)
    assert reproduction.metrics == original.metrics
    assert reproduction.parameters == original.parameters


def test_stochastic_run_with_repeats_reproduces_within_its_variation(history: History) -> None:
    result = history.cli("reproduce", history.judged_run, "--margin", "0.2")
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert result.stdout.startswith(
        "nbgraduate reproduce: REPRODUCED (within run-to-run variation)\n"
    )
    assert "passed  within variation  " in result.stdout
    assert " within +-0.2 (paired t, two one-sided tests)" in result.stdout
    assert "the original's repeats scored " in result.stdout
    assert f"served: {JUDGE} fingerprint fp_first (as in the original)" in result.stdout
    changed = [line for line in result.stdout.splitlines() if line.strip().startswith("k")]
    assert changed, result.stdout
    assert all(line.split(":")[0].strip() in NOISY for line in changed)
    assert all("the original's repeats disagreed" in line or "agreed" in line for line in changed)


def test_judge_that_changed_its_answers_diverges_with_the_flipped_examples(
    history: History, judge: JudgeServer
) -> None:
    with judge.lock:
        saved = dict(judge.verdicts), judge.fingerprint
        for question in FLIPPED:
            judge.verdicts[question] = "FAIL" if judge.verdicts[question] == "PASS" else "PASS"
        judge.fingerprint = "fp_second"
    try:
        result = history.cli(
            "reproduce", history.judged_run, "--margin", "0.2", "--output-format", "json"
        )
    finally:
        with judge.lock:
            judge.verdicts, judge.fingerprint = saved
    assert result.returncode == 1, (result.stdout, result.stderr)
    report = json.loads(result.stdout)
    assert (report["verdict"], report["exit_code"]) == ("diverged", 1)
    (metric,) = report["metrics"]
    assert metric["equivalent"] is False
    stable = {example["id"] for example in metric["changed"] if example["stable_in_original"]}
    # Every flipped question was stable in the original; a noisy one may have looked stable
    # in two repeats by chance.
    assert set(FLIPPED) <= stable and stable - set(FLIPPED) <= NOISY
    assert report["reasons"] and "is not shown to be within +-0.2" in report["reasons"][0]
    assert report["served"]["changed"] is True
    assert {s["system_fingerprint"] for s in report["served"]["original"]} == {"fp_first"}
    assert {s["system_fingerprint"] for s in report["served"]["reproduction"]} == {"fp_second"}
    with open_store(history.root / ".nbgraduate", create=False) as store:
        stored = store.get(report["reproduction"]["run_id"])
    assert stored.reproduction is not None and stored.reproduction.verdict == "diverged"
    assert stored.reproduction.changed_examples >= len(FLIPPED)


def test_a_run_whose_snapshot_was_deleted_cannot_be_reproduced(
    history: History,
) -> None:
    status_before = git(history.root, "status", "--porcelain")
    original = show(history.root, history.even_run)
    (dataset,) = original.datasets
    assert dataset.kept and dataset.sha256
    area = LocalObjectArea(history.root / ".nbgraduate" / "objects")
    area.path_of(dataset.sha256).unlink()
    result = history.cli("reproduce", history.even_run)
    assert result.returncode == 4, (result.stdout, result.stderr)
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line == (
        f"error: dataset ../../data/golden.csv (sha256 {dataset.sha256[:12]}...): its snapshot"
        " is no longer in the run store, and neither the commit nor the work tree has a copy"
        " with those bytes (the work tree's copy has other bytes)"
    )
    _untouched(history, status_before)


def test_dirty_original_is_refused_unless_allowed_and_bad_runs_are_usage_errors(
    history: History, tmp_path: Path
) -> None:
    record = show(history.root, history.even_run).model_copy(update={"git_dirty": True})
    exported = tmp_path / "dirty.json"
    exported.write_text(record.model_dump_json(), encoding="utf-8")
    refused = history.cli("reproduce", str(exported))
    assert refused.returncode == 4, refused.stderr
    assert "uncommitted changes" in refused.stderr and "--allow-dirty" in refused.stderr
    missing = history.cli("reproduce", "no-such-run")
    assert missing.returncode == 2 and "no run 'no-such-run'" in missing.stderr
    bad_margin = history.cli("reproduce", history.even_run, "--margin", "-1")
    assert bad_margin.returncode == 2 and "--margin must be zero or more" in bad_margin.stderr
