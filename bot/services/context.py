"""The services' dependencies, built once by the composition root."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.clock import Clock
from bot.crypto import Cipher
from bot.domain.calendar import OfficeCalendar
from bot.domain.identity import Handle
from bot.domain.office import Office, OnCall, Role, roster_overlay
from bot.store.audit import append_audit
from bot.store.cases import CaseStore
from bot.store.db import Database, Tx
from bot.store.evidence_files import EvidenceFiles, default_folder
from bot.store.integrity import (
    IntegrityFailure,
    adopt_unsigned,
    adoption_pending,
    sealed_offices,
)
from bot.store.outbox import OutboxStore
from bot.store.persons import PersonStore
from bot.store.records import RecordStore
from bot.store.roster import RosterStore

log = logging.getLogger(__name__)

__all__ = ["STAFF_CHANNEL", "Services"]

# the channel whose account ids the office file's roster lists
STAFF_CHANNEL = "telegram"


@dataclass
class Services:
    """Database, clock, cipher, offices and repositories.

    The offices' rosters live in the database (table ``roster``), keyed by person id;
    ``offices`` holds them as last read. The office file lists Telegram user ids: seeding maps
    each to its person. ``load_roster`` seeds the table from the rosters given here (the
    office file) with the approved changes on top; ``refresh_roster`` reads it again, so that
    what another process decided is seen (called at the start of each update and of each sweep).
    """

    db: Database
    clock: Clock
    cipher: Cipher
    offices: dict[str, Office]
    # the encrypted evidence file store's folder (None: beside the SQLite file, see
    # bot/store/evidence_files.py default_folder; PPA_EVIDENCE_DIR)
    evidence_dir: Path | None = None
    evidence: EvidenceFiles = field(init=False)
    cases: CaseStore = field(init=False)
    outbox: OutboxStore = field(init=False)
    records: RecordStore = field(init=False)
    roster: RosterStore = field(init=False)
    persons: PersonStore = field(init=False)
    # handle key -> person id, for handles this process has seen
    person_cache: dict[str, int] = field(init=False, default_factory=dict, repr=False)
    # person id -> Telegram handle of everyone on a roster (read with the roster)
    staff_handles: dict[int, Handle] = field(init=False, default_factory=dict, repr=False)
    # integrity failures this process has alerted on (bot/services/integrity.py)
    integrity_alerted: set[str] = field(init=False, default_factory=set, repr=False)
    calendars: dict[str, OfficeCalendar] = field(init=False)
    _file_rosters: dict[str, Mapping[int, frozenset[Role]]] = field(init=False, repr=False)
    _file_on_call: dict[str, OnCall] = field(init=False, repr=False)
    _roster_seeded: bool = field(init=False, default=False, repr=False)
    # the roster's change counter when it was last read (None: read it whatever the counter)
    _roster_version: int | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        folder = self.evidence_dir or default_folder(self.db.path)
        self.evidence = EvidenceFiles(folder, self.cipher)
        self.cases = CaseStore(self.cipher)
        self.outbox = OutboxStore(self.cipher)
        self.records = RecordStore()
        self.roster = RosterStore(self.cipher)
        self.persons = PersonStore(self.cipher)
        self.calendars = {oid: OfficeCalendar(o) for oid, o in self.offices.items()}
        self._file_rosters = {oid: dict(o.roster) for oid, o in self.offices.items()}
        self._file_on_call = {oid: o.on_call for oid, o in self.offices.items()}

    def file_staff(self, office_id: str | None = None) -> list[int]:
        """The Telegram user ids the office file lists (one office, or all), sorted."""
        rosters = (
            self._file_rosters.values() if office_id is None else [self._file_rosters[office_id]]
        )
        return sorted({uid for roster in rosters for uid in roster})

    def staff_address(self, person_id: int) -> str:
        """How staff know a colleague: their Telegram user id (as in the office file and
        /whoami), or ``#<person id>`` for someone not on a roster."""
        handle = self.staff_handles.get(person_id)
        return handle.address if handle is not None else f"#{person_id}"

    async def staff_address_of(self, person_id: int) -> str:
        """``staff_address``, reading the handle from the database when not known yet."""
        if person_id not in self.staff_handles:
            async with self.db.reading() as conn:
                handle = await self.persons.handle(conn, person_id, STAFF_CHANNEL)
            if handle is not None:
                self.staff_handles[person_id] = handle
        return self.staff_address(person_id)

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
        now = self.clock.now()
        async with self.db.transaction() as conn:
            await self._adopt_routing(conn)
            await self.persons.adopt_legacy_ids(conn, now)
            await self._adopt_unsigned(conn)
            for oid, file_roster in self._file_rosters.items():
                roster = {
                    await self.persons.ensure(conn, Handle(STAFF_CHANNEL, str(uid)), now): roles
                    for uid, roles in file_roster.items()
                }
                changes_hold = await self.roster.changes_seal_ok(conn, oid)
                changes = await self.roster.approved_changes(conn, oid)
                if not changes_hold and await self.roster.roster_seal_ok(conn, oid):
                    # a decision was added or deleted without the key (a removal deleted would
                    # put someone back): keep the last roster the bot itself sealed
                    log.error("integrity: office %s keeps its last sealed roster", oid)
                    continue
                await self.roster.replace(conn, oid, roster_overlay(roster, changes))
            # the on-call rota names Telegram user ids too: each becomes its person
            for oid, rota in self._file_on_call.items():
                shifts = []
                for shift in rota.shifts:
                    people = [
                        await self.persons.ensure(conn, Handle(STAFF_CHANNEL, str(uid)), now)
                        for uid in shift.people
                    ]
                    shifts.append(dataclasses.replace(shift, people=tuple(people)))
                on_call = dataclasses.replace(rota, shifts=tuple(shifts))
                self.offices[oid] = dataclasses.replace(self.offices[oid], on_call=on_call)
        failures = self.roster.take_failures()
        self._roster_seeded = True
        self._roster_version = None
        await self.refresh_roster()  # the heads to alert are person ids from here on
        if failures:
            async with self.db.transaction() as conn:
                await self.alert_integrity(conn, failures)

    async def _adopt_unsigned(self, conn: Tx) -> None:
        """Sign the rows from before the MACs, once: at the first start after the upgrade (the
        migration's flag, and no seal written yet by any start)."""
        if not await adoption_pending(conn):
            return
        if await sealed_offices(conn):  # integrity was established: someone put the flag back
            log.error("integrity: unsigned roster rows wait, but seals exist: not signed")
            return
        signed = await adopt_unsigned(conn, self.cipher)
        await self.roster.reseal_all(conn, self._file_rosters)
        await append_audit(conn, at=self.clock.now(), actor="system:integrity",
                           action="integrity_adopted", detail=f"rows={signed}")  # fmt: skip
        log.warning("integrity: %d rows from before the upgrade signed", signed)

    async def _adopt_routing(self, conn: Tx) -> None:
        from bot.services.integrity import adopt_routing_rows

        await adopt_routing_rows(self, conn)

    async def alert_integrity(self, conn: Tx, failures: list[IntegrityFailure]) -> None:
        """Log, audit and tell the heads of rows that failed their MAC (once each)."""
        if failures:
            from bot.services.integrity import alert_failures

            await alert_failures(self, conn, failures)

    async def refresh_roster(self) -> None:
        """Read every office's roster from the database (seeding it first if not yet done); alert
        first what the stores refused since (bot/services/integrity.py ``alert_routing``)."""
        from bot.services.integrity import alert_routing

        await alert_routing(self)
        if not self._roster_seeded:
            await self.load_roster()
            return
        async with self.db.reading() as conn:
            version = await self.roster.version(conn)
            if version == self._roster_version:
                return  # nothing changed since the last read: one small query per update
            rosters = await self.roster.load(conn, self.offices)
            self._roster_version = version
            for roster in rosters.values():
                for pid in roster.keys() - self.staff_handles.keys():
                    handle = await self.persons.handle(conn, pid, STAFF_CHANNEL)
                    if handle is not None:
                        self.staff_handles[pid] = handle
                        self.person_cache[handle.key()] = pid
        for oid, roster in rosters.items():
            office = self.offices.get(oid)
            if office is not None and office.roster != roster:
                self.offices[oid] = dataclasses.replace(office, roster=roster)
        failures = self.roster.take_failures()
        if failures and not all(f.key() in self.integrity_alerted for f in failures):
            async with self.db.transaction() as conn:
                await self.alert_integrity(conn, failures)
