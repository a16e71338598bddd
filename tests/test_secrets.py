"""Tests for credential detection; every fake key is assembled at run time, never written out."""

from __future__ import annotations

import random
import string

import pytest

from nbgraduate.knowledge.secrets import (
    KEY_LIKE_NAME,
    SecretMatch,
    find_secrets,
    find_secrets_each,
    is_placeholder,
    looks_like_credential_value,
    mask,
)

_ALNUM = string.ascii_letters + string.digits


def random_tail(length: int, alphabet: str = _ALNUM, seed: int = 0) -> str:
    """Deterministic high-entropy filler, so keys look real but live nowhere in the source."""
    generator = random.Random(seed)
    return "".join(generator.choice(alphabet) for _ in range(length))


# Each fake key is a prefix plus generated filler; the patterned "A1b2" repeats are the same
# shape the brief uses and must be found too.
FAKE_KEYS: dict[str, list[str]] = {
    "OpenAI API key": [
        "sk-" + "proj-" + "A1b2" * 12,
        "sk-" + "proj-" + random_tail(120, _ALNUM + "_-"),
        "sk-" + "svcacct-" + random_tail(80, seed=1),
        "sk-" + "admin-" + random_tail(80, seed=2),
        "sk-" + random_tail(48, seed=3),
    ],
    "Anthropic API key": [
        "sk-" + "ant-" + "api03-" + random_tail(93, _ALNUM + "_-", seed=4) + "AA",
        "sk-" + "ant-" + "admin01-" + random_tail(93, seed=5) + "AA",
    ],
    "OpenRouter API key": ["sk-" + "or-v1-" + random_tail(64, "0123456789abcdef", seed=6)],
    "Google API key": ["AI" + "za" + "Sy" + random_tail(33, seed=7)],
    "Hugging Face token": ["hf" + "_" + random_tail(34, seed=8)],
    "GitHub token": [
        "gh" + "p_" + random_tail(36, seed=9),
        "gh" + "s_" + random_tail(36, seed=10),
        "github" + "_pat_" + "11A" + random_tail(19, seed=11) + "_" + random_tail(59, seed=12),
    ],
    "AWS access key id": ["AK" + "IA" + random_tail(16, string.ascii_uppercase + "234567", 13)],
    "Slack token": ["xo" + "xb-" + "1234567890-" + "2345678901-" + random_tail(24, seed=14)],
    "Groq API key": ["gs" + "k_" + random_tail(52, seed=15)],
    "Replicate API token": ["r8" + "_" + random_tail(37, seed=16)],
    "Stripe key": ["sk" + "_live_" + random_tail(24, seed=17), "rk" + "_live_" + "S1t2" * 7],
}
CASES = [(kind, key) for kind, keys in FAKE_KEYS.items() for key in keys]

CONTEXTS = [
    'client = OpenAI(api_key="{key}")',
    "export TOKEN={key}",
    "!curl -H 'Authorization: Bearer {key}' https://api.example.com",
    '{{"cells": [{{"source": ["x = \\"{key}\\"\\n"]}}]}}',
    "{key}",
]


def leaks(secret: str, match: SecretMatch) -> bool:
    """True when any five consecutive characters of ``secret`` appear in the match's fields."""
    shown = repr(match) + match.kind + match.preview
    return any(secret[i : i + 5] in shown for i in range(len(secret) - 4))


@pytest.mark.parametrize(("kind", "key"), CASES)
@pytest.mark.parametrize("context", CONTEXTS)
def test_provider_keys_are_found_and_located(kind: str, key: str, context: str) -> None:
    text = context.format(key=key)
    matches = find_secrets(text)
    assert [(m.kind, text[m.start : m.end]) for m in matches] == [(kind, key)]


@pytest.mark.parametrize(("kind", "key"), CASES)
def test_no_returned_field_reveals_more_than_four_characters(kind: str, key: str) -> None:
    (match,) = find_secrets(f"key = '{key}'")
    assert match.preview == key[:4] + "…"
    assert not leaks(key, match)


def test_anthropic_keys_are_not_reported_as_openai() -> None:
    key = "sk-" + "ant-" + "api03-" + "A1b2" * 24 + "AA"
    assert [m.kind for m in find_secrets(key)] == ["Anthropic API key"]


