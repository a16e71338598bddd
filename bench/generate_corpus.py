"""Generate a deterministic corpus of varied, realistic LLM-eval notebooks for benchmarking.

Usage: ``python bench/generate_corpus.py DIR [--count N] [--seed S]``. Every file depends only
on ``(seed, index)``, so the same arguments always give byte-identical files. The mix follows
what real eval repositories hold: mostly nbformat 4 notebooks (some with ids, some without),
a few nbformat 3 ones, jupytext percent scripts and plain scripts; judge calls through the
OpenAI, Anthropic, litellm and LangChain clients with and without pinned ids and sampling
parameters; IPython escapes; seeded and unseeded randomness; long prompts; cells that do not
parse; and saved outputs (logs, DataFrame HTML, PNG plots) sized so that 1,000 files weigh in
at the order of 100-200 MB, as real notebook collections do.
"""

from __future__ import annotations

import argparse
import base64
import math
import random
import string
import struct
import sys
import textwrap
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

import nbformat
from nbformat import v4

__all__ = [
    "CorpusSummary",
    "generate_corpus",
    "generate_notebook",
    "write_typical_notebook",
]

DEFAULT_COUNT = 1000
DEFAULT_SEED = 0

# Share of files per kind; the rest are nbformat 4 notebooks.
_V3_SHARE = 0.04
_PERCENT_SCRIPT_SHARE = 0.07
_PLAIN_SCRIPT_SHARE = 0.02
_BROKEN_CELL_SHARE = 0.08

_FLOATING_MODELS = (
    "gpt-4o",
    "gpt-4o-mini",
    "gpt-4-turbo",
    "gpt-4",
    "gpt-3.5-turbo",
    "o1-mini",
    "claude-3-5-sonnet-latest",
    "claude-3-opus-latest",
    "claude-3-haiku",
)
_PINNED_MODELS = (
    "gpt-4o-2024-08-06",
    "gpt-4o-mini-2024-07-18",
    "gpt-4-0613",
    "gpt-3.5-turbo-0125",
    "o1-mini-2024-09-12",
    "claude-3-5-sonnet-20241022",
    "claude-3-opus-20240229",
    "claude-3-haiku-20240307",
)
_TOPICS = (
    ("summarization faithfulness", "summaries"),
    ("RAG answer relevance", "rag_answers"),
    ("toxicity classification", "toxicity"),
    ("GSM8K math word problems", "gsm8k"),
    ("code generation pass@1", "humaneval"),
    ("customer support tone", "support_tickets"),
    ("multilingual QA", "mlqa"),
    ("hallucination detection", "halueval"),
    ("instruction following", "ifeval"),
    ("safety refusals", "refusals"),
)
# Vocabulary for judge reasoning, log lines and prompt text.
_TEXT = """
the answer is correct and fully supported by the context but it omits one detail the reference
mentions response model judge score rubric faithful relevant concise hallucinated claim evidence
retrieved passage user question assistant reasoning step final partially incorrect because units
were ignored tone polite helpful refusal appropriate unsafe request summary misses key point
numbers match entity mismatch date wrong overall acceptable
"""
_WORDS = tuple(_TEXT.split())
_AUTHORS = ("alice", "bob", "priya", "wei", "maria", "jdoe", "sam")


@dataclass
class CorpusSummary:
    """What :func:`generate_corpus` wrote."""

    directory: Path
    files: int = 0
    ipynb_v4: int = 0
    ipynb_v3: int = 0
    percent_scripts: int = 0
    plain_scripts: int = 0
    total_bytes: int = 0
    cells: int = 0
    code_cells: int = 0
    broken_cells: int = 0
    paths: list[Path] = field(default_factory=list)


@dataclass
class _Plan:
    """The choices that keep one notebook's cells consistent with each other."""

    rng: random.Random
    values: dict[str, str]
    provider: str
    pinned: bool
    sampling_set: bool
    seeded: bool
    has_parameters: bool
    executed: bool
    out_of_order: bool
    output_level: str
    colab: bool


@dataclass
class _CellSpec:
    cell_type: str
    source: str
    output: str = "none"
    tags: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------------
# The snippet library. Each entry is one cell as people write it; ``$name`` placeholders are
# filled from the notebook's plan (``$$`` is a literal dollar sign).


def _snippets(*sources: str) -> tuple[str, ...]:
    return tuple(textwrap.dedent(source).strip("\n") for source in sources)


