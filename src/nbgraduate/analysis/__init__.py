"""Static analysis of one notebook's code: one AST walk, a value resolver, and what they find.

``facts`` walks the program once, ``values`` follows names across cells, and the finders on
top say where model ids, dataset reads, LLM calls, randomness and point-estimate gates are.
``context.NotebookAnalysis`` bundles them for every reader (rules, converter, lock builder).
"""
