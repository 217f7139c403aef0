"""Staff record what they assessed about a case (facts the law's rules read)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.identity import actor_for
from bot.domain.office import Role
from bot.services.context import Services
from bot.store.audit import append_audit

__all__ = ["ASSESSORS", "AssessOutcome", "AssessResult", "record_assessment"]

#: who may record an assessment: the head, the case manager and the companion (seed 003
#: has the companion assess whether a case can be mediated)
ASSESSORS = (Role.KETUA, Role.MANAJER_KASUS, Role.PENDAMPING)


class AssessOutcome(StrEnum):
    """How recording an assessment ended."""

    OK = "ok"
    NOT_FOUND = "not_found"
    NOT_ALLOWED = "not_allowed"


@dataclass(frozen=True)
class AssessResult:
    """The outcome and, when found, the case number."""

    outcome: AssessOutcome
    number: str | None = None


async def record_assessment(
    svc: Services,
    number: str,
    user_id: int,
    *,
    perpetrator_child: bool | None,
    kdrt_severe: bool | None,
) -> AssessResult:
    """Set the assessed facts of a case (None: unknown); audited, refused to others."""
    now = svc.clock.now()
    actor = actor_for(user_id)
    async with svc.db.transaction() as tx:
        case = await svc.cases.by_number(tx, number)
        office = svc.offices.get(case.office_id) if case is not None else None
        if case is None or office is None or not office.is_staff(user_id):
            return AssessResult(AssessOutcome.NOT_FOUND)
        if not office.has_role(user_id, *ASSESSORS):
            await append_audit(tx, at=now, actor=actor, action="denied:assessment",
                               case_id=case.id)  # fmt: skip
            return AssessResult(AssessOutcome.NOT_ALLOWED, case.number)
        await svc.cases.set_assessment(tx, case.id, perpetrator_child, kdrt_severe)
        detail = json.dumps({"perpetrator_child": perpetrator_child, "kdrt_severe": kdrt_severe})
        await append_audit(tx, at=now, actor=actor, action="assessment", case_id=case.id,
                           detail=detail)  # fmt: skip
    return AssessResult(AssessOutcome.OK, case.number)