_INSTALLS = _snippets(
    "%pip install -q openai anthropic pandas tqdm",
    "%pip install openai==1.40.0 anthropic==0.34.1 pandas==2.2.2",
    "!pip install -U litellm datasets",
    "!pip install -q git+https://github.com/openai/evals.git",
    "%pip install langchain langchain-openai==0.1.22 tiktoken",
    "!pip install --quiet deepeval ragas",
    "%pip install -r requirements.txt",
)
_CELL_MAGIC_INSTALLS = _snippets(
    """
    %%capture
    !pip install openai anthropic seaborn
    !pip install -U datasets
    """,
    """
    %%bash
    pip install -q litellm==1.44.2
    wget -q https://example.com/data/eval_set.jsonl -O data/eval_set.jsonl
    ls -la data/
    """,
    """
    %%capture install_log
    %pip install langchain langchain-anthropic
    """,
)
_SHELL_LOOKS = _snippets(
    "!ls -la data/",
    "!nvidia-smi",
    "!head -n 3 $data_path",
    """
    files = !ls results/*.jsonl
    print(len(files), 'result files')
    """,
    "!wc -l $data_path",
    "%env OPENAI_LOG=info",
    """
    %load_ext autoreload
    %autoreload 2
    """,
    "%matplotlib inline",
    "$df?",
)
_IMPORTS = _snippets(
    """
    import os
    import json
    import re
    import time

    import numpy as np
    import pandas as pd
    from tqdm.auto import tqdm
    """,
    """
    import os, json, random
    import pandas as pd
    import matplotlib.pyplot as plt
    import seaborn as sns
    from dotenv import load_dotenv

    load_dotenv()
    """,
    """
    import asyncio
    import json
    import logging
    from pathlib import Path

    import pandas as pd
    from tenacity import retry, stop_after_attempt, wait_random_exponential
    """,
    """
    from __future__ import annotations

    import os
    import random
    from dataclasses import dataclass, field
    from typing import Optional

    import numpy as np
    import pandas as pd
    """,
)
_PROVIDER_IMPORTS = {
    "openai": _snippets(
        """
        from openai import OpenAI

        client = OpenAI(api_key=os.environ['OPENAI_API_KEY'])
        """
    )[0],
    "anthropic": _snippets(
        """
        import anthropic

        client = anthropic.Anthropic()
        """
    )[0],
    "litellm": _snippets(
        """
        import litellm
        from litellm import completion

        litellm.set_verbose = False
        """
    )[0],
    "langchain": _snippets(
        """
        from langchain_openai import ChatOpenAI
        from langchain_core.prompts import ChatPromptTemplate
        from langchain_core.output_parsers import StrOutputParser
        """
    )[0],
}
_CONFIG = _snippets(
    """
    JUDGE_MODEL = '$judge_model'
    CANDIDATE_MODEL = '$candidate_model'
    N_SAMPLES = $n_samples
    THRESHOLD = $threshold
    """,
    """
    MODEL = "$judge_model"  # judge
    DATA_PATH = "$data_path"
    OUT_DIR = Path('results')
    OUT_DIR.mkdir(exist_ok=True)
    """,
    """
    config = {
        'judge_model': '$judge_model',
        'candidate': '$candidate_model',
        'n_samples': $n_samples,
        'threshold': $threshold,
    }
    config
    """,
)
_PARAMETERS = _snippets(
    """
    # Parameters (papermill)
    judge_model = '$judge_model'
    n_samples = $n_samples
    threshold = $threshold
    data_path = '$data_path'
    """,
)
_SEEDED = _snippets(
    """
    SEED = $seed
    random.seed(SEED)
    np.random.seed(SEED)
    """,
    """
    import torch

    torch.manual_seed($seed)
    rng = np.random.default_rng($seed)
    """,
    """
    rng = np.random.default_rng(seed=$seed)
    random.seed($seed)
    """,
)
_UNSEEDED = _snippets(
    """
    import random

    random.shuffle(examples)
    examples = examples[:$n_samples]
    """,
    """
    idx = np.random.choice(len($df), size=$n_samples, replace=False)
    sample = $df.iloc[idx]
    """,
    """
    sample = $df.sample(n=$n_samples)
    sample.head()
    """,
    """
    rng = np.random.default_rng()
    noise = rng.normal(size=len($df))
    """,
)
_LOADS = _snippets(
    """
    $df = pd.read_csv('$data_path')
    print($df.shape)
    $df.head()
    """,
    """
    $df = pd.read_json('$data_path', lines=True)
    $df.head(10)
    """,
    """
    $df = pd.read_json(
        'https://raw.githubusercontent.com/$author/evals/main/data/$slug.jsonl',
        lines=True,
    )
    len($df)
    """,
    """
    from datasets import load_dataset

    ds = load_dataset('$hf_dataset', split='test'$revision)
    $df = ds.to_pandas()
    $df.head()
    """,
    """
    $df = pd.read_parquet('/Users/$author/Downloads/$slug.parquet')
    $df.describe()
    """,
    """
    with open('$data_path') as f:
        examples = [json.loads(line) for line in f]
    $df = pd.DataFrame(examples)
    print(len(examples), 'examples')
    """,
    """
    $df = pd.read_csv('s3://eval-bucket/$slug/latest.csv')
    $df.sample(5)
    """,
)
_HELPERS = _snippets(
    r'''
    def parse_score(text: str) -> int | None:
        """Pull the 1-5 score out of a judge reply."""
        match = re.search(r'score\s*[:=]\s*(\d)', text, re.IGNORECASE)
        if match is None:
            return None
        return int(match.group(1))
    ''',
    """
    def bootstrap_ci(scores, n_boot=1000, alpha=0.05):
        scores = np.asarray(scores)
        means = [np.random.choice(scores, size=len(scores)).mean() for _ in range(n_boot)]
        return np.percentile(means, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    """,
    """
    @retry(wait=wait_random_exponential(min=1, max=60), stop=stop_after_attempt(6))
    def with_backoff(fn, *args, **kwargs):
        return fn(*args, **kwargs)
    """,
    """
    def normalize(answer: str) -> str:
        answer = answer.strip().lower()
        answer = re.sub(r'[^a-z0-9 ]', '', answer)
        return ' '.join(answer.split())


    def exact_match(pred: str, gold: str) -> bool:
        return normalize(pred) == normalize(gold)
    """,
    """
    def chunks(items, size):
        for start in range(0, len(items), size):
            yield items[start : start + size]
    """,
)
_CLASSES = _snippets(
    """
    @dataclass
    class EvalResult:
        example_id: str
        prediction: str
        score: float
        reasoning: str = ''
        latency_s: float = 0.0
        tags: list[str] = field(default_factory=list)

        def passed(self, threshold: float = $threshold) -> bool:
            return self.score >= threshold
    """,
    """
    class Judge:
        def __init__(self, model='$judge_model', temperature=None):
            self.model = model
            self.temperature = temperature
            self.calls = 0

        def __call__(self, question, answer):
            self.calls += 1
            return judge(question, answer)

        def __repr__(self):
            return f'Judge({self.model!r}, calls={self.calls})'
    """,
    """
    from pydantic import BaseModel


    class Verdict(BaseModel):
        score: int
        reasoning: str
        label: str = 'unknown'
    """,
)
_JUDGE_CALLS = {
    "openai": _snippets(
        r"""
        def judge(question, answer):
            response = client.chat.completions.create(
                model='$judge_model',
                messages=[
                    {'role': 'system', 'content': $prompt_name},
                    {'role': 'user', 'content': f'Question: {question}\nAnswer: {answer}'},
                ]$sampling,
            )
            return response.choices[0].message.content
        """,
        """
        response = client.chat.completions.create(
            model=JUDGE_MODEL,
            messages=[{'role': 'user', 'content': $prompt_name.format(**row)}],
            response_format={'type': 'json_object'}$sampling,
        )
        print(response.choices[0].message.content)
        """,
    ),
    "anthropic": _snippets(
        r"""
        def judge(question, answer):
            message = client.messages.create(
                model='$judge_model',
                max_tokens=$max_tokens,
                system=$prompt_name,
                messages=[{
                    'role': 'user',
                    'content': f'<question>{question}</question>\n<answer>{answer}</answer>',
                }]$sampling,
            )
            return message.content[0].text
        """,
        """
        message = client.messages.create(
            model=MODEL,
            max_tokens=1024$sampling,
            messages=[{'role': 'user', 'content': $prompt_name}],
        )
        message.content[0].text
        """,
    ),
    "litellm": _snippets(
        r"""
        def judge(question, answer):
            response = completion(
                model='$litellm_model',
                messages=[
                    {'role': 'system', 'content': $prompt_name},
                    {'role': 'user', 'content': f'{question}\n\n{answer}'},
                ]$sampling,
            )
            return response['choices'][0]['message']['content']
        """,
        """
        response = litellm.completion(
            '$litellm_model', messages=[{'role': 'user', 'content': 'ping'}]$sampling
        )
        response
        """,
    ),
    "langchain": _snippets(
        r"""
        llm = ChatOpenAI(model='$judge_model'$sampling)
        prompt = ChatPromptTemplate.from_messages(
            [('system', $prompt_name), ('user', 'Question: {question}\nAnswer: {answer}')]
        )
        chain = prompt | llm | StrOutputParser()


        def judge(question, answer):
            return chain.invoke({'question': question, 'answer': answer})
        """,
    ),
}
_ASYNC_CALLS = _snippets(
    """
    from openai import AsyncOpenAI

    aclient = AsyncOpenAI()
    sem = asyncio.Semaphore(8)


    async def ajudge(row):
        async with sem:
            r = await aclient.chat.completions.create(
                model='$judge_model',
                messages=[{'role': 'user', 'content': $prompt_name.format(**row)}]$sampling,
            )
        return r.choices[0].message.content


    outputs = await asyncio.gather(*(ajudge(r) for r in $df.to_dict('records')))
    """,
)
_DEEPEVAL = _snippets(
    """
    from deepeval.metrics import GEval
    from deepeval.test_case import LLMTestCaseParams

    correctness = GEval(
        name='Correctness',
        criteria='Is the output factually correct?',
        evaluation_params=[LLMTestCaseParams.INPUT, LLMTestCaseParams.ACTUAL_OUTPUT],
        model='$judge_model',
    )
    """,
)
_SCORING = _snippets(
    """
    $results = []
    for row in tqdm($df.itertuples(), total=len($df)):
        reply = judge(row.question, row.answer)
        score = parse_score(reply)
        $results.append({'id': row.id, 'score': score, 'reply': reply})
    results_df = pd.DataFrame($results)
    results_df['score'].value_counts()
    """,
    """
    scores = []
    for i, example in enumerate(examples[:$n_samples]):
        try:
            out = judge(example['question'], example['answer'])
        except Exception as e:
            print(i, 'failed', e)
            continue
        scores.append(parse_score(out))
        if i % 25 == 0:
            print(i, out[:200])
    """,
    """
    $df['judge_reply'] = $df.apply(lambda r: judge(r['question'], r['answer']), axis=1)
    $df['score'] = $df['judge_reply'].map(parse_score)
    $df[['question', 'score']].head(20)
    """,
)
_ANALYSIS = _snippets(
    """
    accuracy = (results_df['score'] >= 4).mean()
    print(f'Accuracy: {accuracy:.3f}')
    """,
    """
    summary = results_df.groupby('category')['score'].agg(['mean', 'std', 'count'])
    summary
    """,
    """
    lo, hi = bootstrap_ci(results_df['score'].dropna())
    print(f'mean={results_df.score.mean():.3f} 95% CI=({lo:.3f}, {hi:.3f})')
    """,
    "pd.crosstab(results_df['label'], results_df['pred'], normalize='index').round(3)",
)
_PLOTS = _snippets(
    """
    fig, ax = plt.subplots(figsize=(10, 6))
    results_df['score'].hist(bins=5, ax=ax)
    ax.set_title('Judge score distribution ($topic)')
    plt.show()
    """,
    """
    sns.barplot(data=summary.reset_index(), x='category', y='mean')
    plt.xticks(rotation=45)
    plt.tight_layout()
    plt.savefig('scores_by_category.png', dpi=150)
    """,
    """
    fig, axes = plt.subplots(1, 2, figsize=(14, 5))
    sns.boxplot(data=results_df, x='model', y='score', ax=axes[0])
    sns.kdeplot(data=results_df, x='latency_s', ax=axes[1])
    plt.show()
    """,
)
_SAVES = _snippets(
    """results_df.to_csv(f'results/{JUDGE_MODEL}_{time.strftime("%Y%m%d")}.csv', index=False)""",
    """
    with open('results/scores.json', 'w') as f:
        json.dump($results, f, indent=2)
    """,
    "results_df.to_parquet('/home/$author/evals/${slug}_results.parquet')",
)
_GATES = _snippets(
    "assert accuracy >= $threshold, f'accuracy {accuracy:.3f} below threshold'",
    """
    if results_df['score'].mean() > $threshold:
        print('PASS')
    else:
        print('FAIL')
    """,
    """
    passed = accuracy > THRESHOLD
    print('ship it' if passed else 'regression!')
    """,
)
_FILLERS = _snippets(
    "$df.head()",
    "$df.columns",
    "len($df)",
    "$df.iloc[0].to_dict()",
    "print(judge('What is 2+2?', '4'))",
    "results_df[results_df.score <= 2].head(10)",
    "$df['category'].value_counts()",
    "%time reply = judge($df.iloc[0]['question'], $df.iloc[0]['answer'])",
    """
    %%time
    pairs = zip($df.question[:5], $df.answer[:5])
    sample_scores = [parse_score(judge(q, a)) for q, a in pairs]
    sample_scores
    """,
    """
    for r in results_df.sample(3).itertuples():
        print(r.reply)
        print('-' * 80)
    """,
    """
    # TODO: rerun with the new rubric
    # results_df = pd.read_csv('results/old.csv')
    """,
    """
    x = [1, 2, 3]
    sum(x) / len(x)
    """,
    """
    from IPython.display import display, Markdown

    display(Markdown(f'**Judge:** `{MODEL}`'))
    """,
    """
    def latency_stats(values):
        values = sorted(values)
        return {
            'p50': values[len(values) // 2],
            'p95': values[int(len(values) * 0.95)],
        }


    latency_stats(results_df['latency_s'].tolist())
    """,
)
_MARKDOWN_NOTES = _snippets(
    """
    ## Setup

    Install the dependencies and set `OPENAI_API_KEY` before running.
    """,
    """
    ## Load the eval set

    The eval set lives in `$data_path` ($n_samples examples).
    """,
    """
    ### Judge prompt

    The judge scores each answer from 1 to 5 against the rubric below.
    """,
    """
    ## Results

    | metric | value |
    |---|---|
    | accuracy | 0.83 |
    | mean score | 4.1 |
    """,
    "> **Note:** the judge is sensitive to answer length; see the appendix.",
    "Looks like the judge is stricter on the `billing` category. Need to check with $author.",
    r"""
    ## Analysis

    We compute a bootstrap CI: $$$$\bar{x} \pm 1.96 \cdot \sigma/\sqrt{n}$$$$
    """,
    """
    - [x] load data
    - [x] run judge
    - [ ] compare with human labels
    - [ ] write report
    """,
)


