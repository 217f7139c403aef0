"""The mediation session drives the step held at it: due time, moves, reminders, extensions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.config import load_offices
from bot.crypto import Cipher, generate_key
from bot.domain.duration import Duration, Unit
from bot.domain.notice import Recipient
from bot.domain.office import Role
from bot.scheduler.sweep import STEP_KINDS, still_relevant, sweep
from bot.services.context import Services
from bot.services.workflow import Outcome, Workflow, load_sops
from bot.store.db import Database
from bot.store.outbox import OutboxItem
from bot.store.workflow import StepEvent, StepRow
from bot.testing.people import same_ids_for_staff
from tests.integration.workflow_support import (
    MONDAY_9,
    PKL,
    PSR,
    TNG,
    WIB,
    Env,
    case_management,
    do,
    new_case,
    open_step,
    outbox,
    record_both_parties,
    scalar,
)

__all__: list[str] = []

ROOT = Path(__file__).resolve().parents[2]
ESCALATIONS = ("step_overdue", "step_escalated", "step_escalated_again")


def wib(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in March 2026 in Jakarta (no public holiday before the 19th)."""
    return datetime(2026, 3, day, hour, minute, tzinfo=WIB)


@pytest.fixture
async def env(db_target: str | Path) -> AsyncIterator[Env]:
    """A migrated database (each store), the example offices, the shipped SOPs, a fake clock."""
    db = await Database.open(db_target)
    offices = {o.id: o for o in load_offices(ROOT / "config" / "offices.example.toml")}
    roster = {**offices["PSR"].roster, PSR["admin"]: frozenset({Role.ADMIN})}
    offices["PSR"] = replace(offices["PSR"], roster=roster)
    clock = FakeClock(MONDAY_9.astimezone(UTC))
    svc = Services(db, clock, Cipher(generate_key()), offices)
    await same_ids_for_staff(svc)
    try:
        yield Env(svc, clock, Workflow(svc, load_sops(ROOT / "bot" / "sops")))
    finally:
        await db.close()


def at(e: Env, when: datetime) -> None:
    e.clock.set(when.astimezone(UTC))


async def step_alerts(e: Env, step_id: int) -> list[OutboxItem]:
    return [i for i in await outbox(e) if i.kind in STEP_KINDS and i.payload["step_id"] == step_id]


async def step_events(e: Env, step_id: int) -> list[StepEvent]:
    async with e.svc.db.reading() as conn:
        return await e.wf.store.events(conn, step_id)


async def reminders(e: Env, mediation_id: int) -> list[OutboxItem]:
    found = await outbox(e)
    return [
        i
        for i in found
        if i.kind == "mediation_reminder" and i.payload["mediation_id"] == mediation_id
    ]


async def tng_to_invite(e: Env) -> tuple[int, StepRow]:
    """A Tangerang case through case management and the order, at the invitation step."""
    cid = await new_case(e, "TNG")
    await case_management(e, cid, "TNG", "mediation")
    await do(e, cid, "order", TNG["ketua"])
    return cid, await open_step(e, cid, "invite")


async def tng_session(e: Env, when: datetime) -> tuple[int, int, StepRow]:
    """Case, session and the open `mediate` step, the session scheduled at the invitation."""
    cid, invite = await tng_to_invite(e)
    res = await e.wf.schedule_mediation(invite.id, TNG["admin"], when, "Ruang mediasi")
    assert res.ok, res
    await do(e, cid, "invite", TNG["admin"])
    return cid, int(res.params["mediation_id"]), await open_step(e, cid, "mediate")


async def test_session_six_working_days_ahead_is_not_overdue(env: Env) -> None:
    session = wib(10, 10)  # Tuesday 10 March: 6 working days after Monday 2 March
    _, _, mediate = await tng_session(env, session)
    # the session day counts, then "1 Hari" from its start: Wednesday 11 March 10:00
    assert mediate.due_at == wib(11, 10)
    assert mediate.due_at is not None and mediate.due_at > session
    for when in (wib(3, 10), wib(4, 15), wib(6, 16), wib(9, 8), wib(9, 15), wib(10, 9)):
        at(env, when)
        report = await sweep(env.svc, env.clock.now())
        assert not any(report.reminders[k] for k in ESCALATIONS), when
        assert not [i for i in await step_alerts(env, mediate.id) if i.kind in ESCALATIONS]
    # before the session nobody is told the task is due soon either
    assert await step_alerts(env, mediate.id) == []
    at(env, wib(11, 10, 1))
    await sweep(env.svc, env.clock.now())
    assert {i.kind for i in await step_alerts(env, mediate.id)} >= {"step_overdue"}
    kinds = [e.kind for e in await step_events(env, mediate.id)]
    assert kinds == ["opened"]


