"""The ``--store`` option every command that reads or writes runs shares, and its resolution."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from nbgraduate.runs.layout import StoreLocation

__all__ = ["StoreOption", "store_location"]

StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        metavar="DIR|URL",
        help=(
            "Run store: a directory, or a postgresql:// URL (default: $NBGRADUATE_STORE, else"
            " [tool.nbgraduate] store, else <project>/.nbgraduate)."
        ),
    ),
]


def store_location(option: str | None, start: Path | None = None) -> StoreLocation:
    """The store ``--store`` (or the environment, or ``pyproject.toml``) names."""
    from nbgraduate.runs.settings import resolve_store

    return resolve_store(option, start if start is not None else Path.cwd())
