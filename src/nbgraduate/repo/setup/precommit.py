"""Add nbgraduate's hooks to ``.pre-commit-config.yaml`` with ruamel.yaml's round trip.

The user's comments, key order, quoting and indentation survive: the file is re-dumped only
with an indentation that reproduces it byte for byte before the edit. When no such
indentation exists, nothing is written and the user is told what to add.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from nbgraduate.core.errors import ConfigError
from nbgraduate.repo.hooks import HOOK_IDS
from nbgraduate.repo.setup.templates import PRE_COMMIT_CONFIG, read_template

__all__ = ["MergedPreCommit", "merge_precommit"]

#: ``(mapping, sequence, offset)`` indentations to try, after the one read off the file.
_COMMON_INDENTS = ((2, 4, 2), (2, 2, 0), (4, 4, 0), (4, 6, 4), (4, 4, 2))
#: pre-commit's built-in pseudo repositories: never nbgraduate's.
_SPECIAL_REPOS = ("local", "meta")
_ENTRY_COMMENT = (
    "nbgraduate: lint staged eval notebooks, verify the locks of the pipelines a commit\n"
    "touches, and keep ad-hoc notebooks out of the eval paths."
)


@dataclass(slots=True)
class MergedPreCommit:
    text: str | None  # None: leave the file as it is
    summary: str
    warnings: list[str] = field(default_factory=list)
    #: ``(repository, rev)`` the hooks come from once the config says what this merge wants.
    source: tuple[str, str] = ("", "")


def merge_precommit(
    existing: str | None,
    *,
    repository: str,
    rev: str,
    update_repository: bool = False,
    update_rev: bool = False,
    path: str = ".pre-commit-config.yaml",
) -> MergedPreCommit:
    """Make sure the config runs every hook in :data:`HOOK_IDS` from ``repository`` at ``rev``.

    An entry of ours already in the file (nbgraduate's repository, or any remote entry running
    one of our hooks) keeps its ``repo`` and ``rev`` unless ``update_repository`` /
    ``update_rev`` say the user named them (``init --hook-repo`` / ``--hook-rev``).
    """
    if existing is None:
        return MergedPreCommit(
            _render_template(repository, rev),
            f"hooks {', '.join(HOOK_IDS)} from {repository} {rev}",
            source=(repository, rev),
        )
    yaml, document = _load_round_trip(existing, path)
    editable = document is not None
    if not editable:
        document = _load_safe(existing, path)
    repos = document.get("repos")
    if not isinstance(repos, list):
        raise ConfigError(path, "`repos` must be a list of repositories")
    ours = _our_entry(repos, repository)
    present = {
        hook.get("id")
        for repo in repos
        if isinstance(repo, dict)
        for hook in (repo.get("hooks") or [])
        if isinstance(hook, dict)
    }
    missing = [hook_id for hook_id in HOOK_IDS if hook_id not in present]
    old_repository = str(ours.get("repo", "")) if ours is not None else repository
    old_rev = str(ours.get("rev", "")) if ours is not None else rev
    new_repository = repository if update_repository or ours is None else old_repository
    new_rev = rev if update_rev or ours is None else old_rev
    moves = []
    if ours is not None and not _same_repository(old_repository, new_repository):
        moves.append(f"repo {old_repository} -> {new_repository}")
    if ours is not None and old_rev != new_rev:
        moves.append(f"rev {old_rev} -> {new_rev}")
    source = (new_repository, new_rev)
    warnings: list[str] = []
    if ours is not None and not update_rev and old_rev != rev:
        warnings.append(
            f"{path}: keeps nbgraduate's hooks at rev {old_rev} (this nbgraduate is {rev};"
            f" `nbgraduate init --hook-rev {rev}` or `pre-commit autoupdate` moves them)"
        )
    if not missing and not moves:
        where = (
            f"from {old_repository} {old_rev}" if ours is not None else "(not from a repo entry)"
        )
        return MergedPreCommit(
            existing, f"already runs {', '.join(HOOK_IDS)} {where}", warnings, source
        )
    if not editable:
        return MergedPreCommit(
            None,
            "left as is",
            [
                *warnings,
                f"{path}: cannot change nbgraduate's hooks without reformatting the file;"
                f" make this entry under `repos:` yourself:\n{_snippet(*source)}",
            ],
            source,
        )
    done: list[str] = []
    if ours is not None:
        if moves:
            if not _same_repository(old_repository, new_repository):
                ours["repo"] = _yaml_string(new_repository, ours.get("repo"))
            if old_rev != new_rev:
                ours["rev"] = _yaml_string(new_rev, ours.get("rev"))
            done.append(f"moved nbgraduate's hooks: {', '.join(moves)}")
        if missing:
            from ruamel.yaml.comments import CommentedMap, CommentedSeq

            hooks = ours.get("hooks")
            if not isinstance(hooks, list):
                hooks = CommentedSeq()
                ours["hooks"] = hooks
            for hook_id in missing:
                hooks.append(CommentedMap([("id", hook_id)]))
            done.append(f"added hooks {', '.join(missing)} to the {ours.get('repo')} entry")
    else:
        repos.append(_entry(repository, rev, missing))
        repos.yaml_set_comment_before_after_key(
            len(repos) - 1, before=_ENTRY_COMMENT, indent=_dash_column(existing)
        )
        done.append(f"added hooks {', '.join(missing)} from {repository} {rev}")
    return MergedPreCommit(_dump(yaml, document), "; ".join(done), warnings, source)


def _our_entry(repos: list[Any], repository: str) -> Any:
    """The entry nbgraduate's hooks come from: the requested repository, nbgraduate's own, or
    a remote entry that runs one of our hooks (a fork, a mirror)."""
    from nbgraduate.repo.setup import HOOK_REPOSITORY

    entries = [repo for repo in repos if isinstance(repo, dict)]
    for wanted in (repository, HOOK_REPOSITORY):
        for entry in entries:
            if _same_repository(str(entry.get("repo", "")), wanted):
                return entry
    for entry in entries:
        hooks = entry.get("hooks") or []
        if str(entry.get("repo", "")) not in _SPECIAL_REPOS and any(
            isinstance(hook, dict) and hook.get("id") in HOOK_IDS for hook in hooks
        ):
            return entry
    return None


def _render_template(repository: str, rev: str) -> str:
    text = read_template(PRE_COMMIT_CONFIG)
    text = re.sub(r"(?m)^(\s*- repo: ).*$", lambda m: m.group(1) + _scalar(repository), text)
    return re.sub(r"(?m)^(\s*rev: ).*$", lambda m: m.group(1) + _scalar(rev), text, count=1)


def _snippet(repository: str, rev: str) -> str:
    lines = [f"  - repo: {_scalar(repository)}", f"    rev: {_scalar(rev)}", "    hooks:"]
    lines += [f"      - id: {hook_id}" for hook_id in HOOK_IDS]
    return "\n".join(lines)


def _scalar(value: str) -> str:
    """A YAML plain scalar when it reads back as this string, else a double-quoted one."""
    plain = re.fullmatch(r"[A-Za-z0-9_./@+~-][A-Za-z0-9_./@+~:-]*", value) and ": " not in value
    if plain and _reads_as_string(value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _reads_as_string(value: str) -> bool:
    """Whether ``value`` written plain reads back as this string (``1e5`` is a float)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        return YAML(typ="safe", pure=True).load(f"k: {value}\n") == {"k": value}
    except YAMLError:
        return False


