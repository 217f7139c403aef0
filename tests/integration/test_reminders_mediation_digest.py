"""Mediation reminders, daily digests and catching up after downtime: rows swept once."""

from __future__ import annotations

from bot.store.reminders import ReminderStore
from tests.integration.reminders_support import (
    GROUP,
    KETUA,
    MEDIATOR,
    PENDAMPING,
    PETUGAS,
    REPORTER_CHAT,
    SECRETS,
    Env,
    chats,
    dedupe_counts,
    env,
    first_step,
    items,
    mediation,
    new_case,
    relevant,
    render,
    wib,
)

__all__ = ["env"]  # the fixture, re-used


# -- mediations ------------------------------------------------------------------------------


async def test_mediation_day_before_and_two_hours(env: Env) -> None:
    cid = await new_case(env)
    mid = await mediation(env, cid, wib(9, 10))  # Monday 9 March; the working day before: Fri
    staff = sorted([KETUA, PENDAMPING, MEDIATOR])
    env.at(wib(6, 7, 59))
    await env.sweep()
    assert await chats(env, "mediation_reminder") == []
    env.at(wib(6, 8))
    await env.sweep()
    day_before = await chats(env, "mediation_reminder", mediation_id=mid, when="day_before")
    assert sorted(day_before) == sorted([*staff, REPORTER_CHAT])
    env.at(wib(9, 7, 59))
    await env.sweep()
    assert await chats(env, "mediation_reminder", when="two_hours") == []
    env.at(wib(9, 8))
    await env.sweep()
    two = await chats(env, "mediation_reminder", mediation_id=mid, when="two_hours")
    assert sorted(two) == sorted([*staff, REPORTER_CHAT])
    env.at(wib(9, 9, 30))
    await env.sweep()
    assert len(await items(env, "mediation_reminder")) == 8

    reporter = [i for i in await items(env, "mediation_reminder", chat=REPORTER_CHAT)]
    assert reporter[0].language == "id"
    text = (await render(env, reporter[0]) or ("", None))[0]
    assert "mediation session" in text and "Monday, 9 March 2026 at 10:00 WIB" in text
    assert "Ruang Mediasi" in text
    mediator = (await items(env, "mediation_reminder", chat=MEDIATOR))[1]
    text = (await render(env, mediator) or ("", None))[0]
    assert "two hours" in text and "PPA-TNG-2026-00001" in text


async def test_mediation_reminder_wording_follows_notify_mode(env: Env) -> None:
    neutral = await new_case(env, "n", notify="neutral")
    silent = await new_case(env, "s", notify="none")
    await mediation(env, neutral, wib(4, 10))
    await mediation(env, silent, wib(4, 11))
    env.at(wib(3, 8))
    await env.sweep()
    (to_reporter,) = await items(env, "mediation_reminder", chat=REPORTER_CHAT)
    assert to_reporter.case_id == neutral
    text = (await render(env, to_reporter) or ("", None))[0]
    assert "appointment" in text and "Wednesday, 4 March 2026" in text
    assert "mediation" not in text.lower() and "PPA-TNG" not in text and "Ruang" not in text
    assert len(await items(env, "mediation_reminder", chat=MEDIATOR)) == 2


async def test_a_cancelled_mediation_is_not_reminded(env: Env) -> None:
    cid = await new_case(env)
    mid = await mediation(env, cid, wib(4, 10))
    env.at(wib(3, 8))
    await env.sweep()
    queued = await items(env, "mediation_reminder")
    assert queued
    async with env.svc.db.transaction() as conn:
        await conn.execute("UPDATE mediations SET status = 'cancelled' WHERE id = ?", (mid,))
    assert not any([await relevant(env, i) for i in queued])
    env.at(wib(4, 8))
    await env.sweep()
    assert len(await items(env, "mediation_reminder")) == len(queued)


# -- daily digest ------------------------------------------------------------------------------


