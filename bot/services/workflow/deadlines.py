"""Use cases of SOP-level deadlines: where each SOP instance of a case stands against them."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.domain.calendar import OfficeCalendar
from bot.domain.sop import Sop
from bot.domain.sop_deadlines import DeadlineState, deadline_state
from bot.services.workflow.engine import Engine, load_sops
from bot.store.workflow import InstanceRow, StepRow

__all__ = [
    "DeadlineUseCases",
    "SopDeadline",
    "case_deadlines",
    "deadline_summary",
    "instance_deadlines",
    "shipped_sops",
]

_SOPS_DIR = Path(__file__).resolve().parents[2] / "sops"


@functools.cache
def shipped_sops() -> Mapping[str, Sop]:
    """The SOP files shipped with the bot (what the runtime loads)."""
    return load_sops(_SOPS_DIR)


@dataclass(frozen=True)
class SopDeadline:
    """One SOP-level deadline of one SOP instance of a case."""

    instance_id: int
    sop_key: str
    state: DeadlineState


def instance_deadlines(
    sop: Sop, calendar: OfficeCalendar, inst: InstanceRow, steps: Iterable[StepRow],
    urgent: bool = False,
) -> list[SopDeadline]:  # fmt: skip
    """The deadlines of one instance from its steps (first opening of each step key)."""
    first: dict[str, datetime] = {}
    for s in sorted(steps, key=lambda r: r.id):
        if s.instance_id == inst.id:
            first.setdefault(s.step_key, s.opened_at)
    out = []
    for d in sop.deadlines:
        state = deadline_state(d, calendar, started_at=inst.started_at, ended_at=inst.ended_at,
                               first_opened=first, urgent=urgent)  # fmt: skip
        out.append(SopDeadline(inst.id, inst.sop_key, state))
    return out


def case_deadlines(
    sops: Mapping[str, Sop], calendar: OfficeCalendar, instances: Iterable[InstanceRow],
    steps: list[StepRow], urgent: bool = False,
) -> list[SopDeadline]:  # fmt: skip
    """Every SOP-level deadline of a case's instances, in instance order."""
    out: list[SopDeadline] = []
    for inst in instances:
        sop = sops.get(inst.sop_key)
        if sop is not None and sop.deadlines:
            out += instance_deadlines(sop, calendar, inst, steps, urgent)
    return out


def deadline_summary(deadlines: Iterable[SopDeadline], now: datetime) -> str:
    """'pkl_mediasi.decision:met;pkl_mediasi.completion:open' (met, late, overdue, open)."""
    parts = []
    for d in deadlines:
        s = d.state
        word = ("late" if s.overdue(now) else "met") if s.met else (
            "overdue" if s.overdue(now) else "open")  # fmt: skip
        parts.append(f"{d.sop_key}.{s.deadline.key}:{word}")
    return ";".join(parts)


class DeadlineUseCases(Engine):
    """What /kasus shows of the SOP-level time standards."""

    async def sop_deadlines(self, case_id: int) -> list[SopDeadline]:
        """A case's SOP-level deadlines (due, met or not), in instance order."""
        async with self.svc.db.reading() as conn:
            case = await self.svc.cases.get(conn, case_id)
            if case is None:
                return []
            instances = await self.store.instances(conn, case_id)
            steps = await self.store.steps_of_case(conn, case_id)
        calendar = self.svc.calendars[case.office_id]
        return case_deadlines(self.sops, calendar, instances, steps, case.urgent)
