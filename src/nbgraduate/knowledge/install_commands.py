"""Read pip/uv/conda install lines from notebooks and say which requirements are left unpinned."""

from __future__ import annotations

import functools
import re

from nbgraduate.core import regex_cache
from nbgraduate.core.records import Record
from nbgraduate.knowledge.packages import (
    RequirementSyntaxError,
    canonical_name,
    parse_requirement,
    requirement_name,
)

__all__ = ["InstallKind", "InstallRequirement", "parse_install_line"]

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from typing import Literal

    InstallKind = Literal[
        "exact", "floating", "vcs-pinned", "vcs-floating", "local", "requirements-file"
    ]
else:
    InstallKind = str


class InstallRequirement(Record):
    """One requirement named on an install line, located so a rule can underline it.

    ``spec`` is the requirement as the shell sees it (quotes removed, environment markers
    kept); ``column``/``length`` span its text in the raw line, quotes excluded when the whole
    requirement is quoted. ``reason`` says why the install is not reproducible; it is empty for
    ``exact`` and ``vcs-pinned`` requirements.
    """

    _fields = ("tool", "spec", "column", "length", "kind", "reason")
    __slots__ = _fields

    def __init__(
        self, tool: str, spec: str, column: int, length: int, kind: InstallKind, reason: str
    ) -> None:
        self.tool = tool
        self.spec = spec
        self.column = column
        self.length = length
        self.kind = kind
        self.reason = reason


def parse_install_line(line: str) -> list[InstallRequirement]:
    """Return the requirements that ``line`` installs, or ``[]`` when it installs nothing.

    ``line`` is raw notebook text: ``!cmd``, ``!!cmd``, ``x = !cmd``, ``%pip``/``%conda``/
    ``%mamba``/``%micromamba``/``%uv`` magics, ``%sx``/``%system``, or a bare shell line from a
    ``%%bash`` cell. Several commands joined with ``&&``, ``||``, ``;`` or ``|`` are each read.
    """
    return list(_parsed(line))


@functools.lru_cache(maxsize=1024)
def _parsed(line: str) -> tuple[InstallRequirement, ...]:
    """The requirements of ``line``, kept: NBG401 and NBG402 (and the converter) each read
    every install line of a notebook, and parsing one is a shell tokenisation."""
    start = _command_start(line)
    if start is None:
        return ()
    found: list[InstallRequirement] = []
    for command in _split_commands(line, start):
        found.extend(_parse_command(command))
    return tuple(found)


# --- where the shell command starts -------------------------------------------------------

_SHELL_ESCAPE = regex_cache.compile(r"\s*(?:[A-Za-z_][\w.]*\s*=\s*)?!!?")
_LINE_MAGIC = regex_cache.compile(r"\s*%(?P<name>[A-Za-z_]\w*)\b\s*")
# Magics whose argument is an installer command line; the magic name is that installer.
_INSTALLER_MAGICS = frozenset({"pip", "conda", "mamba", "micromamba", "uv"})
# Magics whose argument is a shell command or another IPython line.
_SHELL_MAGICS = frozenset({"sx", "system"})
_TIMING_MAGICS = frozenset({"time", "timeit", "prun"})


def _command_start(line: str) -> int | None:
    """Offset where the shell command begins, or ``None`` for lines that run no shell."""
    if line.lstrip().startswith("%%"):
        return None  # a cell-magic header; the caller passes the body lines separately
    escape = _SHELL_ESCAPE.match(line)
    if escape:
        return escape.end()
    magic = _LINE_MAGIC.match(line)
    if magic is None:
        return 0  # a plain line, e.g. from a %%bash cell or an automagic ``pip install``
    name = magic.group("name")
    if name in _INSTALLER_MAGICS:
        return magic.start("name")
    if name in _SHELL_MAGICS:
        return magic.end()
    if name in _TIMING_MAGICS:
        # ``%time !pip install x`` times an IPython line, which may itself be a shell escape.
        inner = _command_start(line[magic.end() :])
        return None if inner is None else magic.end() + inner
    return None


# --- a small shell tokenizer that remembers where every character came from ---------------


class _Word(Record):
    """A shell word after quote removal, with the line offset of each of its characters."""

    _fields = ("text", "offsets")
    __slots__ = _fields

    def __init__(self, text: str, offsets: tuple[int, ...]) -> None:
        self.text = text
        self.offsets = offsets


