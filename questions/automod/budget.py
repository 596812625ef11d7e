"""The time the automatic checks of one message may take.

Every check is linear in the length of its text, and the text is capped before any check reads
it (docs/moderation.md, "Size limits"), so the checks of a message take milliseconds. The budget is
the guarantee that stays when that is not so (a slow machine, a pattern missed): the checks ask
it before each step, and once it is spent the remaining steps are skipped and the message is
flagged ``unchecked``, to be read by a moderator before it can go anywhere.

The budget counts the processor time of the thread running the checks, not the time on the wall
clock: it bounds the work one message may cost, and a busy machine (other processes, other
threads holding the interpreter) does not make a clean question look unchecked.
"""

from __future__ import annotations

import time


class Budget:
    """A deadline for the checks of one message, started by the first step that asks.

    ``seconds=None`` never runs out. Once :meth:`left` has said no it says no ever after, and
    :attr:`exhausted` tells that a step was skipped.
    """

    def __init__(self, seconds: float | None = None) -> None:
        self.seconds = seconds
        self.exhausted = False
        self._deadline: float | None = None

    def start(self) -> None:
        """Start the clock, if it is not already running."""
        if self._deadline is None and self.seconds is not None:
            self._deadline = time.thread_time() + self.seconds

    def left(self) -> bool:
        """Whether there is time to start another step."""
        if self.exhausted:
            return False
        if self.seconds is None:
            return True
        self.start()
        assert self._deadline is not None
        if time.thread_time() >= self._deadline:
            self.exhausted = True
        return not self.exhausted
