"""Model servers launched from a notebook's shell escapes, and the commits they pin."""

from __future__ import annotations

import pytest

from nbgraduate.analysis.model_servers import pinned_served_models
from nbgraduate.notebook.model import ShellCommand

COMMIT = "a09a35458c702b33eeacc393d103063234e8bc28"


def served(*lines: str) -> frozenset[str]:
    commands = [
        ShellCommand(cell_index=0, row=row, column=2, text=line, origin="line-escape")
        for row, line in enumerate(lines, start=1)
    ]
    return pinned_served_models(commands)


@pytest.mark.parametrize(
    "line",
    [
        f"vllm serve Qwen/Qwen2.5-7B-Instruct --revision {COMMIT} &",
        f"nohup vllm serve Qwen/Qwen2.5-7B-Instruct --port 8000 --revision={COMMIT} > log 2>&1 &",
        f"python -m vllm.entrypoints.openai.api_server --model Qwen/Qwen2.5-7B-Instruct"
        f" --revision {COMMIT}",
        f"CUDA_VISIBLE_DEVICES=0 python3 -m sglang.launch_server --model-path"
        f" Qwen/Qwen2.5-7B-Instruct --revision {COMMIT}",
        f"text-generation-launcher --model-id 'Qwen/Qwen2.5-7B-Instruct' --revision {COMMIT}",
    ],
)
def test_a_launch_pinned_to_a_commit_serves_its_model(line: str) -> None:
    assert served(line) == {"Qwen/Qwen2.5-7B-Instruct"}


@pytest.mark.parametrize(
    "line",
    [
        "vllm serve Qwen/Qwen2.5-7B-Instruct &",  # no revision: the branch head
        "vllm serve Qwen/Qwen2.5-7B-Instruct --revision main",  # a branch moves
        f"vllm serve Qwen/Qwen2.5-7B-Instruct & echo --revision {COMMIT}",  # not the launch's
        f"pip install vllm --revision {COMMIT}",  # not a launch at all
        f"python -m vllm.entrypoints.openai.api_server --revision {COMMIT}",  # no model named
    ],
)
def test_other_lines_pin_nothing(line: str) -> None:
    assert served(line) == frozenset()
