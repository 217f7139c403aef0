"""The export's casework sheets beside SIMFONI-PPA's: the SOP time standards of each case
and its case plan (services, outcomes, the closing reason). No personal data."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bot.domain.case_plan import CLOSE_REASONS, SERVICE_KINDS
from bot.domain.office import Office
from bot.i18n import I18n, Translator
from bot.services.context import Services
from bot.services.workflow.deadlines import SopDeadline, case_deadlines, shipped_sops
from bot.store import Tx
from bot.store.case_plan import CasePlanStore
from bot.store.db import Row
from bot.store.schema import has_table
from bot.store.workflow import WorkflowStore

__all__ = [
    "PLAN_COLUMNS",
    "PLAN_SHEET",
    "STANDARDS_COLUMNS",
    "STANDARDS_SHEET",
    "STATUS_WORDS",
    "Sheet",
    "casework_sheets",
    "standard_status",
]

STANDARDS_SHEET = "Standar Waktu SOP"
STANDARDS_COLUMNS = (
    "No. Registrasi",
    "SOP",
    "Standar",
    "Keterangan",
    "Mulai",
    "Batas Waktu",
    "Tercapai",
    "Status",
)
PLAN_SHEET = "Rencana Layanan"
PLAN_COLUMNS = (
    "No. Registrasi",
    "Layanan",
    "Kode Layanan",
    "Status Layanan",
    "Mulai",
    "Selesai",
    "Hasil",
    "Status Kasus",
    "Alasan Penutupan",
    "Kode Alasan Penutupan",
)
# a deadline's state in words: met in time, met late, missed (not met), still running
STATUS_WORDS = {
    "met": "tepat waktu",
    "late": "terlambat",
    "overdue": "lewat batas",
    "open": "berjalan",
}
_SERVICE_STATUS = {"running": "berjalan", "ended": "selesai"}
_CASE_STATUS = {"closed": "ditutup"}
_LABELS = {k.key: k.label for k in SERVICE_KINDS}

# one extra sheet: its name, its columns, its rows
Sheet = tuple[str, tuple[str, ...], list[dict[str, Any]]]


@functools.cache
def _indonesian() -> Translator:
    return I18n().get("id")


def standard_status(d: SopDeadline, now: datetime) -> str:
    """met, late, overdue or open (the export writes STATUS_WORDS of it)."""
    s = d.state
    if s.met:
        return "late" if s.overdue(now) else "met"
    return "overdue" if s.overdue(now) else "open"


def _local(when: datetime | None, office: Office) -> str:
    return when.astimezone(office.tz).strftime("%Y-%m-%d %H:%M") if when is not None else ""


async def casework_sheets(
    svc: Services, conn: Tx, office: Office, cases: Iterable[Row]
) -> list[Sheet]:
    """The time standards and the case plans of the exported cases, one row each."""
    if not (await has_table(conn, "steps") and await has_table(conn, "case_services")):
        return [(STANDARDS_SHEET, STANDARDS_COLUMNS, []), (PLAN_SHEET, PLAN_COLUMNS, [])]
    store, plans, sops = WorkflowStore(svc.cipher), CasePlanStore(), shipped_sops()
    calendar, now, t = svc.calendars[office.id], svc.clock.now(), _indonesian()
    standards: list[dict[str, Any]] = []
    plan_rows: list[dict[str, Any]] = []
    for c in cases:
        number, closed = str(c["number"]), c["status"] == "closed"
        instances = await store.instances(conn, c["id"])
        steps = await store.steps_of_case(conn, c["id"])
        started = {i.id: i.started_at for i in instances}
        for d in case_deadlines(sops, calendar, instances, steps, bool(c["urgent"])):
            standards.append({
                "No. Registrasi": number, "SOP": d.sop_key, "Standar": d.state.deadline.key,
                "Keterangan": d.state.deadline.note,
                "Mulai": _local(started[d.instance_id], office),
                "Batas Waktu": _local(d.state.due_at, office),
                "Tercapai": _local(d.state.met_at, office),
                "Status": STATUS_WORDS[standard_status(d, now)],
            })  # fmt: skip
        reason = (await plans.close_reason(conn, c["id"]) or "") if closed else ""
        case_part = {
            "Status Kasus": _CASE_STATUS.get(str(c["status"]), "terbuka"),
            "Alasan Penutupan": t.translate(CLOSE_REASONS[reason]) if reason in CLOSE_REASONS
            else reason,
            "Kode Alasan Penutupan": reason,
        }  # fmt: skip
        services = await plans.services(conn, c["id"])
        for s in services:
            plan_rows.append({
                "No. Registrasi": number,
                "Layanan": t.translate(_LABELS[s.kind]) if s.kind in _LABELS else s.kind,
                "Kode Layanan": s.kind, "Status Layanan": _SERVICE_STATUS.get(s.status, s.status),
                "Mulai": _local(s.started_at, office), "Selesai": _local(s.ended_at, office),
                "Hasil": s.outcome or "", **case_part,
            })  # fmt: skip
        if not services and closed:
            plan_rows.append({"No. Registrasi": number, **case_part})
    return [(STANDARDS_SHEET, STANDARDS_COLUMNS, standards), (PLAN_SHEET, PLAN_COLUMNS, plan_rows)]