def _prompt_cell(plan: _Plan) -> str:
    """A long rubric prompt, as eval notebooks keep them: a triple-quoted module constant."""
    rng = plan.rng
    lines = [
        f"You are an impartial judge evaluating {plan.values['topic']}.",
        "",
        "Read the question, the reference and the candidate answer, then score the answer.",
        "!important: respond ONLY with JSON; 100% of replies must parse.",
        "",
        "Rubric:",
    ]
    for score in range(5, 0, -1):
        words = " ".join(rng.choices(_WORDS, k=rng.randint(12, 30)))
        lines.append(f"  {score} - {words}.")
    for _ in range(rng.randint(5, 60)):
        lines.append(" ".join(rng.choices(_WORDS, k=rng.randint(6, 14))))
    lines += ["", 'Reply as {{"score": <1-5>, "reasoning": "<one sentence>"}}.']
    body = "\n".join(lines)
    name = plan.values["prompt_name"]
    return f'{name} = """\n{body}\n"""\nprint(len({name}), "characters")'


# --------------------------------------------------------------------------------------------
# Outputs


def _png(rng: random.Random, approx_bytes: int) -> bytes:
    """A valid PNG of about ``approx_bytes``: noise pixels, stored without compression."""
    width = 640
    height = max(1, approx_bytes // (width * 3))
    rows = b"".join(b"\x00" + rng.randbytes(width * 3) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 0))
        + chunk(b"IEND", b"")
    )


