"""No WhatsApp number and no answer in the clear anywhere in the database (file and WAL)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.testing.whatsapp_harness import WaHarness
from tests.whatsapp.flows import full_report

WA_SECRET_REPORTER = "6289731904265"  # digits that appear nowhere else


def _cells(path: Path) -> list[tuple[str, str, object]]:
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        out: list[tuple[str, str, object]] = []
        for table in tables:
            cur = conn.execute(f"SELECT * FROM {table}")
            names = [d[0] for d in cur.description]
            for row in cur.fetchall():
                out.extend((table, n, v) for n, v in zip(names, row, strict=True))
        return out
    finally:
        conn.close()


@pytest.mark.sqlite_only  # it reads the SQLite file and its WAL
async def test_no_number_nor_answer_in_the_clear(wa: WaHarness) -> None:
    out = await full_report(wa, WA_SECRET_REPORTER)
    assert "PPA-TNG-2026-00001" in out[-1].text
    await wa.say(WA_SECRET_REPORTER, "lapor")  # a new draft in progress
    await wa.say(WA_SECRET_REPORTER, "tidak")
    for m in wa.fake.to(WA_SECRET_REPORTER)[-2:]:  # Meta's statuses of sent messages
        assert await wa.post(wa.maker.status(m.wamid, "read", WA_SECRET_REPORTER)) == 200
    await wa.h.rt.db.checkpoint()
    db = Path(wa.h.settings.ppa_database)
    cells = _cells(db)
    assert any(t == "wa_sessions" for t, _, _ in cells)  # the search really reads them
    secrets = (WA_SECRET_REPORTER, "Melati", "Kenanga", "memukul", "wamid.")
    for table, column, value in cells:
        if isinstance(value, str | bytes):
            shown = value if isinstance(value, str) else value.decode("latin-1")
            for secret in secrets:
                assert secret not in shown, (table, column, secret)
    for file in db.parent.glob("ppa.sqlite3*"):
        blob = file.read_bytes()
        for secret in secrets:
            assert secret.encode() not in blob, (file.name, secret)
