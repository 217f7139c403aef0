"""Looking a case up by its tracking code: the words for its stage and the hourly try limit."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.domain.i18n_marker import N_

__all__ = ["MAX_TRIES_PER_HOUR", "STAGE_TEXT", "status_try_allowed"]

MAX_TRIES_PER_HOUR = 10

# case stage -> (where it stands, what happens next), for the reporter on any channel
STAGE_TEXT = {
    "received": (
        N_("Received. It is waiting for a complaint officer."),
        N_("A complaint officer will respond by {due}."),
    ),
    "taken": (
        N_("A complaint officer is handling the report."),
        N_(
            "The unit will decide the next service with you (counselling, legal help, "
            "accompaniment or mediation)."
        ),
    ),
}


def status_try_allowed(state: dict[str, Any], now: datetime) -> bool:
    """Count one lookup in the reporter's state; False past MAX_TRIES_PER_HOUR in an hour."""
    recent = [
        x
        for x in state.get("status_tries", [])
        if now - datetime.fromisoformat(x) < timedelta(hours=1)
    ]
    allowed = len(recent) < MAX_TRIES_PER_HOUR
    if allowed:
        recent.append(now.isoformat())
    state["status_tries"] = recent
    return allowed