def test_aws_secret_is_found_next_to_its_name() -> None:
    secret = random_tail(40, _ALNUM + "/+", seed=20)
    for text in (
        f'aws_secret_access_key = "{secret}"',
        f"AWS_SECRET_ACCESS_KEY={secret}",
        f'os.environ["AWS_SECRET_ACCESS_KEY"] = "{secret}"',
        f'boto3.client("s3", aws_secret_access_key="{secret}")',
        f'{{"aws_secret_access_key": "{secret}"}}',
    ):
        (match,) = find_secrets(text)
        assert match.kind == "AWS secret access key"
        assert text[match.start : match.end] == secret
        assert not leaks(secret, match)
    assert find_secrets(f'checksum = "{secret}"') == []


def test_private_key_block() -> None:
    body = "\n".join(random_tail(64, _ALNUM + "+/", seed=s) for s in range(5))
    block = "-----BEGIN " + "RSA PRIVATE KEY-----\n" + body + "\n-----END RSA PRIVATE KEY-----"
    text = f'KEY = """{block}"""'
    (match,) = find_secrets(text)
    assert match.kind == "private key block"
    assert text[match.start : match.end] == block
    assert not leaks(body, match)
    escaped = block.replace("\n", "\\n")  # as stored in notebook JSON
    assert [m.kind for m in find_secrets(escaped)] == ["private key block"]
    truncated = "-----BEGIN " + "PRIVATE KEY-----\n" + body
    assert [m.kind for m in find_secrets(truncated)] == ["private key block"]


def test_private_key_placeholders_are_ignored() -> None:
    header = "-----BEGIN " + "PRIVATE KEY-----"
    assert find_secrets(header + "\n...\n-----END PRIVATE KEY-----") == []
    assert find_secrets(f"paste the {header} block here") == []
    assert (
        find_secrets(header + "\nMIIE" + "<your key here>" * 4 + "\n-----END PRIVATE KEY-----")
        == []
    )


@pytest.mark.parametrize(
    "text",
    [
        'api_key = "sk-..."',
        'api_key = "sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"',
        'api_key = "sk-proj-XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"',
        'api_key = "sk-your-openai-api-key-goes-here-1234567890"',
        'key = "AKIAIOSFODNN7EXAMPLE"',
        'hf_token = "hf_' + "x" * 34 + '"',
        'gh = "ghp_' + "0" * 36 + '"',
        "OPENAI_API_KEY=${OPENAI_API_KEY}",
        'api_key = "EMPTY"',
        "sk-this-is-a-long-hyphenated-sentence-not-a-key",
    ],
)
def test_placeholders_are_never_reported(text: str) -> None:
    assert find_secrets(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "x" + "sk-" + "A1b2" * 12,  # inside a longer identifier
        "risk-" + "A1b2" * 12,
        "task_" + "ghp_" + random_tail(36),
        "AK" + "IA" + "ABCDEFGHIJKLMNOP" + "Q",  # one character too long for an access key id
        "gsk_" + random_tail(52) + "_suffix",
        "my_hf_" + random_tail(34),
    ],
)
def test_word_boundaries(text: str) -> None:
    assert find_secrets(text) == []


def test_several_secrets_are_returned_in_order() -> None:
    openai_key = "sk-" + "proj-" + random_tail(64)
    hf_key = "hf_" + random_tail(34, seed=1)
    text = f"a = '{hf_key}'\nb = '{openai_key}'\n"
    assert [m.kind for m in find_secrets(text)] == ["Hugging Face token", "OpenAI API key"]


@pytest.mark.parametrize(
    "value",
    [
        "sk-...",
        "sk-…",
        "YOUR_API_KEY",
        "<your key>",
        "your-api-key-here",
        "xxx",
        "changeme",
        "dummy",
        "test",
        "EMPTY",
        "",
        "   ",
        "sk-xxxxxxxx",
        "sk-abc123",
        "aaaaaaaaaaaaaaaa",
        "0000000000000000",
        "${OPENAI_API_KEY}",
        "$OPENAI_API_KEY",
        "%OPENAI_API_KEY%",
        "{{ secrets.OPENAI_API_KEY }}",
        "os.environ['OPENAI_API_KEY']",
        'os.getenv("OPENAI_API_KEY")',
        "userdata.get('HF_TOKEN')",
        "getpass()",
        "ollama",
        "not-needed",
        "sk-no-key-required",
        "hunter2",  # under eight characters: too short to be a real credential
        "AKIAIOSFODNN7EXAMPLE",
        "my_dummy_token_value",
        "REDACTED_REDACTED",
        "sk-****************",
    ],
)
def test_is_placeholder(value: str) -> None:
    assert is_placeholder(value)


