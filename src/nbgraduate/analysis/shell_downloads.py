"""Data fetched and files written by ``!``/``%%bash`` commands: ``wget``, ``curl``, ``gdown``...

``!wget https://raw.githubusercontent.com/org/repo/main/eval.csv`` fetches a dataset whose
bytes can change; the later ``pd.read_csv("eval.csv")`` reads a file the notebook wrote itself.
This module finds both halves: each download's URL (with where it is written, so a finding
lands on it) and every file or folder a command writes (``-O``, ``-o``, ``> file``, ``unzip -d``,
``tar -C``, ``cp``, ``%%writefile``). IPython expands ``{name}`` and ``$name`` in ``!`` lines
from the notebook's variables, so a URL held in a variable is followed to its literal.
"""

from __future__ import annotations

import ast
import itertools
import posixpath
import re
import shlex
from urllib.parse import unquote, urlsplit

from nbgraduate.analysis import catalog
from nbgraduate.analysis.values import ValueResolver
from nbgraduate.core import regex_cache
from nbgraduate.core.records import Record
from nbgraduate.notebook.model import Notebook, ShellCommand

__all__ = [
    "ShellDownload",
    "ShellEffects",
    "find_shell_effects",
    "is_data_download_url",
    "url_file_name",
]

_URL = regex_cache.compile(r"^(?:https?|ftp|s3|gs|az|abfss?|hf)://", re.IGNORECASE)
_SUBSTITUTION = regex_cache.compile(r"\{([^{}]+)\}|\$\{?([A-Za-z_]\w*)\}?")
_SIMPLE_EXPRESSION = regex_cache.compile(r"^[A-Za-z_][\w.]*(?:\[['\"][^'\"]+['\"]\])?$")
_HEX = regex_cache.compile(r"^[0-9a-fA-F]{32,128}$")
#: A commit as ``git checkout`` takes it (abbreviated to 7 hex digits or more).
_COMMIT = regex_cache.compile(r"^[0-9a-fA-F]{7,40}$")
#: ``git`` options followed by a value (``--depth 1``, ``-b main``).
_GIT_VALUE_OPTIONS = frozenset(
    {"-b", "--branch", "--depth", "-o", "--origin", "-c", "--config", "--reference", "-j", "--jobs"}
)
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "0.0.0.0", "::1", "[::1]", "host.docker.internal")
#: Commands worth splitting: they name a tool this module knows (most are ``pip install``).
_MAY_MATTER = regex_cache.compile(
    r"\b(?:wget|curl|gdown|kaggle|hf|huggingface-cli|unzip|tar|cp|mv|ln|gsutil|aws|azcopy|git"
    r"|sha\d*sum|shasum|md5sum)\b|>"
)
_SEPARATORS = frozenset({"|", "||", "&&", ";", "&", "|&"})
#: SQL that makes or fills a table, given to a database shell.
_FILLING_STATEMENT = regex_cache.compile(r"(?is)^\s*(?:CREATE|INSERT|COPY|ATTACH)\b")
_PREFIXES = frozenset({"sudo", "time", "nohup", "command", "exec", "env"})
_CURL_API_OPTIONS = frozenset(
    {"-d", "--data", "--data-raw", "--data-binary", "--data-urlencode", "-F", "--form", "--json"}
)
_SHELL_INTERPRETERS = frozenset({"sh", "bash", "zsh", "python", "python3", "sudo", "source"})
#: Programs a signing key is piped into (``curl -fsSL .../key.asc | gpg --dearmor``).
_KEY_INSTALLERS = frozenset({"gpg", "gpg2", "apt-key"})
_STREAMED_DATA_EXTENSIONS = (
    *catalog.DATA_FILE_EXTENSIONS,
    *catalog.TEXT_CORPUS_EXTENSIONS,
    ".zip",
    ".gz",
    ".tgz",
    ".bz2",
    ".xz",
    ".zst",
)


