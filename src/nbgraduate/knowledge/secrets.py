"""Spot hard-coded credentials in notebook text, reporting only a masked preview of each."""

from __future__ import annotations

import bisect
import functools
import itertools
import re

from nbgraduate.core import regex_cache
from nbgraduate.core.records import Record

#: ``typing.TYPE_CHECKING`` without importing typing.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "KEY_LIKE_NAME",
    "SecretMatch",
    "find_secrets",
    "find_secrets_each",
    "is_credential_assignment",
    "is_key_like_name",
    "is_placeholder",
    "looks_like_credential_value",
    "mask",
    "mask_in_place",
    "may_contain_secret",
    "redact",
    "redact_credential_values",
    "redact_spans",
]

# How many leading characters of a secret may ever be shown. Four is enough to tell an
# ``sk-p`` from an ``hf_A`` when triaging, and far too few to use or brute-force the key.
_PREVIEW_CHARS = 4
# Below this length a value is a placeholder or a toy, not an issued credential.
_MIN_REAL_LENGTH = 8
# A literal under a generic key-like name needs this much length to count as a credential.
_MIN_GENERIC_LENGTH = 16


class SecretMatch(Record):
    """A credential found in text: its provider, where it is, and a preview safe to print.

    The full value is deliberately not stored, so formatting a match (``repr``, logs, SARIF)
    can never leak it; callers that must redact use ``start``/``end`` on their own copy.
    """

    _fields = ("kind", "start", "end", "preview")
    __slots__ = _fields

    def __init__(self, kind: str, start: int, end: int, preview: str) -> None:
        self.kind = kind
        self.start = start
        self.end = end
        self.preview = preview