async def test_without_a_session_the_step_keeps_its_standard_time(env: Env) -> None:
    cid, _ = await tng_to_invite(env)
    await do(env, cid, "invite", TNG["admin"])
    mediate = await open_step(env, cid, "mediate")
    expected = env.svc.calendars["TNG"].add(mediate.opened_at, Duration(1, Unit.WORKING_DAYS))
    assert mediate.due_at == expected


async def test_moving_the_session_moves_the_due_time_and_the_reminders(env: Env) -> None:
    cid, mid, mediate = await tng_session(env, wib(10, 10))
    at(env, wib(9, 8))  # Monday: the working day before the session
    await sweep(env.svc, env.clock.now())
    (old,) = [
        i for i in await reminders(env, mid) if i.recipient == Recipient.person(TNG["mediator"])
    ]
    assert old.payload["when"] == "day_before"
    at(env, wib(9, 9))
    moved = await env.wf.reschedule_mediation(mid, TNG["mediator"], wib(12, 13), "Aula kantor")
    assert moved.ok, moved
    async with env.svc.db.reading() as conn:
        assert not await still_relevant(conn, old)  # the queued reminder of the old time is dropped
        assert await env.wf.store.mediation_location(conn, mid) == "Aula kantor"
    audit = "SELECT COUNT(*) FROM audit_log WHERE action = ?"
    assert await scalar(env, audit, "reschedule_mediation") == 1
    after = await open_step(env, cid, "mediate")
    assert after.due_at == wib(13, 13)  # Friday 13 March 13:00, one working day after the session
    assert after.extended_count == 1  # a new round of step reminders
    notices = [i for i in await outbox(env) if i.kind == "mediation_scheduled"
               and i.payload.get("rescheduled")]  # fmt: skip
    assert [i.recipient for i in notices] == [Recipient.staff_group("TNG")]
    assert datetime.fromisoformat(str(notices[0].payload["scheduled_at"])) == wib(12, 13)
    assert [e.kind for e in await step_events(env, mediate.id)] == ["opened", "due_moved"]
    # the old session's two-hour reminder never comes; the new session's reminders do
    before = len(await reminders(env, mid))
    at(env, wib(10, 8, 30))
    await sweep(env.svc, env.clock.now())
    assert len(await reminders(env, mid)) == before
    at(env, wib(11, 8))  # Wednesday: the working day before Thursday 12 March
    await sweep(env.svc, env.clock.now())
    new = [i for i in await reminders(env, mid) if i.recipient == Recipient.person(TNG["mediator"])]
    assert [(i.payload["when"], i.payload["scheduled_at"]) for i in new][-1][0] == "day_before"
    assert datetime.fromisoformat(str(new[-1].payload["scheduled_at"])) == wib(12, 13)
    at(env, wib(12, 11))
    await sweep(env.svc, env.clock.now())
    new = [i for i in await reminders(env, mid) if i.recipient == Recipient.person(TNG["mediator"])]
    assert new[-1].payload["when"] == "two_hours"
    async with env.svc.db.reading() as conn:
        assert all([await still_relevant(conn, i) for i in new[1:]])
    # no overdue alert for the mediate step before its new due time
    assert not [i for i in await step_alerts(env, mediate.id) if i.kind in ESCALATIONS]


async def test_reschedule_checks_who_when_and_state(env: Env) -> None:
    cid, mid, _ = await tng_session(env, wib(10, 10))
    denied = await env.wf.reschedule_mediation(mid, TNG["pendamping"], wib(12, 10))
    assert denied.outcome is Outcome.NOT_ALLOWED
    closed = await env.wf.reschedule_mediation(mid, TNG["mediator"], wib(7, 10))  # Saturday
    assert closed.outcome is Outcome.INVALID
    past = await env.wf.reschedule_mediation(mid, TNG["mediator"], wib(2, 8))
    assert past.outcome is Outcome.INVALID
    assert (await env.wf.reschedule_mediation(999, TNG["mediator"], wib(12, 10))).outcome is (
        Outcome.NOT_FOUND
    )  # fmt: skip
    assert (await env.wf.reschedule_mediation(mid, TNG["ketua"], wib(12, 10))).ok  # the head
    await do(env, cid, "mediate", TNG["mediator"])
    gone = await env.wf.reschedule_mediation(mid, TNG["mediator"], wib(13, 10))
    assert gone.outcome is Outcome.NOT_ALLOWED  # no longer the mediator's open step
    over = await env.wf.reschedule_mediation(mid, TNG["ketua"], wib(13, 10))
    assert over.outcome is Outcome.INVALID  # the session was held: nothing to move


