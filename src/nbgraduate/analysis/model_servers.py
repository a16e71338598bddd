"""Model servers the notebook launches from its shell escapes, and the weights they serve.

A notebook that starts ``vllm serve org/model --revision <commit>`` and then asks
``OpenAI(base_url="http://localhost:8000/v1")`` for ``model="org/model"`` gets the weights of
that commit: the id in the request names the served model, and the launch line pins it.
NBG101 reads this so that such a request is not reported as a floating Hugging Face id.
Only launches whose revision is a full 40-hex commit count; a branch or tag can move.
"""

from __future__ import annotations

from nbgraduate.core import regex_cache
from nbgraduate.notebook.model import ShellCommand

__all__ = ["pinned_served_models"]

#: Server launchers: the program (or ``python -m`` module) and the flags that name the model.
#: ``vllm serve`` also takes the model as its first positional argument.
_LAUNCHERS: dict[str, tuple[str, ...]] = {
    "vllm": ("--model",),
    "vllm.entrypoints.openai.api_server": ("--model",),
    "text-generation-launcher": ("--model-id",),
    "sglang.launch_server": ("--model-path", "--model"),
}
_MENTIONS_A_LAUNCHER = regex_cache.compile(
    r"\b(?:vllm|text-generation-launcher|sglang\.launch_server)\b"
)
_COMMIT = regex_cache.compile(r"^[0-9a-f]{40}$")
_QUOTES = regex_cache.compile(r"^['\"]|['\"]$")


def pinned_served_models(commands: list[ShellCommand]) -> frozenset[str]:
    """The model ids the notebook's server launches pin to a commit (``--revision <40-hex>``)."""
    pinned: set[str] = set()
    for command in commands:
        if not _MENTIONS_A_LAUNCHER.search(command.text):
            continue
        served = _served_model(command.text.split())
        if served is not None:
            pinned.add(served)
    return frozenset(pinned)


def _served_model(words: list[str]) -> str | None:
    """The model a launch line serves, when its revision is a commit; else ``None``."""
    words = [_QUOTES.sub("", word) for word in words if word != "\\"]
    launcher, arguments = _launcher(words)
    if launcher is None:
        return None
    options: dict[str, str] = {}
    positional: list[str] = []
    index = 0
    while index < len(arguments):
        word = arguments[index]
        if word.startswith("--"):
            flag, sep, value = word.partition("=")
            if not sep and index + 1 < len(arguments) and not arguments[index + 1].startswith("-"):
                value = arguments[index + 1]
                index += 1
            options.setdefault(flag, value)
        elif word in ("&", "&&", ";", "|", ">", "2>&1") or word.startswith((">", "2>")):
            break  # the launch ends here (backgrounded, chained or redirected)
        else:
            positional.append(word)
        index += 1
    if not _COMMIT.match(options.get("--revision", "")):
        return None
    for flag in _LAUNCHERS[launcher]:
        if options.get(flag):
            return options[flag]
    if launcher == "vllm" and positional:
        return positional[0]
    return None


def _launcher(words: list[str]) -> tuple[str | None, list[str]]:
    """The launcher a command line runs and the words after it: ``vllm serve``,
    ``python -m <module>``, ``text-generation-launcher``; ``nohup``/``VAR=value`` skipped."""
    for index, word in enumerate(words[:8]):
        program = word.rsplit("/", 1)[-1]
        if program == "vllm" and words[index + 1 : index + 2] == ["serve"]:
            return "vllm", words[index + 2 :]
        if program == "text-generation-launcher":
            return program, words[index + 1 :]
        if word == "-m" and index + 1 < len(words) and words[index + 1] in _LAUNCHERS:
            return words[index + 1], words[index + 2 :]
    return None, []
