"""Providers a promptfoo configuration samples from, for ``!promptfoo eval -c <config>`` lines.

The notebook only names the configuration; its sampling settings live in the YAML file beside
it. Lint reads that file when it exists inside the repository (read-only, at most
:data:`MAX_CONFIG_BYTES`, parsed as safe YAML; nothing is executed or imported), and reports a
provider with ``temperature > 0`` and no ``seed`` whose API accepts one, as NBG303 does for
code. A file outside the repository, missing, too large or malformed is not read: lint cannot
see it, so it reports nothing about it.
"""

from __future__ import annotations

import os
import re

from nbgraduate.analysis import catalog
from nbgraduate.core.records import Record
from nbgraduate.notebook.model import ShellCommand

__all__ = [
    "MAX_CONFIG_BYTES",
    "PromptfooRun",
    "UnseededProvider",
    "promptfoo_runs",
    "read_config",
    "unseeded_providers",
]

#: A configuration larger than this is not read (promptfoo configs are a few kilobytes).
MAX_CONFIG_BYTES = 1 << 20
#: promptfoo's default configuration file, used when ``-c`` is not given.
DEFAULT_CONFIG = "promptfooconfig.yaml"

_TOKEN = re.compile(r"""[^\s"']+|"[^"]*"|'[^']*'""")
_CONFIG_FLAGS = ("-c", "--config")
#: promptfoo provider prefixes (``openai:chat:gpt-4o``) whose word is not a provider word.
_PREFIX_PROVIDERS = {"azureopenai": "openai", "vertex": "google", "localai": "openai"}


class PromptfooRun(Record):
    """One configuration a ``promptfoo eval`` line names, and where the line names it."""

    _fields = ("config", "cell_index", "row", "column", "end_column")
    __slots__ = _fields

    def __init__(
        self, config: str, cell_index: int, row: int, column: int, end_column: int
    ) -> None:
        self.config = config
        self.cell_index = cell_index
        self.row = row
        self.column = column
        self.end_column = end_column


class UnseededProvider(Record):
    """A provider of a read configuration that samples with a temperature and no seed."""

    _fields = ("provider", "temperature")
    __slots__ = _fields

    def __init__(self, provider: str, temperature: float) -> None:
        self.provider = provider
        self.temperature = temperature


def promptfoo_runs(commands: list[ShellCommand]) -> list[PromptfooRun]:
    """The configurations of every ``promptfoo eval`` (also ``npx promptfoo@latest eval``)."""
    runs: list[PromptfooRun] = []
    for command in commands:
        if "promptfoo" not in command.text:
            continue
        tokens = [(m.group(), m.start()) for m in _TOKEN.finditer(command.text)]
        program = next(
            (i for i, (text, _) in enumerate(tokens) if _is_promptfoo(text)),
            None,
        )
        if program is None or program + 1 >= len(tokens) or tokens[program + 1][0] != "eval":
            continue
        named = False
        arguments = tokens[program + 2 :]
        for index, (text, offset) in enumerate(arguments):
            flag, sep, inline = text.partition("=")
            if flag not in _CONFIG_FLAGS:
                continue
            if sep:
                value, start = inline, offset + len(flag) + 1
            elif index + 1 < len(arguments):
                value, start = arguments[index + 1]
            else:
                continue
            if value[:1] in "'\"" and value[-1:] == value[:1] and len(value) > 1:
                value, start = value[1:-1], start + 1
            for part in value.split(","):
                if part:
                    runs.append(_run(command, part, start))
                    named = True
                start += len(part) + 1
        if not named:
            text, offset = tokens[program]
            runs.append(_run(command, DEFAULT_CONFIG, offset, len(text)))
    return runs


def _is_promptfoo(token: str) -> bool:
    """``promptfoo``, ``promptfoo@latest``, ``./node_modules/.bin/promptfoo``."""
    return token.rsplit("/", 1)[-1].split("@", 1)[0] == "promptfoo"


def _run(command: ShellCommand, config: str, offset: int, length: int = 0) -> PromptfooRun:
    row, column = command.locate(offset)
    return PromptfooRun(config, command.cell_index, row, column, column + (length or len(config)))


def read_config(path: str, directory: str, root: str) -> object | None:
    """The parsed configuration at ``path`` (relative to ``directory``), or ``None`` when it is
    outside ``root``, missing, larger than :data:`MAX_CONFIG_BYTES` or not YAML."""
    if "://" in path:
        return None
    candidate = os.path.realpath(os.path.join(directory, os.path.expanduser(path)))
    real_root = os.path.realpath(root)
    try:
        if os.path.commonpath([candidate, real_root]) != real_root:
            return None
    except ValueError:  # another drive
        return None
    try:
        with open(candidate, "rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError:
        return None
    if len(data) > MAX_CONFIG_BYTES:
        return None
    try:
        from ruamel.yaml import YAML

        return YAML(typ="safe", pure=True).load(data.decode("utf-8"))
    except Exception:  # a broken configuration tells lint nothing; promptfoo will say why
        return None


def unseeded_providers(document: object) -> list[UnseededProvider]:
    """Providers of a configuration with ``temperature > 0`` and no ``seed``, for APIs that
    accept a seed (OpenAI and compatible, Gemini/Vertex, Mistral, Ollama, vLLM)."""
    if not isinstance(document, dict):
        return []
    providers = document.get("providers") or document.get("targets") or []
    if isinstance(providers, (str, dict)):
        providers = [providers]
    found: list[UnseededProvider] = []
    for provider in providers if isinstance(providers, list) else []:
        if not isinstance(provider, dict):
            continue  # a bare id: promptfoo's defaults decide, as for code without temperature
        identifier = provider.get("id")
        config = provider.get("config")
        if not isinstance(identifier, str) or not isinstance(config, dict):
            continue
        temperature = config.get("temperature")
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)):
            continue
        if temperature <= 0 or any(key in config for key in catalog.SEED_KEYWORDS):
            continue
        if _api_of(identifier) in catalog.SEEDABLE_PROVIDERS:
            found.append(UnseededProvider(identifier, float(temperature)))
    return found


def _api_of(identifier: str) -> str | None:
    """``openai:chat:gpt-4o`` → openai; ``anthropic:messages:...`` → anthropic."""
    head = identifier.split(":", 1)[0].lower()
    if head in _PREFIX_PROVIDERS:
        return _PREFIX_PROVIDERS[head]
    for word, provider in catalog.PROVIDER_WORDS:
        if word in head:
            return provider
    return None