def mask(value: str) -> str:
    """Show at most the first four characters of ``value``, then an ellipsis.

    Short values show at most half their length, so masking a short string never reveals it.
    """
    return value[: min(_PREVIEW_CHARS, len(value) // 2)] + "…"


def mask_in_place(value: str) -> str:
    """Like :func:`mask` but keeps the length (``sk-p************``), so columns on a printed
    source line still point at the same characters."""
    shown = min(_PREVIEW_CHARS, len(value) // 2)
    return value[:shown] + "*" * (len(value) - shown)


def redact(text: str, *, keep_columns: bool = False) -> str:
    """``text`` with every provider key found in it masked; for anything that quotes user text
    (messages, error reasons, source lines) on its way to output.

    One pass: the pieces are joined once, so a line with thousands of keys costs no more than
    reading it (slicing the whole text per key made that quadratic).
    """
    return redact_spans(text, [(m.start, m.end) for m in find_secrets(text)], keep_columns)


def redact_spans(text: str, spans: list[tuple[int, int]], keep_columns: bool = False) -> str:
    """``text`` with each ``(start, end)`` span masked (spans may overlap or come unsorted)."""
    if not spans:
        return text
    masker = mask_in_place if keep_columns else mask
    pieces: list[str] = []
    done = 0
    for start, end in sorted(spans):
        start = max(start, done)
        if end <= start:
            continue
        pieces.append(text[done:start])
        pieces.append(masker(text[start:end]))
        done = end
    pieces.append(text[done:])
    return "".join(pieces)


def redact_credential_values(text: str, values: list[str]) -> str:
    """``text`` with every occurrence of each credential in ``values`` masked, and every key
    :func:`find_secrets` sees: for text that may quote a value given under a key-like name
    (``-p token=...``) whose shape alone does not betray it."""
    for value in sorted({v for v in values if len(v) >= 4}, key=len, reverse=True):
        if value in text:
            text = text.replace(value, mask(value))
    return redact(text)


# --- provider key formats -----------------------------------------------------------------

# Keys are delimited by characters that cannot continue an identifier or a key, so a key-like
# run inside a longer identifier (``task-...``, ``ghp_`` inside ``xghp_...``) is not matched.
_LEFT = r"(?<![A-Za-z0-9_-])"
_RIGHT = r"(?![A-Za-z0-9_-])"

# Order matters where formats overlap: Anthropic and OpenRouter keys also start with ``sk-``.
# Each format comes with the literal text every key of it contains: a substring test is far
# cheaper than a regex scan (the lookbehinds keep the regex engine from skipping ahead), and
# most text (megabytes of saved outputs) contains none of them.
_PROVIDER_PATTERNS: tuple[tuple[str, tuple[str, ...], re.Pattern[str]], ...] = tuple(
    (kind, needles, regex_cache.compile(pattern))
    for kind, needles, pattern in (
        (
            "Anthropic API key",
            ("sk-ant-",),
            rf"{_LEFT}sk-ant-(?:api|admin|oat|sid)\d{{2}}-[A-Za-z0-9_-]{{32,}}{_RIGHT}",
        ),
        ("OpenRouter API key", ("sk-or-v1-",), rf"{_LEFT}sk-or-v1-[0-9a-f]{{64}}{_RIGHT}"),
        (
            "OpenAI API key",
            ("sk-",),
            rf"{_LEFT}sk-(?!ant-|or-v1-)(?:(?:proj|svcacct|admin|None)-)?"
            rf"[A-Za-z0-9_-]{{32,}}{_RIGHT}",
        ),
        ("Google API key", ("AIza",), rf"{_LEFT}AIza[0-9A-Za-z_-]{{35}}{_RIGHT}"),
        ("Google OAuth client secret", ("GOCSPX-",), rf"{_LEFT}GOCSPX-[0-9A-Za-z_-]{{28}}{_RIGHT}"),
        ("Hugging Face token", ("hf_",), rf"{_LEFT}hf_[A-Za-z0-9]{{30,}}{_RIGHT}"),
        (
            "GitHub token",
            ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
            rf"{_LEFT}(?:gh[pousr]_[A-Za-z0-9]{{36,}}|github_pat_[A-Za-z0-9_]{{40,}}){_RIGHT}",
        ),
        ("GitLab token", ("glpat-",), rf"{_LEFT}glpat-[A-Za-z0-9_-]{{20,}}{_RIGHT}"),
        (
            "AWS access key id",
            ("AKIA", "ASIA"),
            r"(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])",
        ),
        ("Slack token", ("xox",), rf"{_LEFT}xox[abprs]-[A-Za-z0-9-]{{10,}}{_RIGHT}"),
        (
            "Slack webhook URL",
            ("hooks.slack.com",),
            r"https://hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]{20,}",
        ),
        ("Groq API key", ("gsk_",), rf"{_LEFT}gsk_[A-Za-z0-9]{{32,}}{_RIGHT}"),
        ("Replicate API token", ("r8_",), rf"{_LEFT}r8_[A-Za-z0-9]{{30,}}{_RIGHT}"),
        ("Stripe key", ("_live_",), rf"{_LEFT}(?:sk|rk)_live_[A-Za-z0-9]{{20,}}{_RIGHT}"),
        ("Perplexity API key", ("pplx-",), rf"{_LEFT}pplx-[A-Za-z0-9]{{40,}}{_RIGHT}"),
        ("xAI API key", ("xai-",), rf"{_LEFT}xai-[A-Za-z0-9]{{60,}}{_RIGHT}"),
        (
            "LangSmith API key",
            ("lsv2_",),
            rf"{_LEFT}lsv2_(?:pt|sk)_[0-9a-f]{{32}}_[0-9a-f]{{10}}{_RIGHT}",
        ),
        ("Pinecone API key", ("pcsk_",), rf"{_LEFT}pcsk_[A-Za-z0-9]+_[A-Za-z0-9]{{40,}}{_RIGHT}"),
    )
)


# Credentials in a URL's user information: ``https://user:<password>@host`` and
# ``git+https://<token>@github.com/...``. Matched from each ``://`` with bounded parts, so the
# cost stays linear however long the text.
_URL_SEPARATOR = "://"
_URL_USERINFO = regex_cache.compile(
    r"(?P<user>[^\s/?#@:'\"\\<>\[\]{}]{0,256}|\{[^{}\s]{0,64}\})"
    r"(?::(?P<password>[^\s/?#@'\"\\<>\[\]]{1,256}))?@(?=[A-Za-z0-9\[])"
)
_URL_PLACEHOLDER = regex_cache.compile(
    r"^(?:\$\{?\w+\}?|%\(\w+\)s|%s|\{\w*\}|<[^>]*>|\*+|x+|\.+|…)$", re.IGNORECASE
)
_URL_PLACEHOLDER_WORDS = frozenset({"pass", "pw", "pwd", "user", "username", "secret123"})


# Where each key format can start, as (needle, offset of the match's start from the needle,
# the format's index in _PROVIDER_PATTERNS): every key of a format contains its needle at a
# fixed distance from its start, so one scan for all needles finds every place worth a match.
_ANCHORS: dict[str, tuple[tuple[int, int], ...]] = {}
for _index, (_kind, _needles, _pattern) in enumerate(_PROVIDER_PATTERNS):
    for _needle in _needles:
        # ``sk-`` stands for ``sk-ant-`` and ``sk-or-v1-`` (they start with it); Stripe's
        # ``_live_`` follows ``sk`` or ``rk``; a Slack webhook's host follows ``https://``.
        _key = "sk-" if _needle.startswith("sk-") else _needle
        _offset = {"_live_": -2, "hooks.slack.com": -8}.get(_needle, 0)
        _ANCHORS[_key] = (*_ANCHORS.get(_key, ()), (_offset, _index))

# ``aws_secret_access_key`` and its spellings: the match starts four or five characters
# before ``ecret`` (``awss`` or ``aws_s``).
_SECRET_NEEDLES = ("ecret", "ECRET")
# Every private key block starts with its header, ``-----BEGIN ... PRIVATE KEY-----``.
_PRIVATE_KEY_NEEDLE = "-----BEGIN"
_URL_SEPARATOR_NEEDLE = _URL_SEPARATOR
# A base64 payload of a ``data:`` URI (an inline image in HTML or markdown): random base64
# holds ``AKIA`` or ``xox`` by chance and is not where anyone writes a key, so it is skipped.
_BASE64_MARK = ";base64,"
# Each byte of the base64 alphabet translates to 0 and any other byte to 1: a payload's end
# is the first 1 in its translation (see _payload_end).
_NOT_BASE64 = bytes(
    0 if chr(byte).isascii() and (chr(byte).isalnum() or chr(byte) in "+/=") else 1
    for byte in range(256)
)
_DATA_URI_HEAD = regex_cache.compile(
    r"data:[A-Za-z0-9.+-]+/[A-Za-z0-9.+-]+(?:;[A-Za-z0-9.+-]+=[^;,\s]+)*"
)
_DATA_URI_HEAD_MAX = 128


# Where the scan stops: every needle holds one of these characters at a fixed place, and
# they are rare in prose, tables of numbers and logs (unlike the letters needles start with).
_ANCHOR_CHARACTERS = "-_:;"
# Needles the scan spells differently, as (regex up to and including the anchor character,
# regex after it, needle start - anchor, the characters that can precede the anchor): ``xox``
# is a Slack token only when followed by one of ``abprs`` and a hyphen (its pattern requires
# that); a webhook host follows ``https://``, so it is looked for at each ``://``; Google keys
# and AWS key ids hold no rare character and stop at their ``I``, a third as common as ``A``
# outside base64 payloads in real notebooks (a stop costs hundreds of instructions).
_SPELLINGS: dict[str, tuple[str, str, int, str]] = {
    "xox": (r"xox[abprs]-", "", -4, "abprs"),
    "hooks.slack.com": (":", r"//hooks\.slack\.com", 3, ""),
    "AIza": ("AI", "za", -1, "A"),
    "AKIA": ("AKI", "A", -2, "K"),
    "ASIA": ("ASI", "A", -2, "S"),
}
# Needles with no character to anchor on, each looked for with ``str.find`` (a fast pass).
_FOUND_BY_FIND = _SECRET_NEEDLES


def _spelling(needle: str) -> tuple[str, str, int, str]:
    if needle in _SPELLINGS:
        return _SPELLINGS[needle]
    place = min(needle.index(char) for char in _ANCHOR_CHARACTERS if char in needle)
    return (
        re.escape(needle[: place + 1]),
        re.escape(needle[place + 1 :]),
        -place,
        needle[place - 1] if place else "",
    )


_NEEDLES = (*_ANCHORS, *_FOUND_BY_FIND, _PRIVATE_KEY_NEEDLE, _URL_SEPARATOR_NEEDLE, _BASE64_MARK)
assert not any(a != b and b.startswith(a) for a in _NEEDLES for b in _NEEDLES)
# For each anchor character, the needles around it: (needle, needle start - anchor, a regex
# that matches just after the anchor when the needle is there).
_NEEDLES_AT: dict[str, list[tuple[str, int, re.Pattern[str]]]] = {}
# For each anchor character: the tests of needles that start before it, the characters that
# precede it in those needles, and what follows it in needles that start at it.
_SCAN_TESTS: dict[str, tuple[list[str], set[str], list[str]]] = {}
# The base64 mark is looked for with ``str.find`` before the scans (its ``;`` is rare), as
# the payloads it opens are where the scans do not go.
for _needle in (*_ANCHORS, _PRIVATE_KEY_NEEDLE, _URL_SEPARATOR_NEEDLE):
    _through, _after, _offset, _previous = _spelling(_needle)
    _test = f"(?<={_through})(?={_after})" if _after else f"(?<={_through})"
    _anchor = _needle[-_offset] if _needle not in _SPELLINGS else _through[-1]
    _NEEDLES_AT.setdefault(_anchor, []).append((_needle, _offset, regex_cache.compile(_test)))
    _before, _preceding, _at = _SCAN_TESTS.setdefault(_anchor, ([], set(), []))
    if _previous:
        _before.append(_test)
        _preceding.update(_previous)
    else:  # the scan has just read the anchor: only what follows is left to test
        _at.append(_after)


def _scan_branch(anchor: str, before: list[str], preceding: set[str], at: list[str]) -> str:
    """The scan of one anchor character: one character-class look-behind first (``_``
    follows ``f``, ``p``, ``k``... in needles, any letter in code), then each needle."""
    tests = []
    if before:
        previous = "".join(re.escape(char) for char in sorted(preceding))
        tests.append(f"(?<=[{previous}]{re.escape(anchor)})(?:" + "|".join(before) + ")")
    if at:
        # ``//`` stops wherever ``//hooks\.slack\.com`` would: the longer one goes.
        shortest = [
            after for after in at if not any(a != after and after.startswith(a) for a in at)
        ]
        if not before and len(shortest) == 1:
            # All literal (``://``): the engine reads on past the anchor character itself,
            # with no call to try the look-ahead at each one.
            return re.escape(anchor) + shortest[0]
        tests.append("(?=" + "|".join(shortest) + ")")
    return re.escape(anchor) + (tests[0] if len(tests) == 1 else "(?:" + "|".join(tests) + ")")


# One scan per anchor character, each stopping where a needle is around one. A pattern that
# starts with a literal character is searched for with a tight loop of comparisons, some six
# machine instructions a character; one pattern for all the anchor characters is searched
# for with a call testing each character against a set, some fifty (over the real corpus's
# sources and outputs, these scans cost 160 M instructions fewer than that one).
_ANCHOR_SCANS: tuple[re.Pattern[str], ...] = tuple(
    regex_cache.compile(_scan_branch(anchor, *tests)) for anchor, tests in _SCAN_TESTS.items()
)
#: Each scan's anchor character and search.
_ANCHOR_SEARCHES = tuple(zip(_SCAN_TESTS, [scan.search for scan in _ANCHOR_SCANS], strict=True))

# An AWS secret is 40 characters of base64 with no prefix of its own, so it is only
# recognisable next to its name: ``aws_secret_access_key = "..."``, ``AWS_SECRET_ACCESS_KEY=...``,
# ``"aws_secret_access_key": "..."`` or ``os.environ["AWS_SECRET_ACCESS_KEY"] = "..."``.
_AWS_SECRET = regex_cache.compile(
    r"(?i:aws[_-]?secret(?:[_-]?access)?[_-]?key)[\"'\]]*\s*(?:=>|[:=,])\s*[rbuf]?[\"']?"
    r"(?P<value>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"
)
_PRIVATE_KEY_HEADER = regex_cache.compile(r"-----BEGIN (?P<label>(?:[A-Z0-9]+ )*)PRIVATE KEY-----")
# A key body pasted without its footer (truncated output): base64 lines, maybe ``\n``-escaped.
_PRIVATE_KEY_BODY = regex_cache.compile(r"(?:[A-Za-z0-9+/=\s]|\\[nr])+")
_MIN_PRIVATE_KEY_BODY = 40
# Elisions in a key body. A body is a kilobyte of base64, so the word checks used for short
# keys would hit by chance; these markers cannot occur in base64 at all.
_ELIDED_BODY = regex_cache.compile(
    r"\.\.\.|…|<[^>]*>|\*{3,}|\bREDACTED\b|\bEXAMPLE\b", re.IGNORECASE
)


def may_contain_secret(text: str) -> bool:
    """False when ``text`` certainly holds no key: a cheap test callers can run once over many
    texts joined together before looking at each one."""
    return (
        any(scan.search(text) is not None for scan in _ANCHOR_SCANS)
        or _BASE64_MARK in text
        or any(n in text for n in _FOUND_BY_FIND)
    )


def find_secrets(text: str) -> list[SecretMatch]:
    """Find provider keys and private key blocks in ``text``, placeholders excluded.

    Matches are in text order and never overlap; the longest match wins at a given start.
    :func:`_needle_places` finds every place a key could start; each is tried there only.
    """
    places = _needle_places(text)
    return _secrets_at(text, places) if places else []


def find_secrets_each(texts: Sequence[str]) -> list[list[SecretMatch]]:
    """:func:`find_secrets` of each of ``texts``, in order: for a notebook's cells or outputs.

    Scanning a text costs some thousands of instructions however short it is, and most texts
    are short and hold no needle. So the texts are joined by newlines and scanned once: no
    needle, ``data:`` URI head or base64 payload holds a newline, so the places found in the
    joined text are each text's own, shifted. Each text with a place is then matched on its
    own, as a key's surroundings (a private key's body, the spaces around an AWS secret) may
    span lines and must not run on into the next text.

    Texts of :data:`_SCANNED_ALONE` characters or more are scanned on their own, where the
    fixed cost is small beside reading them. Joined, a long text would be read by the scan of
    every anchor character any other text holds (alone, a scan is skipped for an anchor
    character the text lacks, as a long saved log often does), and, one byte a character,
    would be copied into two or four if another text holds a character past Latin-1.
    """
    found: list[list[SecretMatch]] = [[] for _text in texts]
    #: Where each text joined comes from in ``texts``.
    joined: Sequence[int] = range(len(texts))
    if texts and max(map(len, texts)) >= _SCANNED_ALONE:
        joined = [index for index, text in enumerate(texts) if len(text) < _SCANNED_ALONE]
        for index, text in enumerate(texts):
            if len(text) >= _SCANNED_ALONE:
                found[index] = find_secrets(text)
        texts = [texts[index] for index in joined]
    places = _needle_places("\n".join(texts))
    if not places:
        return found
    starts = list(itertools.accumulate([len(text) + 1 for text in texts], initial=0))
    position = 0
    while position < len(places):
        index = bisect.bisect_right(starts, places[position][0]) - 1
        start, end = starts[index], starts[index + 1]
        own: list[tuple[int, str]] = []
        while position < len(places) and places[position][0] < end:
            own.append((places[position][0] - start, places[position][1]))
            position += 1
        found[joined[index]] = _secrets_at(texts[index], own)
    return found


#: The length from which :func:`find_secrets_each` scans a text on its own: outputs this long
#: hold most of the characters of saved outputs (three fifths in the real corpus).
_SCANNED_ALONE = 8_192


def _secrets_at(text: str, places: list[tuple[int, str]]) -> list[SecretMatch]:
    """The keys in ``text`` at ``places`` (what :func:`_needle_places` finds in it)."""
    candidates: list[tuple[int, int, str]] = []
    private_key = False
    urls: list[int] = []
    for at, needle in places:
        anchors = _ANCHORS.get(needle)
        if anchors is not None:
            for offset, index in anchors:
                start = at + offset
                if start < 0:
                    continue
                kind, _needles, pattern = _PROVIDER_PATTERNS[index]
                match = pattern.match(text, start)
                if match is not None and _is_plausible_key(match.group()):
                    candidates.append((match.start(), match.end(), kind))
        elif needle == _URL_SEPARATOR_NEEDLE:
            urls.append(at)
        elif needle == _PRIVATE_KEY_NEEDLE:
            private_key = True
        else:  # ecret / ECRET
            for start in (at - 5, at - 4):
                match = _AWS_SECRET.match(text, start) if start >= 0 else None
                if match is not None and _is_plausible_key(match.group("value")):
                    candidates.append(
                        (match.start("value"), match.end("value"), "AWS secret access key")
                    )
    if private_key:
        candidates.extend(_private_key_blocks(text))
    if urls:
        candidates.extend(_url_credentials(text, urls))
    if not candidates:
        return []
    candidates.sort(key=lambda candidate: (candidate[0], candidate[0] - candidate[1]))
    found: list[SecretMatch] = []
    covered_until = -1
    for start, end, kind in candidates:
        if start >= covered_until:
            found.append(SecretMatch(kind, start, end, mask(text[start:end])))
            covered_until = end
    return found


def _needle_places(text: str) -> list[tuple[int, str]]:
    """Every ``(start, needle)`` in ``text``, in text order, outside base64 payloads.

    The base64 payloads of ``data:`` URIs are found first. Each of :data:`_ANCHOR_SCANS` then
    stops at its anchor character wherever a needle is around it (needles may overlap,
    ``xoxai-``, so each needle of the anchor is tested), and steps over the payloads unread;
    the needles without an anchor character are found with ``str.find``. A needle starting
    inside a payload does not count.
    """
    places: list[tuple[int, str]] = []
    payloads = _payloads(text)
    # The stretches between payloads. A payload's mark ends its stretch: no look-ahead of a
    # scan reads a ``;``, so none would have read on into the payload.
    stretches: list[tuple[int, int]] = []
    done = 0
    for mark, end in payloads:
        stretches.append((done, mark))
        done = end
    stretches.append((done, len(text)))
    for anchor_character, search in _ANCHOR_SEARCHES:
        if anchor_character not in text:  # a fast pass (``memchr``), and often true of a line
            continue
        for start, end in stretches:
            found = search(text, start, end)
            while found is not None:
                anchor = found.start()
                for needle, offset, test in _NEEDLES_AT[text[anchor]]:
                    if test.match(text, anchor + 1) is not None:
                        places.append((anchor + offset, needle))
                found = search(text, anchor + 1, end)
    for needle in _FOUND_BY_FIND:
        # The capital ``E`` of ``ECRET`` is rare in long logs; the ``e`` of ``ecret`` is not.
        at = _find_sparse(text, needle, 0) if needle == "ECRET" else text.find(needle)
        while at != -1:
            places.append((at, needle))
            at = text.find(needle, at + 1)
    if payloads:
        places = [place for place in places if not _in_payload(place[0], payloads)]
    places.sort()
    return places


def _payloads(text: str) -> list[tuple[int, int]]:
    """The base64 payloads of the ``data:`` URIs in ``text``, in text order: (the mark's
    ``;``, the payload's end)."""
    payloads: list[tuple[int, int]] = []
    mark = _find_sparse(text, _BASE64_MARK, 0)
    while mark != -1:
        if _is_data_uri(text, mark):
            end = _payload_end(text, mark + len(_BASE64_MARK))
            payloads.append((mark, end))
            mark = _find_sparse(text, _BASE64_MARK, end)
        else:
            mark = _find_sparse(text, _BASE64_MARK, mark + 1)
    return payloads


def _find_sparse(text: str, needle: str, start: int) -> int:
    """``text.find(needle, start)``, hopping from one occurrence of the needle's first
    character to the next in a long text.

    Finding a needle of several characters reads every character, some two or three
    instructions each (the needles' letters are common, so the search seldom skips ahead).
    The first characters of :data:`_BASE64_MARK` and ``ECRET`` (``;``, a capital ``E``) are
    rare in saved logs and prose, and finding one is a ``memchr``, a fraction of an
    instruction a character. Where they are dense, the plain search takes over after a few
    hops; a short text gets it at once (a hop costs a thousand or so instructions).
    """
    find = text.find
    if len(text) - start < _HOPPED_FROM:
        return find(needle, start)
    first = needle[0]
    at = find(first, start)
    for _hop in range(_HOPS):
        if at == -1 or text.startswith(needle, at):
            return at
        at = find(first, at + 1)
    return at if at == -1 else find(needle, at)


#: How long a text :func:`_find_sparse` hops in, and how many hops it makes at most.
_HOPPED_FROM = 4_096
_HOPS = 8


def _in_payload(start: int, payloads: list[tuple[int, int]]) -> bool:
    """Whether ``start`` lies past the mark of one of ``payloads`` (in text order), before its
    end."""
    index = bisect.bisect_right(payloads, (start, -1)) - 1
    return index >= 0 and payloads[index][0] < start < payloads[index][1]


def _payload_end(text: str, start: int) -> int:
    """Where the run of base64 characters from ``start`` ends.

    Matching ``[A-Za-z0-9+/=]*`` costs the regex engine a character-set test of some twenty
    instructions a character, and payloads run to megabytes; translating the text's bytes
    through :data:`_NOT_BASE64` and finding the first 1 costs about ten. It is done in chunks
    that double from a few hundred characters, so a short payload costs little past its end.
    A character past Latin-1 encodes as ``?``, which is not base64 either.
    """
    low, size = start, 256
    while low < len(text):
        chunk = text[low : low + size].encode("latin-1", "replace")
        stop = chunk.translate(_NOT_BASE64).find(1)
        if stop != -1:
            return low + stop
        low, size = low + size, min(size * 2, 65_536)
    return len(text)


def _is_data_uri(text: str, mark: int) -> bool:
    """Whether the ``;base64,`` at ``mark`` closes a ``data:<type>/<subtype>`` header."""
    head = text.rfind("data:", max(0, mark - _DATA_URI_HEAD_MAX), mark)
    if head == -1:
        return False
    match = _DATA_URI_HEAD.match(text, head)
    return match is not None and match.end() == mark


def _is_plausible_key(value: str) -> bool:
    """A provider-shaped string is a key unless it is a placeholder or has no digits at all.

    Issued keys are random, so a digit-free tail is a hyphenated word (``sk-this-is-...``).
    """
    return not is_placeholder(value) and any(char.isdigit() for char in value)


def _url_credentials(text: str, separators: list[int]) -> list[tuple[int, int, str]]:
    """Credentials in the user information after each ``://`` at ``separators``."""
    found: list[tuple[int, int, str]] = []
    for position in separators:
        after = position + len(_URL_SEPARATOR)
        match = _URL_USERINFO.match(text, after)
        if match is not None:
            password, user = match.group("password"), match.group("user")
            if password is not None:
                if _is_url_password(password):
                    found.append(
                        (match.start("password"), match.end("password"), "password in URL")
                    )
            elif user and looks_like_credential_value(user):
                found.append((match.start("user"), match.end("user"), "token in URL"))
    return found


def _is_url_password(value: str) -> bool:
    """Any password in a URL counts (people choose short ones), unless it is a template
    (``{password}``, ``${DB_PASSWORD}``, ``%s``, ``<pw>``, ``***``) or a stock placeholder."""
    if len(value) < 4 or _URL_PLACEHOLDER.match(value):
        return False
    lowered = value.lower()
    if lowered in _PLACEHOLDER_VALUES or lowered in _URL_PLACEHOLDER_WORDS:
        return False
    return not (_REFERENCE.search(value) or _PLACEHOLDER_FRAGMENTS.search(value))


def _private_key_blocks(text: str) -> list[tuple[int, int, str]]:
    blocks: list[tuple[int, int, str]] = []
    # The next footer of each label: a footer missing after one header is missing after every
    # later one, so many headers without a footer cost one search, not one search each.
    next_footer: dict[str, re.Match[str] | None] = {}
    for header in _PRIVATE_KEY_HEADER.finditer(text):
        label = header.group("label")
        closing = next_footer.get(label)
        if label not in next_footer or (closing is not None and closing.start() < header.end()):
            footer = re.compile(rf"-----END {re.escape(label)}PRIVATE KEY-----")
            closing = footer.search(text, header.end())
            next_footer[label] = closing
        if closing is not None:
            body, end = text[header.end() : closing.start()], closing.end()
        else:
            run = _PRIVATE_KEY_BODY.match(text, header.end())
            body = run.group() if run else ""
            end = header.end() + len(body.rstrip())
        base64 = re.sub(r"[^A-Za-z0-9+/=]", "", re.sub(r"\\[nr]", "", body))
        if len(base64) >= _MIN_PRIVATE_KEY_BODY and not _ELIDED_BODY.search(body):
            blocks.append((header.start(), end, "private key block"))
    return blocks


# --- placeholders -------------------------------------------------------------------------

# Values that stand in for a key rather than being one, compared case-insensitively.
_PLACEHOLDER_VALUES = frozenset(
    {
        "",
        "none",
        "null",
        "nil",
        "na",
        "n/a",
        "empty",
        "test",
        "testing",
        "dummy",
        "secret",
        "password",
        "passwd",
        "token",
        "key",
        "apikey",
        "api_key",
        "api-key",
        "changeme",
        "default",
        "ollama",
        "lm-studio",
        "lmstudio",
        "vllm",
        "local",
        "not-needed",
        "not_needed",
        "notneeded",
        "unused",
        "anything",
    }
)
# Words that mark a value as an example wherever they appear, e.g. ``AKIAIOSFODNN7EXAMPLE``.
_PLACEHOLDER_FRAGMENTS = regex_cache.compile(
    r"your|example|placeholder|change[_-]?me|redacted|replace[_-]?me|insert|xxxx|\*\*\*"
    r"|\.\.\.|…|<|>",
    re.IGNORECASE,
)
# Short words that mark a placeholder only as a whole word: random keys rarely contain them
# between non-letters, while ``sk-test-key`` or ``my_dummy_token`` are obvious fakes.
_PLACEHOLDER_WORDS = regex_cache.compile(
    r"(?<![a-z])(?:test|dummy|fake|sample|demo|todo|fixme|foo|bar|abc|key|token|secret"
    r"|password|here|tbd)(?![a-z])",
    re.IGNORECASE,
)
# References to where a secret lives rather than the secret itself.
_REFERENCE = regex_cache.compile(
    r"^\$\{?\w+\}?$|^%\w+%$|^\{[^{}]*\}$|^\[[^\[\]]*\]$|\{\{.*\}\}|environ|getenv\s*\("
    r"|userdata\.get\s*\(|getpass\s*\(",
    re.IGNORECASE,
)
# Provider prefixes stripped before judging whether what remains is long and varied enough.
_KEY_PREFIX = regex_cache.compile(
    r"^(?:sk-ant-[a-z]+\d{2}-|sk-(?:proj|svcacct|admin|None|or-v1)-|sk-|sk_live_|rk_live_"
    r"|hf_|gh[pousr]_|github_pat_|glpat-|gsk_|r8_|xox[abprs]-|AIza|AKIA|ASIA|pplx-|xai-"
    r"|GOCSPX-|lsv2_(?:pt|sk)_|pcsk_)"
)


def is_placeholder(value: str) -> bool:
    """True for values that obviously stand in for a credential instead of being one.

    Covers the empty string, stock words (``EMPTY``, ``test``, ``changeme``, ``ollama``),
    template markers (``<your key>``, ``YOUR_API_KEY``, ``sk-...``, ``sk-xxxxxxxx``), references
    (``${OPENAI_API_KEY}``, ``os.environ[...]``, ``getpass()``), a single repeated character,
    and anything shorter than eight characters once a provider prefix such as ``sk-`` is removed.
    """
    stripped = value.strip().strip("\"'")
    if stripped.lower() in _PLACEHOLDER_VALUES or len(stripped) < _MIN_REAL_LENGTH:
        return True
    if _REFERENCE.search(stripped) or _PLACEHOLDER_FRAGMENTS.search(stripped):
        return True
    if _PLACEHOLDER_WORDS.search(stripped):
        return True
    tail = _KEY_PREFIX.sub("", stripped)
    meaningful = re.sub(r"[^A-Za-z0-9]", "", tail)
    return len(tail) < _MIN_REAL_LENGTH or len(set(meaningful.lower())) <= 2


# --- names and values ---------------------------------------------------------------------

# Words that, before ``token``, make it a tokenizer token (``pad_token``, ``eos_token``).
_TOKENIZER_WORDS = (
    "pad|eos|bos|unk|sep|cls|mask|stop|start|end|special|next|new|prev|last|first|input|output"
    "|prompt|completion|max|min|num|total|image|audio|video|vision|sentinel|placeholder"
    "|default|chat|im|eot|eom|sot|begin|sample|generated|decoder|think|tool|fim|reasoning"
    "|context|target|source|query|answer|response|cached|reserved|added|word|char|byte|vocab"
    "|label|system|user|assistant|boundary|break|split|bpe|count|each|dummy"
)
_PROVIDERS = (
    "openai|anthropic|claude|groq|gemini|google|cohere|mistral|together|togetherai|hf"
    "|huggingface|huggingfacehub|replicate|pinecone|wandb|langsmith|langchain|serpapi|serper"
    "|tavily|aws|azure|stripe|deepseek|perplexity|pplx|fireworks|openrouter|xai|grok|voyage"
    "|jina|github|gh|gitlab|slack|ai21|nvidia|ngc|kaggle|comet|neptune|cerebras|deepinfra"
)

KEY_LIKE_NAME: re.Pattern[str] = regex_cache.compile(
    rf"""
    ^(?:[A-Za-z_][\w-]*\.)*            # an owner: ``openai.api_key``, ``self.hf_token``
    (?:
        [\w-]*?(?:
            api[_-]?(?:key|secret|token) | apikey
          | secret[_-]?(?:access[_-]?)?key | access[_-]?key(?:[_-]?id)? | private[_-]?key
          | (?:client|app|consumer)[_-]?secret
          | (?:auth|access|refresh|session|bearer)[_-]?token | bearer
          | secret | password | passwd | passphrase | authorization
        )
      | (?:[\w-]*[_-])?pass             # ``db_pass`` but not ``bypass``
      | (?:[\w-]*?[_-])?(?:{_PROVIDERS})[_-]?(?:key|token)
      | (?:(?:[\w-]*[_-])?(?!(?:{_TOKENIZER_WORDS})[_-]?token$)[a-z0-9]+[_-]?)?token
    )$
    """,
    re.IGNORECASE | re.VERBOSE,
)
"""Names whose assigned literal is a credential: ``api_key``, ``OPENAI_API_KEY``, ``hf_token``,
``client_secret``, ``password``... but not ``tokenizer``, ``max_tokens``, ``pad_token``,
``token_count``, ``secret_name``, ``password_field`` or ``key_column``. Anchored at both ends,
so ``match``, ``search`` and ``fullmatch`` agree."""


@functools.lru_cache(maxsize=4096)
def is_key_like_name(name: str) -> bool:
    """Whether :data:`KEY_LIKE_NAME` matches ``name``, remembered: the pattern backtracks
    through every split of a name, and a notebook asks it about the same few names (``model``,
    ``messages``, ``api_key``) for every string constant."""
    return KEY_LIKE_NAME.search(name) is not None


_PASSWORD_NAME = regex_cache.compile(r"(?:pass(?:word|wd|phrase)?)$", re.IGNORECASE)
_AUTH_SCHEME = regex_cache.compile(r"^(?:Bearer|Token|Basic)\s+", re.IGNORECASE)
_PATH_OR_URL = regex_cache.compile(
    r"^(?:\.{0,2}[\\/]|~|[A-Za-z]:[\\/])|://"
    r"|\.(?:json|txt|pem|key|env|ya?ml|toml|cfg|ini|p12|pfx|crt|csv)$",
    re.IGNORECASE,
)
_SEPARATORS = regex_cache.compile(r"[-_./:@]+")


def looks_like_credential_value(value: str, *, name: str | None = None) -> bool:
    """Decide whether a literal assigned to a key-like name is a real credential.

    A provider-shaped key always counts. Without a provider shape, a value counts when it is
    at least 16 characters, has no spaces, mixes at least two of lower case, upper case, digits
    and symbols, uses at least 8 distinct characters, and is not a run of words like
    ``gpt-4o-mini-2024-07-18`` or a path or URL. Human-chosen passwords have no entropy
    signature, so when ``name`` is password-like (``password``, ``passwd``, ``db_pass``) any
    non-placeholder of 8+ characters counts: ``password = "hunter2hunter2"`` is reported.
    """
    candidate = _AUTH_SCHEME.sub("", value.strip())
    if is_placeholder(candidate) or any(char.isspace() for char in candidate):
        return False
    if _is_whole_provider_key(candidate):
        return True
    if _PATH_OR_URL.search(candidate):
        return False
    if name is not None and _PASSWORD_NAME.search(name):
        return True  # is_placeholder already rejected anything under eight characters
    return (
        len(candidate) >= _MIN_GENERIC_LENGTH
        and _character_classes(candidate) >= 2
        and len(set(candidate)) >= 8
        and not _is_words(candidate)
    )


def is_credential_assignment(name: str, value: object) -> bool:
    """Whether ``name = value`` writes a credential down: a key-like name with a literal that
    looks like a credential, or any value holding a provider key (what NBG501 reports)."""
    if isinstance(value, str):
        text = value
        if is_key_like_name(name) and looks_like_credential_value(value, name=name):
            return True
    else:
        import json

        try:
            text = json.dumps(value, ensure_ascii=False, default=str)
        except (TypeError, ValueError, RecursionError):
            text = str(value)
    return bool(find_secrets(text))


def _is_whole_provider_key(value: str) -> bool:
    return any(match.start == 0 and match.end == len(value) for match in find_secrets(value))


def _character_classes(value: str) -> int:
    classes = (
        any(char.islower() for char in value),
        any(char.isupper() for char in value),
        any(char.isdigit() for char in value),
        any(not char.isalnum() and char not in "-_." for char in value),
    )
    return sum(classes)


def _is_words(value: str) -> bool:
    """True for separator-joined words and numbers: model names, dates, identifiers."""
    segments = [segment for segment in _SEPARATORS.split(value) if segment]
    return all(
        len(segment) <= 3
        or segment.isdigit()
        or (segment.isalpha() and (segment.isupper() or segment.islower()))
        for segment in segments
    )
