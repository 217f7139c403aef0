"""The SOP runtime's test bed: a real SQLite file, the example offices, the shipped SOPs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FakeClock
from bot.config import load_offices
from bot.crypto import Cipher, generate_key
from bot.domain.identity import Handle
from bot.domain.notice import Recipient
from bot.domain.office import Role
from bot.services.context import Services
from bot.services.intake import submit_complaint
from bot.services.workflow import Outcome, Workflow, WorkflowResult, load_sops
from bot.store.db import Database
from bot.store.outbox import OutboxItem
from bot.store.workflow import StepRow
from bot.testing.people import same_ids_for_staff

ROOT = Path(__file__).resolve().parents[2]
WIB = ZoneInfo("Asia/Jakarta")
MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=WIB)  # no public holiday in the first half of March

# roster of config/offices.example.toml
TNG = {"ketua": 100000001, "petugas": 100000002, "admin": 100000002, "mk": 100000003,
       "pendamping": 100000004, "mediator": 100000005, "serve": 100000006,
       "psikolog": 100000007}  # fmt: skip
PKL = {"ketua": 200000001, "petugas": 200000002, "admin": 200000003, "mk": 200000004,
       "pendamping": 200000004, "mediator": 200000005, "serve": 200000005}  # fmt: skip
PSR = {"ketua": 300000001, "petugas": 300000002, "admin": 300000007, "mk": 300000003,
       "pendamping": 300000004, "mediator": 300000005, "serve": 300000006}  # fmt: skip
IDS = {"TNG": TNG, "PKL": PKL, "PSR": PSR}
TNG_GROUP = Recipient.staff_group("TNG")


@dataclass
class Env:
    svc: Services
    clock: FakeClock
    wf: Workflow


@pytest.fixture
async def env(db_target: str | Path) -> AsyncIterator[Env]:
    """A migrated database (each store), the example offices, the shipped SOPs, a fake clock."""
    db = await Database.open(db_target)
    offices = {o.id: o for o in load_offices(ROOT / "config" / "offices.example.toml")}
    # the example PSR roster has no admin, whom tng_pengelolaan_kasus needs (record_in_system)
    roster = {**offices["PSR"].roster, PSR["admin"]: frozenset({Role.ADMIN})}
    offices["PSR"] = replace(offices["PSR"], roster=roster)
    clock = FakeClock(MONDAY_9.astimezone(UTC))
    svc = Services(db, clock, Cipher(generate_key()), offices)
    await same_ids_for_staff(svc)
    try:
        yield Env(svc, clock, Workflow(svc, load_sops(ROOT / "bot" / "sops")))
    finally:
        await db.close()


async def new_case(e: Env, office: str, key: str = "k1", **over: Any) -> int:
    answers: dict[str, Any] = {
        "danger": "no", "office": office, "reporter": "victim", "victim_name": "Siti Rahma",
        "victim_age": 30, "victim_sex": "female", "disability": "no",
        "violence": ["psychological"], "relation": "spouse", "perpetrator": "Budi",
        "when": "today", "where": "rumah", "story": "Cerita rahasia", "phone": "081234567890",
        "call_time": "any", "help": ["mediation"], "notify": "normal", "consent": "yes", **over,
    }  # fmt: skip
    res = await submit_complaint(
        e.svc, answers=answers, evidence=[], idempotency_key=key, mode="reporter",
        reporter=Handle("telegram", str(555)), recorded_by=None, language="id",
    )  # fmt: skip
    started = await e.wf.start_intake(res.case_id, "system")
    assert started.ok
    return res.case_id


async def open_step(e: Env, case_id: int, key: str) -> StepRow:
    async with e.svc.db.reading() as conn:
        rows = await e.wf.store.open_steps_for_case(conn, case_id)
    found = [r for r in rows if r.step_key == key]
    assert len(found) == 1, (key, [r.step_key for r in rows])
    return found[0]


async def do(
    e: Env, case_id: int, key: str, user: int, outcome: str = "done", **kw: Any
) -> WorkflowResult:
    step = await open_step(e, case_id, key)
    e.clock.advance(minutes=15)
    if "file" not in kw:
        kw.setdefault("report", "Selesai.")  # steps whose seed names an output need one
    res = await e.wf.complete_step(step.id, user, outcome, **kw)
    assert res.outcome is Outcome.OK, (key, res)
    return res


async def dispose(e: Env, case_id: int, office: str, expert: int | None = None) -> None:
    """The head disposes the case to a named expert (seed 004 step 1: the only way)."""
    step = await open_step(e, case_id, "dispose")
    e.clock.advance(minutes=15)
    ids = IDS[office]
    res = await e.wf.dispose_to(step.id, ids["ketua"], expert or ids["serve"])
    assert res.outcome is Outcome.OK, res


async def case_management(e: Env, case_id: int, office: str, choice: str) -> None:
    ids = IDS[office]
    await do(e, case_id, "first_response", ids["petugas"])
    await dispose(e, case_id, office)
    await do(e, case_id, "serve", ids["serve"])
    await do(e, case_id, "plan", ids["mk"])
    await do(e, case_id, "record_in_system", ids["admin"])
    await do(e, case_id, "case_management", ids["mk"], choice)


async def outbox(e: Env) -> list[OutboxItem]:
    async with e.svc.db.reading() as conn:
        return await e.svc.outbox.due(conn, datetime(2100, 1, 1, tzinfo=UTC), limit=10_000)


async def scalar(e: Env, sql: str, *params: Any) -> Any:
    row = await e.svc.db.fetchone(sql, params)
    assert row is not None
    return row[0]


async def case_status(e: Env, case_id: int) -> str:
    return str(await scalar(e, "SELECT status FROM cases WHERE id = ?", case_id))


async def milestones(e: Env, case_id: int) -> list[str]:
    return [i.payload["milestone"] for i in await outbox(e)
            if i.kind == "reporter_milestone" and i.case_id == case_id]  # fmt: skip


async def returned(e: Env, case_id: int, kind: str, outcome: str) -> None:
    """The service ended with that outcome, went back to the case manager; the case is open."""
    assert await case_status(e, case_id) != "closed"
    office = str(await scalar(e, "SELECT office_id FROM cases WHERE id = ?", case_id))
    told = [i for i in await outbox(e) if i.kind == "plan_service_ended" and i.case_id == case_id]
    assert told, "the case manager was not told"
    assert (told[-1].payload["service"], told[-1].payload["outcome"]) == (kind, outcome)
    assert told[-1].recipient == Recipient.person(IDS[office]["mk"])


async def close(e: Env, case_id: int, reason: str = "completed") -> None:
    """The case manager's decision closes the case."""
    office = str(await scalar(e, "SELECT office_id FROM cases WHERE id = ?", case_id))
    res = await e.wf.close_case(case_id, IDS[office]["mk"], reason)
    assert res.ok, res
    assert await case_status(e, case_id) == "closed"


async def record_both_parties(e: Env, case_id: int, user: int) -> None:
    """An adult victim and an adult reported party, neither with special needs."""
    for role in ("korban", "terlapor"):
        assert (await e.wf.record_party(case_id, user, role, False, False, False, False)).ok
