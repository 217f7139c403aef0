"""Outbox sender: Telegram's limits, retries, permanent failures, digests, closed cases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot

from bot.channels.telegram.addresses import staff_group_chat
from bot.channels.telegram.reminder_render import reminder_line
from bot.channels.telegram.sender import OutboxSender, Rendered
from bot.channels.telegram.throttle import Throttle, VirtualTime
from bot.clock import FakeClock
from bot.config import load_offices
from bot.crypto import Cipher, generate_key
from bot.domain.identity import Handle
from bot.domain.notice import Notice, Recipient
from bot.i18n import I18n, Translator
from bot.services.context import Services
from bot.services.intake import submit_complaint
from bot.store.db import Database, migrations
from bot.store.outbox import OutboxItem
from bot.testing.fake_request import FakeRequest
from bot.testing.fake_telegram import FakeTelegram
from bot.testing.harness import EXAMPLE_OFFICES

TOKEN = "123456:OUTBOX-TEST"
GROUP = -1001000000001  # TNG staff group
REPORTER = 555001


@dataclass
class World:
    """A real store, the in-process fake Telegram, a real Bot and a virtual clock."""

    clock: FakeClock
    vt: VirtualTime
    svc: Services
    fake: FakeTelegram
    sender: OutboxSender

    async def enqueue(self, chat_id: int, kind: str, payload: dict[str, Any], **kw: Any) -> None:
        at = kw.pop("at", self.clock.now())
        async with self.svc.db.transaction() as conn:
            await self.svc.outbox.enqueue(
                conn, chat_id=chat_id, kind=kind, payload=payload, at=at, **kw
            )

    async def overdue(self, chat_id: int, n: int, **kw: Any) -> None:
        now = self.clock.now()
        async with self.svc.db.transaction() as conn:
            for i in range(1, n + 1):
                await self.svc.outbox.enqueue(
                    conn,
                    chat_id=chat_id,
                    kind="step_overdue",
                    at=now,
                    payload={"case_number": f"PPA-TNG-2026-{i:05d}", "step_title": "Asesmen"},
                    **kw,
                )

    async def rows(self) -> list[dict[str, Any]]:
        found = await self.svc.db.fetchall(
            "SELECT id, recipient, channel, kind, status, attempts, sent_at,"
            " provider_message_id, last_error FROM outbox ORDER BY id"
        )
        return [dict(r) for r in found]

    async def counts(self) -> dict[str, int]:
        async with self.svc.db.reading() as conn:
            return await self.svc.outbox.status_counts(conn)

    async def case(
        self, number: str, *, status: str = "new", closed_at: datetime | None = None
    ) -> int:
        now = self.clock.now().isoformat()
        async with self.svc.db.transaction() as conn:
            cur = await conn.execute(
                "INSERT INTO cases (number, office_id, idempotency_key, tracking_index, channel,"
                " victim_sex, victim_age_group, categories, relation, help_wanted, reporter_type,"
                " received_at, first_response_due, details_enc, status, closed_at)"
                " VALUES (?, 'TNG', ?, ?, 'telegram', 'female', 'adult', '[]', 'unknown', '[]',"
                " 'victim', ?, ?, x'00', ?, ?)",
                (
                    number,
                    number,
                    number,
                    now,
                    now,
                    status,
                    closed_at.isoformat() if closed_at else None,
                ),
            )
            assert cur.lastrowid is not None
            return cur.lastrowid


async def _render_overdue(item: OutboxItem, t: Translator) -> Rendered | None:
    return t.gettext(
        "⏰ <b>{number}</b>: {step} is overdue",
        number=str(item.payload.get("case_number", "")),
        step=str(item.payload.get("step_title", "")),
    ), None


@asynccontextmanager
async def open_world(db: Database, clock: FakeClock, cipher: Cipher) -> AsyncIterator[World]:
    """Sender wired to a fake Telegram enforcing Telegram's limits on virtual time."""
    vt = VirtualTime(clock)
    offices = {o.id: o for o in load_offices(EXAMPLE_OFFICES)}
    svc = Services(db, clock, cipher, offices)
    fake = FakeTelegram(token=TOKEN, clock=lambda: clock.now().timestamp())
    for office in offices.values():
        fake.member_joins(staff_group_chat(office) or 0, fake.bot_id)
    fake.started_users.add(REPORTER)
    fake.enforce_limits(clock=vt.monotonic)
    bot = Bot(TOKEN, request=FakeRequest(fake))
    await bot.initialize()
    sender = OutboxSender(
        bot, svc, I18n(), throttle=Throttle(monotonic=vt.monotonic, sleep=vt.sleep)
    )
    # the sweep's alerts without their steps: a stand-in for the real reminder renderer
    sender.register("step_overdue", _render_overdue, reminder_line)
    try:
        yield World(clock, vt, svc, fake, sender)
    finally:
        await bot.shutdown()


