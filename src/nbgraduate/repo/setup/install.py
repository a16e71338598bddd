"""What the CI workflow installs: nbgraduate from the hooks' repository and revision, or a
package-index release only when one is named (``init --index-version``).

A workflow that installs ``nbgraduate==<this version>`` from an index that has no such
release cannot run; one that installs another revision than the hooks would lint by other
rules in CI than on the developer's machine. So by default CI installs exactly what
pre-commit runs: ``git+<hook repository>@<hook rev>``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from nbgraduate.core import regex_cache
from nbgraduate.core.errors import UsageError

__all__ = ["CiInstall", "from_hooks", "from_index"]

#: A git revision: a tag, branch or commit; no spaces, no leading dash, no shell or YAML syntax.
_REV = regex_cache.compile(r"[A-Za-z0-9_][A-Za-z0-9_./+-]*")
#: ``git@host:owner/repo.git``, the scp-like form git (and pre-commit) accept.
_SCP = regex_cache.compile(r"(?P<user>[A-Za-z0-9_.-]+)@(?P<host>[A-Za-z0-9_.-]+):(?P<path>[^/].*)")
_URL_SCHEMES = ("https://", "http://", "ssh://", "git://", "file://")


@dataclass(frozen=True, slots=True)
class CiInstall:
    """``requirement`` is the argument of ``pip install``; ``description`` is what ``init``
    prints; ``warning`` says why CI may not reach it (a local path)."""

    requirement: str
    description: str
    warning: str | None = None


def from_hooks(repository: str, rev: str, *, origin: str | None = None) -> CiInstall:
    """``git+<repository>@<rev>``: the source pre-commit installs the hooks from.

    ``origin`` names where the values came from in errors (default: the ``init`` options)."""
    repository_option = f"{origin}: repo" if origin else "--hook-repo"
    rev_option = f"{origin}: rev" if origin else "--hook-rev"
    _check_plain(repository, repository_option)
    if not _REV.fullmatch(rev):
        raise UsageError(f"{rev_option} {rev!r} is not a git tag, branch or commit")
    warning = None
    if repository.startswith(_URL_SCHEMES):
        url = repository
    elif (scp := _SCP.fullmatch(repository)) is not None:
        url = f"ssh://{scp['user']}@{scp['host']}/{scp['path']}"
    else:
        url = Path(os.path.abspath(repository)).as_uri()
        warning = (
            f"CI installs nbgraduate from the local path {repository} ({url}), which a hosted"
            " runner cannot reach; give --hook-repo a URL, or name a release with --index-version"
        )
    if url.startswith("file://") and warning is None:
        warning = (
            f"CI installs nbgraduate from {url}, which a hosted runner cannot reach; give"
            " --hook-repo a URL, or name a release with --index-version"
        )
    return CiInstall(
        # The bare VCS form, not ``nbgraduate @ git+...``: pip releases before 24 reject a
        # PEP 508 direct reference to a ``file://`` repository, and pip reads the name anyway.
        requirement=f"git+{url}@{rev}",
        description=f"nbgraduate from {repository} at {rev}, the pre-commit hooks' source",
        warning=warning,
    )


def from_index(version: str) -> CiInstall:
    """``nbgraduate==<version>`` from the package index pip is configured with."""
    from packaging.version import InvalidVersion, Version

    try:
        Version(version)
    except InvalidVersion:
        raise UsageError(f"--index-version {version!r} is not a PEP 440 version") from None
    return CiInstall(
        requirement=f"nbgraduate=={version}",
        description=f"nbgraduate=={version} from the package index (--index-version)",
    )


def _check_plain(value: str, option: str) -> None:
    # The value lands in a workflow's `env:` (where GitHub evaluates `${{ }}`) and in a pip
    # requirement: nothing that either would read as syntax.
    if not value or any(c.isspace() for c in value) or any(s in value for s in ('"', "${{")):
        raise UsageError(f"{option} {value!r} must be a URL or path without spaces or quotes")
