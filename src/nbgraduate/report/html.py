"""Render the dashboard as one self-contained HTML page: inline CSS and SVG, no script, no CDN.

Everything that came from a notebook or a record (pipeline names, metric names, error
details) goes through :func:`html.escape`; a notebook output holding ``<script>`` shows as text.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from html import escape
from typing import TYPE_CHECKING

from nbgraduate import __version__
from nbgraduate.knowledge import secrets
from nbgraduate.report.axes import nice_axis
from nbgraduate.report.summary import MetricPoint, PipelineSummary, run_scores

if TYPE_CHECKING:
    from nbgraduate.runs.decisions import GateDecision
    from nbgraduate.runs.records import RunRecord

_WIDTH, _HEIGHT, _PAD = 760, 240, 44
_COLOURS = ("#2563eb", "#d97706", "#059669", "#7c3aed", "#db2777", "#0891b2")

_STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 980px; color: #1f2937; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { margin-top: 2.4rem; }
.muted { color: #6b7280; } table { border-collapse: collapse; margin: .6rem 0; }
td, th { padding: .25rem .7rem; border-bottom: 1px solid #e5e7eb; text-align: left; }
th { font-weight: 600; } .num { text-align: right; font-variant-numeric: tabular-nums; }
.chart { border: 1px solid #e5e7eb; border-radius: 6px; margin: .6rem 0 1.2rem; }
.bad { color: #b91c1c; } .good { color: #047857; } code { font-size: .92em; }
.legend span { margin-right: 1.2rem; }
.runs td { vertical-align: top; } tr.reproduction td { background: #f9fafb; }
tr.reproduction td:first-child { padding-left: 1.6rem; }
.verdict-PASS, .verdict-identical, .verdict-within-variation { color: #047857; }
.verdict-FAIL, .verdict-diverged, .verdict-infrastructure-error { color: #b91c1c; }
.verdict-INCONCLUSIVE { color: #b45309; }
"""


def render_dashboard(summaries: list[PipelineSummary], *, now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>nbgraduate: eval pipelines</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>Eval pipelines</h1>",
        f'<p class="muted">Built {escape(_when(now))} by nbgraduate {escape(__version__)} '
        f"from {sum(len(s.runs) for s in summaries)} recorded runs.</p>",
    ]
    if not summaries:
        parts.append("<p>No runs recorded yet: <code>nbgraduate run PIPELINE</code>.</p>")
    for index, summary in enumerate(summaries):
        parts.append(_pipeline_section(summary, index, now))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _pipeline_section(summary: PipelineSummary, index: int, now: datetime) -> str:
    anchor = f"pipeline-{index}"
    rows = [
        ("Runs", str(len(summary.runs))),
        ("Passed / eval failed", f"{summary.passed} / {summary.eval_failed}"),
        ("Success rate (excluding infrastructure errors)", _percent(summary.success_rate)),
        (
            "Infrastructure errors (kernel died, timeout, interrupted)",
            f"{summary.infrastructure_errors} ({_percent(summary.infrastructure_error_rate)})",
        ),
        (
            "Duration P50 / P95",
            f"{_seconds(summary.duration_percentile(50))} / "
            f"{_seconds(summary.duration_percentile(95))}",
        ),
        ("Runs per hour at peak", str(summary.peak_runs_per_hour)),
        ("Newest dataset change", _freshness(summary.dataset_changed_at, now)),
    ]
    for counter, average in summary.usage_per_run().items():
        rows.append((f"Judge {counter.replace('_', ' ')} per run", f"{average:,.4g}"))
    health = "".join(
        f'<tr><th>{escape(label)}</th><td class="num">{escape(value)}</td></tr>'
        for label, value in rows
    )
    contracts = "".join(
        f"<tr><td>{escape(span.contract_version)}</td><td><code>{escape(span.lock_digest[:12])}</code></td>"
        f'<td>{escape(_when(span.first_run))}</td><td class="num">{span.runs}</td>'
        f"<td>{escape('; '.join(span.changes))}</td></tr>"
        for span in summary.contracts
    )
    charts = "".join(
        _metric_chart(name, points, summary, colour_index, name in summary.proportions)
        for colour_index, (name, points) in enumerate(sorted(summary.metrics.items()))
    )
    recent = _runs_table(summary)
    gates = _gate_section(summary)
    calibration = _calibration_section(summary)
    return f"""
<section id="{anchor}" class="pipeline">
<h2>{escape(summary.name)}</h2>
<table class="health">{health}</table>
<h3>Eval contract versions</h3>
<p class="muted">Scores from different eval contracts are drawn as separate lines and never
joined: a changed dataset, judge, prompt or sampling setting makes them incomparable, whether
the lock changed or a run overrode it (<code>-p temperature=0.7</code>).</p>
<table><tr><th>Contract</th><th>Lock digest</th><th>First run</th><th>Runs</th><th>Ran with, compared with the runs before</th></tr>{contracts}</table>
<h3>Scores</h3>
{charts or '<p class="muted">No metrics recorded (call <code>nbgraduate.record</code>).</p>'}
<h3>Recent runs</h3>
<p class="muted">Each run's score (mean over examples, repeats averaged per example), its
example count and the parameters it ran with other than the lock's defaults; reproductions
(<code>nbgraduate reproduce</code>) are listed under the run they re-ran.</p>
{recent}
{gates}
{calibration}
</section>"""