@pytest.fixture
async def world(tmp_path: Path, clock: FakeClock) -> AsyncIterator[World]:
    """A new migrated database and the sender (see open_world)."""
    db = await Database.open(tmp_path / "outbox.sqlite3")
    try:
        async with open_world(db, clock, Cipher(generate_key())) as w:
            yield w
    finally:
        await db.close()


# -- throttle -------------------------------------------------------------------------------


def _throttle(clock: FakeClock) -> tuple[Throttle, VirtualTime]:
    vt = VirtualTime(clock)
    return Throttle(monotonic=vt.monotonic, sleep=vt.sleep, margin=0.0), vt


async def test_throttle_private_chat_one_per_second(clock: FakeClock) -> None:
    th, vt = _throttle(clock)
    assert await th.acquire(REPORTER)
    assert th.delay(REPORTER) == pytest.approx(1.0)
    assert th.delay(REPORTER + 1) == 0  # another chat may go now
    assert await th.acquire(REPORTER)
    assert vt.slept == pytest.approx(1.0)


async def test_throttle_group_twenty_per_minute(clock: FakeClock) -> None:
    th, vt = _throttle(clock)
    for _ in range(20):
        assert await th.acquire(GROUP, max_wait=0)
    assert th.remaining(GROUP) == 0
    assert th.delay(GROUP) == pytest.approx(60.0)
    assert not await th.acquire(GROUP, max_wait=59)  # too long: refused without sleeping
    assert vt.slept == 0
    assert await th.acquire(GROUP)
    assert vt.slept == pytest.approx(60.0)


async def test_throttle_global_thirty_per_second(clock: FakeClock) -> None:
    th, _ = _throttle(clock)
    for chat in range(1, 31):
        assert await th.acquire(chat, max_wait=0)
    assert th.delay(999) == pytest.approx(1.0)
    clock.advance(seconds=1)
    assert th.delay(999) == 0


async def test_throttle_pause_after_retry_after(clock: FakeClock) -> None:
    th, _ = _throttle(clock)
    th.pause(REPORTER, 5)
    assert th.delay(REPORTER) == pytest.approx(5.0)
    assert th.delay(GROUP) == 0
    th.pause_all(2)
    assert th.delay(GROUP) == pytest.approx(2.0)


# -- retries and failures -------------------------------------------------------------------


async def test_429_then_success_is_sent_once(world: World) -> None:
    await world.enqueue(REPORTER, "urgent_alert", {"office_id": "TNG"})
    world.fake.fail_next("sendMessage", 1, "429", retry_after=3)
    assert await world.sender.drain() == 0
    [row] = await world.rows()
    assert (row["status"], row["last_error"], row["sent_at"]) == ("pending", "RetryAfter", None)
    assert await world.sender.drain() == 0  # not yet: Telegram asked for 3 seconds
    world.clock.advance(seconds=3)
    assert await world.sender.drain() == 1
    assert await world.sender.drain() == 0
    assert len(world.fake.messages(REPORTER)) == 1
    [row] = await world.rows()
    assert row["status"] == "sent" and row["provider_message_id"] == "1"


async def test_network_drop_is_retried_and_sent_once(world: World) -> None:
    await world.enqueue(REPORTER, "urgent_alert", {"office_id": "TNG"})
    world.fake.fail_next("sendMessage", 1, "drop")
    assert await world.sender.drain() == 0
    [row] = await world.rows()
    assert (row["status"], row["attempts"], row["last_error"]) == ("pending", 1, "NetworkError")
    world.clock.advance(seconds=1)  # backoff for the first retry
    assert await world.sender.flush() == 1
    assert len(world.fake.messages(REPORTER)) == 1


async def test_row_not_marked_sent_when_send_failed(world: World) -> None:
    await world.enqueue(REPORTER, "urgent_alert", {"office_id": "TNG"})
    world.fake.fail_next("sendMessage", 1, "500")
    await world.sender.drain()
    [row] = await world.rows()
    assert row["status"] == "pending"
    assert row["sent_at"] is None and row["provider_message_id"] is None
    assert world.fake.messages(REPORTER) == []


