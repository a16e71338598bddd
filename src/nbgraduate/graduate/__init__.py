"""``nbgraduate convert``: graduate a legacy notebook into a parameterised, locked pipeline.

``plan`` decides every rewrite from the notebook's analysis, ``rewrite`` applies them with
libcst, ``requirements`` pins what the notebook installs and imports, ``convert`` writes the
pipeline directory atomically, and ``batch`` converts many notebooks at once.
"""
