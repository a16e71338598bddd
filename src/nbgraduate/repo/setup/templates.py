"""The files under ``templates/`` that ``init`` starts from."""

from __future__ import annotations

from pathlib import Path

from nbgraduate.core.errors import NbgraduateError

__all__ = ["TemplateMissing", "read_template", "templates_dir"]

WORKFLOW = "nbgraduate.yml"
PRE_COMMIT_CONFIG = "pre-commit-config.yaml"
PYPROJECT = "pyproject-nbgraduate.toml"
CODEOWNERS = "CODEOWNERS"


class TemplateMissing(NbgraduateError):
    """The installation has no templates (a broken or partial install)."""


def templates_dir() -> Path:
    """``nbgraduate/templates`` in an installed wheel, ``templates/`` in a source checkout."""
    package = Path(__file__).resolve().parents[2]
    for candidate in (package / "templates", package.parent.parent / "templates"):
        if (candidate / WORKFLOW).is_file():
            return candidate
    raise TemplateMissing(f"nbgraduate's templates are missing (looked in {package}); reinstall")


def read_template(name: str) -> str:
    return (templates_dir() / name).read_text(encoding="utf-8")
