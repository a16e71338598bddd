"""The live progress line of ``nbgraduate run``: tasks done, running and failed, the time
spent and an estimate of what is left, rewritten in place on a terminal and silent otherwise
(a CI log gets the run's summary, not hundreds of carriage returns)."""

from __future__ import annotations

import sys
from time import monotonic
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from nbgraduate.runs.executor import Progress

__all__ = ["ProgressLine", "describe"]

# Redraw at most this often: a run of a thousand quick tasks would otherwise flood a terminal.
_MIN_INTERVAL_S = 0.2


def describe(progress: Progress, elapsed: float) -> str:
    """``3/8 tasks done, 2 running, 1 failed, 12s elapsed, about 20s left``."""
    parts = [f"{progress.done}/{progress.total} tasks done", f"{progress.running} running"]
    if progress.failed:
        parts.append(f"{progress.failed} failed")
    parts.append(f"{_duration(elapsed)} elapsed")
    remaining = progress.total - progress.done
    if progress.done and remaining:
        # Tasks of one run cost about the same: what is left at the pace so far.
        parts.append(f"about {_duration(elapsed / progress.done * remaining)} left")
    return ", ".join(parts)


class ProgressLine:
    """Called with each :class:`~nbgraduate.runs.executor.Progress`; draws on ``stream`` only
    when it is a terminal."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = monotonic()
        self.drawn_at = 0.0
        self.width = 0

    def __call__(self, progress: Progress) -> None:
        if not self.enabled:
            return
        now = monotonic()
        final = progress.done == progress.total
        if not final and now - self.drawn_at < _MIN_INTERVAL_S:
            return
        self.drawn_at = now
        line = f"nbgraduate run: {describe(progress, now - self.started)}"
        padding = " " * max(0, self.width - len(line))
        self.width = len(line)
        self.stream.write(f"\r{line}{padding}")
        self.stream.flush()

    def close(self) -> None:
        """Clear the line, so the run's summary starts on a clean one."""
        if self.enabled and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
