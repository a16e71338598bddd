"""Classify an LLM model or judge id as pinned (a fixed snapshot) or floating (a moving alias)."""

from __future__ import annotations

import fnmatch
import functools
import json
import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence

from nbgraduate.core import pycache, regex_cache
from nbgraduate.core.records import Record
from nbgraduate.core.small_digest import sha256

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

__all__ = [
    "ModelIdVerdict",
    "ModelPolicy",
    "ModelPolicyConfig",
    "ModelPolicyError",
    "PinStatus",
    "policy_for",
]

if TYPE_CHECKING:
    from typing import Any, Literal

    PinStatus = Literal["pinned", "floating", "unknown"]
else:
    PinStatus = str

SCHEMA_VERSION = 1
#: The layout of the parsed policy kept beside the bytecode; bumped when it changes.
_POLICY_CACHE_FORMAT = 1
_STATUSES: tuple[PinStatus, ...] = ("pinned", "floating", "unknown")
_PROVIDER_KEYS = frozenset(
    {
        "name",
        "vendor",
        "strip",
        "match",
        "floating",
        "pinned",
        "fixed",
        "version",
        "fixed_from",
        "default",
        "pin_hint",
        "suggest",
        "reasons",
    }
)
# Every placeholder a reason template may use; templates are checked against it when loaded so
# that a typo fails at start-up rather than in the middle of a lint run.
_TEMPLATE_FIELDS = {
    "id": "x",
    "vendor": "x",
    "pin_hint": "x",
    "since": "x",
    "suggestion": "x",
    "revision": "x",
}
_DIGIT_DOT = regex_cache.compile(r"(?<=\d)\.(?=\d)")
_LATEST = regex_cache.compile(r"-latest$", re.IGNORECASE)


class ModelPolicyError(ValueError):
    """The packaged policy or a ``[tool.nbgraduate.models]`` table is malformed."""


class ModelIdVerdict(Record):
    """Whether one model id pins a fixed model, and why, in words a lint message can quote."""

    _fields = ("model_id", "inner_id", "provider", "status", "reason", "suggestion")
    __slots__ = _fields

    def __init__(
        self,
        model_id: str,
        inner_id: str,
        provider: str | None,
        status: PinStatus,
        reason: str,
        suggestion: str | None = None,
    ) -> None:
        # Set past the guard below: a policy hands the same cached verdict to every caller.
        setter = object.__setattr__
        setter(self, "model_id", model_id)
        setter(self, "inner_id", inner_id)
        setter(self, "provider", provider)
        setter(self, "status", status)
        setter(self, "reason", reason)
        setter(self, "suggestion", suggestion)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}: a verdict is immutable")


def _compile(value: object, where: str, *, lazy: bool = False) -> _Pattern | None:
    """One case-insensitive pattern from a regex or a list of alternative regexes.

    ``lazy`` leaves the compiling to the first use (:class:`_LazyPattern`); only the packaged
    policy asks for it, whose every pattern the test-suite compiles.
    """
    if value is None:
        return None
    patterns = [value] if isinstance(value, str) else value
    if (
        not isinstance(patterns, list)
        or not patterns
        or not all(isinstance(p, str) for p in patterns)
    ):
        raise ModelPolicyError(f"{where}: expected a regex or a non-empty list of regexes")
    source = patterns[0] if len(patterns) == 1 else "|".join(f"(?:{p})" for p in patterns)
    if lazy:
        return _LazyPattern(source, where)
    return _compiled(source, where)


def _compiled(source: str, where: str) -> re.Pattern[str]:
    try:
        return regex_cache.compile(source, re.IGNORECASE)
    except re.error as exc:
        raise ModelPolicyError(f"{where}: invalid regex {source!r}: {exc}") from exc


