"""What the eval ecosystems look like in code: LLM calls, model arguments, data readers, RNGs.

Kept in one place so that recognising a new library is a one-line change, and so the converter
(which lifts the same values into parameters) recognises exactly what the linter flags.
"""

from __future__ import annotations

#: Keyword arguments that carry a model or judge id, whatever the library.
MODEL_KEYWORDS = frozenset(
    {
        "model",
        "model_name",
        "model_id",
        "modelId",
        "engine",
        "judge",
        "judge_model",
        "grader_model",
        "evaluator_model",
        "eval_model",
        "critic_model",
        "llm_model",
        "repo_id",
        "pretrained_model_name_or_path",
        "model_engine",
        "deployment_name",
        "azure_deployment",
        "judge_llm",
        # Guardrails validators that ask an LLM (RestrictToTopic, ProvenanceLLM) take its id.
        "llm_callable",
    }
)

#: Calls whose model arguments name an embedding, reranking or retrieval model (searched in
#: the written name, case-insensitively): such ids encode, they neither generate nor judge.
EMBEDDING_CALL_PATTERN = (
    r"(?i)embed|rerank|cross_?encoder|sentence_?transformer|vectori[sz]|text2vec|retriever"
    r"|colbert|sparse|bm25"
)

#: Calls whose ``repo_id``/``model`` arguments are a destination, not a model in use.
NOT_MODEL_CALLS = frozenset(
    {
        "push_to_hub",
        "create_repo",
        "upload_file",
        "upload_folder",
        "delete_repo",
        "create_branch",
        "save_pretrained",
        "save_model",
    }
)

#: Keywords (and dict keys) whose values describe a run rather than configure it: an id under
#: ``metadata={"model": "gpt-4"}`` labels results, it selects no model.
METADATA_KEYWORDS = frozenset(
    {
        "metadata",
        "project_metadata",
        "experiment_metadata",
        "run_metadata",
        "dataset_metadata",
        "meta",
        "tags",
        "labels",
        "attributes",
        "extra",
        "columns",
        "column_names",
        "description",
    }
)

#: Calls that log a run's parameters or tags to a tracker (by method, and by qualified name):
#: ``mlflow.log_params({"model": "gpt-4o"})`` and ``wandb.init(config={"model": ...})`` record
#: which model ran; they call none.
RUN_LOG_METHODS = frozenset(
    {"log_params", "log_param", "log_hyperparams", "log_parameters", "set_tags", "set_tag"}
)
RUN_LOG_CALLS = frozenset({"wandb.init", "wandb.log", "wandb.config.update"})

#: Dict keys of a result row: ``{"model": "gpt-4o", "score": s}`` labels a score with the model
#: that earned it.
SCORE_KEYS = frozenset(
    {
        "score",
        "scores",
        "accuracy",
        "acc",
        "f1",
        "precision",
        "recall",
        "correct",
        "is_correct",
        "pass_rate",
        "win_rate",
        "exact_match",
        "latency",
        "latency_ms",
        "cost",
        "elapsed",
        "metric",
        "metrics",
        "rating",
    }
)

#: Calls (by the end of their name) that record an experiment's description: an id given to
#: them under a keyword that only looks like a model's (``language_model_id=``) labels the
#: run, it calls no model. ``model=`` and the other :data:`MODEL_KEYWORDS` still count.
EXPERIMENT_RECORD_SUFFIXES = ("Experiment",)

#: Calls whose first positional argument is a model id.
MODEL_FIRST_ARGUMENT = frozenset(
    {
        "GenerativeModel",
        "init_chat_model",
        "get_model",
        "completion",
        "acompletion",
        "from_pretrained",
        "SentenceTransformer",
        "ollama.chat",
        "ollama.generate",
        "LLM",
        "HuggingFacePipeline.from_model_id",
        "dspy.LM",
        "InferenceClient",
        "AsyncInferenceClient",
        "llm_factory",
        "RemoteEvaluator",
        "HfApiModel",
        "InferenceClientModel",
        "LiteLLMModel",
        "TransformersModel",
        "HuggingFaceLocalGenerator",
        "HuggingFaceLocalChatGenerator",
    }
)

#: Keywords holding the keyword arguments a library passes on to ``transformers`` (Haystack's
#: ``huggingface_pipeline_kwargs``): a ``revision`` inside them pins the model.
PIPELINE_KWARGS_KEYWORDS = ("huggingface_pipeline_kwargs", "model_kwargs")

#: HTTP client methods (requests, httpx, aiohttp) and the keywords that carry a JSON payload,
#: whose ``"model"`` entry names the model of a hand-written API request.
HTTP_METHODS = frozenset({"post", "put", "patch", "request", "stream"})
HTTP_PAYLOAD_KEYWORDS = frozenset({"json", "data", "payload"})

#: Calls of local model runtimes whose model names are tags the runtime re-points (``llama3``).
LOCAL_TAG_CALL_PATTERN = r"(?i)ollama"

#: Keywords of an eval CLI (or its Python API) that carry ``key=value`` model arguments, and
#: the keys in them that name the model and pin its revision (lm-evaluation-harness).
MODEL_ARGS_KEYWORDS = frozenset({"model_args"})
MODEL_ARGS_MODEL_KEYS = ("pretrained", "model", "model_name", "engine", "peft")
MODEL_ARGS_REVISION_KEYS = ("revision",)

