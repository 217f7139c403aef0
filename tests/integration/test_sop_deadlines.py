"""SOP-level deadlines (Pekalongan 5/14 working days, Pasuruan 14 days): reminded, alerted
once when missed, silent once met, rendered, shown in /kasus."""

from __future__ import annotations

from datetime import timedelta

from bot.channels.telegram.handlers.deadline_lines import deadline_lines, render_deadline_reminder
from bot.i18n import I18n
from bot.reports.rekap import collect_rekap, summary_line
from bot.scheduler.sop_deadlines import SOP_DEADLINE_OVERDUE, SOP_DEADLINE_SOON
from bot.scheduler.sweep import still_relevant, sweep
from tests.integration.seed_support import at_step
from tests.integration.workflow_support import PKL, Env, env, outbox

__all__ = ["env"]  # the fixture, re-used


async def _alerts(e: Env, kind: str) -> list[str]:
    return [f"{i.payload['deadline']}>{i.recipient.key()}" for i in await outbox(e)
            if i.kind == kind]  # fmt: skip


async def test_missed_decision_alerts_heads_and_group_once(env: Env) -> None:
    cid, _ = await at_step(env, "pkl_mediasi", "consider")  # the request is recorded; no decision
    [decision, completion] = await env.wf.sop_deadlines(cid)
    calendar = env.svc.calendars["PKL"]
    # most of the five working days have passed: the group is reminded
    env.clock.set(decision.state.due_at - timedelta(hours=1))
    await sweep(env.svc, env.clock.now())
    assert await _alerts(env, SOP_DEADLINE_SOON) == ["decision>group:PKL"]
    assert await _alerts(env, SOP_DEADLINE_OVERDUE) == []
    env.clock.set(decision.state.due_at)
    await sweep(env.svc, env.clock.now())
    await sweep(env.svc, env.clock.now())  # once only
    assert await _alerts(env, SOP_DEADLINE_OVERDUE) == [
        f"decision>person:{PKL['ketua']}", "decision>group:PKL"]  # fmt: skip
    # shown and rendered
    t = I18n().get("en")
    [item] = [i for i in await outbox(env) if i.kind == SOP_DEADLINE_OVERDUE
              and i.recipient.key() == "group:PKL"]  # fmt: skip
    rendered = await render_deadline_reminder(env.svc, item, t)
    assert rendered is not None and "Decision on the request" in rendered[0]
    env.clock.advance(hours=2)
    lines = deadline_lines(t, calendar, await env.wf.sop_deadlines(cid),
                           decision.instance_id, env.clock.now(), "Asia/Jakarta")  # fmt: skip
    assert len(lines) == 2 and "overdue" in lines[0] and "Completion of the service" in lines[1]
    assert completion.state.due_at > decision.state.due_at
    # the procedure ends: the queued alerts are no longer relevant
    async with env.svc.db.reading() as conn:
        assert await still_relevant(conn, item)
    async with env.svc.db.transaction() as conn:
        await conn.execute("UPDATE sop_instances SET status = 'done' WHERE id = ?",
                           (decision.instance_id,))  # fmt: skip
    async with env.svc.db.reading() as conn:
        assert not await still_relevant(conn, item)


async def test_a_decision_in_time_raises_nothing(env: Env) -> None:
    cid, _ = await at_step(env, "pkl_mediasi", "invite")  # decided on the usual path
    [decision, _completion] = await env.wf.sop_deadlines(cid)
    assert decision.state.met
    env.clock.set(decision.state.due_at)
    await sweep(env.svc, env.clock.now())
    assert not [a for a in await _alerts(env, SOP_DEADLINE_OVERDUE) if a.startswith("decision")]
    assert not [a for a in await _alerts(env, SOP_DEADLINE_SOON) if a.startswith("decision")]


async def test_rekap_counts_the_time_standards(env: Env) -> None:
    late, _ = await at_step(env, "pkl_mediasi", "consider")  # will miss its decision
    in_time, _ = await at_step(env, "pkl_mediasi", "invite", key="k2")  # decided on time
    [decision, _completion] = await env.wf.sop_deadlines(late)
    env.clock.set(decision.state.due_at + timedelta(minutes=1))
    today = env.clock.now().astimezone(env.svc.offices["PKL"].tz).date()
    data = await collect_rekap(env.svc, "PKL", today)
    assert (data.standards.met_in_time, data.standards.met, data.standards.missed_open) == (
        1, 1, 1)  # fmt: skip
    line = summary_line(data, "LP-PAR", I18n().get("en"))
    assert "SOP time standards: 1 of 1 met in time, 1 missed and still open." in line
    assert in_time != late
