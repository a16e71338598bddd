"""Constants flow across cells: findings land once, on the literal a human would edit."""

from __future__ import annotations

from pathlib import Path

from nbgraduate.knowledge.model_policy import ModelPolicyConfig, policy_for
from nbgraduate.lint.linter import lint_notebook
from nbgraduate.notebook.reader import notebook_from_text


def _findings(source: str, *codes: str, locked: frozenset[str] = frozenset()):
    notebook = notebook_from_text(Path("eval.py"), source)
    return [
        (f.code, f.start.cell_index, f.start.row, f.start.column)
        for f in lint_notebook(notebook, set(codes), policy_for(ModelPolicyConfig()), locked)
    ]


def test_model_id_defined_in_cell_one_used_in_cell_five() -> None:
    source = (
        '# %%\nJUDGE = "gpt-4o"\n# %%\na = 1\n# %%\nb = 2\n# %%\nc = 3\n'
        "# %%\nr = client.chat.completions.create(model=JUDGE, temperature=0, messages=[])\n"
    )
    assert _findings(source, "NBG101") == [("NBG101", 0, 1, 9)]


def test_config_dict_entry() -> None:
    source = 'CONFIG = {"judge_model": "gpt-4o", "n": 3}\n# %%\nllm = ChatOpenAI(model=CONFIG["judge_model"], temperature=0)\n'
    assert _findings(source, "NBG101") == [("NBG101", 0, 1, 26)]


def test_subscript_assignment_and_attribute_config() -> None:
    source = (
        'cfg = {}\ncfg["model"] = "gpt-4-turbo"\n'
        "r = client.messages.create(model=cfg['model'], temperature=0, messages=[])\n"
    )
    assert _findings(source, "NBG101") == [("NBG101", 0, 2, 16)]


def test_function_default_reported_at_the_default() -> None:
    source = 'def judge(x, model="gpt-4-turbo"):\n    return client.chat.completions.create(model=model, temperature=0)\n'
    assert _findings(source, "NBG101") == [("NBG101", 0, 1, 20)]


def test_environment_default_is_resolved_and_missing_default_is_untraceable() -> None:
    pinned_default = (
        'import os\nJ = os.getenv("JUDGE", "gpt-4o")\nllm = ChatOpenAI(model=J, temperature=0)\n'
    )
    assert _findings(pinned_default, "NBG101", "NBG102") == [("NBG101", 0, 2, 24)]
    no_default = (
        'import os\nJ = os.environ.get("JUDGE")\nllm = ChatOpenAI(model=J, temperature=0)\n'
    )
    assert _findings(no_default, "NBG101", "NBG102") == [("NBG102", 0, 2, 5)]


def test_same_literal_used_twice_is_reported_once() -> None:
    source = (
        'JUDGE = "gpt-4o"\n'
        "a = client.chat.completions.create(model=JUDGE, temperature=0)\n"
        "b = client.chat.completions.create(model=JUDGE, temperature=0)\n"
    )
    assert _findings(source, "NBG101") == [("NBG101", 0, 1, 9)]


def test_latest_binding_before_use_wins() -> None:
    source = (
        'JUDGE = "gpt-4o-2024-08-06"\n'
        "a = client.chat.completions.create(model=JUDGE, temperature=0)\n"
        'JUDGE = "gpt-4o"\n'
    )
    # The floating reassignment is still a named model constant, reported where it is written.
    assert _findings(source, "NBG101") == [("NBG101", 0, 3, 9)]


def test_digest_check_versions_a_dataset_and_the_lock_hook_does_too() -> None:
    unpinned = 'import pandas as pd\ndf = pd.read_csv("data/eval.csv")\n'
    assert _findings(unpinned, "NBG201") == [("NBG201", 0, 2, 18)]
    assert _findings(unpinned, "NBG201", locked=frozenset({"data/eval.csv"})) == []
    verified = (
        "import hashlib, pandas as pd\n"
        'PATH = "./data/eval.csv"\n'
        'EXPECTED = "' + "ab" * 32 + '"\n'
        "digest = hashlib.sha256(open(PATH, 'rb').read()).hexdigest()\n"
        "assert hashlib.sha256(open(PATH, 'rb').read()).hexdigest() == EXPECTED\n"
        "df = pd.read_csv(PATH)\n"
    )
    assert _findings(verified, "NBG201") == []


def test_seed_order_follows_the_notebook() -> None:
    late_seed = "import random\n# %%\nrandom.shuffle(x)\n# %%\nrandom.seed(1)\n"
    assert _findings(late_seed, "NBG301") == [("NBG301", 1, 1, 1)]
    early_seed = "import random\nrandom.seed(1)\n# %%\nrandom.shuffle(x)\n"
    assert _findings(early_seed, "NBG301") == []
