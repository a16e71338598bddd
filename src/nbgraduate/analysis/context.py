"""One notebook analysed once: its facts, the value resolver, model references, dataset reads.

Lint rules, the converter, the lock builder and the guard all read the same analysis, so
what the converter lifts into parameters is exactly what the linter flags."""

from __future__ import annotations

import ast
from functools import cached_property

from nbgraduate.analysis.facts import CallSite, ProgramFacts, collect_facts
from nbgraduate.analysis.values import ValueResolver
from nbgraduate.core.positions import Position

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from nbgraduate.analysis.dataset_reads import DatasetRead
    from nbgraduate.analysis.digest_checks import DigestCheck
    from nbgraduate.analysis.llm_calls import LlmCalls
    from nbgraduate.analysis.model_refs import ModelReference, ShellModelReference
    from nbgraduate.analysis.shell_downloads import ShellEffects
    from nbgraduate.knowledge.model_policy import ModelPolicy
    from nbgraduate.notebook.model import Notebook


class NotebookAnalysis:
    """Shared, lazily computed analysis of one notebook; its readers never change it.

    ``locked_datasets`` holds dataset paths (relative to the notebook's directory) that a
    graduated pipeline's lock records: such reads are versioned by the lock.

    A plain class, not a dataclass: ``nbgraduate lint`` loads it on every run, and creating a
    dataclass costs start-up an ``exec`` of generated code (see :mod:`nbgraduate.core.records`).
    """

    def __init__(
        self,
        notebook: Notebook,
        model_policy: ModelPolicy,
        locked_datasets: frozenset[str] = frozenset(),
    ) -> None:
        self.notebook = notebook
        self.model_policy = model_policy
        self.locked_datasets = locked_datasets
        #: The program's lines, to turn a UTF-8 byte column into a character column; ``None``
        #: until a position is asked for, empty when the program is ASCII (most are), where the
        #: two columns are the same and no line need be looked at.
        self._program_lines: list[str] | None = None

    @cached_property
    def facts(self) -> ProgramFacts:
        return collect_facts(self.notebook.program)

    @cached_property
    def values(self) -> ValueResolver:
        return ValueResolver(self.facts)

    @cached_property
    def model_references(self) -> list[ModelReference]:
        from nbgraduate.analysis.model_refs import find_model_references

        return find_model_references(self.values)

    @cached_property
    def llm_calls(self) -> LlmCalls:
        from nbgraduate.analysis.llm_calls import LlmCalls

        return LlmCalls(self.facts, self.values)

    @cached_property
    def shell_model_references(self) -> list[ShellModelReference]:
        from nbgraduate.analysis.model_refs import shell_model_references

        return shell_model_references(self.notebook)

    @property
    def dataset_reads(self) -> list[DatasetRead]:
        """Datasets read or downloaded, in notebook order (not the notebook's own output)."""
        return self._dataset_reads[0]

    @property
    def own_output_reads(self) -> list[DatasetRead]:
        """Reads of files the notebook wrote itself before: not datasets, but where the data a
        download fetched is first used."""
        return self._dataset_reads[1]

    @property
    def dataset_folder_reads(self) -> list[DatasetRead]:
        """Folders whose files are read as data (a listing loop, a directory reader), apart
        from :attr:`dataset_reads` because a lock records files, not folders."""
        return self._dataset_reads[2]

    @cached_property
    def _dataset_reads(self) -> tuple[list[DatasetRead], list[DatasetRead], list[DatasetRead]]:
        from nbgraduate.analysis.dataset_reads import find_dataset_reads

        own_output: list[DatasetRead] = []
        folders: list[DatasetRead] = []
        reads = find_dataset_reads(self.values, self.shell_effects, own_output, folders)
        return reads, own_output, folders

    @cached_property
    def shell_effects(self) -> ShellEffects:
        """What ``!``/``%%bash`` commands download, write and digest-check."""
        from nbgraduate.analysis.shell_downloads import find_shell_effects

        return find_shell_effects(self.notebook, self.values)

    @cached_property
    def digest_checks(self) -> list[DigestCheck]:
        """Checks that stop the notebook unless a file's bytes hash to a recorded digest."""
        from nbgraduate.analysis.digest_checks import find_digest_checks

        return find_digest_checks(self.notebook.program, self.values)

    def calls_named(self, *qualified_names: str) -> list[CallSite]:
        wanted = set(qualified_names)
        return [call for call in self.facts.calls if call.qualified_name in wanted]

    # -- positions ---------------------------------------------------------------------------
    def position(self, node: ast.AST) -> Position:
        """Where an AST node starts, in cell coordinates."""
        return self._map(node.lineno, node.col_offset)  # type: ignore[attr-defined]

    def end_position(self, node: ast.AST) -> Position:
        """Where an AST node ends; clipped to its first line's cell row when it spans cells."""
        end_line = getattr(node, "end_lineno", None) or node.lineno  # type: ignore[attr-defined]
        end_column = getattr(node, "end_col_offset", None)
        if end_column is None:
            return self.position(node)
        return self._map(end_line, end_column)

    def _map(self, line: int, byte_column: int) -> Position:
        lines = self._program_lines
        if lines is None:
            source = self.notebook.program_source
            lines = self._program_lines = [] if source.isascii() else source.split("\n")
        column = byte_column
        if 0 < line <= len(lines):
            text = lines[line - 1]
            if not text.isascii():
                column = len(text.encode("utf-8")[:byte_column].decode("utf-8", errors="ignore"))
        cell_index, row, cell_column = self.notebook.origin(line, column)
        return Position(cell_index, row, cell_column)

    def cell_position(self, cell_index: int, row: int, column: int) -> Position:
        return Position(cell_index, row, column)
