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
    }
)

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
    }
)

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
    }
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
    "models.generate_content",
    "generate_content",
    "generate_content_async",
    "converse",
    "ollama.chat",
    "ollama.generate",
)

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
    }
)

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
        "polars.scan_csv",
        "polars.scan_parquet",
        "polars.scan_ndjson",
        "numpy.load",
        "numpy.loadtxt",
        "numpy.genfromtxt",
        "datasets.load_from_disk",
        "datasets.Dataset.from_csv",
        "datasets.Dataset.from_json",
        "datasets.Dataset.from_parquet",
        "inspect_ai.dataset.json_dataset",
        "inspect_ai.dataset.csv_dataset",
        "jsonlines.open",
        "srsly.read_jsonl",
        "srsly.read_json",
    }
)

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

#: Calls that seed a global generator: ``module -> seeding functions``.
GLOBAL_RNG_SEEDERS: dict[str, frozenset[str]] = {
    "random": frozenset({"random.seed"}),
    "numpy.random": frozenset({"numpy.random.seed"}),
    "torch": frozenset(
        {"torch.manual_seed", "torch.random.manual_seed", "torch.cuda.manual_seed_all"}
    ),
}

#: Helpers that seed every generator at once (transformers, lightning, accelerate, own helpers).
SEED_EVERYTHING_NAMES = frozenset(
    {"set_seed", "seed_everything", "seed_all", "set_seeds", "fix_seed"}
)

#: Constructors of private generators that need a seed argument.
RNG_CONSTRUCTORS = frozenset(
    {"numpy.random.default_rng", "numpy.random.RandomState", "random.Random", "torch.Generator"}
)