class _Slice(Record):
    """The tail of a word from ``skip`` on: an option's attached value, or the whole word."""

    _fields = ("word", "skip")
    __slots__ = _fields

    def __init__(self, word: _Word, skip: int = 0) -> None:
        self.word = word
        self.skip = skip

    @property
    def text(self) -> str:
        return self.word.text[self.skip :]

    @property
    def column(self) -> int:
        return self.word.offsets[self.skip]

    @property
    def length(self) -> int:
        return self.word.offsets[-1] + 1 - self.column


class _Tokenizer:
    """Split a line into commands of words the way a POSIX shell would, well enough for installs.

    IPython expands ``{expr}`` and ``$name`` before the shell runs, so brace groups are kept as
    single word pieces even when they contain spaces or quotes. Redirections are dropped. A
    ``>``/``<`` inside a word followed by ``=`` or a digit stays in the word: notebook authors
    write ``pandas>=2`` meaning a version specifier.
    """

    def __init__(self, line: str) -> None:
        self.line = line
        self.commands: list[list[_Word]] = [[]]
        self.chars: list[str] = []
        self.offsets: list[int] = []
        self.word_open = False
        self.drop_next_word = False
        # Digits in the word so far: ``2>`` (a stream number) is told from ``pandas>`` in O(1).
        self.digits = 0

    def add(self, index: int) -> None:
        char = self.line[index]
        self.chars.append(char)
        self.offsets.append(index)
        self.digits += char.isdigit()
        self.word_open = True

    def clear_word(self) -> None:
        self.chars, self.offsets, self.word_open, self.digits = [], [], False, 0

    def add_span(self, start: int, stop: int) -> None:
        for index in range(start, stop):
            self.add(index)

    def end_word(self) -> None:
        if self.word_open:
            if self.drop_next_word:
                self.drop_next_word = False
            elif self.chars:
                word = _Word("".join(self.chars), tuple(self.offsets))
                self.commands[-1].append(word)
        self.clear_word()

    def end_command(self) -> None:
        self.end_word()
        self.drop_next_word = False
        if self.commands[-1]:
            self.commands.append([])

    def run(self, start: int) -> list[list[_Word]]:
        line, i = self.line, start
        while i < len(line):
            i = self.step(i)
        self.end_command()
        return [command for command in self.commands if command]

    def step(self, i: int) -> int:
        line = self.line
        char = line[i]
        following = line[i + 1] if i + 1 < len(line) else ""
        if char in " \t\r":
            self.end_word()
            return i + 1
        if char == "\\":
            if following == "\n":
                return i + 2  # a line continuation joins the two halves
            if following:
                self.add(i + 1)
            return i + 2
        if char == "'":
            close = line.find("'", i + 1)
            close = len(line) if close < 0 else close
            self.add_span(i + 1, close)
            self.word_open = True
            return close + 1
        if char == '"':
            return self.double_quoted(i + 1)
        if char == "{" or (char == "$" and following != "" and following in "({"):
            stop = _group_end(line, i + 1 if char == "$" else i)
            self.add_span(i, stop)
            return stop
        if char == "`":
            close = line.find("`", i + 1)
            stop = len(line) if close < 0 else close + 1
            self.add_span(i, stop)
            return stop
        if char == "#" and not self.word_open:
            return len(line)  # a comment runs to the end of the line
        if char in "<>":
            return self.angle(i)
        if char == "&" and following == ">":
            return self.redirect(i + 1)
        if char in ";|&()\n":
            self.end_command()
            return i + 2 if following == char and char in "|&" else i + 1
        self.add(i)
        return i + 1

    def double_quoted(self, i: int) -> int:
        line = self.line
        self.word_open = True
        while i < len(line) and line[i] != '"':
            if line[i] == "\\" and i + 1 < len(line) and line[i + 1] in '"\\$`':
                self.add(i + 1)
                i += 2
            elif line[i] == "{":
                stop = _group_end(line, i)
                self.add_span(i, stop)
                i = stop
            else:
                self.add(i)
                i += 1
        return i + 1

    def angle(self, i: int) -> int:
        following = self.line[i + 1] if i + 1 < len(self.line) else ""
        stream_number = bool(self.chars) and self.digits == len(self.chars)
        if self.chars and not stream_number and (following == "=" or following.isdigit()):
            self.add(i)
            return i + 1
        if stream_number:
            self.clear_word()  # ``2>`` names a stream
        return self.redirect(i)

    def redirect(self, i: int) -> int:
        """Skip a redirection operator at ``i`` and arrange for its target word to be dropped."""
        self.end_word()
        line = self.line
        while i < len(line) and line[i] in "<>|":
            i += 1
        if i < len(line) and line[i] == "&":
            i += 1
            while i < len(line) and (line[i].isdigit() or line[i] == "-"):
                i += 1
            if i < len(line) and not line[i].isspace():
                self.drop_next_word = True
            return i
        self.drop_next_word = True
        return i


