"""The law's limits on services, applied where a case is handed to a service."""

from __future__ import annotations

import functools
from datetime import datetime

from bot.domain.eligibility import CaseFacts, Decision, Rules, load_rules
from bot.domain.i18n_marker import N_
from bot.store import Tx
from bot.store.audit import append_audit
from bot.store.cases import CaseRow

__all__ = ["NOT_ELIGIBLE_MESSAGE", "case_facts", "default_rules", "refusal"]

NOT_ELIGIBLE_MESSAGE = N_("The law does not allow this service for this case ({articles}).")


@functools.cache
def default_rules() -> Rules:
    """The shipped rules file, read once."""
    return load_rules()


def case_facts(case: CaseRow) -> CaseFacts:
    """What the intake recorded and staff assessed (/asesmen); the rest stays unknown."""
    return CaseFacts(
        violence=frozenset(case.categories),
        child_victim=case.child_victim,
        relation=case.relation or None,
        perpetrator_child=case.perpetrator_child,
        kdrt_severe=case.kdrt_severe,
    )


async def refusal(
    rules: Rules, conn: Tx, case: CaseRow, service: str | None, *, actor: str, at: datetime
) -> Decision | None:
    """The refusing decision (audited) when the rules forbid ``service`` for ``case``."""
    if service is None or service not in rules.services:
        return None
    decision = rules.decide(service, case_facts(case))
    if decision.allowed:
        return None
    keys = ",".join(r.key for r in decision.refusals)
    await append_audit(
        conn, at=at, actor=actor, action=f"refused:{service}", case_id=case.id, detail=keys
    )
    return decision
