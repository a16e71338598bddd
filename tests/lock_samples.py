"""A minimal valid ``nbgraduate.lock``, for tests that need one on disk. Not a test module."""

from __future__ import annotations

#: The fields every lock carries, with placeholder digests; tests add or change the rest.
MINIMAL_LOCK = {
    "nbgraduate_version": "0.1.0",
    "notebook": "judge.ipynb",
    "notebook_digest": "0" * 64,
    "scoring_digest": "0" * 64,
    "kernel_name": "python3",
    "python_version": "3.11.9",
}
