"""Graduated pipelines: the lock, conversion, verification and execution."""

#: The locked manifest's file name in every pipeline directory. Defined here, in a module that
#: imports nothing, so the linter can look for locks without importing the lock model.
LOCK_FILENAME = "nbgraduate.lock"
