"""Read a verdict out of a judge's answer with the parser the declaration names.

A parser never guesses: an answer it cannot read is *unparseable* (``None``), counted and
reported apart from disagreements, because a judge that stops following its output format has
drifted as surely as one that changes its mind.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable

from nbgraduate.calibrate.reference import CalibrationDeclaration, Verdict
from nbgraduate.core import regex_cache

__all__ = ["VerdictParser", "make_parser", "parse_score"]

#: Answer text in, verdict (or ``None`` when the answer cannot be read) out.
VerdictParser = Callable[[str], Verdict | None]

_CODE_FENCE = regex_cache.compile(
    r"^\s*```[A-Za-z0-9_-]*\s*\n(?P<body>.*?)\n?\s*```\s*$", re.DOTALL
)


def make_parser(declaration: CalibrationDeclaration) -> VerdictParser:
    """The parser of ``declaration``: its ``[parser]`` extraction, then the kind's conversion
    (a declared label, or a finite number)."""
    spec = declaration.parser
    if spec.regex is not None:
        pattern = re.compile(spec.regex)

        def extract(answer: str) -> object:
            match = pattern.search(answer)
            if match is None:
                return None
            return match.group(1) if pattern.groups else match.group(0)

    else:
        field = spec.json_field or ""

        def extract(answer: str) -> object:
            document = _json_object(answer)
            return None if document is None else document.get(field)

    def parse(answer: str) -> Verdict | None:
        raw = extract(answer)
        if raw is None:
            return None
        if declaration.kind == "score":
            return parse_score(raw)
        if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
            return None
        return declaration.canonical_label(str(raw))

    return parse


def parse_score(raw: object) -> float | None:
    """A finite number from a JSON number or a numeric string (``"4"``, ``" 3.5 "``)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        value = float(raw)
    elif isinstance(raw, str):
        try:
            value = float(raw.strip())
        except ValueError:
            return None
    else:
        return None
    return value if math.isfinite(value) else None


def _json_object(answer: str) -> dict | None:
    """The JSON object an answer holds: the whole text, a fenced block, or the outermost
    ``{...}`` span (models like to wrap JSON in prose)."""
    text = answer.strip()
    fenced = _CODE_FENCE.match(text)
    if fenced is not None:
        text = fenced.group("body").strip()
    candidates = [text]
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start : end + 1])
    for candidate in candidates:
        try:
            document = json.loads(candidate)
        except (json.JSONDecodeError, RecursionError):
            continue
        if isinstance(document, dict):
            return document
    return None
