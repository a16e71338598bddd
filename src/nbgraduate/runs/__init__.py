"""``nbgraduate run`` and the run store: execute a pipeline from its lock and record the run.

``run`` verifies and orchestrates, ``executor`` and ``warm_kernel`` execute through papermill,
``recording`` is the implementation of ``nbgraduate.record()`` inside a notebook, ``records``
is the run record model, and ``store`` keeps records and executed notebooks. ``objects`` is the
store's content-addressed object area, ``snapshots`` keeps each run's datasets there, and
``gc`` finds the snapshots no record references.
"""
