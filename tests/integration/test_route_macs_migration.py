"""Migration 0023 on a database written before it: handles and PTB state keep their rows (now
with an id), and the first start signs the routing fields once (SQLite: old schemas are built
by running the earlier migrations alone)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.config import load_offices
from bot.crypto import Cipher, generate_key
from bot.domain.identity import Handle
from bot.services.context import Services
from bot.store import db as db_module
from bot.store.db import Database
from bot.store.route_macs import HANDLE_KIND, handle_fields
from bot.testing.harness import EXAMPLE_OFFICES

__all__: list[str] = []

HEAD = Handle("telegram", "100000001")  # ketua of TNG in the example office file
AT = "2026-03-01T03:00:00+00:00"


async def test_0023_keeps_handles_and_state_and_the_first_start_signs_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> None:
    shipped = db_module.migrations()
    idx = next(i for i, m in enumerate(shipped) if m[1].endswith("_storemac.sql"))
    monkeypatch.setattr(db_module, "migrations", lambda: shipped[:idx])
    cipher = Cipher(generate_key())
    db = await Database.open(tmp_path / "ppa.sqlite3")
    try:
        index = cipher.blind_index("person-handle", HEAD.key())
        blob = cipher.encrypt(HEAD.address.encode(), context=b"person-handle:telegram")
        async with db.transaction() as tx:  # as the code before 0023 wrote them
            await tx.execute("INSERT INTO persons (id, created_at) VALUES (7, ?)", (AT,))
            await tx.execute(
                "INSERT INTO person_handles (person_id, channel, address_index, address_enc)"
                " VALUES (7, 'telegram', ?, ?)",
                (index, blob),
            )
            await tx.execute(
                "INSERT INTO state_data (kind, key_index, key_enc, data_enc)"
                " VALUES ('user_data', 'k1', x'01', x'02')"
            )
            await tx.execute(
                "INSERT INTO state_conversations (name, key_index, key_enc, state)"
                " VALUES ('lapor', 'k2', x'03', 'ASK')"
            )
        monkeypatch.setattr(db_module, "migrations", lambda: shipped)
        assert await db.migrate() == [m[1] for m in shipped[idx:]]
        row = await db.fetchone(
            "SELECT id, person_id, address_index, handle_mac FROM person_handles"
        )
        assert row is not None and tuple(row) == (1, 7, index, None)
        state = await db.fetchone("SELECT id, kind, key_index FROM state_data")
        assert state is not None and tuple(state) == (1, "user_data", "k1")
        conv = await db.fetchone("SELECT id, name, state FROM state_conversations")
        assert conv is not None and tuple(conv) == (1, "lapor", "ASK")
        flag = await db.fetchone("SELECT COUNT(*) FROM storemac_migration")
        assert flag is not None and flag[0] == 1
        # the first start signs them, once
        offices = {o.id: o for o in load_offices(EXAMPLE_OFFICES)}
        svc = Services(db, clock, cipher, offices)
        await svc.load_roster()
        row = await db.fetchone("SELECT handle_mac FROM person_handles WHERE person_id = 7")
        assert row is not None
        assert cipher.mac_ok(HANDLE_KIND, handle_fields(7, "telegram", HEAD.address), row[0])
        flag = await db.fetchone("SELECT COUNT(*) FROM storemac_migration")
        assert flag is not None and flag[0] == 0
        async with db.reading() as conn:
            assert await svc.persons.find(conn, HEAD) == 7  # the head is still person 7
            assert await svc.persons.handle(conn, 7, "telegram") == HEAD
        assert svc.offices["TNG"].is_staff(7)
        audit = await db.fetchone(
            "SELECT detail FROM audit_log WHERE action = 'integrity_adopted'"
            " AND detail LIKE 'routing%'"
        )
        assert audit is not None and audit[0] == "routing rows=1"
    finally:
        await db.close()
