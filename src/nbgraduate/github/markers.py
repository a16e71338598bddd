"""The hidden marker that identifies nbgraduate's pull-request comment.

A module of its own, without the client: ``nbgraduate comment`` shows it as its ``--marker``
default, and every typer command builds that option at start-up, which must not import the
GitHub client and its HTTP stack (a hook run would pay for them on every commit).
"""

from __future__ import annotations

__all__ = ["DEFAULT_MARKER"]

#: Hidden in the rendered comment; the gate's Markdown starts with it.
DEFAULT_MARKER = "<!-- nbgraduate-gate -->"