#: Calls that construct or configure a judge; ids given to them are judge ids.
JUDGE_CALLS = frozenset(
    {
        "GEval",
        "AnswerRelevancyMetric",
        "FaithfulnessMetric",
        "HallucinationMetric",
        "ContextualRelevancyMetric",
        "model_graded_qa",
        "model_graded_fact",
        "LLMEvaluator",
        "llm_classify",
        "OpenAIModel",
        "LangchainLLMWrapper",
        "llm_factory",
        "Feedback",
        "load_evaluator",
        "CriteriaEvalChain.from_llm",
        "Groundedness",
        "GroundTruthAgreement",
        "DoesResponseAnswerQuery",
        "ContextContainsEnoughInformation",
        "Faithfulness",
    }
)

#: Call names that construct a judge whatever the library: ``*Metric``, ``*Evaluator``...
JUDGE_CALL_PATTERN = r"(?:Metric|Evaluator|Scorer|Grader|Judge|Critic|Feedback|Evaluation)$"

#: Requests (matched like :data:`LLM_REQUEST_SUFFIXES`) that choose a model only when given
#: ``model=``: Mistral's Agents and Conversations APIs, whose sampling settings go in
#: ``completion_args``. A conversation started with ``agent_id=`` samples as its agent does.
#: A ``google.genai`` chat session (``client.chats.create(model=..., config=...)``) samples as
#: its config says for every message.
MODEL_KEYWORD_REQUEST_SUFFIXES = (
    "chats.create",
    "conversations.start",
    "conversations.start_async",
    "conversations.start_stream",
    "conversations.start_stream_async",
    "agents.create",
    "agents.create_async",
    "agents.update",
    "agents.update_async",
)

#: Method chains (matched as a suffix of the written call) that send a request to an LLM.
LLM_REQUEST_SUFFIXES = (
    "chat.completions.create",
    "chat.completions.parse",
    "chat.completions.stream",
    "responses.create",
    "responses.parse",
    "responses.stream",
    "completions.create",
    "ChatCompletion.create",
    "ChatCompletion.acreate",
    "Completion.create",
    "messages.create",
    "messages.stream",
    "messages.parse",
    "chat.complete",
    "chat.complete_async",
    "chat.stream",
    "chat.parse",
    "chat.parse_async",
    "models.generate_content",
    "generate_content",
    "generate_content_async",
    "generate_content_stream",
    "converse",
    "ollama.chat",
    "ollama.generate",
    "assistants.create",
    "create_assistant",
    "chat_completion",
    "text_generation",
    "get_finetuned_model",
    *MODEL_KEYWORD_REQUEST_SUFFIXES,
)

#: Gemini's requests (``google.genai`` ``client.models.generate_content_stream``, Vertex AI and
#: ``google.generativeai`` ``model.generate_content``): sampling settings go in a config.
GOOGLE_REQUEST_METHODS = frozenset(
    {"generate_content", "generate_content_async", "generate_content_stream"}
)

#: Messages of a Vertex AI / ``google.generativeai`` chat (``model.start_chat().send_message``):
#: requests of the model that started the chat, with its ``generation_config`` or their own.
GOOGLE_CHAT_METHODS = frozenset({"send_message", "send_message_async"})

#: MLflow flavours that log an OpenAI model with its request settings
#: (``mlflow.openai.log_model(model="gpt-4o", task=openai.chat.completions, temperature=0)``):
#: ``mlflow.evaluate`` then samples as those settings say.
LOGGED_LLM_FUNCTIONS = frozenset({"mlflow.openai.log_model", "mlflow.openai.save_model"})

#: Qualified names of function-style LLM requests.
LLM_REQUEST_FUNCTIONS = frozenset(
    {"litellm.completion", "litellm.acompletion", "litellm.text_completion"}
)

#: Chat-model constructors: their sampling parameters are fixed at construction.
CHAT_MODEL_CONSTRUCTORS = frozenset(
    {
        "ChatOpenAI",
        "AzureChatOpenAI",
        "ChatAnthropic",
        "ChatGoogleGenerativeAI",
        "ChatVertexAI",
        "ChatMistralAI",
        "ChatBedrock",
        "ChatBedrockConverse",
        "ChatCohere",
        "ChatGroq",
        "ChatOllama",
        "ChatLiteLLM",
        "ChatTogether",
        "ChatFireworks",
        "ChatDeepSeek",
        "ChatXAI",
        "init_chat_model",
        "OpenAIChat",
        "ChatNVIDIA",
        "ChatPerplexity",
        "ChatHuggingFace",
        "ChatWatsonx",
        "ChatDatabricks",
    }
)

#: DSPy language-model clients (``dspy.LM`` and the legacy per-provider classes).
DSPY_LM_CLASSES = frozenset(
    {
        "LM",
        "OpenAI",
        "AzureOpenAI",
        "Cohere",
        "OllamaLocal",
        "Claude",
        "Google",
        "GoogleVertexAI",
        "HFClientTGI",
        "HFClientVLLM",
        "Together",
        "Anyscale",
        "Databricks",
        "Mistral",
        "GROQ",
        "Bedrock",
        "GPT3",
        "HFModel",
    }
)

#: Weaviate's generative modules (``Configure.Generative.openai(model=..., temperature=...)``)
#: generate the answers of a RAG query; matched in the written name.
GENERATIVE_MODULE_MARKER = "Generative."

