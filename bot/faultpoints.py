"""Named crash points for crash tests: the process dies there as if SIGKILLed.

Set ``PPA_CRASH_AT=name:n`` to die at the n-th time ``name`` is reached (1-based).
Unset in production: each call is then one dictionary look-up.

A named point never lands inside another delivery's window (the Bot API or the Graph API
has accepted a message, its outbox row is not yet marked sent): the point waits for the
deliveries in flight to be recorded, and no new delivery starts, before the process dies. A
real crash inside that window repeats one message (delivery is at-least-once); the crash
tests' SIGKILL rounds cover that case, and so does the one point placed inside the window on
purpose (``wa_after_send``, called with ``sending=True``: it waits for every delivery but
its own). The other named points test the handlers' own atomicity.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

__all__ = ["POINTS", "WHATSAPP_POINTS", "crash_point", "delivering"]

POINTS = (  # the Telegram crash test (tests/e2e/test_crash.py)
    "after_fetch",  # updates fetched from Telegram, not yet stored
    "after_inbox_commit",  # stored in the inbox, not yet processed
    "in_handler",  # inside the submit handler, before the case is stored
    "after_case_commit",  # the case is committed, the handler has not finished
    "before_inbox_done",  # handlers finished, the inbox row not yet marked done
)

WHATSAPP_POINTS = (  # the WhatsApp crash test (tests/e2e/test_crash_whatsapp.py)
    "wa_after_inbox_commit",  # the webhook stored the POST's messages, has not answered 200
    "wa_in_handler",  # a stored message is being handled, the form has not seen it yet
    "after_case_commit",  # (shared with POINTS) the submission's case is committed
    "wa_before_inbox_done",  # the form answered; session, replies and "done" not yet written
    "wa_after_send",  # the Graph API accepted a reply, its outbox row not yet marked sent
)

_counts: dict[str, int] = {}
_in_flight = 0
_recorded: asyncio.Event | None = None  # set whenever a delivery in flight is recorded
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


async def crash_point(name: str, *, sending: bool = False) -> None:
    """Die here (exit status 137, no clean-up) if PPA_CRASH_AT names this point and count.

    ``sending``: the caller is itself a delivery in flight (inside ``delivering()``), whose
    message the crash repeats; only the other deliveries are waited for.
    """
    global _dying, _recorded
    if not _due(name):
        return
    _dying = asyncio.Event()
    own = 1 if sending else 0
    try:
        while _in_flight > own:  # let the deliveries in flight be recorded first
            _recorded = asyncio.Event()
            await _recorded.wait()
        os._exit(137)
    finally:  # reached only where a test replaced os._exit: carry on as before
        _dying.set()
        _dying = _recorded = None


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
        if _recorded is not None:
            _recorded.set()
