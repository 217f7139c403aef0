"""The start-up key check reads one case, however many are stored, and still refuses a key
the data was not written with."""

from __future__ import annotations

import pytest

from bot.crypto import Cipher, UnknownKeyError, generate_key
from bot.security.keys import check_key
from tests.integration.reminders_support import Env, new_case
from tests.integration.test_sweep_remind_at import sqlite_env

__all__ = ["sqlite_env"]  # the fixture, re-used


@pytest.mark.sqlite_only  # it traces SQLite's statements (set_trace_callback)
async def test_the_key_check_reads_only_the_newest_case(sqlite_env: Env) -> None:
    e = sqlite_env
    for i in range(5):
        await new_case(e, key=f"k{i}")
    statements: list[str] = []
    await e.svc.db.conn.set_trace_callback(statements.append)  # type: ignore[attr-defined]
    await check_key(e.svc.db, e.svc.cipher)  # the key the cases were written with
    await e.svc.db.conn.set_trace_callback(None)  # type: ignore[attr-defined]
    reads = [s for s in statements if "FROM cases" in s]
    assert reads and all(s.rstrip().endswith("LIMIT 1") for s in reads), reads
    with pytest.raises(UnknownKeyError):
        await check_key(e.svc.db, Cipher(generate_key()))