#: Library prefixes whose ``*Generator`` components are LLM clients (Haystack); their sampling
#: settings go in ``generation_kwargs``.
GENERATOR_MODULES = ("haystack.", "haystack_integrations.", "haystack_experimental.")

#: Methods that send a chat request when called with a model and messages (Mistral's and
#: Cohere's clients, Ollama's, Groq's): ``client.chat(model=..., messages=...)``.
CHAT_METHODS = frozenset({"chat", "generate", "achat"})
CHAT_MESSAGE_KEYWORDS = frozenset({"messages", "message", "prompt", "chat_history"})

#: Config objects that carry sampling settings, the API each belongs to, and the library
#: prefixes it must come from (Hugging Face ``transformers.GenerationConfig`` takes no seed).
SAMPLING_CONFIGS = {
    "GenerationConfig": "google",
    "GenerateContentConfig": "google",
    "SamplingParams": "vllm",
    "GenerateConfig": "inspect",
}
SAMPLING_CONFIG_MODULES = {
    "GenerationConfig": ("google.", "vertexai.", "genai."),
    "SamplingParams": ("vllm.",),
}

#: Keywords that seed an LLM's sampling (OpenAI ``seed``, Mistral ``random_seed``).
SEED_KEYWORDS = frozenset({"seed", "random_seed"})

#: Requests of APIs that take a temperature but no seed (OpenAI's Responses API): their
#: variance is carried by repeats, as for Anthropic.
UNSEEDABLE_REQUEST_SUFFIXES = ("responses.create", "responses.parse", "responses.stream")

#: APIs that accept a sampling seed; NBG303 asks for one where temperature > 0.
SEEDABLE_PROVIDERS = frozenset(
    {"openai", "mistral", "google", "ollama", "vllm", "inspect", "huggingface"}
)

#: Words in a client's class name (or a model's provider prefix) and the API they speak.
PROVIDER_WORDS = (
    ("anthropic", "anthropic"),
    ("claude", "anthropic"),
    ("bedrock", "bedrock"),
    ("cohere", "cohere"),
    ("mistral", "mistral"),
    ("gemini", "google"),
    ("google", "google"),
    ("vertex", "google"),
    ("genai", "google"),
    ("ollama", "ollama"),
    ("vllm", "vllm"),
    ("inferenceclient", "huggingface"),
    ("huggingface", "huggingface"),
    ("hfclient", "huggingface"),
    ("openai", "openai"),
    ("azure", "openai"),
    ("groq", "openai"),
    ("together", "openai"),
    ("fireworks", "openai"),
    ("deepseek", "openai"),
    ("xai", "openai"),
    ("perplexity", "openai"),
    ("nvidia", "openai"),
    ("openrouter", "openai"),
    ("gpt3", "openai"),
)

#: Hosted inference services that serve open-weight models under their own catalogue names,
#: by a word in their SDK class or API host, and the name their users know. Behind these an
#: ``org/name`` id is the service's entry, which no Hugging Face ``revision`` can pin.
HOSTED_SERVICES = (
    ("together", "Together AI"),
    ("groq", "Groq"),
    ("fireworks", "Fireworks AI"),
    ("openrouter", "OpenRouter"),
    ("deepinfra", "DeepInfra"),
    ("anyscale", "Anyscale"),
    ("cerebras", "Cerebras"),
    ("sambanova", "SambaNova"),
    ("hyperbolic", "Hyperbolic"),
    ("novita", "Novita AI"),
    ("perplexity", "Perplexity"),
)

#: Hosts of OpenAI-compatible endpoints whose API differs from OpenAI's where a rule looks:
#: an OpenAI client sent there speaks that provider's API (Anthropic's ignores ``seed``).
COMPATIBLE_ENDPOINT_HOSTS = (("anthropic.com", "anthropic"),)

#: Keywords that point an OpenAI-compatible client at another server.
BASE_URL_KEYWORDS = ("base_url", "api_base", "openai_api_base", "base_url_override")

#: Library prefixes whose LLM classes are constructed like ``OpenAI(model=..., temperature=...)``.
LLM_CLASS_MODULES = ("llama_index.llms.", "llama_index.core.llms.")

#: Arguments that carry sampling settings inside a nested config.
SAMPLING_CONFIG_KEYWORDS = frozenset(
    {
        "generation_config",
        "config",
        "inferenceConfig",
        "inference_config",
        "model_kwargs",
        "sampling_params",
        "options",
        "extra_body",
        "llm_kwargs",
        "additional_kwargs",
        "generation_kwargs",
        "model_params",
        "completion_args",
        "generate_content_config",
        # OpenAI Evals API runs: ``data_source={"model": ..., "sampling_params": {...}}``.
        "data_source",
    }
)

#: Names that set sampling temperature (``temperature`` almost everywhere).
TEMPERATURE_KEYWORDS = frozenset({"temperature", "temp"})