async def test_extension_grants_one_working_day_from_the_due_time(env: Env) -> None:
    cid, _, mediate = await tng_session(env, wib(10, 10))
    assert mediate.due_at == wib(11, 10)
    at(env, wib(10, 14))
    assert (await env.wf.request_extension(mediate.id, TNG["mediator"])).ok
    res = await env.wf.approve_extension(mediate.id, TNG["ketua"], True)
    assert res.ok
    after = await open_step(env, cid, "mediate")
    assert after.due_at == wib(12, 10)  # Wednesday 10:00 + 1 working day, not Tuesday 14:00 + 1
    assert after.extended_count == 1


async def test_accompaniment_letters_extension_is_one_working_day(env: Env) -> None:
    cid = await new_case(env, "TNG")
    await case_management(env, cid, "TNG", "accompaniment")
    await do(env, cid, "recommend", TNG["ketua"])
    await do(env, cid, "inform_client", TNG["pendamping"])
    letters = await open_step(env, cid, "letters")
    assert (await env.wf.request_extension(letters.id, TNG["petugas"])).ok
    env.clock.advance(hours=1)  # the 10 minutes have passed: the day counts from the grant
    assert (await env.wf.approve_extension(letters.id, TNG["ketua"], True)).ok
    after = await open_step(env, cid, "letters")
    now = env.clock.now()
    assert after.due_at == env.svc.calendars["TNG"].add(now, Duration(1, Unit.WORKING_DAYS))


async def test_pkl_and_psr_mediate_count_from_the_session(env: Env) -> None:
    # Pekalongan: scheduled with the invitation; mediation assistance has 4 working days
    cid = await new_case(env, "PKL")
    await case_management(env, cid, "PKL", "mediation")
    for key, who in (("request", "petugas"), ("consider", "ketua")):
        await do(env, cid, key, PKL[who])
    await do(env, cid, "decide", PKL["ketua"], "accepted")
    invite = await open_step(env, cid, "invite")
    calendar = env.svc.calendars["PKL"]
    session = calendar.next_opening(wib(17, 9))
    assert (await env.wf.schedule_mediation(invite.id, PKL["admin"], session, "Kantor")).ok
    await do(env, cid, "invite", PKL["admin"])
    await do(env, cid, "coordinate", PKL["ketua"])
    await do(env, cid, "prepare", PKL["admin"])
    mediate = await open_step(env, cid, "mediate")
    assert mediate.due_at == calendar.add(session, Duration(4, Unit.WORKING_DAYS))
    # Pasuruan: one calendar day from the session
    cid = await new_case(env, "PSR", key="k2")
    await case_management(env, cid, "PSR", "mediation")
    for key in ("assess", "assess_parties", "report_plan", "brief_mediator"):
        # the coordinator (here the head's second role) closes report_plan
        await do(env, cid, key, PSR["ketua" if key == "report_plan" else "pendamping"])
    invite = await open_step(env, cid, "invite")
    await record_both_parties(env, cid, PSR["pendamping"])
    session = wib(12, 10)
    assert (await env.wf.schedule_mediation(invite.id, PSR["pendamping"], session, "Kantor")).ok
    await do(env, cid, "invite", PSR["pendamping"])
    mediate = await open_step(env, cid, "mediate")
    assert mediate.due_at == wib(13, 10)


async def test_a_session_set_while_the_step_is_open_gives_it_the_session_due(env: Env) -> None:
    cid, _ = await tng_to_invite(env)
    await do(env, cid, "invite", TNG["admin"])  # no session yet: the standard time
    mediate = await open_step(env, cid, "mediate")
    res = await env.wf.schedule_mediation(mediate.id, TNG["mediator"], wib(10, 10), "Kantor")
    assert res.ok, res
    after = await open_step(env, cid, "mediate")
    assert after.due_at == wib(11, 10) and after.extended_count == 1
    assert [e.kind for e in await step_events(env, mediate.id)][-1] == "due_moved"
