"""Staff complete a case's SIMFONI record: victims, reported parties, place, region, services."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.identity import actor_for
from bot.domain.office import Role
from bot.domain.record_entry import RecordEntry
from bot.services.context import Services
from bot.store import Tx
from bot.store.audit import append_audit
from bot.store.records import CaseRecord, PartyRow, VictimRow

__all__ = ["RECORDERS", "RecordOutcome", "RecordResult", "complete_record", "show_record"]

#: who completes the record: the complaint officer at the first response, the head, the case
#: manager, the companion and the unit's data admin
RECORDERS = (Role.PETUGAS, Role.KETUA, Role.MANAJER_KASUS, Role.PENDAMPING, Role.ADMIN)


class RecordOutcome(StrEnum):
    """How a look at or a change of the record ended."""

    OK = "ok"
    NOT_FOUND = "not_found"
    NOT_ALLOWED = "not_allowed"
    BAD_NUMBER = "bad_number"  # a victim or party number that neither exists nor comes next


@dataclass(frozen=True)
class RecordResult:
    """The outcome, the case number and, when allowed, the record as it is now."""

    outcome: RecordOutcome
    number: str | None = None
    record: CaseRecord | None = None


async def _case(
    svc: Services, tx: Tx, number: str, user_id: int
) -> tuple[RecordResult | None, int]:
    case = await svc.cases.by_number(tx, number)
    office = svc.offices.get(case.office_id) if case is not None else None
    if case is None or office is None or not office.is_staff(user_id):
        return RecordResult(RecordOutcome.NOT_FOUND), 0
    if not office.has_role(user_id, *RECORDERS):
        await append_audit(tx, at=svc.clock.now(), actor=actor_for(user_id),
                           action="denied:record", case_id=case.id)  # fmt: skip
        return RecordResult(RecordOutcome.NOT_ALLOWED, case.number), case.id
    return None, case.id


async def show_record(svc: Services, number: str, user_id: int) -> RecordResult:
    """The record of a case, for its staff who complete it."""
    async with svc.db.transaction() as tx:
        refused, case_id = await _case(svc, tx, number, user_id)
        if refused is not None:
            return refused
        return RecordResult(RecordOutcome.OK, number.upper(), await svc.records.record(tx, case_id))


async def complete_record(
    svc: Services, number: str, user_id: int, entry: RecordEntry
) -> RecordResult:
    """Apply what staff typed (all or nothing); audited with the codes, never names."""
    async with svc.db.transaction() as tx:
        refused, case_id = await _case(svc, tx, number, user_id)
        if refused is not None:
            return refused
        before = await svc.records.record(tx, case_id)
        if not _numbers_fit(entry.victims, len(before.victims)) or not _numbers_fit(
            entry.parties, len(before.parties)
        ):
            return RecordResult(RecordOutcome.BAD_NUMBER, number.upper(), before)
        await svc.records.set_case(
            tx, case_id, place=entry.place, region=entry.region, services_given=entry.services
        )
        for n, values in sorted(entry.victims.items()):
            if n > len(before.victims):
                await svc.records.add_victim(tx, case_id, VictimRow(n, **values))
            else:
                await svc.records.set_victim(tx, case_id, n, values)
        for n, values in sorted(entry.parties.items()):
            if n > len(before.parties):
                await svc.records.add_party(tx, case_id, PartyRow(n, **values))
            else:
                await svc.records.set_party(tx, case_id, n, values)
        detail = {
            "place": entry.place,
            "services": list(entry.services) if entry.services is not None else None,
            "region_set": entry.region is not None,
            "victims": {str(k): v for k, v in entry.victims.items()},
            "parties": {str(k): v for k, v in entry.parties.items()},
        }
        await append_audit(tx, at=svc.clock.now(), actor=actor_for(user_id), action="record",
                           case_id=case_id, detail=json.dumps(detail))  # fmt: skip
        after = await svc.records.record(tx, case_id)
    return RecordResult(RecordOutcome.OK, number.upper(), after)


def _numbers_fit(changes: dict[int, dict[str, str]], existing: int) -> bool:
    """Each number exists already or is the next one (added in order)."""
    wanted = sorted(changes)
    nxt = existing + 1
    for n in wanted:
        if n <= existing:
            continue
        if n != nxt:
            return False
        nxt += 1
    return True
