"""Referral use cases: refer a case, record what comes back, schedule and move its dates.

A referral is a record on the case: the receiving institution and the facts that come back
(police report number, BAP date, visum, case file number, verdict). Each dated event (a
hearing, a BAP examination) is reminded to the companion the previous working day and two
hours before, like a mediation session (the sweep keys the reminders by the date, so moving
it moves them). For a KDRT case, the report to the police starts the 1x24 hour deadline for
temporary protection (UU 23/2004 Pasal 16), on the wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.domain.i18n_marker import N_
from bot.domain.identity import actor_for
from bot.domain.notice import Notice, Recipient
from bot.domain.office import Office
from bot.domain.permissions import may_read_case
from bot.domain.referrals import DATE_KINDS, FACT_KEYS, REFERRAL_KINDS, is_kdrt, protection_due
from bot.domain.validation import clean_text
from bot.services import plan_records
from bot.services.context import Services
from bot.store.audit import append_audit
from bot.store.cases import CaseRow
from bot.store.db import Tx
from bot.store.referrals import ReferralDate, ReferralRow, ReferralStore
from bot.store.rows import iso

__all__ = [
    "ReferralResult",
    "ReferralView",
    "agenda",
    "case_id_for_number",
    "move_date",
    "record_fact",
    "record_police_report",
    "record_protection_requested",
    "refer",
    "referrals_of",
    "schedule_date",
]


@dataclass(frozen=True)
class ReferralResult:
    """ok with the ids made, or a message id (with params) saying why not."""

    ok: bool
    message: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    referral_id: int | None = None
    date_id: int | None = None


@dataclass(frozen=True)
class ReferralView:
    """A referral with its facts and dates (for staff of the office)."""

    row: ReferralRow
    facts: dict[str, Any]
    dates: list[ReferralDate]
    timezone: str  # the office's, for showing the dates


def _no(message: str, **params: Any) -> ReferralResult:
    return ReferralResult(False, message, dict(params))


async def _case_for_staff(
    svc: Services, conn: Tx, case_id: int, person_id: int, action: str
) -> tuple[CaseRow, Office] | ReferralResult:
    case = await svc.cases.get(conn, case_id)
    office = svc.offices.get(case.office_id) if case else None
    if case is None or office is None:
        return _no(N_("There is no such case."))
    if not may_read_case(office, person_id):
        await append_audit(conn, at=svc.clock.now(), actor=actor_for(person_id),
                           action=f"denied:{action}", case_id=case_id)  # fmt: skip
        return _no(N_("Only staff of this unit can do that."))
    if case.status == "closed":
        return _no(N_("This case is closed."))
    return case, office


async def _referral_for_staff(
    svc: Services, conn: Tx, store: ReferralStore, referral_id: int, person_id: int, action: str
) -> tuple[ReferralRow, CaseRow, Office] | ReferralResult:
    row = await store.get(conn, referral_id)
    if row is None:
        return _no(N_("There is no such referral."))
    found = await _case_for_staff(svc, conn, row.case_id, person_id, action)
    if isinstance(found, ReferralResult):
        return found
    return row, *found


async def refer(
    svc: Services, case_id: int, person_id: int, kind: str, institution: str,
    companion_id: int | None = None,
) -> ReferralResult:  # fmt: skip
    """Refer a case to an institution; the companion (default: the referrer) is reminded."""
    name = clean_text(institution)
    if kind not in REFERRAL_KINDS:
        return _no(N_("Unknown referral kind {kind}."), kind=kind)
    if not name:
        return _no(N_("Name the receiving institution."))
    now = svc.clock.now()
    store = ReferralStore(svc.cipher)
    async with svc.db.transaction() as conn:
        found = await _case_for_staff(svc, conn, case_id, person_id, "refer")
        if isinstance(found, ReferralResult):
            return found
        case, office = found
        companion = companion_id if companion_id is not None else person_id
        if not office.is_staff(companion):
            return _no(N_("The companion must be staff of this unit."))
        rid = await store.insert(conn, case_id=case_id, kind=kind, companion_id=companion,
                                 created_by=person_id, at=now,
                                 facts={"institution": name})  # fmt: skip
        await svc.cases.add_event(conn, case_id, now, actor_for(person_id), "referred",
                                  {"referral_id": rid, "kind": kind})  # fmt: skip
        await append_audit(conn, at=now, actor=actor_for(person_id), action="refer",
                           case_id=case_id, detail=f"referral {rid}: {kind}")  # fmt: skip
        await plan_records.referral_on_plan(svc, conn, case, office, rid, companion, now,
                                            person_id)  # fmt: skip
    return ReferralResult(True, referral_id=rid)


async def record_fact(
    svc: Services, referral_id: int, person_id: int, key: str, value: str
) -> ReferralResult:
    """Record a fact that came back (report number, BAP date, visum, file number, verdict)."""
    text = clean_text(value)
    if key not in FACT_KEYS:
        return _no(N_("Unknown fact {key}."), key=key)
    if not text:
        return _no(N_("Write the value."))
    now = svc.clock.now()
    store = ReferralStore(svc.cipher)
    async with svc.db.transaction() as conn:
        found = await _referral_for_staff(svc, conn, store, referral_id, person_id, "fact")
        if isinstance(found, ReferralResult):
            return found
        row = found[0]
        facts = await store.facts(conn, row.id)
        facts[key] = text
        await store.save_facts(conn, row.id, facts)
        await store.touch(conn, row.id, now)
        await append_audit(conn, at=now, actor=actor_for(person_id), action="referral_fact",
                           case_id=row.case_id, detail=f"referral {row.id}: {key}")  # fmt: skip
        await plan_records.fact_recorded(svc, conn, row.id, key, actor_for(person_id), now)
    return ReferralResult(True, referral_id=row.id)


async def record_police_report(
    svc: Services, referral_id: int, person_id: int, report_number: str,
    reported_at: datetime | None = None,
) -> ReferralResult:  # fmt: skip
    """The report to the police is made: its number; for KDRT, the 1x24 h protection clock."""
    number = clean_text(report_number)
    if not number:
        return _no(N_("Write the police report number."))
    now = svc.clock.now()
    at = reported_at or now
    if at.tzinfo is None or at > now:
        return _no(N_("The report time cannot be in the future."))
    store = ReferralStore(svc.cipher)
    async with svc.db.transaction() as conn:
        found = await _referral_for_staff(svc, conn, store, referral_id, person_id, "report")
        if isinstance(found, ReferralResult):
            return found
        row, case, office = found
        if row.kind != "police":
            return _no(N_("Only a referral to the police has a police report."))
        facts = await store.facts(conn, row.id)
        facts["report_number"] = number
        await store.save_facts(conn, row.id, facts)
        await store.touch(conn, row.id, now)
        due = protection_due(at) if is_kdrt(case.categories, case.relation) else None
        await store.set_reported(conn, row.id, at, due)
        await append_audit(conn, at=now, actor=actor_for(person_id), action="police_report",
                           case_id=case.id, detail=f"referral {row.id}")  # fmt: skip
        if due is not None:
            await _notice(svc, conn, office, Recipient.person(row.companion_id or person_id),
                          "protection_due", f"{row.id}.{iso(due)}", case_id=case.id,
                          referral_id=row.id, due_at=iso(due))  # fmt: skip
    return ReferralResult(True, referral_id=row.id)


async def record_protection_requested(
    svc: Services, referral_id: int, person_id: int
) -> ReferralResult:
    """Temporary protection was asked of the police: the 1x24 h deadline is met."""
    now = svc.clock.now()
    store = ReferralStore(svc.cipher)
    async with svc.db.transaction() as conn:
        found = await _referral_for_staff(svc, conn, store, referral_id, person_id, "protection")
        if isinstance(found, ReferralResult):
            return found
        row = found[0]
        if row.kind != "police":
            return _no(N_("Only a referral to the police has a police report."))
        await store.protection_requested(conn, row.id, now)
        await append_audit(conn, at=now, actor=actor_for(person_id),
                           action="protection_requested", case_id=row.case_id,
                           detail=f"referral {row.id}")  # fmt: skip
    return ReferralResult(True, referral_id=row.id)


def _check_when(when: datetime, now: datetime, place: str | None) -> ReferralResult | None:
    if when.tzinfo is None or when <= now:
        return _no(N_("The date must be in the future."))
    if place is not None and not clean_text(place):
        return _no(N_("Say where it takes place."))
    return None


async def _notice(
    svc: Services, conn: Tx, office: Office, to: Recipient, kind: str, key: str, **params: Any
) -> None:
    notice = Notice(kind=kind, recipient=to, params=params, language=office.language,
                    case_id=params.get("case_id"),
                    dedupe_key=f"{kind}:{key}:{to.key()}")  # fmt: skip
    await svc.outbox.add(conn, notice, at=svc.clock.now())


async def schedule_date(
    svc: Services, referral_id: int, person_id: int, when: datetime, place: str,
    kind: str = "hearing",
) -> ReferralResult:  # fmt: skip
    """A dated event of a referral (a hearing by default); the companion is reminded."""
    if kind not in DATE_KINDS:
        return _no(N_("Unknown kind of date {kind}."), kind=kind)
    now = svc.clock.now()
    if (bad := _check_when(when, now, place)) is not None:
        return bad
    store = ReferralStore(svc.cipher)
    async with svc.db.transaction() as conn:
        found = await _referral_for_staff(svc, conn, store, referral_id, person_id, "schedule")
        if isinstance(found, ReferralResult):
            return found
        row, case, office = found
        did = await store.add_date(conn, row.id, kind, when, clean_text(place), now)
        await store.touch(conn, row.id, now)
        await append_audit(conn, at=now, actor=actor_for(person_id), action="referral_date",
                           case_id=case.id, detail=f"referral {row.id}: {kind} {did}")  # fmt: skip
        if row.companion_id is not None and row.companion_id != person_id:
            await _notice(svc, conn, office, Recipient.person(row.companion_id),
                          "referral_date_set", f"{did}.{iso(when)}", case_id=case.id,
                          date_id=did, scheduled_at=iso(when))  # fmt: skip
    return ReferralResult(True, referral_id=row.id, date_id=did)


async def move_date(
    svc: Services, date_id: int, person_id: int, when: datetime, place: str | None = None
) -> ReferralResult:
    """Move a dated event (a postponed hearing); its reminders follow the new time."""
    now = svc.clock.now()
    if (bad := _check_when(when, now, place)) is not None:
        return bad
    store = ReferralStore(svc.cipher)
    async with svc.db.transaction() as conn:
        d = await store.get_date(conn, date_id)
        if d is None:
            return _no(N_("There is no such date."))
        found = await _referral_for_staff(svc, conn, store, d.referral_id, person_id, "move")
        if isinstance(found, ReferralResult):
            return found
        row, case, office = found
        if not await store.move_date(conn, d.id, when, clean_text(place) if place else None):
            return _no(N_("This date can no longer be moved."))
        await store.touch(conn, row.id, now)
        moved = f"date {d.id}: {iso(d.scheduled_at)} -> {iso(when)}"
        await append_audit(conn, at=now, actor=actor_for(person_id), action="referral_moved",
                           case_id=case.id, detail=moved)  # fmt: skip
        if row.companion_id is not None and row.companion_id != person_id:
            await _notice(svc, conn, office, Recipient.person(row.companion_id),
                          "referral_date_set", f"{d.id}.{iso(when)}", case_id=case.id,
                          date_id=d.id, scheduled_at=iso(when), moved=True)  # fmt: skip
    return ReferralResult(True, referral_id=row.id, date_id=d.id)


async def referrals_of(svc: Services, case_id: int, person_id: int) -> list[ReferralView] | None:
    """A case's referrals with facts and dates (None: no such case, or not staff there)."""
    store = ReferralStore(svc.cipher)
    async with svc.db.reading() as conn:
        case = await svc.cases.get(conn, case_id)
        office = svc.offices.get(case.office_id) if case else None
        if case is None or office is None or not may_read_case(office, person_id):
            return None
        return [
            ReferralView(
                row,
                await store.facts(conn, row.id),
                await store.dates_of(conn, row.id),
                office.timezone,
            )
            for row in await store.of_case(conn, case_id)
        ]


async def agenda(svc: Services, person_id: int) -> list[tuple[ReferralDate, str, str, str]]:
    """The person's coming referral dates as companion: (date, case number, place, zone)."""
    store = ReferralStore(svc.cipher)
    out: list[tuple[ReferralDate, str, str, str]] = []
    async with svc.db.reading() as conn:
        for d in await store.upcoming_for(conn, person_id, svc.clock.now()):
            case = await svc.cases.get(conn, d.case_id)
            office = svc.offices.get(case.office_id) if case else None
            if case is None or office is None or not may_read_case(office, person_id):
                continue
            out.append((d, case.number, await store.place(conn, d.id), office.timezone))
    return out


async def case_id_for_number(svc: Services, number: str) -> int | None:
    """The id of the case with this number (None if none)."""
    async with svc.db.reading() as conn:
        case = await svc.cases.by_number(conn, number)
    return case.id if case else None
