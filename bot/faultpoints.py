"""Named crash points for crash tests: the process dies there as if SIGKILLed.

Set ``PPA_CRASH_AT=name:n`` to die at the n-th time ``name`` is reached (1-based).
Unset in production: each call is then one dictionary look-up.

A named point never lands inside the outbox's delivery window (Telegram has accepted a
message, its row is not yet marked sent): the point waits for a delivery in flight to be
recorded, and no new delivery starts, before the process dies. A real crash inside that
window repeats one message (delivery is at-least-once); the crash test's SIGKILL rounds
cover that case, and the named points test the handlers' own atomicity.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

__all__ = ["POINTS", "crash_point", "delivering"]

POINTS = (
    "after_fetch",  # updates fetched from Telegram, not yet stored
    "after_inbox_commit",  # stored in the inbox, not yet processed
    "in_handler",  # inside the submit handler, before the case is stored
    "after_case_commit",  # the case is committed, the handler has not finished
    "before_inbox_done",  # handlers finished, the inbox row not yet marked done
)

_counts: dict[str, int] = {}
_in_flight = 0
_idle: asyncio.Event | None = None  # set when the last delivery in flight is recorded
_dying: asyncio.Event | None = None  # while a crash point waits to die; set if it did not


def _due(name: str) -> bool:
    spec = os.environ.get("PPA_CRASH_AT")
    if not spec:
        return False
    point, _, nth = spec.partition(":")
    if point != name:
        return False
    _counts[name] = _counts.get(name, 0) + 1
    return _counts[name] == int(nth or "1")


async def crash_point(name: str) -> None:
    """Die here (exit status 137, no clean-up) if PPA_CRASH_AT names this point and count."""
    global _dying, _idle
    if not _due(name):
        return
    _dying = asyncio.Event()
    try:
        if _in_flight:  # let the delivery in flight be recorded first
            _idle = asyncio.Event()
            await _idle.wait()
        os._exit(137)
    finally:  # reached only where a test replaced os._exit: carry on as before
        _dying.set()
        _dying = _idle = None


@asynccontextmanager
async def delivering() -> AsyncIterator[None]:
    """Around one send and the record that it was sent (see the module's docstring)."""
    global _in_flight
    if _dying is not None:  # a crash point is on its way out: start nothing new
        await _dying.wait()
    _in_flight += 1
    try:
        yield
    finally:
        _in_flight -= 1
        if not _in_flight and _idle is not None:
            _idle.set()
