"""Every rule code, read from the rule modules' file names without importing a rule.

Settings are validated against the known codes before anything is linted, and a run served
from the result cache never needs the rules themselves. Rule modules are named
``nbgNNN_name.py`` (one rule each); a test holds this list equal to the registry's codes.
"""

from __future__ import annotations

import functools
import os

from nbgraduate.core import regex_cache

__all__ = ["known_rule_codes"]

_RULE_MODULE = regex_cache.compile(r"^(nbg\d{3})_\w+\.py$")


@functools.cache
def known_rule_codes() -> frozenset[str]:
    """``NBG101``, ``NBG102``, ...: one per ``rules/nbgNNN_*.py``."""
    directory = os.path.join(os.path.dirname(__file__), "rules")
    return frozenset(
        match.group(1).upper()
        for name in os.listdir(directory)
        if (match := _RULE_MODULE.match(name))
    )