def _png_size(rng: random.Random, level: str) -> int:
    median = {"light": 22_000, "heavy": 40_000, "huge": 60_000}[level]
    return int(min(900_000, max(6_000, rng.lognormvariate(math.log(median), 0.7))))


def _figure_output(rng: random.Random, level: str) -> dict:
    data = base64.b64encode(_png(rng, _png_size(rng, level))).decode("ascii")
    return v4.new_output(
        "display_data",
        data={"image/png": data + "\n", "text/plain": "<Figure size 1000x600 with 1 Axes>"},
        metadata={"needs_background": "light"} if rng.random() < 0.3 else {},
    )


def _stream(name: str, text: str) -> dict:
    return v4.new_output("stream", name=name, text=text)


def _judge_log(rng: random.Random, lines: int) -> str:
    out = []
    for i in range(lines):
        reason = " ".join(rng.choices(_WORDS, k=rng.randint(8, 40)))
        out.append(f"[{i}] score={rng.randint(1, 5)} | {reason}")
    return "\n".join(out) + "\n"


def _pip_log(rng: random.Random) -> str:
    packages = ("openai", "anthropic", "httpx", "pydantic", "tqdm", "numpy", "pandas", "jiter")
    lines = []
    for _ in range(rng.randint(8, 80)):
        name = rng.choice(packages)
        lines.append(
            f"Requirement already satisfied: {name}>=1.{rng.randint(0, 30)} in "
            f"/usr/local/lib/python3.10/dist-packages (from openai) (1.{rng.randint(0, 30)}.0)"
        )
    lines.append("Collecting openai==1.40.0")
    lines.append("  Downloading openai-1.40.0-py3-none-any.whl (360 kB)")
    lines.append(
        "     ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━ 360.4/360.4 kB 8.1 MB/s eta 0:00:00"
    )
    lines.append("Successfully installed openai-1.40.0")
    return "\n".join(lines) + "\n"


