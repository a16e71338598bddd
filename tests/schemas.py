"""SchemaStore schemas vendored by check-jsonschema, for tests that can use them (not a test
module). Found without importing check-jsonschema, which needs only its data files here; a
test skips when the package is not installed."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest


def vendored_schema(name: str) -> dict:
    spec = importlib.util.find_spec("check_jsonschema")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("check-jsonschema (which vendors SchemaStore's schemas) is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "builtin_schemas" / "vendor" / name
    if not path.is_file():
        pytest.skip(f"this check-jsonschema does not vendor {name}")
    return json.loads(path.read_text(encoding="utf-8"))
