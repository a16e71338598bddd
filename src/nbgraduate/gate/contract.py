"""What makes two runs' scores incomparable: :mod:`nbgraduate.runs.contract`, shared with the
dashboard so both read a run's effective contract the same way."""

from __future__ import annotations

from nbgraduate.runs.contract import contract_differences

__all__ = ["contract_differences"]