@pytest.mark.parametrize(
    "value",
    [
        "sk-" + "proj-" + "A1b2" * 12,
        "sk-" + "None-" + random_tail(48),
        "hf_" + random_tail(34),
        "hunter2hunter2",
        random_tail(32),
    ],
)
def test_real_looking_values_are_not_placeholders(value: str) -> None:
    assert not is_placeholder(value)


@pytest.mark.parametrize(
    "name",
    [
        "api_key",
        "API_KEY",
        "apiKey",
        "OPENAI_API_KEY",
        "openai.api_key",
        "self.api_key",
        "token",
        "auth_token",
        "access_token",
        "secret",
        "client_secret",
        "password",
        "db_password",
        "passwd",
        "access_key",
        "aws_access_key_id",
        "aws_secret_access_key",
        "hf_token",
        "HF_TOKEN",
        "GITHUB_TOKEN",
        "HUGGINGFACEHUB_API_TOKEN",
        "bearer",
        "OPENAI_KEY",
        "x-api-key",
        "private_key",
        "SECRET_KEY",
    ],
)
def test_key_like_names(name: str) -> None:
    assert KEY_LIKE_NAME.search(name)
    assert KEY_LIKE_NAME.fullmatch(name)


@pytest.mark.parametrize(
    "name",
    [
        "tokenizer",
        "max_tokens",
        "max_new_tokens",
        "num_tokens",
        "token_count",
        "token_ids",
        "secret_name",
        "password_field",
        "key_column",
        "pad_token",
        "eos_token",
        "tokenizer.eos_token",
        "bos_token",
        "padToken",
        "primary_key",
        "sort_key",
        "key",
        "bypass",
        "compass",
        "keys",
    ],
)
def test_names_that_are_not_key_like(name: str) -> None:
    assert not KEY_LIKE_NAME.search(name)


@pytest.mark.parametrize(
    ("value", "name", "expected"),
    [
        ("sk-" + "proj-" + "A1b2" * 12, None, True),
        ("Bearer " + "hf_" + random_tail(34), None, True),
        (random_tail(32, "0123456789abcdef"), None, True),  # e.g. a W&B key: 40 hex digits
        ("123e4567-e89b-12d3-a456-426614174000", None, True),
        ("a9F3kL0pQ7zX2mB8", None, True),
        ("hunter2hunter2", "password", True),
        ("hunter2hunter2", "db_passwd", True),
        ("hunter2hunter2", "api_key", False),  # generic names need a longer, random value
        ("hunter2hunter2", None, False),
        ("hunter2", "password", False),
        ("YOUR_API_KEY", "api_key", False),
        ("EMPTY", "api_key", False),
        ("gpt-4o-mini-2024-07-18", None, False),
        ("my_secret_name_for_vault", "secret", False),
        ("OPENAI_API_KEY", "secret", False),
        ("projects/eval/secrets/openai/versions/latest", "secret", False),
        ("/home/me/.config/keys/service-account.json", None, False),
        ("https://vault.example.com/v1/secret", None, False),
        ("<|endoftext|>", "token", False),
        ("correct horse battery staple", "password", False),
    ],
)
def test_looks_like_credential_value(value: str, name: str | None, expected: bool) -> None:
    assert looks_like_credential_value(value, name=name) is expected


def test_mask_never_shows_more_than_four_characters() -> None:
    key = "sk-" + "proj-" + random_tail(64)
    assert mask(key) == "sk-p…"
    assert mask("abcdefgh") == "abcd…"
    assert mask("abc") == "a…"  # short values show at most half, so masking never reveals them
    assert mask("") == "…"


def _base64_payload_with(chance: str) -> str:
    """A PNG-like base64 payload holding ``chance`` between two ``+``: a key shape by chance."""
    return "iVBORw0KGgo" + random_tail(200, _ALNUM + "+/") + "+" + chance + "+" + "A" * 40 + "=="


def test_base64_payloads_of_data_uris_are_not_scanned() -> None:
    chance = "AK" + "IA" + random_tail(16, string.ascii_uppercase + "234567", 21)
    assert [m.kind for m in find_secrets(chance)] == ["AWS access key id"]
    payload = _base64_payload_with(chance)
    markdown = f"![plot](data:image/png;base64,{payload})\n"
    html = f'<img src="data:image/png;base64,{payload}" width="400"/>'
    svg_href = f'<image href="data:image/jpeg;charset=utf-8;base64,{payload}"/>'
    for text in (markdown, html, svg_href):
        assert find_secrets(text) == [], text[:40]


