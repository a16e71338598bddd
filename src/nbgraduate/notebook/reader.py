"""Read ``.ipynb``, percent-format and plain ``.py`` files into one :class:`Notebook` model."""

from __future__ import annotations

import ast
import bisect
import warnings
from itertools import repeat
from pathlib import Path

from nbgraduate.core import regex_cache
from nbgraduate.core.errors import InputFileError
from nbgraduate.core.files import NotARegularFile, read_regular
from nbgraduate.notebook import modern_fstrings
from nbgraduate.notebook.ipython_syntax import translate_cell, untranslated_rows
from nbgraduate.notebook.model import Cell, CellSyntaxError, LineOrigin, Notebook

_PERCENT_MARKER = regex_cache.compile(r"^# ?%%(?!%)(?P<rest>.*)$")
_PERCENT_TYPE = regex_cache.compile(r"\[(?P<type>markdown|md|raw)\]")
_PERCENT_TAGS = regex_cache.compile(r"tags\s*=\s*\[(?P<tags>[^\]]*)\]")
_PARSE_FLAGS = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
# Never the real path: for some errors CPython re-reads the named file to locate the column, and
# the file on disk is JSON (or has IPython syntax), not the program being compiled.
_VIRTUAL_FILENAME = "<notebook cells>"
_PYTHON_LANGUAGES = frozenset({"python", "python3", "ipython", "ipython3", ""})
#: Larger inputs are refused rather than read: a notebook is edited by people; a gigabyte of
#: JSON is a data file or an accident, and modelling it would take the machine's memory.
MAX_NOTEBOOK_BYTES = 256 * 1024 * 1024


def read_notebook(path: Path) -> Notebook:
    """Read and model one file; raises :class:`InputFileError` with a one-line reason."""
    if path.suffix == ".ipynb":
        # A NUL byte is looked for only when the notebook cannot be read: JSON that parses holds
        # none (its parser refuses a raw control character), and the search would read every
        # byte of the file again, outputs and all, for nothing.
        text = _read_text(path, look_for_nul=False)
        try:
            notebook = _from_ipynb(path, text)
        except InputFileError:
            if "\x00" in text:
                raise InputFileError(path, _BINARY) from None
            raise
    else:
        notebook = _from_python_source(path, _read_text(path))
    build_program(notebook)
    return notebook


def notebook_from_text(path: Path, text: str) -> Notebook:
    """Model a notebook from text already in memory (rule examples, stdin, tests)."""
    notebook = (
        _from_ipynb(path, text)
        if text.lstrip().startswith("{")
        else _from_python_source(path, text)
    )
    build_program(notebook)
    return notebook


_BINARY = "binary file (contains NUL bytes), not a notebook or script"


def _read_text(path: Path, *, look_for_nul: bool = True) -> str:
    """The file's text; ``look_for_nul=False`` leaves a NUL byte to the caller, except in a file
    that is not UTF-8 (still said to be binary when it holds one)."""
    try:
        data = read_regular(path, max_bytes=MAX_NOTEBOOK_BYTES)
    except NotARegularFile as error:
        raise InputFileError(path, str(error)) from None
    except FileNotFoundError:
        raise InputFileError(path, "No such file or directory") from None
    except OSError as error:
        raise InputFileError(path, error.strerror or str(error)) from None
    if not data or data.isspace():  # not ``data.strip()``, which copies the file
        raise InputFileError(path, "empty file")
    if look_for_nul and b"\x00" in data:
        raise InputFileError(path, _BINARY)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if b"\x00" in data:
            raise InputFileError(path, _BINARY) from None
        raise InputFileError(
            path, f"not UTF-8 text (undecodable byte at offset {error.start})"
        ) from None


