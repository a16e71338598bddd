"""A planned edit of one file: the text before and after, a summary, and warnings."""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from pathlib import Path

from nbgraduate.core.atomic import write_text_atomic

__all__ = ["FileChange"]


@dataclass(slots=True)
class FileChange:
    """What ``init`` does to one file.

    ``before`` is ``None`` when the file does not exist; ``after`` equal to ``before`` means
    the file is left alone (up to date, or kept because the user changed it: see
    ``warnings``).
    """

    path: Path
    before: str | None
    after: str | None
    summary: str
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.after is not None and self.after != self.before

    @property
    def action(self) -> str:
        if not self.changed:
            return "unchanged"
        return "created" if self.before is None else "updated"

    def shown_path(self, root: Path) -> str:
        try:
            return self.path.relative_to(root).as_posix()
        except ValueError:
            return str(self.path)

    def diff(self, root: Path) -> str:
        """A unified diff of the change (``/dev/null`` as the old side of a new file)."""
        if not self.changed or self.after is None:
            return ""
        shown = self.shown_path(root)
        old_name = "/dev/null" if self.before is None else f"a/{shown}"
        lines = difflib.unified_diff(
            (self.before or "").splitlines(keepends=True),
            self.after.splitlines(keepends=True),
            fromfile=old_name,
            tofile=f"b/{shown}",
        )
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)

    def write(self) -> None:
        """Write ``after`` atomically, creating parent directories; no-op when unchanged."""
        if not self.changed or self.after is None:
            return
        os.makedirs(self.path.parent, exist_ok=True)
        write_text_atomic(self.path, self.after)
