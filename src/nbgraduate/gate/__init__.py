"""The statistical release gate: is the candidate run no worse than the baseline, by a margin?

``run_gate(GateOptions(...))`` resolves both runs, refuses runs made under different eval
contracts, pairs examples by id and decides each metric PASS, FAIL or INCONCLUSIVE with a
one-sided test at the requested confidence; :func:`render` formats the :class:`GateReport`.
scipy is imported only when a test runs, never by importing this package.
"""

from __future__ import annotations

from nbgraduate.gate.errors import ContractMismatchError, GateInputError
from nbgraduate.gate.github import append_step_summary, workflow_run_url
from nbgraduate.gate.options import GateOptions
from nbgraduate.gate.render import MARKER, render
from nbgraduate.gate.report import GateReport, MetricResult, RunInfo, Verdict
from nbgraduate.gate.runner import run_gate

__all__ = [
    "MARKER",
    "ContractMismatchError",
    "GateInputError",
    "GateOptions",
    "GateReport",
    "MetricResult",
    "RunInfo",
    "Verdict",
    "append_step_summary",
    "render",
    "run_gate",
    "workflow_run_url",
]
