"""Rows stored with ids of their own before a migration: the next generated id follows them
(SQLite's rowid does; PostgreSQL's identity sequence is moved past them by each migration)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.crypto import Cipher, generate_key
from bot.store import db as db_module
from bot.store.db import Database
from bot.store.persons import PersonStore

__all__: list[str] = []

AT = datetime(2026, 3, 1, 3, 0, tzinfo=UTC)


async def test_a_new_person_after_the_upgrade_gets_the_next_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = db_module.migrations()
    monkeypatch.setattr(db_module, "migrations", lambda: shipped[:-1])
    db = await Database.open(tmp_path / "ppa.sqlite3")
    try:
        async with db.transaction() as tx:
            for person_id in (3, 7):
                await tx.execute(
                    "INSERT INTO persons (id, created_at) VALUES (?, ?)",
                    (person_id, AT.isoformat()),
                )
        monkeypatch.setattr(db_module, "migrations", lambda: shipped)
        assert await db.migrate() == [shipped[-1][1]]
        store = PersonStore(Cipher(generate_key()))
        async with db.transaction() as tx:
            assert [await store.create(tx, AT) for _ in range(2)] == [8, 9]
    finally:
        await db.close()