def _calibration_section(summary: PipelineSummary) -> str:
    """The judge's agreement with its frozen reference over time, and what was served."""
    if not summary.calibrations:
        return ""
    charts = "".join(
        _metric_chart(
            f"judge {name}", points, summary, index + 3, name in summary.calibration_proportions
        )
        for index, (name, points) in enumerate(sorted(summary.calibration_metrics.items()))
    )
    rows = "".join(
        f"<tr><td><code>{escape(record.run_id)}</code></td><td>{escape(_when(record.started_at))}</td>"
        f'<td class="{"good" if record.status.value == "passed" else "bad"}">{escape(record.status.value)}</td>'
        f"<td>{escape(', '.join(map(str, record.parameters.get('served_models') or [])))}</td>"
        f"<td>{escape(', '.join(map(str, record.parameters.get('system_fingerprints') or [])))}</td>"
        f"<td>{escape(record.status_detail or '')}</td></tr>"
        for record in reversed(summary.calibrations[-10:])
    )
    return (
        "<h3>Judge calibration</h3>"
        '<p class="muted">The pinned judge on the frozen reference set (<code>nbgraduate calibrate</code>).</p>'
        f"{charts}<table><tr><th>Run</th><th>Started</th><th>Result</th><th>Served model</th>"
        f"<th>Fingerprint</th><th>Detail</th></tr>{rows}</table>"
    )


def _runs_table(summary: PipelineSummary, shown: int = 10) -> str:
    """The newest runs, each followed by the runs that reproduced it."""
    reproduced = {r.run_id for records in summary.reproductions.values() for r in records}
    series = [record for record in summary.runs if record.run_id not in reproduced]
    rows = []
    for record in reversed(series[-shown:]):
        rows.append(_run_row(record, summary))
        rows += [
            _run_row(reproduction, summary)
            for reproduction in summary.reproductions.get(record.run_id, [])
        ]
    return (
        '<table class="runs"><tr><th>Run</th><th>Started</th><th>Status</th><th>Score</th>'
        '<th class="num">Examples</th><th>Overrides</th><th class="num">Duration</th>'
        f"<th>CI run</th><th>Detail</th></tr>{''.join(rows)}</table>"
    )


def _run_row(record: RunRecord, summary: PipelineSummary) -> str:
    status = record.status.value
    css = "good" if status == "passed" else "bad"
    scores = run_scores(record)
    score = "<br>".join(f"{escape(name)} {mean:.4g}" for name, (mean, _) in sorted(scores.items()))
    examples = "<br>".join(str(n) for _, (_, n) in sorted(scores.items()))
    links = ""
    row_class = ""
    if record.reproduction is not None:
        row_class = ' class="reproduction"'
        verdict = record.reproduction.verdict
        links = (
            f'<br>reproduces <a href="#run-{escape(record.reproduction.of, quote=True)}">'
            f"<code>{escape(record.reproduction.of)}</code></a>:"
            f' <span class="verdict-{escape(verdict, quote=True)}">{escape(verdict)}</span>'
        )
    for reproduction in summary.reproductions.get(record.run_id, []):
        verdict = reproduction.reproduction.verdict if reproduction.reproduction else "?"
        links += (
            f'<br>reproduced by <a href="#run-{escape(reproduction.run_id, quote=True)}">'
            f"<code>{escape(reproduction.run_id)}</code></a>:"
            f' <span class="verdict-{escape(verdict, quote=True)}">{escape(verdict)}</span>'
        )
    ci = (
        f'<a href="{escape(record.ci.url, quote=True)}">#{escape(record.ci.run_id)}</a>'
        if record.ci is not None
        else ""
    )
    return (
        f'<tr id="run-{escape(record.run_id, quote=True)}"{row_class}>'
        f"<td><code>{escape(record.run_id)}</code>{links}</td>"
        f"<td>{escape(_when(record.started_at))}</td>"
        f'<td class="{css}">{escape(status)}</td><td>{score}</td>'
        f'<td class="num">{examples}</td><td>{_overrides(record)}</td>'
        f'<td class="num">{record.duration_s:.1f} s</td><td>{ci}</td>'
        f"<td>{escape(secrets.redact(record.status_detail or ''))}</td></tr>"
    )


