"""Outbound contract: a notice addressed to a person or a place in the system, never a chat.

Services and the sweep build ``Notice`` values; the outbox stores them with the recipient's
key; the channel (Telegram today) resolves the recipient to its own address when it sends.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = ["Notice", "Recipient", "RecipientKind"]


class RecipientKind(StrEnum):
    """Whom a notice is for."""

    PERSON = "person"  # a staff member (ref: the roster's id for them)
    STAFF_GROUP = "group"  # the staff group of an office (ref: office id)
    REPORTER = "reporter"  # whoever reported a case (ref: case id)
    ADDRESS = "address"  # a raw channel address (ref: "<channel>:<address>")


@dataclass(frozen=True, slots=True)
class Recipient:
    """An addressee in the system's own terms; ``key()`` is its stable text form."""

    kind: RecipientKind
    ref: str

    @classmethod
    def person(cls, ref: int | str) -> Recipient:
        """A staff member by roster reference (today the roster's user id)."""
        return cls(RecipientKind.PERSON, str(ref))

    @classmethod
    def staff_group(cls, office_id: str) -> Recipient:
        """The staff group of an office."""
        return cls(RecipientKind.STAFF_GROUP, office_id)

    @classmethod
    def reporter(cls, case_id: int) -> Recipient:
        """The reporter of a case (the channel knows where they wrote from)."""
        return cls(RecipientKind.REPORTER, str(int(case_id)))

    @classmethod
    def address(cls, channel: str, address: str | int) -> Recipient:
        """A raw address on one channel (e.g. a deferred reply to the chat that wrote)."""
        if not channel or ":" in channel:
            raise ValueError(f"bad channel name {channel!r}")
        return cls(RecipientKind.ADDRESS, f"{channel}:{address}")

    def __post_init__(self) -> None:
        if not self.ref:
            raise ValueError("a recipient needs a reference")
        if self.kind is RecipientKind.REPORTER and not self.ref.isdigit():
            raise ValueError(f"reporter reference must be a case id, got {self.ref!r}")
        if self.kind is RecipientKind.ADDRESS and ":" not in self.ref:
            raise ValueError(f"address reference must be channel:address, got {self.ref!r}")

    def key(self) -> str:
        """Text form: person:123, group:TNG, reporter:5, address:telegram:-100123."""
        return f"{self.kind.value}:{self.ref}"

    @classmethod
    def parse(cls, text: str) -> Recipient:
        """The recipient of a ``key()`` (ValueError for anything else)."""
        kind, sep, ref = text.partition(":")
        if not sep:
            raise ValueError(f"not a recipient key: {text!r}")
        try:
            return cls(RecipientKind(kind), ref)
        except ValueError:
            raise ValueError(f"not a recipient key: {text!r}") from None

    @property
    def channel(self) -> str | None:
        """The channel of a raw address (None for the other kinds)."""
        if self.kind is not RecipientKind.ADDRESS:
            return None
        return self.ref.partition(":")[0]

    @property
    def channel_address(self) -> str | None:
        """The address part of a raw address (None for the other kinds)."""
        if self.kind is not RecipientKind.ADDRESS:
            return None
        return self.ref.partition(":")[2]

    def __str__(self) -> str:
        return self.key()


@dataclass(frozen=True)
class Notice:
    """One message to someone, caused by a state change; rendered by the channel."""

    kind: str
    recipient: Recipient
    params: Mapping[str, Any] = field(default_factory=dict)
    dedupe_key: str | None = None
    language: str = "id"
    case_id: int | None = None
    not_before: datetime | None = None
