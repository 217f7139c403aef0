"""Per-chat lanes: which stored updates may run at the same time, and which are in flight.

Two updates conflict when they share a chat or a user (a staff member writes both in her
private chat and in the office's group; her user data is one). Conflicting updates run
strictly in ``update_id`` order; the others run concurrently, up to a bound. An update
with neither chat nor user conflicts with everything (it runs alone).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update

__all__ = [
    "ALONE",
    "DEFAULT_CONCURRENCY",
    "IN_FLIGHT_KEY",
    "InFlight",
    "conflicts",
    "in_flight",
    "lane_keys",
]

# an update without chat and user: conflicts with every other one
ALONE = 0
DEFAULT_CONCURRENCY = 8
IN_FLIGHT_KEY = "in_flight"


def lane_keys(update: Update) -> frozenset[int]:
    """The chat and user ids an update touches (a private chat's id is its user's id)."""
    keys: set[int] = set()
    if update.effective_chat is not None:
        keys.add(update.effective_chat.id)
    if update.effective_user is not None:
        keys.add(update.effective_user.id)
    return frozenset(keys) if keys else frozenset({ALONE})


def conflicts(keys: frozenset[int], others: Iterable[int] | set[int]) -> bool:
    """Whether an update with ``keys`` must wait for updates holding ``others``."""
    held = others if isinstance(others, set) else set(others)
    if not held:
        return False
    return ALONE in keys or ALONE in held or not held.isdisjoint(keys)


@dataclass
class InFlight:
    """Chat and user ids of the updates being handled now (kept in bot_data)."""

    ids: dict[int, int] = field(default_factory=dict)  # chat or user id -> update id

    def enter(self, update_id: int, keys: frozenset[int]) -> None:
        """An update's handling starts."""
        for key in keys:
            self.ids[key] = update_id

    def leave(self, keys: frozenset[int]) -> None:
        """An update's handling ended (its state and status committed)."""
        for key in keys:
            self.ids.pop(key, None)

    def busy(self, ident: int | None) -> bool:
        """Whether a chat or user has an update in flight (hands off its data)."""
        return ident is not None and ident in self.ids

    def held_by_other(self, ident: int | None, update_id: int | None) -> bool:
        """Whether an update other than ``update_id`` has this chat or user in flight."""
        if ident is None:
            return False
        owner = self.ids.get(ident)
        return owner is not None and owner != update_id

    def owner(self, ident: object) -> int | None:
        """The update in flight for this chat or user id, if any."""
        return self.ids.get(ident) if isinstance(ident, int) else None


def in_flight(bot_data: dict[str, Any]) -> InFlight:
    """The application's one in-flight registry."""
    found = bot_data.get(IN_FLIGHT_KEY)
    if not isinstance(found, InFlight):
        found = InFlight()
        bot_data[IN_FLIGHT_KEY] = found
    return found
