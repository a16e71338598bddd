"""NBG102: a model id that comes from the environment or user input with no pinned default."""

from __future__ import annotations

from collections.abc import Iterator

from nbgraduate.lint.rules.base import Example, Finding, Rule

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from nbgraduate.lint.context import LintContext


class UntraceableModelId(Rule):
    """Reports model and judge ids that are read from an environment variable, ``input()`` or
    command-line arguments without a default, or restored from another session's IPython store
    (``%store -r MODEL_NAME``), so the notebook itself never says which model produced its
    numbers."""

    code = "NBG102"
    name = "untraceable-model-id"
    summary = "Model id comes from the environment or input with no pinned default"
    rationale = """
        When the id lives only in somebody's shell (``export JUDGE=...``), the notebook and its
        results carry no record of which model was used. Two people running the same notebook
        silently evaluate different models. Give the lookup a pinned default, or record the id
        as a notebook parameter.
    """
    bad = (
        Example(
            "import os\n"
            "reply = client.chat.completions.create(\n"
            '    model=os.environ["JUDGE_MODEL"], temperature=0, messages=[]\n'
            ")\n"
        ),
        Example(
            'import os\nMODEL = os.getenv("EVAL_MODEL")\n# %%\nllm = ChatOpenAI(model=MODEL, temperature=0)\n'
        ),
        Example(
            "from google.colab import userdata\n"
            'llm = ChatOpenAI(model=userdata.get("JUDGE_MODEL"), temperature=0)\n'
        ),
        Example(
            "%store -r MODEL_NAME\n"
            "reply = client.messages.create(\n"
            "    model=MODEL_NAME, temperature=0, max_tokens=100, messages=[]\n"
            ")\n"
        ),
    )
    good = (
        Example(
            "import os\n"
            'MODEL = os.getenv("EVAL_MODEL", "gpt-4o-2024-08-06")\n'
            "llm = ChatOpenAI(model=MODEL, temperature=0)\n"
        ),
        Example("%store -r API_KEY\n%store MODEL_NAME\n"),
    )

    def check(self, context: LintContext) -> Iterator[Finding]:
        for reference in context.model_references:
            source = reference.value.source
            if source == "literal" or reference.call is None:
                continue
            if source == "env":
                origin = f"environment variable {reference.value.env_name or '?'} with no default"
            else:
                origin = "user input or command-line arguments"
            message = (
                f"{reference.role} model id comes from {origin}; the notebook does not record "
                "which model it evaluated"
            )
            node = reference.value.node
            yield self.finding(message, context.position(node), context.end_position(node))
        for shell in context.shell_model_references:
            if shell.model_id is None and shell.name is not None:
                message = (
                    f"{shell.role} model id {shell.name} is restored from another session's "
                    "IPython store; the notebook does not record which model it evaluated"
                )
                yield self.finding(message, shell.start, shell.end)
