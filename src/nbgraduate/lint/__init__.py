"""``nbgraduate lint``: rules (``rules/``) over a notebook's analysis, formats (``output/``).

``runner`` finds files and settings and runs ``linter`` per file in a process pool;
``repository`` runs the repository rules once per run; ``noqa`` and ``baseline`` decide what
is reported.
"""