def _names_data_file(url: str) -> bool:
    """Whether the URL's path names a data file or an archive (``.../qa.jsonl``)."""
    return unquote(urlsplit(url).path).lower().endswith(_STREAMED_DATA_EXTENSIONS)


class ShellDownload(Record):
    """One URL a command fetches. ``node`` is the literal that holds it when the command names
    it through a variable; otherwise ``(cell_index, row, column, end_column)`` locate it in the
    command. ``line`` is the program line of the command, for notebook order."""

    _fields = (
        "url",
        "tool",
        "cell_index",
        "row",
        "column",
        "end_column",
        "line",
        "node",
        "destinations",
        "revision",
        "hub",
    )
    __slots__ = _fields

    def __init__(
        self,
        url: str,
        tool: str,
        cell_index: int,
        row: int,
        column: int,
        end_column: int,
        line: int,
        node: ast.AST | None = None,
        destinations: tuple[str, ...] = (),
        revision: str | None = None,
        hub: str | None = None,
    ) -> None:
        self.url = url
        self.tool = tool
        self.cell_index = cell_index
        self.row = row
        self.column = column
        self.end_column = end_column
        self.line = line
        self.node = node
        self.destinations = destinations
        self.revision = revision
        self.hub = hub


class ShellEffects:
    """What the notebook's shell commands fetch, write and digest-check, in notebook order."""

    __slots__ = ("checked", "checkouts", "clones", "downloads", "written")

    def __init__(self) -> None:
        self.downloads: list[ShellDownload] = []
        #: ``(path, is_folder, program line)`` of every file or folder a command writes.
        self.written: list[tuple[str, bool, int]] = []
        #: ``(path, program line)`` of files a ``sha256sum -c``-style command checks.
        self.checked: list[tuple[str, int]] = []
        #: ``git clone`` of a repository; its ``destinations`` hold the clone's folder.
        self.clones: list[ShellDownload] = []
        #: ``(folder given with -C or None, program line)`` of each ``git checkout <sha>``.
        self.checkouts: list[tuple[str | None, int]] = []


def url_file_name(url: str) -> str:
    """The file name ``wget``/``curl -O`` give a download: the last segment of the URL's path."""
    return posixpath.basename(unquote(urlsplit(url).path.rstrip("/"))) or "index.html"


