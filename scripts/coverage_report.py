"""Print the test-suite's coverage per package and fail below the floor (what CI runs).

Run after ``coverage run -m pytest`` and ``coverage combine``: it reads the combined data and
the ``[tool.coverage]`` configuration of ``pyproject.toml``, prints statements, missed
statements and coverage for each package of ``src/nbgraduate`` (the package root's own
modules as ``nbgraduate``), then the total. It exits 2 when the total is below
``[tool.coverage.report] fail_under``, the floor CI enforces.

    python scripts/coverage_report.py [--data-file .coverage] [--rcfile pyproject.toml]
"""

from __future__ import annotations

import argparse
import io
import sys
from collections import defaultdict
from pathlib import Path


def package_of(path: Path) -> str:
    """``nbgraduate.lint`` for ``.../nbgraduate/lint/rules/x.py``; ``nbgraduate`` for the root."""
    parts = path.parts
    index = len(parts) - 1 - parts[::-1].index("nbgraduate")
    inner = parts[index + 1 : -1]
    return "nbgraduate" + (f".{inner[0]}" if inner else "")


def main(argv: list[str] | None = None) -> int:
    import coverage

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-file", default=None, help="combined data (default: config's)")
    parser.add_argument("--rcfile", default="pyproject.toml", help="coverage configuration")
    args = parser.parse_args(argv)

    options = {"data_file": args.data_file} if args.data_file else {}
    cov = coverage.Coverage(config_file=args.rcfile, **options)
    cov.load()
    floor = float(cov.get_option("report:fail_under") or 0)
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for filename in cov.get_data().measured_files():
        path = Path(filename)
        if "nbgraduate" not in path.parts:
            continue
        _, statements, _, missing, _ = cov.analysis2(filename)
        if not statements:
            continue
        package = totals[package_of(path)]
        package[0] += len(statements)
        package[1] += len(missing)

    # coverage's own total, so the figure here is the one `coverage report` would give.
    total = cov.report(file=io.StringIO())
    width = max(len(name) for name in totals) if totals else 10
    print(f"{'package':<{width}}  {'stmts':>6}  {'miss':>5}  {'cover':>6}")
    for name, (statements, missing) in sorted(totals.items()):
        percent = 100.0 * (statements - missing) / statements
        print(f"{name:<{width}}  {statements:>6}  {missing:>5}  {percent:>5.1f}%")
    print(f"{'TOTAL':<{width}}  {'':>6}  {'':>5}  {total:>5.1f}%")
    if total < floor:
        print(
            f"coverage {total:.1f}% is below the floor of {floor:g}% (fail_under)", file=sys.stderr
        )
        return 2
    print(f"coverage {total:.1f}% meets the floor of {floor:g}%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
