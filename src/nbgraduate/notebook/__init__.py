"""A notebook read once into one model: cells, the program they form, and a line map back.

``reader`` turns ``.ipynb`` and percent-format files into :class:`~.model.Notebook`,
``ipython_syntax`` translates magics line for line, ``raw_positions`` maps back to the JSON
lines on disk, and ``parameters`` reads and writes a papermill parameters cell.
"""
