"""The ``nbgraduate`` command line: the top of the layer order, imported by nothing else.

:mod:`~nbgraduate.cli.root` answers ``--version`` and ``--help`` and hands ``lint`` and ``rule``
to their argparse parser (:mod:`~nbgraduate.cli.lint`) without importing typer;
:mod:`~nbgraduate.cli.app` builds the typer application for every other command from one
module per command group (``lint``, ``convert``/``lock``/``verify``, ``run``/``runs``, ``gate``,
``report``, ``comment``, ``calibrate``, ``init``, ``hook``). A command parses its arguments,
calls the layer that does the work, and formats the result; errors become exit codes in one
place (:mod:`~nbgraduate.cli.exits`).
"""

from __future__ import annotations

import sys

__all__ = ["main"]


def main() -> None:
    """The console script ``nbgraduate`` and ``python -m nbgraduate``."""
    from nbgraduate.cli.root import main as run

    run(sys.argv[1:])
