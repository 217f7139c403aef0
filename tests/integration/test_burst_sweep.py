"""Burst through the real path: open SOP steps, one sweep, one flush, Telegram's limits enforced.

Many steps of one office fall due and past the escalation grace at one instant (as after a long
outage). One ``sweep()`` queues the alerts (assignee privately, head privately, staff group) and
one ``OutboxSender.flush()`` of the sender built by ``build_runtime`` (every scheduler kind
registered) sends them through a real ``telegram.Bot`` to the fake Bot API with its limits on.
The sender's throttle and the fake's limits count on the same virtual time. ``bench/burst.py``
runs the same with 1,000 steps; here fewer keep the test fast.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.app import Runtime, build_runtime
from bot.channels.telegram.addresses import staff_group_chat
from bot.channels.telegram.throttle import Throttle, VirtualTime
from bot.clock import FakeClock
from bot.config import Settings
from bot.crypto import generate_key
from bot.scheduler.sweep import SweepReport, sweep
from bot.services.intake import submit_complaint
from bot.services.workflow import Workflow, load_sops
from bot.sops_cli import SOPS_DIR
from bot.testing.fake_request import FakeRequest
from bot.testing.fake_telegram import FakeTelegram
from bot.testing.harness import EXAMPLE_OFFICES

__all__: list[str] = []

TOKEN = "123456:BURST-SWEEP-TEST"
WIB = ZoneInfo("Asia/Jakarta")
KETUA, PETUGAS = 100000001, 100000002
GROUP = -1001000000001  # TNG staff group
# Monday 09:00: cases arrive; first response (1 working day) due Tuesday 09:00, escalated after
# 4 office hours on Tuesday 14:00, again only on Wednesday 14:00
CASES_AT = datetime(2026, 3, 2, 9, 0, tzinfo=WIB)
SWEEP_AT = datetime(2026, 3, 3, 15, 0, tzinfo=WIB)
STEPS = 200  # bench/burst.py runs 1,000


@dataclass
class Burst:
    """One sweep-then-flush run and what it left behind."""

    rt: Runtime
    fake: FakeTelegram
    report: SweepReport
    first_row: int  # rows after this id were queued by the sweep (or by the flush)
    sent: int
    virtual_seconds: float

    async def statuses(self, *kinds: str) -> Counter[str]:
        """Burst rows per status (of the given kinds, or all)."""
        rows = await self.rt.services.db.fetchall(
            "SELECT kind, status FROM outbox WHERE id > ?", (self.first_row,)
        )
        return Counter(str(r[1]) for r in rows if not kinds or str(r[0]) in kinds)

    def texts(self, chat_id: int) -> list[str]:
        """What the fake Bot API delivered into a chat."""
        return [m.plain_text or m.text or "" for m in self.fake.messages(chat_id)]


def _answers(i: int) -> dict[str, Any]:
    return {
        "danger": "no", "office": "TNG", "reporter": "victim", "victim_name": f"Korban {i}",
        "victim_age": 30, "victim_sex": "female", "disability": "no",
        "violence": ["psychological"], "relation": "spouse", "perpetrator": f"Pelaku {i}",
        "when": "today", "where": "rumah", "story": f"Cerita {i}", "phone": "081200000000",
        "call_time": "any", "help": ["counselling"], "notify": "none", "consent": "yes",
    }  # fmt: skip


async def run_burst(database: str | Path, steps: int) -> Burst:
    """``steps`` real cases with their intake step open; sweep and flush at one instant
    (``database``: a new SQLite file or PostgreSQL database, tests/stores.py)."""
    clock = FakeClock(CASES_AT.astimezone(UTC))
    settings = Settings(
        telegram_bot_token=TOKEN,
        ppa_database=database,
        ppa_offices=EXAMPLE_OFFICES,
        ppa_secret_key=generate_key(),
        _env_file=None,  # type: ignore[call-arg]
    )
    fake = FakeTelegram(token=TOKEN, clock=lambda: clock.now().timestamp())
    rt = await build_runtime(settings, clock=clock, request=FakeRequest(fake))
    await rt.application.initialize()
    svc = rt.services
    for office in svc.offices.values():  # the bot is in every staff group, as after setup
        fake.member_joins(staff_group_chat(office) or 0, fake.bot_id)
        fake.started_users.update(svc.file_staff(office.id))
    workflow = Workflow(svc, load_sops(SOPS_DIR))
    for i in range(1, steps + 1):
        res = await submit_complaint(
            svc, answers=_answers(i), evidence=[], idempotency_key=f"burst:{i}",
            mode="reporter", reporter=None, recorded_by=None, language="id",
        )  # fmt: skip
        assert (await workflow.start_intake(res.case_id, "system")).ok
    # Monday's notices went out when the cases came in: only the sweep's rows are measured
    async with svc.db.transaction() as conn:
        await conn.execute(
            "UPDATE outbox SET status = 'sent', sent_at = ? WHERE status = 'pending'",
            (clock.now().isoformat(),),
        )
    first = int((await svc.db.fetchall("SELECT COALESCE(MAX(id), 0) FROM outbox"))[0][0])

    clock.set(SWEEP_AT.astimezone(UTC))
    report = await sweep(svc, clock.now())
    vt = VirtualTime(clock)
    rt.sender.throttle = Throttle(monotonic=vt.monotonic, sleep=vt.sleep)
    fake.enforce_limits(clock=vt.monotonic)
    sent = await rt.sender.flush()
    return Burst(rt, fake, report, first, sent, vt.monotonic())


async def test_burst_of_escalations_is_delivered_in_digests_without_429(
    db_target: str | Path,
) -> None:
    burst = await run_burst(db_target, STEPS)
    try:
        report = burst.report
        assert report.errors == 0
        assert report.reminders["step_overdue"] == STEPS
        assert report.reminders["step_escalated"] == STEPS
        assert "step_due_soon" not in report.reminders  # superseded by the overdue alert

        alerts = ("step_overdue", "step_escalated")
        assert await burst.statuses(*alerts) == Counter({"sent": 3 * STEPS})
        everything = await burst.statuses()
        assert everything["pending"] == 0
        assert everything["failed"] == 0  # daily digests too: they list at most 25 items
        assert burst.fake.too_many_requests == 0

        group = burst.texts(GROUP)
        digests = [t for t in group if t.startswith("📋")]
        assert digests, "the staff group gets digests"
        assert len(group) * 5 <= STEPS, "far fewer group messages than escalations"
        lines = sum(t.count("PPA-TNG-") for t in digests)
        singles = [t for t in group if t.startswith("🚨")]
        assert lines + len(singles) == STEPS  # every escalation reached the group once

        # a person with many alerts at once gets digests too, not one message per alert
        def alerts_to(chat: int) -> tuple[int, int]:
            msgs = [t for t in burst.texts(chat) if not t.startswith("☀")]  # not daily digests
            return len(msgs), sum(t.count("PPA-TNG-") for t in msgs)

        for person in (PETUGAS, KETUA):  # step_overdue to the role holder, escalations to head
            messages, alerts = alerts_to(person)
            assert alerts == STEPS, "every alert reached the person once"
            assert messages * 5 <= STEPS, "far fewer private messages than alerts"
        print(
            f"\n{STEPS} steps: {3 * STEPS} alert rows; Telegram messages: {len(group)} to the"
            f" group ({len(digests)} digests), {len(burst.texts(PETUGAS))} + "
            f"{len(burst.texts(KETUA))} private; virtual {burst.virtual_seconds:.0f} s"
        )
    finally:
        await burst.rt.close()


async def _failed_daily_digests(burst: Burst) -> list[str]:
    rows = await burst.rt.services.db.fetchall(
        "SELECT recipient FROM outbox WHERE id > ? AND status = 'failed' AND kind = 'daily_digest'",
        (burst.first_row,),
    )
    return [str(r[0]) for r in rows]


async def test_daily_digests_of_a_busy_office_are_delivered(db_target: str | Path) -> None:
    burst = await run_burst(db_target, 100)
    try:
        assert await _failed_daily_digests(burst) == []
    finally:
        await burst.rt.close()