async def test_daily_digest_at_opening_on_working_days_only(env: Env) -> None:
    env.at(wib(2, 7, 59))
    await env.sweep()
    assert await items(env, "daily_digest", chat=GROUP) == []
    env.at(wib(2, 8))
    await env.sweep()
    (monday,) = await items(env, "daily_digest", chat=GROUP)
    assert monday.payload == {"office_id": "TNG", "day": "2026-03-02", "audience": "group",
                              "new": [], "due_today": [], "overdue": [],
                              "new_count": 0, "due_today_count": 0,
                              "overdue_count": 0}  # fmt: skip
    assert await items(env, "daily_digest", chat=PETUGAS) == []  # nothing to do yet
    env.at(wib(2, 9))
    cid = await new_case(env)  # due Tuesday 09:00
    env.at(wib(2, 15))
    await env.sweep()
    assert len(await items(env, "daily_digest", chat=GROUP)) == 1  # once a day

    env.at(wib(3, 8))
    await env.sweep()
    group = (await items(env, "daily_digest", chat=GROUP))[-1]
    assert group.payload["new"] == ["PPA-TNG-2026-00001"]
    assert group.payload["due_today"] == ["PPA-TNG-2026-00001"] and group.payload["overdue"] == []
    (mine,) = await items(env, "daily_digest", chat=PETUGAS)
    assert mine.payload["step_ids"] == [(await first_step(env, cid)).id]
    assert await items(env, "daily_digest", chat=KETUA) == []  # no open task of theirs

    text = (await render(env, group) or ("", None))[0]
    assert "Daily summary" in text and "Tuesday, 3 March 2026" in text
    assert "1 new case since the last summary: PPA-TNG-2026-00001" in text
    assert "1 case with a step due today: PPA-TNG-2026-00001" in text
    assert not any(s in text for s in SECRETS), text
    text = (await render(env, mine) or ("", None))[0]
    assert "Your open tasks" in text and "PPA-TNG-2026-00001" in text and "overdue" not in text

    env.at(wib(4, 8))  # Wednesday: overdue, and no longer new
    await env.sweep()
    wednesday = (await items(env, "daily_digest", chat=GROUP))[-1].payload
    assert wednesday["overdue"] == ["PPA-TNG-2026-00001"] and wednesday["new"] == []
    mine = (await items(env, "daily_digest", chat=PETUGAS))[-1]
    assert "overdue" in (await render(env, mine) or ("", None))[0]

    count = len(await items(env, "daily_digest", chat=GROUP))
    for sunday_or_holiday in (wib(8, 10), wib(19, 10)):  # Sunday; Thursday 19 March: Nyepi
        env.at(sunday_or_holiday)
        await env.sweep()
        assert len(await items(env, "daily_digest", chat=GROUP)) == count
    env.at(wib(20, 8))  # Friday after Nyepi
    await env.sweep()
    assert len(await items(env, "daily_digest", chat=GROUP)) == count + 1


# -- downtime ----------------------------------------------------------------------------------


async def test_after_downtime_one_sweep_sends_every_missed_reminder_once(env: Env) -> None:
    cid = await new_case(env)
    step = await first_step(env, cid)
    mid = await mediation(env, cid, wib(6, 10))  # Friday: reminder Thursday 08:00
    # no sweep from Monday 09:00 to Thursday 09:00: due soon, overdue, escalation, second
    # escalation, the mediation's day-before reminder and the digests have all passed
    env.at(wib(5, 9))
    first = await env.sweep()
    assert first.errors == 0
    assert dict(first.reminders) == {
        "step_overdue": 1, "step_escalated": 1, "step_escalated_again": 1,
        "mediation_reminder": 1, "daily_digest": 3,  # one per office, today's only
    }  # fmt: skip
    assert await chats(env, "step_overdue", step_id=step.id) == [PETUGAS]
    assert sorted(await chats(env, "step_escalated")) == sorted([KETUA, GROUP])
    assert sorted(await chats(env, "step_escalated_again")) == sorted([KETUA, GROUP])
    assert len(await chats(env, "mediation_reminder", mediation_id=mid, when="day_before")) == 4
    assert [i.payload["day"] for i in await items(env, "daily_digest", chat=GROUP)] == [
        "2026-03-05"
    ]
    counts = await dedupe_counts(env)
    outbox_rows = sum(counts.values())

    second = await env.sweep()
    assert second.total == 0 and second.messages == 0
    assert await dedupe_counts(env) == counts
    rem = [k for k in counts if k.startswith("rem:")]
    assert len(rem) == 1 + 2 + 2 + 4 + 3 + 1  # + PSR/PKL groups and the petugas's own list
    assert all(counts[k] == 1 for k in counts)
    assert sum((await dedupe_counts(env)).values()) == outbox_rows
    async with env.svc.db.reading() as conn:
        assert await ReminderStore().count(conn) == 7