def _overrides(record: RunRecord) -> str:
    if record.overrides is None:
        return '<span class="muted" title="recorded before overrides were">unknown</span>'
    if not record.overrides:
        return '<span class="muted">none</span>'
    return "<br>".join(
        f"<code>{escape(name)}={escape(_shown_value(name, value))}</code>"
        for name, value in record.overrides.items()
    )


def _shown_value(name: str, value: object) -> str:
    """A parameter value with any credential masked (at most four characters shown): every
    value of a key-like parameter (``api_key``, ``hf_token``), and keys found in any other."""
    text = str(value)
    if text and secrets.KEY_LIKE_NAME.search(name):
        return secrets.mask(text)
    return secrets.redact(text)


def _gate_section(summary: PipelineSummary, shown: int = 10) -> str:
    """``nbgraduate gate``'s verdicts over time: one mark per decision, and the newest ones."""
    decisions = summary.gate_decisions
    if not decisions:
        return ""
    return (
        "<h3>Gate verdicts</h3>"
        '<p class="muted">What <code>nbgraduate gate</code> decided for this pipeline, oldest'
        " first: PASS (no worse than the baseline by more than the margin), FAIL, or"
        " INCONCLUSIVE.</p>"
        f"{_gate_strip(decisions)}"
        "<table><tr><th>Decided</th><th>Verdict</th><th>Baseline</th><th>Candidate</th>"
        "<th>Metrics (difference, bounds)</th><th>Margin</th><th>CI run</th></tr>"
        + "".join(_gate_row(decision) for decision in reversed(decisions[-shown:]))
        + "</table>"
    )


_VERDICT_COLOURS = {"PASS": "#059669", "FAIL": "#dc2626", "INCONCLUSIVE": "#d97706"}
_VERDICT_LEVELS = {"PASS": 0, "INCONCLUSIVE": 1, "FAIL": 2}


def _gate_strip(decisions: list[GateDecision]) -> str:
    width, height, pad = _WIDTH, 96, _PAD
    count = len(decisions)
    left, right = pad + 30, width - pad

    def x(index: int) -> float:
        return left + (right - left) * (index + 0.5) / count

    def y(verdict: str) -> float:
        return 20 + _VERDICT_LEVELS[verdict] * 24

    labels = "".join(
        f'<text x="4" y="{y(verdict) + 4:.1f}" font-size="11" fill="#6b7280">{verdict.title()}</text>'
        f'<line x1="{left}" y1="{y(verdict):.1f}" x2="{right}" y2="{y(verdict):.1f}"'
        ' stroke="#f3f4f6"/>'
        for verdict in _VERDICT_LEVELS
    )
    marks = "".join(
        f'<circle class="gate-verdict" cx="{x(index):.1f}"'
        f' cy="{y(decision.verdict):.1f}" r="4.5" fill="{_VERDICT_COLOURS[decision.verdict]}">'
        f"<title>{escape(_when(decision.decided_at))}: {escape(decision.verdict)}"
        f" ({escape(decision.baseline_run)} -> {escape(decision.candidate_run)})</title></circle>"
        for index, decision in enumerate(decisions)
    )
    return (
        f'<svg class="chart gate-history" role="img" aria-label="gate verdicts over time"'
        f' width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
        f' xmlns="http://www.w3.org/2000/svg">{labels}{marks}'
        f'<text x="{left}" y="{height - 8}" font-size="11" fill="#6b7280">'
        f"{escape(_when(decisions[0].decided_at))}</text>"
        f'<text x="{right}" y="{height - 8}" font-size="11" fill="#6b7280"'
        f' text-anchor="end">{escape(_when(decisions[-1].decided_at))}</text></svg>'
    )


