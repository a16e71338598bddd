"""The gate's exceptions: bad input (exit 2) and a refused comparison of two eval contracts."""

from __future__ import annotations

from collections.abc import Sequence

from nbgraduate.core.errors import NbgraduateError, one_line

__all__ = ["ContractMismatchError", "GateInputError"]


class GateInputError(NbgraduateError):
    """The gate cannot compare these runs: a run cannot be found, ids do not pair, a bad option."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        self.message = one_line(message)
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class ContractMismatchError(GateInputError):
    """The two runs were made under different eval contracts; ``differences`` says what differs.

    ``str()`` gives one line per difference, so the CLI prints each on its own line.
    """

    def __init__(self, differences: Sequence[str]) -> None:
        self.differences = tuple(one_line(difference) for difference in differences)
        super().__init__("; ".join(self.differences))

    def __str__(self) -> str:
        return "\n".join(self.differences)
