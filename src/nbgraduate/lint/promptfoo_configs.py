"""Providers a promptfoo configuration samples from, for ``!promptfoo eval -c <config>`` lines.

The notebook only names the configuration; its sampling settings live in the YAML file beside
it, or in a ``%%writefile`` cell of the notebook itself. Lint reads a file when it exists inside
the repository (read-only, at most :data:`MAX_CONFIG_BYTES`, parsed as safe YAML; nothing is
executed or imported), and reports a provider with ``temperature > 0`` and no ``seed`` whose
API accepts one, as NBG303 does for code, and the model ids of its providers and graders, as
NBG101 does for code. A file outside the repository, missing, too large or malformed is not
read: lint cannot see it, so it reports nothing about it.
"""

from __future__ import annotations

import os
import posixpath

from nbgraduate.analysis import catalog
from nbgraduate.core import regex_cache
from nbgraduate.core.records import Record
from nbgraduate.notebook.model import Cell, ShellCommand

__all__ = [
    "MAX_CONFIG_BYTES",
    "ConfigModel",
    "PromptfooRun",
    "UnseededProvider",
    "config_models",
    "promptfoo_runs",
    "read_config",
    "unseeded_providers",
    "written_config",
]

#: A configuration larger than this is not read (promptfoo configs are a few kilobytes).
MAX_CONFIG_BYTES = 1 << 20
#: promptfoo's default configuration file, used when ``-c`` is not given.
DEFAULT_CONFIG = "promptfooconfig.yaml"

_TOKEN = regex_cache.compile(r"""[^\s"']+|"[^"]*"|'[^']*'""")
_CONFIG_FLAGS = ("-c", "--config")
#: Flags that replace the configuration's ``providers`` (its graders still apply).
_PROVIDER_FLAGS = ("-r", "--providers")
#: Provider ids that name a program, a file or an endpoint rather than a model.
_NOT_A_MODEL = ("file://", "python:", "exec:", "http:", "https:", "webhook:", "golang:")
#: promptfoo provider prefixes (``openai:chat:gpt-4o``) whose word is not a provider word.
_PREFIX_PROVIDERS = {"azureopenai": "openai", "vertex": "google", "localai": "openai"}


class PromptfooRun(Record):
    """One configuration a ``promptfoo eval`` line names, and where the line names it."""

    _fields = ("config", "cell_index", "row", "column", "end_column", "providers_given")
    __slots__ = _fields

    def __init__(
        self,
        config: str,
        cell_index: int,
        row: int,
        column: int,
        end_column: int,
        #: The line gives ``--providers``, which replaces the configuration's own.
        providers_given: bool = False,
    ) -> None:
        self.config = config
        self.cell_index = cell_index
        self.row = row
        self.column = column
        self.end_column = end_column
        self.providers_given = providers_given


class UnseededProvider(Record):
    """A provider of a read configuration that samples with a temperature and no seed, and
    where the temperature is written (0-based ``line`` and ``column`` of the YAML text, ``-1``
    when the document was read without positions)."""

    _fields = ("provider", "temperature", "line", "column")
    __slots__ = _fields

    def __init__(self, provider: str, temperature: float, line: int = -1, column: int = -1) -> None:
        self.provider = provider
        self.temperature = temperature
        self.line = line
        self.column = column


class ConfigModel(Record):
    """A model id a configuration samples from (``candidate``) or grades with (``judge``), and
    where it is written: 0-based ``line`` and ``column`` of the YAML text, ``-1`` when the
    document was read without positions."""

    _fields = ("model_id", "role", "line", "column")
    __slots__ = _fields

    def __init__(self, model_id: str, role: str, line: int, column: int) -> None:
        self.model_id = model_id
        self.role = role
        self.line = line
        self.column = column


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
        given = any(text.partition("=")[0] in _PROVIDER_FLAGS for text, _ in arguments)
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
                    runs.append(_run(command, part, start, given=given))
                    named = True
                start += len(part) + 1
        if not named:
            text, offset = tokens[program]
            runs.append(_run(command, DEFAULT_CONFIG, offset, len(text), given=given))
    return runs


def _is_promptfoo(token: str) -> bool:
    """``promptfoo``, ``promptfoo@latest``, ``./node_modules/.bin/promptfoo``."""
    return token.rsplit("/", 1)[-1].split("@", 1)[0] == "promptfoo"


def _run(
    command: ShellCommand, config: str, offset: int, length: int = 0, *, given: bool = False
) -> PromptfooRun:
    row, column = command.locate(offset)
    end = column + (length or len(config))
    return PromptfooRun(config, command.cell_index, row, column, end, given)


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