def _group_end(line: str, start: int) -> int:
    """Index just past the bracket that closes the one at ``start``, skipping quoted text."""
    opening = line[start]
    closing = {"{": "}", "(": ")"}[opening]
    depth = 0
    i = start
    while i < len(line):
        char = line[i]
        if char in "'\"" and depth > 0:
            close = line.find(char, i + 1)
            i = len(line) if close < 0 else close + 1
            continue
        if char == opening:
            depth += 1
        elif char == closing:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(line)


def _split_commands(line: str, start: int) -> list[list[_Word]]:
    return _Tokenizer(line).run(start)


# --- which installer a command runs -------------------------------------------------------

_PIP_EXECUTABLE = regex_cache.compile(r"pip(?:\d+(?:\.\d+)*)?(?:\.exe)?", re.IGNORECASE)
_PYTHON_EXECUTABLE = regex_cache.compile(
    r"(?:python(?:\d+(?:\.\d+)*)?|py)(?:\.exe)?", re.IGNORECASE
)
_CONDA_EXECUTABLES = {"conda": "conda", "mamba": "mamba", "micromamba": "mamba"}
_ASSIGNMENT = regex_cache.compile(r"[A-Za-z_]\w*=")
# Commands that run the rest of the line as another command, with the options they take a value for.
_WRAPPERS: dict[str, frozenset[str]] = {
    "sudo": frozenset({"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-T", "-U"}),
    "doas": frozenset({"-u", "-C"}),
    "env": frozenset({"-u", "-C", "-S"}),
    "nice": frozenset({"-n"}),
    "time": frozenset({"-f", "-o"}),
    "nohup": frozenset(),
    "exec": frozenset({"-a"}),
    "command": frozenset(),
}


def _is_interpolation(text: str) -> bool:
    """True for text IPython or the shell fills in at run time: ``{expr}``, ``$VAR``, ``$(..)``."""
    return text[:1] in ("{", "$", "`")


def _executable_name(text: str) -> str:
    return re.split(r"[\\/]", text)[-1]


def _strip_wrappers(words: list[_Word]) -> list[_Word]:
    i = 0
    while i < len(words):
        text = words[i].text
        if _ASSIGNMENT.match(text):
            i += 1
            continue
        name = _executable_name(text)
        if name == "timeout":
            i += 1
            while i < len(words) and words[i].text.startswith("-"):
                i += 1
            i += 1  # the duration
            continue
        if name not in _WRAPPERS:
            break
        takes_value = _WRAPPERS[name]
        i += 1
        while i < len(words) and words[i].text.startswith("-"):
            i += 2 if words[i].text in takes_value else 1
    return words[i:]


def _python_module(words: list[_Word]) -> tuple[str, list[_Word]] | None:
    """For ``python [opts] -m module args``: the module and its arguments."""
    i = 1
    while i < len(words):
        text = words[i].text
        if text == "-m" and i + 1 < len(words):
            return words[i + 1].text, words[i + 2 :]
        if text.startswith("-m") and len(text) > 2:
            return text[2:], words[i + 1 :]
        if text in ("-X", "-W"):
            i += 2
        elif text.startswith("-") and not text.startswith("-c"):
            i += 1
        else:
            return None  # a script or ``-c code``: not an installer
    return None


def _installer(words: list[_Word]) -> tuple[str, list[_Word]] | None:
    """The tool a command runs and the arguments after the executable, if it is an installer."""
    if not words:
        return None
    first = words[0].text
    name = _executable_name(first).lower()
    if _PIP_EXECUTABLE.fullmatch(name):
        return "pip", words[1:]
    if name in ("uv", "uv.exe"):
        return "uv", words[1:]
    if name.removesuffix(".exe") in _CONDA_EXECUTABLES:
        return _CONDA_EXECUTABLES[name.removesuffix(".exe")], words[1:]
    is_python = _PYTHON_EXECUTABLE.fullmatch(name) is not None
    if is_python or _is_interpolation(first):
        module = _python_module(words)
        if module is not None:
            module_name, arguments = module
            if module_name == "pip":
                return "pip", arguments
            if module_name == "uv":
                return "uv", arguments
            if module_name == "conda":
                return "conda", arguments
        if _is_interpolation(first) and "pip" in first.lower():
            return "pip", words[1:]  # ``!{PIP} install x``
    return None


