"""NBG101: a model or judge id that is a moving alias rather than a fixed snapshot."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nbgraduate.lint.rules.base import Example, Finding, Rule

if TYPE_CHECKING:
    from nbgraduate.lint.context import LintContext


class FloatingModelId(Rule):
    """Checks every model and judge id the notebook uses (in API calls, chat-model and judge
    constructors, config dicts, function defaults and environment defaults) against the
    provider's pinning policy, and reports ids that are aliases, at the literal that defines
    them. The policy is data (``model_policy.toml``) and can be extended in
    ``[tool.nbgraduate.models]``."""

    code = "NBG101"
    name = "floating-model-id"
    summary = "Model or judge id is a moving alias, not a pinned snapshot"
    rationale = """
        Providers re-point aliases such as ``gpt-4o`` or ``claude-sonnet-4-5`` to newer snapshots
        without notice. A score produced today by an alias cannot be reproduced next month, and
        a judge alias silently changes the yardstick itself. Pin the dated snapshot
        (``gpt-4o-2024-08-06``) or, for Hugging Face models, a ``revision`` commit sha.
    """
    bad = (
        Example(
            'JUDGE_MODEL = "gpt-4o"\n'
            "# %%\n"
            "from openai import OpenAI\n"
            "client = OpenAI()\n"
            "reply = client.chat.completions.create(\n"
            "    model=JUDGE_MODEL, temperature=0, messages=[]\n"
            ")\n"
        ),
        Example('CONFIG = {"judge_model": "claude-3-5-sonnet-latest"}\n'),
        Example('def judge(answer, model="gpt-4-turbo"):\n    return model\n'),
        Example(
            'import os\nJUDGE = os.getenv("JUDGE", "gpt-4o")\nllm = ChatOpenAI(model=JUDGE, temperature=0)\n'
        ),
        Example(
            'from transformers import AutoModel\nmodel = AutoModel.from_pretrained("meta-llama/Llama-3.1-8B")\n'
        ),
    )
    good = (
        Example(
            'JUDGE_MODEL = "gpt-4o-2024-08-06"\n'
            "# %%\n"
            "reply = client.chat.completions.create(\n"
            "    model=JUDGE_MODEL, temperature=0, messages=[]\n"
            ")\n"
        ),
        Example('CONFIG = {"judge_model": "claude-3-5-sonnet-20241022"}\n'),
        Example(
            "from transformers import AutoModel\n"
            "model = AutoModel.from_pretrained(\n"
            '    "meta-llama/Llama-3.1-8B", revision="0e9e39f249a16976918f6564b8830bc894c89659"\n'
            ")\n"
        ),
        Example('completion = openai.Completion.create(model="text-davinci-003", temperature=0)\n'),
    )

    def check(self, context: LintContext) -> Iterator[Finding]:
        for reference in context.model_references:
            model_id = reference.model_id
            if model_id is None:
                continue
            verdict = context.model_policy.classify(model_id, revision=reference.revision)
            if verdict.status != "floating":
                continue
            via = ""
            if reference.value.env_name:
                via = f" (default of environment variable {reference.value.env_name})"
            message = f"{reference.role} model id {model_id!r}{via} floats: {verdict.reason}"
            node = reference.value.node
            yield self.finding(message, context.position(node), context.end_position(node))
