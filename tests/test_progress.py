"""The live progress line of ``nbgraduate run``: drawn in place on a terminal, throttled,
cleared before the summary, and absent from a log (CI)."""

from __future__ import annotations

import io

from nbgraduate.cli.progress import ProgressLine, describe
from nbgraduate.runs.executor import Progress


class Terminal(io.StringIO):
    """A stream that says it is a terminal, as a CI log does not."""

    def isatty(self) -> bool:
        return True


def test_the_line_says_what_is_done_running_failed_and_left() -> None:
    assert describe(Progress(done=0, running=2, failed=0, total=8), 3.2) == (
        "0/8 tasks done, 2 running, 3s elapsed"
    )
    # Half done in 40 s: about 40 s left; failures are counted among the done.
    assert describe(Progress(done=4, running=2, failed=1, total=8), 40) == (
        "4/8 tasks done, 2 running, 1 failed, 40s elapsed, about 40s left"
    )
    assert describe(Progress(done=1, running=1, failed=0, total=100), 75) == (
        "1/100 tasks done, 1 running, 1m15s elapsed, about 2h03m left"
    )


def test_it_redraws_in_place_on_a_terminal_and_clears_itself() -> None:
    stream = Terminal()
    line = ProgressLine(stream)
    line(Progress(done=0, running=1, failed=0, total=2))
    line(Progress(done=0, running=2, failed=0, total=2))  # within 0.2 s: not drawn
    line(Progress(done=2, running=0, failed=0, total=2))  # the last one always is
    line.close()
    drawn = stream.getvalue()
    assert drawn.count("\r") == 4  # two draws, then the clearing (out and back)
    assert "0/2 tasks done, 1 running" in drawn and "2/2 tasks done, 0 running" in drawn
    assert "0/2 tasks done, 2 running" not in drawn
    assert drawn.endswith("\r")


def test_it_is_silent_when_not_a_terminal() -> None:
    stream = io.StringIO()
    line = ProgressLine(stream)
    line(Progress(done=1, running=0, failed=0, total=1))
    line.close()
    assert stream.getvalue() == ""
