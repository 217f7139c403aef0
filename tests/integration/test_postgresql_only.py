"""What only PostgreSQL has: concurrent migration, the advisory instance lock, pg_dump and
pg_restore as docs/SECURITY.md describes them. Collected only with PPA_TEST_POSTGRESQL=1."""

from __future__ import annotations

import asyncio
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from bot.clock import FakeClock
from bot.config import load_offices
from bot.crypto import Cipher, generate_key
from bot.domain.identity import Handle
from bot.security.backup import BackupError, backup_database
from bot.services.context import Services
from bot.services.intake import submit_complaint
from bot.store.audit import verify_chain
from bot.store.db import Database, migrations
from bot.store.pg_lock import PgInstanceLock
from bot.testing.harness import EXAMPLE_OFFICES
from bot.testing.postgres import PgServer

__all__: list[str] = []

MONDAY_10_WIB = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


def _new_database(server: PgServer, name: str) -> str:
    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return server.url(name)


async def test_two_processes_starting_at_once_migrate_once(pg_server: PgServer) -> None:
    url = _new_database(pg_server, "racing")
    first, second = await asyncio.gather(Database.open(url), Database.open(url))
    try:
        assert await first.version() == await second.version() == len(migrations())
        rows = await first.fetchall("SELECT version FROM schema_version")
        assert [r[0] for r in rows] == [len(migrations())]
    finally:
        await first.close()
        await second.close()


def test_one_instance_per_database_by_an_advisory_lock(db_target: str | Path) -> None:
    assert isinstance(db_target, str)
    one, two = PgInstanceLock(db_target), PgInstanceLock(db_target)
    assert one.acquire()
    try:
        assert not two.acquire()
    finally:
        one.release()
    assert two.acquire()
    two.release()


async def _case(db: Database, key: str) -> Services:
    offices = {o.id: o for o in load_offices(EXAMPLE_OFFICES)}
    svc = Services(db, FakeClock(MONDAY_10_WIB), Cipher(key), offices)
    await submit_complaint(
        svc, answers={"office": "TNG", "victim_name": "Melati Rahasia", "story": "rahasia"},
        evidence=[], idempotency_key="k1", mode="reporter",
        reporter=Handle("telegram", "555001"), recorded_by=None, language="id",
    )  # fmt: skip
    return svc


async def test_pg_dump_and_pg_restore_give_back_the_cases_with_the_key_only(
    db_target: str | Path, pg_server: PgServer, tmp_path: Path
) -> None:
    assert isinstance(db_target, str)
    key = generate_key()
    db = await Database.open(db_target)
    try:
        await _case(db, key)
        with pytest.raises(BackupError, match="pg_dump"):
            await backup_database(db, tmp_path / "copy.sqlite3")
    finally:
        await db.close()
    dump = tmp_path / "ppa.dump"
    # uncompressed, so that what the dump holds can be read here
    await asyncio.to_thread(subprocess.run, [str(pg_server.bin / "pg_dump"), "--format=custom",
                            "--compress=0", f"--file={dump}", db_target], check=True)  # fmt: skip
    raw = dump.read_bytes()
    assert b"PPA-TNG-2026-00001" in raw  # the case's plain number is in it ...
    assert b"Melati" not in raw and b"rahasia" not in raw  # ... its personal data is not
    restored = _new_database(pg_server, "restored")
    await asyncio.to_thread(subprocess.run, [str(pg_server.bin / "pg_restore"), "--no-owner",
                            f"--dbname={restored}", str(dump)], check=True)  # fmt: skip
    again = await Database.open(restored)
    try:
        assert await again.migrate() == []  # the dump carried the schema version
        async with again.reading() as conn:
            count, broken = await verify_chain(conn)
            assert broken is None and count >= 1
            details = await _services(again, key).cases.details(conn, 1)
            assert details["victim_name"] == "Melati Rahasia"
            with pytest.raises(ValueError):
                await _services(again, generate_key()).cases.details(conn, 1)
    finally:
        await again.close()


def _services(db: Database, key: str) -> Services:
    offices = {o.id: o for o in load_offices(EXAMPLE_OFFICES)}
    return Services(db, FakeClock(MONDAY_10_WIB), Cipher(key), offices)
