"""The services' dependencies, built once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.clock import Clock
from bot.crypto import Cipher
from bot.domain.calendar import OfficeCalendar
from bot.domain.office import Office
from bot.store.cases import CaseStore
from bot.store.db import Database
from bot.store.outbox import OutboxStore

__all__ = ["Services"]


@dataclass
class Services:
    """Database, clock, cipher, offices and repositories."""

    db: Database
    clock: Clock
    cipher: Cipher
    offices: dict[str, Office]
    cases: CaseStore = field(init=False)
    outbox: OutboxStore = field(init=False)
    calendars: dict[str, OfficeCalendar] = field(init=False)

    def __post_init__(self) -> None:
        self.cases = CaseStore(self.cipher)
        self.outbox = OutboxStore(self.cipher)
        self.calendars = {oid: OfficeCalendar(o) for oid, o in self.offices.items()}

    def office(self, office_id: str) -> Office:
        """An office by id (KeyError if unknown)."""
        return self.offices[office_id]

    def staff_offices(self, user_id: int) -> list[Office]:
        """Offices where the user is on the roster."""
        return [o for o in self.offices.values() if o.is_staff(user_id)]