#: Reader calls (qualified name suffix after the library) whose first argument is a data file.
DATA_READERS = frozenset(
    {
        "pandas.read_csv",
        "pandas.read_json",
        "pandas.read_parquet",
        "pandas.read_excel",
        "pandas.read_table",
        "pandas.read_feather",
        "pandas.read_pickle",
        "pandas.read_orc",
        "pandas.read_xml",
        "pandas.read_fwf",
        "pandas.read_hdf",
        "pandas.read_sas",
        "pandas.read_stata",
        "pandas.read_spss",
        "polars.read_csv",
        "polars.read_json",
        "polars.read_ndjson",
        "polars.read_parquet",
        "polars.read_excel",
        "polars.read_ipc",
        "polars.read_ipc_stream",
        "polars.read_avro",
        "polars.read_delta",
        "polars.scan_csv",
        "polars.scan_parquet",
        "polars.scan_ndjson",
        "polars.scan_ipc",
        "polars.scan_delta",
        "numpy.load",
        "numpy.loadtxt",
        "numpy.genfromtxt",
        "numpy.fromfile",
        "datasets.load_from_disk",
        "datasets.Dataset.from_csv",
        "datasets.Dataset.from_json",
        "datasets.Dataset.from_parquet",
        "inspect_ai.dataset.json_dataset",
        "inspect_ai.dataset.csv_dataset",
        "jsonlines.open",
        "srsly.read_jsonl",
        "srsly.read_json",
        "pyarrow.parquet.read_table",
        "pyarrow.csv.read_csv",
        "pyarrow.feather.read_table",
        "pyarrow.feather.read_feather",
    }
)

#: Calls (by the last part of their name) of eval frameworks that read a data file given by
#: keyword (or first argument): promptflow / Azure AI ``evaluate(data=...)`` and ``pf.run(data=)``,
#: deepeval's ``EvaluationDataset.add_test_cases_from_*_file``, uptrain's readers, dspy's loaders.
DATA_FILE_METHODS: dict[str, tuple[str, ...]] = {
    "add_test_cases_from_csv_file": ("file_path",),
    "add_test_cases_from_json_file": ("file_path",),
    "add_goldens_from_csv_file": ("file_path",),
    "add_goldens_from_json_file": ("file_path",),
    "add_goldens_from_jsonl_file": ("file_path",),
    "JsonReader": ("fpath",),
    "CsvReader": ("fpath",),
    "from_csv": ("path", "file_path"),
    "from_json": ("path", "file_path"),
    "from_parquet": ("path", "file_path"),
    # ragas ``EvaluationDataset.from_jsonl("testset.jsonl")``
    "from_jsonl": ("path", "file_path"),
    "from_pandas_csv": ("path",),
}

#: Hosted eval and batch-inference jobs whose request names the dataset's object-store URI
#: (Bedrock ``create_evaluation_job``, ``create_model_invocation_job``).
HOSTED_EVAL_JOB_CALLS = frozenset({"create_evaluation_job", "create_model_invocation_job"})
#: Keys of a job request whose dict holds the dataset's ``s3Uri`` (not the output location).
JOB_DATASET_LOCATION_KEYS = frozenset({"datasetLocation", "s3InputDataConfig"})

#: Keywords that name an eval data file on any call (``evaluate(data="eval.jsonl")``,
#: ``run(eval_path=...)``); only values with a data-file extension count.
DATA_FILE_KEYWORDS = frozenset(
    {
        "data",
        "eval_path",
        "dataset_path",
        "data_path",
        "eval_file",
        "data_file",
        "dataset_file",
        "eval_dataset_path",
        "test_file",
        "testset_path",
        "src",
        "dataset",
        # fmeval ``DataConfig(dataset_uri="s3://.../qa.jsonl")``
        "dataset_uri",
        # LangSmith ``client.upload_csv(csv_file="golden.csv", ...)``
        "csv_file",
    }
)
#: Keywords of :data:`DATA_FILE_KEYWORDS` too generic to count on any call: only the eval
#: calls listed take a data file there (promptflow ``evaluate(data=...)``, Vertex AI
#: ``client.evals.run_inference(src="gs://.../prompts.jsonl")``, ``EvalTask(dataset=...)``).
DATA_KEYWORD_CALLS: dict[str, frozenset[str]] = {
    "data": frozenset({"evaluate", "run", "create_run"}),
    "src": frozenset({"run_inference", "evaluate", "generate_rubrics"}),
    "dataset": frozenset({"EvalTask"}),
    "csv_file": frozenset({"upload_csv"}),
}

#: Method names (any receiver) that write their first argument (or ``path``-like keyword) as a
#: file: pandas/polars/HF ``to_*``/``write_*``, numpy ``save*``, ``srsly.write_*``.
DATA_WRITER_METHODS = frozenset(
    {
        "to_csv",
        "to_json",
        "to_jsonl",
        "to_parquet",
        "to_excel",
        "to_pickle",
        "to_feather",
        "to_orc",
        "to_hdf",
        "to_xml",
        "to_stata",
        "write_csv",
        "write_json",
        "write_ndjson",
        "write_parquet",
        "write_ipc",
        "write_excel",
        "write_avro",
        "write_delta",
        "sink_parquet",
        "sink_csv",
        "sink_ipc",
        "sink_ndjson",
        "write_jsonl",
        "save",
        "savez",
        "savez_compressed",
        "savetxt",
        # a downloaded API response saved to a file (OpenAI ``files.content(id)``)
        "write_to_file",
        "stream_to_file",
    }
)

#: Calls that write a folder (first argument, or ``local_dir``/``path``): ``save_to_disk``,
#: archive extraction, hub snapshots downloaded into a folder.
DATA_FOLDER_WRITERS: dict[str, tuple[str, ...]] = {
    "save_to_disk": ("dataset_path", "path"),
    "extractall": ("path",),
    "unpack_archive": ("extract_dir",),
}