# --- options ------------------------------------------------------------------------------

# pip and uv options that take a value; their value is never a requirement.
_PIP_VALUE_OPTIONS = frozenset(
    {
        "--index-url",
        "--extra-index-url",
        "--index",
        "--default-index",
        "--find-links",
        "--target",
        "--python",
        "--prefix",
        "--root",
        "--src",
        "--upgrade-strategy",
        "--platform",
        "--python-version",
        "--python-platform",
        "--implementation",
        "--abi",
        "--no-binary",
        "--only-binary",
        "--progress-bar",
        "--trusted-host",
        "--allow-insecure-host",
        "--log",
        "--log-file",
        "--cache-dir",
        "--cert",
        "--client-cert",
        "--proxy",
        "--retries",
        "--timeout",
        "--exists-action",
        "--global-option",
        "--install-option",
        "--build-option",
        "--config-settings",
        "--config-setting",
        "--report",
        "--root-user-action",
        "--keyring-provider",
        "--use-feature",
        "--use-deprecated",
        "--build",
        "--index-strategy",
        "--resolution",
        "--prerelease",
        "--exclude-newer",
        "--link-mode",
        "--config-file",
        "--directory",
        "--project",
        "--override",
        "--overrides",
        "--build-constraint",
        "--build-constraints",
        "--torch-backend",
        "--no-build-package",
        "--no-binary-package",
        "--reinstall-package",
        "--refresh-package",
        "--color",
        "--extra",
        "--group",
        "--only-group",
        "--fork-strategy",
        "--python-preference",
    }
)
_PIP_VALUE_SHORTS = frozenset("iftbCp")
_PIP_SPECIAL = {
    "-r": "--requirement",
    "-e": "--editable",
    "-c": "--constraint",
    "-P": "--upgrade-package",
}

_CONDA_VALUE_OPTIONS = frozenset(
    {
        "--channel",
        "--name",
        "--prefix",
        "--repodata-fn",
        "--solver",
        "--experimental-solver",
        "--platform",
        "--subdir",
        "--clone",
        "--revision",
        "--rc-file",
        "--root-prefix",
        "--channel-priority",
        "--env",
        "--category",
    }
)
_CONDA_VALUE_SHORTS = frozenset("cnpr")
_CONDA_SPECIAL = {"-f": "--file"}
_CONDA_UPDATE_SUBCOMMANDS = frozenset({"update", "upgrade"})
_CONDA_INSTALL_SUBCOMMANDS = frozenset({"install", "create"}) | _CONDA_UPDATE_SUBCOMMANDS


class _Arguments(Record):
    """An installer's arguments sorted into requirements and the options that change them."""

    _fields = ("positional", "special", "upgrade_flag")
    __slots__ = _fields

    def __init__(
        self,
        positional: list[_Slice],
        special: list[tuple[str, _Slice]],
        upgrade_flag: str | None = None,
    ) -> None:
        self.positional = positional
        self.special = special
        self.upgrade_flag = upgrade_flag


def _read_arguments(
    words: list[_Word],
    value_options: frozenset[str],
    value_shorts: frozenset[str],
    special: dict[str, str],
) -> _Arguments:
    """Sort words into positionals and special options, skipping options that take values."""
    arguments = _Arguments(positional=[], special=[])
    special_long = frozenset(special.values())
    i = 0
    while i < len(words):
        word = words[i]
        text = word.text
        i += 1
        if text == "--":
            arguments.positional.extend(_Slice(w) for w in words[i:])
            break
        if not text.startswith("-") or text == "-":
            arguments.positional.append(_Slice(word))
            continue
        if text.startswith("--"):
            name, equals, _ = text.partition("=")
            if name == "--upgrade":
                arguments.upgrade_flag = name
            elif name in special_long or name in value_options:
                if equals:
                    value: _Slice | None = _Slice(word, len(name) + 1)
                elif i < len(words):
                    value, i = _Slice(words[i]), i + 1
                else:
                    value = None
                if value is not None and value.text and name in special_long:
                    arguments.special.append((name, value))
            continue
        for position in range(1, len(text)):
            letter = text[position]
            short = "-" + letter
            if short in special or letter in value_shorts:
                if position + 1 < len(text):
                    value = _Slice(word, position + 1)
                elif i < len(words):
                    value, i = _Slice(words[i]), i + 1
                else:
                    value = None
                if value is not None and value.text and short in special:
                    arguments.special.append((special[short], value))
                break
            if letter == "U":
                arguments.upgrade_flag = "-U"
    return arguments


