"""Tests for nbgraduate.knowledge.model_policy: pinned vs floating model ids, from the packaged policy."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cli_runner import unmeasured_environment

from nbgraduate.knowledge import model_policy
from nbgraduate.knowledge.model_policy import ModelIdVerdict, ModelPolicy, ModelPolicyError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture(scope="module")
def policy() -> ModelPolicy:
    return ModelPolicy.default()


# (model id, provider, status, suggestion)
OPENAI = [
    ("gpt-4o-2024-08-06", "openai", "pinned", None),
    ("o1-2024-12-17", "openai", "pinned", None),
    ("gpt-4-0613", "openai", "pinned", None),
    ("gpt-3.5-turbo-0125", "openai", "pinned", None),
    ("gpt-4-1106-preview", "openai", "pinned", None),
    ("gpt-4o-mini-2024-07-18", "openai", "pinned", None),
    ("ft:gpt-4o-mini-2024-07-18:acme::9abcDEF", "openai", "pinned", None),
    ("ft:gpt-3.5-turbo:acme:custom:7p4lURel", "openai", "pinned", None),
    ("chatgpt-4o-latest", "openai", "floating", None),
    ("gpt-5-chat-latest", "openai", "floating", None),
    ("gpt-4o", "openai", "floating", "gpt-4o-2024-08-06"),
    ("gpt-4", "openai", "floating", "gpt-4-0613"),
    ("gpt-4-turbo", "openai", "floating", "gpt-4-turbo-2024-04-09"),
    ("gpt-4-turbo-preview", "openai", "floating", "gpt-4-0125-preview"),
    ("gpt-4-vision-preview", "openai", "floating", None),
    ("o3", "openai", "floating", "o3-2025-04-16"),
    ("o1-mini", "openai", "floating", "o1-mini-2024-09-12"),
    ("gpt-4.1", "openai", "floating", "gpt-4.1-2025-04-14"),
    ("gpt-5", "openai", "floating", "gpt-5-2025-08-07"),
    ("text-davinci-003", "openai", "pinned", None),
    ("code-davinci-002", "openai", "pinned", None),
    ("text-embedding-ada-002", "openai", "pinned", None),
    ("text-embedding-3-small", "openai", "pinned", None),
    ("text-embedding-3-large", "openai", "pinned", None),
    ("davinci-002", "openai", "pinned", None),
]

ANTHROPIC = [
    ("claude-3-5-sonnet-20241022", "anthropic", "pinned", None),
    ("claude-sonnet-4-20250514", "anthropic", "pinned", None),
    ("claude-3-5-sonnet-latest", "anthropic", "floating", "claude-3-5-sonnet-20241022"),
    ("claude-3-7-sonnet-latest", "anthropic", "floating", "claude-3-7-sonnet-20250219"),
    ("claude-sonnet-4-6", "anthropic", "pinned", None),
    ("claude-opus-4-6", "anthropic", "pinned", None),
    ("claude-opus-5", "anthropic", "pinned", None),
    ("claude-haiku-4-7", "anthropic", "pinned", None),
    ("claude-sonnet-4-5", "anthropic", "floating", "claude-sonnet-4-5-20250929"),
    ("claude-opus-4-1", "anthropic", "floating", "claude-opus-4-1-20250805"),
    ("claude-sonnet-4", "anthropic", "floating", "claude-sonnet-4-20250514"),
    ("claude-3-opus", "anthropic", "floating", "claude-3-opus-20240229"),
    ("claude-2.1", "anthropic", "pinned", None),
    ("claude-instant-1.2", "anthropic", "pinned", None),
    ("claude-3-5-sonnet-v2@20241022", "anthropic", "pinned", None),
]

GOOGLE = [
    ("gemini-1.5-pro-002", "google", "pinned", None),
    ("gemini-2.0-flash-001", "google", "pinned", None),
    ("gemini-2.5-pro-preview-05-06", "google", "pinned", None),
    ("gemini-2.0-flash-thinking-exp-01-21", "google", "pinned", None),
    ("gemini-exp-1206", "google", "pinned", None),
    ("gemini-1.5-pro-latest", "google", "floating", "gemini-1.5-pro-002"),
    ("gemini-2.0-flash", "google", "floating", "gemini-2.0-flash-001"),
    ("gemini-1.5-pro", "google", "floating", "gemini-1.5-pro-002"),
    ("gemini-pro", "google", "floating", "gemini-1.0-pro-002"),
]

MISTRAL = [
    ("mistral-large-2407", "mistral", "pinned", None),
    ("mistral-small-2409", "mistral", "pinned", None),
    ("codestral-2405", "mistral", "pinned", None),
    ("open-mistral-nemo-2407", "mistral", "pinned", None),
    ("mistral-large-latest", "mistral", "floating", "mistral-large-2411"),
    ("codestral-latest", "mistral", "floating", "codestral-2501"),
    ("mistral-large", "mistral", "floating", "mistral-large-2411"),
    ("open-mistral-nemo", "mistral", "floating", "open-mistral-nemo-2407"),
]

COHERE = [
    ("command-r-08-2024", "cohere", "pinned", None),
    ("command-a-03-2025", "cohere", "pinned", None),
    ("command-r-plus-08-2024", "cohere", "pinned", None),
    ("embed-english-v3.0", "cohere", "pinned", None),
    ("command-r", "cohere", "floating", "command-r-08-2024"),
    ("command-r-plus", "cohere", "floating", "command-r-plus-08-2024"),
    ("command-nightly", "cohere", "floating", None),
]

BEDROCK = [
    ("anthropic.claude-3-5-sonnet-20240620-v1:0", "bedrock", "pinned", None),
    ("us.anthropic.claude-3-7-sonnet-20250219-v1:0", "bedrock", "pinned", None),
    ("eu.anthropic.claude-3-7-sonnet-20250219-v1:0", "bedrock", "pinned", None),
    ("apac.anthropic.claude-3-5-sonnet-20240620-v1:0", "bedrock", "pinned", None),
    ("global.anthropic.claude-sonnet-4-20250514-v1:0", "bedrock", "pinned", None),
    ("us-gov.anthropic.claude-3-haiku-20240307-v1:0", "bedrock", "pinned", None),
    ("meta.llama3-70b-instruct-v1:0", "bedrock", "pinned", None),
    ("anthropic.claude-3-sonnet-20240229-v1:0:200k", "bedrock", "pinned", None),
    ("bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0", "bedrock", "pinned", None),
    ("bedrock/converse/us.meta.llama3-1-70b-instruct-v1:0", "bedrock", "pinned", None),
    ("amazon.titan-text-express-v1", "bedrock", "floating", None),
]

PREFIXED = [
    ("openai/gpt-4o", "openai", "floating", "gpt-4o-2024-08-06"),
    ("openai/gpt-4o-2024-08-06", "openai", "pinned", None),
    ("anthropic/claude-3-5-sonnet-20241022", "anthropic", "pinned", None),
    ("anthropic/claude-3-5-sonnet-latest", "anthropic", "floating", "claude-3-5-sonnet-20241022"),
    (
        "openrouter/anthropic/claude-3.5-sonnet",
        "anthropic",
        "floating",
        "claude-3-5-sonnet-20241022",
    ),
    ("azure/gpt-4o-2024-08-06", "openai", "pinned", None),
    ("gemini/gemini-1.5-pro", "google", "floating", "gemini-1.5-pro-002"),
    ("vertex_ai/gemini-1.5-pro-002", "google", "pinned", None),
    ("vertex_ai/claude-3-5-sonnet-v2@20241022", "anthropic", "pinned", None),
    ("google/gemini-2.0-flash", "google", "floating", "gemini-2.0-flash-001"),
    ("models/gemini-1.5-pro-002", "google", "pinned", None),
    ("gemini/models/gemini-1.5-pro-002", "google", "pinned", None),
    ("mistral/mistral-large-latest", "mistral", "floating", "mistral-large-2411"),
    ("cohere/command-r-08-2024", "cohere", "pinned", None),
    ("groq/mistral-saba-2502", "mistral", "pinned", None),
    ("together_ai/gpt-4o", "openai", "floating", "gpt-4o-2024-08-06"),
    # Provider URI forms: MLflow, promptfoo, pydantic-ai.
    ("openai:/gpt-4o-mini", "openai", "floating", "gpt-4o-mini-2024-07-18"),
    ("openai:chat:gpt-4", "openai", "floating", "gpt-4-0613"),
    ("anthropic:messages:claude-3-5-sonnet-20241022", "anthropic", "pinned", None),
    ("openai:gpt-4o-2024-08-06", "openai", "pinned", None),
    ("bedrock:/anthropic.claude-v2", "bedrock", "floating", None),
    ("mistral/mistral-tiny", "mistral", "floating", None),
    # Ollama tags move with `ollama pull`.
    ("ollama/llama3", "ollama", "floating", None),
    ("ollama_chat/llama3:8b-instruct-q5_1", "ollama_chat", "floating", None),
    # Hosted evaluators.
    ("lynx", "patronus", "floating", None),
    ("lynx-small-2024-07-23", "patronus", "pinned", None),
]

HUGGINGFACE = [
    ("meta-llama/Llama-3.1-8B-Instruct", "huggingface", "floating", None),
    ("hf/meta-llama/Llama-3.1-8B-Instruct", "huggingface", "floating", None),
    ("vllm/Qwen/Qwen2.5-7B-Instruct", "huggingface", "floating", None),
    ("huggingface/mistralai/Mistral-7B-Instruct-v0.3", "huggingface", "floating", None),
    # Hub organisations that share a name with an API prefix.
    ("openai/gpt-oss-20b", "huggingface", "floating", None),
    ("google/gemma-2-9b-it", "huggingface", "floating", None),
    ("hf/openai/gpt-oss-20b", "huggingface", "floating", None),
]

UNKNOWN = [
    "my-model",
    "hello world",
    "https://huggingface.co/meta-llama/Llama-3.1-8B",
    "/models/llama.gguf",
    "./checkpoints/run-3",
    "~/models/judge",
    "C:\\models\\judge",
    "data/train.csv",
    "a/b/c",
    "",
    "   ",
    "openai/",
    "gpt2",
    "llama3:8b",
    # Behind a hosting prefix, an unknown name or org/name is the host's catalogue entry.
    "groq/llama3-70b-8192",
    "together_ai/meta-llama/Llama-3-70b-chat-hf",
    # Embedding, reranking and retrieval models neither generate nor judge.
    "cohere.embed-english-v3",
    "mistral-embed",
    "sentence-transformers/all-MiniLM-L6-v2",
    "thenlper/gte-base",
    "BAAI/bge-small-en-v1.5",
    "qdrant/bm25",
    "colbert-ir/colbertv2.0",
]

# xAI, DeepSeek and Perplexity API names, and cloud deployments named by the user.
OTHER_APIS = [
    ("grok-2-latest", "xai", "floating", "grok-2-1212"),
    ("grok-beta", "xai", "floating", None),
    ("grok-4", "xai", "floating", None),
    ("grok-2-1212", "xai", "pinned", None),
    ("xai/grok-4-0709", "xai", "pinned", None),
    ("deepseek-chat", "deepseek", "floating", None),
    ("deepseek/deepseek-reasoner", "deepseek", "floating", None),
    ("sonar-small", "perplexity", "floating", None),
    ("perplexity/sonar-pro", "perplexity", "floating", None),
    ("llama-3.1-sonar-small-128k-online", "perplexity", "floating", None),
    ("azure/my-deployment", "azure", "floating", None),
    ("azure_ai/Llama-3.3-70B-Instruct", "azure_ai", "floating", None),
    ("azure/gpt-4o-2024-08-06", "openai", "pinned", None),
    ("azure_ai/mistral-large-2407", "mistral", "pinned", None),
]

KNOWN = (
    OPENAI + ANTHROPIC + GOOGLE + MISTRAL + COHERE + BEDROCK + PREFIXED + HUGGINGFACE + OTHER_APIS
)


@pytest.mark.parametrize(("model_id", "provider", "status", "suggestion"), KNOWN)
def test_known_ids(
    policy: ModelPolicy, model_id: str, provider: str, status: str, suggestion: str | None
) -> None:
    verdict = policy.classify(model_id)
    assert (verdict.provider, verdict.status, verdict.suggestion) == (provider, status, suggestion)
    assert verdict.model_id == model_id
    assert verdict.reason


@pytest.mark.parametrize("model_id", UNKNOWN)
def test_unknown_ids(policy: ModelPolicy, model_id: str) -> None:
    verdict = policy.classify(model_id)
    assert (verdict.provider, verdict.status, verdict.suggestion) == (None, "unknown", None)


@pytest.mark.parametrize(
    ("model_id", "inner_id"),
    [
        ("openai/gpt-4o", "gpt-4o"),
        ("openrouter/anthropic/claude-3.5-sonnet", "claude-3.5-sonnet"),
        ("models/gemini-1.5-pro-002", "gemini-1.5-pro-002"),
        (
            "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
            "anthropic.claude-3-7-sonnet-20250219-v1:0",
        ),
        ("bedrock/eu.meta.llama3-70b-instruct-v1:0", "meta.llama3-70b-instruct-v1:0"),
        ("hf/meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B-Instruct"),
        ("openai/gpt-oss-20b", "openai/gpt-oss-20b"),
        ("  gpt-4o\n", "gpt-4o"),
    ],
)
def test_inner_id_strips_prefixes(policy: ModelPolicy, model_id: str, inner_id: str) -> None:
    assert policy.classify(model_id).inner_id == inner_id


def test_reason_names_the_alias_and_a_pinned_example(policy: ModelPolicy) -> None:
    assert policy.classify("gpt-4o").reason == (
        "'gpt-4o' is an alias that OpenAI moves to newer snapshots; "
        "pin a dated snapshot such as gpt-4o-2024-08-06"
    )


def test_reason_for_generation_rule(policy: ModelPolicy) -> None:
    assert "Claude 4.6" in policy.classify("claude-sonnet-4-6").reason


@pytest.mark.parametrize(
    ("model_id", "status", "suggestion"),
    [
        ("GPT-4o", "floating", "gpt-4o-2024-08-06"),
        ("OpenAI/GPT-4O-2024-08-06", "pinned", None),
        ("Claude-3-5-Sonnet-LATEST", "floating", "claude-3-5-sonnet-20241022"),
        ("  claude-3-5-sonnet-20241022  ", "pinned", None),
        ("\tgemini-1.5-pro\n", "floating", "gemini-1.5-pro-002"),
        ("US.Anthropic.Claude-3-7-Sonnet-20250219-V1:0", "pinned", None),
    ],
)
def test_case_and_whitespace_are_ignored(
    policy: ModelPolicy, model_id: str, status: str, suggestion: str | None
) -> None:
    verdict = policy.classify(model_id)
    assert (verdict.status, verdict.suggestion) == (status, suggestion)
    assert verdict.model_id == model_id  # kept as written


@pytest.mark.parametrize(
    ("revision", "status", "reason_part"),
    [
        (None, "floating", 'pass revision="<40-hex commit>"'),
        ("", "floating", 'pass revision="<40-hex commit>"'),
        ("main", "floating", "branch or tag"),
        ("v1.0", "floating", "branch or tag"),
        (SHA[:12], "floating", "branch or tag"),
        (SHA, "pinned", SHA),
        (SHA.upper(), "pinned", SHA.upper()),
    ],
)
def test_hub_repo_needs_a_commit_revision(
    policy: ModelPolicy, revision: str | None, status: str, reason_part: str
) -> None:
    verdict = policy.classify("meta-llama/Llama-3.1-8B-Instruct", revision=revision)
    assert (verdict.provider, verdict.status) == ("huggingface", status)
    assert reason_part in verdict.reason


def test_revision_is_ignored_for_api_models(policy: ModelPolicy) -> None:
    assert policy.classify("gpt-4o", revision=SHA).status == "floating"


def test_default_is_loaded_once() -> None:
    assert ModelPolicy.default() is ModelPolicy.default()


def test_every_suggestion_is_itself_pinned(policy: ModelPolicy) -> None:
    # The suggestion tables are data; a typo there would send users to another floating id.
    suggested = {
        verdict.suggestion
        for model_id, *_ in KNOWN
        if (verdict := policy.classify(model_id)).suggestion is not None
    }
    assert suggested
    for pinned_id in suggested:
        assert policy.classify(pinned_id).status == "pinned", pinned_id


def test_verdict_is_frozen(policy: ModelPolicy) -> None:
    verdict = policy.classify("gpt-4o")
    with pytest.raises(AttributeError):
        verdict.status = "pinned"  # type: ignore[misc]
    assert verdict == ModelIdVerdict(
        "gpt-4o",
        "gpt-4o",
        "openai",
        "floating",
        "'gpt-4o' is an alias that OpenAI moves to newer snapshots; "
        "pin a dated snapshot such as gpt-4o-2024-08-06",
        "gpt-4o-2024-08-06",
    )


def test_import_is_cheap() -> None:
    code = (
        "import sys, nbgraduate.knowledge.model_policy; "
        "heavy = {'pydantic', 'tomllib', 'tomli'} & set(sys.modules); "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env=unmeasured_environment())


# --- [tool.nbgraduate.models] extensions -------------------------------------------------------


def test_config_pins_a_builtin_alias(policy: ModelPolicy) -> None:
    extended = policy.extended(pinned=["gpt-4o"])
    verdict = extended.classify("openai/gpt-4o")
    assert (verdict.provider, verdict.status, verdict.suggestion) == ("openai", "pinned", None)
    assert "[tool.nbgraduate.models]" in verdict.reason
    assert policy.classify("gpt-4o").status == "floating"  # the original is unchanged


def test_config_floats_a_builtin_snapshot(policy: ModelPolicy) -> None:
    extended = policy.extended(floating=["claude-*-2024*"])
    assert extended.classify("claude-3-5-sonnet-20241022").status == "floating"
    assert extended.classify("claude-sonnet-4-20250514").status == "pinned"


def test_config_globs_match_the_id_as_written_case_insensitively(policy: ModelPolicy) -> None:
    extended = policy.extended(pinned=["Azure/Internal-*"])
    verdict = extended.classify("azure/internal-judge")
    assert (verdict.inner_id, verdict.status, verdict.provider) == (
        "internal-judge",
        "pinned",
        "azure",
    )
    assert policy.classify("azure/internal-judge").status == "floating"  # a deployment name


def test_config_pins_an_unknown_id(policy: ModelPolicy) -> None:
    extended = policy.extended(pinned=["my-judge-*"])
    assert extended.classify("my-judge-2025-01").status == "pinned"
    assert extended.classify("my-model").status == "unknown"


def test_config_floating_beats_config_pinned(policy: ModelPolicy) -> None:
    extended = policy.extended(pinned=["gpt-4o*"], floating=["gpt-4o-mini*"])
    assert extended.classify("gpt-4o").status == "pinned"
    assert extended.classify("gpt-4o-mini-2024-07-18").status == "floating"


def test_config_extensions_accumulate(policy: ModelPolicy) -> None:
    extended = policy.extended(pinned=["gpt-4o"]).extended(pinned=["o3"])
    assert extended.classify("gpt-4o").status == "pinned"
    assert extended.classify("o3").status == "pinned"


ACME = {
    "name": "acme",
    "vendor": "Acme AI",
    "match": "^acme-",
    "floating": "-stable$",
    "pinned": [r"-v\d+$", r"-\d{8}$"],
    "default": "floating",
    "pin_hint": "a versioned id",
    "suggest": {"acme-judge": "acme-judge-v3"},
}


@pytest.mark.parametrize(
    ("model_id", "status", "suggestion"),
    [
        ("acme-judge-v3", "pinned", None),
        ("acme-judge-20250101", "pinned", None),
        ("acme-judge", "floating", "acme-judge-v3"),
        ("acme-judge-stable", "floating", None),
        ("litellm_proxy/acme-judge-v3", "pinned", None),
    ],
)
def test_config_adds_a_provider(
    policy: ModelPolicy, model_id: str, status: str, suggestion: str | None
) -> None:
    verdict = policy.extended(providers=[ACME]).classify(model_id)
    assert (verdict.provider, verdict.status, verdict.suggestion) == ("acme", status, suggestion)
    assert policy.classify(model_id).status == "unknown"


def test_config_provider_reason_uses_its_vendor(policy: ModelPolicy) -> None:
    verdict = policy.extended(providers=[ACME]).classify("acme-judge")
    assert verdict.reason == (
        "'acme-judge' is an alias that Acme AI moves to newer snapshots; "
        "pin a versioned id such as acme-judge-v3"
    )


def test_config_provider_replaces_a_builtin_of_the_same_name(policy: ModelPolicy) -> None:
    # An organisation that only ever talks to a gateway pinning every model.
    extended = policy.extended(
        providers=[{"name": "openai", "match": "^gpt-", "default": "pinned"}]
    )
    assert extended.classify("gpt-4o").status == "pinned"
    assert extended.classify("o3").status == "unknown"


def test_config_glob_beats_config_provider(policy: ModelPolicy) -> None:
    extended = policy.extended(providers=[ACME], floating=["acme-judge-v3"])
    assert extended.classify("acme-judge-v3").status == "floating"


def test_every_packaged_provider_pattern_compiles() -> None:
    # The packaged policy compiles a provider's patterns when first used; a broken one must
    # fail here, not in the middle of a lint run.
    from nbgraduate.knowledge.model_policy import _default_policy, _LazyPattern

    policy = _default_policy.__wrapped__()
    patterns = [
        pattern
        for provider in policy._providers
        for pattern in (
            provider.match,
            provider.strip,
            provider.floating,
            provider.pinned,
            provider.fixed,
        )
        if pattern is not None
    ]
    assert len(patterns) > len(policy._providers)
    assert all(isinstance(pattern, _LazyPattern) for pattern in patterns)
    for pattern in patterns:
        assert pattern.compiled().flags & re.IGNORECASE


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"providers": [{"match": "^x-"}]}, "'name' is required"),
        ({"providers": [{"name": "x"}]}, "'match' is required"),
        ({"providers": [{"name": "x", "match": "("}]}, "invalid regex"),
        ({"providers": [{"name": "x", "match": "^x-", "pined": "-v1$"}]}, "unknown keys pined"),
        ({"providers": [{"name": "x", "match": "^x-", "default": "maybe"}]}, "default"),
        ({"providers": [{"name": "x", "match": "^x-", "version": ["^x-(\\d+)"]}]}, "major"),
        ({"providers": [{"name": "x", "match": "^x-", "fixed_from": "2"}]}, "fixed_from"),
        (
            {"providers": [{"name": "x", "match": "^x-", "reasons": {"alias": "{nope}"}}]},
            "bad placeholder",
        ),
        ({"pinned": "gpt-4o"}, "not a single string"),
        ({"floating": [""]}, "non-empty"),
    ],
)
def test_bad_config_is_rejected(
    policy: ModelPolicy, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ModelPolicyError, match=message):
        policy.extended(**kwargs)  # type: ignore[arg-type]


def test_config_provider_generation_rule(policy: ModelPolicy) -> None:
    acme = {
        "name": "acme",
        "match": "^acme-",
        "version": [r"^acme-(?P<major>\d+)(?:\.(?P<minor>\d+))?$"],
        "fixed_from": "2.1",
    }
    extended = policy.extended(providers=[acme])
    assert extended.classify("acme-2.1").status == "pinned"
    assert extended.classify("acme-3").status == "pinned"
    assert extended.classify("acme-2").status == "floating"


# --- the parsed packaged policy, kept beside the bytecode --------------------------------------


@pytest.fixture
def packaged_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The packaged policy file copied into a directory of its own (its cache goes there)."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.setattr(sys, "pycache_prefix", None)
    copy = tmp_path / "model_policy.toml"
    copy.write_bytes(PACKAGED_POLICY.read_bytes())
    return copy


PACKAGED_POLICY = Path(model_policy.__file__).with_name("model_policy.toml")


def _cached_tables(policy_file: Path) -> Path:
    return (
        policy_file.parent
        / "__pycache__"
        / (f"model_policy.toml.{sys.implementation.cache_tag}.marshal")
    )


def test_the_parsed_policy_is_kept_and_equals_a_fresh_parse(packaged_copy: Path) -> None:
    parsed = tomllib.loads(packaged_copy.read_text(encoding="utf-8"))
    assert model_policy._packaged_policy_data(str(packaged_copy)) == parsed
    cache = _cached_tables(packaged_copy)
    assert cache.is_file()
    # A later process loads the tables without tomllib (blocked here: an import would fail).
    code = (
        "import sys; sys.modules['tomllib'] = sys.modules['tomli'] = None; "
        "from nbgraduate.knowledge import model_policy; "
        f"print(repr(model_policy._packaged_policy_data({str(packaged_copy)!r})))"
    )
    env = unmeasured_environment()
    loaded = subprocess.run(
        [sys.executable, "-c", code], check=True, env=env, capture_output=True, text=True
    )
    assert ast.literal_eval(loaded.stdout) == parsed


def test_an_edited_policy_file_is_parsed_again(packaged_copy: Path) -> None:
    model_policy._packaged_policy_data(str(packaged_copy))
    packaged_copy.write_text(
        packaged_copy.read_text(encoding="utf-8") + '\n[extra_table]\nkey = "value"\n',
        encoding="utf-8",
    )
    data = model_policy._packaged_policy_data(str(packaged_copy))
    assert data["extra_table"] == {"key": "value"}


def test_a_damaged_cache_is_ignored_and_replaced(packaged_copy: Path) -> None:
    cache = _cached_tables(packaged_copy)
    cache.parent.mkdir()
    cache.write_bytes(b"\xe3 not marshal")
    parsed = tomllib.loads(packaged_copy.read_text(encoding="utf-8"))
    assert model_policy._packaged_policy_data(str(packaged_copy)) == parsed
    assert cache.read_bytes() != b"\xe3 not marshal"
    assert model_policy._packaged_policy_data(str(packaged_copy)) == parsed


def test_no_cache_is_written_when_bytecode_is_not(
    packaged_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    model_policy._packaged_policy_data(str(packaged_copy))
    assert sorted(path.name for path in packaged_copy.parent.iterdir()) == ["model_policy.toml"]


def test_an_invalid_policy_file_is_a_policy_error_and_is_not_kept(packaged_copy: Path) -> None:
    packaged_copy.write_text("[unclosed\n", encoding="utf-8")
    with pytest.raises(ModelPolicyError, match=r"model_policy\.toml"):
        model_policy._packaged_policy_data(str(packaged_copy))
    assert not _cached_tables(packaged_copy).parent.exists()