#: Download calls: ``qualified name suffix -> (URL keyword, destination keyword, its position)``.
#: Their URL is a remote dataset; their destination is a file the notebook wrote itself.
DOWNLOAD_CALLS: dict[str, tuple[str, str | None, int | None]] = {
    "urllib.request.urlretrieve": ("url", "filename", 1),
    "wget.download": ("url", "out", 1),
    "gdown.download": ("url", "output", 1),
    "gdown.cached_download": ("url", "path", 1),
    "gdown.download_folder": ("url", "output", None),
    "pooch.retrieve": ("url", None, None),
    "torchvision.datasets.utils.download_url": ("url", None, None),
    "download_url": ("url", None, None),
}

#: Keywords through which a fetcher verifies the downloaded bytes against a digest.
VERIFYING_KEYWORDS = frozenset({"known_hash", "file_hash", "md5_hash", "md5", "hash", "sha256"})

#: HTTP client sessions whose ``get`` fetches like ``requests.get``.
HTTP_SESSIONS = frozenset(
    {
        "requests.Session",
        "requests.session",
        "requests.sessions.Session",
        "httpx.Client",
        "httpx.AsyncClient",
        "aiohttp.ClientSession",
    }
)

#: HTTP GET calls whose response may be a dataset (kept only for data-like URLs or when the
#: response is written to a file in the same scope).
HTTP_GET_CALLS = frozenset(
    {
        "requests.get",
        "httpx.get",
        "urllib.request.urlopen",
        "urllib3.request",
        "requests.request",
        "httpx.request",
    }
)

#: Calls that parse a fetched web page into text (by the last part of their name): an HTTP GET
#: whose response they parse reads the live page as eval data.
HTML_PAGE_PARSERS = frozenset({"BeautifulSoup", "markdownify", "html2text"})

#: Keyword names under which readers take their path.
DATA_PATH_KEYWORDS = (
    "filepath_or_buffer",
    "path_or_buf",
    "path",
    "source",
    "file",
    "io",
    "fname",
    "file_path",
    "dataset_path",
    "data_files",
)

#: File extensions that mark an ``open(...)`` as reading a dataset.
DATA_FILE_EXTENSIONS = (
    ".csv",
    ".tsv",
    ".json",
    ".jsonl",
    ".ndjson",
    ".parquet",
    ".xlsx",
    ".xls",
    ".pkl",
    ".pickle",
    ".feather",
    ".arrow",
    ".npy",
    ".npz",
    ".h5",
    ".hdf5",
    ".avro",
    ".orc",
    ".pdf",
    ".csv.gz",
    ".tsv.gz",
    ".json.gz",
    ".jsonl.gz",
    ".jsonl.zst",
)

#: Text files that are a corpus or a question list when opened for reading (``faq.md``),
#: unless their name says they are a prompt, a template, a judge's rubric or configuration.
TEXT_CORPUS_EXTENSIONS = (".txt", ".md")
NOT_DATA_TEXT_WORDS = (
    "prompt",
    "template",
    "instruction",
    "rubric",
    "guideline",
    "system",
    "readme",
    "license",
    "requirement",
    "config",
    "changelog",
    "notice",
    "key",
    "token",
    "secret",
    "version",
)

#: Words in the name of a function named like a reader (``load_*``, ``*Reader``) that say it
#: loads something other than eval data.
NOT_DATA_READER_WORDS = (
    "model",
    "checkpoint",
    "weight",
    "prompt",
    "template",
    "config",
    "env",
    "index",
    "chain",
    "agent",
    "tool",
    "state",
    "cache",
    "image",
)

#: Words in the name of a ``.json`` (or other data-format) file opened by path that make it
#: configuration or credentials rather than data.
NOT_DATA_FILE_WORDS = (
    "config",
    "credential",
    "secret",
    "api_key",
    "apikey",
    "tokenizer",
    "access_token",
    "settings",
    "service_account",
    "service-account",
    "package",
    "schema",
    "manifest",
    "vocab",
    "prompt",
    "template",
)

#: Serialized-object files that hold a trained model when their name says so (see
#: :data:`MODEL_ARTIFACT_WORDS`), not eval examples.
MODEL_ARTIFACT_EXTENSIONS = (".pkl", ".pickle", ".joblib", ".h5", ".hdf5", ".npz")
MODEL_ARTIFACT_WORDS = (
    "model",
    "weights",
    "checkpoint",
    "ckpt",
    "classifier",
    "regressor",
    "estimator",
    "vectorizer",
    "encoder",
    "scaler",
)

#: Downloaded files that are not datasets: model weights (the models family covers them),
#: installers or scripts (the installs family), and images shown in the notebook.
NOT_DATA_DOWNLOAD_EXTENSIONS = (
    ".gguf",
    ".ggml",
    ".safetensors",
    ".bin",
    ".pt",
    ".pth",
    ".ckpt",
    ".onnx",
    ".tflite",
    ".mlmodel",
    ".sh",
    ".ps1",
    ".py",
    ".llamafile",
    ".gpg",
    ".pem",
    ".crt",
    ".whl",
    ".deb",
    ".rpm",
    ".exe",
    ".msi",
    ".dmg",
    ".appimage",
    ".jar",
    ".so",
    ".ttf",
    ".otf",
    ".woff",
    ".woff2",
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".svg",
    ".webp",
    ".ico",
    ".bmp",
)