def _skip_global_options(words: list[_Word], value_options: frozenset[str]) -> list[_Word]:
    """Drop options written before the subcommand (``pip -q install``, ``uv --quiet pip``)."""
    i = 0
    while i < len(words) and words[i].text.startswith("-"):
        text = words[i].text
        i += 2 if text in value_options and "=" not in text else 1
    return words[i:]


def _subcommand(words: list[_Word], value_options: frozenset[str]) -> tuple[str, list[_Word]]:
    words = _skip_global_options(words, value_options)
    if not words:
        return "", []
    return words[0].text, words[1:]


# --- one command --------------------------------------------------------------------------


def _parse_command(words: list[_Word]) -> list[InstallRequirement]:
    installer = _installer(_strip_wrappers(words))
    if installer is None:
        return []
    tool, rest = installer
    if tool in ("conda", "mamba"):
        return _parse_conda(tool, rest)
    if tool == "uv":
        subcommand, rest = _subcommand(rest, _PIP_VALUE_OPTIONS)
        if subcommand != "pip":
            return []
    subcommand, rest = _subcommand(rest, _PIP_VALUE_OPTIONS)
    if subcommand == "sync" and tool == "uv":
        arguments = _read_arguments(rest, _PIP_VALUE_OPTIONS, _PIP_VALUE_SHORTS, _PIP_SPECIAL)
        return [_requirements_file(tool, item) for item in arguments.positional]
    if subcommand != "install":
        return []
    return _parse_pip_install(tool, rest)


def _requirements_file(tool: str, item: _Slice, option: str = "-r") -> InstallRequirement:
    reason = (
        f"'{option} {item.text}' installs whatever that file lists; its pins are not visible here"
    )
    return InstallRequirement(
        tool, item.text, item.column, item.length, "requirements-file", reason
    )


def _parse_pip_install(tool: str, words: list[_Word]) -> list[InstallRequirement]:
    arguments = _read_arguments(words, _PIP_VALUE_OPTIONS, _PIP_VALUE_SHORTS, _PIP_SPECIAL)
    constraints = [item.text for option, item in arguments.special if option == "--constraint"]
    upgraded = {
        _requirement_key(item.text): item.text
        for option, item in arguments.special
        if option == "--upgrade-package"
    }
    ordered: list[tuple[str, _Slice]] = [("", item) for item in arguments.positional]
    ordered += [(o, s) for o, s in arguments.special if o in ("--requirement", "--editable")]
    ordered.sort(key=lambda pair: pair[1].column)
    found: list[InstallRequirement] = []
    for option, item in ordered:
        if option == "--requirement":
            found.append(_requirements_file(tool, item))
            continue
        if option == "--editable":
            kind, reason = _classify_editable(item.text)
        else:
            upgrade_flag = arguments.upgrade_flag
            name = _requirement_key(item.text)
            if upgrade_flag is None and name in upgraded:
                upgrade_flag = f"--upgrade-package {upgraded[name]}"
            kind, reason = _classify_pip(item.text, upgrade_flag)
            if kind == "floating" and constraints and not _is_interpolation(item.text):
                reason += f" (unless constraints file '{constraints[0]}' pins it)"
        found.append(InstallRequirement(tool, item.text, item.column, item.length, kind, reason))
    return found


