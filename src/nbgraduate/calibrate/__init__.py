"""Judge calibration: catch drift of the pinned judge on a frozen reference set.

``reference`` reads the calibration set and its declaration, ``judge`` resolves the call the
lock pins, ``client`` talks to the Chat Completions API, ``parsing`` reads verdicts,
``agreement`` holds the statistics, ``run`` orchestrates and records, ``render`` reports.
"""
