"""Who someone is on a channel: a handle (channel name and the channel's own address)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Handle", "actor_for"]


def actor_for(person_id: int) -> str:
    """The audit actor for a person acting in the system."""
    return f"person:{int(person_id)}"


@dataclass(frozen=True, slots=True)
class Handle:
    """A person's address on one channel, e.g. ``Handle("telegram", "555001")``."""

    channel: str
    address: str

    def __post_init__(self) -> None:
        if not self.channel or ":" in self.channel:
            raise ValueError(f"bad channel name {self.channel!r}")
        if not self.address:
            raise ValueError("a handle needs an address")

    def key(self) -> str:
        """The stable text form, ``<channel>:<address>``."""
        return f"{self.channel}:{self.address}"

    def to_json(self) -> dict[str, str]:
        """For storing (encrypted)."""
        return {"channel": self.channel, "address": self.address}

    @classmethod
    def from_json(cls, value: Any, *, legacy_channel: str = "telegram") -> Handle:
        """From storage; a bare number is a handle stored before channels existed."""
        if isinstance(value, dict):
            return cls(str(value["channel"]), str(value["address"]))
        if isinstance(value, int):
            return cls(legacy_channel, str(value))
        raise ValueError("not a stored handle")
