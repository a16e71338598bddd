"""Compute a pipeline's lock from its directory: what ``lock`` writes and ``verify`` compares."""

from __future__ import annotations

import ast
import platform
from dataclasses import dataclass, field
from pathlib import Path

from nbgraduate import __version__
from nbgraduate.analysis.context import NotebookAnalysis
from nbgraduate.analysis.dataset_reads import DatasetRead, normalise_path, remote_pin_problem
from nbgraduate.analysis.llm_calls import llm_call_kind
from nbgraduate.analysis.model_refs import is_commit_sha
from nbgraduate.core.errors import ConfigError, InputFileError
from nbgraduate.knowledge import secrets
from nbgraduate.knowledge.model_policy import ModelPolicyConfig, policy_for
from nbgraduate.lock.digests import dataset_facts, file_sha256, notebook_digest, scoring_digest
from nbgraduate.lock.layout import (
    calibration_files,
    inside_project,
    locked_notebook_name,
    project_root,
)
from nbgraduate.lock.lockfile import (
    LOCK_FILENAME,
    LOCK_SCHEMA_VERSION,
    LockedDataset,
    LockedModel,
    LockedParameter,
    LockedPrompt,
    LockedRequirement,
    PipelineLock,
    SamplingParameters,
)
from nbgraduate.lock.requirements import REQUIREMENTS_FILENAME, read_requirements
from nbgraduate.notebook.model import Notebook
from nbgraduate.notebook.parameters import (
    PARAMETERS_TAG,
    SHARD_PARAMETERS,
    Parameter,
    parse_parameters_cell,
)
from nbgraduate.notebook.reader import read_notebook

PROMPTS_DIRNAME = "prompts"
SAMPLING_NAMES = {
    "temperature": ("temperature", "judge_temperature", "TEMPERATURE", "JUDGE_TEMPERATURE"),
    "top_p": ("top_p", "TOP_P"),
    "max_tokens": ("max_tokens", "MAX_TOKENS"),
    "seed": ("seed", "SEED", "random_seed", "RANDOM_SEED"),
}


@dataclass(slots=True)
class LockComputation:
    """A freshly computed lock and what kept it from being complete."""

    lock: PipelineLock
    notebook: Notebook
    parameters: list[Parameter]
    problems: list[str] = field(default_factory=list)
    #: Each remote dataset's pin (a commit, revision or version id, or the URL that embeds
    #: one), ``None`` when nothing pins it. Not part of the lock file: runs record it.
    remote_pins: dict[str, str | None] = field(default_factory=dict)

    @property
    def floating_models(self) -> list[LockedModel]:
        return [model for model in self.lock.models if not model.pinned]


def find_pipeline_notebook(pipeline_dir: Path) -> Path:
    """The pipeline's notebook: the one the lock names, else the only ``.ipynb`` there.

    Only a plain file name in the directory counts, and only when it (symlinks followed) stays
    inside the repository: a lock never leads a command to read or run another file.
    """
    if not pipeline_dir.is_dir():
        raise InputFileError(pipeline_dir, "not a pipeline directory")
    root = project_root(pipeline_dir)
    named = locked_notebook_name(pipeline_dir) if (pipeline_dir / LOCK_FILENAME).is_file() else None
    if named is not None and (pipeline_dir / named).is_file():
        if not inside_project(pipeline_dir / named, root):
            raise InputFileError(pipeline_dir / named, f"leads outside the repository {root}")
        return pipeline_dir / named
    notebooks = sorted(
        p
        for p in pipeline_dir.glob("*.ipynb")
        if not p.name.startswith(".") and inside_project(p, root)
    )
    if len(notebooks) != 1:
        found = "no notebook" if not notebooks else f"{len(notebooks)} notebooks"
        raise InputFileError(pipeline_dir, f"expected one pipeline notebook, found {found}")
    return notebooks[0]


