"""The ``nbgraduate`` command line: the top of the layer order, imported by nothing else.

:mod:`~nbgraduate.cli.app` builds the typer application from one module per command group
(``lint``, ``convert``/``lock``/``verify``, ``run``/``runs``, ``gate``, ``report``, ``comment``,
``calibrate``, ``init``, ``hook``). A command parses its arguments, calls the layer that does
the work, and formats the result; errors become exit codes in one place.
"""

from __future__ import annotations

__all__ = ["main"]


def main() -> None:
    """The console script ``nbgraduate`` and ``python -m nbgraduate``."""
    from nbgraduate.cli.app import app

    app()
