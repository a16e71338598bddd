"""``nbgraduate reproduce``: re-run a recorded run from its commit and say whether its number holds.

:func:`reproduce` takes a run (``ReproduceOptions.run`` as the gate names runs) through five
steps, each its own module:

1. ``worktree``: check the record's commit out into a temporary git worktree (the user's work
   tree is never touched); a record made from a dirty tree is refused unless allowed;
2. ``restore``: put back each dataset byte for byte, from the run store's snapshots by digest
   (or verify the copy the commit has), refusing with the reason when no such copy exists;
3. ``environment``: compare this environment with the recorded package versions;
4. re-run the pipeline with the recorded parameters and seeds (``runs.run``), recording the
   new run linked to the original;
5. ``compare``: identical, within the run-to-run variation (a paired equivalence test), or
   diverged, with the examples that changed; and the served model and fingerprint, old and new.

``render`` prints the :class:`Reproduction` report; its ``exit_code`` is the command's.
"""

from __future__ import annotations

from nbgraduate.reproduce.errors import CannotReproduce, ReproduceInfrastructureError
from nbgraduate.reproduce.options import ReproduceOptions
from nbgraduate.reproduce.render import render
from nbgraduate.reproduce.report import ReproductionReport
from nbgraduate.reproduce.runner import reproduce

__all__ = [
    "CannotReproduce",
    "ReproduceInfrastructureError",
    "ReproduceOptions",
    "ReproductionReport",
    "render",
    "reproduce",
]