class _LazyPattern:
    """A provider's pattern, compiled when first used.

    The packaged policy has some thirty provider patterns, about 2.5 ms of ``re.compile`` in
    every lint run, and a notebook names models of one or two providers: the patterns of the
    others are never searched. A pattern that does not compile raises
    :class:`ModelPolicyError` at its first use instead of at start-up.
    """

    __slots__ = ("_compiled", "source", "where")

    def __init__(self, source: str, where: str) -> None:
        self.source = source
        self.where = where
        self._compiled: re.Pattern[str] | None = None

    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = _compiled(self.source, self.where)
        return self._compiled

    def search(self, text: str) -> re.Match[str] | None:
        return self.compiled().search(text)

    def sub(self, replacement: str, text: str, count: int = 0) -> str:
        return self.compiled().sub(replacement, text, count=count)


if TYPE_CHECKING:
    _Pattern = re.Pattern[str] | _LazyPattern


def _strings(value: object, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ModelPolicyError(f"{where}: expected a list of strings")
    return value


def _templates(value: object, where: str) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise ModelPolicyError(f"{where}: expected a table of strings")
    templates: dict[str, str] = {}
    for key, template in value.items():
        if not isinstance(template, str):
            raise ModelPolicyError(f"{where}.{key}: expected a string")
        try:
            template.format(**_TEMPLATE_FIELDS)
        except (KeyError, IndexError, ValueError) as exc:
            raise ModelPolicyError(f"{where}.{key}: bad placeholder in {template!r}") from exc
        templates[str(key)] = template
    return templates


def _generation(text: str, where: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d+)(?:\.(\d+))?", text)
    if match is None:
        raise ModelPolicyError(f"{where}: expected a generation such as '4.6', got {text!r}")
    return int(match[1]), int(match[2] or 0)


class _Provider(Record):
    """One compiled ``[[providers]]`` table: how a vendor spells pinned and floating ids."""

    _fields = (
        "name",
        "vendor",
        "match",
        "strip",
        "floating",
        "pinned",
        "fixed",
        "versions",
        "fixed_from",
        "since",
        "default",
        "pin_hint",
        "suggest",
        "reasons",
    )
    __slots__ = _fields

    def __init__(
        self,
        name: str,
        vendor: str,
        match: _Pattern,
        strip: _Pattern | None,
        floating: _Pattern | None,
        pinned: _Pattern | None,
        fixed: _Pattern | None,
        versions: tuple[re.Pattern[str], ...],
        fixed_from: tuple[int, int] | None,
        since: str,
        default: PinStatus,
        pin_hint: str,
        suggest: Mapping[str, str],
        reasons: Mapping[str, str],
    ) -> None:
        self.name = name
        self.vendor = vendor
        self.match = match
        self.strip = strip
        self.floating = floating
        self.pinned = pinned
        self.fixed = fixed
        self.versions = versions
        self.fixed_from = fixed_from
        self.since = since
        self.default = default
        self.pin_hint = pin_hint
        self.suggest = suggest
        self.reasons = reasons

    @classmethod
    def from_table(
        cls,
        table: Mapping[str, Any],
        *,
        reasons: Mapping[str, str],
        where: str,
        lazy: bool = False,
    ) -> _Provider:
        if not isinstance(table, Mapping):
            raise ModelPolicyError(f"{where}: expected a table")
        unknown_keys = sorted(set(table) - _PROVIDER_KEYS)
        if unknown_keys:
            raise ModelPolicyError(f"{where}: unknown keys {', '.join(unknown_keys)}")
        name = table.get("name")
        if not isinstance(name, str) or not name:
            raise ModelPolicyError(f"{where}: 'name' is required")
        where = f"{where} {name!r}"
        default = table.get("default", "floating")
        if default not in _STATUSES:
            raise ModelPolicyError(f"{where}.default: expected one of {', '.join(_STATUSES)}")
        versions = tuple(
            _compile(source, f"{where}.version")
            for source in _strings(table.get("version", []), f"{where}.version")
        )
        for pattern in versions:
            if pattern is None or "major" not in pattern.groupindex:
                raise ModelPolicyError(f"{where}.version: each regex needs a (?P<major>...) group")
        since = table.get("fixed_from")
        if since is not None and (not isinstance(since, str) or not versions):
            raise ModelPolicyError(f"{where}.fixed_from: a string such as '4.6', with 'version'")
        suggest = table.get("suggest", {})
        if not isinstance(suggest, Mapping) or not all(
            isinstance(pinned_id, str) for pinned_id in suggest.values()
        ):
            raise ModelPolicyError(f"{where}.suggest: expected a table of alias = pinned id")
        match = _compile(table.get("match"), f"{where}.match", lazy=lazy)
        if match is None:
            raise ModelPolicyError(f"{where}: 'match' is required")
        return cls(
            name=name,
            vendor=str(table.get("vendor", name)),
            match=match,
            strip=_compile(table.get("strip"), f"{where}.strip", lazy=lazy),
            floating=_compile(table.get("floating"), f"{where}.floating", lazy=lazy),
            pinned=_compile(table.get("pinned"), f"{where}.pinned", lazy=lazy),
            fixed=_compile(table.get("fixed"), f"{where}.fixed", lazy=lazy),
            versions=tuple(p for p in versions if p is not None),
            fixed_from=_generation(since, f"{where}.fixed_from") if since else None,
            since=since or "",
            default=default,
            pin_hint=str(table.get("pin_hint", "a fixed snapshot")),
            suggest={str(alias).lower(): pinned_id for alias, pinned_id in suggest.items()},
            reasons={**reasons, **_templates(table.get("reasons", {}), f"{where}.reasons")},
        )

    def recognise(self, inner_id: str) -> str | None:
        """The id this provider classifies (region or ``models/`` prefix removed), if it is one."""
        candidate = self.strip.sub("", inner_id, count=1) if self.strip else inner_id
        return candidate if candidate and self.match.search(candidate) else None

    def judge(self, model_id: str, inner_id: str) -> ModelIdVerdict:
        if self.floating and self.floating.search(inner_id):
            return self._floating(model_id, inner_id, "floating")
        if self.pinned and self.pinned.search(inner_id):
            return self._verdict(model_id, inner_id, "pinned", "pinned")
        if self.fixed and self.fixed.search(inner_id):
            return self._verdict(model_id, inner_id, "pinned", "fixed")
        if self.fixed_from is not None:
            generation = self._generation_of(inner_id)
            if generation is not None and generation >= self.fixed_from:
                return self._verdict(model_id, inner_id, "pinned", "generation")
        if self.default == "floating":
            return self._floating(model_id, inner_id, "alias")
        return self._verdict(model_id, inner_id, self.default, self.default)

    def _generation_of(self, inner_id: str) -> tuple[int, int] | None:
        for pattern in self.versions:
            found = pattern.search(inner_id)
            if found is not None:
                minor = found.groupdict().get("minor")
                return int(found["major"]), int(minor or 0)
        return None

    def _suggestion(self, inner_id: str) -> str | None:
        # Aliases come spelled several ways (-latest, OpenRouter's dotted claude-3.5-sonnet);
        # one table entry should cover them all.
        key = inner_id.lower()
        for candidate in (key, _LATEST.sub("", key)):
            for spelling in (candidate, _DIGIT_DOT.sub("-", candidate)):
                if spelling in self.suggest:
                    return self.suggest[spelling]
        return None

    def _floating(self, model_id: str, inner_id: str, kind: str) -> ModelIdVerdict:
        suggestion = self._suggestion(inner_id)
        advice = self._say("pin_example" if suggestion else "pin", inner_id, suggestion)
        reason = f"{self._say(kind, inner_id, suggestion)}; {advice}"
        return ModelIdVerdict(model_id, inner_id, self.name, "floating", reason, suggestion)

    def _verdict(
        self, model_id: str, inner_id: str, status: PinStatus, kind: str
    ) -> ModelIdVerdict:
        return ModelIdVerdict(model_id, inner_id, self.name, status, self._say(kind, inner_id))

    def _say(self, kind: str, inner_id: str, suggestion: str | None = None) -> str:
        return self.reasons[kind].format(
            id=inner_id,
            vendor=self.vendor,
            pin_hint=self.pin_hint,
            since=self.since,
            suggestion=suggestion or "",
            revision="",
        )


class _HubRepos(Record):
    """How Hugging Face repo ids look, and which ``revision`` pins one."""

    _fields = ("vendor", "repo", "not_repo", "revision", "reasons")
    __slots__ = _fields

    def __init__(
        self,
        vendor: str,
        repo: re.Pattern[str],
        not_repo: re.Pattern[str] | None,
        revision: re.Pattern[str],
        reasons: Mapping[str, str],
    ) -> None:
        self.vendor = vendor
        self.repo = repo
        self.not_repo = not_repo
        self.revision = revision
        self.reasons = reasons

    def judge(self, model_id: str, repo_id: str, revision: str | None) -> ModelIdVerdict | None:
        if not self.repo.search(repo_id) or (self.not_repo and self.not_repo.search(repo_id)):
            return None
        revision = (revision or "").strip()
        if revision and self.revision.search(revision):
            kind: str = "pinned"
        else:
            kind = "moving_revision" if revision else "floating"
        reason = self.reasons[kind].format(
            **{**_TEMPLATE_FIELDS, "id": repo_id, "vendor": self.vendor, "revision": revision}
        )
        status: PinStatus = "pinned" if kind == "pinned" else "floating"
        return ModelIdVerdict(model_id, repo_id, "huggingface", status, reason)


class ModelPolicy:
    """The rules that say which model ids are pinned; build it with :meth:`default`.

    A policy is immutable: :meth:`extended` returns a new one with the user's
    ``[tool.nbgraduate.models]`` settings layered on top.
    """

    __slots__ = (
        "_cache",
        "_deployments",
        "_embeddings",
        "_floating_globs",
        "_hf_orgs",
        "_hub",
        "_not_a_model",
        "_pinned_globs",
        "_prefix",
        "_providers",
        "_reasons",
        "_tags",
        "_weights",
    )

    def __init__(
        self,
        *,
        providers: tuple[_Provider, ...],
        prefix: re.Pattern[str],
        weights: frozenset[str],
        hf_orgs: frozenset[str],
        not_a_model: re.Pattern[str] | None,
        hub: _HubRepos,
        reasons: Mapping[str, str],
        pinned_globs: tuple[str, ...] = (),
        floating_globs: tuple[str, ...] = (),
        tags: frozenset[str] = frozenset(),
        embeddings: re.Pattern[str] | None = None,
        deployments: frozenset[str] = frozenset(),
    ) -> None:
        self._providers = providers
        self._deployments = deployments
        self._cache: dict[tuple[str, str | None], ModelIdVerdict] = {}
        self._tags = tags
        self._embeddings = embeddings
        self._prefix = prefix
        self._weights = weights
        self._hf_orgs = hf_orgs
        self._not_a_model = not_a_model
        self._hub = hub
        self._reasons = reasons
        self._pinned_globs = pinned_globs
        self._floating_globs = floating_globs

    @classmethod
    def default(cls) -> ModelPolicy:
        """The packaged policy, read from ``knowledge/model_policy.toml`` once per process."""
        return _default_policy()

    @classmethod
    def _from_data(cls, data: Mapping[str, Any], *, where: str, lazy: bool = False) -> ModelPolicy:
        if data.get("schema_version") != SCHEMA_VERSION:
            raise ModelPolicyError(f"{where}: schema_version must be {SCHEMA_VERSION}")
        reasons = _templates(data.get("reasons", {}), f"{where} [reasons]")
        prefixes = data.get("prefixes", {})
        api = _strings(prefixes.get("api", []), f"{where} [prefixes].api")
        weights = _strings(prefixes.get("weights", []), f"{where} [prefixes].weights")
        hf_orgs = _strings(prefixes.get("hf_orgs", []), f"{where} [prefixes].hf_orgs")
        tags = _strings(prefixes.get("tags", []), f"{where} [prefixes].tags")
        deployments = _strings(prefixes.get("deployments", []), f"{where} [prefixes].deployments")
        # Longest first, so bedrock/converse/ wins over bedrock/. Besides `openai/gpt-4o`, the
        # provider URI forms `openai:/gpt-4o` (MLflow), `openai:gpt-4o` and `openai:chat:gpt-4`
        # (promptfoo) name the same model. Names of one length in a fixed order, so the pattern
        # is the same in every process (its compiled form is kept between runs).
        names = sorted({*api, *weights, *tags, *deployments}, key=lambda name: (-len(name), name))
        prefix = regex_cache.compile(
            "^("
            + "|".join(re.escape(name) for name in names)
            + ")(?:/|:/|:(?:(?:chat|completion|messages|responses):)?)",
            re.IGNORECASE,
        )
        hub_table = data.get("huggingface", {})
        hub_where = f"{where} [huggingface]"
        hub_repo = _compile(hub_table.get("repo"), f"{hub_where}.repo")
        hub_revision = _compile(hub_table.get("revision"), f"{hub_where}.revision")
        if hub_repo is None or hub_revision is None:
            raise ModelPolicyError(f"{hub_where}: 'repo' and 'revision' are required")
        hub = _HubRepos(
            vendor=str(hub_table.get("vendor", "Hugging Face")),
            repo=hub_repo,
            not_repo=_compile(hub_table.get("not_repo"), f"{hub_where}.not_repo"),
            revision=hub_revision,
            reasons=_templates(hub_table.get("reasons", {}), f"{hub_where}.reasons"),
        )
        providers = tuple(
            _Provider.from_table(table, reasons=reasons, where=f"{where} [[providers]]", lazy=lazy)
            for table in data.get("providers", [])
        )
        embeddings = data.get("embeddings", {})
        return cls(
            providers=providers,
            prefix=prefix,
            weights=frozenset(name.lower() for name in weights),
            hf_orgs=frozenset(name.lower() for name in hf_orgs),
            not_a_model=_compile(data.get("not_a_model"), f"{where} not_a_model"),
            hub=hub,
            reasons=reasons,
            tags=frozenset(name.lower() for name in tags),
            embeddings=_compile(embeddings.get("match"), f"{where} [embeddings].match"),
            deployments=frozenset(name.lower() for name in deployments),
        )

    def extended(
        self,
        *,
        pinned: Sequence[str] = (),
        floating: Sequence[str] = (),
        providers: Sequence[Mapping[str, Any]] = (),
    ) -> ModelPolicy:
        """This policy plus the user's ``[tool.nbgraduate.models]`` settings.

        ``pinned`` and ``floating`` are fnmatch globs, matched case-insensitively against the
        inner id or the id as written; they beat every built-in verdict, and ``floating`` beats
        ``pinned`` when both match, since a false alarm is cheaper than a judge that silently
        moves. ``providers`` are tables shaped like ``[[providers]]`` in the data file; they are
        tried before the built-in ones and replace a built-in provider of the same name.
        """
        where = "[tool.nbgraduate.models]"
        extra = tuple(
            _Provider.from_table(table, reasons=self._reasons, where=f"{where} providers")
            for table in providers
        )
        replaced = {provider.name for provider in extra}
        kept = tuple(provider for provider in self._providers if provider.name not in replaced)
        return ModelPolicy(
            providers=extra + kept,
            prefix=self._prefix,
            weights=self._weights,
            hf_orgs=self._hf_orgs,
            not_a_model=self._not_a_model,
            hub=self._hub,
            reasons=self._reasons,
            pinned_globs=self._pinned_globs + _globs(pinned, f"{where}.pinned"),
            floating_globs=self._floating_globs + _globs(floating, f"{where}.floating"),
            tags=self._tags,
            embeddings=self._embeddings,
            deployments=self._deployments,
        )

    def classify(self, model_id: str, *, revision: str | None = None) -> ModelIdVerdict:
        """Say whether ``model_id`` pins a fixed model; ``revision`` matters for Hub repos only."""
        key = (model_id, revision)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self._classify(model_id, revision)
        return cached

    def hosted(self, verdict: ModelIdVerdict, service: str) -> ModelIdVerdict:
        """A floating Hub-style ``org/name`` sent to a hosted API (``service``): it still floats,
        but the service decides what answers to it, so a ``revision`` cannot pin it."""
        if verdict.provider != "huggingface" or verdict.status != "floating":
            return verdict
        template = self._hub.reasons["hosted"]
        reason = template.format(**{**_TEMPLATE_FIELDS, "id": verdict.inner_id, "vendor": service})
        return verdict.replace(reason=reason)

    def _classify(self, model_id: str, revision: str | None) -> ModelIdVerdict:
        text = model_id.strip()
        verdict = self._classify_builtin(model_id, text, revision)
        if (
            verdict.status == "floating"
            and self._embeddings is not None
            and self._embeddings.search(verdict.inner_id)
        ):
            # Embedding, reranking and retrieval models encode; they neither generate nor judge.
            reason = self._reasons["embedding"].format(
                **{**_TEMPLATE_FIELDS, "id": verdict.inner_id}
            )
            verdict = ModelIdVerdict(model_id, verdict.inner_id, None, "unknown", reason)
        return self._apply_user_globs(verdict, text)

    def _classify_builtin(self, model_id: str, text: str, revision: str | None) -> ModelIdVerdict:
        if not text or (self._not_a_model and self._not_a_model.search(text)):
            return self._unknown(model_id, text)
        inner_id, prefixes = self._strip_prefixes(text)
        if not inner_id:
            return self._unknown(model_id, text)
        if prefixes and prefixes[-1] in self._weights:
            return self._hub.judge(model_id, inner_id, revision) or self._unknown(
                model_id, inner_id
            )
        if prefixes and prefixes[-1] in self._tags:
            # `ollama pull llama3` fetches whatever the library's tag points at today.
            reason = self._reasons["tag"].format(**{**_TEMPLATE_FIELDS, "id": inner_id})
            return ModelIdVerdict(model_id, inner_id, prefixes[-1], "floating", reason)
        for provider in self._providers:
            candidate = provider.recognise(inner_id)
            if candidate is not None:
                return provider.judge(model_id, candidate)
        if prefixes and prefixes[-1] in self._deployments:
            # `azure/<deployment>`: the name is the user's own, and the model version behind it
            # is chosen (and can be auto-upgraded) in the cloud console, outside the notebook.
            reason = self._reasons["deployment"].format(**{**_TEMPLATE_FIELDS, "id": inner_id})
            return ModelIdVerdict(model_id, inner_id, prefixes[-1], "floating", reason)
        # Behind a hosting prefix (groq/, together_ai/) an org/name is that host's catalogue
        # entry, which no revision can pin; only bare ids and Hub org look-alikes are repos.
        repo_id = None
        if not prefixes:
            repo_id = inner_id
        elif len(prefixes) == 1 and prefixes[0] in self._hf_orgs:
            repo_id = text
        verdict = self._hub.judge(model_id, repo_id, revision) if repo_id else None
        return verdict or self._unknown(model_id, inner_id)

    def _strip_prefixes(self, text: str) -> tuple[str, list[str]]:
        inner_id, prefixes = text, []
        while found := self._prefix.match(inner_id):
            prefixes.append(found[1].lower())
            inner_id = inner_id[found.end() :]
            if prefixes[-1] in self._weights or prefixes[-1] in self._tags:
                break  # what follows is a repo id or a tag, even if it looks like a prefix
        return inner_id, prefixes

    def _unknown(self, model_id: str, inner_id: str) -> ModelIdVerdict:
        reason = self._reasons["unknown"].format(**{**_TEMPLATE_FIELDS, "id": inner_id})
        return ModelIdVerdict(model_id, inner_id, None, "unknown", reason)

    def _apply_user_globs(self, verdict: ModelIdVerdict, text: str) -> ModelIdVerdict:
        if not text or not (self._pinned_globs or self._floating_globs):
            return verdict
        names = (verdict.inner_id.lower(), text.lower())
        if _any_match(names, self._floating_globs):
            status: PinStatus = "floating"
            suggestion = verdict.suggestion
        elif _any_match(names, self._pinned_globs):
            status, suggestion = "pinned", None
        else:
            return verdict
        reason = self._reasons[f"config_{status}"].format(
            **{**_TEMPLATE_FIELDS, "id": verdict.inner_id}
        )
        return verdict.replace(status=status, reason=reason, suggestion=suggestion)


def _globs(patterns: Iterable[str], where: str) -> tuple[str, ...]:
    if isinstance(patterns, str):
        raise ModelPolicyError(f"{where}: expected a list of globs, not a single string")
    globs = tuple(patterns)
    if not all(isinstance(glob, str) and glob.strip() for glob in globs):
        raise ModelPolicyError(f"{where}: expected a list of non-empty strings")
    return tuple(glob.strip().lower() for glob in globs)


def _any_match(names: Iterable[str], globs: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, glob) for glob in globs for name in names)


