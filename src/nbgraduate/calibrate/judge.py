"""The judge exactly as the lock pins it: model id, prompt files (by digest) and sampling.

Calibration is only meaningful against the judge the eval really uses, so anything that
differs from ``nbgraduate.lock`` (a floating model id, a prompt edited since locking, a
declaration that contradicts the locked sampling) is refused before a single request is sent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from nbgraduate.calibrate.reference import (
    CALIBRATION_DIRNAME,
    DECLARATION_FILENAME,
    CalibrationDeclaration,
    ReferenceExample,
)
from nbgraduate.core import regex_cache
from nbgraduate.core.errors import ConfigError
from nbgraduate.lock.digests import file_sha256
from nbgraduate.lock.layout import calibration_files
from nbgraduate.lock.lockfile import LOCK_FILENAME, PipelineLock

__all__ = [
    "PinnedJudge",
    "check_locked_calibration_files",
    "fill_template",
    "judge_messages",
    "pinned_judge",
    "placeholders",
]

# ``{name}`` with a Python identifier inside, as ``str.format`` reads it; ``{{`` and ``}}`` are
# literal braces. Any other brace (a JSON example in the prompt) is left as it is.
_TOKEN = regex_cache.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True, slots=True)
class PinnedJudge:
    """Everything a calibration request carries, resolved from the lock and the declaration."""

    model_id: str
    prompt_path: str
    prompt_template: str
    system_path: str | None = None
    system_text: str | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    seed: int | None = None
    #: Prompt files used, with the digests the lock records (and that were checked).
    prompt_digests: dict[str, str] = field(default_factory=dict)

    @property
    def unpinned_sampling(self) -> list[str]:
        """Sampling parameters the lock leaves to the provider's default."""
        return [name for name in ("temperature", "seed") if getattr(self, name) is None]


def pinned_judge(
    pipeline_dir: Path, lock: PipelineLock, declaration: CalibrationDeclaration
) -> PinnedJudge:
    """Resolve the judge call; a :class:`ConfigError` when the lock does not pin it."""
    lock_file = pipeline_dir / LOCK_FILENAME
    declaration_file = pipeline_dir / CALIBRATION_DIRNAME / DECLARATION_FILENAME
    model = _judge_model(lock, declaration, lock_file, declaration_file)
    prompt_template, prompt_digest = _locked_prompt_text(
        pipeline_dir, lock, declaration.prompt, declaration_file
    )
    digests = {declaration.prompt: prompt_digest}
    system_text = None
    if declaration.system is not None:
        system_text, system_digest = _locked_prompt_text(
            pipeline_dir, lock, declaration.system, declaration_file
        )
        digests[declaration.system] = system_digest
    sampling = lock.sampling
    max_tokens = sampling.max_tokens
    if declaration.max_tokens is not None:
        if max_tokens is not None and max_tokens != declaration.max_tokens:
            raise ConfigError(
                declaration_file,
                f"max_tokens = {declaration.max_tokens} contradicts the lock's max_tokens "
                f"{max_tokens}; the judge is called as the lock pins it, so drop max_tokens here",
            )
        max_tokens = declaration.max_tokens
    return PinnedJudge(
        model_id=model,
        prompt_path=declaration.prompt,
        prompt_template=prompt_template,
        system_path=declaration.system,
        system_text=system_text,
        temperature=sampling.temperature,
        top_p=sampling.top_p,
        max_tokens=max_tokens,
        seed=sampling.seed,
        prompt_digests=digests,
    )


def _judge_model(
    lock: PipelineLock,
    declaration: CalibrationDeclaration,
    lock_file: Path,
    declaration_file: Path,
) -> str:
    judges = [model for model in lock.models if model.role == "judge"]
    if declaration.judge is not None:
        chosen = [model for model in judges if model.model_id == declaration.judge]
        if not chosen:
            known = ", ".join(model.model_id for model in judges) or "none"
            raise ConfigError(
                declaration_file,
                f"judge {declaration.judge!r} is not a judge model in {LOCK_FILENAME} "
                f"(locked judges: {known})",
            )
        judges = chosen
    if not judges:
        raise ConfigError(lock_file, "no judge model is locked; nothing to calibrate")
    if len(judges) > 1:
        listed = ", ".join(model.model_id for model in judges)
        raise ConfigError(
            declaration_file,
            f'the lock has several judge models ({listed}); say which with judge = "..."',
        )
    judge = judges[0]
    if not judge.pinned:
        raise ConfigError(
            lock_file,
            f"judge model {judge.model_id!r} floats, so its drift cannot be told from an alias "
            "moving; pin a dated snapshot (see `nbgraduate rule NBG101`) and re-lock",
        )
    return judge.model_id


