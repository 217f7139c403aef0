"""Reminders, overdue alerts, escalations, mediation reminders and digests: rows swept once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.channels.telegram.addresses import TelegramAddresses
from bot.channels.telegram.reminder_render import reminder_line, render_reminder
from bot.clock import FakeClock
from bot.config import load_offices
from bot.crypto import Cipher, generate_key
from bot.domain.identity import Handle
from bot.i18n import I18n
from bot.scheduler.jobs import JOB_ID, run_sweep, start_scheduler, sweep_interval
from bot.scheduler.sweep import STEP_KINDS, SweepReport, still_relevant, sweep
from bot.services.context import Services
from bot.services.intake import submit_complaint
from bot.services.workflow import Workflow, load_sops
from bot.store.db import Database
from bot.store.outbox import OutboxItem
from bot.store.reminders import ReminderStore
from bot.store.workflow import StepRow

__all__: list[str] = []

ROOT = Path(__file__).resolve().parents[2]
WIB = ZoneInfo("Asia/Jakarta")
KETUA, PETUGAS, MK, PENDAMPING, MEDIATOR = 100000001, 100000002, 100000003, 100000004, 100000005
GROUP = -1001000000001
REPORTER_CHAT = 555
SECRETS = ("Siti", "Rahma", "Budi", "rahasia", "081234567890", "rumah")


def wib(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    """A time in March 2026 (or another month) in Jakarta."""
    return datetime(2026, month, day, hour, minute, tzinfo=WIB)


@dataclass
class Env:
    svc: Services
    clock: FakeClock
    wf: Workflow

    def at(self, when: datetime) -> None:
        self.clock.set(when.astimezone(UTC))

    async def sweep(self) -> SweepReport:
        return await sweep(self.svc, self.clock.now())


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    """A migrated database file, the example offices, the shipped SOPs, a fake clock."""
    db = await Database.open(tmp_path / "ppa.sqlite3")
    offices = {o.id: o for o in load_offices(ROOT / "config" / "offices.example.toml")}
    clock = FakeClock(wib(2, 9).astimezone(UTC))  # Monday 2 March 2026, 09:00 WIB
    svc = Services(db, clock, Cipher(generate_key()), offices)
    try:
        yield Env(svc, clock, Workflow(svc, load_sops(ROOT / "bot" / "sops")))
    finally:
        await db.close()


async def new_case(e: Env, key: str = "k1", notify: str = "normal") -> int:
    answers: dict[str, Any] = {
        "danger": "no", "office": "TNG", "reporter": "victim", "victim_name": "Siti Rahma",
        "victim_age": 30, "victim_sex": "female", "disability": "no",
        "violence": ["psychological"], "relation": "spouse", "perpetrator": "Budi",
        "when": "today", "where": "rumah", "story": "Cerita rahasia", "phone": "081234567890",
        "call_time": "any", "help": ["mediation"], "notify": notify, "consent": "yes",
    }  # fmt: skip
    res = await submit_complaint(
        e.svc, answers=answers, evidence=[], idempotency_key=key, mode="reporter",
        reporter=Handle("telegram", str(REPORTER_CHAT)), recorded_by=None, language="id",
    )  # fmt: skip
    assert (await e.wf.start_intake(res.case_id, "system")).ok
    return res.case_id


async def first_step(e: Env, case_id: int) -> StepRow:
    async with e.svc.db.reading() as conn:
        rows = await e.wf.store.open_steps_for_case(conn, case_id)
    assert [r.step_key for r in rows] == ["first_response"]
    return rows[0]


async def addressed(e: Env) -> list[tuple[OutboxItem, int | None]]:
    """Pending outbox rows (decrypted), each with the Telegram chat its recipient resolves to."""
    addresses = TelegramAddresses(e.svc)
    async with e.svc.db.reading() as conn:
        found = await e.svc.outbox.due(conn, datetime(2100, 1, 1, tzinfo=UTC), limit=10_000)
        return [(i, await addresses.resolve(conn, i.recipient)) for i in found]


async def items(e: Env, kind: str | None = None, chat: int | None = None) -> list[OutboxItem]:
    """Pending outbox rows (decrypted), optionally of one kind and chat."""
    found = await addressed(e)
    return [i for i, to in found if (kind is None or i.kind == kind) and (chat in (None, to))]


async def chats(e: Env, kind: str, **payload: Any) -> list[int | None]:
    """Telegram chats a kind goes to (whose payload has the given values), in queue order."""
    found = await addressed(e)
    return [
        to
        for i, to in found
        if i.kind == kind and all(i.payload.get(k) == v for k, v in payload.items())
    ]


async def render(e: Env, item: OutboxItem, lang: str = "en") -> tuple[str, Any] | None:
    return await render_reminder(e.svc, item, I18n().get(lang))


async def relevant(e: Env, item: OutboxItem) -> bool:
    async with e.svc.db.reading() as conn:
        return await still_relevant(conn, item)


async def dedupe_counts(e: Env) -> dict[str, int]:
    rows = await e.svc.db.fetchall("SELECT dedupe_key, COUNT(*) FROM outbox GROUP BY dedupe_key")
    return {str(r[0]): int(r[1]) for r in rows}


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


# -- mediations ------------------------------------------------------------------------------


async def mediation(e: Env, case_id: int, when: datetime) -> int:
    step = await first_step(e, case_id)
    async with e.svc.db.transaction() as conn:
        return await e.wf.store.insert_mediation(
            conn, case_id=case_id, step_id=step.id, scheduled_at=when,
            location="Ruang Mediasi UPTD PPA", created_by=KETUA, at=e.clock.now(),
        )  # fmt: skip


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
                              "new": [], "due_today": [], "overdue": []}  # fmt: skip
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
