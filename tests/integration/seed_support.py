"""Helpers of the seed-fidelity tests: walk an SOP to a step, check its actor, time and output."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from docx import Document

from bot.domain.duration import Duration, Unit
from bot.reports import generate_letter
from bot.services.workflow import Outcome
from bot.store.workflow import StepRow
from tests.integration.workflow_support import (
    IDS,
    WIB,
    Env,
    case_management,
    do,
    new_case,
    open_step,
    outbox,
)

__all__ = ["CD", "HOURS", "MIN", "WD", "at_step", "check_step", "letter_text", "walk", "wib"]


def WD(n: int) -> Duration:
    """n working days."""
    return Duration(n, Unit.WORKING_DAYS)


def CD(n: int) -> Duration:
    """n calendar days."""
    return Duration(n, Unit.CALENDAR_DAYS)


def HOURS(n: int) -> Duration:
    """n office hours."""
    return Duration(n, Unit.HOURS)


def MIN(n: int) -> Duration:
    """n office minutes."""
    return Duration(n, Unit.MINUTES)


def wib(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in March 2026, Western Indonesia time."""
    return datetime(2026, 3, day, hour, minute, tzinfo=WIB)


# the usual path of each SOP a case goes through after case management: (key, role, outcome)
PATHS: dict[str, list[tuple[str, str, str]]] = {
    "tng_mediasi": [("order", "ketua", "done"), ("invite", "admin", "done"),
                    ("mediate", "mediator", "done"), ("case_record", "petugas", "done"),
                    ("record_in_system", "admin", "done")],
    "tng_pendampingan_korban": [("recommend", "ketua", "done"),
                                ("inform_client", "pendamping", "done"),
                                ("letters", "petugas", "done"),
                                ("accompany", "pendamping", "done"),
                                ("case_record", "petugas", "done")],
    "pkl_mediasi": [("request", "petugas", "done"), ("consider", "ketua", "done"),
                    ("decide", "ketua", "accepted"), ("invite", "admin", "done"),
                    ("coordinate", "ketua", "done"), ("prepare", "admin", "done"),
                    ("mediate", "mediator", "done")],
    "psr_mediasi": [("assess", "pendamping", "done"), ("assess_parties", "pendamping", "done"),
                    ("report_plan", "ketua", "done"), ("brief_mediator", "pendamping", "done"),
                    ("invite", "pendamping", "done"), ("mediate", "mediator", "done"),
                    ("report_result", "pendamping", "done"), ("monitor", "pendamping", "done"),
                    ("report_monitoring", "mk", "terminate"), ("document", "pendamping", "done")],
}  # fmt: skip
SERVICE = {"tng_mediasi": ("TNG", "mediation"), "tng_pendampingan_korban": ("TNG", "accompaniment"),
           "pkl_mediasi": ("PKL", "mediation"), "psr_mediasi": ("PSR", "mediation")}  # fmt: skip


async def walk(e: Env, case_id: int, sop: str, until: str) -> None:
    """Do the SOP's usual path up to (not including) step ``until``."""
    office = SERVICE[sop][0]
    for key, role, outcome in PATHS[sop]:
        if key == until:
            return
        if sop == "psr_mediasi" and key == "invite":
            for role_ in ("korban", "terlapor"):
                await e.wf.record_party(case_id, IDS[office]["pendamping"], role_, False, False,
                                        False, False)  # fmt: skip
        await do(e, case_id, key, IDS[office][role], outcome, report="Selesai.")
    raise AssertionError(f"{until} is not on the usual path of {sop}")


async def at_step(e: Env, sop: str, step_key: str, /, **case: Any) -> tuple[int, StepRow]:
    """A new case of the SOP's office (``case``: intake answers, or ``key`` for a second
    case), through case management and the SOP up to ``step_key``."""
    office, service = SERVICE[sop]
    cid = await new_case(e, office, **case)
    await case_management(e, cid, office, service)
    await walk(e, cid, sop, step_key)
    return cid, await open_step(e, cid, step_key)


async def check_step(
    e: Env, case_id: int, key: str, *, doer: int, outsiders: tuple[int, ...], time: Duration,
    outcome: str = "done", report: str = "Selesai.",
) -> StepRow:  # fmt: skip
    """The step's time standard counts from its opening; outsiders may not close it; the actor
    closes it with the outcome. Returns the step as it was before it was closed."""
    row = await open_step(e, case_id, key)
    calendar = e.svc.calendars[row.office_id]
    assert row.due_at == calendar.add(row.opened_at, time, urgent=row.urgent), (key, row.due_at)
    for outsider in outsiders:
        refused = await e.wf.complete_step(row.id, outsider, outcome, report)
        assert refused.outcome is Outcome.NOT_ALLOWED, (key, outsider, refused)
    e.clock.advance(minutes=5)
    done = await e.wf.complete_step(row.id, doer, outcome, report)
    assert done.ok, (key, done)
    return row


async def letter_text(e: Env, case_id: int, kind: str, user: int, **params: Any) -> str:
    """Make a letter of the case and return its text (paragraphs and table cells)."""
    letter = await generate_letter(e.svc, case_id, kind, actor_user_id=user, params=params)
    doc = Document(io.BytesIO(letter.content))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for r in table.rows:
            parts.extend(c.text for c in r.cells)
    return "\n".join(parts)


async def kinds_to(e: Env, kind: str) -> list[str]:
    """Recipient keys of the queued notices of one kind."""
    return [i.recipient.key() for i in await outbox(e) if i.kind == kind]
