"""``nbgraduate run`` and the run store: execute a pipeline from its lock and record the run.

``run`` verifies and orchestrates, ``executor`` and ``warm_kernel`` execute through papermill,
``recording`` is the implementation of ``nbgraduate.record()`` inside a notebook, ``records``
is the run record model, and ``store`` keeps records and executed notebooks (``store_base``
is the behaviour its SQLite and PostgreSQL backends share). ``objects`` is the store's
content-addressed object area (``object_backends``: in a database or at an fsspec URL),
``snapshots`` keeps each run's datasets there, and ``gc`` finds the objects no record
references. ``settings`` says where to store and execute (the command line, the environment,
``[tool.nbgraduate]``); ``push`` copies runs between stores.
"""
