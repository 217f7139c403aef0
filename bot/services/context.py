"""The services' dependencies, built once by the composition root."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.clock import Clock
from bot.crypto import Cipher
from bot.domain.calendar import OfficeCalendar
from bot.domain.office import Office, Role, roster_overlay
from bot.store.cases import CaseStore
from bot.store.db import Database
from bot.store.outbox import OutboxStore
from bot.store.records import RecordStore
from bot.store.roster import RosterStore

__all__ = ["Services"]


@dataclass
class Services:
    """Database, clock, cipher, offices and repositories.

    The offices' rosters live in the database (table ``roster``); ``offices`` holds them as
    last read. ``load_roster`` seeds the table from the rosters given here (the office file)
    with the approved changes on top; ``refresh_roster`` reads it again, so that what another
    process decided is seen (called at the start of each update and of each sweep).
    """

    db: Database
    clock: Clock
    cipher: Cipher
    offices: dict[str, Office]
    cases: CaseStore = field(init=False)
    outbox: OutboxStore = field(init=False)
    records: RecordStore = field(init=False)
    roster: RosterStore = field(init=False)
    calendars: dict[str, OfficeCalendar] = field(init=False)
    _file_rosters: dict[str, Mapping[int, frozenset[Role]]] = field(init=False, repr=False)
    _roster_seeded: bool = field(init=False, default=False, repr=False)

    def __post_init__(self) -> None:
        self.cases = CaseStore(self.cipher)
        self.outbox = OutboxStore(self.cipher)
        self.records = RecordStore()
        self.roster = RosterStore()
        self.calendars = {oid: OfficeCalendar(o) for oid, o in self.offices.items()}
        self._file_rosters = {oid: dict(o.roster) for oid, o in self.offices.items()}

    def office(self, office_id: str) -> Office:
        """An office by id (KeyError if unknown)."""
        return self.offices[office_id]

    def staff_offices(self, user_id: int) -> list[Office]:
        """Offices where the user is on the roster."""
        return [o for o in self.offices.values() if o.is_staff(user_id)]

    async def load_roster(self) -> None:
        """Seed the roster table from the office file with the approved changes on top.

        Idempotent: the same file and decisions give the same rows. Then read it back.
        """
        async with self.db.transaction() as conn:
            for oid, roster in self._file_rosters.items():
                changes = await self.roster.approved_changes(conn, oid)
                await self.roster.replace(conn, oid, roster_overlay(roster, changes))
        self._roster_seeded = True
        await self.refresh_roster()

    async def refresh_roster(self) -> None:
        """Read every office's roster from the database (seeding it first if not yet done)."""
        if not self._roster_seeded:
            await self.load_roster()
            return
        async with self.db.reading() as conn:
            rosters = await self.roster.load(conn, self.offices)
        for oid, roster in rosters.items():
            office = self.offices.get(oid)
            if office is not None and office.roster != roster:
                self.offices[oid] = dataclasses.replace(office, roster=roster)
