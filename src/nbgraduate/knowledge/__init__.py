"""What nbgraduate knows about the world, as data and pure functions.

Which model ids float (``model_policy``), what a provider's key looks like (``secrets``), how
install commands and requirements are written (``install_commands``), and how CODEOWNERS
patterns match (``codeowners``). Nothing here reads a notebook.
"""