def _yaml_string(value: str, old: object = None) -> Any:
    """``value`` for a round-trip document: quoted like ``old`` was, or when plain would not
    read back as a string."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

    if isinstance(old, (DoubleQuotedScalarString, SingleQuotedScalarString)):
        return type(old)(value)
    return value if _reads_as_string(value) else DoubleQuotedScalarString(value)


def _entry(repository: str, rev: str, hook_ids: Sequence[str]) -> Any:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    hooks = CommentedSeq(CommentedMap([("id", hook_id)]) for hook_id in hook_ids)
    return CommentedMap(
        [("repo", _yaml_string(repository)), ("rev", _yaml_string(rev)), ("hooks", hooks)]
    )


def _same_repository(written: str, wanted: str) -> bool:
    def normal(url: str) -> str:
        url = url.strip().rstrip("/")
        url = url.removesuffix(".git")
        if "://" in url:
            return url.lower()
        return os.path.normpath(url) if url else url

    return bool(written) and normal(written) == normal(wanted)


def _load_round_trip(text: str, path: str) -> tuple[Any, Any]:
    """A YAML instance that reproduces ``text`` exactly, and the document; ``(None, None)``
    when no indentation does."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    for mapping, sequence, offset in (*_read_indent(text), *_COMMON_INDENTS):
        yaml = YAML()
        yaml.preserve_quotes = True
        yaml.width = 4096
        yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
        try:
            document = yaml.load(text)
        except YAMLError as error:
            raise ConfigError(path, f"invalid YAML: {error}") from None
        if not isinstance(document, dict):
            raise ConfigError(path, "expected a mapping with `repos:`")
        if _dump(yaml, document) == text:
            return yaml, document
    return None, None


def _load_safe(text: str, path: str) -> Any:
    """The document of a file that cannot be edited in place (to find our entry in it)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        document = YAML(typ="safe", pure=True).load(text)
    except YAMLError as error:
        raise ConfigError(path, f"invalid YAML: {error}") from None
    if not isinstance(document, dict):
        raise ConfigError(path, "expected a mapping with `repos:`")
    return document


def _read_indent(text: str) -> list[tuple[int, int, int]]:
    """The indentation of the first ``- repo:`` item, as ruamel's ``(mapping, seq, offset)``."""
    match = re.search(r"(?m)^( *)-( +)repo:", text)
    if match is None:
        return []
    offset = len(match.group(1))
    sequence = offset + 1 + len(match.group(2))
    nested = re.search(r"(?m)^repos:\s*\n(?:\s*#.*\n)*( *)-", text)
    mapping = sequence - offset if nested is None else max(sequence - offset, 2)
    return [(mapping, sequence, offset), (sequence, sequence, offset), (2, sequence, offset)]


def _dash_column(text: str) -> int:
    match = re.search(r"(?m)^( *)- *repo:", text)
    return len(match.group(1)) if match else 0


def _dump(yaml: Any, document: Any) -> str:
    stream = io.StringIO()
    yaml.dump(document, stream)
    return stream.getvalue()
