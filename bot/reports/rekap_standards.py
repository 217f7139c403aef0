"""/rekap's SOP-level time standards: how many were met in time, and how many are missed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.services.context import Services
from bot.services.workflow.deadlines import case_deadlines, shipped_sops
from bot.store import Tx
from bot.store.reports import ReportStore
from bot.store.workflow import WorkflowStore

__all__ = ["StandardsCount", "count_standards"]


@dataclass(frozen=True)
class StandardsCount:
    """SOP-level deadlines of an office's SOP instances started since a moment."""

    met_in_time: int = 0
    met: int = 0
    missed_open: int = 0  # past due and still not met

    @property
    def tracked(self) -> bool:
        """Whether any deadline was reached or is missed."""
        return bool(self.met or self.missed_open)


async def count_standards(
    svc: Services, conn: Tx, office_id: str, since: datetime, now: datetime
) -> StandardsCount:
    """Count the deadlines of instances started at or after ``since`` (no personal data)."""
    store, sops = WorkflowStore(svc.cipher), shipped_sops()
    calendar = svc.calendars[office_id]
    in_time = met = missed = 0
    for c in await ReportStore().export_cases(conn, office_id):
        instances = [i for i in await store.instances(conn, c["id"]) if i.started_at >= since
                     and sops.get(i.sop_key) is not None and sops[i.sop_key].deadlines]  # fmt: skip
        if not instances:
            continue
        steps = await store.steps_of_case(conn, c["id"])
        for d in case_deadlines(sops, calendar, instances, steps, bool(c["urgent"])):
            if d.state.met:
                met += 1
                in_time += int(not d.state.overdue(now))
            elif d.state.overdue(now):
                missed += 1
    return StandardsCount(in_time, met, missed)
