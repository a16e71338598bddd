"""Render a lint report in the output formats users already know from ruff."""

from __future__ import annotations

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from collections.abc import Sequence

    from nbgraduate.lint.diagnostics import LintReport
    from nbgraduate.lint.rules.base import Rule

__all__ = ["OUTPUT_FORMATS", "render"]

OUTPUT_FORMATS = ("concise", "full", "json", "sarif", "github", "gitlab")


def render(
    report: LintReport,
    output_format: str,
    *,
    rules: Sequence[type[Rule]],
    statistics: bool = False,
) -> str:
    """Return the whole stdout text for ``report`` in ``output_format``, ending in a newline.

    Input errors are left to the caller's stderr except where a format has a native place for
    them (SARIF notifications, GitHub annotations). ``statistics`` replaces the per-finding
    lines of ``concise``/``full`` with a count table and makes ``json`` emit counts; the CI
    formats ignore it because their consumers need every finding. Each format module is
    imported here, on demand, so the CLI does not pay for formats it is not using.
    """
    if output_format == "sarif":
        from nbgraduate.lint.output.sarif import render_sarif

        # SARIF percent-encodes a path's own bytes into its URIs, so it gets the paths as read.
        return render_sarif(report, rules=rules)
    from nbgraduate.lint.output._common import printable_report

    report = printable_report(report)
    if output_format == "concise":
        from nbgraduate.lint.output.concise import render_concise

        return render_concise(report, statistics=statistics)
    if output_format == "full":
        from nbgraduate.lint.output.full import render_full

        return render_full(report, statistics=statistics)
    if output_format == "json":
        from nbgraduate.lint.output.json import render_json

        return render_json(report, statistics=statistics)
    if output_format == "github":
        from nbgraduate.lint.output.github import render_github

        return render_github(report)
    if output_format == "gitlab":
        from nbgraduate.lint.output.gitlab import render_gitlab

        return render_gitlab(report)
    choices = ", ".join(OUTPUT_FORMATS)
    raise ValueError(f"unknown output format {output_format!r}; expected one of: {choices}")
