"""No Telegram id in the database: a stolen disk does not tell who reported (or who works).

The whole database (every table, every column, every row, and the file and WAL bytes) is
searched for the Telegram ids of a reporter and of the staff who handled her case; then the
retention purge forgets the reporter's handle, so the person id left in the audit log leads
nowhere.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from bot.clock import FakeClock
from bot.domain.identity import Handle
from bot.security.retention import purge, retention_days
from bot.store.db import is_postgres_url
from bot.testing.harness import Harness
from tests.stores import stored_bytes
from tests.telegram.flows import full_report, press

REPORTER = 731904265  # digits that appear nowhere else
OFFICER = 100000002  # petugas of TNG in the example roster
TNG_GROUP = -1001000000001


@pytest.fixture
async def h(tmp_path: Path, clock: FakeClock, db_target: str | Path) -> AsyncIterator[Harness]:
    harness = await Harness.create(tmp_path, clock=clock, database=db_target)
    try:
        yield harness
    finally:
        await harness.stop()


def _cells(target: str | Path) -> list[tuple[str, str, object]]:
    """(table, column, value) of every cell of every table (either store)."""
    if is_postgres_url(target):
        with psycopg.connect(str(target), autocommit=True) as pg:
            tables = [str(r[0]) for r in pg.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            ).fetchall()]  # fmt: skip
            out: list[tuple[str, str, object]] = []
            for table in tables:
                cur = pg.execute(f'SELECT * FROM "{table}"')
                names = [d.name for d in cur.description or ()]
                for row in cur.fetchall():
                    out.extend((table, n, v) for n, v in zip(names, row, strict=True))
            return out
    conn = sqlite3.connect(target)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        out = []
        for table in tables:
            cur = conn.execute(f"SELECT * FROM {table}")
            names = [d[0] for d in cur.description]
            for row in cur.fetchall():
                out.extend((table, n, v) for n, v in zip(names, row, strict=True))
        return out
    finally:
        conn.close()


def _disk_ids(target: str | Path) -> list[int]:
    """The ids to look for in the bytes on disk: on PostgreSQL the server's write-ahead log is
    shared by every test database of the session, where the example roster's ids may appear in
    other tests' rows; the reporter's id appears in no other test."""
    return [REPORTER] if is_postgres_url(target) else [REPORTER, OFFICER]


def _found(cells: list[tuple[str, str, object]], ident: int) -> list[tuple[str, str]]:
    """Where the id is stored: as a number, or as digits inside a text or blob."""
    text, found = str(ident), []
    for table, column, value in cells:
        if (isinstance(value, int) and abs(value) == ident) or (
            isinstance(value, str | bytes)
            and text in (value if isinstance(value, str) else value.decode("latin-1"))
        ):
            found.append((table, column))
    return found


async def test_no_telegram_id_of_reporter_or_staff_anywhere_in_the_database(
    h: Harness, tmp_path: Path
) -> None:
    await h.send(OFFICER, "/start")
    out = await full_report(h, REPORTER)
    assert "PPA-TNG-2026-00001" in (out[-1].plain_text or "")
    await press(h, OFFICER, "take:1", chat=TNG_GROUP)  # the officer takes it, is audited
    await h.send(REPORTER, "/status")  # the reporter comes back
    await h.send(REPORTER, "/hapus")  # and clears the chat (a deletion row is queued)
    await h.rt.db.checkpoint()
    target = h.settings.ppa_database
    cells = _cells(target)
    assert any(t == "audit_log" for t, _, _ in cells)  # the search really reads the tables
    assert _found(cells, REPORTER) == []
    assert _found(cells, OFFICER) == []
    blob = stored_bytes(target)  # the file and its WAL, or the server's files and WAL
    for ident in _disk_ids(target):
        assert str(ident).encode() not in blob, ident


async def test_purge_forgets_the_reporters_handle_and_nothing_names_her_after(
    h: Harness, clock: FakeClock
) -> None:
    await full_report(h, REPORTER)
    svc = h.rt.services
    reporter = await h.person(REPORTER)
    async with svc.db.reading() as conn:
        assert await svc.persons.handle(conn, reporter, "telegram") == Handle(
            "telegram", str(REPORTER)
        )
    keep = retention_days(svc.offices["TNG"])
    closed = (clock.now() - timedelta(days=keep + 1)).isoformat()
    async with svc.db.transaction() as conn:
        await conn.execute("UPDATE cases SET status = 'closed', closed_at = ?", (closed,))
    report = await purge(svc.db, svc.offices, now=clock.now())
    assert len(report.cases) == 1
    async with svc.db.reading() as conn:
        assert await svc.persons.handle(conn, reporter, "telegram") is None
        assert await svc.persons.find(conn, Handle("telegram", str(REPORTER))) is None
    # the staff keep theirs: they are on a roster
    officer = await h.person(OFFICER)
    async with svc.db.reading() as conn:
        assert await svc.persons.handle(conn, officer, "telegram") is not None
    # and after the purge nothing anywhere names her (every cell, the file and its WAL)
    await h.send(REPORTER, "/hapus")
    await svc.db.checkpoint()
    target = h.settings.ppa_database
    assert _found(_cells(target), REPORTER) == []
    assert str(REPORTER).encode() not in stored_bytes(target)