def is_data_download_url(url: str) -> bool:
    """Whether fetching ``url`` may fetch data: not a local server, model weights or installer."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host in _LOCAL_HOSTS or host.startswith("127."):
        return False
    path = parts.path.lower()
    if path.endswith(catalog.NOT_DATA_DOWNLOAD_EXTENSIONS):
        return False
    return not (host == "github.com" and _RELEASE_PROGRAM.search(path))


#: A GitHub release asset that is a program or a model package: no file extension
#: (``ollama-linux-amd64``), a platform suffix, or a release of a ``*-models`` repository
#: (``explosion/spacy-models``).
_RELEASE_PROGRAM = regex_cache.compile(
    r"^/[^/]+/[^/]+/releases/download/[^/]+/"
    r"(?:[^/.]+|[^/]*[-_](?:amd64|arm64|x86_64|aarch64|linux|darwin|macos|windows)(?:\.[a-z0-9]+)*)$"
    r"|^/[^/]+/[^/]*-models/releases/download/"
)


def find_shell_effects(notebook: Notebook, values: ValueResolver) -> ShellEffects:
    """Downloads, writes and digest checks of every shell command and ``%%writefile`` cell, and
    the hub datasets that task configurations written in the notebook name."""
    effects = ShellEffects()
    commands = [c for c in notebook.shell_commands if _MAY_MATTER.search(c.text)]
    commands += _python_shell_commands(notebook, values)
    writefile = [c for c in notebook.cells if c.cell_type == "code" and c.cell_magic == "writefile"]
    _task_strings(notebook, values, effects)
    if not commands and not writefile:
        return effects
    lines = _program_lines(notebook)
    for command in commands:
        line = lines.get((command.cell_index, command.row), 0)
        _Command(command, line, values, effects).scan()
    for cell in writefile:
        arguments = _split(cell.source.split("\n", 1)[0])[1:]
        paths = [a for a in arguments if not a.startswith("-")]
        if paths:
            line = lines.get((cell.index, 1), 0)
            effects.written.append((_normalise(paths[0]), False, line))
        for row, column, name, revision in task_config_datasets(cell.source):
            effects.downloads.append(
                ShellDownload(
                    url=name,
                    tool="task config",
                    cell_index=cell.index,
                    row=row,
                    column=column,
                    end_column=column + len(name),
                    line=lines.get((cell.index, 1), 0),
                    revision=revision,
                    hub="huggingface",
                )
            )
    return effects


_TASK_DATASET = regex_cache.compile(
    rf"^[ \t-]*{catalog.TASK_DATASET_KEY}[ \t]*:[ \t]*[\"']?"
    r"([A-Za-z0-9][\w.-]*(?:/[\w.-]+)?)[\"']?[ \t]*(?:#.*)?$",
    re.MULTILINE,
)
_TASK_REVISION = regex_cache.compile(
    rf"^[ \t]*{catalog.TASK_REVISION_KEY}[ \t]*:[ \t]*[\"']?([\w./-]+)", re.MULTILINE
)
_TASK_KEYS = regex_cache.compile(
    rf"^[ \t-]*(?:{'|'.join(catalog.TASK_CONFIG_KEYS)})[ \t]*:", re.MULTILINE
)


def task_config_datasets(text: str) -> list[tuple[int, int, str, str | None]]:
    """``(row, column, name, revision)`` of each hub dataset an lm-evaluation-harness task
    configuration names (``dataset_path: org/name``); rows and columns are 1-based within
    ``text``. Text that has no other task key is not a task configuration; a file builder
    (``dataset_path: json``) or a local path reads files, not a hub dataset."""
    if catalog.TASK_DATASET_KEY not in text or not _TASK_KEYS.search(text):
        return []
    revision_match = _TASK_REVISION.search(text)
    revision = revision_match.group(1) if revision_match else None
    found = []
    for match in _TASK_DATASET.finditer(text):
        name = match.group(1)
        if name in catalog.HF_FILE_BUILDERS or posixpath.splitext(name)[1][1:].isalpha():
            continue
        row = text.count("\n", 0, match.start(1)) + 1
        column = match.start(1) - (text.rfind("\n", 0, match.start(1)) + 1) + 1
        found.append((row, column, name, revision))
    return found


def _task_strings(notebook: Notebook, values: ValueResolver, effects: ShellEffects) -> None:
    """Task configurations written as Python strings (``TASK = \"\"\"...\"\"\"`` saved to a
    ``.yaml`` for an eval CLI): each hub dataset, located on its line of the literal."""
    key = catalog.TASK_DATASET_KEY
    for string in values.facts.strings:
        text = string.node.value
        if key not in text:
            continue
        node = string.node
        last_line = node.end_lineno or node.lineno
        # A multi-line literal holds its lines as written, unless an escape (``\\n`` inside a
        # value) adds lines the source does not have: then each dataset is looked for on the
        # literal's source lines, and the literal's own position is the fallback.
        literal_lines = last_line - node.lineno == text.count("\n")
        source_places = (
            None
            if literal_lines or last_line == node.lineno
            else _task_dataset_lines(notebook, node)
        )
        for row, column, name, revision in task_config_datasets(text):
            place = source_places.pop(name, None) if source_places else None
            if place is not None:
                line, program_column = place
            elif literal_lines and row > 1:
                line, program_column = node.lineno + row - 1, column - 1
            else:
                line, program_column = node.lineno, node.col_offset
            cell_index, cell_row, cell_column = notebook.origin(line, program_column)
            effects.downloads.append(
                ShellDownload(
                    url=name,
                    tool="task config",
                    cell_index=cell_index,
                    row=cell_row,
                    column=cell_column,
                    end_column=cell_column + len(name),
                    line=line,
                    revision=revision,
                    hub="huggingface",
                )
            )


def _task_dataset_lines(notebook: Notebook, node: ast.Constant) -> dict[str, tuple[int, int]]:
    """Where each ``dataset_path: name`` line of a multi-line literal is written: the name's
    first program ``(line, column)`` on the literal's source lines (0-based column)."""
    places: dict[str, tuple[int, int]] = {}
    for line in range(node.lineno, (node.end_lineno or node.lineno) + 1):
        cell_index, row, column_shift = notebook.origin(line, 0)
        match = _TASK_DATASET.search(notebook.cell_line(cell_index, row))
        if match is not None and match.group(1) not in places:
            places[match.group(1)] = (line, match.start(1) - (column_shift - 1))
    return places


