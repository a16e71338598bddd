"""The CODEOWNERS lines ``init --owner`` adds: one per eval path that has no owner yet."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nbgraduate.core import regex_cache
from nbgraduate.core.errors import UsageError
from nbgraduate.knowledge.codeowners import find_codeowners, parse_codeowners
from nbgraduate.repo.setup.templates import CODEOWNERS, read_template

__all__ = ["DEFAULT_CODEOWNERS", "PlannedCodeowners", "plan_codeowners", "validate_owner"]

#: Where ``init`` creates CODEOWNERS when the repository has none (GitHub reads it first).
DEFAULT_CODEOWNERS = ".github/CODEOWNERS"
_OWNER = regex_cache.compile(
    r"^(@[A-Za-z0-9][A-Za-z0-9-]*(/[A-Za-z0-9._-]+)?|[^@\s]+@[^@\s]+\.[^@\s]+)$"
)
#: A notebook that does not exist: the owner of a new notebook in the eval path.
_PROBE = "new_eval.ipynb"


@dataclass(slots=True)
class PlannedCodeowners:
    path: Path
    before: str | None
    after: str | None
    summary: str
    warnings: list[str] = field(default_factory=list)


def validate_owner(owner: str) -> str:
    """``@org/team``, ``@user`` or an e-mail address, as CODEOWNERS accepts them."""
    if not _OWNER.match(owner.strip()):
        raise UsageError(f"--owner {owner!r} must be @org/team, @user or an e-mail address")
    return owner.strip()


def plan_codeowners(repository: Path, eval_paths: Sequence[str], owner: str) -> PlannedCodeowners:
    """Lines ``/<eval path>/ <owner>`` for each eval path (relative to the repository root)
    where a new notebook would have no owner. A path another line explicitly leaves
    unowned is not overridden: that is the user's decision, reported as a warning."""
    existing_path = find_codeowners(repository)
    path = existing_path or repository / DEFAULT_CODEOWNERS
    before = path.read_text(encoding="utf-8") if existing_path is not None else None
    codeowners = parse_codeowners(before or "", path)
    lines: list[str] = []
    warnings: list[str] = []
    owned: list[str] = []
    for eval_path in eval_paths:
        rule = codeowners.rule_for(f"{eval_path}/{_PROBE}")
        if rule is not None and rule.owners:
            owned.append(f"{eval_path}/")
        elif rule is not None:
            warnings.append(
                f"{_shown(repository, path)} line {rule.line} (`{rule.pattern}`) leaves"
                f" {eval_path}/ without an owner on purpose; not overriding it"
            )
        else:
            lines.append(f"/{eval_path}/ {owner}")
    if not lines:
        summary = f"{', '.join(owned)} already owned" if owned else "nothing to add"
        return PlannedCodeowners(path, before, before, summary, warnings)
    header = read_template(CODEOWNERS)
    if before is None:
        after = header + "\n".join(lines) + "\n"
    else:
        text = before if before.endswith("\n") or not before else before + "\n"
        prefix = "" if header.strip() in text else "\n" + header
        after = text + prefix + "\n".join(lines) + "\n"
    summary = "added " + ", ".join(f"`{line}`" for line in lines)
    return PlannedCodeowners(path, before, after, summary, warnings)


def _shown(repository: Path, path: Path) -> str:
    try:
        return path.relative_to(repository).as_posix()
    except ValueError:
        return str(path)