async def test_blocked_reporter_fails_and_staff_are_told(world: World) -> None:
    case_id = await world.case("PPA-TNG-2026-00042")
    world.fake.user_blocks_bot(REPORTER)
    await world.enqueue(
        REPORTER, "reporter_taken", {"case_id": case_id, "mode": "normal"}, case_id=case_id
    )
    await world.sender.drain()
    rows = await world.rows()
    assert [(r["kind"], r["status"]) for r in rows] == [
        ("reporter_taken", "failed"),
        ("delivery_failed", "pending"),
    ]
    assert rows[0]["last_error"] == "Forbidden" and rows[1]["recipient"] == "group:TNG"
    await world.sender.drain()
    alert = world.fake.last_message(GROUP).plain_text or ""
    assert "PPA-TNG-2026-00042" in alert and "reporter_taken" in alert
    assert str(REPORTER) not in alert
    assert (await world.counts())["pending"] == 0


async def test_failure_into_a_staff_group_raises_no_alert(world: World) -> None:
    gone = -1009999999999  # the bot is not in this group: chat not found
    await world.enqueue(gone, "urgent_alert", {"office_id": "TNG"})
    await world.sender.drain()
    assert [(r["kind"], r["status"]) for r in await world.rows()] == [("urgent_alert", "failed")]


# -- digests and limits ---------------------------------------------------------------------


async def test_few_alerts_go_one_by_one(world: World) -> None:
    await world.overdue(GROUP, 3)
    assert await world.sender.drain() == 3
    texts = [m.plain_text or "" for m in world.fake.messages(GROUP)]
    assert len(texts) == 3 and all("PPA-TNG-2026-0000" in t for t in texts)
    assert not any(t.startswith("📋") for t in texts)


async def test_many_alerts_become_one_digest(world: World) -> None:
    await world.overdue(GROUP, 5)
    assert await world.sender.drain() == 5
    [digest] = world.fake.messages(GROUP)
    text = digest.plain_text or ""
    assert text.startswith("📋") and not digest.buttons
    for i in range(1, 6):
        assert f"PPA-TNG-2026-{i:05d}" in text
    ids = {r["provider_message_id"] for r in await world.rows()}
    assert ids == {str(digest.message_id)}


async def test_exhausted_group_budget_digests_even_two(world: World) -> None:
    for n in range(20):  # one a second: the group's minute fills up
        await world.enqueue(GROUP, "dead_letter", {"update_id": n})
        assert await world.sender.drain() == 1
        world.clock.advance(seconds=1)
    assert world.sender.throttle.remaining(GROUP) == 0
    slept = world.vt.slept
    await world.enqueue(GROUP, "urgent_alert", {"office_id": "TNG"})
    await world.enqueue(GROUP, "dead_letter", {"update_id": 99})
    assert await world.sender.drain() == 0  # the minute's budget is spent: no 429, just wait
    assert world.fake.call_counts["sendMessage"] == 20
    assert await world.sender.flush() == 2
    assert world.fake.call_counts["sendMessage"] == 21  # one digest for both
    digest = world.fake.last_message(GROUP).plain_text or ""
    assert digest.startswith("📋") and digest.splitlines()[1].startswith("🚨")
    assert world.fake.too_many_requests == 0
    assert world.vt.slept - slept == pytest.approx(40.0, abs=0.1)  # until the first one expired


async def test_burst_of_1000_is_delivered_in_digests_without_429(world: World) -> None:
    await world.overdue(GROUP, 1000)
    assert await world.sender.flush() == 1000
    assert (await world.counts())["pending"] == 0
    assert world.fake.too_many_requests == 0
    group = world.fake.messages(GROUP)
    assert 0 < len(group) < 50  # far below 1,000 calls into the group
    assert world.fake.call_counts["sendMessage"] == len(group)
    text = "\n".join(m.plain_text or "" for m in group)
    assert all((m.plain_text or "").startswith("📋") for m in group)
    assert "PPA-TNG-2026-00001" in text and "PPA-TNG-2026-01000" in text
    assert all(len(m.text or "") <= 4096 for m in group)


async def test_private_chat_rows_wait_for_their_second(world: World) -> None:
    for n in range(5):
        await world.enqueue(REPORTER, "dead_letter", {"update_id": n})
    sent = await world.sender.drain()
    assert sent == 2  # t=0 and t≈1.05; the next would exceed the 2 s a drain may wait
    assert world.vt.slept <= 2.0
    assert await world.sender.flush() == 3
    assert world.fake.too_many_requests == 0
    assert len(world.fake.messages(REPORTER)) == 5


