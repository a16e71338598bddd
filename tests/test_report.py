"""The dashboard: numbers from a real store, contract breaks, escaping, and a real browser."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from nbgraduate.report import build_report
from nbgraduate.report.axes import nice_axis
from nbgraduate.report.summary import peak_per_window, percentile, run_scores, summarise
from nbgraduate.runs.decisions import GateDecision, MetricDecision
from nbgraduate.runs.records import CiRun, MetricSeries, Reproduction, RunRecord, RunStatus
from nbgraduate.runs.store import open_store

START = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
HOSTILE = "<script>alert('owned')</script>"


def _record(
    index: int,
    *,
    contract: str,
    digest: str,
    accuracy: list[float],
    status: RunStatus = RunStatus.PASSED,
    detail: str | None = None,
    minutes: float = 0,
    dataset: str = "a" * 64,
    duration: float = 10.0,
) -> RunRecord:
    started = START + timedelta(minutes=minutes)
    ids = [f"q{i}" for i in range(len(accuracy))]
    return RunRecord(
        run_id=f"run-{index:02d}",
        pipeline="evals/support_judge",
        lock_digest=digest,
        contract_version=contract,
        python_version="3.11.7",
        platform="Linux",
        started_at=started,
        ended_at=started + timedelta(seconds=duration),
        duration_s=duration,
        status=status,
        status_detail=detail,
        dataset_digests={"data/golden.csv": dataset},
        metrics=[MetricSeries(name="accuracy", values=accuracy, ids=ids)],
        usage={"prompt_tokens": 1000.0 + index, "cost_usd": 0.01},
    )


@pytest.fixture
def store(tmp_path: Path) -> Path:
    root = tmp_path / ".nbgraduate"
    records = [
        _record(
            0, contract="1.0.0", digest="d1" * 32, accuracy=[1, 0, 1, 1], minutes=0, duration=8
        ),
        _record(
            1, contract="1.0.0", digest="d1" * 32, accuracy=[1, 1, 1, 0], minutes=10, duration=10
        ),
        _record(
            2,
            contract="1.0.0",
            digest="d1" * 32,
            accuracy=[0, 0, 1, 0],
            minutes=20,
            status=RunStatus.EVAL_FAILED,
            detail=f"cell 7: AssertionError: {HOSTILE}",
            duration=12,
        ),
        _record(
            3,
            contract="2.0.0",
            digest="d2" * 32,
            accuracy=[1, 1, 1, 1, 0],
            minutes=200,
            dataset="b" * 64,
            duration=20,
        ),
        _record(
            4,
            contract="2.0.0",
            digest="d2" * 32,
            accuracy=[1, 1, 0, 1, 1],
            minutes=210,
            status=RunStatus.INFRASTRUCTURE_ERROR,
            detail="kernel died in cell 3",
            dataset="b" * 64,
            duration=100,
        ),
    ]
    with open_store(root) as run_store:
        for record in records:
            run_store.add(record)
    return root


def test_summary_numbers(store: Path) -> None:
    with open_store(store, create=False) as run_store:
        [summary] = summarise(run_store.list())
    assert (summary.passed, summary.eval_failed, summary.infrastructure_errors) == (3, 1, 1)
    assert summary.success_rate == pytest.approx(3 / 4)
    assert summary.duration_percentile(50) == pytest.approx(12)
    assert summary.duration_percentile(95) == pytest.approx(84)
    assert summary.peak_runs_per_hour == 3
    assert [span.contract_version for span in summary.contracts] == ["1.0.0", "2.0.0"]
    assert summary.dataset_changed_at == START + timedelta(minutes=200)
    assert summary.usage_per_run()["prompt_tokens"] == pytest.approx(1002)
    points = summary.metrics["accuracy"]
    assert [round(p.mean, 3) for p in points] == [0.75, 0.75, 0.25, 0.8, 0.8]
    assert points[0].low is not None and points[0].low < 0.75 < points[0].high


def test_calibration_runs_have_their_own_section(store: Path, tmp_path: Path) -> None:
    calibration = _record(9, contract="2.0.0", digest="d2" * 32, accuracy=[1, 1, 0, 1], minutes=300)
    calibration = calibration.model_copy(
        update={
            "run_id": "cal-01",
            "kind": "calibration",
            "metrics": [
                MetricSeries(name="agreement", values=[1, 1, 0, 1], ids=["a", "b", "c", "d"])
            ],
            "parameters": {"served_models": ["gpt-4o-2024-08-06"], "system_fingerprints": ["fp_1"]},
        }
    )
    with open_store(store) as run_store:
        run_store.add(calibration)
        [summary] = summarise(run_store.list())
    assert [r.run_id for r in summary.calibrations] == ["cal-01"]
    assert len(summary.runs) == 5  # calibrations are not eval runs
    html = build_report(store, tmp_path / "site").read_text(encoding="utf-8")
    assert "Judge calibration" in html and "judge agreement" in html and "fp_1" in html


def test_percentile_and_peak_helpers() -> None:
    assert percentile([], 50) is None
    assert percentile([1, 2, 3, 4], 50) == 2.5
    times = [
        START,
        START + timedelta(minutes=59),
        START + timedelta(minutes=61),
        START + timedelta(hours=5),
    ]
    assert peak_per_window(times, seconds=3600) == 2


def test_page_breaks_the_line_at_a_contract_change_and_escapes(store: Path, tmp_path: Path) -> None:
    page = build_report(store, tmp_path / "site")
    html = page.read_text(encoding="utf-8")
    assert html.count('class="series"') == 2  # one line per contract version, never joined
    assert html.count('class="contract-break"') == 1
    assert "contract 2.0.0" in html
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(&#x27;owned&#x27;)&lt;/script&gt;" in html
    assert "<script" not in html.lower()
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in html


def test_a_parameter_override_of_the_contract_breaks_the_line(tmp_path: Path) -> None:
    """Same lock, but one run overrode the temperature (``-p temperature=0.7``): the gate
    refuses to compare it with the others, so the dashboard does not join it to them."""
    root = tmp_path / ".nbgraduate"
    same_lock = "d1" * 32
    runs = [
        _record(0, contract="1.0.0", digest=same_lock, accuracy=[1, 0, 1, 1], minutes=0),
        _record(1, contract="1.0.0", digest=same_lock, accuracy=[1, 1, 1, 0], minutes=10),
        _record(2, contract="1.0.0", digest=same_lock, accuracy=[0, 1, 1, 0], minutes=20),
        _record(3, contract="1.0.0", digest=same_lock, accuracy=[1, 1, 0, 1], minutes=30),
    ]
    runs = [
        record.model_copy(update={"temperature": 0.7 if index == 2 else 0.0})
        for index, record in enumerate(runs)
    ]
    with open_store(root) as run_store:
        for record in runs:
            run_store.add(record)
        [summary] = summarise(run_store.list())
    assert [(span.runs, span.changes) for span in summary.contracts] == [
        (2, ()),
        (1, ("temperature: before 0, after 0.7",)),
        (1, ("temperature: before 0.7, after 0",)),
    ]
    assert len({point.contract for point in summary.metrics["accuracy"]}) == 3
    html = build_report(root, tmp_path / "site").read_text(encoding="utf-8")
    assert html.count('class="series"') == 1  # only the first two runs share a line
    assert html.count('class="contract-break"') == 2
    assert "contract 1.0.0 (temperature: before 0, after 0.7)" in html
    assert "<td>temperature: before 0.7, after 0</td>" in html


@pytest.mark.parametrize(
    ("low", "high", "proportion", "ticks"),
    [
        (0.4167, 0.6833, False, ["0.4", "0.5", "0.6", "0.7"]),
        (0.62, 0.78, True, ["0.60", "0.65", "0.70", "0.75", "0.80"]),
        (-0.26, 1.24, True, ["0", "0.25", "0.50", "0.75", "1.00"]),
        (1.0, 1.0, True, ["0.90", "0.95", "1.00"]),
        (12.3, 987.0, False, ["0", "250", "500", "750", "1000"]),
        (-3, -1, False, ["-3.0", "-2.5", "-2.0", "-1.5", "-1.0"]),
    ],
)
def test_score_axes_have_round_ticks(
    low: float, high: float, proportion: bool, ticks: list[str]
) -> None:
    axis = nice_axis(low, high, proportion=proportion)
    assert [axis.label(tick) for tick in axis.ticks] == ticks
    assert axis.low == axis.ticks[0] and axis.high == axis.ticks[-1]
    assert axis.low <= max(low, 0.0 if proportion else low)
    assert axis.high >= min(high, 1.0 if proportion else high)


def test_a_proportion_interval_is_clipped_to_0_1_and_other_metrics_are_not(
    tmp_path: Path,
) -> None:
    runs = [
        _record(0, contract="1.0.0", digest="d1" * 32, accuracy=[1, 0, 1, 1], minutes=0),
        _record(1, contract="1.0.0", digest="d1" * 32, accuracy=[0, 0, 0, 1], minutes=10),
    ]
    runs = [
        record.model_copy(
            update={
                "metrics": [
                    *record.metrics,
                    MetricSeries(name="latency_s", values=[0.2, 0.1, 3.5, 0.3]),
                ]
            }
        )
        for record in runs
    ]
    [summary] = summarise(runs)
    assert summary.proportions == {"accuracy"}
    high, low = summary.metrics["accuracy"][0], summary.metrics["accuracy"][1]
    # 0.75 +- 1.96 * 0.5 / 2 would reach 1.24; 0.25 - 0.49 would fall below zero.
    assert (high.mean, high.high) == (0.75, 1.0) and 0 < high.low < 0.75
    assert (low.mean, low.low) == (0.25, 0.0) and 0.25 < low.high < 1
    latency = summary.metrics["latency_s"][0]
    assert latency.low is not None and latency.low < 0
    html = _page(runs, tmp_path)
    assert 'accuracy <span class="muted">(mean per run, 95% interval, clipped to [0, 1]' in html
    assert 'latency_s <span class="muted">(mean per run, 95% interval;' in html
    labels = re.findall(r'class="tick-label"[^>]*>([^<]*)<', html)
    assert labels[:5] == ["0", "0.25", "0.50", "0.75", "1.00"]


def _page(records: list[RunRecord], tmp_path: Path) -> str:
    root = tmp_path / ".nbgraduate"
    with open_store(root) as run_store:
        for record in records:
            run_store.add(record)
    return build_report(root, tmp_path / "site").read_text(encoding="utf-8")


def _reproduction(of: RunRecord, verdict: str, accuracy: list[float]) -> RunRecord:
    return of.model_copy(
        update={
            "run_id": f"again-{of.run_id}",
            "started_at": of.started_at + timedelta(days=30),
            "ended_at": of.ended_at + timedelta(days=30),
            "metrics": [
                MetricSeries(
                    name="accuracy",
                    values=accuracy,
                    ids=[f"q{i}" for i in range(len(accuracy))],
                )
            ],
            "reproduction": Reproduction(of=of.run_id, verdict=verdict),
        }
    )


def _linked_store(store: Path) -> None:
    """``store`` plus a reproduction of run-01 (a month later) and a CI run with overrides."""
    with open_store(store) as run_store:
        original = run_store.get("run-01")
        run_store.add(_reproduction(original, "diverged", [1, 0, 0, 0]))
        overridden = run_store.get("run-03").model_copy(
            update={
                "run_id": "run-05",
                "started_at": START + timedelta(minutes=220),
                "overrides": {"temperature": 0.7, "api_key": "sk-live-Zx81QbT7cW4nR9vK2mLpY6"},
                "ci": CiRun(
                    server_url="https://github.com", repository="acme/evals", run_id="4242"
                ),
            }
        )
        run_store.add(overridden)
        for index, (baseline, candidate, verdict) in enumerate(
            [("run-00", "run-01", "PASS"), ("run-03", "run-05", "FAIL")]
        ):
            run_store.add_gate_decision(
                GateDecision(
                    decision_id=f"gate-{index}",
                    pipeline="evals/support_judge",
                    decided_at=START + timedelta(hours=5 + index),
                    baseline_run=baseline,
                    candidate_run=candidate,
                    verdict=verdict,
                    margin=0.05,
                    confidence=0.95,
                    metrics=[
                        MetricDecision(
                            name="accuracy",
                            verdict=verdict,
                            difference=-0.1 * index,
                            lower=-0.3,
                            upper=0.1 - 0.2 * index,
                            n=4,
                        )
                    ],
                )
            )


def test_reproductions_are_drawn_beside_their_original_and_the_runs_table_shows_scores(
    store: Path, tmp_path: Path
) -> None:
    _linked_store(store)
    with open_store(store, create=False) as run_store:
        [summary] = summarise(run_store.list())
    points = summary.metrics["accuracy"]
    # The reproduction is not a point of the series (it re-ran an old commit a month later).
    assert [point.run_id for point in points] == [f"run-{i:02d}" for i in (0, 1, 2, 3, 4, 5)]
    [again] = points[1].reproductions
    assert (again.run_id, again.mean, again.verdict) == ("again-run-01", 0.25, "diverged")
    assert [r.run_id for r in summary.reproductions["run-01"]] == ["again-run-01"]
    assert len(summary.runs) == 7  # the health numbers count it as a run
    run_03 = next(record for record in summary.runs if record.run_id == "run-03")
    assert run_scores(run_03) == {"accuracy": (0.8, 5)}

    html = build_report(store, tmp_path / "site").read_text(encoding="utf-8")
    assert html.count('class="reproduction"') == 2  # the diamond and the table row
    rows = re.findall(r'<tr id="run-([^"]+)"', html)
    assert rows == ["run-05", "run-04", "run-03", "run-02", "run-01", "again-run-01", "run-00"]
    original_row = _row(html, "run-01")
    assert 'reproduced by <a href="#run-again-run-01">' in original_row
    assert '<span class="verdict-diverged">diverged</span>' in original_row
    assert "accuracy 0.75</td>" in original_row and '<td class="num">4</td>' in original_row
    assert 'reproduces <a href="#run-run-01">' in _row(html, "again-run-01")
    overridden = _row(html, "run-05")
    assert "<code>temperature=0.7</code>" in overridden
    assert "<code>api_key=sk-l\u2026</code>" in overridden
    assert "Zx81QbT7" not in html
    assert 'href="https://github.com/acme/evals/actions/runs/4242">#4242</a>' in overridden
    # Recorded before overrides were (schema < 4): unknown, not "none".
    assert 'title="recorded before overrides were">unknown</span>' in _row(html, "run-00")


def _row(html: str, run_id: str) -> str:
    start = html.index(f'<tr id="run-{run_id}"')
    return html[start : html.index("</tr>", start)]


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(
    _chromium() is None and not os.environ.get("CI"), reason="chromium not installed"
)
def test_page_renders_in_headless_chromium_without_console_errors(
    store: Path, tmp_path: Path
) -> None:
    browser = _chromium()
    assert browser is not None, "CI installs Debian's chromium; it must be there"
    _linked_store(store)
    page = build_report(store, tmp_path / "site")
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
    ]
    dom = subprocess.run(
        [browser, *flags, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert 'class="pipeline"' in dom.stdout
    assert dom.stdout.count("<svg") == 2  # the accuracy chart and the gate verdicts
    # The browser parsed the chart: round ticks on a [0, 1] axis, the reproduction's diamond
    # beside its original, and the runs table with links both ways.
    labels = re.findall(r'class="tick-label"[^>]*>([^<]*)<', dom.stdout)
    assert labels == ["0", "0.25", "0.50", "0.75", "1.00"]
    assert re.search(
        r'<path class="reproduction"[^>]*>\s*<title>reproduction again-run-01', dom.stdout
    )
    assert 'reproduced by <a href="#run-again-run-01">' in dom.stdout
    assert "<code>temperature=0.7</code>" in dom.stdout
    verdicts = re.findall(r'<circle class="gate-verdict"[^>]*>\s*<title>[^<]*: (\w+)', dom.stdout)
    assert verdicts == ["PASS", "FAIL"]
    assert "&lt;script&gt;" in dom.stdout
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == []
    screenshot = tmp_path / "report.png"
    subprocess.run(
        [browser, *flags, f"--screenshot={screenshot}", "--window-size=1100,1400", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert screenshot.stat().st_size > 10_000