#: ``datasets.load_dataset`` builder names that read local or remote files given in data_files.
HF_FILE_BUILDERS = frozenset(
    {
        "json",
        "csv",
        "parquet",
        "text",
        "arrow",
        "pandas",
        "imagefolder",
        "audiofolder",
        "webdataset",
    }
)

#: Readers of documents and images an eval feeds to a model (a RAG corpus, OCR or vision
#: inputs), by the last part of their name, with the keywords that take the path (else the first
#: argument): LangChain document loaders, pypdf/PyPDF2, fastembed's multimodal ``embed_image``
#: (image files embedded as the retrieval corpus).
DOCUMENT_READERS: dict[str, tuple[str, ...]] = {
    "TextLoader": ("file_path",),
    "CSVLoader": ("file_path",),
    "JSONLoader": ("file_path",),
    "PyPDFLoader": ("file_path",),
    "PyMuPDFLoader": ("file_path",),
    "PDFPlumberLoader": ("file_path",),
    "PDFMinerLoader": ("file_path",),
    "PyPDFium2Loader": ("file_path",),
    "UnstructuredPDFLoader": ("file_path",),
    "UnstructuredFileLoader": ("file_path",),
    "UnstructuredMarkdownLoader": ("file_path",),
    "UnstructuredWordDocumentLoader": ("file_path",),
    "UnstructuredHTMLLoader": ("file_path",),
    "UnstructuredExcelLoader": ("file_path",),
    "UnstructuredImageLoader": ("file_path",),
    "UnstructuredPowerPointLoader": ("file_path",),
    "Docx2txtLoader": ("file_path",),
    "BSHTMLLoader": ("file_path",),
    "PdfReader": ("stream",),
    "embed_image": ("images",),
    "PdfFileReader": ("stream",),
}

#: Loaders that fetch live web pages as a corpus (LangChain), by the last part of their name,
#: with the keywords that take the URL or URLs (else the first argument). A web page has no
#: version: what the notebook retrieves from is whatever the site serves on the day it runs.
WEB_PAGE_LOADERS: dict[str, tuple[str, ...]] = {
    "WebBaseLoader": ("web_path", "web_paths"),
    "AsyncHtmlLoader": ("web_path",),
    "AsyncChromiumLoader": ("urls",),
    "RecursiveUrlLoader": ("url",),
    "UnstructuredURLLoader": ("urls",),
    "SeleniumURLLoader": ("urls",),
    "PlaywrightURLLoader": ("urls",),
    "SitemapLoader": ("web_path",),
    "NewsURLLoader": ("urls",),
    "FireCrawlLoader": ("url",),
    "WikipediaLoader": ("query",),
}

#: Functions of the ``wikipedia`` package that fetch a live article by title (or search term):
#: the article is whatever Wikipedia serves on the day the notebook runs.
WIKIPEDIA_PAGE_CALLS = frozenset({"wikipedia.page", "wikipedia.summary"})
#: Its search, whose term names the article when the title is the first result.
WIKIPEDIA_SEARCH_CALLS = frozenset({"wikipedia.search"})

#: Readers whose ``load_data``/``load``/``run`` call fetches live web content (llama-index web
#: readers, Haystack's ``LinkContentFetcher``), with the keywords that take the URLs or page
#: titles (else the first argument); LangChain's ``WikipediaLoader`` takes its query when built.
WEB_READER_METHODS: dict[str, tuple[str, ...]] = {
    "SimpleWebPageReader": ("urls",),
    "TrafilaturaWebReader": ("urls",),
    "BeautifulSoupWebReader": ("urls",),
    "RssReader": ("urls",),
    "AsyncWebPageReader": ("urls",),
    "WholeSiteReader": ("base_url",),
    "LinkContentFetcher": ("urls",),
    "WikipediaReader": ("pages",),
}

#: Functions (qualified names) that read a document or an image file given as first argument.
DOCUMENT_READ_FUNCTIONS = frozenset(
    {
        "PIL.Image.open",
        "cv2.imread",
        "imageio.imread",
        "imageio.v3.imread",
        "skimage.io.imread",
        "fitz.open",
        "pymupdf.open",
        "pdfplumber.open",
        "pdfminer.high_level.extract_text",
        "docx.Document",
    }
)

#: Readers of a whole folder of documents (llama-index, LangChain), by the last part of their
#: name, with the keywords that take the folder (else the first argument).
DIRECTORY_READERS: dict[str, tuple[str, ...]] = {
    "SimpleDirectoryReader": ("input_dir",),
    "DirectoryLoader": ("path",),
    "PyPDFDirectoryLoader": ("path",),
    "convert_files_to_docs": ("dir_path",),
}

#: Methods that upload a local file to a model provider's API for the model to read (Gemini
#: ``client.files.upload(file=...)``, ``genai.upload_file(path=...)``) or to a hosted RAG
#: service's collection (``collection.upload_document("essays.txt")``), or to the store a hosted
#: eval job reads (Azure AI ``project_client.upload_file("eval.jsonl")``, boto3
#: ``s3.upload_file(Filename, Bucket, Key)``), with their path keywords.
FILE_UPLOAD_METHODS: dict[str, tuple[str, ...]] = {
    "upload": ("file", "path"),
    "upload_file": ("path", "file_path", "Filename"),
    "upload_document": ("path", "file_path"),
    # SageMaker ``Session().upload_data(path="test.jsonl", bucket=..., key_prefix=...)``
    "upload_data": ("path",),
}
#: Upload methods that take the path as their first argument too.
FILE_UPLOAD_POSITIONAL = frozenset({"upload_document", "upload_file", "upload_data"})