def _gate_row(decision: GateDecision) -> str:
    metrics = "<br>".join(
        f'{escape(m.name)} <span class="verdict-{m.verdict}">{m.verdict}</span>'
        f" {_signed(m.difference)} [{_signed(m.lower)}, {_signed(m.upper)}] n {m.n}"
        for m in decision.metrics
    )
    ci = (
        f'<a href="{escape(decision.ci.url, quote=True)}">#{escape(decision.ci.run_id)}</a>'
        if decision.ci is not None
        else ""
    )
    return (
        f"<tr><td>{escape(_when(decision.decided_at))}</td>"
        f'<td class="verdict-{decision.verdict}"><strong>{decision.verdict}</strong></td>'
        f'<td><a href="#run-{escape(decision.baseline_run, quote=True)}">'
        f"<code>{escape(decision.baseline_run)}</code></a></td>"
        f'<td><a href="#run-{escape(decision.candidate_run, quote=True)}">'
        f"<code>{escape(decision.candidate_run)}</code></a></td>"
        f"<td>{metrics}</td><td>{decision.margin:g} at {decision.confidence:.0%}</td>"
        f"<td>{ci}</td></tr>"
    )


def _signed(value: float | None) -> str:
    if value is None:
        return "n/a"
    return "0" if value == 0 else f"{value:+.4g}"  # never "-0"


def _metric_chart(
    name: str,
    points: list[MetricPoint],
    summary: PipelineSummary,
    colour_index: int,
    proportion: bool = False,
) -> str:
    """One metric over time: a point per run with its 95% interval, a line per contract span,
    reproductions beside the run they re-ran, and a y axis with round ticks."""
    colour = _COLOURS[colour_index % len(_COLOURS)]
    values = [
        value
        for point in points
        for value in (point.mean, point.low, point.high)
        if value is not None
    ] + [
        value
        for point in points
        for again in point.reproductions
        for value in (again.mean, again.low, again.high)
        if value is not None
    ]
    axis = nice_axis(min(values), max(values), proportion=proportion)
    bottom, top = axis.low, axis.high
    count = max(len(points), 1)

    def x(index: int) -> float:
        inner = _WIDTH - 2 * _PAD
        return _PAD + (inner * (index + 0.5) / count)

    def y(value: float) -> float:
        clipped = min(max(value, bottom), top)
        return _HEIGHT - _PAD - (_HEIGHT - 2 * _PAD) * (clipped - bottom) / (top - bottom)

    shapes: list[str] = []
    # One polyline per contract segment: a contract change breaks the line.
    segment: list[tuple[float, float]] = []
    previous_contract: str | None = None
    for index, point in enumerate(points):
        if previous_contract is not None and point.contract != previous_contract:
            shapes.append(_polyline(segment, colour))
            segment = []
            boundary = (x(index - 1) + x(index)) / 2
            version = _break_label(summary, point.contract)
            shapes.append(
                f'<line class="contract-break" x1="{boundary:.1f}" y1="{_PAD / 2:.1f}" x2="{boundary:.1f}" '
                f'y2="{_HEIGHT - _PAD:.1f}" stroke="#9ca3af" stroke-dasharray="4 3"/>'
                f'<text x="{boundary + 4:.1f}" y="{_PAD / 2 + 10:.1f}" font-size="11" fill="#6b7280">'
                f"{escape(version)}</text>"
            )
        previous_contract = point.contract
        segment.append((x(index), y(point.mean)))
        if point.low is not None and point.high is not None:
            shapes.append(
                f'<line class="interval" x1="{x(index):.1f}" y1="{y(point.low):.1f}" x2="{x(index):.1f}" '
                f'y2="{y(point.high):.1f}" stroke="{colour}" stroke-opacity=".45" stroke-width="2"/>'
            )
        interval = f" [{point.low:.4f}, {point.high:.4f}]" if point.low is not None else ""
        shapes.append(
            f'<circle cx="{x(index):.1f}" cy="{y(point.mean):.1f}" r="3.5" fill="{colour}">'
            f"<title>{escape(point.run_id)}: {point.mean:.4f}{escape(interval)} (n={point.n})</title></circle>"
        )
        shapes += _reproduction_marks(point, x(index), y, colour)
    shapes.append(_polyline(segment, colour))
    grid = "".join(
        f'<line class="tick" x1="{_PAD}" y1="{y(tick):.1f}" x2="{_WIDTH - _PAD}" y2="{y(tick):.1f}"'
        f' stroke="#f3f4f6"/>'
        f'<text class="tick-label" x="{_PAD - 6}" y="{y(tick) + 4:.1f}" font-size="11"'
        f' fill="#6b7280" text-anchor="end">{axis.label(tick)}</text>'
        for tick in axis.ticks
    )
    frame = (
        f'<line x1="{_PAD}" y1="{_HEIGHT - _PAD}" x2="{_WIDTH - _PAD}" y2="{_HEIGHT - _PAD}" stroke="#d1d5db"/>'
        f'<text x="{_PAD}" y="{_HEIGHT - 14}" font-size="11" fill="#6b7280">'
        f"{escape(_when(points[0].started_at))}</text>"
        f'<text x="{_WIDTH - _PAD}" y="{_HEIGHT - 14}" font-size="11" fill="#6b7280" text-anchor="end">'
        f"{escape(_when(points[-1].started_at))}</text>"
    )
    clipped = ", clipped to [0, 1]" if proportion else ""
    return (
        f'<h4>{escape(name)} <span class="muted">(mean per run, 95% interval{clipped};'
        " a hollow diamond is a reproduction)</span></h4>"
        f'<svg class="chart" role="img" aria-label="{escape(name, quote=True)} history" '
        f'width="{_WIDTH}" height="{_HEIGHT}" viewBox="0 0 {_WIDTH} {_HEIGHT}" '
        f'xmlns="http://www.w3.org/2000/svg">{grid}{frame}{"".join(shapes)}</svg>'
    )