def _progress(rng: random.Random) -> str:
    total = rng.choice((50, 100, 200, 500, 1000))
    steps = sorted(rng.sample(range(1, total), k=min(total - 1, rng.randint(3, 40))))
    parts = [f"{100 * s // total:3d}%|{'█' * (10 * s // total):<10}| {s}/{total}" for s in steps]
    return "\r".join(parts) + f"\r100%|██████████| {total}/{total} [02:13<00:00,  3.74it/s]\n"


def _dataframe_output(rng: random.Random, rows: int) -> dict:
    cells = []
    plain = ["   id  score  category"]
    for i in range(rows):
        category = rng.choice(("billing", "shipping", "returns", "account"))
        score = rng.randint(1, 5)
        question = " ".join(rng.choices(_WORDS, k=rng.randint(5, 20)))
        cells.append(
            f"    <tr>\n      <th>{i}</th>\n      <td>{question}</td>\n      <td>{score}</td>\n"
            f"      <td>{category}</td>\n    </tr>\n"
        )
        plain.append(f"{i:5d}  {score:5d}  {category}")
    html = (
        '<div>\n<table border="1" class="dataframe">\n  <thead>\n    <tr style="text-align: '
        'right;">\n      <th></th>\n      <th>question</th>\n      <th>score</th>\n      '
        "<th>category</th>\n    </tr>\n  </thead>\n  <tbody>\n"
        + "".join(cells)
        + "  </tbody>\n</table>\n</div>"
    )
    return v4.new_output("execute_result", data={"text/html": html, "text/plain": "\n".join(plain)})


def _error_output(rng: random.Random) -> dict:
    ename, evalue = rng.choice(
        (
            ("RateLimitError", "Error code: 429 - {'error': {'message': 'Rate limit reached'}}"),
            ("KeyError", "'answer'"),
            ("JSONDecodeError", "Expecting value: line 1 column 1 (char 0)"),
            ("APIConnectionError", "Connection error."),
        )
    )
    traceback = [
        "\x1b[0;31m---------------------------------------------------------------------------"
        "\x1b[0m",
        f"\x1b[0;31m{ename}\x1b[0m                 Traceback (most recent call last)",
        "Cell \x1b[0;32mIn[12], line 3\x1b[0m\n\x1b[1;32m      1\x1b[0m results \x1b[38;5;241m=\x1b"
        "[39m []\n\x1b[0;32m----> 3\x1b[0m reply \x1b[38;5;241m=\x1b[39m judge(row)",
    ]
    for depth in range(rng.randint(2, 12)):
        traceback.append(
            f"File \x1b[0;32m/usr/local/lib/python3.10/site-packages/openai/_base_client.py:"
            f"{900 + depth * 17}\x1b[0m, in \x1b[0;36mSyncAPIClient.request\x1b[0;34m(self, "
            "cast_to, options, remaining_retries, stream, stream_cls)\x1b[0m"
        )
    traceback.append(f"\x1b[0;31m{ename}\x1b[0m: {evalue}")
    return v4.new_output("error", ename=ename, evalue=evalue, traceback=traceback)


def _fake_key(rng: random.Random) -> str:
    # Built at run time: the corpus needs leaked-looking keys, this source file must not hold one.
    alphabet = string.ascii_letters + string.digits
    return "sk-" + "proj-" * rng.randint(0, 1) + "".join(rng.choices(alphabet, k=48))


def _outputs_for(spec: _CellSpec, plan: _Plan) -> list[dict]:
    rng = plan.rng
    level = plan.output_level
    heavy = level in ("heavy", "huge")
    kind = spec.output
    if kind == "none" or level == "cleared":
        return []
    if level == "light" and rng.random() < 0.45:
        return []
    if kind == "plot":
        count = 1 if not heavy else rng.choice((1, 1, 2, 3))
        return [_figure_output(rng, level) for _ in range(count)]
    if kind == "df":
        return [_dataframe_output(rng, rng.choice((5, 10, 20, 60 if heavy else 10)))]
    if kind == "pip":
        return [_stream("stdout", _pip_log(rng))]
    if kind == "scoring":
        outputs = [_stream("stderr", _progress(rng))]
        lines = rng.randint(5, 60)
        if heavy:
            lines = rng.randint(100, 1_200)
        if level == "huge" and rng.random() < 0.4:
            lines = rng.randint(2_000, 8_000)
        outputs.append(_stream("stdout", _judge_log(rng, lines)))
        if rng.random() < 0.1:
            outputs.append(_error_output(rng))
        return outputs
    if kind == "leak":
        return [_stream("stdout", f"OPENAI_API_KEY={_fake_key(rng)}\n")]
    if kind == "print":
        if rng.random() < 0.04:
            return [_error_output(rng)]
        text = f"{rng.random():.4f}\n" if rng.random() < 0.5 else _judge_log(rng, rng.randint(1, 8))
        return [_stream("stdout", text)]
    if kind == "value":
        return [v4.new_output("execute_result", data={"text/plain": repr(rng.random())})]
    return []