# -- closed cases, languages, new kinds -----------------------------------------------------


async def test_rows_of_a_closed_case_are_cancelled(world: World) -> None:
    earlier = world.clock.now()
    world.clock.advance(hours=1)
    closed_at = world.clock.now()
    case_id = await world.case("PPA-TNG-2026-00007", status="closed", closed_at=closed_at)
    payload = {"case_number": "PPA-TNG-2026-00007", "step_title": "Asesmen"}
    await world.enqueue(GROUP, "step_overdue", payload, case_id=case_id, at=earlier)
    await world.enqueue(GROUP, "step_overdue", payload, case_id=case_id, at=closed_at)
    assert await world.sender.drain() == 1  # only the notice written when it was closed
    rows = await world.rows()
    assert [r["status"] for r in rows] == ["cancelled", "sent"]
    assert rows[0]["last_error"] == "case closed"
    assert len(world.fake.messages(GROUP)) == 1


async def test_each_row_in_its_own_language(world: World) -> None:
    await world.enqueue(REPORTER, "dead_letter", {"update_id": 1}, language="en")
    seen: list[str] = []
    original = world.sender.i18n.get

    def spy(language: str | None) -> Translator:
        seen.append(str(language))
        return original(language)

    world.sender.i18n.get = spy  # type: ignore[method-assign]
    await world.sender.drain()
    assert seen == ["en"]
    assert "could not be processed" in (world.fake.last_message(REPORTER).plain_text or "")


async def test_registered_kind_is_rendered(world: World) -> None:
    async def render(item: OutboxItem, t: Translator) -> Rendered | None:
        return t.gettext("Step {n} opened", n=int(item.payload["n"])), None

    world.sender.register("step_opened", render)
    await world.enqueue(GROUP, "step_opened", {"n": 4})
    assert await world.sender.drain() == 1
    assert world.fake.last_message(GROUP).plain_text == "Step 4 opened"


async def test_unknown_kind_fails_without_sending(world: World) -> None:
    await world.enqueue(GROUP, "no_such_kind", {})
    assert await world.sender.drain() == 0
    assert [r["status"] for r in await world.rows()] == ["failed"]
    assert world.fake.call_counts["sendMessage"] == 0


async def test_check_cancels_stale_rows(world: World) -> None:
    async def only_odd(conn: object, item: OutboxItem) -> bool:
        return int(item.payload["update_id"]) % 2 == 1

    world.sender.add_check(only_odd)
    for n in (1, 2):
        await world.enqueue(GROUP, "dead_letter", {"update_id": n})
    assert await world.sender.drain() == 1
    assert [r["status"] for r in await world.rows()] == ["sent", "cancelled"]


# -- recipients: resolved by the channel when sent ------------------------------------------

TNG_HEAD = 100000001  # ketua of TNG in the office file


async def _add(world: World, *notices: Notice) -> None:
    async with world.svc.db.transaction() as conn:
        for notice in notices:
            await world.svc.outbox.add(conn, notice, at=world.clock.now())


async def _reported_case(world: World) -> int:
    answers: dict[str, Any] = {
        "danger": "no", "office": "TNG", "reporter": "victim", "victim_name": "Siti",
        "victim_age": 30, "victim_sex": "female", "disability": "no",
        "violence": ["psychological"], "relation": "spouse", "notify": "normal",
    }  # fmt: skip
    res = await submit_complaint(
        world.svc, answers=answers, evidence=[], idempotency_key="k", mode="reporter",
        reporter=Handle("telegram", str(REPORTER)), recorded_by=None, language="en",
    )  # fmt: skip
    return res.case_id