def compute_lock(
    pipeline_dir: Path,
    *,
    contract_version: str = "1.0.0",
    schema_version: int = LOCK_SCHEMA_VERSION,
    laid_out_in: Path | None = None,
) -> LockComputation:
    """Everything the lock records, recomputed from the working tree.

    ``schema_version`` older than the current one computes what a lock of that schema
    recorded, so ``verify`` compares like with like: a format change is never drift.

    ``laid_out_in`` is for a cluster worker: the scratch directory it laid a shipped pipeline
    out in stands for the repository (datasets beside the pipeline stay inside it). A link
    there to a large dataset leads outside it and is not read again: the worker checked its
    digest when it made the link.
    """
    notebook_path = find_pipeline_notebook(pipeline_dir)
    notebook = read_notebook(notebook_path)
    if notebook.syntax_errors:
        error = notebook.syntax_errors[0]
        raise InputFileError(
            notebook_path, f"cell {error.cell_index + 1} does not parse: {error.message}"
        )
    cells = [(cell.cell_type, cell.source, cell.tags) for cell in notebook.cells]
    parameter_cell = next(
        (c for c in notebook.cells if c.cell_type == "code" and PARAMETERS_TAG in c.tags), None
    )
    parameters = parse_parameters_cell(parameter_cell.source) if parameter_cell else []
    _refuse_credential_parameters(notebook_path, parameters)
    context = NotebookAnalysis(notebook, policy_for(ModelPolicyConfig()))
    problems: list[str] = []

    remote_pins: dict[str, str | None] = {}
    datasets = _datasets(context, pipeline_dir, problems, remote_pins, laid_out_in)
    datasets.extend(_calibration_datasets(pipeline_dir, {d.path for d in datasets}))
    models = _models(context, parameter_cell.index if parameter_cell else None)
    requirements_file = read_requirements(pipeline_dir / REQUIREMENTS_FILENAME)
    problems.extend(requirements_file.problems)
    if not (pipeline_dir / REQUIREMENTS_FILENAME).is_file():
        problems.append(f"no {REQUIREMENTS_FILENAME}: dependency versions are not pinned")
    if schema_version < 2:
        requirements = [
            LockedRequirement(name=name, version=version)
            for name, version in requirements_file.legacy_pins.items()
        ]
        digest = requirements_file.legacy_digest
    else:
        requirements = [
            LockedRequirement(
                name=pin.name, version=pin.version, extras=list(pin.extras), marker=pin.marker
            )
            for pin in requirements_file.pins
        ]
        digest = requirements_file.digest
    lock = PipelineLock(
        schema_version=schema_version,
        nbgraduate_version=__version__,
        contract_version=contract_version,
        notebook=notebook_path.name,
        notebook_digest=notebook_digest(cells),
        scoring_digest=scoring_digest(cells),
        kernel_name=notebook.kernel_name,
        python_version=platform.python_version(),
        # shard_index/shard_count say how a run is split, not what it measures.
        parameters=[
            LockedParameter(name=p.name, type=p.type, default=p.default, help=p.help)
            for p in parameters
            if p.name not in SHARD_PARAMETERS
        ],
        datasets=datasets,
        prompts=_prompts(pipeline_dir),
        models=models,
        sampling=_sampling(parameters, context),
        requirements=requirements,
        requirements_digest=digest,
    )
    lock = lock.canonical()
    _refuse_credentials_in(notebook_path, lock)
    return LockComputation(lock, notebook, parameters, problems, remote_pins)


def _refuse_credential_parameters(notebook_path: Path, parameters: list[Parameter]) -> None:
    """A key-like value is never locked as a parameter default: the lock is committed."""
    for parameter in parameters:
        if secrets.is_credential_assignment(parameter.name, parameter.default):
            shown = secrets.mask(str(parameter.default))
            raise ConfigError(
                notebook_path,
                f"parameter {parameter.name!r} holds a credential ({shown}); a key-like value is"
                " never locked as a default: read it from the environment instead"
                f' ({parameter.name} = os.environ["{parameter.name.upper()}"])',
            )


def _refuse_credentials_in(notebook_path: Path, lock: PipelineLock) -> None:
    """Nothing else the lock would record (help texts, dataset URLs) may hold a key either."""
    text = lock.to_json()
    found = secrets.find_secrets(text)
    if found:
        first = found[0]
        line = text.count("\n", 0, first.start) + 1
        raise ConfigError(
            notebook_path,
            f"the lock would record a {first.kind} ({first.preview}, lock line {line});"
            " read it from the environment instead of writing it into the notebook",
        )


def _datasets(
    context: NotebookAnalysis,
    pipeline_dir: Path,
    problems: list[str],
    remote_pins: dict[str, str | None],
    laid_out_in: Path | None = None,
) -> list[LockedDataset]:
    found: dict[str, LockedDataset] = {}
    root = laid_out_in or project_root(pipeline_dir)
    for read in context.dataset_reads:
        location = read.path
        if read.kind == "local":
            relative = normalise_path(location)
            path = Path(location) if Path(location).is_absolute() else pipeline_dir / relative
            if not inside_project(path, root):
                # Never opened, never recorded: a lock only names files of its repository.
                problems.append(
                    f"dataset {relative} is outside the repository {root}: not read or locked;"
                    " move it into the repository"
                )
                continue
            if not path.is_file():
                problems.append(f"dataset {relative} does not exist")
                found.setdefault(relative, LockedDataset(path=relative))
                continue
            sha256, size, rows = dataset_facts(path)
            found[relative] = LockedDataset(path=relative, sha256=sha256, size=size, rows=rows)
        else:
            found.setdefault(location, LockedDataset(path=location, remote=True))
            # Two reads of one location: pinned only if every read is.
            pin = remote_pin(read)
            remote_pins[location] = pin if remote_pins.get(location, pin) == pin else None
    return list(found.values())