# --------------------------------------------------------------------------------------------
# Assembling a notebook


def _plan(rng: random.Random) -> _Plan:
    topic, slug = rng.choice(_TOPICS)
    pinned = rng.random() < 0.35
    models = _PINNED_MODELS if pinned else _FLOATING_MODELS
    provider = rng.choice(("openai", "openai", "anthropic", "litellm", "langchain"))
    if provider == "anthropic":
        judge = rng.choice([m for m in models if m.startswith("claude")])
    elif provider == "langchain":
        judge = rng.choice([m for m in models if not m.startswith("claude")])
    else:
        judge = rng.choice(models)
    litellm_prefix = "anthropic/" if judge.startswith("claude") else "openai/"
    sampling_set = rng.random() < 0.5
    seed = rng.choice((0, 1, 7, 42, 1234, 2024))
    sampling = ""
    if sampling_set:
        sampling = rng.choice(
            (", temperature=0", ", temperature=0.0, top_p=1", f", temperature=0, seed={seed}")
        )
        if provider == "anthropic":
            sampling = ", temperature=0"
    extension = rng.choice(("csv", "jsonl", "jsonl"))
    level = rng.choices(("cleared", "light", "heavy", "huge"), weights=(25, 42, 27, 6))[0]
    values = {
        "topic": topic,
        "slug": slug,
        "judge_model": judge,
        "candidate_model": rng.choice(_FLOATING_MODELS + _PINNED_MODELS),
        "litellm_model": litellm_prefix + judge,
        "sampling": sampling,
        "seed": str(seed),
        "n_samples": str(rng.choice((50, 100, 200, 500, 1000))),
        "threshold": rng.choice(("0.8", "0.85", "0.9", "4.0", "3.5")),
        "max_tokens": str(rng.choice((256, 512, 1024))),
        "df": rng.choice(("df", "df", "data", "eval_df", "dataset_df")),
        "results": rng.choice(("results", "rows", "records")),
        "prompt_name": rng.choice(("JUDGE_PROMPT", "SYSTEM_PROMPT", "RUBRIC", "judge_prompt")),
        "data_path": f"data/{slug}_v{rng.randint(1, 4)}.{extension}",
        "hf_dataset": rng.choice(
            ("gsm8k", "truthful_qa", "squad", "cais/mmlu", "openai_humaneval")
        ),
        "revision": rng.choice(
            ("", "", ", revision='refs/convert/parquet'", ", revision='a1b2c3d'")
        ),
        "author": rng.choice(_AUTHORS),
    }
    return _Plan(
        rng=rng,
        values=values,
        provider=provider,
        pinned=pinned,
        sampling_set=sampling_set,
        seeded=rng.random() < 0.45,
        has_parameters=rng.random() < 0.15,
        executed=level != "cleared",
        out_of_order=rng.random() < 0.3,
        output_level=level,
        colab=rng.random() < 0.3,
    )


def _fill(plan: _Plan, template: str) -> str:
    return Template(template).substitute(plan.values)


def _storyline(plan: _Plan) -> list[_CellSpec]:
    """The cells an eval notebook is usually made of, in the order people write them."""
    rng = plan.rng
    pick = rng.choice

    def code(template: str, output: str = "none", tags: tuple[str, ...] = ()) -> _CellSpec:
        return _CellSpec("code", _fill(plan, template), output, tags)

    def markdown(text: str) -> _CellSpec:
        return _CellSpec("markdown", _fill(plan, text))

    title = f"# Eval: {plan.values['topic']}\n\nJudge: `{plan.values['judge_model']}`"
    story = [_CellSpec("markdown", title)]
    if rng.random() < 0.6:
        story.append(code(pick(_INSTALLS), "pip"))
    if rng.random() < 0.2:
        story.append(code(pick(_CELL_MAGIC_INSTALLS)))
    story.append(code(pick(_IMPORTS)))
    story.append(code(_PROVIDER_IMPORTS[plan.provider]))
    if rng.random() < 0.03:
        key_line = f"os.environ['OPENAI_API_KEY'] = '{_fake_key(rng)}'"
        story.append(_CellSpec("code", key_line))
    if plan.has_parameters:
        story.append(code(pick(_PARAMETERS), tags=("parameters",)))
    story.append(code(pick(_CONFIG), "value"))
    story.append(code(pick(_SEEDED)) if plan.seeded else code(pick(_UNSEEDED), "df"))
    story.append(markdown(pick(_MARKDOWN_NOTES)))
    story.append(code(pick(_LOADS), "df"))
    story.append(_CellSpec("code", _prompt_cell(plan), "print"))
    story.append(code(pick(_HELPERS)))
    if rng.random() < 0.4:
        story.append(code(pick(_CLASSES)))
    story.append(code(pick(_JUDGE_CALLS[plan.provider]), "print"))
    if rng.random() < 0.15:
        story.append(code(pick(_ASYNC_CALLS)))
    if rng.random() < 0.08:
        story.append(code(pick(_DEEPEVAL)))
    story.append(code(pick(_SCORING), "scoring"))
    story.append(markdown(pick(_MARKDOWN_NOTES)))
    story.append(code(pick(_ANALYSIS), "print"))
    story.append(code(pick(_PLOTS), "plot"))
    if rng.random() < 0.7:
        story.append(code(pick(_SAVES)))
    if rng.random() < 0.5:
        story.append(code(pick(_GATES), "print"))
    if plan.has_parameters and rng.random() < 0.5:
        story.append(code("judge_model = 'gpt-4o'  # quick override while debugging"))
    if rng.random() < 0.02:
        story.append(code("import os\nprint(os.environ)", "leak"))
    return story