#: Python calls that run their first argument as a shell command line or argument list.
_PYTHON_SHELL_CALLS = frozenset(
    {
        "os.system",
        "subprocess.run",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
        "subprocess.Popen",
    }
)


def _python_shell_commands(notebook: Notebook, values: ValueResolver) -> list[ShellCommand]:
    """``os.system("wget URL -O qa.csv")``, ``subprocess.run(["wget", URL, "-O", "qa.csv"])``:
    commands the notebook runs from Python, taken as bash would read them (no IPython ``{}``)."""
    found: list[ShellCommand] = []
    for call in values.facts.calls:
        if call.qualified_name not in _PYTHON_SHELL_CALLS or not call.node.args:
            continue
        first = call.node.args[0]
        cell_index, row, column = notebook.origin(first.lineno, first.col_offset)
        if isinstance(first, (ast.List, ast.Tuple)):
            parts = [values.strings(element, call.scope) for element in first.elts]
            if not all(len(part) == 1 for part in parts):
                continue
            # each argument mapped back to where it is written in the list
            text, segments = "", []
            for element, (part,) in zip(first.elts, parts, strict=True):
                word = shlex.quote(str(part.value))
                text += " " if text else ""
                start = len(text) + (1 if word != part.value else 0)
                _, element_row, element_column = notebook.origin(element.lineno, element.col_offset)
                quote = 1 if isinstance(element, ast.Constant) else 0
                segments.append((start, element_row, element_column + quote))
                text += word
            command = ShellCommand(
                cell_index, row, column, text, "cell-magic", None, tuple(segments)
            )
        else:
            resolved = values.strings(first, call.scope)
            if len(resolved) != 1:
                continue
            text = str(resolved[0].value)
            quote = 1 if isinstance(first, ast.Constant) else 0
            command = ShellCommand(cell_index, row, column + quote, text, "cell-magic")
        if _MAY_MATTER.search(text):
            found.append(command)
    return found


def _program_lines(notebook: Notebook) -> dict[tuple[int, int], int]:
    lines: dict[tuple[int, int], int] = {}
    for number, origin in enumerate(notebook.line_origins, start=1):
        lines.setdefault((origin.cell_index, origin.row), number)
    return lines


#: What makes :class:`shlex.shlex` (POSIX rules, split at whitespace and at ``|&;<>``) do more
#: than split at its whitespace: quotes, escapes, comments, punctuation.
_SHELL_SYNTAX = regex_cache.compile(r"""["'\\#|&;<>]""")
#: The whitespace :class:`shlex.shlex` splits at (not every Unicode space, as ``str.split``).
_SHELL_SPACE = regex_cache.compile(r"[ \t\r\n]+")


def _split(text: str) -> list[str]:
    if not _SHELL_SYNTAX.search(text):
        # ``wget URL -O data.csv``: the words shlex would give, without its loop over each
        # character.
        return [word for word in _SHELL_SPACE.split(text) if word]
    try:
        lexer = shlex.shlex(text, posix=True, punctuation_chars="|&;<>")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        return list(lexer)
    except ValueError:
        return text.split()


