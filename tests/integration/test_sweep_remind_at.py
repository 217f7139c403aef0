"""remind_at: each open step and SOP instance says when the sweep next has something to do for
it, every transition keeps it (never later than a reminder still to send), and the sweep reads
only the rows due (an index range), so its time does not grow with the open cases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.config import load_offices
from bot.crypto import Cipher, generate_key
from bot.scheduler import sweep as sweep_module
from bot.scheduler.schedule import STEP_DUE_SOON, STEP_OVERDUE, step_schedule
from bot.scheduler.sweep import MEDIATION_HORIZON, STEP_KINDS
from bot.services.context import Services
from bot.services.workflow import Workflow, load_sops
from bot.store.db import Database
from bot.store.reminders import MediationDue, ReminderStore
from bot.store.workflow import StepRow, WorkflowStore, iso
from bot.testing.people import same_ids_for_staff
from tests.integration.reminders_support import (
    MK,
    PETUGAS,
    ROOT,
    Env,
    env,
    first_step,
    items,
    mediation,
    new_case,
    wib,
)

__all__ = ["env"]  # the fixture, re-used


async def _remind_at(e: Env, step_id: int) -> str | None:
    row = await e.svc.db.fetchone("SELECT remind_at FROM steps WHERE id = ?", (step_id,))
    assert row is not None
    return None if row[0] is None else str(row[0])


async def _instance_remind_at(e: Env, instance_id: int) -> str | None:
    sql = "SELECT remind_at FROM sop_instances WHERE id = ?"
    row = await e.svc.db.fetchone(sql, (instance_id,))
    assert row is not None
    return None if row[0] is None else str(row[0])


async def _earliest_pending(e: Env, step: StepRow) -> datetime | None:
    """From scratch (as the sweep did before remind_at): the earliest reminder of an open step
    still to send at the clock's now (a "due soon" past the due time is superseded)."""
    log, now = ReminderStore(), e.clock.now()
    async with e.svc.db.reading() as conn:
        done = await log.recorded(conn, f"step:{step.id}", step.extended_count)
        session_at = await log.session_start(conn, step.id)
    office = e.svc.offices[step.office_id]
    plan = step_schedule(step, office, e.svc.calendars[office.id], session_at)
    if now >= plan[STEP_OVERDUE] or STEP_OVERDUE in done:
        done = {*done, STEP_DUE_SOON}
    return min((at for kind, at in plan.items() if kind not in done), default=None)


async def _check(e: Env) -> int:
    """Every open step with a reminder still to come is looked at no later than that reminder;
    every step no longer open is never looked at. Returns how many open steps were checked."""
    rows = await e.svc.db.fetchall("SELECT id, status FROM steps ORDER BY id")
    checked = 0
    for r in rows:
        at = await _remind_at(e, int(r["id"]))
        if r["status"] != "open":
            assert at is None, (r["id"], r["status"], at)
            continue
        async with e.svc.db.reading() as conn:
            step = await e.wf.store.get_step(conn, int(r["id"]))
        assert step is not None
        pending = await _earliest_pending(e, step)
        if pending is not None:
            assert at is not None and at <= iso(pending), (step.id, at, iso(pending))
            checked += 1
    return checked


# -- the store: each transition ---------------------------------------------------------------


