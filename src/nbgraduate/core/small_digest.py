"""SHA-256 for short inputs (a key, a line, a scope name) without loading OpenSSL.

``import hashlib`` loads OpenSSL's ``_hashlib`` (2-5 ms), a sizeable share of a lint run's
start-up. CPython's built-in SHA-256 module gives the same digests and loads in microseconds;
on inputs of a few hundred bytes it is as fast. Whole files are better hashed with hashlib's,
which is faster on large inputs, and hashlib's serves where the built-in module is missing.
"""

from __future__ import annotations

__all__ = ["sha256"]

try:
    from _sha256 import sha256  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - Python 3.12 renamed it
    try:
        from _sha2 import sha256  # type: ignore[import-not-found,no-redef]
    except ImportError:
        from hashlib import sha256  # type: ignore[assignment,no-redef]