def _normalise(path: str) -> str:
    return posixpath.normpath(path.replace("\\", "/")).removeprefix("./")


class _Token(Record):
    _fields = ("text", "offset", "node", "length")
    __slots__ = _fields

    def __init__(
        self,
        text: str,
        offset: int,
        node: ast.AST | None = None,
        length: int = 0,
    ) -> None:
        self.text = text
        self.offset = offset  # where the raw token starts in the command text, -1 when unknown
        self.node = node
        self.length = length  # the raw token's length in the command text


class _Command:
    """One command line split into segments (``a | b && c``), each scanned for its tool."""

    def __init__(
        self, command: ShellCommand, line: int, values: ValueResolver, effects: ShellEffects
    ) -> None:
        self.command = command
        self.line = line
        self.values = values
        self.effects = effects
        self.piped = False

    def scan(self) -> None:
        tokens = self._tokens()
        segments: list[list[_Token]] = [[]]
        for token in tokens:
            if token.text in _SEPARATORS:
                segments.append([])
            else:
                segments[-1].append(token)
        piped_into = [
            segments[index + 1][0].text if index + 1 < len(segments) and segments[index + 1] else ""
            for index in range(len(segments))
        ]
        separators = [token.text for token in tokens if token.text in _SEPARATORS]
        for index, (segment, next_program) in enumerate(zip(segments, piped_into, strict=True)):
            #: whether this segment reads the previous one's output (``curl URL | sqlite3 db``)
            self.piped = index > 0 and separators[index - 1] in ("|", "|&")
            self._segment(segment, next_program)

    def _tokens(self) -> list[_Token]:
        text = self.command.text
        found: list[_Token] = []
        cursor = 0
        for raw in _split(text):
            offset = text.find(raw, cursor) if raw else -1
            if offset >= 0:
                cursor = offset + len(raw)
            found.append(self._expand(raw, offset))
        return found

    def _expand(self, raw: str, offset: int) -> _Token:
        """IPython's ``{expr}``/``$name`` expansion, for ``!`` lines only (bash cells are bash)."""
        if self.command.origin == "cell-magic" or not _SUBSTITUTION.search(raw):
            return _Token(raw, offset, None, len(raw))
        whole = _SUBSTITUTION.fullmatch(raw)
        pieces: list[str] = []
        node: ast.AST | None = None
        position = 0
        for match in _SUBSTITUTION.finditer(raw):
            pieces.append(raw[position : match.start()])
            expression = (match.group(1) or match.group(2) or "").strip()
            resolved = self._resolve(expression)
            if resolved is None:
                return _Token(raw, offset, None, len(raw))
            text, node = resolved
            pieces.append(text)
            position = match.end()
        pieces.append(raw[position:])
        return _Token("".join(pieces), offset, node if whole else None, len(raw))

    def _resolve(self, expression: str) -> tuple[str, ast.AST] | None:
        if not _SIMPLE_EXPRESSION.match(expression):
            return None
        try:
            parsed = ast.parse(expression, mode="eval").body
        except SyntaxError:
            return None
        for node in ast.walk(parsed):
            if hasattr(node, "lineno"):
                node.lineno = self.line  # type: ignore[attr-defined]
                node.end_lineno = self.line  # type: ignore[attr-defined]
        found = self.values.strings(parsed)
        if len(found) != 1:
            return None
        return str(found[0].value), found[0].node

    # -- tools ----------------------------------------------------------------------------------
    def _segment(self, tokens: list[_Token], next_program: str) -> None:
        while tokens and (tokens[0].text in _PREFIXES or "=" in tokens[0].text.split("/")[0]):
            tokens = tokens[1:]
        if not tokens:
            return
        program = posixpath.basename(tokens[0].text)
        arguments = tokens[1:]
        redirect = self._redirect(arguments)
        if redirect is not None:
            self.effects.written.append((redirect, False, self.line))
        handler = _TOOLS.get(program)
        if handler is not None:
            handler(self, arguments, redirect, next_program)

    def _redirect(self, arguments: list[_Token]) -> str | None:
        for index, token in enumerate(arguments[:-1]):
            if token.text in (">", ">>"):
                return _normalise(arguments[index + 1].text)
        return None

    def _download(
        self, token: _Token, tool: str, destinations: tuple[str, ...], **extra: str | None
    ) -> None:
        url = token.text
        if not is_data_download_url(url) and extra.get("hub") is None:
            # Not data (an image, weights, an installer), but still a file the notebook wrote:
            # reading it later reads the notebook's own download.
            for destination in destinations:
                self.effects.written.append((destination, destination.endswith("/"), self.line))
            return
        self.effects.downloads.append(self._record(token, tool, destinations, **extra))
        for destination in destinations:
            self.effects.written.append((destination, destination.endswith("/"), self.line))

    def _record(
        self, token: _Token, tool: str, destinations: tuple[str, ...], **extra: str | None
    ) -> ShellDownload:
        start = max(token.offset, 0)
        row, column = self.command.locate(start)
        return ShellDownload(
            url=token.text,
            tool=tool,
            cell_index=self.command.cell_index,
            row=row,
            column=column,
            end_column=column + max(token.length, 1),
            line=self.line,
            node=token.node,
            destinations=destinations,
            revision=extra.get("revision"),
            hub=extra.get("hub"),
        )

    def wget(self, arguments: list[_Token], redirect: str | None, next_program: str) -> None:
        output = _option(arguments, ("-O", "--output-document"))
        folder = _option(arguments, ("-P", "--directory-prefix"))
        for token in arguments:
            if _URL.match(token.text) and token.text.lower().startswith(("http", "ftp")):
                if output and output != "-":
                    destination = _normalise(output)
                else:
                    name = url_file_name(token.text)
                    destination = _normalise(posixpath.join(folder, name) if folder else name)
                if next_program in _SHELL_INTERPRETERS:
                    continue
                self._download(token, "wget", (destination,))

    def curl(self, arguments: list[_Token], redirect: str | None, next_program: str) -> None:
        texts = [token.text for token in arguments]
        method = _option(arguments, ("-X", "--request"))
        if method and method.upper() != "GET":
            return
        if any(text.split("=", 1)[0] in _CURL_API_OPTIONS for text in texts):
            return
        if next_program in _SHELL_INTERPRETERS:
            return
        output = _option(arguments, ("-o", "--output"))
        folder = _option(arguments, ("--output-dir",))
        remote_name = any(
            text in ("-O", "--remote-name", "--remote-name-all")
            or (text.startswith("-") and not text.startswith("--") and "O" in text[1:])
            for text in texts
        )
        for token in arguments:
            if not (_URL.match(token.text) and token.text.lower().startswith(("http", "ftp"))):
                continue
            if output:
                destinations: tuple[str, ...] = (_normalise(output),)
            elif remote_name:
                name = url_file_name(token.text)
                destinations = (_normalise(posixpath.join(folder, name) if folder else name),)
            elif redirect:
                destinations = (redirect,)
            else:
                destinations = ()
                if next_program in _KEY_INSTALLERS or (
                    not next_program and not _names_data_file(token.text)
                ):
                    continue  # a signing key, or an API or health call printed to the cell
            self._download(token, "curl", destinations)

    def gdown(self, arguments: list[_Token], redirect: str | None, next_program: str) -> None:
        output = _option(arguments, ("-O", "--output", "-o"))
        destinations = (_normalise(output),) if output else ()
        positional = [t for t in arguments if not t.text.startswith("-") and t.text != output]
        for token in positional[:1]:
            if not _URL.match(token.text):
                token = _Token(
                    f"https://drive.google.com/uc?id={token.text}",
                    token.offset,
                    token.node,
                    token.length,
                )
            self._download(token, "gdown", destinations)

    def kaggle(self, arguments: list[_Token], redirect: str | None, next_program: str) -> None:
        texts = [token.text for token in arguments]
        if texts[:2] != ["datasets", "download"]:
            return
        folder = _option(arguments, ("-p", "--path")) or "."
        handle = _option(arguments, ("-d", "--dataset"))
        token = next((t for t in arguments if t.text == handle), None) if handle else None
        if token is None:
            rest = [t for t in arguments[2:] if not t.text.startswith("-")]
            token = rest[0] if rest else None
        if token is not None:
            self._download(token, "kaggle", (_normalise(folder) + "/",), hub="kaggle")

    def huggingface_cli(
        self, arguments: list[_Token], redirect: str | None, next_program: str
    ) -> None:
        texts = [token.text for token in arguments]
        if not texts or texts[0] != "download":
            return
        if _option(arguments, ("--repo-type",)) != "dataset":
            return
        folder = _option(arguments, ("--local-dir",))
        positional = [t for t in arguments[1:] if not t.text.startswith("-")]
        values = {_option(arguments, (o,)) for o in ("--repo-type", "--local-dir", "--revision")}
        positional = [t for t in positional if t.text not in values]
        if positional:
            destinations = (_normalise(folder) + "/",) if folder else ()
            revision = _option(arguments, ("--revision",))
            self._download(
                positional[0], "huggingface-cli", destinations, revision=revision, hub="huggingface"
            )

    def object_store(
        self, arguments: list[_Token], redirect: str | None, next_program: str
    ) -> None:
        command = next(
            (i for i, t in enumerate(arguments[:3]) if t.text in ("cp", "sync", "rsync", "copy")),
            None,
        )
        if command is None:
            return
        positional = [t for t in arguments[command + 1 :] if not t.text.startswith("-")]
        # The last operand is the destination: ``gsutil rsync ./local gs://bucket/dir`` uploads,
        # and only a remote operand before it is a download.
        sources = [t for t in positional[:-1] if _URL.match(t.text) and "://" in t.text]
        if not sources:
            return
        target = positional[-1].text
        destination = "" if "://" in target else _normalise(target)
        tool = "object-store copy"
        for token in sources[:1]:
            self._download(token, tool, (destination,) if destination else ())
            if destination:
                self.effects.written.append((destination.rstrip("/") + "/", True, self.line))

    def unzip(self, arguments: list[_Token], redirect: str | None, next_program: str) -> None:
        folder = _option(arguments, ("-d",)) or "."
        self.effects.written.append((_normalise(folder) + "/", True, self.line))

    def tar(self, arguments: list[_Token], redirect: str | None, next_program: str) -> None:
        first = arguments[0].text if arguments else ""
        extracts = "--extract" in first or ("x" in first and not first.startswith("--"))
        if extracts:
            folder = _option(arguments, ("-C", "--directory")) or "."
            self.effects.written.append((_normalise(folder) + "/", True, self.line))

    def database(self, arguments: list[_Token], redirect: str | None, next_program: str) -> None:
        """``curl URL | sqlite3 Chinook.db``, ``sqlite3 shop.db < schema.sql``, ``sqlite3 db
        ".read dump.sql"``: a database shell given statements fills the database file, which
        is then the notebook's own (the download that fed it is what NBG202 judges)."""
        positional = [t.text for t in arguments if not t.text.startswith("-")]
        if not positional or positional[0] in ("<", ":memory:"):
            return
        fed = self.piped or any(
            t.text == "<"
            or t.text.lstrip().startswith((".read", ".import", ".restore"))
            or _FILLING_STATEMENT.match(t.text)
            for t in arguments
        )
        if fed:
            self.effects.written.append((_normalise(positional[0]), False, self.line))

    def copy(self, arguments: list[_Token], redirect: str | None, next_program: str) -> None:
        positional = [t.text for t in arguments if not t.text.startswith("-")]
        if len(positional) >= 2:
            target = _normalise(positional[-1])
            self.effects.written.append((target, False, self.line))
            self.effects.written.append((target + "/", True, self.line))

    def git(self, arguments: list[_Token], redirect: str | None, next_program: str) -> None:
        """``git clone URL [folder]`` writes the folder (the repository's name by default):
        reading files from it later reads the notebook's own clone, which NBG202 judges by
        whether a ``git checkout <sha>`` pins it."""
        folder_option = None
        if len(arguments) > 2 and arguments[0].text == "-C":
            folder_option = _normalise(arguments[1].text) + "/"
            arguments = arguments[2:]
        positional: list[_Token] = []
        skip = False
        for token in arguments:
            if skip:
                skip = False
            elif token.text in _GIT_VALUE_OPTIONS:
                skip = True
            elif not token.text.startswith("-"):
                positional.append(token)
        words = [t.text for t in positional]
        if words[:1] in (["checkout"], ["reset"], ["switch"]) and any(
            _COMMIT.match(word) for word in words[1:]
        ):
            self.effects.checkouts.append((folder_option, self.line))
            return
        if len(words) < 2 or words[0] != "clone":
            return
        url = words[1]
        folder = words[2] if len(words) > 2 else url.rstrip("/").rsplit("/", 1)[-1]
        folder = folder.removesuffix(".git").rsplit(":", 1)[-1]
        if folder:
            destination = _normalise(folder) + "/"
            self.effects.written.append((destination, True, self.line))
            if _URL.match(url):
                self.effects.clones.append(self._record(positional[1], "git clone", (destination,)))

    def checksum(self, arguments: list[_Token], redirect: str | None, next_program: str) -> None:
        texts = [token.text for token in arguments]
        if "-c" not in texts and "--check" not in texts:
            return
        for text in texts:
            if text.startswith("-") or text.isdigit():
                continue
            stem = re.sub(r"\.(sha\d*|sha\d+sum|md5|md5sum|checksums?|digests?)$", "", text)
            self.effects.checked.append((_normalise(stem), self.line))

    def echo(self, arguments: list[_Token], redirect: str | None, next_program: str) -> None:
        if not next_program.endswith(("sha256sum", "sha512sum", "md5sum", "shasum", "sha1sum")):
            return
        words = " ".join(token.text for token in arguments).split()
        for digest, name in itertools.pairwise(words):
            if _HEX.match(digest):
                self.effects.checked.append((_normalise(name.lstrip("*")), self.line))


