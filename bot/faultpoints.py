"""Named crash points for crash tests: the process dies there as if SIGKILLed.

Set ``PPA_CRASH_AT=name:n`` to die at the n-th time ``name`` is reached (1-based).
Unset in production: each call is then one dictionary look-up.
"""

from __future__ import annotations

import os

__all__ = ["POINTS", "crash_point"]

POINTS = (
    "after_fetch",  # updates fetched from Telegram, not yet stored
    "after_inbox_commit",  # stored in the inbox, not yet processed
    "in_handler",  # inside the submit handler, before the case is stored
    "after_case_commit",  # the case is committed, the handler has not finished
    "before_inbox_done",  # handlers finished, the inbox row not yet marked done
)

_counts: dict[str, int] = {}


def crash_point(name: str) -> None:
    """Die here (exit status 137, no clean-up) if PPA_CRASH_AT names this point and count."""
    spec = os.environ.get("PPA_CRASH_AT")
    if not spec:
        return
    point, _, nth = spec.partition(":")
    if point != name:
        return
    _counts[name] = _counts.get(name, 0) + 1
    if _counts[name] == int(nth or "1"):
        os._exit(137)
