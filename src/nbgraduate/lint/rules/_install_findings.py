"""Install requirements found in a notebook's shell escapes, shared by NBG401 and NBG402."""

from __future__ import annotations

from collections.abc import Iterator

from nbgraduate.core.records import Record
from nbgraduate.knowledge.install_commands import InstallRequirement, parse_install_line
from nbgraduate.lint.findings import Position
from nbgraduate.notebook.model import Notebook, ShellCommand


class LocatedRequirement(Record):
    """A requirement with the cell row and column of its text."""

    _fields = ("requirement", "command", "row", "column")
    __slots__ = _fields

    def __init__(
        self, requirement: InstallRequirement, command: ShellCommand, row: int, column: int
    ) -> None:
        self.requirement = requirement
        self.command = command
        self.row = row
        self.column = column

    @property
    def start(self) -> Position:
        return Position(self.command.cell_index, self.row, self.column)

    @property
    def end(self) -> Position:
        return Position(self.command.cell_index, self.row, self.column + self.requirement.length)


def install_requirements(notebook: Notebook) -> Iterator[LocatedRequirement]:
    """Every requirement of every install command, located in its cell line."""
    for command in notebook.shell_commands:
        prefix = {"line-magic": "%", "shell": "!"}.get(command.origin, "")
        for requirement in parse_install_line(prefix + command.text):
            row, column = command.locate(requirement.column - len(prefix))
            yield LocatedRequirement(requirement, command, row, column)
