"""Recognise requests to LLMs and chat-model constructors, and whether they set sampling."""

from __future__ import annotations

from nbgraduate.analysis import catalog
from nbgraduate.analysis.facts import CallSite
from nbgraduate.analysis.values import ValueResolver

_REQUEST_METHODS = frozenset(suffix.rsplit(".", 1)[-1] for suffix in catalog.LLM_REQUEST_SUFFIXES)


def llm_call_kind(call: CallSite) -> str | None:
    """``"request"``, ``"google"`` (generate_content), ``"constructor"`` or ``None``."""
    method = call.method
    if (
        method not in _REQUEST_METHODS
        and method not in catalog.CHAT_MODEL_CONSTRUCTORS
        and call.qualified_name not in catalog.LLM_REQUEST_FUNCTIONS
        and not call.qualified_name.startswith(catalog.LLM_CLASS_MODULES)
    ):
        return None
    written = call.written_name
    if call.qualified_name in catalog.LLM_REQUEST_FUNCTIONS:
        return "request"
    if call.method in ("generate_content", "generate_content_async"):
        return "google"
    for suffix in catalog.LLM_REQUEST_SUFFIXES:
        if written == suffix or written.endswith("." + suffix):
            if suffix in ("converse",) and "." not in written:
                return None
            return "request"
    if call.method in catalog.CHAT_MODEL_CONSTRUCTORS:
        return "constructor"
    if call.qualified_name.startswith(catalog.LLM_CLASS_MODULES):
        return "constructor"
    return None


def sets_temperature(call: CallSite, values: ValueResolver) -> bool:
    """Whether the call sets temperature, directly or in a config; unknown ``**kwargs`` count."""
    if catalog.TEMPERATURE_KEYWORDS & call.keywords.keys():
        return True
    for star in call.star_kwargs:
        keys = values.dict_keys(star, call.scope)
        if keys is None or catalog.TEMPERATURE_KEYWORDS & keys:
            return True
    for name in catalog.SAMPLING_CONFIG_KEYWORDS & call.keywords.keys():
        keys = values.dict_keys(call.keywords[name], call.scope)
        if keys is None or catalog.TEMPERATURE_KEYWORDS & keys:
            return True
    return False