#: Keywords through which readers take a list of input files (llama-index ``input_files``,
#: Haystack converters' ``sources``): only values with a data, text or document extension count.
INPUT_FILES_KEYWORDS = frozenset({"input_files", "sources", "file_paths"})

#: Keywords through which any call names a file it writes (``plot_metrics(...,
#: output_file="summary.png")``): reading that file later reads the notebook's own output.
OUTPUT_FILE_KEYWORDS = frozenset(
    {"output_file", "output_path", "out_file", "outfile", "output_filename", "save_path"}
)
#: Methods that save a file fetched from an API where their ``output=`` keyword says (Together
#: ``client.files.retrieve_content(id, output="results.jsonl")``): the results are the
#: notebook's own output, not a dataset.
FILE_CONTENT_SAVERS = frozenset({"retrieve_content"})

#: Extensions of documents and images read as eval input (beyond :data:`DATA_FILE_EXTENSIONS`):
#: counted when a document reader or a binary read (``open(p, "rb")``) consumes them.
DOCUMENT_EXTENSIONS = (
    ".docx",
    ".pptx",
    ".html",
    ".htm",
    ".mdx",
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".webp",
    ".bmp",
    ".tif",
    ".tiff",
)

#: Calls that list a folder's files (``os.listdir``, ``glob.glob``) and ``Path`` methods that do.
FOLDER_LISTING_CALLS = frozenset(
    {"os.listdir", "os.scandir", "os.walk", "glob.glob", "glob.iglob", "glob.glob1"}
)
FOLDER_LISTING_METHODS = frozenset({"glob", "rglob", "iterdir"})

#: Words of a listed folder's name (``model_outputs``: a word, its plural, or for longer words a
#: prefix) that say it holds output, caches or models, not eval data.
NOT_DATA_FOLDER_WORDS = (
    "output",
    "result",
    "run",
    "log",
    "checkpoint",
    "snapshot",
    "cache",
    "tmp",
    "temp",
    "model",
    "weight",
    "figure",
    "plot",
    "artifact",
    "pycache",
    "git",
)

#: Calls that save a figure or a picture the notebook draws (a file it wrote itself).
FIGURE_WRITER_METHODS: dict[str, tuple[str, ...]] = {
    "savefig": ("fname",),
    "write_image": ("file",),
    "write_html": ("file",),
}

#: Calls that copy a public dataset of an eval platform by URL or share token (LangSmith):
#: a remote dataset its owner can change.
PUBLIC_DATASET_CLONES: dict[str, tuple[str, ...]] = {
    "clone_public_dataset": ("token_or_url",),
}

#: Downloads of a registry dataset by name, from the registry's default branch: the name's and
#: the destination folder's keywords, the keyword that points the download elsewhere, and the
#: URL the name is fetched from (llama-index ``download_llama_dataset("PaulGrahamEssayDataset",
#: "./data")``).
NAMED_DATASET_DOWNLOADS: dict[str, tuple[str, str, str, str]] = {
    "download_llama_dataset": (
        "llama_dataset_class",
        "download_dir",
        "llama_datasets_url",
        "https://raw.githubusercontent.com/run-llama/llama-datasets/main/llama_datasets/{name}",
    ),
}

#: Calls that open a database file by path (its keywords): its tables are read as data.
DATABASE_OPENERS: dict[str, tuple[str, ...]] = {
    "sqlite3.connect": ("database",),
    "duckdb.connect": ("database",),
}
#: Calls (by method) that open a database by URL (``sqlite:///Chinook.db``).
DATABASE_URL_OPENERS: dict[str, tuple[str, ...]] = {
    "from_uri": ("database_uri",),
    "create_engine": ("url",),
}
DATABASE_URL_PREFIXES = ("sqlite:///", "duckdb:///")
DATABASE_FILE_EXTENSIONS = (".db", ".sqlite", ".sqlite3", ".duckdb")
#: Calls that fill a database: one the notebook fills is its own, not a dataset.
DATABASE_FILLING_METHODS = frozenset({"executescript", "executemany", "to_sql", "from_df"})

#: Object-store filesystem classes, and the scheme of the paths they read.
OBJECT_STORE_FILESYSTEMS: dict[str, str] = {
    "s3fs.S3FileSystem": "s3://",
    "s3fs.core.S3FileSystem": "s3://",
    "gcsfs.GCSFileSystem": "gs://",
    "adlfs.AzureBlobFileSystem": "az://",
}
#: ``fsspec.filesystem(protocol)`` protocols of object stores, and their scheme.
OBJECT_STORE_PROTOCOLS: dict[str, str] = {
    "s3": "s3://",
    "s3a": "s3://",
    "gcs": "gs://",
    "gs": "gs://",
    "az": "az://",
    "abfs": "abfs://",
}
#: Methods of an object-store filesystem that read an object (or download it to a file).
OBJECT_STORE_FILE_METHODS = frozenset(
    {"open", "get", "get_file", "download", "cat", "cat_file", "read_text", "read_bytes"}
)
#: Google Cloud Storage blob methods that fetch the object.
CLOUD_BLOB_DOWNLOADS = frozenset(
    {"download_to_filename", "download_as_text", "download_as_bytes", "download_as_string"}
)