def _locked_prompt_text(
    pipeline_dir: Path, lock: PipelineLock, relative: str, declaration_file: Path
) -> tuple[str, str]:
    locked = next((prompt for prompt in lock.prompts if prompt.path == relative), None)
    if locked is None:
        known = ", ".join(prompt.path for prompt in lock.prompts) or "none"
        raise ConfigError(
            declaration_file,
            f"{relative} is not a prompt recorded in {LOCK_FILENAME} (locked prompts: {known})",
        )
    path = pipeline_dir / relative
    try:
        actual = file_sha256(path)
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, "prompt file is missing (it is recorded in the lock)") from None
    except UnicodeDecodeError:
        raise ConfigError(path, "prompt file is not UTF-8 text") from None
    except OSError as error:
        raise ConfigError(path, f"cannot read: {error.strerror or error}") from None
    if actual != locked.sha256:
        raise ConfigError(
            path,
            f"prompt changed since it was locked (sha256 {actual[:12]}, locked "
            f"{locked.sha256[:12]}); re-lock with `nbgraduate lock` or revert the prompt",
        )
    return text, actual


def check_locked_calibration_files(pipeline_dir: Path, lock: PipelineLock) -> None:
    """Refuse when a calibration file the lock records differs from the working tree.

    Locks written before calibration files were recorded simply have none to check.
    """
    recorded = {
        dataset.path: dataset.sha256
        for dataset in lock.datasets
        if dataset.path.startswith(f"{CALIBRATION_DIRNAME}/") and dataset.sha256
    }
    for path in calibration_files(pipeline_dir):
        relative = path.relative_to(pipeline_dir).as_posix()
        expected = recorded.get(relative)
        if expected is not None and file_sha256(path) != expected:
            raise ConfigError(
                path,
                "changed since it was locked; re-lock with `nbgraduate lock` (or "
                "`nbgraduate calibrate --write-reference`) or revert it",
            )


# --- prompts ------------------------------------------------------------------------------


def placeholders(template: str) -> list[str]:
    """The ``{name}`` placeholders of ``template``, each once, in order of first use."""
    names: list[str] = []
    for match in _TOKEN.finditer(template):
        name = match.group(1)
        if name is not None and name not in names:
            names.append(name)
    return names


def fill_template(template: str, fields: Mapping[str, str]) -> str:
    """``template`` with every ``{name}`` replaced by ``fields[name]``, ``{{``/``}}`` unescaped.

    For templates written for ``str.format`` the result is the same; braces that are not a
    placeholder (an unescaped JSON example) are kept rather than rejected.
    """

    def replace(match: re.Match[str]) -> str:
        token, name = match.group(0), match.group(1)
        if name is None:
            return token[0]
        return fields[name]

    return _TOKEN.sub(replace, template)


def judge_messages(judge: PinnedJudge, example: ReferenceExample) -> list[dict[str, str]]:
    """The chat messages for one example; a :class:`ValueError` saying what does not fit."""
    names = placeholders(judge.prompt_template)
    if isinstance(example.input, str):
        if len(names) > 1:
            raise ValueError(
                f"input is a string but {judge.prompt_path} has placeholders "
                f"{', '.join(names)}; give an object of fields"
            )
        if names:
            user = fill_template(judge.prompt_template, {names[0]: example.input})
        else:
            # A template without placeholders is the instruction; the input follows it.
            user = fill_template(judge.prompt_template, {}).rstrip() + "\n\n" + example.input
    else:
        if not names:
            raise ValueError(
                f"input is an object but {judge.prompt_path} has no {{placeholders}} to fill; "
                "give the input as a string"
            )
        missing = [name for name in names if name not in example.input]
        if missing:
            raise ValueError(f"input has no field for placeholder(s) {', '.join(missing)}")
        user = fill_template(judge.prompt_template, example.input)
    messages = []
    if judge.system_text is not None:
        messages.append({"role": "system", "content": judge.system_text})
    messages.append({"role": "user", "content": user})
    return messages
