"""NBG101: a model or judge id that is a moving alias rather than a fixed snapshot."""

from __future__ import annotations

from collections.abc import Iterator

from nbgraduate.analysis.llm_calls import hosting_service, local_server_call
from nbgraduate.analysis.model_servers import pinned_served_models
from nbgraduate.lint.promptfoo_configs import (
    ConfigModel,
    config_models,
    promptfoo_runs,
    read_config,
    written_config,
)
from nbgraduate.lint.rules.base import Example, Finding, Rule

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from nbgraduate.analysis.model_refs import ModelReference
    from nbgraduate.knowledge.model_policy import ModelIdVerdict, ModelPolicy
    from nbgraduate.lint.context import LintContext


class FloatingModelId(Rule):
    """Checks every model and judge id the notebook uses (in API calls, chat-model and judge
    constructors, config dicts, lists and dicts of models that are iterated or indexed, HTTP
    payloads, ``**`` dicts, function defaults, arguments of the notebook's own functions that
    reach a model call, environment defaults, and the command lines of
    eval CLIs such as ``lm_eval``, ``inspect eval`` and ``oaieval``) against the provider's
    pinning policy, and reports ids that are aliases, at the literal that defines them. Provider
    prefixes and URIs (``openai/gpt-4o``, ``openai:/gpt-4o-mini``, ``openai:chat:gpt-4``) are
    understood; Ollama tags always float, through Ollama's module, its clients, an OpenAI
    client or an HTTP request to an Ollama server; embedding and retrieval models are not
    judged. The policy is data (``model_policy.toml``) and can be extended in ``[tool.nbgraduate.models]``.

    A ``!promptfoo eval -c <config>`` line (or ``promptfooconfig.yaml`` without ``-c``) brings
    in the providers and graders of that configuration: written by an earlier ``%%writefile``
    cell, each floating id is reported on its line of the cell; otherwise the file is read
    beside the notebook, only inside the repository, and each floating id is reported at the
    line that names the file."""

    code = "NBG101"
    name = "floating-model-id"
    summary = "Model or judge id is a moving alias, not a pinned snapshot"
    rationale = """
        Providers re-point aliases such as ``gpt-4o`` or ``claude-sonnet-4-5`` to newer snapshots
        without notice. A score produced today by an alias cannot be reproduced next month, and
        a judge alias silently changes the yardstick itself. Pin the dated snapshot
        (``gpt-4o-2024-08-06``) or, for Hugging Face models, a ``revision`` commit sha. An
        ``org/name`` served by a hosted API (Together AI, Groq, Fireworks, OpenRouter) takes no
        revision: use a dated or versioned id where the service lists one, or record the model
        version its API reports.
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
        Example(
            'for model in ["gpt-4o", "o3-mini"]:\n'
            "    reply = client.chat.completions.create(model=model, temperature=0, messages=[])\n",
            note="ids in collections that are iterated or indexed",
        ),
        Example(
            'MODELS = {"fast": "gpt-4o-mini", "smart": "gpt-4o-2024-08-06"}\n'
            'llm = ChatOpenAI(model=MODELS["fast"], temperature=0)\n'
        ),
        Example(
            "import itertools\n"
            'candidates = ["claude-3-5-sonnet-latest", "gpt-4.1"]\n'
            "for name, prompt in itertools.product(candidates, prompts):\n"
            "    run(name, prompt)\n"
            "# %%\n"
            'configs = [{"model": "mistral-large-latest", "temperature": 0}]\n'
        ),
        Example(
            'names = ["gpt-4o-2024-08-06", "gpt-4o"]\n'
            "reply = client.chat.completions.create(model=names[1], temperature=0, messages=[])\n"
        ),
        Example(
            'from trulens.providers.openai import OpenAI\nprovider = OpenAI(model_engine="gpt-4o")\n'
            "# %%\n"
            'metric = Groundedness(model="openai:/gpt-4o-mini")\n',
            note="judge constructors, provider URIs (MLflow openai:/, promptfoo openai:chat:)",
        ),
        Example('providers = ["openai:chat:gpt-4", "mistral/mistral-tiny"]\n'),
        Example(
            "import requests\n"
            'which = "gpt-4o"\n'
            'r = requests.post(url, json={"model": which, "messages": []})\n',
            note="HTTP payloads",
        ),
        Example("!oaieval gpt-3.5-turbo test-match\n", note="eval CLIs on ! and %%bash lines"),
        Example("!inspect eval arc.py --model openai/gpt-4o --limit 10\n"),
        Example("!npx promptfoo@latest eval -r openai:chat:gpt-4o-mini -c promptfooconfig.yaml\n"),
        Example(
            "%%bash\nlm_eval --model hf \\\n    --model_args pretrained=EleutherAI/pythia-160m \\\n"
            "    --tasks hellaswag\n"
        ),
        Example(
            "import lm_eval\n"
            'results = lm_eval.simple_evaluate(model="hf", model_args="pretrained=microsoft/phi-2")\n'
        ),
        Example(
            "from huggingface_hub import InferenceClient\n"
            'client = InferenceClient("meta-llama/Llama-3.1-8B-Instruct")\n'
            "# %%\n"
            "import dspy\n"
            'lm = dspy.LM("openai/gpt-4o-mini", temperature=0)\n',
            note="LLM clients beyond OpenAI and Anthropic",
        ),
        Example(
            "from openai import AsyncOpenAI\n"
            "aclient = AsyncOpenAI()\n"
            'reply = await aclient.chat.completions.create(model="gpt-4o", temperature=0, messages=[])\n',
            note="async clients, OpenAI-compatible servers, structured-output and responses calls",
        ),
        Example(
            'vllm = OpenAI(base_url="http://localhost:8000/v1", api_key="EMPTY")\n'
            "out = vllm.chat.completions.create(\n"
            '    model="Qwen/Qwen2.5-7B-Instruct", temperature=0, seed=0, messages=[]\n'
            ")\n"
        ),
        Example(
            'parsed = OpenAI().beta.chat.completions.parse(model="gpt-4o-mini", messages=[])\n'
        ),
        Example('answer = OpenAI().responses.parse(model="o3-mini", input="2+2?")\n'),
        Example(
            "import aiohttp\n"
            "async with aiohttp.ClientSession() as session:\n"
            '    await session.post(url, json={"model": "sonar-small", "temperature": 0})\n',
            note="aiohttp and httpx payloads",
        ),
        Example(
            "import httpx\n"
            'httpx.post(url, json={"model": "grok-beta", "messages": [], "temperature": 0})\n'
        ),
        Example(
            "import litellm\n"
            'reply = litellm.completion(model="azure/eval-judge", messages=[], temperature=0)\n',
            note="an Azure deployment name hides the model version behind it",
        ),
        Example(
            "from google import genai\n"
            "client = genai.Client()\n"
            'reply = client.models.generate_content(model="gemini-1.5-flash", contents="hi")\n'
        ),
        Example(
            "import ollama\n"
            'reply = ollama.chat(model="llama3", messages=[], options={"temperature": 0})\n',
            note="Ollama tags move with `ollama pull`",
        ),
        Example(
            'prompt = {"messages": [], "temperature": 0}\n'
            'm = "gpt-4o"\n'
            'reply = client.chat.completions.create(**{**prompt, "model": m})\n',
            note="splatted dicts are resolved",
        ),
        Example(
            'candidate_model_2 = "gpt-4o"\n'
            'judgeModel = "claude-3-5-sonnet-latest"\n'
            'AZURE_DEPLOYMENT = "gpt-4o-mini"\n'
            'reflection_lm_name = "gpt-4.1"\n',
            note="names with numeric suffixes, _id/_name, deployment, engine, any case",
        ),
        Example(
            'MODEL_A_NAME = "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo"\n'
            'model_b = "gpt-4o"\n'
            "# %%\n"
            'topic = RestrictToTopic(valid_topics=["sports"], llm_callable="gpt-4o-mini")\n',
            note="the sides of an A/B comparison; a Guardrails validator's llm_callable",
        ),
        Example('%store -r JUDGE\n# %%\nimport json\nJUDGE_MODEL_ID = "gpt-4o"\n'),
        Example(
            "from haystack.components.generators import HuggingFaceLocalGenerator\n"
            'generator = HuggingFaceLocalGenerator("org/extractor-7b",\n'
            '    generation_kwargs={"temperature": 0.0})\n',
            note="a Hugging Face repo given positionally to a Haystack local generator",
        ),
        Example(
            "from openai import OpenAI\n"
            'together = OpenAI(base_url="https://api.together.xyz/v1")\n'
            "reply = together.chat.completions.create(\n"
            '    model="meta-llama/Llama-3.3-70B-Instruct-Turbo", temperature=0, messages=[]\n'
            ")\n",
            note="an org/name served by a hosted API (Together AI, Groq, OpenRouter): no "
            "revision pins it; use a versioned id or record the served model version",
        ),
        Example(
            "import mlflow\n"
            "metric = mlflow.metrics.genai.answer_correctness(\n"
            '    model="bedrock:/anthropic.claude-v2"\n'
            ")\n",
            note="a Bedrock id without its -vN:M version, here as an MLflow bedrock:/ URI",
        ),
        Example(
            "!ragas evals evals.py --dataset qa.csv --metrics faithfulness --model gpt-4o\n",
            note="the ragas command line",
        ),
        Example(
            'grader = LLMJudge(model_name="gpt-4o")\n'
            'pairwise = PairwiseEvaluator(judge_model="claude-3-5-sonnet-latest")\n'
            'faithfulness = Faithfulness(llm="gpt-4o-mini")\n',
            note="judge constructors' model_name=, judge_model= and llm= keywords",
        ),
        Example(
            "from groq import Groq\n"
            "client = Groq()\n"
            "reply = client.chat.completions.create(\n"
            '    model="meta-llama/llama-4-scout-17b-16e-instruct", temperature=0, messages=[]\n'
            ")\n",
            note="Groq, Cohere v2 and Azure OpenAI clients",
        ),
        Example(
            "import cohere\n"
            "co = cohere.ClientV2()\n"
            'reply = co.chat(model="command-r-plus", messages=[], temperature=0)\n'
        ),
        Example(
            "from openai import AzureOpenAI\n"
            'client = AzureOpenAI(api_version="2024-06-01", azure_endpoint=ENDPOINT)\n'
            'reply = client.chat.completions.create(model="gpt-4o", temperature=0, messages=[])\n'
        ),
        Example(
            "from together import Together\n"
            "client = Together()\n"
            "reply = client.chat.completions.create(\n"
            '    model="meta-llama/Llama-3.3-70B-Instruct-Turbo", temperature=0, messages=[]\n'
            ")\n",
            note="Together's own SDK",
        ),
        Example(
            "from openai import AzureOpenAI\n"
            'client = AzureOpenAI(api_version="2024-06-01", azure_endpoint=ENDPOINT)\n'
            'reply = client.chat.completions.create(model="eval-judge", temperature=0, messages=[])\n'
            "from langchain_openai import AzureChatOpenAI\n"
            'judge = AzureChatOpenAI(azure_deployment="eval-judge", temperature=0)\n',
            note="Azure OpenAI deployments named by the user (the OpenAI SDK's client, "
            "LangChain's chat model): the model version behind one is set in Azure and can be "
            "upgraded in place",
        ),
        Example(
            "from huggingface_hub import InferenceClient\n"
            "client = InferenceClient()\n"
            'out = client.text_generation("2+2?", model="mistralai/Mistral-7B-Instruct-v0.3")\n',
            note="Hugging Face InferenceClient text_generation and post",
        ),
        Example(
            "from huggingface_hub import InferenceClient\n"
            'raw = InferenceClient().post(json={"inputs": "2+2?"}, model="HuggingFaceH4/zephyr-7b-beta")\n'
        ),
        Example(
            "!promptfoo eval -c promptfooconfig.yaml\n",
            note="the providers and graders of a promptfoo configuration beside the notebook",
            files=(
                "==> promptfooconfig.yaml <==\n"
                "prompts: [prompt.txt]\n"
                "providers:\n"
                "  - openai:chat:gpt-4o-mini\n"
                "defaultTest:\n"
                "  options:\n"
                "    provider: anthropic:messages:claude-3-5-sonnet-latest\n"
            ),
        ),
        Example(
            "%%writefile promptfooconfig.yaml\n"
            "providers:\n"
            "  - id: openai:gpt-4o\n"
            "    config: {temperature: 0}\n"
            "# %%\n"
            "!npx promptfoo@latest eval -c promptfooconfig.yaml\n",
            note="or one the notebook writes (reported on the id's line)",
        ),
        Example(
            "def ask(question, m):\n"
            "    return client.chat.completions.create(model=m, temperature=0, messages=[])\n"
            "# %%\n"
            'reply = ask("2+2?", "gpt-4-turbo")\n'
            'scores = {m: ask("2+2?", m) for m in ("gpt-4o", "o3-mini")}\n',
            note="ids passed to, or iterated into, the notebook's own functions that call a model",
        ),
        Example(
            "import ollama\n"
            'oc = ollama.Client(host="http://localhost:11434")\n'
            'reply = oc.chat(model="llama3", messages=[])\n'
            "# %%\n"
            'local = OpenAI(base_url="http://localhost:11434/v1", api_key="ollama")\n'
            'out = local.chat.completions.create(model="mistral", temperature=0, messages=[])\n'
            "# %%\n"
            "import requests\n"
            'url = "http://localhost:11434/api/generate"\n'
            'r = requests.post(url, json={"model": "qwen2.5", "prompt": "2+2?"})\n',
            note="Ollama's clients, an OpenAI client on an Ollama server, Ollama's HTTP API",
        ),
        Example(
            'cfg = {"model": "gpt-4o", "temperature": 0, "score_threshold": 0.5}\n'
            "mlflow.log_params(cfg)\n"
            "reply = client.chat.completions.create(**cfg, messages=[])\n",
            note="a configuration that is logged and also sent to the model",
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
        Example(
            "from langchain_huggingface import HuggingFaceEmbeddings\n"
            'emb = HuggingFaceEmbeddings(model_name="sentence-transformers/all-MiniLM-L6-v2")\n'
            'DENSE_MODEL = "BAAI/bge-small-en-v1.5"\n'
            'reranker = CohereRerank(model="rerank-english-v3.0")\n',
            note="embedding, reranking and retrieval models are not judged",
        ),
        Example(
            'client.run_on_dataset(project_metadata={"llm": "claude-2", "model": "gpt-4"})\n'
            'import polars as pl\ndf = df.with_columns(pl.lit("gpt-4").alias("source"))\n'
            'lms = [{"name": "GPT-4", "lm": gpt4}]\n'
            'record = AthinaExperiment(experiment_name="baseline", language_model_id="gpt-4")\n',
            note="ids used as labels or metadata (an experiment record's description too)",
        ),
        Example(
            'JUDGES = ["gpt-4o-2024-08-06", "claude-3-5-sonnet-20241022"]\n'
            'JUDGE_NAMES = {"gpt-4o-2024-08-06": "GPT-4o", "claude-3-5-sonnet-20241022": "Claude"}\n',
            note="a dict keyed by model ids holds their display names, not models",
        ),
        Example(
            'output_model_dir = "my-org/judge-finetune"\n'
            'trainer.push_to_hub(repo_id="my-org/judge-finetune")\n',
            note="local output folders and upload destinations",
        ),
        Example(
            "!lm_eval --model hf --model_args "
            "pretrained=EleutherAI/pythia-160m,revision=0e9e39f249a16976918f6564b8830bc894c89659\n"
            "!inspect eval arc.py --model openai/gpt-4o-2024-08-06\n"
        ),
        Example(
            'for model in ["gpt-4o-2024-08-06", "claude-3-5-sonnet-20241022"]:\n'
            "    evaluate(model)\n"
            'judge_model_3 = "openai:/gpt-4o-mini-2024-07-18"\n'
        ),
        Example(
            "import litellm\n"
            'reply = litellm.completion(model="azure/gpt-4o-2024-08-06", messages=[], temperature=0)\n'
            'grok = {"model": "grok-2-1212", "temperature": 0}\n',
            note="a deployment that names its pinned snapshot; dated xAI releases",
        ),
        Example(
            "from haystack.components.generators import HuggingFaceLocalGenerator\n"
            'generator = HuggingFaceLocalGenerator("org/extractor-7b",\n'
            '    huggingface_pipeline_kwargs={"revision": "3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a"},\n'
            '    generation_kwargs={"temperature": 0.0})\n',
            note="pinned through the pipeline's keyword arguments",
        ),
        Example(
            "import mlflow\n"
            "metric = mlflow.metrics.genai.answer_correctness(\n"
            '    model="bedrock:/anthropic.claude-3-5-sonnet-20240620-v1:0"\n'
            ")\n"
            "!ragas evals evals.py --dataset qa.csv --metrics faithfulness --model gpt-4o-2024-08-06\n",
        ),
        Example(
            'grader = LLMJudge(model_name="gpt-4o-2024-08-06")\n'
            'pairwise = PairwiseEvaluator(judge_model="claude-3-5-sonnet-20241022")\n'
            'faithfulness = Faithfulness(llm="gpt-4o-mini-2024-07-18")\n'
        ),
        Example(
            "import cohere\n"
            "co = cohere.ClientV2()\n"
            'reply = co.chat(model="command-r-plus-08-2024", messages=[], temperature=0)\n'
            "# %%\n"
            "from openai import AzureOpenAI\n"
            'azure = AzureOpenAI(api_version="2024-06-01", azure_endpoint=ENDPOINT)\n'
            "reply = azure.chat.completions.create(\n"
            '    model="gpt-4o-2024-08-06", temperature=0, messages=[]\n'
            ")\n",
            note="a dated Cohere version; an Azure deployment named after its pinned snapshot",
        ),
        Example(
            "from groq import Groq\n"
            "client = Groq()\n"
            "reply = client.chat.completions.create(\n"
            '    model="llama-3.3-70b-versatile", temperature=0, messages=[]\n'
            ")\n",
            note="a Groq catalogue id that is no Hugging Face org/name and no alias the policy "
            "knows is not judged",
        ),
        Example(
            "from together import Together\n"
            "client = Together()\n"
            "vectors = client.embeddings.create(\n"
            '    model="togethercomputer/m2-bert-80M-8k-retrieval", input=["2+2?"]\n'
            ")\n"
            "# %%\n"
            "from huggingface_hub import InferenceClient\n"
            'tgi = InferenceClient("http://localhost:8080")\n'
            'out = tgi.text_generation("2+2?", max_new_tokens=8)\n'
            'raw = InferenceClient().post(json={"inputs": ["2+2?"]}, model="BAAI/bge-small-en-v1.5")\n',
            note="embedding models through Together's SDK and InferenceClient; a local "
            "text-generation server, whose launch decides the weights",
        ),
        Example(
            "import itertools\n"
            'candidates = ["claude-3-5-sonnet-20241022", "gpt-4.1-2025-04-14"]\n'
            "for name, prompt in itertools.product(candidates, prompts):\n"
            "    run(name, prompt)\n"
            "# %%\n"
            'configs = [{"model": "mistral-large-2411", "temperature": 0}]\n',
            note="pinned ids in product loops and lists of config dicts",
        ),
        Example(
            "import requests\n"
            'which = "gpt-4o-2024-08-06"\n'
            'r = requests.post(url, json={"model": which, "messages": []})\n'
            "import httpx\n"
            'httpx.post(url, json={"model": "grok-2-1212", "messages": [], "temperature": 0})\n',
            note="HTTP payloads naming pinned ids",
        ),
        Example(
            "from openai import AsyncOpenAI, OpenAI\n"
            "aclient = AsyncOpenAI()\n"
            "reply = await aclient.chat.completions.create(\n"
            '    model="gpt-4o-2024-08-06", temperature=0, messages=[]\n'
            ")\n"
            'parsed = OpenAI().beta.chat.completions.parse(model="gpt-4o-mini-2024-07-18", messages=[])\n'
            'answer = OpenAI().responses.parse(model="o3-mini-2025-01-31", input="2+2?")\n',
            note="async clients, structured-output and responses calls with pinned ids",
        ),
        Example(
            "!vllm serve Qwen/Qwen2.5-7B-Instruct --served-model-name qwen-eval \\\n"
            "    --revision a09a35458c702b33eeacc393d103063234e8bc28 &\n"
            "# %%\n"
            'vllm = OpenAI(base_url="http://localhost:8000/v1", api_key="EMPTY")\n'
            'out = vllm.chat.completions.create(model="qwen-eval", temperature=0, seed=0, messages=[])\n',
            note="a local vLLM server addressed by the name it serves a pinned revision under",
        ),
        Example(
            "!vllm serve Qwen/Qwen2.5-7B-Instruct \\\n"
            "    --revision a09a35458c702b33eeacc393d103063234e8bc28 &\n"
            "# %%\n"
            'vllm = OpenAI(base_url="http://localhost:8000/v1", api_key="EMPTY")\n'
            "out = vllm.chat.completions.create(\n"
            '    model="Qwen/Qwen2.5-7B-Instruct", temperature=0, seed=0, messages=[]\n'
            ")\n",
            note="the same server asked for the Hugging Face id its launch line pins",
        ),
        Example(
            "!promptfoo eval -c promptfooconfig.yaml\n",
            files=(
                "==> promptfooconfig.yaml <==\n"
                "providers:\n"
                "  - openai:chat:gpt-4o-mini-2024-07-18\n"
                "  - id: anthropic:messages:claude-3-5-sonnet-20241022\n"
                "    config: {temperature: 0}\n"
                "  - file://providers/rag_pipeline.py\n"
            ),
        ),
        Example(
            "def ask(question, m):\n"
            "    return client.chat.completions.create(model=m, temperature=0, messages=[])\n"
            "# %%\n"
            'reply = ask("2+2?", "gpt-4-turbo-2024-04-09")\n'
            'scores = {m: ask("2+2?", m) for m in ("gpt-4o-2024-08-06", "o3-mini-2025-01-31")}\n',
        ),
        Example(
            'served = OpenAI(base_url="http://localhost:8000/v1", api_key="EMPTY")\n'
            'out = served.chat.completions.create(model="judge", temperature=0, messages=[])\n'
            "import requests\n"
            'r = requests.post("http://localhost:8080/api/chat", json={"model": "bot", "q": "hi"})\n',
            note="a name a local server other than Ollama serves is no Ollama tag",
        ),
        Example(
            "import mlflow, wandb\n"
            'mlflow.log_params({"model": "gpt-4o"})\n'
            'wandb.init(project="evals", config={"model": "gpt-4o"})\n'
            'results.append({"model": "gpt-4o", "score": 0.8})\n'
            'row = {"model": "claude-3-5-sonnet-latest", "accuracy": 0.9}\n',
            note="ids logged to a tracker or written into result rows beside their scores",
        ),
    )

    def check(self, context: LintContext) -> Iterator[Finding]:
        policy = context.model_policy
        served: frozenset[str] | None = None
        for reference in context.model_references:
            model_id = reference.model_id
            if model_id is None:
                continue
            verdict = classify_reference(policy, reference)
            if verdict.status != "floating":
                continue
            if verdict.provider == "huggingface":
                # A request to the notebook's own server for the weights its launch line pins.
                if served is None:
                    served = pinned_served_models(context.notebook.shell_commands)
                if (
                    model_id in served
                    and reference.call is not None
                    and local_server_call(reference.call, context.values)
                ):
                    continue
                service = hosting_service(reference.call, context.values)
                if service is not None:
                    verdict = policy.hosted(verdict, service)
            via = ""
            if reference.value.env_name:
                via = f" (default of environment variable {reference.value.env_name})"
            message = f"{reference.role} model id {model_id!r}{via} floats: {verdict.reason}"
            node = reference.value.node
            yield self.finding(message, context.position(node), context.end_position(node))
        for shell in context.shell_model_references:
            if shell.model_id is None:
                continue
            verdict = policy.classify(shell.model_id, revision=shell.revision)
            if verdict.status != "floating":
                continue
            message = f"{shell.role} model id {shell.model_id!r} floats: {verdict.reason}"
            yield self.finding(message, shell.start, shell.end)
        yield from self._promptfoo(context)

    def _promptfoo(self, context: LintContext) -> Iterator[Finding]:
        """The providers and graders of the configuration each ``promptfoo eval`` line names."""
        runs = promptfoo_runs(context.notebook.shell_commands)
        if not runs:
            return
        policy = context.model_policy
        cells = context.notebook.cells
        pins = context.dataset_pins
        written_reported: set[int] = set()
        for run in runs:
            written = written_config(run, cells)
            if written is not None:
                cell, document = written
                if cell.index in written_reported:
                    continue
                written_reported.add(cell.index)
                lines = cell.lines
                for model in config_models(document, providers_given=run.providers_given):
                    verdict = policy.classify(model.model_id)
                    if verdict.status != "floating" or model.line < 0:
                        continue
                    row, column = model.line + 1, _id_column(lines, model)
                    message = f"{model.role} model id {model.model_id!r} floats: {verdict.reason}"
                    yield self.finding(
                        message,
                        context.cell_position(cell.index, row, column),
                        context.cell_position(cell.index, row, column + len(model.model_id)),
                    )
                continue
            document = read_config(run.config, pins.directory, pins.root)
            for model in config_models(document, providers_given=run.providers_given):
                verdict = policy.classify(model.model_id)
                if verdict.status != "floating":
                    continue
                message = (
                    f"promptfoo config {run.config!r}: {model.role} model id "
                    f"{model.model_id!r} floats: {verdict.reason}"
                )
                yield self.finding(
                    message,
                    context.cell_position(run.cell_index, run.row, run.column),
                    context.cell_position(run.cell_index, run.row, run.end_column),
                )


def _id_column(lines: list[str], model: ConfigModel) -> int:
    """The 1-based column where the id's text starts (after a quote YAML puts before it)."""
    column = model.column
    line = lines[model.line] if model.line < len(lines) else ""
    while line[column : column + 1] in ("'", '"'):
        column += 1
    return column + 1


def classify_reference(policy: ModelPolicy, reference: ModelReference) -> ModelIdVerdict:
    """The policy's verdict on a reference; a bare name the policy does not know is judged
    where the reference's host says it lives: an Ollama tag, or an Azure OpenAI deployment
    (``azure/<name>``, as litellm writes it)."""
    model_id = reference.model_id or ""
    verdict = policy.classify(model_id, revision=reference.revision)
    if verdict.status == "unknown" and reference.host is not None:
        hosted = policy.classify(f"{reference.host}/{model_id}", revision=reference.revision)
        if hosted.status == "floating":
            return hosted
    return verdict
