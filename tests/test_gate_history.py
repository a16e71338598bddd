"""``nbgraduate gate`` keeps each decision in the run store, for the dashboard's verdicts."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from test_gate_cli import GITHUB_ENV, golden_arguments, golden_records, make_app, runner

from nbgraduate.runs.decisions import GateDecision
from nbgraduate.runs.layout import StoreLocation
from nbgraduate.runs.store import StoreError, open_store


@pytest.fixture
def golden_store(tmp_path: Path) -> Path:
    root = tmp_path / ".nbgraduate"
    with open_store(root) as store:
        for run in golden_records():
            store.add(run)
    return root


def test_each_decision_is_kept_with_its_verdicts_and_ci_run(
    golden_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("GITHUB_STEP_SUMMARY", *GITHUB_ENV):
        monkeypatch.delenv(name, raising=False)
    app = make_app()
    first = runner.invoke(app, golden_arguments(golden_store))
    assert first.exit_code == 1, first.output
    for name, value in {**GITHUB_ENV, "GITHUB_RUN_ATTEMPT": "2"}.items():
        monkeypatch.setenv(name, value)
    second = runner.invoke(app, golden_arguments(golden_store))
    assert second.exit_code == 1, second.output
    skipped = runner.invoke(app, [*golden_arguments(golden_store), "--no-record"])
    assert skipped.exit_code == 1, skipped.output

    with open_store(golden_store, create=False) as store:
        decisions = store.gate_decisions()
        assert store.gate_decisions("no/such/pipeline") == []
    assert len(decisions) == 2
    earlier, later = decisions
    assert earlier.decided_at <= later.decided_at
    assert (later.baseline_run, later.candidate_run) == (
        "20250301T120000Z-b45e1a",
        "20250301T150000Z-c0ffee",
    )
    assert later.verdict == "FAIL" and (later.margin, later.confidence) == (0.03, 0.95)
    verdicts = {metric.name: metric.verdict for metric in later.metrics}
    assert verdicts == {"correct": "FAIL", "helpfulness": "PASS", "latency_s": "INCONCLUSIVE"}
    correct = next(metric for metric in later.metrics if metric.name == "correct")
    assert correct.upper is not None and correct.upper < -0.03 and correct.n == 240
    assert earlier.ci is None
    assert later.ci is not None
    assert later.ci.url == "https://github.com/acme/evals/actions/runs/4242/attempts/2"


def test_gating_two_record_files_without_a_store_records_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_gate_cli import BASELINE_FILE, CANDIDATE_FILE

    monkeypatch.chdir(tmp_path)
    result = runner.invoke(
        make_app(),
        [
            "gate",
            "--baseline",
            str(BASELINE_FILE),
            "--candidate",
            str(CANDIDATE_FILE),
            "--margin",
            "0.03",
            "--confidence",
            "0.95",
        ],
    )
    assert result.exit_code == 1, result.output
    assert "warning" not in result.output
    assert not (tmp_path / ".nbgraduate").exists()


def test_the_dashboard_draws_the_verdicts_over_time(golden_store: Path, tmp_path: Path) -> None:
    from nbgraduate.report import build_report

    app = make_app()
    # FAIL at 0.03; at 0.2 the regression is within the margin.
    for margin, exit_code in (("0.03", 1), ("0.2", 0)):
        arguments = golden_arguments(golden_store)
        arguments[arguments.index("0.03")] = margin
        result = runner.invoke(app, arguments, env={name: None for name in GITHUB_ENV})
        assert result.exit_code == exit_code, result.output
    html = build_report(golden_store, tmp_path / "site").read_text(encoding="utf-8")
    assert "<h3>Gate verdicts</h3>" in html
    marks = re.findall(r'<circle class="gate-verdict"[^>]*fill="([^"]+)"><title>[^<]*: (\w+)', html)
    assert marks == [("#dc2626", "FAIL"), ("#059669", "PASS")]
    table = html[html.index("<h3>Gate verdicts</h3>") :]
    assert 'href="#run-20250301T150000Z-c0ffee"' in table  # the candidate's row in the runs table
    assert 'id="run-20250301T150000Z-c0ffee"' in html
    assert "0.03 at 95%" in table and "0.2 at 95%" in table


def test_a_store_made_before_gate_decisions_is_migrated_and_keeps_its_runs(
    golden_store: Path,
) -> None:
    import sqlite3

    from nbgraduate.runs.store_sqlite import DATABASE_FILENAME, SQLITE_SCHEMA_VERSION

    connection = sqlite3.connect(golden_store / DATABASE_FILENAME)
    connection.execute("DROP TABLE gate_decisions")
    connection.execute("PRAGMA user_version = 2")
    connection.commit()
    connection.close()
    result = runner.invoke(
        make_app(), golden_arguments(golden_store), env=dict.fromkeys(GITHUB_ENV)
    )
    assert result.exit_code == 1, result.output
    assert "warning" not in result.output
    with open_store(golden_store, create=False) as store:
        assert len(store.list()) == 2
        (decision,) = store.gate_decisions()
    assert decision.verdict == "FAIL"
    connection = sqlite3.connect(golden_store / DATABASE_FILENAME)
    assert connection.execute("PRAGMA user_version").fetchone()[0] == SQLITE_SCHEMA_VERSION == 3
    connection.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> StoreLocation:
    if request.param == "sqlite":
        return StoreLocation(root=tmp_path / ".nbgraduate")
    return StoreLocation(url=request.getfixturevalue("postgres_url"))


def _decision(decision_id: str, pipeline: str, minutes: int) -> GateDecision:
    return GateDecision(
        decision_id=decision_id,
        pipeline=pipeline,
        decided_at=datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc) + timedelta(minutes=minutes),
        baseline_run="base",
        candidate_run="cand",
        verdict="PASS",
        margin=0.05,
        confidence=0.95,
    )


def test_decisions_are_kept_in_either_backend_oldest_first(location: StoreLocation) -> None:
    with open_store(location) as store:
        for decision in (
            _decision("gate-0", "evals/a", 5),
            _decision("gate-1", "evals/b", 1),
            _decision("gate-2", "evals/a", 0),
        ):
            store.add_gate_decision(decision)
        assert [d.decision_id for d in store.gate_decisions()] == ["gate-2", "gate-1", "gate-0"]
        assert [d.decision_id for d in store.gate_decisions("evals/a")] == ["gate-2", "gate-0"]
        with pytest.raises(StoreError):
            store.add_gate_decision(_decision("gate-1", "evals/b", 9))
        assert len(store.gate_decisions()) == 3


def test_gate_keeps_its_decision_in_a_shared_postgresql_store(postgres_url: str) -> None:
    with open_store(postgres_url) as store:
        for run in golden_records():
            store.add(run)
    result = runner.invoke(
        make_app(),
        golden_arguments(postgres_url),
        env=dict.fromkeys(GITHUB_ENV),  # type: ignore[arg-type]
    )
    assert result.exit_code == 1, result.output
    with open_store(postgres_url, create=False) as store:
        (decision,) = store.gate_decisions("evals/support_judge")
    assert decision.verdict == "FAIL" and decision.candidate_run == "20250301T150000Z-c0ffee"