async def test_each_step_transition_of_the_store_sets_remind_at(env: Env) -> None:
    cid = await new_case(env)
    step = await first_step(env, cid)
    store, log = env.wf.store, ReminderStore()
    assert await _remind_at(env, step.id) == iso(step.opened_at)  # opened: look at once
    later = wib(20, 9)

    async def reminded() -> None:  # as the sweep leaves it
        async with env.svc.db.transaction() as conn:
            await log.set_step_remind(conn, step.id, later)
        assert await _remind_at(env, step.id) == iso(later)

    await reminded()
    async with env.svc.db.transaction() as conn:
        await store.extend_due(conn, step.id, wib(6, 9))  # extension: a new round
    assert await _remind_at(env, step.id) == iso(step.opened_at)
    await reminded()
    async with env.svc.db.transaction() as conn:
        await store.move_due(conn, step.id, wib(9, 9))  # its session moved: a new round
    assert await _remind_at(env, step.id) == iso(step.opened_at)
    await reminded()
    async with env.svc.db.transaction() as conn:  # reassigning moves no reminder's time
        await store.reassign(conn, step.id, MK)
        await store.release_steps(conn, "TNG", MK)
    assert await _remind_at(env, step.id) == iso(later)
    async with env.svc.db.transaction() as conn:
        assert await store.complete_step(conn, step.id, outcome="done", user_id=PETUGAS,
                                         at=env.clock.now(), report=None, file=None)  # fmt: skip
    assert await _remind_at(env, step.id) is None  # done: never looked at again

    at = env.clock.now()
    async with env.svc.db.transaction() as conn:
        waiting = await store.insert_step(
            conn, instance_id=step.instance_id, case_id=cid, step_key="x", title="X",
            roles=("petugas",), opened_at=at, due_at=None, urgent=False, status="waiting",
        )  # fmt: skip
    assert await _remind_at(env, waiting) is None  # waiting for its sub-SOP: nothing due
    resumed = at + timedelta(hours=2)
    async with env.svc.db.transaction() as conn:
        await store.resume_step(conn, waiting, resumed, resumed + timedelta(days=2))
    assert await _remind_at(env, waiting) == iso(resumed)  # open again: look at it
    async with env.svc.db.transaction() as conn:
        assert await store.cancel_open_steps(conn, cid, at) == 1
    assert await _remind_at(env, waiting) is None
    assert await _instance_remind_at(env, step.instance_id) is None  # cancelled with it


async def test_an_instance_is_looked_at_from_its_start_until_it_ends(env: Env) -> None:
    cid = await new_case(env)
    store = env.wf.store
    at = env.clock.now()
    async with env.svc.db.transaction() as conn:
        iid = await store.insert_instance(conn, case_id=cid, sop_key="tng_mediasi",
                                          service=None, at=at)  # fmt: skip
    assert await _instance_remind_at(env, iid) == iso(at)
    async with env.svc.db.transaction() as conn:
        await store.end_instance(conn, iid, at)
    assert await _instance_remind_at(env, iid) is None


# -- through the use cases and the sweep --------------------------------------------------------


async def test_remind_at_is_never_later_than_a_reminder_across_a_step_lifecycle(
    env: Env,
) -> None:
    cid = await new_case(env)
    step = await first_step(env, cid)
    assert await _check(env) == 1
    sent: list[str] = []
    for when in (wib(2, 10), wib(2, 15, 15), wib(3, 9), wib(3, 14), wib(4, 14), wib(5, 9)):
        env.at(when)
        sent += [k for k, n in (await env.sweep()).reminders.items() if k in STEP_KINDS and n]
        assert await _check(env) == (0 if when >= wib(4, 14) else 1), when
    assert sent == list(STEP_KINDS)  # soon, overdue, escalated, again: each once
    assert await _remind_at(env, step.id) is None  # nothing more will come in this round

    async with env.svc.db.transaction() as conn:  # the head gives more time: round 1
        await env.wf.store.extend_due(conn, step.id, wib(9, 9))
    assert await _check(env) == 1
    for when in (wib(5, 10), wib(9, 9), wib(9, 14), wib(10, 14)):
        env.at(when)
        await env.sweep()
        await _check(env)
    rounds = [(i.kind, i.payload["round"]) for i in await items(env) if i.kind in STEP_KINDS]
    assert sorted(set(rounds)) == sorted({*((k, 0) for k in STEP_KINDS),
                                          (STEP_OVERDUE, 1), ("step_escalated", 1),
                                          ("step_escalated_again", 1)})  # fmt: skip

    assert (await env.wf.complete_step(step.id, PETUGAS)).ok  # the next step opens
    assert await _remind_at(env, step.id) is None
    assert await _check(env) >= 1  # the new step is looked at by the next sweep


