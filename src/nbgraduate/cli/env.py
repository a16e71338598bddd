"""``nbgraduate env``: build the virtual environment a pipeline's lock describes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nbgraduate.cli.exits import error_boundary

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``env`` to the ``nbgraduate`` command line."""
    app.command("env")(error_boundary(env))


def env(
    pipeline: Annotated[Path, typer.Argument(help="A graduated pipeline directory.")],
    index_url: Annotated[
        str | None,
        typer.Option(help="Package index to install from (default: pip's configuration)."),
    ] = None,
    nbgraduate_spec: Annotated[
        str | None,
        typer.Option(
            "--nbgraduate",
            help="What to install as nbgraduate in the environment (default: this version).",
        ),
    ] = None,
    store: Annotated[
        Path | None, typer.Option(help="Run store directory (default: <project>/.nbgraduate).")
    ] = None,
) -> None:
    """Create a virtual environment from the pipeline's hashed lock (uv if on PATH, else pip),
    add ipykernel and nbgraduate, and register a kernel; `nbgraduate run --env` uses it.

    Exit codes: 0 built, 2 usage or input error, 3 the environment could not be built.
    """
    from nbgraduate import __version__
    from nbgraduate.core.errors import InputFileError
    from nbgraduate.lock.lockfile import LOCK_FILENAME
    from nbgraduate.runs.environment import (
        create_environment,
        environment_dir,
        kernel_name_for,
    )
    from nbgraduate.runs.run import pipeline_name_in_store
    from nbgraduate.runs.store import default_store_root

    pipeline_dir = pipeline.resolve()
    if not (pipeline_dir / LOCK_FILENAME).is_file():
        raise InputFileError(pipeline, f"not a graduated pipeline (no {LOCK_FILENAME})")
    store_root = (store or default_store_root(pipeline_dir)).resolve()
    name = pipeline_name_in_store(pipeline_dir, store_root)
    target = environment_dir(store_root, name)
    typer.echo(f"building {target} for {pipeline} ...")
    built = create_environment(
        pipeline_dir,
        target,
        kernel_name=kernel_name_for(name),
        nbgraduate_requirement=nbgraduate_spec or f"nbgraduate=={__version__}",
        index_url=index_url,
    )
    typer.echo(
        f"environment {built.path} ({built.installer}, from {built.requirements}); "
        f"kernel {built.kernel_name}\nrun in it with: nbgraduate run {pipeline} --env"
    )