def _from_ipynb(path: Path, text: str) -> Notebook:
    """Model an ``.ipynb`` document.

    nbformat 4 (what every current Jupyter writes) is read straight from ``json.loads``: its
    on-disk shape is our model's shape, and importing nbformat (and the jsonschema it pulls in)
    would cost half of the linter's 300 ms cold-start budget on every commit. Version 3 is
    upgraded by :mod:`nbgraduate.notebook.nbformat3` when laid out as usual; any other version
    goes through nbformat, which upgrades it to version 4.
    """
    import json

    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputFileError(
            path, f"invalid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except RecursionError:
        raise InputFileError(path, "invalid JSON: nested too deeply") from None
    if not isinstance(document, dict) or "nbformat" not in document:
        raise InputFileError(path, "not a Jupyter notebook: no 'nbformat' version field")
    if document.get("nbformat") != 4:
        document = _upgraded(path, text, document)
    try:
        raw_cells = document["cells"]
        if not isinstance(raw_cells, list):
            raise TypeError("'cells' is not a list")
        cells = [_cell_from_node(index, raw) for index, raw in enumerate(raw_cells)]
    except (KeyError, TypeError, AttributeError) as error:
        raise InputFileError(path, f"not a Jupyter notebook: {_short(error)}") from None
    metadata = document.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise InputFileError(path, "not a Jupyter notebook: 'metadata' is not an object")
    kernelspec = metadata.get("kernelspec") or {}
    language_info = metadata.get("language_info") or {}
    for key, value in (("kernelspec", kernelspec), ("language_info", language_info)):
        if not isinstance(value, dict):
            raise InputFileError(path, f"not a Jupyter notebook: metadata.{key} is not an object")
    language = str(kernelspec.get("language") or language_info.get("name") or "python").lower()
    kernel_name = str(kernelspec.get("name") or "python3")
    _refuse_lone_surrogates(path, cells)
    return Notebook(
        path=path,
        kind="ipynb",
        cells=cells,
        raw_text=text,
        language=language,
        kernel_name=kernel_name,
    )


def _refuse_lone_surrogates(path: Path, cells: list[Cell]) -> None:
    """A ``\\ud800`` escape decodes to half a UTF-16 pair, which no UTF-8 output (JSON, SARIF,
    a terminal) can hold: the notebook is not valid Unicode, so it is refused by name."""
    for cell in cells:
        # ASCII holds no surrogate: nearly every cell is done with two tests in C.
        if cell.source.isascii() and (cell.cell_id is None or cell.cell_id.isascii()):
            continue
        for what, text in (("id", cell.cell_id or ""), ("source", cell.source)):
            if text.isascii():
                continue
            # A surrogate is the only character strict UTF-8 cannot encode, and the encoder
            # finds the first one several times faster than a regex's per-character class test.
            try:
                text.encode("utf-8")
            except UnicodeEncodeError as error:
                raise InputFileError(
                    path,
                    f"cell {cell.number} {what} holds a lone surrogate"
                    f" (\\u{ord(text[error.start]):04x}), which is not valid Unicode",
                ) from None


def _upgraded(path: Path, text: str, document: dict) -> dict:
    """A version 3 notebook laid out as usual is upgraded here; nbformat does the rest."""
    if document.get("nbformat") == 3:
        from nbgraduate.notebook.nbformat3 import upgraded_from_v3

        upgraded = upgraded_from_v3(document)
        if upgraded is not None:
            return upgraded
    return _upgraded_with_nbformat(path, text)


def _upgraded_with_nbformat(path: Path, text: str) -> dict:
    """Read an older (or newer) notebook version through nbformat and upgrade it to 4."""
    import nbformat

    try:
        node = nbformat.reader.reads(text)
        had_ids = node.get("nbformat", 4) >= 4  # read first: the upgrade changes it in place
        upgraded = nbformat.convert(node, 4)
    except Exception as error:  # nbformat raises several unrelated types for bad versions
        raise InputFileError(path, f"not a readable Jupyter notebook: {_short(error)}") from None
    if not had_ids:
        # The upgrade makes up a random id for every cell; a notebook that had none keeps none,
        # so two runs over the same file report the same findings.
        for cell in upgraded.get("cells", []):
            if isinstance(cell, dict):
                cell.pop("id", None)
    return upgraded


def _short(error: Exception) -> str:
    message = str(error).strip().splitlines()
    return message[0] if message else type(error).__name__


def _cell_from_node(index: int, raw: dict) -> Cell:
    # Runs for every cell of every notebook: each test is one operation where it can be, and
    # a field that is absent or empty (most metadata and outputs) is passed over after one.
    if not isinstance(raw, dict):
        raise TypeError(f"cell {index + 1} is not an object")
    get = raw.get
    cell_type = get("cell_type")
    if cell_type not in _CELL_TYPES:
        raise TypeError(f"cell {index + 1} has no valid cell_type")
    source = get("source", "")
    if isinstance(source, list):
        try:
            source = "".join(source)  # refuses any item that is not a string, in C
        except TypeError:
            raise TypeError(f"cell {index + 1} source holds an item that is not a string") from None
    elif not isinstance(source, str):
        raise TypeError(f"cell {index + 1} source is not a string")
    # A lone carriage return ends a line for Python (and old Mac editors) but not for
    # str.split("\n"): rows and program lines would disagree. Jupyter shows it as a newline.
    if "\r" in source:
        source = _LONE_CR.sub("\n", source)
    metadata = get("metadata")
    tags = None
    if metadata:  # an empty or absent one is no metadata
        if not isinstance(metadata, dict):
            raise TypeError(f"cell {index + 1} metadata is not an object")
        tags = metadata.get("tags")
    outputs = get("outputs")
    if outputs:
        if not isinstance(outputs, list) or not all(map(isinstance, outputs, repeat(dict))):
            raise TypeError(f"cell {index + 1} has outputs that are not objects")
        for number, output in enumerate(outputs, start=1):
            _check_output(index, number, output)
    else:
        outputs = []  # an empty or absent one is no outputs
    execution_count = get("execution_count")
    cell_id = get("id")
    if cell_id is not None and not isinstance(cell_id, str):
        raise TypeError(f"cell {index + 1} id is not a string")
    # Arguments by position: a class called with keywords gets them as a dict, one per cell.
    return Cell(
        index,
        cell_type,
        source,
        cell_id,
        tuple(str(tag) for tag in tags) if tags and isinstance(tags, (list, tuple)) else (),
        execution_count if isinstance(execution_count, int) else None,
        outputs,  # the document's own list (tested above), which nothing else reads
    )


#: A tuple, not a set: a ``cell_type`` that is a list or an object must not be hashed.
_CELL_TYPES = ("code", "markdown", "raw")
_LONE_CR = regex_cache.compile(r"\r(?!\n)")


def _check_output(index: int, number: int, output: dict) -> None:
    """Text fields of an output are strings or lists of strings, as nbformat requires.

    The reason is worded only when a field is wrong: a notebook has thousands of outputs.
    """
    for key in ("text", "evalue", "ename", "traceback"):
        if key in output and not _is_text(output[key]):
            raise TypeError(_not_text(index, number, repr(key)))
    data = output.get("data")
    if data is not None:
        if not isinstance(data, dict):
            raise TypeError(f"cell {index + 1} output {number} 'data' is not an object")
        for mime, value in data.items():
            if isinstance(value, list) and not _is_text(value):
                raise TypeError(_not_text(index, number, repr(mime)))


def _not_text(index: int, number: int, field: str) -> str:
    return f"cell {index + 1} output {number} {field} is not text (a string or a list of strings)"


def _is_text(value: object) -> bool:
    if isinstance(value, str):
        return True
    if not isinstance(value, list):
        return False
    # The items tested in C, as a saved output has thousands of lines: ``str.join`` refuses any
    # item that is not a string, and its copy costs half of a set of the items' types.
    try:
        "".join(value)
    except TypeError:
        return False
    return True


def _from_python_source(path: Path, text: str) -> Notebook:
    if "\r" in text:
        text = _LONE_CR.sub("\n", text)  # a line break for Python, so one for us too
    lines = text.split("\n")
    if not any(_PERCENT_MARKER.match(line) for line in lines):
        cell = Cell(index=0, cell_type="code", source=text, first_file_line=1)
        return Notebook(path=path, kind="script", cells=[cell], raw_text=text)
    # Split into (marker text or None for the preamble, first body line, body lines).
    segments: list[tuple[str | None, int, list[str]]] = [(None, 1, [])]
    for number, line in enumerate(lines, start=1):
        marker = _PERCENT_MARKER.match(line)
        if marker is None:
            segments[-1][2].append(line)
        else:
            segments.append((marker.group("rest"), number + 1, []))
    preamble = segments[0][2]
    # Comments alone before the first marker are jupytext's header, not a cell.
    if all(not line.strip() or line.lstrip().startswith("#") for line in preamble):
        segments = segments[1:]
    cells: list[Cell] = []
    for marker_text, first_line, body in segments:
        cell_type, tags = _percent_cell_kind(marker_text or "")
        cells.append(
            Cell(
                index=len(cells),
                cell_type=cell_type,
                source="\n".join(body),
                tags=tags,
                first_file_line=first_line,
            )
        )
    return Notebook(path=path, kind="percent", cells=cells, raw_text=text)


def _percent_cell_kind(marker_text: str) -> tuple[str, tuple[str, ...]]:
    """Cell type and tags from the text after ``# %%`` (``[markdown]``, ``tags=[...]``)."""
    type_match = _PERCENT_TYPE.search(marker_text)
    cell_type = "code"
    if type_match:
        cell_type = "raw" if type_match.group("type") == "raw" else "markdown"
    tags_match = _PERCENT_TAGS.search(marker_text)
    tags: tuple[str, ...] = ()
    if tags_match:
        tags = tuple(
            tag.strip().strip("\"'") for tag in tags_match.group("tags").split(",") if tag.strip()
        )
    return cell_type, tags


def build_program(notebook: Notebook) -> None:
    """Translate and join the Python code cells into one program with a line map.

    The whole program is parsed once; only when that fails are cells parsed one by one to find
    the culprits, which are then left out (and reported) so the rest is still analysed.
    """
    if notebook.language not in _PYTHON_LANGUAGES:
        return
    python_sources: list[str] = []
    origins: list[LineOrigin] = []
    cell_spans: list[tuple[int, int, int]] = []
    rows = 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        cell_rows = untranslated_rows(cell.source)
        if cell_rows is not None:
            # Most cells are their own Python: they are neither translated nor split in lines.
            python_sources.append(cell.source)
            origins.extend(LineOrigin.unshifted(cell.index, cell_rows))
        else:
            translated = translate_cell(cell.index, cell.source)
            cell.cell_magic = translated.cell_magic
            notebook.shell_commands.extend(translated.commands)
            if not translated.is_python:
                continue
            python_sources.append("\n".join(translated.python_lines))
            cell_rows = len(translated.python_lines)
            origins.extend(LineOrigin.for_cell(cell.index, translated.column_shifts))
        cell_spans.append((cell.index, rows, rows + cell_rows))
        rows += cell_rows

    # The cells' own warnings (``"\d"``, an invalid escape: a DeprecationWarning up to Python
    # 3.11, a SyntaxWarning printed by default from 3.12) are the notebook's, not lint's: they
    # must neither clutter lint's output nor, under ``-W error``, turn a cell into a syntax error.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        module, source = _parse_program(notebook, "\n".join(python_sources), origins, cell_spans)
    notebook.program_source = source
    notebook.program = module
    notebook.line_origins = origins


#: Broken cells blamed one at a time from the whole program's error before every cell is
#: parsed on its own (a notebook with many broken cells).
_BLAME_ATTEMPTS = 3


def _parse_program(
    notebook: Notebook,
    source: str,
    origins: list[LineOrigin],
    cell_spans: list[tuple[int, int, int]],
) -> tuple[ast.Module, str]:
    """The program's module and source, without the cells that do not parse on their own.

    One parse when every cell parses. Otherwise the cell the error points into is parsed on
    its own; when it fails there too it is left out (and reported) and the whole program is
    parsed again: one extra parse per broken cell rather than one per cell and a third whole
    parse. An error no single cell explains falls back to parsing every cell on its own.
    """
    try:
        return compile(source, _VIRTUAL_FILENAME, "exec", _PARSE_FLAGS), source
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        # CPython's parser gives up on ~3,000-term sums, 30,000 ``not`` or 5,000 nested
        # lambdas (RecursionError, MemoryError): the culprit cell is found below and named.
        failure: Exception = error
    program_lines = source.split("\n")
    starts = [start for _, start, _ in cell_spans]
    blamed: set[int] = set()
    for _ in range(_BLAME_ATTEMPTS):
        line = getattr(failure, "lineno", None)
        if not isinstance(line, int) or not 0 < line <= len(program_lines):
            break
        cell_index, start, end = cell_spans[bisect.bisect_right(starts, line - 1) - 1]
        cell_error = _cell_error(notebook, cell_index, program_lines[start:end])
        if cell_error is None:
            break  # that cell parses alone: the error spans cells
        if not _rewrote_modern_fstrings(program_lines, start, end):
            _leave_out(notebook, cell_index, cell_error, program_lines, origins, start, end)
        blamed.add(cell_index)
        source = "\n".join(program_lines)
        try:
            return compile(source, _VIRTUAL_FILENAME, "exec", _PARSE_FLAGS), source
        except (SyntaxError, ValueError) as error:
            failure = error
    for cell_index, start, end in cell_spans:
        if cell_index in blamed:
            continue
        cell_error = _cell_error(notebook, cell_index, program_lines[start:end])
        if cell_error is not None and not _rewrote_modern_fstrings(program_lines, start, end):
            _leave_out(notebook, cell_index, cell_error, program_lines, origins, start, end)
    notebook.syntax_errors.sort(key=lambda error: error.cell_index)
    source = "\n".join(program_lines)
    try:
        return compile(source, _VIRTUAL_FILENAME, "exec", _PARSE_FLAGS), source
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return ast.Module(body=[], type_ignores=[]), source


def _cell_error(notebook: Notebook, cell_index: int, lines: list[str]) -> Exception | None:
    """Why one cell does not parse on its own (``None`` when it does); a cell the parser
    cannot even attempt makes the notebook unreadable, said in one line naming the cell."""
    try:
        compile("\n".join(lines), _VIRTUAL_FILENAME, "exec", _PARSE_FLAGS)
    except (SyntaxError, ValueError) as error:
        return error
    except (RecursionError, MemoryError):
        raise InputFileError(
            notebook.path,
            f"cell {cell_index + 1}: an expression too long or nested too deeply to parse",
        ) from None
    return None


def _rewrote_modern_fstrings(program_lines: list[str], start: int, end: int) -> bool:
    """Whether the cell parses once its Python 3.12 f-strings are rewritten for this Python
    (:mod:`~nbgraduate.notebook.modern_fstrings`); the rewrite then replaces its lines."""
    rewritten = modern_fstrings.parsable_rewrite(
        "\n".join(program_lines[start:end]),
        modern_fstrings.parses_with_flags(_PARSE_FLAGS, _VIRTUAL_FILENAME),
    )
    if rewritten is None:
        return False
    program_lines[start:end] = rewritten.split("\n")
    return True


def _leave_out(
    notebook: Notebook,
    cell_index: int,
    error: Exception,
    program_lines: list[str],
    origins: list[LineOrigin],
    start: int,
    end: int,
) -> None:
    notebook.syntax_errors.append(_cell_syntax_error(cell_index, error, origins[start:end]))
    program_lines[start:end] = [""] * (end - start)


def _cell_syntax_error(
    cell_index: int, error: Exception, origins: list[LineOrigin]
) -> CellSyntaxError:
    row, column = 1, 1
    message = str(error)
    if isinstance(error, SyntaxError):
        message = error.msg
        if error.lineno and 0 < error.lineno <= len(origins):
            origin = origins[error.lineno - 1]
            row = origin.row
            column = (error.offset or 1) + origin.column_shift
    return CellSyntaxError(cell_index, row, max(column, 1), message)