def test_keys_around_a_data_uri_are_still_found() -> None:
    chance = "AK" + "IA" + random_tail(16, string.ascii_uppercase + "234567", 22)
    key = "hf" + "_" + random_tail(34, seed=23)
    before, after = (
        "sk-" + "proj-" + random_tail(64, seed=24),
        "gh" + "p_" + random_tail(36, seed=25),
    )
    text = (
        f"token = '{before}'\n"
        f'<img src="data:image/png;base64,{_base64_payload_with(chance)}"/>{key}\n'
        f"x = '{after}'\n"
    )
    found = find_secrets(text)
    assert [m.kind for m in found] == ["OpenAI API key", "Hugging Face token", "GitHub token"]
    assert [text[m.start : m.end] for m in found] == [before, key, after]


def test_a_key_name_that_starts_inside_a_data_uri_payload_is_not_read() -> None:
    # The payload runs up to the ``=``: ``awssecretaccesskey`` is base64 by chance, though the
    # value after it has the shape of an AWS secret.
    value = random_tail(40, seed=27)
    text = f'<img src="data:image/png;base64,iVBORw0KGgoawssecretaccesskey="{value}"/>'
    assert find_secrets(text) == []
    assert [m.kind for m in find_secrets(text.replace("data:", "x:"))] == ["AWS secret access key"]


def test_base64_outside_a_data_uri_is_scanned() -> None:
    chance = "AK" + "IA" + random_tail(16, string.ascii_uppercase + "234567", 26)
    for text in (
        f"payload;base64,{_base64_payload_with(chance)}",
        f"data: x;base64,{_base64_payload_with(chance)}",
    ):
        assert [m.kind for m in find_secrets(text)] == ["AWS access key id"], text[:30]


def _located(matches: list[SecretMatch]) -> list[tuple[str, int, int, str]]:
    return [(m.kind, m.start, m.end, m.preview) for m in matches]


def test_secrets_of_each_text_are_those_of_the_text_alone() -> None:
    secret = random_tail(40, _ALNUM + "/+", seed=28)
    body = "\n".join(random_tail(64, _ALNUM + "+/", seed=s) for s in range(5))
    header = "-----BEGIN " + "PRIVATE KEY-----"
    texts = [
        "",
        'client = OpenAI(api_key="' + FAKE_KEYS["OpenAI API key"][0] + '")',
        "import os\nprint(os.environ)",
        "aws_secret_access_key",  # its value is in the next text: not a secret of either
        f"= {secret}",
        f"aws_secret_access_key\n= {secret}",  # within one text, it is
        header + "\n",  # a header without a footer, and a key body in the next text
        body + "\n-----END PRIVATE KEY-----",
        "![plot](data:image/png;base64,iVBORw0KGgo",  # a payload that ends with its text
        "AK" + "IA" + random_tail(16, string.ascii_uppercase + "234567", 29),
        "sk",  # ``sk`` and ``_live_`` in two texts are not a Stripe key
        "_live_" + random_tail(24, seed=30),
        "xo" + "xb-",
        "postgresql://evals:Tr0ub4dor3x@db.internal/evals " + FAKE_KEYS["Hugging Face token"][0],
        "x " * 15_000 + FAKE_KEYS["GitHub token"][0],  # long enough to be scanned on its own
        "gh" + "p_" + random_tail(36, seed=31) + "\n" + header + "\n" + body,
    ]
    expected = [_located(find_secrets(text)) for text in texts]
    assert [kinds for kinds in expected if kinds] != []
    assert [_located(found) for found in find_secrets_each(texts)] == expected
    for start in range(len(texts)):
        assert [_located(f) for f in find_secrets_each(texts[start:])] == expected[start:]
    assert find_secrets_each([]) == []


@pytest.mark.parametrize("length", [0, 255, 256, 257, 70_000])
@pytest.mark.parametrize("after", [")", "€", "😀", "\n"])
def test_a_payload_ends_at_its_first_character_outside_base64(length: int, after: str) -> None:
    key = "gh" + "p_" + random_tail(36, seed=32)
    payload = random_tail(length, _ALNUM + "+/", seed=length)
    inside = f"![plot](data:image/png;base64,{payload}awssecretaccesskey={random_tail(40)}"
    assert find_secrets(inside + after) == []
    text = f"![plot](data:image/png;base64,{payload}{after}{key}"
    assert [text[m.start : m.end] for m in find_secrets(text)] == [key]
