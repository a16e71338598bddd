"""A repository wired for nbgraduate: ``init`` (``setup``) and the pre-commit hooks (``hooks``)."""
