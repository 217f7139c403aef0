"""Security review #5: a database edited without the key makes no one staff and moves no group.

Each test edits the database file as an attacker with write access but without PPA_SECRET_KEY
would (plain SQL), then checks that the bot refuses what it reads, alerts the heads, and that a
key rotation neither breaks the MACs nor launders a forged row.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.crypto import generate_key
from bot.domain.office import Role
from bot.security.keys import rotate_key
from bot.store.db import Database
from bot.testing.harness import Harness
from tests.integration.test_security import _admin, _env, _to_thread
from tests.telegram.flows import full_report, press

TNG_HEAD = 100000001
TNG_COMPANION = 100000004  # pendamping of TNG, from the office file
TNG_GROUP = -1001000000001
ATTACKER = 666001
ATTACKER_GROUP = -1006660000001
AT = "2026-03-01T03:00:00+00:00"


async def _count(h: Harness, sql: str, *params: object) -> int:
    row = await h.rt.db.fetchone(sql, params)
    assert row is not None
    return int(row[0])


async def _alerts(h: Harness, table: str | None = None) -> int:
    sql = "SELECT COUNT(*) FROM audit_log WHERE action = 'integrity_failed'"
    if table is None:
        return await _count(h, sql)
    return await _count(h, sql + " AND detail LIKE ?", f"{table}:%")


async def _head_alerts(h: Harness) -> list[str]:
    await h.rt.sender.flush()
    return [t for t in h.texts(TNG_HEAD) if "Security alert" in t or "Peringatan keamanan" in t]


async def _forge_sql(h: Harness, sql: str, *params: object) -> None:
    """A write without the key: plain SQL on the database."""
    async with h.rt.db.transaction() as conn:
        await conn.execute(sql, params)


async def test_an_inserted_roster_row_makes_no_one_staff_and_the_head_is_alerted(
    harness: Harness,
) -> None:
    h = harness
    await h.send(TNG_HEAD, "/start")
    attacker = await h.person(ATTACKER)
    await _forge_sql(
        h, "INSERT INTO roster (office_id, user_id, role) VALUES ('TNG', ?, 'petugas')", attacker
    )
    await h.rt.services.refresh_roster()
    assert not h.rt.services.offices["TNG"].is_staff(attacker)
    assert h.rt.services.offices["TNG"].is_staff(await h.person(TNG_HEAD))  # the rest stands
    assert await _alerts(h, "roster") == 1
    await h.rt.services.refresh_roster()  # read again: alerted once, not at every update
    assert await _alerts(h, "roster") == 1
    told = await _head_alerts(h)
    assert len(told) == 1 and "TNG" in told[0]
    # a restart rebuilds the roster from the office file and the signed decisions
    await h.restart()
    assert not h.rt.services.offices["TNG"].is_staff(attacker)
    assert await _count(h, "SELECT COUNT(*) FROM roster WHERE user_id = ?", attacker) == 0


async def test_an_inserted_approved_roster_change_is_refused_at_start(harness: Harness) -> None:
    h = harness
    await h.send(TNG_HEAD, "/start")
    attacker = await h.person(ATTACKER)
    await _forge_sql(
        h,
        "INSERT INTO roster_changes (office_id, user_id, role, action, status, requested_by,"
        " requested_at, decided_by, decided_at) VALUES ('TNG', ?, 'petugas', 'add', 'approved',"
        " ?, ?, ?, ?)",
        attacker, attacker, AT, await h.person(TNG_HEAD), AT,
    )  # fmt: skip
    await h.restart()
    assert not h.rt.services.offices["TNG"].is_staff(attacker)
    assert await _alerts(h, "roster_changes") >= 1
    assert len(await _head_alerts(h)) >= 1


async def test_a_pending_request_redirected_to_someone_else_is_not_approved(
    harness: Harness,
) -> None:
    h = harness
    await h.send(TNG_HEAD, "/start")
    joiner = 777001
    await h.send(joiner, "/start")
    await h.send(joiner, "/gabung")
    await press(h, joiner, "gb:o:TNG")
    await press(h, joiner, "gb:r:TNG:pendamping")
    attacker = await h.person(ATTACKER)
    # the head was told about the joiner; the row now names the attacker
    await _forge_sql(
        h, "UPDATE roster_changes SET user_id = ?, requested_by = ?", attacker, attacker
    )
    await press(h, TNG_HEAD, "jn:1:y")
    assert not h.rt.services.offices["TNG"].is_staff(attacker)
    row = await h.rt.db.fetchone("SELECT status FROM roster_changes WHERE id = 1")
    assert row is not None and row[0] == "pending"
    assert await _alerts(h, "roster_changes") == 1


async def test_a_deleted_removal_does_not_put_the_person_back(harness: Harness) -> None:
    h = harness
    await h.send(TNG_HEAD, "/start")
    companion = await h.person(TNG_COMPANION)
    await h.send(TNG_HEAD, f"/keluarkan {TNG_COMPANION} pendamping")
    assert not h.rt.services.offices["TNG"].has_role(companion, Role.PENDAMPING)
    await _forge_sql(h, "DELETE FROM roster_changes WHERE action = 'remove'")
    await h.restart()
    # the office file still lists the companion: without the seal they would be back
    assert not h.rt.services.offices["TNG"].has_role(companion, Role.PENDAMPING)
    assert await _alerts(h, "roster_changes") == 1
    assert len(await _head_alerts(h)) == 1


async def test_a_forged_group_address_does_not_redirect_the_staff_group(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness
    caplog.set_level(logging.ERROR)
    await h.send(TNG_HEAD, "/start")
    h.fake.member_joins(ATTACKER_GROUP, h.fake.bot_id)
    await _forge_sql(
        h,
        "INSERT INTO group_addresses (office_id, channel, address, old_address, changed_at)"
        " VALUES ('TNG', 'telegram', ?, ?, ?)",
        str(ATTACKER_GROUP), str(TNG_GROUP), AT,
    )  # fmt: skip
    await full_report(h)
    await h.rt.sender.flush()
    assert h.texts(ATTACKER_GROUP) == []
    assert any("PPA-TNG-2026-00001" in t for t in h.texts(TNG_GROUP))
    assert await _alerts(h, "group_addresses") == 1
    assert len(await _head_alerts(h)) == 1
    assert "group_addresses of office TNG" in caplog.text


async def test_rotation_keeps_the_macs_and_does_not_launder_a_forged_row(
    tmp_path: Path, clock: FakeClock, db_target: str | Path
) -> None:
    old, new = generate_key(), generate_key()
    h = await Harness.create(tmp_path, clock=clock, secret_key=old, database=db_target)
    fake = h.fake
    await h.send(TNG_HEAD, "/start")
    companion = await h.person(TNG_COMPANION)
    await h.send(TNG_HEAD, f"/keluarkan {TNG_COMPANION} pendamping")
    attacker = await h.person(ATTACKER)
    await _forge_sql(
        h,
        "INSERT INTO roster_changes (office_id, user_id, role, action, status, requested_by,"
        " requested_at, decided_by, decided_at) VALUES ('TNG', ?, 'petugas', 'add', 'approved',"
        " ?, ?, ?, ?)",
        attacker, attacker, AT, attacker, AT,
    )  # fmt: skip
    await h.stop()
    db = await Database.open(db_target)
    try:
        report = await rotate_key(db, old, new, at=clock.now())
        assert report.macs >= 1 and report.macs_failing >= 1
    finally:
        await db.close()
    h2 = await Harness.create(tmp_path, clock=clock, secret_key=new, fake=fake, database=db_target)
    try:
        tng = h2.rt.services.offices["TNG"]
        assert tng.has_role(await h2.person(TNG_HEAD), Role.KETUA)  # signed rows still hold
        assert not tng.has_role(companion, Role.PENDAMPING)  # the removal still holds
        assert not tng.is_staff(attacker)  # the forged row was not re-signed
        assert await _alerts(h2, "roster_changes") >= 1
    finally:
        await h2.stop()


async def test_unsigned_rows_are_not_signed_once_seals_exist(harness: Harness) -> None:
    h = harness
    attacker = await h.person(ATTACKER)
    await _forge_sql(
        h,
        "INSERT INTO roster_changes (office_id, user_id, role, action, status, requested_by,"
        " requested_at, decided_by, decided_at) VALUES ('TNG', ?, 'petugas', 'add', 'approved',"
        " ?, ?, ?, ?)",
        attacker, attacker, AT, attacker, AT,
    )  # fmt: skip
    await _forge_sql(h, "INSERT INTO integrity_migration (pending) VALUES (1)")
    await h.restart()  # the seals of the first start exist: the flag is not trusted
    assert not h.rt.services.offices["TNG"].is_staff(attacker)
    row = await h.rt.db.fetchone("SELECT row_mac FROM roster_changes")
    assert row is not None and row[0] is None


async def test_rows_from_before_the_upgrade_are_signed_at_the_first_start(
    harness: Harness,
) -> None:
    """A database from before migration 0017: decisions without MACs, no seals, the flag."""
    h = harness
    joiner = await h.person(777001)
    await _forge_sql(
        h,
        "INSERT INTO roster_changes (office_id, user_id, role, action, status, requested_by,"
        " requested_at, decided_by, decided_at) VALUES ('TNG', ?, 'pendamping', 'add',"
        " 'approved', ?, ?, ?, ?)",
        joiner, joiner, AT, await h.person(TNG_HEAD), AT,
    )  # fmt: skip
    await _forge_sql(h, "DELETE FROM integrity_seals")
    await _forge_sql(h, "INSERT INTO integrity_migration (pending) VALUES (1)")
    await h.restart()
    assert h.rt.services.offices["TNG"].has_role(joiner, Role.PENDAMPING)
    assert await _count(h, "SELECT COUNT(*) FROM roster_changes WHERE row_mac IS NULL") == 0
    assert await _count(h, "SELECT COUNT(*) FROM integrity_migration") == 0
    assert await _count(h, "SELECT COUNT(*) FROM audit_log WHERE action = 'integrity_adopted'")
    assert await _alerts(h) == 0


async def test_integrity_accept_after_an_alert_keeps_forged_rows_refused(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    key = generate_key()
    h = await Harness.create(tmp_path, clock=clock, secret_key=key)
    fake = h.fake
    await h.send(TNG_HEAD, "/start")
    attacker = await h.person(ATTACKER)
    await h.send(TNG_HEAD, f"/keluarkan {TNG_COMPANION} pendamping")
    await _forge_sql(h, "DELETE FROM roster_changes WHERE action = 'remove'")  # the seal fails
    await _forge_sql(
        h,
        "INSERT INTO roster_changes (office_id, user_id, role, action, status, requested_by,"
        " requested_at, decided_by, decided_at) VALUES ('TNG', ?, 'petugas', 'add', 'approved',"
        " ?, ?, ?, ?)",
        attacker, attacker, AT, attacker, AT,
    )  # fmt: skip
    await h.stop()
    _env(monkeypatch, tmp_path, key)
    assert await _to_thread(_admin, ["integrity-accept"]) == 0
    assert "remove again" in capsys.readouterr().out
    h2 = await Harness.create(tmp_path, clock=clock, secret_key=key, fake=fake)
    try:
        tng = h2.rt.services.offices["TNG"]
        assert not tng.is_staff(attacker)  # never re-signed: still refused
        # the deleted removal is accepted as gone: the office file's companion is back, as
        # the command says, for the head to remove again
        assert tng.has_role(await h2.person(TNG_COMPANION), Role.PENDAMPING)
        assert await _count(h2, "SELECT COUNT(*) FROM audit_log WHERE action = ?",
                            "integrity_accepted") == 1  # fmt: skip
        seal_alerts = await _count(
            h2, "SELECT COUNT(*) FROM audit_log WHERE detail LIKE 'roster_changes:TNG:seal:%'"
        )
        await h2.restart()  # the seal holds now: no new alert about it
        assert (
            await _count(
                h2, "SELECT COUNT(*) FROM audit_log WHERE detail LIKE 'roster_changes:TNG:seal:%'"
            )
            == seal_alerts
        )
    finally:
        await h2.stop()