def _filler(plan: _Plan) -> _CellSpec:
    rng = plan.rng
    roll = rng.random()
    if roll < 0.25:
        return _CellSpec("markdown", _fill(plan, rng.choice(_MARKDOWN_NOTES)))
    if roll < 0.32:
        return _CellSpec("code", _fill(plan, rng.choice(_SHELL_LOOKS)), "print")
    if roll < 0.40:
        return _CellSpec("code", _fill(plan, rng.choice(_PLOTS)), "plot")
    if roll < 0.47:
        return _CellSpec("code", _fill(plan, rng.choice(_JUDGE_CALLS[plan.provider])), "print")
    if roll < 0.52:
        return _CellSpec("code", _fill(plan, rng.choice(_UNSEEDED)), "df")
    if roll < 0.55:
        return _CellSpec("code", _fill(plan, rng.choice(_HELPERS + _CLASSES)))
    if roll < 0.57:
        return _CellSpec("code", "")
    output = rng.choice(("df", "print", "value", "none"))
    return _CellSpec("code", _fill(plan, rng.choice(_FILLERS)), output)


def _cell_count(rng: random.Random) -> int:
    return int(min(120, max(5, round(rng.lognormvariate(math.log(24), 0.65)))))


def _cell_specs(plan: _Plan, cell_count: int | None) -> list[_CellSpec]:
    rng = plan.rng
    target = cell_count if cell_count is not None else _cell_count(rng)
    story = _storyline(plan)
    if len(story) > target:
        keep = sorted(rng.sample(range(1, len(story)), k=target - 1))
        story = [story[0]] + [story[i] for i in keep]
    while len(story) < target:
        story.insert(rng.randint(2, len(story)), _filler(plan))
    return story


_BREAKERS: tuple[Callable[[str], str], ...] = (
    lambda source: source.rstrip().rstrip(")") if source.rstrip().endswith(")") else source + "(",
    lambda source: source + "\nprint 'done'",
    lambda source: source + "\nlabel = 'unterminated",
    lambda source: "<<<<<<< HEAD\n" + source + "\n=======\nx = 1\n>>>>>>> main",
    lambda source: source + "\nelse:\n    pass",
    lambda source: "def report(:\n    pass\n" + source,
)


def _has_ipython_syntax(source: str) -> bool:
    return any(
        line.lstrip().startswith(("%", "!")) or "= !" in line or line.rstrip().endswith("?")
        for line in source.split("\n")
    )


def _break_a_cell(plan: _Plan, specs: list[_CellSpec]) -> int:
    # Only plain Python cells: a stray "(" after "!ls" is shell, not a syntax error.
    candidates = [
        i
        for i, spec in enumerate(specs)
        if spec.cell_type == "code" and spec.source and not _has_ipython_syntax(spec.source)
    ]
    if not candidates:
        return 0
    index = plan.rng.choice(candidates)
    breaker = plan.rng.choice(_BREAKERS)
    specs[index].source = breaker(specs[index].source)
    return 1


def _cell_id(rng: random.Random) -> str:
    return "".join(rng.choices("0123456789abcdef", k=8))


def _execution_counts(plan: _Plan, code_cells: int) -> list[int | None]:
    if not plan.executed:
        return [None] * code_cells
    counts: list[int | None] = list(range(1, code_cells + 1))
    if plan.out_of_order and code_cells > 2:
        rng = plan.rng
        start = rng.randint(3, 40)
        counts = [start + i for i in range(code_cells)]
        for _ in range(rng.randint(1, 4)):
            i, j = rng.randrange(code_cells), rng.randrange(code_cells)
            counts[i], counts[j] = counts[j], counts[i]
        for _ in range(rng.randint(0, 3)):
            counts[rng.randrange(code_cells)] = None
    return counts


def generate_notebook(
    rng: random.Random, cell_count: int | None = None
) -> tuple[nbformat.NotebookNode, int]:
    """One nbformat 4 notebook and how many of its cells were deliberately broken."""
    plan = _plan(rng)
    specs = _cell_specs(plan, cell_count)
    broken = _break_a_cell(plan, specs) if rng.random() < _BROKEN_CELL_SHARE else 0
    code_total = sum(spec.cell_type == "code" for spec in specs)
    counts = iter(_execution_counts(plan, code_total))
    with_ids = rng.random() < 0.7
    cells = []
    for spec in specs:
        if spec.cell_type == "markdown":
            cell = v4.new_markdown_cell(spec.source)
            if rng.random() < 0.01:
                png = base64.b64encode(_png(rng, rng.randint(15_000, 80_000))).decode("ascii")
                cell.source += "\n\n![diagram.png](attachment:diagram.png)"
                cell.attachments = {"diagram.png": {"image/png": png}}
        else:
            count = next(counts)
            outputs = _outputs_for(spec, plan) if count is not None else []
            for output in outputs:
                if output.output_type == "execute_result":
                    output.execution_count = count
            cell = v4.new_code_cell(spec.source, execution_count=count, outputs=outputs)
            if spec.tags:
                cell.metadata["tags"] = list(spec.tags)
            if plan.colab and rng.random() < 0.5:
                cell.metadata["colab"] = {"base_uri": "https://localhost:8080/"}
        if with_ids:
            cell.id = _cell_id(rng)
        else:
            cell.pop("id", None)
        cells.append(cell)
    metadata: dict = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python", "version": rng.choice(("3.10.12", "3.11.9", "3.12.4"))},
    }
    if plan.colab:
        metadata["colab"] = {"provenance": [], "gpuType": "T4"}
        metadata["accelerator"] = "GPU"
    # Cells are attached after construction: ``new_notebook`` validates, and validation would
    # quietly add ids to the cells of a minor-4 notebook, which real old notebooks lack.
    notebook = v4.new_notebook(metadata=metadata)
    notebook.nbformat_minor = 5 if with_ids else 4
    notebook.cells = cells
    return notebook, broken


