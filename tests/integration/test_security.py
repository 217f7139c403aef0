"""Key rotation, backups, the audit chain against file tampering, and the retention purge."""

from __future__ import annotations

import argparse
import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import psycopg
import pytest

from bot import admin_cli, cli
from bot.clock import FakeClock
from bot.crypto import Cipher, generate_key
from bot.domain.identity import Handle
from bot.domain.office import Office
from bot.security.backup import BackupError, backup_database
from bot.security.keys import RotationError, rotate_key
from bot.security.retention import purge, retention_days
from bot.store.audit import verify_chain
from bot.store.db import Database
from bot.store.encrypted import ENCRYPTED_COLUMNS, encrypted_columns
from bot.testing.harness import EXAMPLE_OFFICES, Harness
from bot.testing.people import same_ids_for_staff
from tests.stores import query_now
from tests.telegram.flows import full_report, press

__all__: list[str] = []

TNG_GROUP = -1001000000001
OFFICER = 100000002
REPORTER = 555001


def _code(messages: list[Any]) -> str:
    for m in messages:
        text = m.plain_text or m.text or ""
        for word in text.split():
            if word.count("-") == 2 and len(word) == 14:
                return word
    raise AssertionError("no tracking code shown")


async def _filled(
    tmp_path: Path, clock: FakeClock, key: str, database: str | Path | None = None
) -> tuple[Harness, str]:
    h = await Harness.create(tmp_path, clock=clock, secret_key=key, database=database)
    out = await full_report(h)
    code = _code(out)
    await h.send(OFFICER, "/start")
    await press(h, OFFICER, "take:1", chat=TNG_GROUP)
    await press(h, OFFICER, "det:1", chat=TNG_GROUP)
    # a report in progress: the reporter above left no user data once hers was sent
    await h.send(555999, "/lapor")
    return h, code


def _all_values(target: str | Path) -> list[tuple[str, bytes, bytes]]:
    """Every stored encrypted value with its AAD context, read by a connection of its own
    (every table of ENCRYPTED_COLUMNS exists in a migrated database)."""
    out = []
    for (table, column), sql in ENCRYPTED_COLUMNS.items():
        for _, blob, ctx in query_now(target, sql):
            out.append((f"{table}.{column}", bytes(blob), str(ctx).encode()))
    return out


async def test_rotate_key_reencrypts_everything_and_keeps_lookups(
    tmp_path: Path, clock: FakeClock, db_target: str | Path
) -> None:
    old, new = generate_key(), generate_key()
    h, code = await _filled(tmp_path, clock, old, db_target)
    fake = h.fake
    await h.stop()
    db = await Database.open(db_target)
    try:
        report = await rotate_key(db, old, new, at=clock.now())
        assert report.values["cases.details_enc"] == 1 and report.indexes == 1
        async with db.reading() as conn:
            count, broken = await verify_chain(conn)
        assert broken is None and count >= 3
        row = await db.fetchone("SELECT action FROM audit_log ORDER BY id DESC LIMIT 1")
        assert row is not None and row[0] == "rotate_key"
    finally:
        await db.close()
    values = _all_values(db_target)
    assert {
        "cases.details_enc",
        "state_data.data_enc",
        "state_data.key_enc",
        "outbox.payload_enc",
    } <= {v[0] for v in values}
    only_new, only_old, both = Cipher(new), Cipher(old), Cipher(new, old_keys=(old,))
    for _, blob, ctx in values:
        assert only_new.key_id_of(blob) == only_new.key_id
        only_new.decrypt(blob, context=ctx)
        both.decrypt(blob, context=ctx)
        with pytest.raises(ValueError):
            only_old.decrypt(blob, context=ctx)
    # the bot on the new key: /status finds the case through the recomputed blind index
    h2 = await Harness.create(tmp_path, clock=clock, secret_key=new, fake=fake, database=db_target)
    try:
        out = await h2.send(REPORTER, f"/status {code}")
        assert any("PPA-TNG-2026-00001" in (m.plain_text or "") for m in out)
        details = await h2.rt.services.cases.details(h2.rt.db.conn, 1)
        assert details["victim_name"] == "Melati"
    finally:
        await h2.stop()


async def test_rotate_key_refuses_unknown_columns_and_same_key(
    clock: FakeClock, db_target: str | Path
) -> None:
    key = generate_key()
    db = await Database.open(db_target)
    try:
        async with db.transaction() as conn:
            enc, _ = await encrypted_columns(conn)
            assert enc <= set(ENCRYPTED_COLUMNS)  # every shipped column is known
        with pytest.raises(RotationError, match="same"):
            await rotate_key(db, key, key, at=clock.now())
        async with db.transaction() as conn:
            await conn.execute("CREATE TABLE notes (id BIGINT PRIMARY KEY, secret_enc BYTEA)")
        with pytest.raises(RotationError, match=r"notes\.secret_enc"):
            await rotate_key(db, key, generate_key(), at=clock.now())
        row = await db.fetchone("SELECT COUNT(*) FROM audit_log")
        assert row is not None and row[0] == 0  # nothing happened
    finally:
        await db.close()


