"""NBG802: a pipeline directory under an eval path with no lock, or a lock that does not parse."""

from __future__ import annotations

from collections.abc import Iterator

from nbgraduate.lint.rules.base import Example, RepositoryFinding, RepositoryRule

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from nbgraduate.lint.repository_context import RepositoryContext

_VALID_LOCK = """{
  "schema_version": 1,
  "nbgraduate_version": "0.1.0",
  "contract_version": "1.0.0",
  "notebook": "support_judge.ipynb",
  "notebook_digest": "9f2c...",
  "scoring_digest": "41aa...",
  "kernel_name": "python3",
  "python_version": "3.11.9"
}"""
_NOTEBOOK = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'


class PipelineWithoutLock(RepositoryRule):
    """Reports pipeline directories under the configured eval paths that have no
    ``nbgraduate.lock``, or whose lock does not parse as a lock of a schema this nbgraduate
    reads. A *pipeline directory* is a directory holding a notebook (``*.ipynb``) and at
    least one of the files ``nbgraduate convert`` writes beside it: ``nbgraduate.lock``,
    ``CONVERSION.md``, ``prompts/`` or ``requirements.txt``. The finding points at the
    pipeline's notebook. Whether the lock still matches the files is ``nbgraduate verify``'s
    job (and the ``nbgraduate-verify`` pre-commit hook's)."""

    code = "NBG802"
    name = "pipeline-without-lock"
    summary = "Pipeline directory has no lock, or a lock that does not parse"
    rationale = """
        The lock is what makes a pipeline's score reproducible: it pins the dataset digests,
        prompts, model snapshots, sampling parameters and requirements. A pipeline without
        one (deleted, never written, or half-merged into invalid JSON) cannot be verified,
        so ``verify`` and ``run`` refuse it in CI, or worse, an eval runs against inputs
        nobody can name afterwards.
    """
    bad = (
        Example(
            "==> pyproject.toml <==\n"
            "[tool.nbgraduate]\n"
            'eval-paths = ["evals/"]\n'
            "\n"
            "==> evals/support_judge/support_judge.ipynb <==\n"
            f"{_NOTEBOOK}\n"
            "\n"
            "==> evals/support_judge/requirements.txt <==\n"
            "openai==1.51.0\n"
        ),
        Example(
            "==> pyproject.toml <==\n"
            "[tool.nbgraduate]\n"
            'eval-paths = ["evals/"]\n'
            "\n"
            "==> evals/support_judge/support_judge.ipynb <==\n"
            f"{_NOTEBOOK}\n"
            "\n"
            "==> evals/support_judge/nbgraduate.lock <==\n"
            "<<<<<<< HEAD\n"
            '{"schema_version": 1, "contract_version": "2.0.0"}\n'
            "=======\n"
            '{"schema_version": 1, "contract_version": "1.1.0"}\n'
            ">>>>>>> feature\n"
        ),
    )
    good = (
        Example(
            "==> pyproject.toml <==\n"
            "[tool.nbgraduate]\n"
            'eval-paths = ["evals/"]\n'
            "\n"
            "==> evals/support_judge/support_judge.ipynb <==\n"
            f"{_NOTEBOOK}\n"
            "\n"
            "==> evals/support_judge/requirements.txt <==\n"
            "openai==1.51.0\n"
            "\n"
            "==> evals/support_judge/nbgraduate.lock <==\n"
            f"{_VALID_LOCK}\n"
        ),
    )
    fix = """
        ``nbgraduate lock evals/support_judge`` writes (or rewrites) the lock from the
        pipeline's files; after a merge conflict, re-lock rather than merging the JSON by hand.
    """

    def check_repository(self, context: RepositoryContext) -> Iterator[RepositoryFinding]:
        import shlex

        from nbgraduate.lock import LOCK_FILENAME

        for eval_path in context.eval_paths:
            for directory, notebook in context.pipeline_directories(eval_path):
                shown = context.display(directory)
                relock = f"nbgraduate lock {shlex.quote(shown)}"
                key = f"pipeline:{context.repository_path(directory)}"
                if not (directory / LOCK_FILENAME).is_file():
                    message = (
                        f"pipeline directory {shown} has no {LOCK_FILENAME}, so its inputs are"
                        f" not pinned; lock it: {relock}"
                    )
                    yield self.repository_finding(message, context.display(notebook), key=key)
                    continue
                problem = context.lock_verdicts.problem(directory)
                if problem is not None:
                    message = (
                        f"{LOCK_FILENAME} of pipeline {shown} does not parse ({problem});"
                        f" re-lock it: {relock}"
                    )
                    yield self.repository_finding(message, context.display(notebook), key=key)
