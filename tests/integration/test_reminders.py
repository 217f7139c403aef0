"""Reminders, overdue alerts and escalations of steps, and the sweep's plumbing."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from bot.channels.telegram.reminder_render import reminder_line
from bot.i18n import I18n
from bot.scheduler.jobs import JOB_ID, run_sweep, start_scheduler, sweep_interval
from bot.scheduler.sweep import STEP_KINDS
from tests.integration.reminders_support import (
    GROUP,
    KETUA,
    MK,
    PETUGAS,
    SECRETS,
    Env,
    chats,
    env,
    first_step,
    items,
    new_case,
    relevant,
    render,
    wib,
)

__all__ = ["env"]  # the fixture, re-used


# -- steps: due soon, overdue, escalations --------------------------------------------------
# TNG, Monday 09:00 + 1 working day: due Tuesday 09:00 WIB. Office time in between is 420
# minutes (Mon 09-12, 13-16, Tue 08-09); 75% = 315 minutes: Monday 15:15. Grace 4 office
# hours after Tuesday 09:00: Tuesday 14:00; one working day later: Wednesday 14:00.


async def test_due_soon_goes_to_the_role_holders_at_three_quarters(env: Env) -> None:
    cid = await new_case(env)
    step = await first_step(env, cid)
    assert step.due_at == wib(3, 9)
    env.at(wib(2, 15, 14))
    await env.sweep()
    assert await chats(env, "step_due_soon") == []
    env.at(wib(2, 15, 15))
    report = await env.sweep()
    assert report.reminders["step_due_soon"] == 1
    assert await chats(env, "step_due_soon", step_id=step.id) == [PETUGAS]
    assert (await env.sweep()).reminders["step_due_soon"] == 0
    assert await chats(env, "step_due_soon") == [PETUGAS]
    rendered = await render(env, (await items(env, "step_due_soon"))[0])
    assert rendered is not None
    text, _ = rendered
    assert "Reminder" in text and "PPA-TNG-2026-00001" in text
    assert "Tuesday, 3 March 2026 at 09:00 WIB" in text
    id_text = (await render(env, (await items(env, "step_due_soon"))[0], "id") or ("", None))[0]
    assert "Selasa, 3 Maret 2026 pukul 09.00 WIB" in id_text


async def test_overdue_then_escalation_then_second_escalation(env: Env) -> None:
    cid = await new_case(env)
    step = await first_step(env, cid)
    env.at(wib(3, 8, 59))
    await env.sweep()
    assert await chats(env, "step_overdue") == []
    env.at(wib(3, 9))
    await env.sweep()
    assert await chats(env, "step_overdue", step_id=step.id) == [PETUGAS]
    assert await chats(env, "step_due_soon") == [PETUGAS]  # at 08:59, not yet overdue

    env.at(wib(3, 13, 59))
    await env.sweep()
    assert await chats(env, "step_escalated") == []
    env.at(wib(3, 14))
    await env.sweep()
    assert sorted(await chats(env, "step_escalated", step_id=step.id)) == sorted([KETUA, GROUP])

    env.at(wib(4, 13, 59))
    await env.sweep()
    assert await chats(env, "step_escalated_again") == []
    env.at(wib(4, 14))
    await env.sweep()
    assert sorted(await chats(env, "step_escalated_again")) == sorted([KETUA, GROUP])
    env.at(wib(9, 14))
    await env.sweep()
    assert len(await items(env, "step_escalated_again")) == 2
    assert len(await items(env, "step_overdue")) == 1

    group = [i for i in await items(env, chat=GROUP) if i.kind in STEP_KINDS]
    assert len(group) == 2
    for item in group:
        rendered = await render(env, item)
        assert rendered is not None
        text, markup = rendered
        assert "PPA-TNG-2026-00001" in text and "WIB" in text
        assert "Respond to the new complaint" in text
        assert not any(s in text for s in SECRETS), text
        assert markup is not None and markup.inline_keyboard[0][0].callback_data == f"det:{cid}"
    first = await render(env, (await items(env, "step_escalated", chat=GROUP))[0])
    assert first is not None and "4 office hours" in first[0]


async def test_an_assigned_step_reminds_only_the_assignee(env: Env) -> None:
    cid = await new_case(env)
    step = await first_step(env, cid)
    async with env.svc.db.transaction() as conn:
        await env.wf.store.reassign(conn, step.id, MK)
    env.at(wib(3, 9))
    await env.sweep()
    assert await chats(env, "step_overdue") == [MK]


async def test_completing_the_step_cancels_what_is_pending(env: Env) -> None:
    cid = await new_case(env)
    step = await first_step(env, cid)
    env.at(wib(2, 15, 30))
    await env.sweep()
    (queued,) = await items(env, "step_due_soon")
    assert await relevant(env, queued)

    assert (await env.wf.complete_step(step.id, PETUGAS)).ok
    assert not await relevant(env, queued)
    assert await render(env, queued) is None
    env.at(wib(5, 9))
    await env.sweep()
    for kind in ("step_overdue", "step_escalated", "step_escalated_again"):
        assert await chats(env, kind, step_id=step.id) == [], kind


async def test_nothing_is_sent_about_a_closed_case(env: Env) -> None:
    cid = await new_case(env)
    other = await new_case(env, "k2")
    step = await first_step(env, cid)
    env.at(wib(3, 9))
    await env.sweep()
    (queued,) = [i for i in await items(env, "step_overdue") if i.payload["step_id"] == step.id]

    result = await env.wf.complete_step(step.id, PETUGAS, "not_a_case", report="Salah sambung")
    assert result.ok
    assert (await env.wf.close_case(cid, MK, "not_a_case")).ok  # the decision closes
    assert await env.svc.db.fetchone("SELECT 1 FROM cases WHERE id = ? AND status = 'closed'",
                                     (cid,)) is not None  # fmt: skip
    assert not await relevant(env, queued)
    assert await render(env, queued) is None

    # even with a step left open by mistake, a closed case is never swept
    other_step = await first_step(env, other)
    async with env.svc.db.transaction() as conn:
        await conn.execute("UPDATE cases SET status = 'closed' WHERE id = ?", (other,))
    before = len(await items(env))
    env.at(wib(6, 9))
    await env.sweep()
    new = (await items(env))[before:]
    assert [i for i in new if i.case_id in (cid, other)] == []
    assert [i for i in new if i.payload.get("step_id") in (step.id, other_step.id)] == []
    (digest,) = [i for i in new if i.kind == "daily_digest" and i.recipient.key() == "group:TNG"]
    assert digest.payload["day"] == "2026-03-06" and "PPA-TNG" not in str(digest.payload)


async def test_an_extended_step_is_reminded_again(env: Env) -> None:
    cid = await new_case(env)
    step = await first_step(env, cid)
    env.at(wib(3, 9))
    await env.sweep()
    (old,) = await items(env, "step_overdue")
    async with env.svc.db.transaction() as conn:
        await env.wf.store.extend_due(conn, step.id, wib(4, 9))
    assert not await relevant(env, old)
    env.at(wib(4, 9))
    await env.sweep()
    assert [i.payload["round"] for i in await items(env, "step_overdue")] == [0, 1]


# -- plumbing ------------------------------------------------------------------------------------


async def test_reminder_log_comes_from_the_migrations(env: Env) -> None:
    row = await env.svc.db.fetchone("SELECT COUNT(*) FROM reminder_log")
    assert row is not None and row[0] == 0


def test_sweep_interval_shrinks_with_the_time_scale() -> None:
    assert sweep_interval(1.0) == 5.0
    assert sweep_interval(2.0) == 2.5
    assert sweep_interval(3000.0) == 0.5


async def test_scheduler_job_and_run_sweep_kick_the_sender(env: Env) -> None:
    kicks: list[int] = []
    runtime: Any = SimpleNamespace(
        services=SimpleNamespace(clock=SimpleNamespace(now=env.clock.now, scale=100.0),
                                 **{k: getattr(env.svc, k) for k in ("db", "cipher", "offices",
                                    "cases", "outbox", "calendars",
                                    "refresh_roster")}),
        sender=SimpleNamespace(kick=lambda: kicks.append(1)),
    )  # fmt: skip
    scheduler = start_scheduler(runtime)
    try:
        job = scheduler.get_job(JOB_ID)
        assert job.max_instances == 1 and job.coalesce is True
        assert job.trigger.interval.total_seconds() == 0.5
    finally:
        scheduler.shutdown(wait=False)
    await new_case(env)
    env.at(wib(3, 9))
    report = await run_sweep(runtime)
    assert report is not None and report.reminders["step_overdue"] == 1 and kicks == [1]


async def test_group_digest_line_names_case_and_step_only(env: Env) -> None:
    await new_case(env)
    env.at(wib(4, 14))
    await env.sweep()
    for item in await items(env, chat=GROUP):
        if item.kind in ("step_escalated", "step_escalated_again"):
            line = reminder_line(item, I18n().get("en"), None)
            assert "PPA-TNG-2026-00001" in line and "Respond to the new complaint" in line
            assert not any(s in line for s in SECRETS)
