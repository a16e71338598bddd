"""NBG801: an eval path that no CODEOWNERS line gives an owner."""

from __future__ import annotations

from collections.abc import Iterator

from nbgraduate.lint.rules.base import Example, RepositoryFinding, RepositoryRule

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from nbgraduate.lint.repository_context import RepositoryContext

#: A notebook that does not exist: who would own a new notebook added to the eval path.
_NEW_NOTEBOOK = "new_eval.ipynb"


class EvalPathWithoutOwner(RepositoryRule):
    """Checks every eval path configured in ``[tool.nbgraduate] eval-paths`` against the
    repository's CODEOWNERS file (``.github/CODEOWNERS``, ``CODEOWNERS``, ``docs/CODEOWNERS``
    or ``.gitlab/CODEOWNERS``, the first found). Reports an eval path where a new notebook
    would have no owner, or where an existing notebook has none (no line matches it, or the
    last matching line lists no owner). Patterns follow GitHub's rules: the last matching
    line wins, and ``docs/*`` covers only files directly in ``docs/``. The finding points at
    the CODEOWNERS file, or at ``eval-paths`` in the config when the repository has none."""

    code = "NBG801"
    name = "eval-path-without-owner"
    summary = "Eval path has no CODEOWNERS owner"
    rationale = """
        The eval suite decides what ships. Without an owner, a pull request can change a
        judge prompt, a dataset or a threshold and merge with nobody from the eval team
        reviewing it, and the gate then measures against a yardstick someone quietly moved.
        A CODEOWNERS line makes their review required (with branch protection).
    """
    bad = (
        Example(
            "==> pyproject.toml <==\n"
            "[tool.nbgraduate]\n"
            'eval-paths = ["evals/"]\n'
            "\n"
            "==> .github/CODEOWNERS <==\n"
            "/docs/ @acme/docs\n"
        ),
        Example(
            "==> pyproject.toml <==\n"
            "[tool.nbgraduate]\n"
            'eval-paths = ["evals/"]\n'
            "\n"
            "==> .github/CODEOWNERS <==\n"
            "* @acme/engineering\n"
            "# an explicit line without owners leaves the path unowned\n"
            "/evals/\n"
        ),
    )
    good = (
        Example(
            "==> pyproject.toml <==\n"
            "[tool.nbgraduate]\n"
            'eval-paths = ["evals/"]\n'
            "\n"
            "==> .github/CODEOWNERS <==\n"
            "/docs/ @acme/docs\n"
            "/evals/ @acme/evals\n"
        ),
    )
    fix = """
        ``nbgraduate init --owner @org/team`` appends ``/evals/ @org/team`` for every eval
        path that has no owner.
    """

    def check_repository(self, context: RepositoryContext) -> Iterator[RepositoryFinding]:
        codeowners = context.codeowners
        for eval_path in context.eval_paths:
            in_repository = context.repository_path(context.eval_directory(eval_path))
            shown = f"{eval_path}/"
            unowned = [f"{in_repository}/{_NEW_NOTEBOOK}"]
            if codeowners.owners_of(unowned[0]):
                unowned = [
                    path
                    for path in map(context.repository_path, context.notebooks(eval_path))
                    if not codeowners.owners_of(path)
                ]
            if not unowned:
                continue
            suggestion = f"/{in_repository}/ @org/team"
            if codeowners.path is None:
                path, line = context.config_line("eval-paths")
                message = (
                    f"eval path {shown} has no owner: the repository has no CODEOWNERS file;"
                    f" add .github/CODEOWNERS with `{suggestion}`"
                )
            else:
                rule = codeowners.rule_for(unowned[0])
                path, line = context.display(codeowners.path), rule.line if rule else 1
                what = (
                    f"eval path {shown}"
                    if unowned[0].endswith(f"/{_NEW_NOTEBOOK}")
                    else f"{unowned[0]} (under eval path {shown})"
                )
                reason = "the last matching line lists no owner" if rule else "no line matches it"
                message = (
                    f"{what} has no owner in {context.display(codeowners.path)} ({reason});"
                    f" add `{suggestion}` at the end"
                )
            message += " or run `nbgraduate init --owner @org/team`"
            yield self.repository_finding(
                message, path, key=f"eval-path:{in_repository}", line=line
            )