def _env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, key: str, database: str | Path | None = None
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env from the project folder
    monkeypatch.setenv("PPA_DATABASE", str(database or tmp_path / "ppa.sqlite3"))
    monkeypatch.setenv("PPA_SECRET_KEY", key)
    monkeypatch.setenv("PPA_OFFICES", str(EXAMPLE_OFFICES))
    monkeypatch.setenv("PPA_ALLOW_EXAMPLE", "1")  # the example roster, in a test


def _admin(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    admin_cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


@pytest.mark.sqlite_only  # `ppa-bot backup` is SQLite's (PostgreSQL: pg_dump)
async def test_admin_commands(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    old, new = generate_key(), generate_key()
    h, _ = await _filled(tmp_path, clock, old)
    await h.stop()
    _env(monkeypatch, tmp_path, old)
    assert await _to_thread(_admin, ["backup", str(tmp_path / "b.sqlite3")]) == 0
    assert await _to_thread(_admin, ["backup", str(tmp_path / "b.sqlite3")]) == 2  # exists
    assert await _to_thread(_admin, ["purge", "--dry-run"]) == 0
    assert "would purge 0 case(s)" in capsys.readouterr().out
    assert await _to_thread(_admin, ["rotate-key", "--new-key", "short"]) == 2
    assert await _to_thread(_admin, ["rotate-key", "--new-key", new]) == 0
    assert "PPA_SECRET_KEY" in capsys.readouterr().out
    monkeypatch.setenv("PPA_SECRET_KEY", new)
    assert await _to_thread(cli.main, ["audit", "verify"]) == 0


async def _to_thread(fn: Any, argv: list[str]) -> int:
    """The commands call asyncio.run, so run them outside the test's event loop."""
    import asyncio

    return int(await asyncio.to_thread(fn, argv))


@pytest.mark.sqlite_only  # VACUUM INTO backup is SQLite's
async def test_backup_is_consistent_private_and_standalone(
    tmp_path: Path, clock: FakeClock
) -> None:
    h, _ = await _filled(tmp_path / "live", clock, generate_key())
    try:
        result = await backup_database(h.rt.db, tmp_path / "bk" / "copy.sqlite3")
        with pytest.raises(BackupError):
            await backup_database(h.rt.db, result.path)
        with pytest.raises(BackupError):
            await backup_database(h.rt.db, h.rt.db.path, overwrite=True)
    finally:
        await h.stop()
    assert stat.S_IMODE(result.path.stat().st_mode) == 0o600
    assert sorted(p.name for p in result.path.parent.iterdir()) == ["copy.sqlite3"]
    conn = sqlite3.connect(result.path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert conn.execute("SELECT COUNT(*) FROM cases").fetchone()[0] == 1
        assert conn.execute("PRAGMA user_version").fetchone()[0] == result.schema_version
    finally:
        conn.close()


async def test_tampered_audit_entry_is_reported(
    tmp_path: Path,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Any,
    db_target: str | Path,
) -> None:
    key = generate_key()
    h, _ = await _filled(tmp_path, clock, key, db_target)
    await h.stop()
    ids = [r[0] for r in query_now(db_target, "SELECT id FROM audit_log ORDER BY id")]
    assert len(ids) >= 3
    with pytest.raises((sqlite3.DatabaseError, psycopg.Error), match="append-only"):
        query_now(db_target, "UPDATE audit_log SET actor = 'x' WHERE id = ?", ids[1])
    with pytest.raises((sqlite3.DatabaseError, psycopg.Error), match="append-only"):
        query_now(db_target, "DELETE FROM audit_log WHERE id = ?", ids[1])
    # an attacker with the database drops the trigger first and rewrites history
    pg = isinstance(db_target, str)
    query_now(db_target, "DROP TRIGGER audit_no_update" + (" ON audit_log" if pg else ""))
    query_now(db_target, "UPDATE audit_log SET actor = 'staff:42' WHERE id = ?", ids[1])
    db = await Database.open(db_target)
    try:
        async with db.reading() as c:
            _, broken = await verify_chain(c)
        assert broken == ids[1]
    finally:
        await db.close()
    _env(monkeypatch, tmp_path, key, db_target)
    assert await _to_thread(cli.main, ["audit", "verify"]) == 1
    assert f"entry {ids[1]}" in capsys.readouterr().err


async def _seed(
    db: Database, cipher: Cipher, clock: FakeClock, evidence: Path
) -> dict[str, Office]:
    """Three cases with rows in every related table; case 1 closed long ago."""
    from bot.config import load_offices
    from bot.services.context import Services
    from bot.services.intake import Evidence, submit_complaint

    offices = {o.id: o for o in load_offices(EXAMPLE_OFFICES)}
    svc = Services(db, clock, cipher, offices, evidence_dir=evidence)
    await same_ids_for_staff(svc)
    for i in range(3):
        await submit_complaint(
            svc,
            answers={"office": "TNG", "victim_name": f"Korban {i}", "story": "rahasia"},
            evidence=[Evidence("photo", "image/jpeg", b"\xff\xd8 photo")],
            idempotency_key=f"k{i}",
            mode="reporter",
            reporter=Handle("telegram", str(7000 + i)),
            recorded_by=None,
            language="id",
        )
    now = clock.now().isoformat()
    async with db.transaction() as conn:
        for case_id in (1, 2, 3):
            cur = await conn.execute(
                "INSERT INTO sop_instances (case_id, sop_key, started_at) VALUES (?, 'x', ?)",
                (case_id, now),
            )
            cur = await conn.execute(
                "INSERT INTO steps (instance_id, case_id, step_key, title, role, opened_at)"
                " VALUES (?, ?, 's', 't', 'petugas', ?)",
                (cur.lastrowid, case_id, now),
            )
            step = cur.lastrowid
            await conn.execute(
                "INSERT INTO step_events (step_id, at, actor, kind) VALUES (?, ?, 'a', 'k')",
                (step, now),
            )
            await conn.execute(
                "INSERT INTO mediations (case_id, step_id, scheduled_at, location_enc,"
                " created_by, created_at) VALUES (?, ?, ?, x'00', 1, ?)",
                (case_id, step, now, now),
            )
        keep = retention_days(offices["TNG"])
        old = (clock.now() - timedelta(days=keep + 1)).isoformat()
        recent = (clock.now() - timedelta(days=keep - 1)).isoformat()
        await conn.execute("UPDATE cases SET status='closed', closed_at=? WHERE id=1", (old,))
        await conn.execute("UPDATE cases SET status='closed', closed_at=? WHERE id=2", (recent,))
    return offices


async def _count(db: Database, table: str, case_id: int) -> int:
    if table == "step_events":
        sql = "SELECT COUNT(*) FROM step_events JOIN steps s ON s.id = step_id WHERE s.case_id = ?"
    else:
        sql = f"SELECT COUNT(*) FROM {table} WHERE {'id' if table == 'cases' else 'case_id'} = ?"
    row = await db.fetchone(sql, (case_id,))
    return int(row[0]) if row else 0


TABLES = ("cases", "case_events", "evidence", "outbox", "sop_instances", "steps",
          "step_events", "mediations")  # fmt: skip


async def test_purge_dry_run_then_purge(db_target: str | Path, tmp_path: Path) -> None:
    clock = FakeClock(datetime(2031, 6, 2, 3, 0, tzinfo=UTC))
    cipher = Cipher(generate_key())
    db = await Database.open(db_target)
    try:
        offices = await _seed(db, cipher, clock, tmp_path / "evidence")
        dry = await purge(db, offices, now=clock.now(), dry_run=True)
        assert [c.number for c in dry.cases] == ["PPA-TNG-2031-00001"]
        assert "PPA-TNG-2031-00001" in dry.lines()[0] and "1 evidence" in dry.lines()[0]
        for t in TABLES:
            assert await _count(db, t, 1) >= 1, t
        done = await purge(db, offices, now=clock.now())
        assert [c.case_id for c in done.cases] == [1]
        for t in TABLES:
            assert await _count(db, t, 1) == 0, t
            assert await _count(db, t, 2) >= 1, t  # closed recently: kept
            assert await _count(db, t, 3) >= 1, t  # still open: kept
        rows = await db.fetchall("SELECT action, case_id, detail FROM audit_log WHERE actor ="
                                 " 'system:retention' ORDER BY id")  # fmt: skip
        assert [(r[0], r[1]) for r in rows] == [("purge", 1), ("purge_run", None)]
        assert "Korban" not in " ".join(str(r[2]) for r in rows)
        async with db.reading() as conn:
            assert (await verify_chain(conn))[1] is None
        again = await purge(db, offices, now=clock.now())
        assert again.cases == []
    finally:
        await db.close()


def test_retention_days_reads_the_office_setting() -> None:
    assert retention_days(None) == 365
    assert retention_days(cast(Office, SimpleNamespace(retention_days=30))) == 30
    assert retention_days(cast(Office, SimpleNamespace(retention_days=0))) == 365
