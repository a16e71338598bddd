"""Round axis ticks for the dashboard's charts: 0, 0.25, 0.5 rather than 0.4167, 0.6833.

The step is 1, 2, 2.5 or 5 times a power of ten (Heckbert's "nice numbers"), chosen so about
``target`` ticks cover the data; the axis runs from the tick at or below the lowest value to
the tick at or above the highest. A proportion's axis stays inside [0, 1].
"""

from __future__ import annotations

import math

__all__ = ["Axis", "nice_axis"]

_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)


class Axis:
    """Ticks from ``low`` to ``high`` every ``step``, and how to print them."""

    __slots__ = ("decimals", "high", "low", "step", "ticks")

    def __init__(self, low: float, high: float, step: float) -> None:
        count = round((high - low) / step)
        self.decimals = _decimals(step)
        self.step = step
        # Rounded, so 0.1 * 7 is the tick 0.7 and not 0.7000000000000001.
        self.ticks = [round(low + index * step, self.decimals + 2) for index in range(count + 1)]
        self.low, self.high = self.ticks[0], self.ticks[-1]

    def label(self, value: float) -> str:
        text = f"{value:.{self.decimals}f}"
        return "0" if text.strip("-0.") == "" else text


def nice_axis(low: float, high: float, *, target: int = 5, proportion: bool = False) -> Axis:
    """An axis whose round ticks cover ``[low, high]``; with ``proportion`` within [0, 1]."""
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"axis over non-finite values {low!r}, {high!r}")
    if low > high:
        low, high = high, low
    if proportion:
        low, high = min(max(low, 0.0), 1.0), min(max(high, 0.0), 1.0)
    if high - low < 1e-12:
        # One value: show a little around it (a tenth of its size, or 0.05 near zero).
        pad = max(abs(low) * 0.1, 0.05)
        low, high = low - pad, high + pad
    raw = (high - low) / max(target - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(s * magnitude for s in _STEPS if s * magnitude >= raw * (1 - 1e-9))
    start = math.floor(low / step + 1e-9) * step
    end = math.ceil(high / step - 1e-9) * step
    if proportion:
        start, end = max(start, 0.0), min(end, 1.0)
        if end - start < step:  # a value at 0 or 1 exactly
            start, end = max(0.0, end - step), min(1.0, start + step)
    return Axis(start, end, step)


def _decimals(step: float) -> int:
    # 0.25 needs two decimals, 0.2 one, 5 none.
    for decimals in range(0, 12):
        if abs(round(step, decimals) - step) < step * 1e-9:
            return decimals
    return 12