def _parse_conda(tool: str, words: list[_Word]) -> list[InstallRequirement]:
    subcommand, rest = _subcommand(words, _CONDA_VALUE_OPTIONS)
    if subcommand == "env":
        action, rest = _subcommand(rest, _CONDA_VALUE_OPTIONS)
        if action not in ("create", "update"):
            return []
        arguments = _read_arguments(rest, _CONDA_VALUE_OPTIONS, _CONDA_VALUE_SHORTS, _CONDA_SPECIAL)
        return [_requirements_file(tool, item, "-f") for _, item in arguments.special]
    if subcommand not in _CONDA_INSTALL_SUBCOMMANDS:
        return []
    arguments = _read_arguments(rest, _CONDA_VALUE_OPTIONS, _CONDA_VALUE_SHORTS, _CONDA_SPECIAL)
    updating = subcommand in _CONDA_UPDATE_SUBCOMMANDS
    found = [_requirements_file(tool, item, "--file") for _, item in arguments.special]
    for item in arguments.positional:
        kind, reason = _classify_conda(item.text)
        if updating and kind == "floating" and not _is_interpolation(item.text):
            reason = f"'{tool} {subcommand} {item.text}' moves to whatever is newest"
        found.append(InstallRequirement(tool, item.text, item.column, item.length, kind, reason))
    return sorted(found, key=lambda requirement: requirement.column)


# --- classifying pip requirements ---------------------------------------------------------

_Classified = tuple[InstallKind, str]

_URL = regex_cache.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_VCS = regex_cache.compile(r"(?P<vcs>git|hg|svn|bzr)\+(?P<rest>.+)", re.IGNORECASE)
_ARCHIVE_SUFFIX = regex_cache.compile(
    r"\.(?:whl|tar\.gz|tgz|tar\.bz2|tar\.xz|tar|zip|egg)$", re.IGNORECASE
)
_LOCAL_PATH = regex_cache.compile(r"(?:\.{1,2}(?:[\\/]|$|\[)|[\\/~]|[A-Za-z]:[\\/])")
# ``name @ url``: the URL part of a direct reference, found before PEP 508 parsing so a local
# path (which PEP 508 does not allow) is still recognised as one.
_DIRECT_REFERENCE = regex_cache.compile(
    r"\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*(?:\[[^\]]*\])?\s*@\s*(?P<url>.+)"
)
# ``openai=={OPENAI_VERSION}``: an exact pin whose version IPython fills in from a variable.
_INTERPOLATED_PIN = regex_cache.compile(
    r"\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*(?:\[[^\]]*\])?\s*===?\s*(?:\{[^{}]*\}|\$\w+)\s*"
)


def _requirement_key(spec: str) -> str:
    name = requirement_name(spec)
    return canonical_name(name) if name else ""


def _without_marker(spec: str) -> str:
    """Drop a PEP 508 environment marker; URL requirements need a space before their ``;``."""
    spaced = re.search(r"\s;", spec)
    if spaced:
        return spec[: spaced.start()].strip()
    if "://" in spec:
        return spec.strip()
    return spec.split(";", 1)[0].strip()


def _is_local(text: str) -> bool:
    return bool(_LOCAL_PATH.match(text)) or (
        not _URL.match(text) and ("/" in text or "\\" in text or bool(_ARCHIVE_SUFFIX.search(text)))
    )


def _classify_editable(text: str) -> _Classified:
    if _VCS.match(text) or _URL.match(text):
        return _classify_url(text)
    return "local", f"'-e {text}' installs a local directory whose contents are not versioned here"


def _classify_pip(spec: str, upgrade_flag: str | None) -> _Classified:
    if _is_interpolation(spec):
        return "floating", f"'{spec}' is filled in at run time, so its version cannot be checked"
    requirement = _without_marker(spec)
    if _VCS.match(requirement) or _URL.match(requirement):
        return _classify_url(requirement)
    direct = _DIRECT_REFERENCE.fullmatch(requirement)
    if direct is not None:
        url = direct.group("url").strip()
        if url.lower().startswith("file:") or _is_local(url):
            return "local", f"'{url}' is a local path whose contents are not versioned here"
        return _classify_url(url)
    if _is_local(requirement):
        return "local", f"'{requirement}' is a local path whose contents are not versioned here"
    if _INTERPOLATED_PIN.fullmatch(requirement):
        return "exact", ""
    try:
        parsed = parse_requirement(spec)
    except RequirementSyntaxError as error:
        return "floating", f"pip will reject '{_shown(requirement)}': {error.reason}"
    if parsed.pinned_version is not None:
        return "exact", ""
    return _classify_specifiers(_shown(requirement), parsed.operators, upgrade_flag)


def _shown(requirement: str) -> str:
    """A requirement short enough to quote in a one-line message."""
    return (
        requirement
        if len(requirement) <= 80
        else f"{requirement[:60]}… ({len(requirement):,} characters)"
    )


