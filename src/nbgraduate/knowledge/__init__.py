"""What nbgraduate knows about the world, as data and pure functions.

Which model ids float (``model_policy``), what a provider's key looks like (``secrets``), how
install commands are written (``install_commands``), what a requirement, version and package
name mean by the packaging standards (``packages``), and how CODEOWNERS
patterns match (``codeowners``). Nothing here reads a notebook.
"""
