"""Every command's name and one-line summary: the listing ``nbgraduate --help`` prints.

A table rather than typer's own listing because ``nbgraduate --help`` is answered without
importing typer (:mod:`nbgraduate.cli.root`); :mod:`nbgraduate.cli.app` gives every typer
command its line from here and fails on a command that has none.
"""

from __future__ import annotations

__all__ = ["COMMAND_SUMMARIES", "ROOT_SUMMARY"]

ROOT_SUMMARY = "Graduate LLM eval notebooks into reproducible eval-as-code."

#: Every command and command group, in the order ``nbgraduate --help`` lists them, with the
#: one line it shows (at most 65 characters: click wraps longer ones at 80 columns).
COMMAND_SUMMARIES: dict[str, str] = {
    "lint": "Find what makes an eval notebook irreproducible.",
    "rule": "Explain a rule: why it is bad and what to write instead.",
    "convert": "Graduate legacy notebooks into parameterised papermill pipelines.",
    "lock": "(Re)compute nbgraduate.lock; a new eval contract bumps its version.",
    "verify": "Check that the working tree matches nbgraduate.lock.",
    "env": "Build the virtual environment a pipeline's lock describes.",
    "run": "Verify the lock, execute the pipeline, and record the run.",
    "gate": "Decide whether the candidate run is no worse than the baseline.",
    "reproduce": "Re-run a recorded run from its commit; does its number hold?",
    "report": "Build the pipelines' offline HTML dashboard from the run store.",
    "comment": "Post a Markdown summary as a pull-request comment (kept updated).",
    "calibrate": "Ask the pinned judge about the calibration set; catch its drift.",
    "gc": "Remove dataset snapshots that no recorded run references.",
    "init": "Set a repository up: config, pre-commit hooks, CI, CODEOWNERS.",
    "hook": "The checks nbgraduate's pre-commit hooks run on staged files.",
    "runs": "List, show and export recorded runs.",
}