def _option(arguments: list[_Token], names: tuple[str, ...]) -> str | None:
    """The value of the first option in ``names`` (``-O file``, ``--output=file``, ``-Ofile``)."""
    for index, token in enumerate(arguments):
        text = token.text
        for name in names:
            if text == name and index + 1 < len(arguments):
                return arguments[index + 1].text
            if name.startswith("--") and text.startswith(name + "="):
                return text[len(name) + 1 :]
            if len(name) == 2 and text.startswith(name) and len(text) > 2 and name != "-O":
                return text[2:]
    return None


_TOOLS = {
    "wget": _Command.wget,
    "curl": _Command.curl,
    "gdown": _Command.gdown,
    "kaggle": _Command.kaggle,
    "huggingface-cli": _Command.huggingface_cli,
    "hf": _Command.huggingface_cli,
    "unzip": _Command.unzip,
    "tar": _Command.tar,
    "cp": _Command.copy,
    "mv": _Command.copy,
    "ln": _Command.copy,
    "gsutil": _Command.object_store,
    "aws": _Command.object_store,
    "azcopy": _Command.object_store,
    "git": _Command.git,
    "sha256sum": _Command.checksum,
    "sha512sum": _Command.checksum,
    "sha1sum": _Command.checksum,
    "md5sum": _Command.checksum,
    "shasum": _Command.checksum,
    "echo": _Command.echo,
    "printf": _Command.echo,
    "sqlite3": _Command.database,
    "duckdb": _Command.database,
}
