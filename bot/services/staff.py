"""Staff actions on a case: take it, read its details, grant access. Every attempt is audited.

A case's identity (details, letters) is need-to-know: ``may_read_identity`` in
bot/domain/permissions.py decides on facts looked up here (``identity_facts``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.domain.identity import actor_for
from bot.domain.notice import Notice, Recipient
from bot.domain.office import Office, Role
from bot.domain.permissions import (
    FIRST_RESPONSE_STEP,
    IdentityFacts,
    may_grant_access,
    may_read_identity,
    may_receive_access,
)
from bot.services.context import Services
from bot.store.access import AccessStore
from bot.store.audit import append_audit
from bot.store.cases import CaseRow
from bot.store.db import Tx

__all__ = [
    "TAKE_ROLES",
    "Outcome",
    "StaffResult",
    "case_details",
    "check_identity_access",
    "grant_access",
    "identity_facts",
    "may_see_identity",
    "take_case",
]

_ACCESS = AccessStore()

TAKE_ROLES = (Role.PETUGAS, Role.KETUA, Role.MANAJER_KASUS)


class Outcome(StrEnum):
    """How a staff action ended."""

    OK = "ok"
    NOT_FOUND = "not_found"
    NOT_ALLOWED = "not_allowed"
    ALREADY_TAKEN = "already_taken"
    NEED_TO_KNOW = "need_to_know"  # staff of the office, but not handling this case
    NOT_STAFF = "not_staff"  # a grant to someone not on the office's roster
    ALREADY_GRANTED = "already_granted"


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
    actor = actor_for(user_id)
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


async def identity_facts(tx: Tx, case: CaseRow) -> IdentityFacts:
    """What need-to-know depends on for a case: its taker, step people, stage and grants."""
    return IdentityFacts(
        taken_by=case.taken_by,
        step_people=await _ACCESS.step_people(tx, case.id),
        in_first_response=await _ACCESS.in_step(tx, case.id, FIRST_RESPONSE_STEP),
        granted=await _ACCESS.granted(tx, case.id),
    )


async def _need_to_know(
    svc: Services, tx: Tx, case: CaseRow | None, user_id: int, denied: str
) -> tuple[Outcome, Office | None]:
    """Check need-to-know inside the caller's transaction; a refusal is audited as ``denied``."""
    now, actor = svc.clock.now(), actor_for(user_id)
    if case is None:
        await append_audit(tx, at=now, actor=actor, action=denied, detail="no case")
        return Outcome.NOT_FOUND, None
    office = svc.offices.get(case.office_id)
    if office is None or not office.is_staff(user_id):
        await append_audit(tx, at=now, actor=actor, action=denied, case_id=case.id)
        return Outcome.NOT_ALLOWED, office
    if not may_read_identity(office, await identity_facts(tx, case), user_id):
        await append_audit(
            tx, at=now, actor=actor, action=denied, case_id=case.id, detail="need to know"
        )
        return Outcome.NEED_TO_KNOW, office
    return Outcome.OK, office


async def check_identity_access(
    svc: Services, case_id: int, user_id: int, *, denied: str
) -> StaffResult:
    """Whether the user may see the case's identity (e.g. its letters); refusals audited."""
    async with svc.db.transaction() as tx:
        case = await svc.cases.get(tx, case_id)
        outcome, _ = await _need_to_know(svc, tx, case, user_id, denied)
    return StaffResult(outcome, case if outcome is Outcome.OK else None)


async def may_see_identity(svc: Services, case_id: int, user_id: int) -> bool:
    """The same rule without an audit entry: for deciding which buttons to show."""
    async with svc.db.reading() as tx:
        case = await svc.cases.get(tx, case_id)
        office = svc.offices.get(case.office_id) if case is not None else None
        if case is None or office is None:
            return False
        return may_read_identity(office, await identity_facts(tx, case), user_id)


async def case_details(svc: Services, case_id: int, user_id: int) -> StaffResult:
    """Decrypted details for those who need to know (see ``may_read_identity``); audited."""
    now = svc.clock.now()
    actor = actor_for(user_id)
    async with svc.db.transaction() as conn:
        case = await svc.cases.get(conn, case_id)
        outcome, _ = await _need_to_know(svc, conn, case, user_id, "denied:read")
        if outcome is not Outcome.OK or case is None:
            return StaffResult(outcome)
        details = await svc.cases.details(conn, case_id)
        evidence = await svc.cases.evidence_count(conn, case_id)
        await append_audit(conn, at=now, actor=actor, action="read_details", case_id=case_id)
    return StaffResult(Outcome.OK, case, details, evidence)


async def grant_access(svc: Services, number: str, head_user_id: int, grantee: int) -> StaffResult:
    """The head of the case's office lets a staff member of that office read its identity.

    Refused (and audited as ``denied:grant_access``) for anyone but the head of the case's
    office, and for a grantee not on that office's roster. The grant is audited
    (``grant_access``, with the grantee's id).
    """
    now = svc.clock.now()
    actor = actor_for(head_user_id)
    async with svc.db.transaction() as tx:
        case = await svc.cases.by_number(tx, number)
        office = svc.offices.get(case.office_id) if case is not None else None
        outcome = Outcome.OK
        if case is None or office is None or not office.is_staff(head_user_id):
            outcome = Outcome.NOT_FOUND
        elif not may_grant_access(office, head_user_id):
            outcome = Outcome.NOT_ALLOWED
        elif not may_receive_access(office, grantee):
            outcome = Outcome.NOT_STAFF
        case_id = case.id if case is not None else None
        if outcome is not Outcome.OK:
            why = {"to": grantee, "why": outcome.value}
            await append_audit(tx, at=now, actor=actor, action="denied:grant_access",
                               case_id=case_id, detail=json.dumps(why))  # fmt: skip
            return StaffResult(outcome, case if outcome is not Outcome.NOT_FOUND else None)
        assert case is not None
        if not await _ACCESS.grant(tx, case.id, grantee, head_user_id, now):
            return StaffResult(Outcome.ALREADY_GRANTED, case)
        await append_audit(tx, at=now, actor=actor, action="grant_access", case_id=case.id,
                           detail=json.dumps({"to": grantee}))  # fmt: skip
    return StaffResult(Outcome.OK, case)