def written_config(run: PromptfooRun, cells: list[Cell]) -> tuple[Cell, object] | None:
    """The ``%%writefile`` cell that writes ``run``'s configuration before the run (the last
    one, as the file holds what was written last) and its document parsed with positions, or
    ``None`` when no earlier cell writes it or its YAML does not parse. Paths are compared as
    written, after normalising (``./config.yaml`` is ``config.yaml``); nothing is read from
    disk."""
    wanted = posixpath.normpath(run.config)
    found: Cell | None = None
    for cell in cells:
        if cell.index >= run.cell_index:
            break
        if cell.cell_type != "code" or cell.cell_magic != "writefile":
            continue
        head, _, _ = cell.source.partition("\n")
        paths = [word for word in head.split()[1:] if not word.startswith("-")]
        if paths and posixpath.normpath(paths[0].strip("\"'")) == wanted:
            found = cell
    if found is None:
        return None
    # The magic line stays as an empty line, so the YAML's line numbers are the cell's rows.
    _, _, body = found.source.partition("\n")
    try:
        from ruamel.yaml import YAML

        document = YAML(typ="rt", pure=True).load("\n" + body)
    except Exception:  # a broken configuration tells lint nothing; promptfoo will say why
        return None
    return found, document


def config_models(document: object, *, providers_given: bool = False) -> list[ConfigModel]:
    """The model ids of a configuration's ``providers`` (or ``targets``; not when the command
    line gives ``--providers``, which replace them) and of the graders its tests name
    (``defaultTest`` and each test's ``options: provider:`` and ``assert: - provider:``).
    A provider is an id (``openai:chat:gpt-4o``), an object with an ``id``, or the older map
    from id to options; a grader may map each kind (``text``, ``embedding``) to a provider.
    Ids that name a file, a script or an endpoint are not models."""
    if not isinstance(document, dict):
        return []
    found: list[ConfigModel] = []
    if not providers_given:
        key = "providers" if document.get("providers") else "targets"
        providers = document.get(key)
        if isinstance(providers, list):
            for index, provider in enumerate(providers):
                _provider(provider, _item_position(providers, index), "candidate", found, 0)
        elif providers:
            _provider(providers, _value_position(document, key), "candidate", found, 0)
    tests = document.get("tests")
    scopes = [document.get("defaultTest")]
    scopes += tests if isinstance(tests, list) else []
    for scope in scopes:
        if not isinstance(scope, dict):
            continue
        options = scope.get("options")
        if isinstance(options, dict) and "provider" in options:
            position = _value_position(options, "provider")
            _provider(options["provider"], position, "judge", found, 0)
        asserts = scope.get("assert")
        for check in asserts if isinstance(asserts, list) else []:
            if isinstance(check, dict) and "provider" in check:
                position = _value_position(check, "provider")
                _provider(check["provider"], position, "judge", found, 0)
    return [model for model in found if not model.model_id.startswith(_NOT_A_MODEL)]


def _provider(
    value: object, position: tuple[int, int], role: str, found: list[ConfigModel], depth: int
) -> None:
    if isinstance(value, str):
        found.append(ConfigModel(value.strip(), role, *position))
        return
    if not isinstance(value, dict) or depth > 1:
        return
    identifier = value.get("id")
    if isinstance(identifier, str):
        found.append(ConfigModel(identifier.strip(), role, *_value_position(value, "id")))
        return
    for key, inner in value.items():
        if isinstance(key, str) and ":" in key and (inner is None or isinstance(inner, dict)):
            found.append(ConfigModel(key.strip(), role, *_key_position(value, key)))
        elif role == "judge" and isinstance(key, str) and ":" not in key:
            _provider(inner, _value_position(value, key), role, found, depth + 1)


def _item_position(sequence: object, index: int) -> tuple[int, int]:
    try:
        return sequence.lc.item(index)  # type: ignore[attr-defined]
    except (AttributeError, KeyError, TypeError):  # read without positions
        return -1, -1


def _value_position(mapping: object, key: object) -> tuple[int, int]:
    try:
        return mapping.lc.value(key)  # type: ignore[attr-defined]
    except (AttributeError, KeyError, TypeError):
        return -1, -1


def _key_position(mapping: object, key: object) -> tuple[int, int]:
    try:
        return mapping.lc.key(key)  # type: ignore[attr-defined]
    except (AttributeError, KeyError, TypeError):
        return -1, -1


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
            position = _value_position(config, "temperature")
            found.append(UnseededProvider(identifier, float(temperature), *position))
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