def _classify_specifiers(
    requirement: str, operators: frozenset[str], upgrade_flag: str | None
) -> _Classified:
    if upgrade_flag is not None:
        return "floating", f"'{upgrade_flag} {requirement}' upgrades to whatever is newest"
    if not operators:
        return "floating", f"'{requirement}' has no version pin, so the newest release is installed"
    if "==" in operators:
        return "floating", f"'{requirement}' matches any release under the wildcard"
    if "~=" in operators:
        return "floating", f"'{requirement}' allows any newer compatible release"
    if operators & {"<", "<="} and operators & {">", ">="}:
        return "floating", f"'{requirement}' allows any release in a range"
    if operators & {"<", "<="}:
        return "floating", f"'{requirement}' allows any release below the bound"
    if operators <= {"!="}:
        return "floating", f"'{requirement}' excludes versions but pins none"
    return "floating", f"'{requirement}' allows any newer release"


# --- URLs: VCS checkouts and archives ----------------------------------------------------

_FULL_SHA = regex_cache.compile(r"[0-9a-fA-F]{40}|[0-9a-fA-F]{64}")
_SHORT_SHA = regex_cache.compile(r"[0-9a-fA-F]{7,39}")
_BRANCH_NAMES = frozenset(
    {"main", "master", "develop", "dev", "trunk", "head", "nightly", "latest", "stable"}
)
_TAG_LIKE = regex_cache.compile(r"v?\d+(?:\.\d+)*(?:[-.]?\w+)?", re.IGNORECASE)
_ARCHIVE_REFS = (
    regex_cache.compile(
        r"https?://github\.com/[^/]+/[^/]+/archive/(?P<ref>.+?)"
        r"\.(?:zip|tar\.gz|tgz)",
        re.IGNORECASE,
    ),
    regex_cache.compile(
        r"https?://codeload\.github\.com/[^/]+/[^/]+/(?:legacy\.)?(?:zip|tar\.gz)/(?P<ref>.+)",
        re.IGNORECASE,
    ),
    regex_cache.compile(
        r"https?://(?:api\.)?github\.com/(?:repos/)?[^/]+/[^/]+/(?:zip|tar)ball(?:/(?P<ref>.+))?",
        re.IGNORECASE,
    ),
    regex_cache.compile(
        r"https?://gitlab\.[^/]+/.+?/-/archive/(?P<ref>[^/]+)/[^/]+", re.IGNORECASE
    ),
    regex_cache.compile(
        r"https?://bitbucket\.org/[^/]+/[^/]+/get/(?P<ref>.+?)\.(?:zip|tar\.gz|tar\.bz2)",
        re.IGNORECASE,
    ),
)
_TAG_REASON = "{vcs} ref '{ref}' is a tag, which can be moved; pin the commit sha"
_HASH_FRAGMENT = regex_cache.compile(r"#(?:.*&)?(?:sha256|sha384|sha512|sha1|md5)=", re.IGNORECASE)
_VERSIONED_SDIST = regex_cache.compile(r"[A-Za-z0-9_.]+-\d[^/]*\.(?:tar\.gz|zip|tar\.bz2)$")


def _classify_ref(vcs: str, ref: str | None) -> _Classified:
    """Pinned only to a full commit id: branches and tags can both be moved after the fact."""
    if ref is None or ref == "":
        return (
            "vcs-floating",
            f"no {vcs} ref, so whatever the default branch points to is installed",
        )
    if ref.startswith("refs/heads/"):
        return "vcs-floating", f"{vcs} ref '{ref[11:]}' is a branch, not a commit sha"
    if ref.startswith("refs/tags/"):
        return (
            "vcs-floating",
            f"{vcs} ref '{ref[10:]}' is a tag, which can be moved; pin the commit sha",
        )
    if _FULL_SHA.fullmatch(ref):
        return "vcs-pinned", ""
    if _SHORT_SHA.fullmatch(ref) and any(char.isdigit() for char in ref):
        return "vcs-floating", f"{vcs} ref '{ref}' is an abbreviated sha; use the full commit sha"
    if ref.lower() in _BRANCH_NAMES:
        return "vcs-floating", f"{vcs} ref '{ref}' is a branch, not a commit sha"
    if _TAG_LIKE.fullmatch(ref):
        return "vcs-floating", _TAG_REASON.format(vcs=vcs, ref=ref)
    return "vcs-floating", f"{vcs} ref '{ref}' is a branch or tag, not a commit sha"