async def test_people_groups_and_reporters_are_resolved_when_sent(world: World) -> None:
    world.fake.started_users.add(TNG_HEAD)
    case_id = await _reported_case(world)
    await _add(
        world,
        Notice("dead_letter", Recipient.person(TNG_HEAD), {"update_id": 7}, language="en"),
        Notice(
            "reporter_taken",
            Recipient.reporter(case_id),
            {"case_id": case_id, "mode": "normal"},
            language="en",
            case_id=case_id,
        ),
    )
    assert await world.sender.drain() == 3  # with the staff notice of the new case
    rows = await world.rows()
    assert [(r["kind"], r["recipient"], r["channel"], r["status"]) for r in rows] == [
        ("staff_notice", "group:TNG", "telegram", "sent"),
        ("dead_letter", f"person:{TNG_HEAD}", "telegram", "sent"),
        ("reporter_taken", f"reporter:{case_id}", "telegram", "sent"),
    ]
    [notice] = world.fake.messages(GROUP)
    assert "PPA-TNG-2026-00001" in (notice.plain_text or "")
    assert "update 7" in (world.fake.last_message(TNG_HEAD).plain_text or "")
    taken = world.fake.last_message(REPORTER).plain_text or ""
    assert "PPA-TNG-2026-00001" in taken and "complaint officer" in taken


async def test_a_recipient_the_channel_cannot_reach_fails_without_an_alert(world: World) -> None:
    await _add(world, Notice("urgent_alert", Recipient.staff_group("XYZ"), {"office_id": "TNG"}))
    await _add(world, Notice("reply", Recipient.address("whatsapp", "62811"), {"text": "hi"}))
    assert await world.sender.drain() == 0
    rows = await world.rows()
    # the WhatsApp row waits for its own channel; the unknown office's row cannot be sent
    assert [(r["kind"], r["channel"], r["status"], r["last_error"]) for r in rows] == [
        ("urgent_alert", "telegram", "failed", "no address"),
        ("reply", "whatsapp", "pending", None),
    ]
    assert world.fake.call_counts["sendMessage"] == 0


async def test_dedupe_keys_name_the_recipient(world: World) -> None:
    def notice(to: Recipient) -> Notice:
        return Notice("dead_letter", to, {"update_id": 1}, dedupe_key=f"dead:1:{to.key()}")

    people = [Recipient.person(TNG_HEAD), Recipient.staff_group("TNG")]
    await _add(world, *(notice(to) for to in people))
    await _add(world, *(notice(to) for to in people))  # the same handler run again
    assert [r["recipient"] for r in await world.rows()] == [f"person:{TNG_HEAD}", "group:TNG"]


# -- migration 0006: rows written with a chat id keep going out --------------------------------


async def test_migration_0006_turns_chat_ids_into_telegram_addresses(
    tmp_path: Path, clock: FakeClock
) -> None:
    cipher = Cipher(generate_key())
    db = await Database.open(tmp_path / "old.sqlite3", migrate=False)
    try:
        for number, _, sql in migrations():
            if number < 6:
                await db.conn.executescript(sql)
                await db.conn.execute(f"PRAGMA user_version = {number}")
        assert await db.version() == 5
        now = clock.now().isoformat()
        old = "INSERT INTO outbox (created_at, chat_id, kind, dedupe_key, language, payload_enc,"
        old += " not_before, status, telegram_message_id) VALUES (?,?,?,?,?,?,?,?,?)"
        for chat, update_id, status, message_id in [
            (REPORTER, 1, "sent", 41),
            (REPORTER, 2, "pending", None),
            (GROUP, 3, "pending", None),
        ]:
            payload = cipher.encrypt_json({"update_id": update_id}, context=b"outbox:dead_letter")
            await db.conn.execute(old, (now, chat, "dead_letter", f"dead:{update_id}", "en",
                                        payload, now, status, message_id))  # fmt: skip
        assert (await db.migrate())[0] == "0006_notices_roster.sql"  # and any later ones
        async with open_world(db, clock, cipher) as world:
            rows = await world.rows()
            assert [(r["recipient"], r["channel"], r["status"], r["provider_message_id"])
                    for r in rows] == [
                (f"address:telegram:{REPORTER}", "telegram", "sent", "41"),
                (f"address:telegram:{REPORTER}", "telegram", "pending", None),
                (f"address:telegram:{GROUP}", "telegram", "pending", None),
            ]  # fmt: skip
            columns = {r[1] for r in await db.fetchall("PRAGMA table_info(outbox)")}
            assert {"chat_id", "telegram_message_id"}.isdisjoint(columns)
            # the dedupe keys came along: the same row is not written twice
            await world.enqueue(REPORTER, "dead_letter", {"update_id": 2}, dedupe_key="dead:2")
            assert len(await world.rows()) == 3
            assert await world.sender.flush() == 2
            assert "update 2" in (world.fake.last_message(REPORTER).plain_text or "")
            assert "update 3" in (world.fake.last_message(GROUP).plain_text or "")
    finally:
        await db.close()