def remote_pin(read: DatasetRead) -> str | None:
    """What pins a remote dataset's bytes so it can be read again as it was: a hub revision
    (a 40-hex commit; a Kaggle version), a DVC ``rev`` commit, or the URL itself when it embeds
    a commit or an object version id. ``None`` when it follows a branch, ``latest`` or an
    overwritable key (a digest check verifies bytes, but cannot bring old ones back)."""
    if read.kind == "hub":
        if read.hub == "kaggle":
            return read.revision
        return read.revision if is_commit_sha(read.revision) else None
    if read.call.qualified_name in ("dvc.api.open", "dvc.api.read"):
        return read.revision if is_commit_sha(read.revision) else None
    return read.path if remote_pin_problem(read.path) is None else None


def _calibration_datasets(pipeline_dir: Path, known: set[str]) -> list[LockedDataset]:
    """Every file under ``calibration/``: the judge's frozen reference set and its declaration
    are part of the eval contract like any dataset (``nbgraduate calibrate`` checks them)."""
    found = []
    root = project_root(pipeline_dir)
    for path in calibration_files(pipeline_dir):
        relative = path.relative_to(pipeline_dir).as_posix()
        if relative not in known and inside_project(path, root):
            sha256, size, rows = dataset_facts(path)
            found.append(LockedDataset(path=relative, sha256=sha256, size=size, rows=rows))
    return found


def _prompts(pipeline_dir: Path) -> list[LockedPrompt]:
    prompts_dir = pipeline_dir / PROMPTS_DIRNAME
    if not prompts_dir.is_dir():
        return []
    root = project_root(pipeline_dir)
    return [
        LockedPrompt(path=path.relative_to(pipeline_dir).as_posix(), sha256=file_sha256(path))
        for path in sorted(prompts_dir.rglob("*"))
        if path.is_file() and not path.name.startswith(".") and inside_project(path, root)
    ]


def _models(context: NotebookAnalysis, parameter_cell_index: int | None) -> list[LockedModel]:
    """One entry per model id and role, and one more per further parameter holding that id:
    every model-id parameter is listed, even when two parameters hold the same id."""
    models: dict[tuple[str, str, str | None], LockedModel] = {}
    parameter_names = _parameter_value_names(context, parameter_cell_index)
    for reference in context.model_references:
        model_id = reference.model_id
        if model_id is None:
            continue
        verdict = context.model_policy.classify(model_id, revision=reference.revision)
        parameter = parameter_names.get(id(reference.value.node))
        if verdict.status == "unknown" and reference.call is None and parameter is None:
            continue
        if parameter is None and any(key[:2] == (reference.role, model_id) for key in models):
            continue
        if parameter is not None:
            models.pop((reference.role, model_id, None), None)
        models.setdefault(
            (reference.role, model_id, parameter),
            LockedModel(
                model_id=model_id,
                role=reference.role,
                provider=verdict.provider,
                pinned=verdict.status == "pinned",
                parameter=parameter,
            ),
        )
    return list(models.values())


def _parameter_value_names(
    context: NotebookAnalysis, parameter_cell_index: int | None
) -> dict[int, str]:
    """Literal nodes that are parameter defaults, mapped to the parameter's name."""
    if parameter_cell_index is None:
        return {}
    names = {}
    for statement in context.notebook.program.body:
        if not isinstance(statement, (ast.Assign, ast.AnnAssign)) or statement.value is None:
            continue
        if context.position(statement).cell_index != parameter_cell_index:
            continue
        target = statement.target if isinstance(statement, ast.AnnAssign) else statement.targets[0]
        if isinstance(target, ast.Name):
            names[id(statement.value)] = target.id
    return names


def seed_parameter_name(lock: PipelineLock) -> str | None:
    """The parameter that seeds the pipeline's randomness, if it has one; repeats vary it."""
    names = {parameter.name for parameter in lock.parameters}
    return next((name for name in SAMPLING_NAMES["seed"] if name in names), None)


def _sampling(parameters: list[Parameter], context: NotebookAnalysis) -> SamplingParameters:
    values: dict[str, object] = {}
    by_name = {p.name: p.default for p in parameters}
    for field_name, candidates in SAMPLING_NAMES.items():
        for candidate in candidates:
            if candidate in by_name:
                values[field_name] = by_name[candidate]
                break
    if "temperature" not in values:
        for call in context.facts.calls:
            if llm_call_kind(call) is None:
                continue
            for keyword in ("temperature", "top_p", "max_tokens", "seed"):
                if keyword in values or keyword not in call.keywords:
                    continue
                resolved = context.values.resolve(call.keywords[keyword], call.scope)
                if len(resolved) == 1 and isinstance(resolved[0].value, (int, float)):
                    values[keyword] = resolved[0].value
    try:
        return SamplingParameters(**values)
    except ValueError as error:
        raise ConfigError(context.notebook.path, f"sampling parameters: {error}") from None
