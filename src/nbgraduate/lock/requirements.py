"""A pipeline's ``requirements.txt``: its ``==`` pins, and the digest the lock records."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

__all__ = ["REQUIREMENTS_FILENAME", "parse_requirements_file", "requirements_digest"]

REQUIREMENTS_FILENAME = "requirements.txt"
_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;#]+)")


def parse_requirements_file(path: Path) -> dict[str, str]:
    """``name -> version`` from a requirements file's ``name==version`` lines."""
    if not path.is_file():
        return {}
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line)
        if match:
            pins[match.group(1)] = match.group(2)
    return pins


def requirements_digest(pins: dict[str, str]) -> str:
    canonical = "\n".join(
        f"{name.lower()}=={version}"
        for name, version in sorted(pins.items(), key=lambda kv: kv[0].lower())
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
