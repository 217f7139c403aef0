"""Security review #5, the rest: a database edited without the key redirects no message.

A queued message's recipient (``outbox.recipient``), whether and how a reporter may be contacted
(``cases.notify_mode``) and the mapping of a person to a channel address (``person_handles``)
each carry a MAC bound to their row. Each test edits the database as an attacker with write
access but without PPA_SECRET_KEY would (plain SQL) and checks that nothing goes where it
should not, that the row is refused, audited and alerted, and that what was not touched still
goes out. Every test runs on both stores.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.crypto import generate_key
from bot.domain.notice import Notice, Recipient
from bot.security.keys import rotate_key
from bot.store.db import Database
from bot.testing.harness import Harness
from tests.integration.test_integrity import (
    ATTACKER,
    TNG_HEAD,
    _alerts,
    _count,
    _forge_sql,
    _head_alerts,
)
from tests.telegram.flows import REPORTER, full_report, press

__all__: list[str] = []

TNG_GROUP = -1001000000001
OFFICER = 100000002  # petugas, TNG
REPORTER_TWO = 555002


async def _queue(h: Harness, recipient: Recipient, update_id: int) -> int:
    """A message queued as the bot queues one (rendered as "... update <id> ...")."""
    svc = h.rt.services
    async with h.rt.db.transaction() as conn:
        await svc.outbox.add(
            conn,
            Notice(
                kind="dead_letter",
                recipient=recipient,
                params={"update_id": update_id},
                dedupe_key=f"test:{update_id}",
            ),
            at=svc.clock.now(),
        )
    row = await h.rt.db.fetchone(
        "SELECT id FROM outbox WHERE dedupe_key = ?", (f"test:{update_id}",)
    )
    assert row is not None
    return int(row[0])


def _got(h: Harness, chat: int, update_id: int) -> bool:
    return any(f"update {update_id}" in t for t in h.texts(chat))


async def _status(h: Harness, row_id: int) -> str:
    row = await h.rt.db.fetchone("SELECT status FROM outbox WHERE id = ?", (row_id,))
    assert row is not None
    return str(row[0])


async def _alerted(h: Harness) -> None:
    """What the stores refused is alerted at the next update or sweep (refresh_roster)."""
    await h.rt.services.refresh_roster()


# -- outbox.recipient -------------------------------------------------------------------------


async def test_a_queued_message_redirected_to_another_person_is_refused(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness
    await h.send(TNG_HEAD, "/start")
    await h.send(ATTACKER, "/start")
    head, attacker = await h.person(TNG_HEAD), await h.person(ATTACKER)
    redirected = await _queue(h, Recipient.person(head), 4101)
    untouched = await _queue(h, Recipient.person(head), 4102)
    await _forge_sql(
        h, "UPDATE outbox SET recipient = ? WHERE id = ?", f"person:{attacker}", redirected
    )
    await h.rt.sender.flush()
    assert not _got(h, ATTACKER, 4101) and not _got(h, TNG_HEAD, 4101)
    assert await _status(h, redirected) == "failed"
    assert _got(h, TNG_HEAD, 4102) and await _status(h, untouched) == "sent"  # normal sending
    await _alerted(h)
    assert await _alerts(h, "outbox") == 1
    assert len(await _head_alerts(h)) == 1
    assert f"outbox {redirected} fails its MAC" in caplog.text  # the row, not where it would go


async def test_recipients_swapped_between_rows_are_refused(harness: Harness) -> None:
    h = harness
    await h.send(TNG_HEAD, "/start")
    await h.send(ATTACKER, "/start")
    to_head = await _queue(h, Recipient.person(await h.person(TNG_HEAD)), 4201)
    to_attacker = await _queue(h, Recipient.address("telegram", ATTACKER), 4202)
    rows = await h.rt.db.fetchall(
        "SELECT id, recipient, recipient_mac FROM outbox WHERE id IN (?, ?) ORDER BY id",
        (to_head, to_attacker),
    )
    (a, ra, ma), (b, rb, mb) = (tuple(r) for r in rows)
    # each row takes the other's recipient together with its MAC
    await _forge_sql(
        h, "UPDATE outbox SET recipient = ?, recipient_mac = ? WHERE id = ?", rb, mb, a
    )
    await _forge_sql(
        h, "UPDATE outbox SET recipient = ?, recipient_mac = ? WHERE id = ?", ra, ma, b
    )
    await h.rt.sender.flush()
    assert not _got(h, ATTACKER, 4201) and not _got(h, TNG_HEAD, 4202)
    assert [await _status(h, i) for i in (to_head, to_attacker)] == ["failed", "failed"]
    await _alerted(h)
    assert await _alerts(h, "outbox") == 2


async def test_a_payload_moved_to_another_rows_recipient_is_refused(harness: Harness) -> None:
    h = harness
    await h.send(TNG_HEAD, "/start")
    await h.send(ATTACKER, "/start")
    to_head = await _queue(h, Recipient.person(await h.person(TNG_HEAD)), 4301)
    to_attacker = await _queue(h, Recipient.address("telegram", ATTACKER), 4302)
    await _forge_sql(
        h,
        "UPDATE outbox SET payload_enc = (SELECT payload_enc FROM outbox WHERE id = ?)"
        " WHERE id = ?",
        to_head, to_attacker,
    )  # fmt: skip
    await h.rt.sender.flush()
    assert not _got(h, ATTACKER, 4301)
    assert await _status(h, to_attacker) == "failed"
    assert _got(h, TNG_HEAD, 4301)  # the head's own row still went out


# -- cases.notify_mode ------------------------------------------------------------------------


async def _report_and_take(h: Harness, forge: str | None, *params: object) -> list[str]:
    """A complete report (notify "normal"), a forgery, the case taken: what the reporter got."""
    await full_report(h)
    await h.send(OFFICER, "/start")
    await h.send(TNG_HEAD, "/start")
    if forge is not None:
        await _forge_sql(h, forge, *params)
    before = h.fake.last_message_id(REPORTER)
    await press(h, OFFICER, "take:1", chat=TNG_GROUP)
    await h.rt.sender.flush()
    return [m.plain_text or "" for m in h.fake.messages(REPORTER) if m.message_id > before]


async def test_a_reporter_is_told_when_her_case_is_taken(harness: Harness) -> None:
    told = await _report_and_take(harness, None)
    assert any("PPA-TNG-2026-00001" in t for t in told)
    assert await _alerts(harness) == 0


async def test_a_changed_contact_mode_is_refused_and_she_is_not_contacted(
    harness: Harness,
) -> None:
    h = harness
    told = await _report_and_take(h, "UPDATE cases SET notify_mode = 'neutral' WHERE id = 1")
    assert told == []
    await _alerted(h)
    assert await _alerts(h, "cases") == 1
    assert len(await _head_alerts(h)) == 1


async def test_a_contact_mode_mac_moved_from_another_case_is_refused(harness: Harness) -> None:
    h = harness
    await full_report(h, REPORTER_TWO)  # case 1
    await full_report(h)  # case 2, the same mode: only the MAC's binding to its case differs
    await h.send(OFFICER, "/start")
    await _forge_sql(
        h,
        "UPDATE cases SET notify_mac = (SELECT notify_mac FROM cases WHERE id = 1) WHERE id = 2",
    )
    before = h.fake.last_message_id(REPORTER)
    await press(h, OFFICER, "take:2", chat=TNG_GROUP)
    await h.rt.sender.flush()
    assert [m for m in h.fake.messages(REPORTER) if m.message_id > before] == []
    await _alerted(h)
    assert await _alerts(h, "cases") == 1


# -- person_handles ---------------------------------------------------------------------------


async def test_an_address_swapped_into_a_persons_handle_is_refused(harness: Harness) -> None:
    h = harness
    await h.send(TNG_HEAD, "/start")
    await h.send(OFFICER, "/start")
    await h.send(ATTACKER, "/start")
    head, attacker = await h.person(TNG_HEAD), await h.person(ATTACKER)
    blob = "(SELECT address_enc FROM person_handles WHERE person_id = ? AND channel = 'telegram')"
    await _forge_sql(
        h,
        f"UPDATE person_handles SET address_enc = {blob} WHERE person_id = ?"
        " AND channel = 'telegram'",
        attacker, head,
    )  # fmt: skip
    row_id = await _queue(h, Recipient.person(head), 4401)
    untouched = await _queue(h, Recipient.person(await h.person(OFFICER)), 4402)
    await h.rt.sender.flush()
    assert not _got(h, ATTACKER, 4401)  # her messages do not follow the swapped address
    assert await _status(h, row_id) == "failed"
    assert await _status(h, untouched) == "sent"
    await _alerted(h)
    assert await _alerts(h, "person_handles") == 1


async def test_a_handle_moved_to_a_staff_person_makes_no_one_staff(harness: Harness) -> None:
    h = harness
    await h.send(TNG_HEAD, "/start")
    await h.send(ATTACKER, "/start")
    head, attacker = await h.person(TNG_HEAD), await h.person(ATTACKER)
    # the attacker's account now points at the head's person
    await _forge_sql(
        h, "UPDATE person_handles SET person_id = ? WHERE person_id = ?", head, attacker
    )
    await h.restart()  # nothing cached: the mapping is read from the database
    # the head now has two handle rows: the forged one does not hide her own
    await _queue(h, Recipient.person(head), 4701)
    await h.rt.sender.flush()
    assert _got(h, TNG_HEAD, 4701) and not _got(h, ATTACKER, 4701)
    now = await h.person(ATTACKER)
    assert now != head and not h.rt.services.offices["TNG"].is_staff(now)
    assert await h.person(TNG_HEAD) == head  # the head's own handle stands
    await _alerted(h)
    assert await _alerts(h, "person_handles") == 1
    assert len(await _head_alerts(h)) == 1  # the head of the office of the person named


# -- first start after the upgrade, and key rotation ------------------------------------------


async def test_rows_from_before_the_macs_are_signed_once_at_the_first_start(
    harness: Harness,
) -> None:
    h = harness
    await full_report(h)
    await h.send(OFFICER, "/start")
    await h.send(TNG_HEAD, "/start")
    pending = await _queue(h, Recipient.person(await h.person(TNG_HEAD)), 4501)
    for sql in (
        "UPDATE cases SET notify_mac = NULL",
        "UPDATE outbox SET recipient_mac = NULL",
        "UPDATE person_handles SET handle_mac = NULL",
        "INSERT INTO storemac_migration (pending) VALUES (1)",
    ):
        await _forge_sql(h, sql)  # as migration 0023 leaves an older database
    await h.restart()
    assert await _count(h, "SELECT COUNT(*) FROM storemac_migration") == 0
    assert await _count(h, "SELECT COUNT(*) FROM person_handles WHERE handle_mac IS NULL") == 0
    await h.rt.sender.flush()
    assert await _status(h, pending) == "sent"
    before = h.fake.last_message_id(REPORTER)
    await press(h, OFFICER, "take:1", chat=TNG_GROUP)
    await h.rt.sender.flush()
    assert [m for m in h.fake.messages(REPORTER) if m.message_id > before]
    assert await _alerts(h) == 0
    # put back once integrity is established, the flag signs nothing
    await _forge_sql(h, "UPDATE cases SET notify_mode = 'neutral', notify_mac = NULL")
    await _forge_sql(h, "INSERT INTO storemac_migration (pending) VALUES (1)")
    await h.restart()
    assert await _count(h, "SELECT COUNT(*) FROM cases WHERE notify_mac IS NULL") == 1


async def test_rotation_re_signs_the_routing_macs_and_keeps_a_forged_one_refused(
    tmp_path: Path, clock: FakeClock, db_target: str | Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    old, new = generate_key(), generate_key()
    h = await Harness.create(tmp_path, clock=clock, secret_key=old, database=db_target)
    fake = h.fake
    await full_report(h)
    await full_report(h, REPORTER_TWO)
    await h.send(OFFICER, "/start")
    await h.send(TNG_HEAD, "/start")
    pending = await _queue(h, Recipient.person(await h.person(TNG_HEAD)), 4601)
    await _forge_sql(h, "UPDATE cases SET notify_mode = 'neutral' WHERE id = 2")
    await h.stop()
    db = await Database.open(db_target)
    try:
        report = await rotate_key(db, old, new, at=clock.now(), batch=2)
        assert report.macs >= 5 and report.macs_failing == 1
    finally:
        await db.close()
    h2 = await Harness.create(tmp_path, clock=clock, secret_key=new, fake=fake, database=db_target)
    try:
        await h2.rt.sender.flush()
        assert await _status(h2, pending) == "sent"  # re-signed under the new key
        assert _got(h2, TNG_HEAD, 4601)
        before = h2.fake.last_message_id(REPORTER)
        await press(h2, OFFICER, "take:1", chat=TNG_GROUP)
        await h2.rt.sender.flush()
        assert [m for m in h2.fake.messages(REPORTER) if m.message_id > before]
        before_two = h2.fake.last_message_id(REPORTER_TWO)
        await press(h2, OFFICER, "take:2", chat=TNG_GROUP)
        await h2.rt.sender.flush()
        assert [m for m in h2.fake.messages(REPORTER_TWO) if m.message_id > before_two] == []
        await _alerted(h2)
        assert await _alerts(h2, "cases") == 1
    finally:
        await h2.stop()