def _vcs_ref(rest: str) -> str | None:
    """The ``@ref`` of a pip VCS URL, ignoring the ``user@`` of ``ssh://git@host``."""
    location = rest.split("#", 1)[0]
    if "://" in location:
        path = location.split("://", 1)[1].partition("/")[2]
    else:
        path = location.partition(":")[2]  # scp-like ``git@host:org/repo``
    if "@" not in path:
        return None
    return path.rsplit("@", 1)[1]


def _classify_url(url: str) -> _Classified:
    vcs_match = _VCS.match(url)
    if vcs_match:
        vcs = vcs_match.group("vcs").lower()
        ref = _vcs_ref(vcs_match.group("rest"))
        if vcs == "svn" and ref is not None and ref.isdigit():
            return "vcs-pinned", ""  # svn revision numbers never change meaning
        return _classify_ref(vcs, ref)
    if url.lower().startswith("file:"):
        return "local", f"'{url}' is a local path whose contents are not versioned here"
    location = url.split("#", 1)[0].split("?", 1)[0]
    for pattern in _ARCHIVE_REFS:
        archive = pattern.fullmatch(location)
        if archive:
            return _classify_ref("git", archive.group("ref"))
    filename = location.rstrip("/").rsplit("/", 1)[-1]
    if (
        _HASH_FRAGMENT.search(url)
        or "files.pythonhosted.org" in location
        or filename.lower().endswith((".whl", ".conda", ".tar.bz2"))
        or _VERSIONED_SDIST.search(filename)
    ):
        return "exact", ""
    return "floating", "a direct URL can serve different content over time; add a '#sha256=' hash"


# --- classifying conda match specs --------------------------------------------------------

_CONDA_SPEC = regex_cache.compile(
    r"(?:(?P<channel>[^:\s]+)::)?(?P<name>[A-Za-z0-9_][A-Za-z0-9_.+-]*)"
    r"(?P<bracket>\[[^\]]*\])?(?P<rest>.*)",
    re.DOTALL,
)
_CONDA_BRACKET_VERSION = regex_cache.compile(r"""version\s*=\s*['"]?(?P<version>[^'",\]]+)""")
_CONDA_PACKAGE_FILE = regex_cache.compile(r"\.(?:conda|tar\.bz2)$", re.IGNORECASE)


def _classify_conda(spec: str) -> _Classified:
    """Conda match-spec rules: ``==v`` and ``=v=build`` are exact, ``=1.26`` means ``1.26.*``."""
    if _is_interpolation(spec):
        return "floating", f"'{spec}' is filled in at run time, so its version cannot be checked"
    if _URL.match(spec):
        if _CONDA_PACKAGE_FILE.search(spec.split("#", 1)[0]):
            return "exact", ""
        return "floating", "a direct URL can serve different content over time"
    if "::" not in spec and _is_local(spec):
        return "local", f"'{spec}' is a local package whose contents are not versioned here"
    match = _CONDA_SPEC.fullmatch(spec.strip())
    if match is None:
        return "floating", f"'{spec}' is not a valid conda spec"
    rest = match.group("rest").strip()
    bracket = match.group("bracket") or ""
    if not rest:
        version = _CONDA_BRACKET_VERSION.search(bracket)
        if version is None:
            return "floating", f"'{spec}' has no version pin, so the newest build is installed"
        rest = version.group("version").strip()
        if rest[:1].isdigit():
            rest = "==" + rest  # a bracket version without operator is an exact match
    elif match.group("rest")[:1].isspace():
        version, _, build = rest.partition(" ")
        rest = ("==" + version if version[:1].isdigit() else version) + (
            "=" + build.strip() if build.strip() else ""
        )
    return _classify_conda_version(spec, rest)


def _classify_conda_version(spec: str, rest: str) -> _Classified:
    if any(char in rest for char in ",|") or rest.startswith(("<", ">", "!", "~")):
        if rest.startswith("<"):
            return "floating", f"'{spec}' allows any release below the bound"
        return "floating", f"'{spec}' allows any newer release"
    if "*" in rest:
        return "floating", f"'{spec}' matches any release under the wildcard"
    if rest.startswith("=="):
        return "exact", ""
    if rest.startswith("="):
        version, equals, build = rest[1:].partition("=")
        if equals and build:
            return "exact", ""
        if len(version.split(".")) >= 3:
            return "exact", ""
        return "floating", f"'{spec}' is a prefix match: conda installs the newest {version}.*"
    return "floating", f"'{spec}' is not a valid conda spec"
