"""The lock: a pipeline's manifest (``lockfile``), how it is built, versioned and verified.

``builder`` computes what the lock should say from the pipeline on disk, ``digests`` hashes
notebooks and datasets, ``drift`` compares two locks, ``contract`` versions the eval contract,
``locking`` is ``nbgraduate lock``/``verify``, and ``layout`` answers what a pipeline directory
looks like without loading the lock model.
"""

#: The locked manifest's file name in every pipeline directory. Defined here, in a module that
#: imports nothing, so the linter can look for locks without importing the lock model.
LOCK_FILENAME = "nbgraduate.lock"