async def test_a_sweep_with_nothing_due_reads_no_step(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = [await new_case(env, key=f"k{i}") for i in range(12)]
    read: list[int] = []
    real = WorkflowStore.get_step

    async def counted(self: WorkflowStore, conn: object, step_id: int) -> StepRow | None:
        read.append(step_id)
        return await real(self, conn, step_id)  # type: ignore[arg-type]

    monkeypatch.setattr(WorkflowStore, "get_step", counted)
    env.at(wib(2, 10))
    await env.sweep()  # each new step looked at once: its first reminder is at 15:15
    assert len(read) == len(cases)
    for when in (wib(2, 11), wib(2, 15, 14)):
        read.clear()
        env.at(when)
        assert (await env.sweep()).total == 0
        assert read == []  # nothing due: no step read at all
    env.at(wib(2, 15, 15))
    report = await env.sweep()
    assert report.reminders[STEP_DUE_SOON] == len(cases) and len(read) == len(cases)
    read.clear()
    await env.sweep()
    assert read == []


async def test_a_step_of_a_closed_case_is_looked_at_again_later(env: Env) -> None:
    cid = await new_case(env)
    step = await first_step(env, cid)
    async with env.svc.db.transaction() as conn:  # closed with a step left open by mistake
        await conn.execute("UPDATE cases SET status = 'closed' WHERE id = ?", (cid,))
    env.at(wib(3, 9))
    assert not set((await env.sweep()).reminders) & set(STEP_KINDS)
    at = await _remind_at(env, step.id)
    assert at is not None and at > iso(env.clock.now())  # not every sweep, not never
    async with env.svc.db.transaction() as conn:  # reopened by hand
        await conn.execute("UPDATE cases SET status = 'in_progress' WHERE id = ?", (cid,))
    env.at(wib(4, 9))
    assert (await env.sweep()).reminders[STEP_OVERDUE] == 1


# -- the query plan (SQLite) -------------------------------------------------------------------


@pytest.fixture
async def sqlite_env(tmp_path: Path) -> AsyncIterator[Env]:
    db = await Database.open(tmp_path / "plan.sqlite3")
    offices = {o.id: o for o in load_offices(ROOT / "config" / "offices.example.toml")}
    svc = Services(db, FakeClock(wib(2, 9)), Cipher(generate_key()), offices)
    await same_ids_for_staff(svc)
    try:
        yield Env(svc, svc.clock, Workflow(svc, load_sops(ROOT / "bot" / "sops")))  # type: ignore[arg-type]
    finally:
        await db.close()


@pytest.mark.sqlite_only  # SQLite's trace and query plan
async def test_the_sweep_reads_steps_and_instances_through_the_remind_at_indexes(
    sqlite_env: Env,
) -> None:
    e = sqlite_env
    cid = await new_case(e)
    async with e.svc.db.transaction() as conn:
        await e.wf.store.insert_instance(conn, case_id=cid, sop_key="tng_mediasi",
                                         service=None, at=e.clock.now())  # fmt: skip
    statements: list[str] = []
    await e.svc.db.conn.set_trace_callback(statements.append)  # type: ignore[attr-defined]
    e.at(wib(3, 9))
    await e.sweep()
    await e.svc.db.conn.set_trace_callback(None)  # type: ignore[attr-defined]
    due = {
        "steps": [s for s in statements if "FROM steps s WHERE s.remind_at" in s],
        "instances": [s for s in statements if "FROM sop_instances i WHERE" in s],
    }
    expected = {"steps": "steps_remind (remind_at<?)",
                "instances": "sop_instances_remind (sop_key=? AND remind_at<?)"}  # fmt: skip
    for name, found in due.items():
        assert found, name
        for sql in found:
            plan = [str(r[3]) for r in await e.svc.db.fetchall(f"EXPLAIN QUERY PLAN {sql}")]
            assert any(expected[name] in p for p in plan), plan
            assert not any(p.startswith("SCAN") for p in plan), plan  # no full table scan


async def test_a_session_beyond_the_horizon_is_not_read_until_it_comes_near(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = await new_case(env)
    await mediation(env, cid, wib(2, 10) + MEDIATION_HORIZON + timedelta(days=3))
    read: list[int] = []
    real = sweep_module._Sweep.mediation

    async def counted(self: sweep_module._Sweep, m: MediationDue) -> None:
        read.append(m.id)
        await real(self, m)

    monkeypatch.setattr(sweep_module._Sweep, "mediation", counted)
    env.at(wib(2, 10))
    await env.sweep()
    assert read == []  # more than the horizon away: no reminder can be due
    env.at(wib(2, 10) + timedelta(days=4))
    await env.sweep()
    assert len(read) == 1