@functools.cache
def _default_policy() -> ModelPolicy:
    # The file sits beside this module (the wheel ships it there); ``importlib.resources``
    # would find the same path and cost ~5 ms of imports (``tempfile``, ``zipfile`` readers).
    resource = os.path.join(os.path.dirname(os.path.abspath(__file__)), "model_policy.toml")
    return ModelPolicy._from_data(_packaged_policy_data(resource), where=resource, lazy=True)


def _packaged_policy_data(resource: str) -> dict[str, object]:
    """The packaged policy file's tables. Importing tomllib and parsing the file cost every
    lint process about 3 ms, so the tables are kept beside the bytecode, under the digest of
    the file's text (an edited file is parsed again) and the interpreter's version."""
    with open(resource, encoding="utf-8") as file:
        text = file.read()
    header = (_POLICY_CACHE_FORMAT, sys.hexversion, sha256(text.encode("utf-8")).hexdigest())
    path = pycache.cache_path(os.path.dirname(resource), "model_policy.toml")
    data = pycache.load(path, header)
    if type(data) is dict:
        return data
    # Imported here so that importing nbgraduate stays cheap until a model id is classified.
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ModelPolicyError(f"{resource}: {exc}") from exc
    pycache.store(path, header, data)
    return data


class ModelPolicyConfig(Record):
    """The ``[tool.nbgraduate.models]`` extension, in a hashable form workers can share."""

    _fields = ("pinned", "floating", "providers_json")
    __slots__ = _fields

    def __init__(
        self,
        pinned: tuple[str, ...] = (),
        floating: tuple[str, ...] = (),
        providers_json: str = "[]",
    ) -> None:
        self.pinned = pinned
        self.floating = floating
        self.providers_json = providers_json


@functools.lru_cache(maxsize=16)
def policy_for(config: ModelPolicyConfig) -> ModelPolicy:
    """The packaged policy extended by ``config``; cached, so workers build it once each."""
    policy = ModelPolicy.default()
    providers = json.loads(config.providers_json)
    if config.pinned or config.floating or providers:
        policy = policy.extended(
            pinned=list(config.pinned), floating=list(config.floating), providers=providers
        )
    return policy
