"""Resolve the gate's RUN specs (run id, ``latest[@git-ref]``, record file) to run records."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from nbgraduate.gate.errors import GateInputError
from nbgraduate.runs.layout import StoreLocation
from nbgraduate.runs.records import RunRecord
from nbgraduate.runs.settings import resolve_store
from nbgraduate.runs.store import RunStore, load_record_file, open_store

__all__ = [
    "ResolvedRun",
    "RunSpec",
    "parse_run_spec",
    "resolve_git_ref",
    "resolve_run",
    "resolve_runs",
]

LATEST = "latest"
_GIT_TIMEOUT_S = 30


@dataclass(frozen=True)
class RunSpec:
    """One ``--baseline``/``--candidate`` value, classified.

    ``kind`` is ``"latest"`` (``git_ref`` set for ``latest@<ref>``), ``"file"`` or ``"id"``.
    """

    text: str
    kind: str
    git_ref: str | None = None


@dataclass(frozen=True)
class ResolvedRun:
    """A record and how the user named it (shown in the report so a reader can find it again)."""

    record: RunRecord
    spec: str
    source: str


def parse_run_spec(text: str) -> RunSpec:
    """Classify ``text``: ``latest[@ref]`` first, then an existing file, then a path-like
    name (``.json`` or a path separator: a missing file is reported as such), else a run id.

    A file literally named ``latest`` is reached as ``./latest``.
    """
    spec = text.strip()
    if spec == LATEST:
        return RunSpec(spec, "latest")
    if spec.startswith(LATEST + "@"):
        ref = spec[len(LATEST) + 1 :]
        if not ref:
            raise GateInputError(f"{spec!r}: name a git ref after '@' (e.g. latest@main)")
        return RunSpec(spec, "latest", ref)
    path = Path(spec)
    if path.is_file() or spec.endswith(".json") or os.sep in spec or "/" in spec:
        return RunSpec(spec, "file")
    return RunSpec(spec, "id")


def resolve_runs(
    baseline: str,
    candidate: str,
    *,
    store: StoreLocation | str | Path | None = None,
    pipeline: str | None = None,
    repo_dir: Path | None = None,
) -> tuple[ResolvedRun, ResolvedRun]:
    """The baseline and candidate records, in that order.

    ``latest`` takes the pipeline from ``pipeline`` (``--pipeline``), else from the other run
    when that one is named concretely (the candidate's, usually); two ``latest`` specs need
    ``pipeline``. The store is opened only when a spec needs it, so two record files gate
    without any store.
    """
    specs = (parse_run_spec(baseline), parse_run_spec(candidate))
    location = store if isinstance(store, StoreLocation) else None
    repo = repo_dir if repo_dir is not None else Path.cwd()
    opened: RunStore | None = None

    def the_store() -> RunStore:
        nonlocal opened, location
        if opened is None:
            if location is None:
                location = resolve_store(store, Path.cwd())
            opened = open_store(location, create=False)
        return opened

    try:
        concrete: dict[int, ResolvedRun] = {}
        for position, spec in enumerate(specs):
            if spec.kind == "file":
                concrete[position] = ResolvedRun(
                    load_record_file(spec.text), spec.text, f"record file {spec.text}"
                )
            elif spec.kind == "id":
                run_store = the_store()
                concrete[position] = ResolvedRun(
                    run_store.get(spec.text), spec.text, f"run store {run_store.display}"
                )
        resolved: list[ResolvedRun] = []
        for position, spec in enumerate(specs):
            if position in concrete:
                resolved.append(concrete[position])
                continue
            other = concrete.get(1 - position)
            name = pipeline or (other.record.pipeline if other is not None else None)
            if name is None:
                raise GateInputError(
                    "--baseline and --candidate are both 'latest': name the pipeline with"
                    " --pipeline NAME"
                )
            resolved.append(_latest(the_store(), spec, name, repo))
    finally:
        if opened is not None:
            opened.close()
    baseline_run, candidate_run = resolved
    if baseline_run.record.run_id == candidate_run.record.run_id:
        raise GateInputError(
            f"--baseline ({baseline}) and --candidate ({candidate}) are the same run"
            f" {baseline_run.record.run_id}: a run cannot gate itself"
        )
    return baseline_run, candidate_run


def resolve_run(
    text: str,
    *,
    store: StoreLocation | str | Path | None = None,
    pipeline: str | None = None,
    repo_dir: Path | None = None,
    files: bool = False,
    exclude_reproductions: bool = False,
) -> ResolvedRun:
    """One RUN spec as ``runs show``, ``runs export`` and ``reproduce`` take it: a run id (or
    unique prefix), ``latest`` or ``latest@<git-ref>`` (the newest eval run of ``pipeline``, or
    of any pipeline when none is named), and with ``files`` a record file.
    ``exclude_reproductions`` skips runs made by ``nbgraduate reproduce`` when looking for the
    latest."""
    spec = parse_run_spec(text)
    if spec.kind == "file" and not files:
        spec = RunSpec(spec.text, "id")
    if spec.kind == "file":
        return ResolvedRun(load_record_file(spec.text), spec.text, f"record file {spec.text}")
    location = store if isinstance(store, StoreLocation) else resolve_store(store, Path.cwd())
    with open_store(location, create=False) as run_store:
        if spec.kind == "id":
            return ResolvedRun(
                run_store.get(spec.text), spec.text, f"run store {run_store.display}"
            )
        repo = repo_dir if repo_dir is not None else Path.cwd()
        if exclude_reproductions:
            return _latest_original(run_store, spec, pipeline, repo)
        if pipeline is not None:
            return _latest(run_store, spec, pipeline, repo)
        return _latest_of_any(run_store, spec, repo)


def _latest_original(
    store: RunStore, spec: RunSpec, pipeline: str | None, repo: Path
) -> ResolvedRun:
    """The newest eval run (of ``pipeline``, at the ref's commit) that is not a reproduction."""
    commit = resolve_git_ref(spec.git_ref, repo) if spec.git_ref is not None else None
    for record in store.list(pipeline=pipeline, kind="eval"):
        if record.reproduction is None and (commit is None or record.git_commit == commit):
            where = f"latest run of {pipeline}" if pipeline else "latest run"
            at = f" at {spec.git_ref}" if spec.git_ref else ""
            return ResolvedRun(record, spec.text, f"{where}{at}")
    what = f"pipeline {pipeline!r}" if pipeline else "any pipeline"
    at = f" at commit {commit[:12]} ({spec.git_ref})" if commit else ""
    raise GateInputError(f"{spec.text}: no run of {what}{at} in {store.display}")


def _latest_of_any(store: RunStore, spec: RunSpec, repo: Path) -> ResolvedRun:
    commit = resolve_git_ref(spec.git_ref, repo) if spec.git_ref is not None else None
    if commit is None:
        newest = store.list(kind="eval", limit=1)
        if not newest:
            raise GateInputError(f"{spec.text}: no eval run in {store.display}")
        return ResolvedRun(newest[0], spec.text, "latest run")
    record = next((r for r in store.list(kind="eval") if r.git_commit == commit), None)
    if record is None:
        raise GateInputError(
            f"{spec.text}: no run at commit {commit[:12]} ({spec.git_ref}) in {store.display}"
        )
    return ResolvedRun(record, spec.text, f"latest run at {spec.git_ref}")


def _latest(store: RunStore, spec: RunSpec, pipeline: str, repo: Path) -> ResolvedRun:
    if spec.git_ref is None:
        record = store.latest(pipeline)
        if record is None:
            raise GateInputError(f"{spec.text}: no run of pipeline {pipeline!r} in {store.display}")
        return ResolvedRun(record, spec.text, f"latest run of {pipeline}")
    commit = resolve_git_ref(spec.git_ref, repo)
    record = store.latest(pipeline, git_ref_commit=commit)
    if record is None:
        raise GateInputError(
            f"{spec.text}: no run of pipeline {pipeline!r} at commit {commit[:12]}"
            f" ({spec.git_ref}) in {store.display}"
        )
    return ResolvedRun(record, spec.text, f"latest run of {pipeline} at {spec.git_ref}")


def resolve_git_ref(ref: str, repo: Path) -> str:
    """The full commit ``ref`` names in the git repository at ``repo`` (``git rev-parse``)."""
    if ref.startswith("-"):
        # It would be read as an option by git, not as a ref.
        raise GateInputError(f"latest@{ref}: not a git ref")
    try:
        completed = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT_S,
        )
    except FileNotFoundError:
        raise GateInputError(f"latest@{ref}: git is not installed") from None
    except (OSError, subprocess.SubprocessError) as error:
        raise GateInputError(f"latest@{ref}: cannot run git: {error}") from None
    commit = completed.stdout.strip()
    if completed.returncode == 0 and commit:
        return commit
    reason = completed.stderr.strip()
    if "not a git repository" in reason:
        raise GateInputError(f"latest@{ref}: {repo} is not in a git repository")
    raise GateInputError(f"latest@{ref}: unknown git ref {ref!r} in {repo}")
