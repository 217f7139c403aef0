"""Outbox sender: closed cases, languages, new kinds, recipients, rows of older versions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.channels.telegram.sender import Rendered
from bot.clock import FakeClock
from bot.crypto import Cipher, generate_key
from bot.domain.identity import Handle
from bot.domain.notice import Notice, Recipient
from bot.i18n import Translator
from bot.services.intake import submit_complaint
from bot.store.db import Database, migrations
from bot.store.outbox import OutboxItem
from bot.store.route_macs import adopt_routing
from bot.testing.people import person
from tests.integration.outbox_support import GROUP, REPORTER, World, open_world, world

__all__ = ["world"]  # the fixture, re-used


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
    head = await person(world.svc, TNG_HEAD)
    await _add(
        world,
        Notice("dead_letter", Recipient.person(head), {"update_id": 7}, language="en"),
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
        ("dead_letter", f"person:{head}", "telegram", "sent"),
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


@pytest.mark.sqlite_only  # builds the old schema with PRAGMA user_version
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
        async with db.transaction() as tx:  # as the first start after the upgrade does
            assert await adopt_routing(tx, cipher) == 2
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
