"""Entry point for ``python -m nbgraduate``."""

from nbgraduate.cli import main

main()