def _reproduction_marks(
    point: MetricPoint, x: float, y: Callable[[float], float], colour: str
) -> list[str]:
    """Each reproduction of ``point``'s run, a hollow diamond just right of it."""
    marks = []
    for offset, again in enumerate(point.reproductions, start=1):
        cx, cy = x + 7 * offset, y(again.mean)
        if again.low is not None and again.high is not None:
            marks.append(
                f'<line class="reproduction-interval" x1="{cx:.1f}" y1="{y(again.low):.1f}"'
                f' x2="{cx:.1f}" y2="{y(again.high):.1f}" stroke="{colour}" stroke-opacity=".35"'
                ' stroke-dasharray="2 2"/>'
            )
        marks.append(
            f'<path class="reproduction" d="M{cx:.1f} {cy - 4.5:.1f} L{cx + 4.5:.1f} {cy:.1f}'
            f' L{cx:.1f} {cy + 4.5:.1f} L{cx - 4.5:.1f} {cy:.1f} Z" fill="#fff" stroke="{colour}"'
            f' stroke-width="1.5"><title>reproduction {escape(again.run_id)} of'
            f" {escape(point.run_id)}: {again.mean:.4f} ({escape(again.verdict)})</title></path>"
        )
    return marks


def _polyline(segment: list[tuple[float, float]], colour: str) -> str:
    if len(segment) < 2:
        return ""
    coordinates = " ".join(f"{px:.1f},{py:.1f}" for px, py in segment)
    return f'<polyline class="series" points="{coordinates}" fill="none" stroke="{colour}" stroke-width="2"/>'


def _break_label(summary: PipelineSummary, key: str) -> str:
    """``contract 2.0.0``, or what a run overrode when the lock stayed the same."""
    span = next((s for s in summary.contracts if s.key == key), None)
    if span is None:
        return "contract ?"
    label = f"contract {span.contract_version}"
    if span.changes:
        change = span.changes[0]
        label += f" ({change if len(change) <= 48 else change[:47] + '…'})"
    return label


def _when(moment: datetime) -> str:
    return (
        moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        if moment.tzinfo
        else str(moment)
    )


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} s"


def _freshness(changed: datetime | None, now: datetime) -> str:
    if changed is None:
        return "n/a"
    moment = changed if changed.tzinfo else changed.replace(tzinfo=timezone.utc)
    days = (now - moment).total_seconds() / 86400
    age = f"{days:.1f} days ago" if days >= 1 else f"{days * 24:.1f} hours ago"
    return f"{age} (first seen in a run {_when(moment)})"
