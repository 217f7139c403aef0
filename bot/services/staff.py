"""Staff actions on a new case: take it, read its details. Every attempt is audited."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.domain.notice import Notice, Recipient
from bot.domain.office import Role
from bot.services.context import Services
from bot.store.audit import append_audit
from bot.store.cases import CaseRow

__all__ = ["TAKE_ROLES", "Outcome", "StaffResult", "case_details", "take_case"]

TAKE_ROLES = (Role.PETUGAS, Role.KETUA, Role.MANAJER_KASUS)


class Outcome(StrEnum):
    """How a staff action ended."""

    OK = "ok"
    NOT_FOUND = "not_found"
    NOT_ALLOWED = "not_allowed"
    ALREADY_TAKEN = "already_taken"


@dataclass(frozen=True)
class StaffResult:
    """Outcome, the case (when allowed) and its details (for detail reads)."""

    outcome: Outcome
    case: CaseRow | None = None
    details: dict[str, Any] | None = None
    evidence: int = 0


async def take_case(svc: Services, case_id: int, user_id: int) -> StaffResult:
    """A complaint officer (or head, case manager) of the case's office takes it."""
    now = svc.clock.now()
    actor = f"tg:{user_id}"
    async with svc.db.transaction() as conn:
        case = await svc.cases.get(conn, case_id)
        if case is None:
            await append_audit(conn, at=now, actor=actor, action="denied:take", detail="no case")
            return StaffResult(Outcome.NOT_FOUND)
        office = svc.offices.get(case.office_id)
        if office is None or not office.has_role(user_id, *TAKE_ROLES):
            await append_audit(conn, at=now, actor=actor, action="denied:take", case_id=case_id)
            return StaffResult(Outcome.NOT_ALLOWED)
        if case.taken_by is not None:
            return StaffResult(Outcome.ALREADY_TAKEN, case)
        if not await svc.cases.take(conn, case_id, user_id, now):
            return StaffResult(Outcome.ALREADY_TAKEN, case)
        await svc.cases.add_event(conn, case_id, now, actor, "taken")
        await append_audit(conn, at=now, actor=actor, action="take", case_id=case_id)
        # cases recorded by staff have no reporter to tell
        if case.notify_mode != "none" and await svc.cases.reporter(conn, case_id) is not None:
            notice = Notice(
                kind="reporter_taken",
                recipient=Recipient.reporter(case_id),
                params={"case_id": case_id, "mode": case.notify_mode},
                dedupe_key=f"reporter_taken:{case_id}",
                language=case.language,
                case_id=case_id,
            )
            await svc.outbox.add(conn, notice, at=now)
        updated = await svc.cases.get(conn, case_id)
    return StaffResult(Outcome.OK, updated)


async def case_details(svc: Services, case_id: int, user_id: int) -> StaffResult:
    """Decrypted details for rostered staff of the case's office; the read is audited."""
    now = svc.clock.now()
    actor = f"tg:{user_id}"
    async with svc.db.transaction() as conn:
        case = await svc.cases.get(conn, case_id)
        if case is None:
            await append_audit(conn, at=now, actor=actor, action="denied:read", detail="no case")
            return StaffResult(Outcome.NOT_FOUND)
        office = svc.offices.get(case.office_id)
        if office is None or not office.is_staff(user_id):
            await append_audit(conn, at=now, actor=actor, action="denied:read", case_id=case_id)
            return StaffResult(Outcome.NOT_ALLOWED)
        details = await svc.cases.details(conn, case_id)
        evidence = await svc.cases.evidence_count(conn, case_id)
        await append_audit(conn, at=now, actor=actor, action="read_details", case_id=case_id)
    return StaffResult(Outcome.OK, case, details, evidence)
