"""nbgraduate: graduate LLM eval notebooks into reproducible eval-as-code."""

__version__ = "0.1.0"

__all__ = ["__version__"]