# --------------------------------------------------------------------------------------------
# Scripts

_JUPYTEXT_HEADER = """# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.16.1
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---
"""


def _commented_escapes(source: str) -> str:
    # jupytext comments out IPython escapes so that the script stays valid Python.
    return "\n".join(
        "# " + line if _has_ipython_syntax(line) else line for line in source.split("\n")
    )


def _script(rng: random.Random, percent: bool) -> tuple[str, int, int, int]:
    """Text of a percent (or plain) script; and its cell, code-cell and broken-cell counts."""
    plan = _plan(rng)
    plan.output_level = "cleared"
    specs = [s for s in _cell_specs(plan, None) if not s.source.lstrip().startswith("%%")]
    broken = _break_a_cell(plan, specs) if rng.random() < _BROKEN_CELL_SHARE else 0
    code_cells = sum(spec.cell_type == "code" for spec in specs)
    if not percent:
        body = "\n\n".join(
            _commented_escapes(s.source) for s in specs if s.cell_type == "code" and s.source
        )
        return f'"""Eval script: {plan.values["topic"]}."""\n\n{body}\n', 1, 1, broken
    parts = [_JUPYTEXT_HEADER]
    for spec in specs:
        if spec.cell_type == "markdown":
            commented = "\n".join(("# " + line).rstrip() for line in spec.source.split("\n"))
            parts.append(f"# %% [markdown]\n{commented}\n")
        else:
            tags = f" tags=[{', '.join(repr(t) for t in spec.tags)}]" if spec.tags else ""
            parts.append(f"# %%{tags}\n{_commented_escapes(spec.source)}\n")
    return "\n".join(parts), len(specs), code_cells, broken


# --------------------------------------------------------------------------------------------
# The corpus


def _file_rng(seed: int, index: int) -> random.Random:
    # One generator per file: a file's content does not depend on how many came before it.
    return random.Random(f"nbgraduate-bench:{seed}:{index}")


def _relative_path(rng: random.Random, index: int, suffix: str) -> Path:
    project = f"project_{index % 41:02d}"
    folder = rng.choice(("notebooks", "evals", "experiments/judge", "scratch", ""))
    topic = rng.choice(_TOPICS)[1]
    name = f"{index:05d}_{topic}_{rng.choice(('eval', 'judge', 'analysis', 'v2', 'final'))}"
    return Path(project, folder, name + suffix)


def generate_corpus(
    directory: Path | str, count: int = DEFAULT_COUNT, seed: int = DEFAULT_SEED
) -> CorpusSummary:
    """Write ``count`` notebooks and scripts under ``directory``; the same seed, the same bytes."""
    root = Path(directory)
    summary = CorpusSummary(directory=root)
    for index in range(count):
        rng = _file_rng(seed, index)
        roll = rng.random()
        if roll < _PERCENT_SCRIPT_SHARE + _PLAIN_SCRIPT_SHARE:
            percent = roll < _PERCENT_SCRIPT_SHARE
            text, cells, code_cells, broken = _script(rng, percent)
            path = root / _relative_path(rng, index, ".py")
            if percent:
                summary.percent_scripts += 1
            else:
                summary.plain_scripts += 1
        else:
            notebook, broken = generate_notebook(rng)
            cells = len(notebook.cells)
            code_cells = sum(cell.cell_type == "code" for cell in notebook.cells)
            if roll < _PERCENT_SCRIPT_SHARE + _PLAIN_SCRIPT_SHARE + _V3_SHARE:
                text = nbformat.writes(nbformat.convert(notebook, 3))
                summary.ipynb_v3 += 1
            else:
                text = nbformat.writes(notebook)
                summary.ipynb_v4 += 1
            path = root / _relative_path(rng, index, ".ipynb")
        data = text.encode("utf-8")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        summary.files += 1
        summary.total_bytes += len(data)
        summary.cells += cells
        summary.code_cells += code_cells
        summary.broken_cells += broken
        summary.paths.append(path)
    return summary


def write_typical_notebook(path: Path | str, seed: int = DEFAULT_SEED, cells: int = 20) -> Path:
    """Write one ordinary executed notebook of ``cells`` cells (for cold-start timing)."""
    rng = random.Random(f"nbgraduate-bench-typical:{seed}")
    notebook, _ = generate_notebook(rng, cell_count=cells)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(nbformat.writes(notebook), encoding="utf-8")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path, help="where to write the corpus")
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT, help="number of files")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="corpus seed")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("--count must be at least 1")
    summary = generate_corpus(args.directory, args.count, args.seed)
    print(
        f"wrote {summary.files} files ({summary.ipynb_v4} ipynb v4, {summary.ipynb_v3} ipynb v3, "
        f"{summary.percent_scripts} percent scripts, {summary.plain_scripts} plain scripts), "
        f"{summary.total_bytes / 1e6:.1f} MB, {summary.cells} cells ({summary.code_cells} code, "
        f"{summary.broken_cells} deliberately broken) to {summary.directory}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
