"""Why a run cannot be reproduced (exit 4), and infrastructure that failed on the way (exit 3)."""

from __future__ import annotations

from nbgraduate.core.errors import NbgraduateError, one_line

__all__ = ["EXIT_CANNOT_REPRODUCE", "CannotReproduce", "ReproduceInfrastructureError"]

#: ``reproduce`` refused: the run's inputs cannot be had back as they were.
EXIT_CANNOT_REPRODUCE = 4


class CannotReproduce(NbgraduateError):
    """The run cannot be reproduced as recorded; the message is the one-line reason.

    Refusing is the honest answer when a byte-identical input cannot be had: a re-run on other
    data would produce a number that only looks like a reproduction.
    """

    exit_code = EXIT_CANNOT_REPRODUCE

    def __init__(self, message: str) -> None:
        self.message = one_line(message)
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class ReproduceInfrastructureError(NbgraduateError):
    """git or the file system failed while preparing the reproduction (retrying may help)."""

    exit_code = 3

    def __init__(self, message: str) -> None:
        self.message = one_line(message)
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message