#: Vector-store calls that restore a collection from a snapshot at a URL (Qdrant
#: ``client.recover_snapshot(name, location=url, checksum=...)``): the location's keywords, and
#: the keyword that makes the store verify the snapshot's SHA-256.
SNAPSHOT_RESTORES: dict[str, tuple[tuple[str, ...], str]] = {
    "recover_snapshot": (("location",), "checksum"),
}

#: lm-evaluation-harness task configuration: keys naming the hub dataset and its revision, and
#: the keys one of which a YAML text must also have to be read as a task (not any YAML).
TASK_DATASET_KEY = "dataset_path"
TASK_REVISION_KEY = "revision"
TASK_CONFIG_KEYS = (
    "task",
    "output_type",
    "doc_to_text",
    "doc_to_target",
    "test_split",
    "validation_split",
    "dataset_name",
)

#: Global random generators, by module, and the calls that draw from them.
GLOBAL_RNG_FUNCTIONS: dict[str, frozenset[str]] = {
    "random": frozenset(
        {
            "random",
            "randint",
            "randrange",
            "choice",
            "choices",
            "shuffle",
            "sample",
            "uniform",
            "gauss",
            "normalvariate",
            "betavariate",
            "expovariate",
            "triangular",
            "getrandbits",
            "randbytes",
            "lognormvariate",
            "vonmisesvariate",
            "paretovariate",
            "weibullvariate",
            "binomialvariate",
        }
    ),
    "numpy.random": frozenset(
        {
            "rand",
            "randn",
            "randint",
            "random",
            "random_sample",
            "random_integers",
            "ranf",
            "sample",
            "choice",
            "shuffle",
            "permutation",
            "normal",
            "uniform",
            "binomial",
            "poisson",
            "beta",
            "exponential",
            "gamma",
            "multinomial",
            "multivariate_normal",
            "standard_normal",
            "bytes",
            "dirichlet",
            "geometric",
            "laplace",
            "logistic",
            "lognormal",
        }
    ),
    "torch": frozenset(
        {
            "rand",
            "randn",
            "randint",
            "randperm",
            "rand_like",
            "randn_like",
            "randint_like",
            "normal",
            "bernoulli",
            "multinomial",
            "poisson",
        }
    ),
}

#: Library calls that draw from numpy's global generator unless given a seed, with the keywords
#: that seed them: clustering that decides buckets, pools or samples an eval, and resampling
#: that puts an interval on a score, then depend on the run (``kmeans2(x, k, minit="++")``,
#: ``KMeans(n_clusters=8)``, ``scipy.stats.bootstrap((scores,), np.mean)``).
GLOBAL_RNG_LIBRARY_CALLS: dict[str, tuple[str, ...]] = {
    "scipy.cluster.vq.kmeans": ("seed", "rng"),
    "scipy.cluster.vq.kmeans2": ("seed", "rng"),
    "sklearn.cluster.KMeans": ("random_state",),
    "sklearn.cluster.MiniBatchKMeans": ("random_state",),
    "sklearn.cluster.BisectingKMeans": ("random_state",),
    "sklearn.mixture.GaussianMixture": ("random_state",),
    "scipy.stats.bootstrap": ("random_state", "rng"),
    "scipy.stats.permutation_test": ("random_state", "rng"),
    "sklearn.utils.resample": ("random_state",),
}

#: Calls that seed a global generator: ``module -> seeding functions``.
GLOBAL_RNG_SEEDERS: dict[str, frozenset[str]] = {
    "random": frozenset({"random.seed"}),
    "numpy.random": frozenset({"numpy.random.seed"}),
    "torch": frozenset(
        {"torch.manual_seed", "torch.random.manual_seed", "torch.cuda.manual_seed_all"}
    ),
}

#: Helpers that seed every generator at once (transformers, lightning, accelerate, Keras, own
#: helpers).
SEED_EVERYTHING_NAMES = frozenset(
    {
        "set_seed",
        "seed_everything",
        "seed_all",
        "set_seeds",
        "fix_seed",
        "set_random_seed",
        "enable_full_determinism",
    }
)

#: Calls whose value differs on every run: a seed computed from one is no seed.
CLOCK_READS = frozenset(
    {
        "time.time",
        "time.time_ns",
        "time.perf_counter",
        "time.perf_counter_ns",
        "time.monotonic",
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
        "datetime.now",
        "os.urandom",
        "os.getpid",
        "uuid.uuid4",
        "secrets.randbits",
        "secrets.token_bytes",
    }
)

#: Constructors of private generators that need a seed argument.
RNG_CONSTRUCTORS = frozenset(
    {"numpy.random.default_rng", "numpy.random.RandomState", "random.Random", "torch.Generator"}
)

#: Clients and chat models of Azure OpenAI (the OpenAI SDK's, LangChain's): the id they are
#: given (``model=``, ``azure_deployment=``) is a deployment the user named.
AZURE_OPENAI_CLIENTS = frozenset(
    {"AzureOpenAI", "AsyncAzureOpenAI", "AzureChatOpenAI", "AzureOpenAIEmbeddings"}
)
